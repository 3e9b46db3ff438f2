/**
 * Ownership (lambda/shared/ownership.ts): a resource destroys only what it created or took over.
 * The rules first, then the same five lifecycles for every resource type against the emulator:
 * a construct renamed (new logical id), the rename rolled back, a thing made outside the stack, a
 * retried Create, and an update that changes nothing.
 */
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeleteOrganizationCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  PolicyType,
  RegisterDelegatedAdministratorCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import { createEvent, deleteEvent, Harness, mutatingCalls, ownerId, setStack, startHarness, tagsOf, updateEvent } from './harness';
import { handlers } from '../../lambda/index';
import { isError, UserError } from '../../lambda/shared/errors';
import {
  assertNoOwnershipKeys,
  claimChanges,
  createdMarker,
  decideDelete,
  OwnershipKeys,
  OwnershipTags,
  ownerOf,
  parseCreatedMarker,
  tagLimitMessage,
} from '../../lambda/shared/ownership';
import { syncTags } from '../../lambda/shared/tags';
import type { DeleteEvent, OnEventRequest, Properties } from '../../lambda/shared/types';
import { ResourceType, ResourceTypeName } from '../../src/private/contract';

const OWNER = 'cdk-organizations:owner';
const PREVIOUS = 'cdk-organizations:previous-owner';

describe('the rules', () => {
  test('the owner identity is <stackName>/<LogicalResourceId>, the stack name read from the StackId ARN', () => {
    expect(ownerOf({ StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Org-Prod/1b2c3d4e-aaaa-bbbb-cccc-000000000000', LogicalResourceId: 'ProdOu1A2B3C' }))
      .toBe('Org-Prod/ProdOu1A2B3C');
    expect(ownerOf({ StackId: 'arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/s/x', LogicalResourceId: 'A' })).toBe('s/A');
  });

  test('an identity longer than a tag value (256) keeps a readable start and a stable hash of the whole', () => {
    const stack = `S${'x'.repeat(127)}`;
    const long = (id: string) => ownerOf({ StackId: `arn:aws:cloudformation:us-east-1:1:stack/${stack}/u`, LogicalResourceId: id });
    const a = long('A'.repeat(255));
    const b = long(`${'A'.repeat(254)}B`);
    expect(a.length).toBeLessThanOrEqual(256);
    expect(a.startsWith(`${stack}/AAAA`)).toBe(true);
    expect(a).toMatch(/\+[0-9a-f]{40}$/);
    expect(long('A'.repeat(255))).toBe(a);
    expect(b).not.toBe(a);
  });

  test('one function per purpose builds the keys; every key and its /previous fit in 128 characters', () => {
    expect(OwnershipTags.resource()).toEqual({ owner: OWNER, previous: PREVIOUS });
    expect(OwnershipTags.policyType('TAG_POLICY')).toEqual({
      owner: 'cdk-organizations:policy-type/TAG_POLICY', previous: 'cdk-organizations:policy-type/TAG_POLICY/previous',
    });
    expect(OwnershipTags.trustedAccess('sso.amazonaws.com').owner).toBe('cdk-organizations:trusted-access/sso.amazonaws.com');
    expect(OwnershipTags.delegatedAdministrator('guardduty.amazonaws.com').owner).toBe('cdk-organizations:delegated-administrator/guardduty.amazonaws.com');
    expect(OwnershipTags.attachment('p-12345678').owner).toBe('cdk-organizations:attachment/p-12345678');
    expect(OwnershipTags.organization()).toEqual({ owner: 'cdk-organizations:organization', previous: 'cdk-organizations:organization/previous' });

    const principal = `${'very-long-service-name.'.repeat(4)}amazonaws.com`;
    const keys = OwnershipTags.delegatedAdministrator(principal);
    expect(keys.previous.length).toBeLessThanOrEqual(128);
    expect(keys.owner).toMatch(/^cdk-organizations:delegated-administrator\/very-long-service-name\..*\+[0-9a-f]{16}$/);
    expect(OwnershipTags.delegatedAdministrator(principal)).toEqual(keys);
    expect(OwnershipTags.delegatedAdministrator(`${principal}x`).owner).not.toBe(keys.owner);
  });

  const keys: OwnershipKeys = OwnershipTags.resource();
  const MARK = createdMarker('req-1', 1_000);
  test.each([
    ['created by this request', {}, { created: true }, 'created', [{ Key: OWNER, Value: 'me' }], []],
    ['created, a stale previous owner dropped', { previous: 'x' }, { created: true }, 'created', [{ Key: OWNER, Value: 'me' }], [PREVIOUS]],
    ['found without owner: adopted, not claimed', {}, { created: false }, 'adopted', [], []],
    ['found with my tag and the marker of this request: a retry or a poll', { owner: 'me', previous: MARK }, { created: false, requestId: 'req-1' }, 'mine', [], []],
    ['found with my tag and the marker of another request: made by an earlier operation, claimed again', { owner: 'me', previous: MARK },
      { created: false, requestId: 'req-2' }, 'reclaimed', [{ Key: PREVIOUS, Value: 'me' }], []],
    ['found with my tag and no marker by a Create: claimed again', { owner: 'me' }, { created: false, requestId: 'req-2' }, 'reclaimed', [{ Key: PREVIOUS, Value: 'me' }], []],
    ['found with my tag during my own takeover: the previous owner stays', { owner: 'me', previous: 'them' }, { created: false }, 'mine', [], []],
    ['found with another owner: taken over', { owner: 'them' }, { created: false }, 'takeover', [{ Key: OWNER, Value: 'me' }, { Key: PREVIOUS, Value: 'them' }], []],
    ['an Update keeps the creation marker', { owner: 'me', previous: MARK }, { created: false, confirm: true }, 'mine', [], []],
    ['an Update makes a claim of an earlier Create of its own final', { owner: 'me', previous: 'me' }, { created: false, confirm: true }, 'mine', [], [PREVIOUS]],
  ] as const)('claim: %s', (_, current, request, claim, set, remove) => {
    expect(claimChanges(current, keys, { me: 'me', ...request })).toEqual({ claim, changes: { set, remove } });
  });

  test.each([
    ['an Update confirms a takeover from the same stack (the old logical id was renamed away)', 'stack/Old', [PREVIOUS]],
    ['an Update keeps a previous owner of another stack (which may still declare it)', 'other/Old', []],
  ])('claim: %s', (_, previous, remove) => {
    expect(claimChanges({ owner: 'stack/New', previous }, keys, { me: 'stack/New', created: false, confirm: true })).toEqual({ claim: 'mine', changes: { set: [], remove } });
  });

  test.each([
    ['no owner: adopted, left in place', {}, undefined, { kind: 'adopted' }],
    ['owned by me alone: destroyed', { owner: 'me' }, undefined, { kind: 'destroy' }],
    ['owned by me, made by a Create (marker): destroyed, in a rollback too', { owner: 'me', previous: MARK }, { phase: 'rollback' }, { kind: 'destroy' }],
    ['owned by me, previously by P, CloudFormation silent: given back to P', { owner: 'me', previous: 'P' }, undefined, { kind: 'restore', owner: 'P' }],
    ['owned by me, previously by P, in a rollback: my takeover is undone', { owner: 'me', previous: 'P' }, { phase: 'rollback', previousGone: true }, { kind: 'restore', owner: 'P' }],
    ['owned by me, previously by P whose resource still exists: given back to P', { owner: 'me', previous: 'P' }, { phase: 'forward', previousGone: false }, { kind: 'restore', owner: 'P' }],
    ['owned by me, previously by P whose resource is gone, not a rollback: the takeover is final, destroyed', { owner: 'me', previous: 'P' },
      { phase: 'forward', previousGone: true }, { kind: 'destroy' }],
    ['claimed again from an earlier operation, in a rollback: left as it was', { owner: 'me', previous: 'me' }, { phase: 'rollback' }, { kind: 'restore', owner: 'me' }],
    ['claimed again from an earlier operation, not a rollback: destroyed as declared', { owner: 'me', previous: 'me' }, { phase: 'forward' }, { kind: 'destroy' }],
    ['owned by O, previously by me: the cleanup after O took over', { owner: 'O', previous: 'me' }, undefined, { kind: 'release', owner: 'O' }],
    ['owned by O: left to O', { owner: 'O' }, undefined, { kind: 'foreign', owner: 'O' }],
    ['owned by O, previously by P: left to O', { owner: 'O', previous: 'P' }, undefined, { kind: 'foreign', owner: 'O' }],
  ] as const)('delete: %s', (_, current, facts, decision) => {
    expect(decideDelete(current, 'me', facts)).toEqual(decision);
  });

  test('user tags under the prefix are refused, naming the key, whatever its case', () => {
    expect(() => assertNoOwnershipKeys([{ Key: 'team', Value: 'a' }], 'Tags', 'OU "Prod"')).not.toThrow();
    expect(() => assertNoOwnershipKeys([{ Key: 'CDK-Organizations:owner', Value: 'me' }], 'Tags', 'OU "Prod"'))
      .toThrow(/^OU "Prod": the tag key "CDK-Organizations:owner" in Tags uses the prefix "cdk-organizations:", which cdk-organizations reserves.*Rename the tag\.$/);
  });

  test('a full tag quota names the resource, the limit and the way out', () => {
    expect(tagLimitMessage('policy type TAG_POLICY on root r-ab12', 'r-ab12'))
      .toMatch(/^Cannot tag policy type TAG_POLICY on root r-ab12: r-ab12 would have more than 50 tags.*MAX_TAG_LIMIT_EXCEEDED.*"cdk-organizations:".*Remove tags set on r-ab12 outside the stack \(`aws organizations untag-resource --resource-id r-ab12 --tag-keys <key>`\)/);
    expect(tagLimitMessage('account "A" (123456789012)', '123456789012', 49)).toMatch(/the 49 Tags this stack declares.*Declare at most 48 Tags/);
  });
});

let h: Harness;
let bare: Harness;
let rootId: string;
let member: string;
let count = 0;
const unique = (prefix: string) => `${prefix}-${++count}`;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function waitForAccount(harness: Harness, requestId: string): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const out = await harness.organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }));
    const status = out.CreateAccountStatus!;
    if (status.State === 'SUCCEEDED') return status.AccountId!;
    if (status.State === 'FAILED') throw new Error(`CreateAccount failed: ${status.FailureReason}`);
    await sleep(5);
  }
  throw new Error('CreateAccount never finished');
}

async function enableType(type: string): Promise<void> {
  try {
    await h.organizations.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: type as PolicyType }));
  } catch (error) {
    if (!isError(error, 'PolicyTypeAlreadyEnabledException')) throw error;
  }
  for (let i = 0; i < 1000 && await typeStatus(type) !== 'ENABLED'; i++) await sleep(5);
}

async function typeStatus(type: string): Promise<string | undefined> {
  const root = (await h.organizations.send(new ListRootsCommand({}))).Roots![0];
  return root.PolicyTypes?.find(p => p.Type === type)?.Status;
}

async function newOu(): Promise<string> {
  return (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: unique('target') }))).OrganizationalUnit!.Id!;
}

const scp = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] });

/** Everything a lifecycle needs to know about one resource type. */
interface Subject {
  readonly type: ResourceTypeName;
  readonly harness: () => Harness;
  /** Properties of a thing no earlier test used. */
  props(): Promise<Properties>;
  /** The thing, made outside the stack. */
  makeByHand(props: Properties): Promise<void>;
  /** Whether the thing exists (and is not closed, disabled, detached or deregistered). */
  alive(physicalId: string, props: Properties): Promise<boolean>;
  /** The ownership tags of the thing, wherever they live. */
  ownership(physicalId: string, props: Properties): Promise<{ owner?: string; previous?: string }>;
}

/** The owner and the previous owner; a creation marker (the request that made the thing) is not an owner. */
function readKeys(tags: Record<string, string>, keys: OwnershipKeys) {
  const previous = tags[keys.previous];
  return { owner: tags[keys.owner], previous: parseCreatedMarker(previous) ? undefined : previous };
}

const types = ['TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY', 'CHATBOT_POLICY', 'DECLARATIVE_POLICY_EC2', 'SECURITYHUB_POLICY', 'INSPECTOR_POLICY', 'BEDROCK_POLICY', 'S3_POLICY'];
const principals = ['guardduty.amazonaws.com', 'securityhub.amazonaws.com', 'macie.amazonaws.com', 'detective.amazonaws.com', 'inspector2.amazonaws.com',
  'ram.amazonaws.com', 'ssm.amazonaws.com', 'sso.amazonaws.com', 'ipam.amazonaws.com', 'servicecatalog.amazonaws.com', 'license-manager.amazonaws.com',
  'networkmanager.amazonaws.com', 'securitylake.amazonaws.com', 'wellarchitected.amazonaws.com', 'iam.amazonaws.com',
  'access-analyzer.amazonaws.com', 'auditmanager.amazonaws.com', 'backup.amazonaws.com', 'member.org.stacksets.cloudformation.amazonaws.com',
  'config.amazonaws.com', 'compute-optimizer.amazonaws.com', 'devops-guru.amazonaws.com', 'fms.amazonaws.com', 'health.amazonaws.com',
  'resource-explorer-2.amazonaws.com', 'servicequotas.amazonaws.com', 'security-ir.amazonaws.com', 'storage-lens.s3.amazonaws.com',
  'trustedadvisor.amazonaws.com', 'cost-optimization-hub.bcm.amazonaws.com'];
let nextType = 0;
let nextPrincipal = 0;

const subjects: Subject[] = [
  {
    type: ResourceType.ORGANIZATIONAL_UNIT,
    harness: () => h,
    props: async () => ({ Name: unique('ou'), ParentId: rootId }),
    makeByHand: async p => {
      await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: p.ParentId as string, Name: p.Name as string }));
    },
    alive: async id => h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id })).then(() => true, () => false),
    ownership: async id => readKeys(await tagsOf(h.organizations, id), OwnershipTags.resource()),
  },
  {
    type: ResourceType.ACCOUNT,
    harness: () => h,
    props: async () => {
      const name = unique('acct');
      return { AccountName: name, Email: `${name}@example.com`, RemovalAction: 'CLOSE' };
    },
    makeByHand: async p => {
      const out = await h.organizations.send(new CreateAccountCommand({ AccountName: p.AccountName as string, Email: p.Email as string }));
      await waitForAccount(h, out.CreateAccountStatus!.Id!);
    },
    alive: async id => (await h.organizations.send(new DescribeAccountCommand({ AccountId: id }))).Account!.State === 'ACTIVE',
    ownership: async id => readKeys(await tagsOf(h.organizations, id), OwnershipTags.resource()),
  },
  {
    type: ResourceType.POLICY,
    harness: () => h,
    // With a target: Delete detaches only what it owns, too.
    props: async () => ({ Name: unique('policy'), Type: 'SERVICE_CONTROL_POLICY', Content: scp, TargetIds: [await newOu()] }),
    makeByHand: async p => {
      const out = await h.organizations.send(new CreatePolicyCommand({ Name: p.Name as string, Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp }));
      await h.organizations.send(new AttachPolicyCommand({ PolicyId: out.Policy!.PolicySummary!.Id!, TargetId: (p.TargetIds as string[])[0] }));
    },
    alive: async (id, p) => {
      try {
        await h.organizations.send(new DescribePolicyCommand({ PolicyId: id }));
      } catch {
        return false;
      }
      const attached = await h.organizations.send(new ListPoliciesForTargetCommand({ TargetId: (p.TargetIds as string[])[0], Filter: 'SERVICE_CONTROL_POLICY' }));
      return attached.Policies!.some(x => x.Id === id);
    },
    ownership: async id => readKeys(await tagsOf(h.organizations, id), OwnershipTags.resource()),
  },
  {
    type: ResourceType.POLICY_ATTACHMENT,
    harness: () => h,
    props: async () => {
      const out = await h.organizations.send(new CreatePolicyCommand({ Name: unique('attached'), Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp }));
      return { PolicyId: out.Policy!.PolicySummary!.Id!, TargetId: await newOu() };
    },
    makeByHand: async p => {
      await h.organizations.send(new AttachPolicyCommand({ PolicyId: p.PolicyId as string, TargetId: p.TargetId as string }));
    },
    alive: async (_, p) => {
      const out = await h.organizations.send(new ListPoliciesForTargetCommand({ TargetId: p.TargetId as string, Filter: 'SERVICE_CONTROL_POLICY' }));
      return out.Policies!.some(x => x.Id === p.PolicyId);
    },
    ownership: async (_, p) => readKeys(await tagsOf(h.organizations, p.TargetId as string), OwnershipTags.attachment(p.PolicyId as string)),
  },
  {
    type: ResourceType.ENABLED_POLICY_TYPE,
    harness: () => h,
    props: async () => ({ RootId: rootId, PolicyType: types[nextType++] }),
    makeByHand: async p => enableType(p.PolicyType as string),
    alive: async (_, p) => await typeStatus(p.PolicyType as string) === 'ENABLED',
    ownership: async (_, p) => readKeys(await tagsOf(h.organizations, rootId), OwnershipTags.policyType(p.PolicyType as string)),
  },
  {
    type: ResourceType.AWS_SERVICE_ACCESS,
    harness: () => h,
    props: async () => ({ ServicePrincipal: principals[nextPrincipal++] }),
    makeByHand: async p => {
      await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: p.ServicePrincipal as string }));
    },
    alive: async (_, p) => (await h.organizations.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!
      .some(s => s.ServicePrincipal === p.ServicePrincipal),
    ownership: async (_, p) => readKeys(await tagsOf(h.organizations, rootId), OwnershipTags.trustedAccess(p.ServicePrincipal as string)),
  },
  {
    type: ResourceType.DELEGATED_ADMINISTRATOR,
    harness: () => h,
    props: async () => {
      const principal = principals[nextPrincipal++];
      await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
      return { AccountId: member, ServicePrincipal: principal };
    },
    makeByHand: async p => {
      await h.organizations.send(new RegisterDelegatedAdministratorCommand({
        AccountId: p.AccountId as string, ServicePrincipal: p.ServicePrincipal as string,
      }));
    },
    alive: async (_, p) => (await h.organizations.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: p.ServicePrincipal as string })))
      .DelegatedAdministrators!.some(a => a.Id === p.AccountId),
    ownership: async (_, p) => readKeys(await tagsOf(h.organizations, member), OwnershipTags.delegatedAdministrator(p.ServicePrincipal as string)),
  },
  {
    type: ResourceType.ORGANIZATION,
    harness: () => bare,
    // One organization per management account: each lifecycle starts without one.
    props: async () => {
      try {
        await bare.organizations.send(new DeleteOrganizationCommand({}));
      } catch (error) {
        if (!isError(error, 'AWSOrganizationsNotInUseException')) throw error;
      }
      return { DeleteOnRemoval: 'true' };
    },
    makeByHand: async () => {
      await bare.organizations.send(new CreateOrganizationCommand({}));
    },
    alive: async id => bare.organizations.send(new DescribeOrganizationCommand({})).then(o => o.Organization?.Id === id, () => false),
    ownership: async () => {
      const roots = await bare.organizations.send(new ListRootsCommand({})).catch(() => ({ Roots: [] }));
      if (!roots.Roots?.[0]) return {};
      return readKeys(await tagsOf(bare.organizations, roots.Roots[0].Id!), OwnershipTags.organization());
    },
  },
];

/** One request to the type's handler, then isComplete until complete, as the provider framework would (bounded by a count of polls). */
async function run(subject: Subject, event: OnEventRequest) {
  const handler = handlers[subject.type];
  const harness = subject.harness();
  const ctx = harness.context();
  const out = event.RequestType === 'Create' ? await handler.onCreate(event, ctx)
    : event.RequestType === 'Update' ? await handler.onUpdate(event, ctx)
      : await handler.onDelete(event, ctx);
  const physicalId = out.PhysicalResourceId ?? (event as DeleteEvent).PhysicalResourceId ?? event.RequestId;
  if (handler.isComplete) {
    const waiting = { ...event, ...out, PhysicalResourceId: physicalId };
    for (let poll = 0; ; poll++) {
      if (poll > 5000) throw new Error('isComplete never completed');
      const answer = await handler.isComplete(waiting, harness.context());
      if (answer.IsComplete) return { physicalId: answer.PhysicalResourceId ?? physicalId, log: ctx.log.lines };
      await sleep(5);
    }
  }
  return { physicalId, log: ctx.log.lines };
}

const create = (s: Subject, props: Properties, logicalId: string) => run(s, createEvent(s.type, props, logicalId));
const update = (s: Subject, id: string, props: Properties, logicalId: string) => run(s, updateEvent(s.type, id, props, props, logicalId));
const remove = (s: Subject, id: string, props: Properties, logicalId: string) => run(s, deleteEvent(s.type, id, props, logicalId));
/** The physical id without the `|adopted` marker: the same thing, found or made. */
const thing = (id: string) => id.replace(/\|adopted$/, '');

beforeAll(async () => {
  // Accounts made in a simulated second: these lifecycles are about ownership, not about waiting for a creation.
  [h, bare] = await Promise.all([startHarness({ accountCreationSeconds: 1 }), startHarness({ withOrganization: false })]);
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  await enableType('SERVICE_CONTROL_POLICY');
  const out = await h.organizations.send(new CreateAccountCommand({ AccountName: 'delegate', Email: 'delegate@example.com' }));
  member = await waitForAccount(h, out.CreateAccountStatus!.Id!);
});

afterAll(async () => {
  await Promise.all([h?.stop(), bare?.stop()]);
});

describe.each(subjects.map(s => [s.type.replace('Custom::Organizations_', ''), s] as const))('%s', (_, s) => {
  const mark = () => s.harness().emulator.callLog.length;
  const mutating = (since: number) => mutatingCalls(s.harness().emulator, since);
  /** Mutating calls that changed something (a CreateOrganizationalUnit refused as a duplicate did not). */
  const changes = (since: number) => s.harness().emulator.callLog.slice(since)
    .filter(c => c.outcome === 'OK' && !/^(Describe|List|Get)/.test(c.operation)).map(c => c.operation);

  test('renamed construct: the new logical id takes it over, the old one\'s Delete destroys nothing, the new one\'s Delete destroys it', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });

    const b = await create(s, props, 'B');
    expect(thing(b.physicalId)).toBe(thing(a.physicalId));
    expect(b.physicalId).not.toMatch(/\|adopted$/);
    expect(await s.ownership(b.physicalId, props)).toEqual({ owner: ownerId('B'), previous: ownerId('A') });

    // CloudFormation's cleanup deletes the old logical id.
    let since = mark();
    const cleanup = await remove(s, a.physicalId, props, 'A');
    expect(mutating(since)).toEqual(['UntagResource']);
    expect(await s.alive(b.physicalId, props)).toBe(true);
    expect(await s.ownership(b.physicalId, props)).toEqual({ owner: ownerId('B'), previous: undefined });
    expect(cleanup.log.filter(l => /^leaving it in place/.test(String(l.message))).map(l => l.message)).toEqual(['leaving it in place: taken over']);

    // The new one works (an update that changes nothing changes nothing), and its removal destroys.
    since = mark();
    await update(s, b.physicalId, props, 'B');
    expect(mutating(since)).toEqual([]);
    await remove(s, b.physicalId, props, 'B');
    expect(await s.alive(b.physicalId, props)).toBe(false);
  });

  test('rename rolled back: the new logical id\'s Delete gives it back to the old one, which still destroys it later', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    const b = await create(s, props, 'B');
    const since = mark();
    const rollback = await remove(s, b.physicalId, props, 'B');
    expect(mutating(since)).toEqual(['TagResource', 'UntagResource']);
    expect(rollback.log.map(l => l.message)).toContain('leaving it in place: takeover undone');
    expect(await s.alive(a.physicalId, props)).toBe(true);
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });
    await remove(s, a.physicalId, props, 'A');
    expect(await s.alive(a.physicalId, props)).toBe(false);
  });

  test('made outside the stack: adopted without an owner tag, and its Delete (a removal or a rollback) leaves it in place, saying why in one line', async () => {
    const props = await s.props();
    await s.makeByHand(props);
    const a = await create(s, props, 'A');
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: undefined, previous: undefined });
    const since = mark();
    const removal = await remove(s, a.physicalId, props, 'A');
    expect(mutating(since)).toEqual([]);
    expect(await s.alive(a.physicalId, props)).toBe(true);
    expect(removal.log.filter(l => /^leaving it in place/.test(String(l.message)))).toEqual([
      expect.objectContaining({ message: 'leaving it in place: adopted', why: expect.stringMatching(/^it has no cdk-organizations:\S+ tag, so this stack did not create it/) }),
    ]);
  });

  const marked = [ResourceType.ORGANIZATIONAL_UNIT, ResourceType.ACCOUNT, ResourceType.POLICY].includes(s.type as any);

  // Things whose tags live on the root, an account or a target carry no creation marker (the root's
  // 50 tags are shared by everything the stacks enable there): a retry of the same request claims them again.
  if (marked) {
    test('a retried Create (the same request) recognises its own creation by the owner tag and its creation marker, and changes nothing', async () => {
      const props = await s.props();
      const event = createEvent(s.type, props, 'A');
      const first = await run(s, event);
      const since = mark();
      const retry = await run(s, event);
      expect(retry.physicalId).toBe(first.physicalId);
      expect(changes(since)).toEqual([]);
      expect(await s.ownership(first.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });
      await remove(s, first.physicalId, props, 'A');
      expect(await s.alive(first.physicalId, props)).toBe(false);
    });
  }

  test('a Create that finds its own creation of an earlier operation claims it again: a rollback leaves it as it was, a removal destroys it', async () => {
    const props = await s.props();
    const first = await create(s, props, 'A');
    // The earlier operation failed and kept it (DeletionPolicy Retain); the next one creates the same resource again.
    const again = await create(s, props, 'A');
    expect(thing(again.physicalId)).toBe(thing(first.physicalId));
    expect(await s.ownership(first.physicalId, props)).toEqual({ owner: ownerId('A'), previous: ownerId('A') });
    await setStack(s.harness(), 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    const rollback = await remove(s, again.physicalId, props, 'A');
    expect(rollback.log.map(l => l.message)).toContain('leaving it in place: made before this operation');
    expect(await s.alive(first.physicalId, props)).toBe(true);
    expect(await s.ownership(first.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });

    // Claimed again by a deployment that succeeds, then removed from the app: destroyed, as declared.
    await setStack(s.harness(), 'UPDATE_IN_PROGRESS');
    await create(s, props, 'A');
    await setStack(s.harness(), 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await remove(s, again.physicalId, props, 'A');
    expect(await s.alive(first.physicalId, props)).toBe(false);
    await setStack(s.harness(), undefined);
  });

  test('a takeover from a resource its stack no longer has is final: removing the new owner destroys it', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    const b = await create(s, props, 'B');
    // A was renamed away with DeletionPolicy Retain: no Delete, and the stack no longer has it.
    await setStack(s.harness(), 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', ['B']);
    await remove(s, b.physicalId, props, 'B');
    expect(await s.alive(a.physicalId, props)).toBe(false);
    await setStack(s.harness(), undefined);
  });

  test('a takeover from a resource its stack still has is given back when the new owner is removed', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    const b = await create(s, props, 'B');
    await setStack(s.harness(), 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', ['A', 'B']);
    await remove(s, b.physicalId, props, 'B');
    expect(await s.alive(a.physicalId, props)).toBe(true);
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });
    await setStack(s.harness(), undefined);
    await remove(s, a.physicalId, props, 'A');
  });

  test('renamed construct whose old logical id gets no Delete (DeletionPolicy Retain): the next Update confirms the takeover', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    const b = await create(s, props, 'B');
    const since = mark();
    await update(s, b.physicalId, props, 'B');
    expect(mutating(since)).toEqual(['UntagResource']);
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: ownerId('B'), previous: undefined });
    await remove(s, b.physicalId, props, 'B');
    expect(await s.alive(b.physicalId, props)).toBe(false);
  });

  test('a Create CloudFormation stopped waiting for: the rollback\'s Delete, with an invented physical id, gives a takeover back and destroys nothing', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    await create(s, props, 'B');
    const since = mark();
    const rollback = await remove(s, 'test-B-0A1B2C3D4E5F', props, 'B');
    expect(mutating(since)).toEqual(['TagResource', 'UntagResource']);
    expect(rollback.log.map(l => l.message)).toContain('giving back what a cancelled Create took over');
    expect(await s.alive(a.physicalId, props)).toBe(true);
    expect(await s.ownership(a.physicalId, props)).toEqual({ owner: ownerId('A'), previous: undefined });
    await remove(s, a.physicalId, props, 'A');
    expect(await s.alive(a.physicalId, props)).toBe(false);
  });

  test('an update that changes nothing makes no mutating call', async () => {
    const props = await s.props();
    const a = await create(s, props, 'A');
    const since = mark();
    await update(s, a.physicalId, props, 'A');
    expect(mutating(since)).toEqual([]);
    await remove(s, a.physicalId, props, 'A');
  });
});

describe('two stacks declaring the same OU', () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const inStack = <E extends OnEventRequest>(event: E, stack: string): E => ({
    ...event, StackId: `arn:aws:cloudformation:us-east-1:111111111111:stack/${stack}/00000000-0000-0000-0000-000000000001`,
  });
  const ou = handlers[T];
  const exists = (id: string) => h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }))
    .then(() => true, () => false);

  test.each([
    ['the first stack removes it first: the second keeps it, and its removal deletes it', ['one', 'two']],
    ['the second stack removes it first: the first gets it back, and its removal deletes it', ['two', 'one']],
  ])('%s', async (_, order) => {
    const props = { Name: unique('shared'), ParentId: rootId };
    const id = (await ou.onCreate(inStack(createEvent(T, props, 'Ou'), 'one'), h.context())).PhysicalResourceId!;
    expect((await ou.onCreate(inStack(createEvent(T, props, 'Ou'), 'two'), h.context())).PhysicalResourceId).toBe(id);
    expect(await tagsOf(h.organizations, id)).toEqual({ [OWNER]: 'two/Ou', [PREVIOUS]: 'one/Ou' });
    // An Update in the second stack does not take the first one's claim away: it may still declare the OU.
    await ou.onUpdate(inStack(updateEvent(T, id, props, props, 'Ou'), 'two'), h.context());
    expect(await tagsOf(h.organizations, id)).toEqual({ [OWNER]: 'two/Ou', [PREVIOUS]: 'one/Ou' });
    await ou.onDelete(inStack(deleteEvent(T, id, props, 'Ou'), order[0]), h.context());
    expect(await exists(id)).toBe(true);
    expect(await tagsOf(h.organizations, id)).toEqual({ [OWNER]: `${order[1]}/Ou` });
    await ou.onDelete(inStack(deleteEvent(T, id, props, 'Ou'), order[1]), h.context());
    expect(await exists(id)).toBe(false);
  });
});

describe('the library\'s tag keys', () => {
  test('syncTags never sets or removes them, whatever the declared tags say', async () => {
    const id = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: unique('keys') }))).OrganizationalUnit!.Id!;
    await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: OWNER, Value: 'stack/Owner' }] }));
    await syncTags(id, [{ Key: OWNER, Value: 'stack/Owner' }, { Key: 'a', Value: '1' }], [{ Key: PREVIOUS, Value: 'forged' }], h.context());
    expect(await tagsOf(h.organizations, id)).toEqual({ [OWNER]: 'stack/Owner' });
  });

  test.each([
    [ResourceType.ORGANIZATIONAL_UNIT, () => ({ Name: unique('reserved'), ParentId: rootId })],
    [ResourceType.POLICY, () => ({ Name: unique('reserved'), Type: 'SERVICE_CONTROL_POLICY', Content: scp })],
    [ResourceType.ACCOUNT, () => ({ AccountName: 'Reserved', Email: `${unique('reserved')}@example.com` })],
  ])('%s: a declared tag under the prefix is refused on Create and Update, naming the key, before any change', async (type, props) => {
    const handler = handlers[type];
    const p = { ...props(), Tags: [{ Key: 'cdk-organizations:owner', Value: 'me' }] };
    const since = h.emulator.callLog.length;
    const created = await handler.onCreate(createEvent(type, p), h.context()).catch(e => e);
    expect(created).toBeInstanceOf(UserError);
    expect(created.message).toMatch(/the tag key "cdk-organizations:owner" in Tags uses the prefix "cdk-organizations:"/);
    const updated = await handler.onUpdate(updateEvent(type, 'ou-ab12-cdef3456', p, { ...p, Tags: [] }), h.context()).catch(e => e);
    expect(updated).toBeInstanceOf(UserError);
    expect(updated.message).toMatch(/"cdk-organizations:owner"/);
    expect(h.emulator.callLog.length).toBe(since);
  });
});

describe('a full tag quota', () => {
  async function fill(resourceId: string, howMany: number) {
    const tags = Array.from({ length: howMany }, (_, i) => ({ Key: `filler-${i}`, Value: 'x' }));
    for (let i = 0; i < tags.length; i += 25) {
      await h.organizations.send(new TagResourceCommand({ ResourceId: resourceId, Tags: tags.slice(i, i + 25) }));
    }
  }

  test('nothing is attached to a target that has no room for the owner tag, and the message says what to do', async () => {
    const account = await waitForAccount(h, (await h.organizations.send(new CreateAccountCommand({ AccountName: 'full', Email: 'full@example.com' }))).CreateAccountStatus!.Id!);
    await fill(account, 50);
    const since = h.emulator.callLog.length;
    const props = { PolicyId: (await h.organizations.send(new CreatePolicyCommand({ Name: unique('full'), Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp }))).Policy!.PolicySummary!.Id!, TargetId: account };
    const error = await handlers[ResourceType.POLICY_ATTACHMENT].onCreate(createEvent(ResourceType.POLICY_ATTACHMENT, props), h.context())
      .catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`Cannot tag attachment of policy ${props.PolicyId} to ${account}: ${account} would have more than 50 tags`);
    expect(error.message).toContain(`aws organizations untag-resource --resource-id ${account}`);
    // Refused before anything was attached: nothing left behind that no resource owns.
    expect(mutatingCalls(h.emulator, since).filter(op => op !== 'CreatePolicy')).toEqual([]);
  });

  test('a takeover replaces the creation marker, so it fits where the owner was born with it', async () => {
    const props = { Name: unique('crowded'), ParentId: rootId };
    const ou = handlers[ResourceType.ORGANIZATIONAL_UNIT];
    const id = (await ou.onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, props, 'A'), h.context())).PhysicalResourceId!;
    await fill(id, 48);
    // B declares the tags A's OU has (a takeover applies B's declaration exactly: undeclared ones would go).
    const declared = Array.from({ length: 48 }, (_, i) => ({ Key: `filler-${i}`, Value: 'x' }));
    await ou.onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, { ...props, Tags: declared }, 'B'), h.context());
    const tags = await tagsOf(h.organizations, id);
    expect(Object.keys(tags)).toHaveLength(50);
    expect([tags[OWNER], tags[PREVIOUS]]).toEqual([ownerId('B'), ownerId('A')]);
  });

  test('a takeover that does not fit (an owner tagged before creation markers existed) is refused with the same advice, and nothing changes', async () => {
    const props = { Name: unique('crowded'), ParentId: rootId };
    const ou = handlers[ResourceType.ORGANIZATIONAL_UNIT];
    const id = (await ou.onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, props, 'A'), h.context())).PhysicalResourceId!;
    await h.organizations.send(new UntagResourceCommand({ ResourceId: id, TagKeys: [PREVIOUS] }));
    await fill(id, 49);
    const error = await ou.onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, props, 'B'), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`^Cannot tag OrganizationalUnit "${props.Name}" under ${rootId} \\(${id}\\): ${id} would have more than 50 tags`));
    expect((await tagsOf(h.organizations, id))[OWNER]).toBe(ownerId('A'));
  });

  test('an OU whose declared Tags leave no room for its owner tag is refused at creation, naming the limit for Tags', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `t${i}`, Value: 'v' }));
    const error = await handlers[ResourceType.ORGANIZATIONAL_UNIT].onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, { Name: unique('many'), ParentId: rootId, Tags: tags }), h.context())
      .catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/its 50 Tags plus the cdk-organizations:owner tag .*Declare at most 48 Tags/);
  });
});
