import {
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  AttachPolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  PolicyType,
  TagResourceCommand,
  DeletePolicyCommand,
} from '@aws-sdk/client-organizations';
import { bornOwned, createEvent, deleteEvent, Harness, mutatingCalls, ownerId, startHarness, updateEvent } from './harness';
import { parsePolicyProps, policy, sameContent } from '../../lambda/policy';
import { readAdoptionRecord } from '../../lambda/shared/adoption';
import { isError, UserError } from '../../lambda/shared/errors';
import type { HandlerContext } from '../../lambda/shared/types';
import { ResourceType } from '../../src/private/contract';

const SCP = 'SERVICE_CONTROL_POLICY';
const T = ResourceType.POLICY;
const OWNER = 'cdk-organizations:owner';
/** The ownership tag of a policy this resource created. */
const owned = bornOwned();

let h: Harness;
let rootId: string;

/** Enables a policy type on the root and waits until the root says ENABLED (bounded by a count, not a clock). */
async function enableType(type: string): Promise<void> {
  try {
    await h.organizations.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: type as PolicyType }));
  } catch (error) {
    if (!isError(error, 'PolicyTypeAlreadyEnabledException')) throw error;
  }
  for (let i = 0; i < 1000; i++) {
    const root = (await h.organizations.send(new ListRootsCommand({}))).Roots![0];
    if (root.PolicyTypes?.some(p => p.Type === type && p.Status === 'ENABLED')) return;
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error(`${type} never became ENABLED`);
}

let ouCount = 0;
async function newOu(): Promise<string> {
  const out = await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: `ou-${++ouCount}` }));
  return out.OrganizationalUnit!.Id!;
}

const doc = (sid: string, action = 's3:DeleteBucket') => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: sid, Effect: 'Deny', Action: action, Resource: '*' }],
});

let nameCount = 0;
function props(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Name: `policy-${++nameCount}`, Description: 'deny deletes', Type: SCP, Content: doc('One'), ...extra };
}

async function targetsOf(policyId: string): Promise<string[]> {
  const out = await h.organizations.send(new ListTargetsForPolicyCommand({ PolicyId: policyId }));
  return (out.Targets ?? []).map(t => t.TargetId!).sort();
}

async function tagsOf(policyId: string): Promise<Record<string, string>> {
  const out = await h.organizations.send(new ListTagsForResourceCommand({ ResourceId: policyId }));
  return Object.fromEntries((out.Tags ?? []).map(t => [t.Key!, t.Value!]));
}

async function describe_(policyId: string) {
  return (await h.organizations.send(new DescribePolicyCommand({ PolicyId: policyId }))).Policy!;
}

async function exists(policyId: string): Promise<boolean> {
  try {
    await describe_(policyId);
    return true;
  } catch (error) {
    if (isError(error, 'PolicyNotFoundException')) return false;
    throw error;
  }
}

/** Leaves `policyId` as the only SCP attached directly to `targetId`. */
async function makeOnlyScp(policyId: string, targetId: string): Promise<void> {
  await h.organizations.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: targetId }));
  expect(await targetsOf(policyId)).toContain(targetId);
}

const mark = () => h.emulator.callLog.length;

async function create(p: Record<string, unknown>, ctx?: HandlerContext) {
  const out = await policy.onCreate(createEvent(T, p), ctx ?? h.context());
  return { id: out.PhysicalResourceId!, data: out.Data! };
}

beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  await enableType(SCP);
});

afterAll(async () => {
  await h?.stop();
});

describe('parsePolicyProps', () => {
  test('reads every property and removes duplicate targets', () => {
    expect(parsePolicyProps({
      Name: 'n',
      Description: 'd',
      Type: SCP,
      Content: '{}',
      Tags: [{ Key: 'k', Value: 'v' }],
      TargetIds: ['r-ab12', 'r-ab12', '123456789012'],
    })).toEqual({ name: 'n', description: 'd', type: SCP, content: '{}', tags: [{ Key: 'k', Value: 'v' }], targetIds: ['r-ab12', '123456789012'] });
  });

  test('defaults: empty description, no tags, no targets', () => {
    expect(parsePolicyProps({ Name: 'n', Type: SCP, Content: '{}' })).toEqual({ name: 'n', description: '', type: SCP, content: '{}', tags: [], targetIds: [] });
  });

  test.each(['Name', 'Type', 'Content'])('requires %s', (prop) => {
    const p: Record<string, unknown> = { Name: 'n', Type: SCP, Content: '{}' };
    delete p[prop];
    expect(() => parsePolicyProps(p)).toThrow(new RegExp(`Property ${prop} is required`));
  });

  test('rejects a TargetIds that is not a list', () => {
    expect(() => parsePolicyProps({ Name: 'n', Type: SCP, Content: '{}', TargetIds: 'ou-1' })).toThrow(/TargetIds must be a list of strings/);
  });
});

describe('create', () => {
  test('creates the policy with its content, description and tags, attaches it to every target, returns the attributes', async () => {
    const [ou1, ou2] = [await newOu(), await newOu()];
    const p = props({ Tags: [{ Key: 'team', Value: 'core' }], TargetIds: [ou1, ou2] });
    const since = mark();
    const { id, data } = await create(p);

    expect(id).toMatch(/^p-/);
    const described = await describe_(id);
    expect(described.Content).toBe(p.Content);
    expect(described.PolicySummary).toMatchObject({ Name: p.Name, Description: 'deny deletes', Type: SCP });
    expect(await targetsOf(id)).toEqual([ou1, ou2].sort());
    // Born owned: CreatePolicy carries the owner tag along with the declared ones.
    expect(await tagsOf(id)).toEqual({ team: 'core', ...bornOwned() });
    expect(data).toEqual({ Id: id, Arn: described.PolicySummary!.Arn, Name: p.Name, Type: SCP, AwsManaged: 'false' });
    expect(mutatingCalls(h.emulator, since)).toEqual(['CreatePolicy', 'AttachPolicy', 'AttachPolicy']);
  });

  test('the same Create twice converges on one policy, and the retry changes nothing', async () => {
    const ou = await newOu();
    const p = props({ Tags: [{ Key: 'a', Value: '1' }], TargetIds: [ou] });
    const event = createEvent(T, p);
    const first = await policy.onCreate(event, h.context());
    const since = mark();
    const second = await policy.onCreate(event, h.context());
    expect(second).toEqual(first);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    const named = (await h.organizations.send(new ListPoliciesCommand({ Filter: SCP }))).Policies!.filter(x => x.Name === p.Name);
    expect(named).toHaveLength(1);
  });

  test('adopts a policy of the same name and type: content and description updated, tags added, foreign tags kept', async () => {
    const ou = await newOu();
    const name = `adopted-${++nameCount}`;
    const existing = await h.organizations.send(new CreatePolicyCommand({
      Name: name, Description: 'old', Type: SCP, Content: doc('Old'), Tags: [{ Key: 'owner', Value: 'someone' }],
    }));
    const existingId = existing.Policy!.PolicySummary!.Id!;
    const p = props({ Name: name, Content: doc('New'), Tags: [{ Key: 'team', Value: 'core' }], TargetIds: [ou] });
    const since = mark();
    const { id } = await create(p);

    expect(id).toBe(existingId);
    const described = await describe_(id);
    expect(described.Content).toBe(doc('New'));
    expect(described.PolicySummary!.Description).toBe('deny deletes');
    // Adopted, not claimed: without an owner tag, this resource will never detach or delete it.
    const tags = await tagsOf(id);
    expect(tags).toEqual({ 'owner': 'someone', 'team': 'core', 'cdk-organizations:adopted': expect.any(String) });
    // What the adoption changes is recorded first, for the rollback of this operation to put back.
    expect(readAdoptionRecord(new Map(Object.entries(tags)))).toMatchObject({ content: doc('Old'), description: 'old', attached: [ou], tags: { team: null } });
    expect(await targetsOf(id)).toEqual([ou]);
    // Tags (and with them ownership) last, once nothing else can fail.
    expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource', 'UpdatePolicy', 'AttachPolicy', 'TagResource']);
  });

  test('adopting a policy that already matches changes nothing', async () => {
    const p = props();
    await h.organizations.send(new CreatePolicyCommand({ Name: p.Name as string, Description: 'deny deletes', Type: SCP, Content: doc('One') }));
    const since = mark();
    await create(p);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('adopting a policy whose content means the same, with keys in another order and other whitespace, changes nothing', async () => {
    const p = props();
    const reordered = JSON.stringify(JSON.parse(p.Content as string), (_, value) => (value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).reverse()) : value), 2);
    expect(reordered).not.toBe(p.Content);
    await h.organizations.send(new CreatePolicyCommand({ Name: p.Name as string, Description: 'deny deletes', Type: SCP, Content: reordered }));
    const since = mark();
    await create(p);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('content compared by meaning: key order and whitespace do not count, array order and values do', () => {
    expect(sameContent('{"a":1,"b":{"c":[1,2]}}', '{ "b": { "c": [1, 2] }, "a": 1 }')).toBe(true);
    expect(sameContent('{"a":[1,2]}', '{"a":[2,1]}')).toBe(false);
    expect(sameContent('{"a":"1"}', '{"a":1}')).toBe(false);
    expect(sameContent('not json', '{}')).toBe(false);
  });

  test('a policy with the same name but another type is not adopted', async () => {
    await enableType('TAG_POLICY');
    const p = props();
    const tagPolicy = await h.organizations.send(new CreatePolicyCommand({
      Name: p.Name as string, Description: '', Type: 'TAG_POLICY', Content: JSON.stringify({ tags: {} }),
    }));
    const { id } = await create(p);
    expect(id).not.toBe(tagPolicy.Policy!.PolicySummary!.Id);
    expect((await describe_(id)).PolicySummary!.Type).toBe(SCP);
  });

  test('a creator racing between the look-up and CreatePolicy: DuplicatePolicyException is resolved by adopting', async () => {
    const p = props({ Content: doc('Mine') });
    let raced = false;
    let racerId = '';
    // A second writer creates the policy right after our ListPolicies saw none.
    const racing = {
      send: async (command: any) => {
        const out = await h.organizations.send(command);
        if (command instanceof ListPoliciesCommand && !raced) {
          raced = true;
          const made = await h.organizations.send(new CreatePolicyCommand({ Name: p.Name as string, Description: 'theirs', Type: SCP, Content: doc('Theirs') }));
          racerId = made.Policy!.PolicySummary!.Id!;
        }
        return out;
      },
    } as unknown as OrganizationsClient;
    const { id } = await create(p, h.context({ organizations: racing }));
    expect(raced).toBe(true);
    expect(id).toBe(racerId);
    expect((await describe_(id)).Content).toBe(doc('Mine'));
    expect(h.emulator.callLog.some(c => c.operation === 'CreatePolicy' && /DuplicatePolicy/.test(JSON.stringify(c.outcome)))).toBe(true);
  });

  test('the name of an AWS-managed policy is refused, naming the importer to use', async () => {
    const since = mark();
    await expect(create(props({ Name: 'FullAWSAccess' }))).rejects.toThrow(/"FullAWSAccess".*name of an AWS-managed policy \(p-FullAWSAccess\).*Policy.fromPolicyId\('p-FullAWSAccess'\)/);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a policy type not enabled on the root: actionable message, and the policy created for it is removed again', async () => {
    const ou = await newOu();
    const p = props({ Type: 'BACKUP_POLICY', Content: JSON.stringify({ plans: {} }), TargetIds: [ou] });
    const since = mark();
    const error = await create(p).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/policy type BACKUP_POLICY is not enabled on the organization's root/);
    expect(error.message).toMatch(/organization\.enablePolicyType\(BACKUP_POLICY\)/);
    expect(error.message).toContain(`"${p.Name}"`);
    expect(mutatingCalls(h.emulator, since)).toEqual(['CreatePolicy', 'AttachPolicy', 'DeletePolicy']);
    const left = (await h.organizations.send(new ListPoliciesCommand({ Filter: 'BACKUP_POLICY' }))).Policies!.filter(x => x.Name === p.Name);
    expect(left).toEqual([]);
  });

  test('malformed content: the message names the policy and the rule', async () => {
    const p = props({ Content: '{"Version":"2012-10-17","Statement":' });
    const error = await create(p).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`Policy "${p.Name}" \\(SERVICE_CONTROL_POLICY\\): AWS Organizations rejected the Content as malformed`));
    const left = (await h.organizations.send(new ListPoliciesCommand({ Filter: SCP }))).Policies!.filter(x => x.Name === p.Name);
    expect(left).toEqual([]);
  });

  test('a target that does not exist: the message names it', async () => {
    const p = props({ TargetIds: ['ou-zzzz-zzzzzzzz'] });
    await expect(create(p)).rejects.toThrow(/Cannot attach policy ".*" \(p-.*\) to ou-zzzz-zzzzzzzz: the target does not exist/);
  });
});

describe('update', () => {
  async function created(extra: Record<string, unknown> = {}) {
    const p = props(extra);
    const { id } = await create(p);
    return { p, id };
  }
  const update = (id: string, p: Record<string, unknown>, old: Record<string, unknown>, ctx?: HandlerContext) =>
    policy.onUpdate(updateEvent(T, id, p, old), ctx ?? h.context());

  test.each<[string, (p: Record<string, unknown>) => Record<string, unknown>]>([
    ['Name', p => ({ Name: `${p.Name}-renamed` })],
    ['Description', () => ({ Description: 'a new description' })],
    ['Content', () => ({ Content: doc('Two', 'ec2:*') })],
  ])('%s changes in place with one UpdatePolicy carrying only that field', async (field, change) => {
    const { p, id } = await created();
    const next = { ...p, ...change(p) };
    const since = mark();
    const out = await update(id, next, p);
    expect(out.PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual(['UpdatePolicy']);
    const call = h.emulator.callLog.slice(since).find(c => c.operation === 'UpdatePolicy')!;
    expect(Object.keys(call.request).filter(k => k !== 'PolicyId')).toEqual([field]);
    const described = await describe_(id);
    expect({ Name: described.PolicySummary!.Name, Description: described.PolicySummary!.Description, Content: described.Content })
      .toEqual({ Name: next.Name, Description: next.Description, Content: next.Content });
    expect(out.Data!.Name).toBe(next.Name);
  });

  test('tags: added, changed and removed keys are applied; tags the stack never declared stay', async () => {
    const { p, id } = await created({ Tags: [{ Key: 'keep', Value: '1' }, { Key: 'change', Value: 'a' }, { Key: 'drop', Value: 'x' }] });
    await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'foreign', Value: 'f' }] }));
    const next = { ...p, Tags: [{ Key: 'keep', Value: '1' }, { Key: 'change', Value: 'b' }, { Key: 'add', Value: 'new' }] };
    const since = mark();
    await update(id, next, p);
    expect(await tagsOf(id)).toEqual({ keep: '1', change: 'b', add: 'new', foreign: 'f', ...owned });
    expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource', 'UntagResource']);
  });

  test('targets: added ones are attached, removed ones detached, the others untouched', async () => {
    const [a, b, c] = [await newOu(), await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a, b] });
    const since = mark();
    await update(id, { ...p, TargetIds: [b, c] }, p);
    expect(await targetsOf(id)).toEqual([b, c].sort());
    const calls = h.emulator.callLog.slice(since).filter(c2 => /^(Attach|Detach)Policy$/.test(c2.operation));
    expect(calls.map(c2 => [c2.operation, c2.request.TargetId])).toEqual([['AttachPolicy', c], ['DetachPolicy', a]]);
  });

  test('the same Update twice: the retry changes nothing', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a], Tags: [{ Key: 'x', Value: '1' }] });
    const next = { ...p, Description: 'v2', Content: doc('V2'), Tags: [{ Key: 'y', Value: '2' }], TargetIds: [b] };
    const event = updateEvent(T, id, next, p);
    await policy.onUpdate(event, h.context());
    const since = mark();
    const again = await policy.onUpdate(event, h.context());
    expect(again.PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('rollback: an update followed by the reverse update restores every field', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a], Tags: [{ Key: 'x', Value: '1' }] });
    const next = { ...p, Name: `${p.Name}-v2`, Description: 'v2', Content: doc('V2'), Tags: [{ Key: 'y', Value: '2' }], TargetIds: [b] };
    await update(id, next, p);
    await update(id, p, next);
    const described = await describe_(id);
    expect(described.PolicySummary).toMatchObject({ Name: p.Name, Description: p.Description });
    expect(described.Content).toBe(p.Content);
    expect(await tagsOf(id)).toEqual({ x: '1', ...owned });
    expect(await targetsOf(id)).toEqual([a]);
  });

  test('rollback after a partial update (an attach refused midway) converges back', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a] });
    const next = { ...p, Content: doc('V2'), TargetIds: [a, b, 'ou-zzzz-zzzzzzzz'] };
    await expect(update(id, next, p)).rejects.toThrow(/ou-zzzz-zzzzzzzz: the target does not exist/);
    expect(await targetsOf(id)).toEqual([a, b].sort());
    await update(id, p, next);
    expect(await targetsOf(id)).toEqual([a]);
    expect((await describe_(id)).Content).toBe(p.Content);
  });

  test('a Type change replaces the policy: a new one of the new type on the new targets; deleting the old one detaches it', async () => {
    await enableType('TAG_POLICY');
    const [a, b] = [await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a] });
    const next = { ...p, Type: 'TAG_POLICY', Content: JSON.stringify({ tags: { team: { tag_key: { '@@assign': 'team' } } } }), TargetIds: [b] };
    const out = await update(id, next, p);
    const newId = out.PhysicalResourceId!;
    expect(newId).not.toBe(id);
    expect((await describe_(newId)).PolicySummary).toMatchObject({ Name: p.Name, Type: 'TAG_POLICY' });
    expect(out.Data).toMatchObject({ Id: newId, Type: 'TAG_POLICY' });
    expect(await targetsOf(newId)).toEqual([b]);
    // Until CloudFormation deletes it, the old policy is untouched.
    expect(await targetsOf(id)).toEqual([a]);
    await policy.onDelete(deleteEvent(T, id, p), h.context());
    expect(await exists(id)).toBe(false);
    expect(await exists(newId)).toBe(true);
  });

  test('a Type change rolled back: the old policy is found again, still its own, and the replacement\'s Delete deletes only the new one', async () => {
    await enableType('TAG_POLICY');
    const { p, id } = await created();
    const next = { ...p, Type: 'TAG_POLICY', Content: JSON.stringify({ tags: {} }) };
    const out = await update(id, next, p);
    const newId = out.PhysicalResourceId!;
    const back = await update(newId, p, next);
    expect(back.PhysicalResourceId).toBe(id);
    // Found again by the rollback's Update, it is claimed again: the rollback's cleanup may not delete what existed before.
    expect(await tagsOf(id)).toEqual({ [OWNER]: ownerId(), 'cdk-organizations:previous-owner': ownerId() });
    await policy.onDelete(deleteEvent(T, newId, next), h.context());
    expect(await exists(newId)).toBe(false);
    expect(await exists(id)).toBe(true);
  });

  test('a policy deleted outside CloudFormation is created again under a new id', async () => {
    const { p, id } = await created();
    await h.organizations.send(new DeletePolicyCommand({ PolicyId: id }));
    const out = await update(id, { ...p, Description: 'v2' }, p);
    expect(out.PhysicalResourceId).not.toBe(id);
    expect((await describe_(out.PhysicalResourceId!)).PolicySummary!.Description).toBe('v2');
  });

  test('removing the last SCP of a target is refused before anything changes', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const { p, id } = await created({ TargetIds: [a, b] });
    await makeOnlyScp(id, a);
    const next = { ...p, Description: 'v2', Tags: [{ Key: 'new', Value: '1' }], TargetIds: [] };
    const since = mark();
    const error = await update(id, next, p).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`Cannot detach policy "${p.Name}" \\(${id}\\) from ${a}: it is the only service control policy`));
    expect(error.message).toMatch(/at least one SCP.*Attach another SCP to .* first \(for example the AWS-managed FullAWSAccess policy, p-FullAWSAccess\)/);
    expect(error.message).not.toContain(b);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await targetsOf(id)).toEqual([a, b].sort());
    expect((await describe_(id)).PolicySummary!.Description).toBe(p.Description);
  });

  test('renaming to the name of another policy of the type: the message says so', async () => {
    const other = await created();
    const { p, id } = await created();
    await expect(update(id, { ...p, Name: other.p.Name }, p)).rejects.toThrow(
      new RegExp(`cannot rename ${id} to "${other.p.Name}", another SERVICE_CONTROL_POLICY policy already has that name`));
  });
});

describe('delete', () => {
  const remove = (id: string, p: Record<string, unknown>) => policy.onDelete(deleteEvent(T, id, p), h.context());

  test('detaches the policy from the targets of this stack, then deletes it; a second Delete is a no-op', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const p = props({ TargetIds: [a, b] });
    const { id } = await create(p);
    const since = mark();
    await remove(id, p);
    expect(mutatingCalls(h.emulator, since)).toEqual(['DetachPolicy', 'DetachPolicy', 'DeletePolicy']);
    expect(await exists(id)).toBe(false);
    const again = mark();
    await expect(remove(id, p)).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, again)).toEqual([]);
  });

  test('a policy still attached to a target this stack does not own: refused, naming it, and nothing is detached', async () => {
    const [mine, theirs] = [await newOu(), await newOu()];
    const p = props({ TargetIds: [mine] });
    const { id } = await create(p);
    await h.organizations.send(new AttachPolicyCommand({ PolicyId: id, TargetId: theirs }));
    const since = mark();
    const error = await remove(id, p).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`Cannot delete policy "${p.Name}" \\(${id}\\): it is still attached to ${theirs}`));
    expect(error.message).toMatch(/ORGANIZATIONAL_UNIT/);
    expect(error.message).toMatch(/Nothing was detached/);
    expect(error.message).not.toContain(mine);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await targetsOf(id)).toEqual([mine, theirs].sort());
  });

  test('the last SCP of one of its own targets: refused before anything is detached', async () => {
    const [a, b] = [await newOu(), await newOu()];
    const p = props({ TargetIds: [a, b] });
    const { id } = await create(p);
    await makeOnlyScp(id, b);
    const since = mark();
    await expect(remove(id, p)).rejects.toThrow(new RegExp(`from ${b}: it is the only service control policy`));
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await targetsOf(id)).toEqual([a, b].sort());
  });

  test('an id this handler never returned (a failed Create) makes no call', async () => {
    const since = mark();
    await expect(remove('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', props())).resolves.toEqual({});
    expect(h.emulator.callLog.length).toBe(since);
  });
});
