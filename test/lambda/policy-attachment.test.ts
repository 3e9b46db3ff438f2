import {
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  AttachPolicyCommand,
  OrganizationsClient,
  PolicyType,
} from '@aws-sdk/client-organizations';
import { createEvent, deleteEvent, Harness, mutatingCalls, ownerId, startHarness, tagsOf, updateEvent } from './harness';
import { attachmentPhysicalId, parseAttachmentPhysicalId, parsePolicyAttachmentProps, policyAttachment } from '../../lambda/policy-attachment';
import { isError, UserError } from '../../lambda/shared/errors';
import { ResourceType } from '../../src/private/contract';

const SCP = 'SERVICE_CONTROL_POLICY';
const T = ResourceType.POLICY_ATTACHMENT;

let h: Harness;
let rootId: string;

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

let count = 0;
async function newOu(): Promise<string> {
  const out = await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: `att-ou-${++count}` }));
  return out.OrganizationalUnit!.Id!;
}

async function newPolicy(type = SCP, content?: string): Promise<string> {
  const out = await h.organizations.send(new CreatePolicyCommand({
    Name: `att-policy-${++count}`,
    Description: '',
    Type: type as PolicyType,
    Content: content ?? JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }] }),
  }));
  return out.Policy!.PolicySummary!.Id!;
}

async function policiesOn(targetId: string, type = SCP): Promise<string[]> {
  const out = await h.organizations.send(new ListPoliciesForTargetCommand({ TargetId: targetId, Filter: type as PolicyType }));
  return (out.Policies ?? []).map(p => p.Id!).sort();
}

const mark = () => h.emulator.callLog.length;
const props = (policyId: string, targetId: string) => ({ PolicyId: policyId, TargetId: targetId });

beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  await enableType(SCP);
});

afterAll(async () => {
  await h?.stop();
});

describe('properties and physical ids', () => {
  test('parses PolicyId and TargetId, both required', () => {
    expect(parsePolicyAttachmentProps({ PolicyId: 'p-12345678', TargetId: 'r-ab12' })).toEqual({ policyId: 'p-12345678', targetId: 'r-ab12' });
    expect(() => parsePolicyAttachmentProps({ PolicyId: 'p-12345678' })).toThrow(/Property TargetId is required/);
  });

  test('the physical id is <policyId>|<targetId> and reads back', () => {
    const spec = { policyId: 'p-FullAWSAccess', targetId: 'ou-ab12-cdef3456' };
    expect(attachmentPhysicalId(spec)).toBe('p-FullAWSAccess|ou-ab12-cdef3456');
    expect(parseAttachmentPhysicalId('p-FullAWSAccess|ou-ab12-cdef3456')).toEqual(spec);
    expect(parseAttachmentPhysicalId('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED')).toBeUndefined();
  });
});

describe('create', () => {
  test('attaches the policy and returns <policyId>|<targetId>', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    const out = await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context());
    expect(out.PhysicalResourceId).toBe(`${policyId}|${ou}`);
    expect(await policiesOn(ou)).toContain(policyId);
  });

  test.each([
    ['the root', () => rootId],
    ['an account', () => h.emulator.managementAccountId],
  ])('attaches to %s, and the Delete detaches from it', async (_, target) => {
    const [policyId, targetId] = [await newPolicy(), target()];
    const out = await policyAttachment.onCreate(createEvent(T, props(policyId, targetId)), h.context());
    expect(out.PhysicalResourceId).toBe(`${policyId}|${targetId}`);
    expect(await policiesOn(targetId)).toContain(policyId);
    await policyAttachment.onDelete(deleteEvent(T, out.PhysicalResourceId!, props(policyId, targetId)), h.context());
    expect(await policiesOn(targetId)).not.toContain(policyId);
  });

  test('records the attachment on the target; a retried Create finds it by that tag and attaches nothing more', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    const event = createEvent(T, props(policyId, ou));
    await policyAttachment.onCreate(event, h.context());
    expect(await tagsOf(h.organizations, ou)).toEqual({ [`cdk-organizations:attachment/${policyId}`]: ownerId() });
    const since = mark();
    await expect(policyAttachment.onCreate(event, h.context())).resolves.toEqual({ PhysicalResourceId: `${policyId}|${ou}` });
    // A retry cannot tell its own request's work from an earlier operation's (no creation marker on the
    // root's tags): it claims it again, which a rollback leaves in place and a removal still destroys.
    expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource']);
    expect(await policiesOn(ou)).toEqual(['p-FullAWSAccess', policyId].sort());
  });

  test('an attachment made by someone else between the look and AttachPolicy is adopted (DuplicatePolicyAttachmentException)', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    let raced = false;
    const organizations = {
      send: async (command: { constructor: { name: string } }) => {
        if (!raced && command.constructor.name === 'AttachPolicyCommand') {
          raced = true;
          await h.organizations.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: ou }));
        }
        return h.organizations.send(command as any);
      },
    } as unknown as OrganizationsClient;
    await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context({ organizations }));
    expect(h.emulator.callLog.filter(c => c.operation === 'AttachPolicy').slice(-1).map(c => JSON.stringify(c.outcome)))
      .toEqual([expect.stringMatching(/DuplicatePolicyAttachment/)]);
    // Not this resource's: no tag, and its Delete leaves the attachment in place.
    expect(await tagsOf(h.organizations, ou)).toEqual({});
    await policyAttachment.onDelete(deleteEvent(T, `${policyId}|${ou}`, props(policyId, ou)), h.context());
    expect(await policiesOn(ou)).toContain(policyId);
  });

  test('attaches the AWS-managed FullAWSAccess policy', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context());
    await h.organizations.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
    const out = await policyAttachment.onCreate(createEvent(T, props('p-FullAWSAccess', ou)), h.context());
    expect(out.PhysicalResourceId).toBe(`p-FullAWSAccess|${ou}`);
    expect(await policiesOn(ou)).toEqual(['p-FullAWSAccess', policyId].sort());
  });

  test('a policy that does not exist: the message names the PolicyId', async () => {
    const ou = await newOu();
    await expect(policyAttachment.onCreate(createEvent(T, props('p-doesnotexist1', ou)), h.context()))
      .rejects.toThrow(/Cannot attach policy p-doesnotexist1 to .*: the policy does not exist in this organization.*Check the PolicyId/);
  });

  test('a policy type not enabled on the root: the message says how to enable it, and nothing is attached', async () => {
    const [policyId, ou] = [await newPolicy('AISERVICES_OPT_OUT_POLICY', JSON.stringify({ services: {} })), await newOu()];
    const error = await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/policy type AISERVICES_OPT_OUT_POLICY is not enabled on the organization's root.*enablePolicyType\(AISERVICES_OPT_OUT_POLICY\)/);
    expect(await policiesOn(ou, 'AISERVICES_OPT_OUT_POLICY').catch(() => [])).toEqual([]);
  });
});

describe('update', () => {
  test('a new target is attached under a new physical id; deleting the old id then detaches the old pair', async () => {
    const [policyId, a, b] = [await newPolicy(), await newOu(), await newOu()];
    const old = await policyAttachment.onCreate(createEvent(T, props(policyId, a)), h.context());
    const out = await policyAttachment.onUpdate(updateEvent(T, old.PhysicalResourceId!, props(policyId, b), props(policyId, a)), h.context());
    expect(out.PhysicalResourceId).toBe(`${policyId}|${b}`);
    expect(await policiesOn(b)).toContain(policyId);
    expect(await policiesOn(a)).toContain(policyId);
    await policyAttachment.onDelete(deleteEvent(T, old.PhysicalResourceId!, props(policyId, a)), h.context());
    expect(await policiesOn(a)).not.toContain(policyId);
  });

  test('a new policy on the same target: the new one is attached before the old one goes, so the last-SCP rule never bites', async () => {
    const [p1, p2, ou] = [await newPolicy(), await newPolicy(), await newOu()];
    await policyAttachment.onCreate(createEvent(T, props(p1, ou)), h.context());
    await h.organizations.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
    const out = await policyAttachment.onUpdate(updateEvent(T, `${p1}|${ou}`, props(p2, ou), props(p1, ou)), h.context());
    expect(out.PhysicalResourceId).toBe(`${p2}|${ou}`);
    await policyAttachment.onDelete(deleteEvent(T, `${p1}|${ou}`, props(p1, ou)), h.context());
    expect(await policiesOn(ou)).toEqual([p2]);
  });
});

describe('delete', () => {
  test('detaches and removes the ownership tag; a second Delete is done without any change', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    const created = await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context());
    const event = deleteEvent(T, created.PhysicalResourceId!, props(policyId, ou));
    const since = mark();
    await policyAttachment.onDelete(event, h.context());
    expect(await policiesOn(ou)).toEqual(['p-FullAWSAccess']);
    expect(mutatingCalls(h.emulator, since)).toEqual(['DetachPolicy', 'UntagResource']);
    expect(await tagsOf(h.organizations, ou)).toEqual({});
    const again = mark();
    await expect(policyAttachment.onDelete(event, h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, again)).toEqual([]);
  });

  test('a policy that no longer exists is done: only the ownership tag is removed', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context());
    await h.organizations.send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: ou }));
    await h.organizations.send(new DeletePolicyCommand({ PolicyId: policyId }));
    const since = mark();
    await expect(policyAttachment.onDelete(deleteEvent(T, `${policyId}|${ou}`, props(policyId, ou)), h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, since)).toEqual(['UntagResource']);
    expect(await tagsOf(h.organizations, ou)).toEqual({});
  });

  test('a target that no longer exists is done', async () => {
    const policyId = await newPolicy();
    await expect(policyAttachment.onDelete(deleteEvent(T, `${policyId}|ou-zzzz-zzzzzzzz`, props(policyId, 'ou-zzzz-zzzzzzzz')), h.context())).resolves.toEqual({});
  });

  test('detaching the last SCP of a target is refused with the rule explained, and nothing is detached', async () => {
    const [policyId, ou] = [await newPolicy(), await newOu()];
    await policyAttachment.onCreate(createEvent(T, props(policyId, ou)), h.context());
    await h.organizations.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
    const since = mark();
    const error = await policyAttachment.onDelete(deleteEvent(T, `${policyId}|${ou}`, props(policyId, ou)), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`Cannot detach policy "att-policy-\\d+" \\(${policyId}\\) from ${ou}: it is the only service control policy`));
    expect(error.message).toMatch(/requires every root, OU and account to keep at least one SCP.*FullAWSAccess/);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await policiesOn(ou)).toEqual([policyId]);
  });
});
