import { AttachPolicyCommand, CreatePolicyCommand, DisablePolicyTypeCommand, EnablePolicyTypeCommand, ListRootsCommand, PolicyType } from '@aws-sdk/client-organizations';
import { createEvent, deleteEvent, Harness, mutatingCalls, ownerId, raceBefore, setStack, startHarness, tagsOf, updateEvent } from './harness';
import {
  enabledPolicyType,
  enabledPolicyTypePhysicalId,
  parseEnabledPolicyTypePhysicalId,
  parseEnabledPolicyTypeProps,
} from '../../lambda/enabled-policy-type';
import { UserError } from '../../lambda/shared/errors';
import type { IsCompleteRequest, OnEventRequest, OnEventResponse } from '../../lambda/shared/types';
import { ResourceType } from '../../src/private/contract';

const T = ResourceType.ENABLED_POLICY_TYPE;
const SCP = 'SERVICE_CONTROL_POLICY';
const TAG = 'TAG_POLICY';
const BACKUP = 'BACKUP_POLICY';
const AI = 'AISERVICES_OPT_OUT_POLICY';
const CHATBOT = 'CHATBOT_POLICY';
/** The root's tag that records which resource enabled `type`. */
const typeKey = (type: string) => `cdk-organizations:policy-type/${type}`;

let h: Harness;
let rootId: string;

const mark = () => h.emulator.callLog.length;

async function statusOf(type: string, harness = h): Promise<string | undefined> {
  const root = (await harness.organizations.send(new ListRootsCommand({}))).Roots![0];
  return root.PolicyTypes?.find(p => p.Type === type)?.Status;
}

/** isComplete until complete, as the provider's waiter would; bounded by a number of polls, not a clock. */
async function settle(event: OnEventRequest, out: OnEventResponse): Promise<number> {
  const physicalId = out.PhysicalResourceId ?? (event as { PhysicalResourceId?: string }).PhysicalResourceId;
  const request = { ...event, ...out, PhysicalResourceId: physicalId } as IsCompleteRequest;
  for (let poll = 1; poll <= 2000; poll++) {
    const answer = await enabledPolicyType.isComplete!(request, h.context());
    if (answer.IsComplete) return poll;
    expect(answer.Data).toBeUndefined();
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error('isComplete never completed');
}

async function create(type: string) {
  const event = createEvent(T, { RootId: rootId, PolicyType: type });
  const out = await enabledPolicyType.onCreate(event, h.context());
  await settle(event, out);
  return out.PhysicalResourceId!;
}

async function remove(physicalId: string, type: string) {
  const event = deleteEvent(T, physicalId, { RootId: rootId, PolicyType: type });
  const out = await enabledPolicyType.onDelete(event, h.context());
  await settle(event, out);
}

/** Turns a type off outside the stack and waits until the root no longer lists it. */
async function disableByHand(type: string) {
  // A type still being enabled cannot be disabled yet (PolicyChangesInProgressException).
  for (let i = 0; i < 2000 && await statusOf(type) === 'PENDING_ENABLE'; i++) await new Promise(resolve => setTimeout(resolve, 5));
  await h.organizations.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: type as PolicyType }));
  for (let i = 0; i < 2000 && await statusOf(type) !== undefined; i++) await new Promise(resolve => setTimeout(resolve, 5));
  expect(await statusOf(type)).toBeUndefined();
}


beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
});

afterAll(async () => {
  await h?.stop();
});

describe('properties and physical ids', () => {
  test('parses RootId and PolicyType', () => {
    expect(parseEnabledPolicyTypeProps({ RootId: 'r-ab12', PolicyType: TAG })).toEqual({ rootId: 'r-ab12', policyType: TAG });
    expect(() => parseEnabledPolicyTypeProps({ RootId: 'r-ab12' })).toThrow(/Property PolicyType is required/);
  });

  test('physical ids round-trip, with and without the adopted suffix', () => {
    const spec = { rootId: 'r-ab12', policyType: TAG };
    expect(enabledPolicyTypePhysicalId(spec, false)).toBe('r-ab12|TAG_POLICY');
    expect(enabledPolicyTypePhysicalId(spec, true)).toBe('r-ab12|TAG_POLICY|adopted');
    expect(parseEnabledPolicyTypePhysicalId('r-ab12|TAG_POLICY')).toEqual({ ...spec, adopted: false });
    expect(parseEnabledPolicyTypePhysicalId('r-ab12|TAG_POLICY|adopted')).toEqual({ ...spec, adopted: true });
  });

  test('ids this handler never returned are not parsed', () => {
    expect(parseEnabledPolicyTypePhysicalId('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED')).toBeUndefined();
    expect(parseEnabledPolicyTypePhysicalId('r-ab12')).toBeUndefined();
    expect(parseEnabledPolicyTypePhysicalId('r-ab12|TAG_POLICY|extra')).toBeUndefined();
  });
});

describe('Create', () => {
  test('enables the type and records on the root that this resource did; isComplete waits until the root reports it ENABLED', async () => {
    const event = createEvent(T, { RootId: rootId, PolicyType: TAG });
    const since = mark();
    const out = await enabledPolicyType.onCreate(event, h.context());
    expect(out).toEqual({ PhysicalResourceId: `${rootId}|${TAG}` });
    expect(mutatingCalls(h.emulator, since)).toEqual(['EnablePolicyType', 'TagResource']);
    expect((await tagsOf(h.organizations, rootId))[typeKey(TAG)]).toBe(ownerId());
    await settle(event, out);
    expect(await statusOf(TAG)).toBe('ENABLED');
  });

  test('a type that is already enabled is adopted without any change', async () => {
    expect(await statusOf(SCP)).toBe('ENABLED');
    const since = mark();
    const out = await enabledPolicyType.onCreate(createEvent(T, { RootId: rootId, PolicyType: SCP }), h.context());
    expect(out.PhysicalResourceId).toBe(`${rootId}|${SCP}|adopted`);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a retried Create finds its own enabling by the root\'s tags (its creation marker): enabled once, same id, nothing changed', async () => {
    const event = createEvent(T, { RootId: rootId, PolicyType: BACKUP });
    const first = await enabledPolicyType.onCreate(event, h.context());
    const since = mark();
    const second = await enabledPolicyType.onCreate(event, h.context());
    expect(first.PhysicalResourceId).toBe(`${rootId}|${BACKUP}`);
    expect(second.PhysicalResourceId).toBe(`${rootId}|${BACKUP}`);
    // The root carries the request's creation marker: a retry of the same request knows it as its own making.
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    await settle(event, second);
    expect(await statusOf(BACKUP)).toBe('ENABLED');
    expect(h.emulator.callLog.filter(c => c.operation === 'EnablePolicyType' && (c.request as any).PolicyType === BACKUP)).toHaveLength(1);
    await setStack(h, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await remove(second.PhysicalResourceId!, BACKUP);
    await setStack(h, undefined);
    expect(await statusOf(BACKUP)).toBeUndefined();
  });

  test('a type enabled by someone else between the look and EnablePolicyType is adopted', async () => {
    const organizations = raceBefore(h.organizations, 'EnablePolicyTypeCommand',
      () => h.organizations.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: AI as PolicyType })));
    const out = await enabledPolicyType.onCreate(createEvent(T, { RootId: rootId, PolicyType: AI }), h.context({ organizations }));
    expect(out.PhysicalResourceId).toBe(`${rootId}|${AI}|adopted`);
    expect(h.emulator.callLog.filter(c => c.operation === 'EnablePolicyType').slice(-2).map(c => c.outcome))
      .toEqual(['OK', 'PolicyTypeAlreadyEnabledException']);
    await disableByHand(AI);
  });

  test('a root that does not exist is an error naming RootId, and nothing is called', async () => {
    const since = mark();
    const error = await enabledPolicyType.onCreate(createEvent(T, { RootId: 'r-zzzz', PolicyType: AI }), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/root r-zzzz does not exist in this organization\. Check RootId/);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });
});

describe('Update', () => {
  test('the same type on the same root keeps its id and changes nothing', async () => {
    const id = await create(AI);
    const props = { RootId: rootId, PolicyType: AI };
    const since = mark();
    const out = await enabledPolicyType.onUpdate(updateEvent(T, id, props, props), h.context());
    expect(out.PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    await remove(id, AI);
  });

  test('a type disabled outside the stack is enabled again under the same id', async () => {
    const id = await create(AI);
    await disableByHand(AI);
    const props = { RootId: rootId, PolicyType: AI };
    const event = updateEvent(T, id, props, props);
    const out = await enabledPolicyType.onUpdate(event, h.context());
    expect(out.PhysicalResourceId).toBe(id);
    await settle(event, out);
    expect(await statusOf(AI)).toBe('ENABLED');
    await remove(id, AI);
  });

  test('another type is a replacement (new id); the swapped rollback finds the old type still its own', async () => {
    const oldId = await create(AI);
    const before = { RootId: rootId, PolicyType: AI };
    const after = { RootId: rootId, PolicyType: BACKUP };
    const event = updateEvent(T, oldId, after, before);
    const out = await enabledPolicyType.onUpdate(event, h.context());
    expect(out.PhysicalResourceId).toBe(`${rootId}|${BACKUP}`);
    await settle(event, out);
    expect(await statusOf(BACKUP)).toBe('ENABLED');
    // CloudFormation removes the old one only after the whole update succeeded.
    expect(await statusOf(AI)).toBe('ENABLED');

    const rollback = await enabledPolicyType.onUpdate(updateEvent(T, out.PhysicalResourceId!, before, after), h.context());
    // The root's tag says this resource enabled the old type: it is still its own, not adopted.
    expect(rollback.PhysicalResourceId).toBe(`${rootId}|${AI}`);
    // Then CloudFormation deletes the replacement, which disables only the type it enabled.
    await remove(out.PhysicalResourceId!, BACKUP);
    expect(await statusOf(BACKUP)).toBeUndefined();
    expect(await statusOf(AI)).toBe('ENABLED');
    // Found again by the rollback's Update, it was claimed again; removed later, it is disabled as its own.
    await setStack(h, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await remove(rollback.PhysicalResourceId!, AI);
    await setStack(h, undefined);
    expect(await statusOf(AI)).toBeUndefined();
  });
});

describe('Delete', () => {
  test('disables a type the stack enabled; isComplete waits until it is gone; a second delete is a no-op', async () => {
    const type = CHATBOT;
    const id = await create(type);
    expect(id).toBe(`${rootId}|${type}`);
    const since = mark();
    await remove(id, type);
    expect(mutatingCalls(h.emulator, since)).toEqual(['DisablePolicyType', 'UntagResource']);
    expect(await statusOf(type)).toBeUndefined();
    expect(await tagsOf(h.organizations, rootId)).not.toHaveProperty([typeKey(type)]);
    const again = mark();
    await expect(enabledPolicyType.onDelete(deleteEvent(T, id, {}), h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, again)).toEqual([]);
  });

  test('a type with a policy still attached (another stack\'s, or attached by hand) stays enabled: disabling it would detach the policy', async () => {
    const type = 'INSPECTOR_POLICY';
    const id = await create(type);
    const content = JSON.stringify({ inspector: { enablement: { ec2_scanning: { enable_in_regions: { '@@assign': ['us-east-1'] } } } } });
    const policy = await h.organizations.send(new CreatePolicyCommand({ Name: 'kept-by-another-stack', Description: '', Type: type, Content: content }));
    await h.organizations.send(new AttachPolicyCommand({ PolicyId: policy.Policy!.PolicySummary!.Id!, TargetId: rootId }));
    const since = mark();
    const ctx = h.context();
    await enabledPolicyType.onDelete(deleteEvent(T, id, { RootId: rootId, PolicyType: type }), ctx);
    expect(mutatingCalls(h.emulator, since)).toEqual(['UntagResource']);
    expect(await statusOf(type)).toBe('ENABLED');
    expect(ctx.log.lines.map(l => l.message)).toContain('leaving the policy type enabled: policies of the type are still attached');
    expect(await tagsOf(h.organizations, rootId)).not.toHaveProperty([typeKey(type)]);
  });

  test('an adopted type stays enabled and nothing is called', async () => {
    const since = mark();
    await remove(`${rootId}|${SCP}|adopted`, SCP);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await statusOf(SCP)).toBe('ENABLED');
  });

  test('an id this handler never returned is ignored', async () => {
    const since = mark();
    await expect(enabledPolicyType.onDelete(deleteEvent(T, 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', {}), h.context())).resolves.toEqual({});
    expect(h.emulator.callLog.length).toBe(since);
  });
});

describe('an organization with consolidated billing only', () => {
  let cb: Harness;
  beforeAll(async () => {
    cb = await startHarness({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
  });
  afterAll(async () => {
    await cb?.stop();
  });

  test('enabling a type is refused with what to do', async () => {
    const cbRoot = (await cb.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    const error = await enabledPolicyType.onCreate(createEvent(T, { RootId: cbRoot, PolicyType: SCP }), cb.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/consolidated billing features .*featureSet to ALL/);
  });
});

test('a replacement by a type that is already enabled adopts it', async () => {
  await h.organizations.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: AI as PolicyType }));
  const out = await enabledPolicyType.onUpdate(updateEvent(T, `${rootId}|${SCP}|adopted`, { RootId: rootId, PolicyType: AI }, { RootId: rootId, PolicyType: SCP }), h.context());
  expect(out.PhysicalResourceId).toBe(`${rootId}|${AI}|adopted`);
  await disableByHand(AI);
});
