/**
 * Policies of every type: policy types enabled and disabled asynchronously, the AWS-managed
 * defaults, content and size checks, names, attachment rules and limits, deletion, and effective
 * policies.
 */
import {
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribeEffectivePolicyCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  DisablePolicyTypeCommand,
  EnablePolicyTypeCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  MoveAccountCommand,
  OrganizationsClient,
  PolicyType,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, newAccount, pollUntil, rootIdOf, snapshot, startFixture } from './support';

const SCP = 'SERVICE_CONTROL_POLICY';
const RCP = 'RESOURCE_CONTROL_POLICY';
const deny = (action = 's3:DeleteBucket') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });
const rcpDeny = () => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }] });

let count = 0;
async function policy(org: OrganizationsClient, type: string, content: string, name = `policy-${++count}`): Promise<string> {
  const out = await org.send(new CreatePolicyCommand({ Name: name, Description: 'test', Type: type as PolicyType, Content: content }));
  return out.Policy!.PolicySummary!.Id!;
}

async function enable(org: OrganizationsClient, root: string, type: string): Promise<void> {
  await org.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: type as PolicyType }));
  await pollUntil(() => org.send(new ListRootsCommand({})).then(o => o.Roots![0].PolicyTypes!), types => types.some(t => t.Type === type && t.Status === 'ENABLED'));
}

const policiesOn = (org: OrganizationsClient, target: string, type = SCP) =>
  org.send(new ListPoliciesForTargetCommand({ TargetId: target, Filter: type as PolicyType })).then(o => o.Policies!.map(p => p.Id!));

let f: Fixture;
let root: string;
let ou: string;
let member: string;

beforeAll(async () => {
  f = await startFixture({ quotas: { maxPoliciesPerType: { CHATBOT_POLICY: 2 } } });
  root = await rootIdOf(f.org);
  ou = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Policies' }))).OrganizationalUnit!.Id!;
  member = await newAccount(f.org, 'Policy member');
  await f.org.send(new MoveAccountCommand({ AccountId: member, SourceParentId: root, DestinationParentId: ou }));
});
afterAll(async () => f?.stop());

describe('policy types', () => {
  test('EnablePolicyType is asynchronous: PENDING_ENABLE, nothing attachable yet, then ENABLED', async () => {
    const g = await startFixture({ policyTypeChangeSeconds: 1_000_000 });
    try {
      const gRoot = await rootIdOf(g.org);
      const out = await g.org.send(new EnablePolicyTypeCommand({ RootId: gRoot, PolicyType: 'TAG_POLICY' }));
      expect(out.Root!.PolicyTypes).toContainEqual({ Type: 'TAG_POLICY', Status: 'PENDING_ENABLE' });
      const id = await policy(g.org, 'TAG_POLICY', '{"tags":{}}');
      await expectError(g.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: gRoot })), 'PolicyTypeNotEnabledException');
      await expectError(g.org.send(new EnablePolicyTypeCommand({ RootId: gRoot, PolicyType: 'TAG_POLICY' })), 'PolicyTypeAlreadyEnabledException');
      await expectError(g.org.send(new DisablePolicyTypeCommand({ RootId: gRoot, PolicyType: 'TAG_POLICY' })), 'PolicyChangesInProgressException');
    } finally {
      await g.stop();
    }
    await enable(f.org, root, 'TAG_POLICY');
    await expectError(f.org.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'TAG_POLICY' })), 'PolicyTypeAlreadyEnabledException');
    await expectError(f.org.send(new EnablePolicyTypeCommand({ RootId: 'r-zzzz', PolicyType: 'TAG_POLICY' })), 'RootNotFoundException');
  });

  test('enabling RCPs attaches RCPFullAWSAccess everywhere; it cannot be detached and counts toward the 5', async () => {
    await enable(f.org, root, RCP);
    for (const target of [root, ou, member, f.emulator.managementAccountId]) expect(await policiesOn(f.org, target, RCP)).toEqual(['p-RCPFullAWSAccess']);
    await expectError(f.org.send(new DetachPolicyCommand({ PolicyId: 'p-RCPFullAWSAccess', TargetId: ou })), 'InvalidInputException', 'NON_DETACHABLE_POLICY');
    for (let i = 0; i < 4; i++) await f.org.send(new AttachPolicyCommand({ PolicyId: await policy(f.org, RCP, rcpDeny()), TargetId: ou }));
    const fifth = await policy(f.org, RCP, rcpDeny());
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: fifth, TargetId: ou })), 'ConstraintViolationException', 'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
  });

  test('disabling SCPs detaches every SCP; enabling them again attaches FullAWSAccess to every root, OU and account', async () => {
    const custom = await policy(f.org, SCP, deny());
    await f.org.send(new AttachPolicyCommand({ PolicyId: custom, TargetId: ou }));
    const out = await f.org.send(new DisablePolicyTypeCommand({ RootId: root, PolicyType: SCP }));
    expect(out.Root!.PolicyTypes).toContainEqual({ Type: SCP, Status: 'PENDING_DISABLE' });
    await pollUntil(() => f.org.send(new ListRootsCommand({})).then(o => o.Roots![0].PolicyTypes!), types => !types.some(t => t.Type === SCP));
    expect(await policiesOn(f.org, ou)).toEqual([]);
    expect((await f.org.send(new ListTargetsForPolicyCommand({ PolicyId: custom }))).Targets).toEqual([]);
    await expectError(f.org.send(new DisablePolicyTypeCommand({ RootId: root, PolicyType: SCP })), 'PolicyTypeNotEnabledException');
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: custom, TargetId: ou })), 'PolicyTypeNotEnabledException');
    await enable(f.org, root, SCP);
    for (const target of [root, ou, member]) expect(await policiesOn(f.org, target)).toEqual(['p-FullAWSAccess']);
  });
});

describe('policies', () => {
  test('every policy type of the API can be created, described and listed, AWS-managed policies included', async () => {
    const types = Object.values(PolicyType);
    expect(types).toHaveLength(15);
    for (const type of types) {
      const id = await policy(f.org, type, type === SCP ? deny() : type === RCP ? rcpDeny() : '{}', `every-${type}`);
      const described = (await f.org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!;
      expect(described.PolicySummary).toEqual({
        Id: id,
        Arn: `arn:aws:organizations::${f.emulator.managementAccountId}:policy/${f.emulator.state().organization!.id}/${type.toLowerCase()}/${id}`,
        Name: `every-${type}`,
        Description: 'test',
        Type: type,
        AwsManaged: false,
      });
    }
    const scps = (await f.org.send(new ListPoliciesCommand({ Filter: SCP }))).Policies!;
    expect(scps[0]).toEqual({
      Id: 'p-FullAWSAccess',
      Arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
      Name: 'FullAWSAccess',
      Description: 'Allows access to every operation',
      Type: SCP,
      AwsManaged: true,
    });
    expect(JSON.parse((await f.org.send(new DescribePolicyCommand({ PolicyId: 'p-FullAWSAccess' }))).Policy!.Content!))
      .toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  });

  test.each([
    ['JSON that does not parse', SCP, '{"Version":"2012-10-17","Statement":'],
    ['a JSON array', 'TAG_POLICY', '[]'],
    ['an SCP without Statement', SCP, '{"Version":"2012-10-17"}'],
    ['a statement without Effect', SCP, '{"Statement":[{"Action":"*","Resource":"*"}]}'],
    ['a statement without Action', RCP, '{"Statement":{"Effect":"Deny","Principal":"*","Resource":"*"}}'],
  ])('%s is MalformedPolicyDocumentException, and nothing is created', async (_, type, content) => {
    const before = snapshot(f.emulator);
    await expectError(policy(f.org, type, content), 'MalformedPolicyDocumentException');
    expect(snapshot(f.emulator)).toBe(before);
  });

  test.each([
    [SCP, 10_240],
    [RCP, 5_120],
    ['AISERVICES_OPT_OUT_POLICY', 2_500],
    ['TAG_POLICY', 10_000],
    ['BACKUP_POLICY', 10_000],
  ])('%s documents may have %d characters, not one more (POLICY_CONTENT_LIMIT_EXCEEDED)', async (type, size) => {
    const sized = (n: number) => {
      const base = type === SCP ? { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }
        : type === RCP ? { Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }] } : {};
      // Whitespace counts toward the size, as at AWS, and keeps the document valid for its type.
      const text = JSON.stringify(base);
      return text + ' '.repeat(n - text.length);
    };
    expect(sized(size)).toHaveLength(size);
    await policy(f.org, type, sized(size));
    await expectError(policy(f.org, type, sized(size + 1)), 'ConstraintViolationException', 'POLICY_CONTENT_LIMIT_EXCEEDED');
  });

  test('names are unique per type (AWS-managed names included), and the number of policies per type has a quota', async () => {
    await policy(f.org, SCP, deny(), 'shared-name');
    await policy(f.org, 'BACKUP_POLICY', '{}', 'shared-name');
    await expectError(policy(f.org, SCP, deny(), 'shared-name'), 'DuplicatePolicyException');
    await expectError(policy(f.org, SCP, deny(), 'FullAWSAccess'), 'DuplicatePolicyException');
    await policy(f.org, 'CHATBOT_POLICY', '{}');
    const existing = Object.values(f.emulator.state().organization!.policies).filter(p => p.type === 'CHATBOT_POLICY').length;
    expect(existing).toBe(2);
    await expectError(policy(f.org, 'CHATBOT_POLICY', '{}'), 'ConstraintViolationException', 'POLICY_NUMBER_LIMIT_EXCEEDED');
  });

  test('UpdatePolicy changes what it is given; AWS-managed policies are immutable', async () => {
    const id = await policy(f.org, SCP, deny(), 'before');
    const out = await f.org.send(new UpdatePolicyCommand({ PolicyId: id, Name: 'after', Content: deny('ec2:*') }));
    expect(out.Policy).toMatchObject({ PolicySummary: { Id: id, Name: 'after', Description: 'test' }, Content: deny('ec2:*') });
    await policy(f.org, SCP, deny(), 'taken');
    await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: id, Name: 'taken' })), 'DuplicatePolicyException');
    await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: id, Content: '{' })), 'MalformedPolicyDocumentException');
    await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: 'p-FullAWSAccess', Description: 'mine' })), 'InvalidInputException', 'IMMUTABLE_POLICY');
    await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: 'p-doesnotexist', Name: 'x' })), 'PolicyNotFoundException');
  });

  test('DeletePolicy refuses a policy in use and an AWS-managed one; deletes the rest with their tags', async () => {
    const id = await policy(f.org, SCP, deny());
    await f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member }));
    const error = await expectError(f.org.send(new DeletePolicyCommand({ PolicyId: id })), 'PolicyInUseException');
    expect(error.message).toContain(member);
    await expectError(f.org.send(new DeletePolicyCommand({ PolicyId: 'p-FullAWSAccess' })), 'InvalidInputException', 'IMMUTABLE_POLICY');
    await f.org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: member }));
    await f.org.send(new DeletePolicyCommand({ PolicyId: id }));
    await expectError(f.org.send(new DescribePolicyCommand({ PolicyId: id })), 'PolicyNotFoundException');
    await expectError(f.org.send(new ListTagsForResourceCommand({ ResourceId: id })), 'TargetNotFoundException');
    await expectError(f.org.send(new DeletePolicyCommand({ PolicyId: id })), 'PolicyNotFoundException');
  });
});

describe('attachments', () => {
  test('attach and detach check the policy, the target and the pair', async () => {
    const id = await policy(f.org, SCP, deny());
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: 'p-doesnotexist', TargetId: ou })), 'PolicyNotFoundException');
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: 'ou-zzzz-zzzzzzzz' })), 'TargetNotFoundException');
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: '111111111111' })), 'TargetNotFoundException');
    await expectError(f.org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: ou })), 'PolicyNotAttachedException');
    await f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ou }));
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ou })), 'DuplicatePolicyAttachmentException');
    expect((await f.org.send(new ListTargetsForPolicyCommand({ PolicyId: id }))).Targets).toEqual([{
      TargetId: ou,
      Arn: `arn:aws:organizations::${f.emulator.managementAccountId}:ou/${f.emulator.state().organization!.id}/${ou}`,
      Name: 'Policies',
      Type: 'ORGANIZATIONAL_UNIT',
    }]);
    await f.org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: ou }));
    expect(await policiesOn(f.org, ou)).toEqual(['p-FullAWSAccess']);
  });

  test('at most 10 SCPs per target, at least 1', async () => {
    const target = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Crowded' }))).OrganizationalUnit!.Id!;
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      ids.push(await policy(f.org, SCP, deny()));
      await f.org.send(new AttachPolicyCommand({ PolicyId: ids[i], TargetId: target }));
    }
    const eleventh = await policy(f.org, SCP, deny());
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: eleventh, TargetId: target })), 'ConstraintViolationException', 'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
    for (const id of ['p-FullAWSAccess', ...ids.slice(1)]) await f.org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: target }));
    expect(await policiesOn(f.org, target)).toEqual([ids[0]]);
    await expectError(f.org.send(new DetachPolicyCommand({ PolicyId: ids[0], TargetId: target })), 'ConstraintViolationException', 'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
  });

  test('a policy type not enabled cannot be attached (PolicyTypeNotEnabledException)', async () => {
    const id = await policy(f.org, 'BACKUP_POLICY', '{"plans":{}}');
    await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: root })), 'PolicyTypeNotEnabledException');
  });
});

describe('effective policies', () => {
  test('merge the inherited management policies with @@assign and @@append, nearest last', async () => {
    await enable(f.org, root, 'TAG_POLICY').catch(() => undefined);
    const top = await policy(f.org, 'TAG_POLICY', JSON.stringify({
      tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' }, tag_value: { '@@assign': ['100'] } }, team: { tag_key: { '@@assign': 'Team' } } },
    }));
    const nearer = await policy(f.org, 'TAG_POLICY', JSON.stringify({ tags: { costcenter: { tag_value: { '@@append': ['200'] } } } }));
    await f.org.send(new AttachPolicyCommand({ PolicyId: top, TargetId: root }));
    await f.org.send(new AttachPolicyCommand({ PolicyId: nearer, TargetId: ou }));
    const out = (await f.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY', TargetId: member }))).EffectivePolicy!;
    expect(JSON.parse(out.PolicyContent!)).toEqual({ tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['100', '200'] }, team: { tag_key: 'Team' } } });
    expect(out).toMatchObject({ TargetId: member, PolicyType: 'TAG_POLICY', LastUpdatedTimestamp: expect.any(Date) });
    const management = (await f.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY' }))).EffectivePolicy!;
    expect(JSON.parse(management.PolicyContent!)).toEqual({ tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['100'] }, team: { tag_key: 'Team' } } });
  });

  test('a member sees its own effective policy only; missing ones are EffectivePolicyNotFoundException', async () => {
    const clients = clientsFor(f.emulator, member);
    try {
      expect((await clients.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY' }))).EffectivePolicy!.TargetId).toBe(member);
      await expectError(clients.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY', TargetId: f.emulator.managementAccountId })),
        'AccessDeniedException');
    } finally {
      clients.destroy();
    }
    await expectError(f.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'BACKUP_POLICY', TargetId: member })), 'EffectivePolicyNotFoundException');
    await enable(f.org, root, 'AISERVICES_OPT_OUT_POLICY');
    await expectError(f.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'AISERVICES_OPT_OUT_POLICY', TargetId: member })), 'EffectivePolicyNotFoundException');
    await expectError(f.org.send(new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY', TargetId: '111111111111' })), 'TargetNotFoundException');
  });
});

test('an organization with consolidated billing only has no policies', async () => {
  const g = await startFixture({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
  try {
    await expectError(policy(g.org, SCP, deny()), 'PolicyTypeNotAvailableForOrganizationException');
    await expectError(g.org.send(new EnablePolicyTypeCommand({ RootId: await rootIdOf(g.org), PolicyType: SCP })), 'PolicyTypeNotAvailableForOrganizationException');
  } finally {
    await g.stop();
  }
});
