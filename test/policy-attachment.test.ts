import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  Account,
  EnabledPolicyType,
  Organization,
  OrganizationalUnit,
  Policy,
  PolicyAttachment,
  PolicyContent,
  PolicyType,
  Root,
} from '../src';
import { ResourceType } from '../src/private/contract';

const content = PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] });

/** A valid document of each other type used here (content is checked against its type's syntax). */
const contents: Record<string, PolicyContent> = {
  RESOURCE_CONTROL_POLICY: PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }] }),
  TAG_POLICY: PolicyContent.fromJson({ tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } }),
  BACKUP_POLICY: PolicyContent.fromJson({ plans: {} }),
};

function policy(stack: Stack, name: string, policyType = PolicyType.SERVICE_CONTROL_POLICY): Policy {
  return new Policy(stack, name, { policyName: name, policyType, content: contents[policyType.value] ?? content });
}

function setUp() {
  const app = new App();
  const stack = new Stack(app, 'Org');
  const organization = new Organization(stack, 'Organization');
  const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
  return { app, stack, organization, ou };
}

const logicalIdOf = (stack: Stack, construct: { node: any }) => stack.getLogicalId(construct.node.defaultChild!.node.defaultChild);

describe('PolicyAttachment', () => {
  describe('in the stack of the policy and the target: no resource of its own', () => {
    test('attachTo folds the target into the policy', () => {
      const { stack, ou } = setUp();
      const attachment = policy(stack, 'Scp').attachTo(ou);
      expect(attachment).toBeInstanceOf(PolicyAttachment);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
      template.hasResourceProperties(ResourceType.POLICY, { TargetIds: [{ Ref: logicalIdOf(stack, ou) }] });
    });

    test('target.attachPolicy does the same', () => {
      const { stack, ou } = setUp();
      ou.attachPolicy(policy(stack, 'Scp'));
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
      template.hasResourceProperties(ResourceType.POLICY, { TargetIds: [{ Ref: logicalIdOf(stack, ou) }] });
    });

    test('root, OU and account targets, in declaration order', () => {
      const { stack, organization, ou } = setUp();
      const account = new Account(stack, 'Prod', { accountName: 'prod', email: 'prod@example.com', parent: ou });
      const scp = policy(stack, 'Scp');
      scp.attachTo(organization.root);
      scp.attachTo(ou);
      account.attachPolicy(scp);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
      template.hasResourceProperties(ResourceType.POLICY, {
        TargetIds: [
          { 'Fn::GetAtt': [logicalIdOf(stack, organization), 'RootId'] },
          { Ref: logicalIdOf(stack, ou) },
          { Ref: logicalIdOf(stack, account) },
        ],
      });
    });

    test('an imported target of the same stack', () => {
      const { stack } = setUp();
      policy(stack, 'Scp').attachTo(OrganizationalUnit.fromOrganizationalUnitId(stack, 'Imported', 'ou-abcd-12345678'));
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
      template.hasResourceProperties(ResourceType.POLICY, { TargetIds: ['ou-abcd-12345678'] });
    });

    test('a dependency on the attachment is a dependency on the policy', () => {
      const { stack, ou } = setUp();
      const scp = policy(stack, 'Scp');
      const attachment = scp.attachTo(ou);
      const account = new Account(stack, 'Prod', { accountName: 'prod', email: 'prod@example.com', parent: ou });
      account.node.addDependency(attachment);
      const accountResource = Template.fromStack(stack).findResources(ResourceType.ACCOUNT);
      expect(Object.values<any>(accountResource)[0].DependsOn).toContain(logicalIdOf(stack, scp));
    });
  });

  describe('otherwise: one resource', () => {
    test('a target in another stack: the attachment is in the policy\'s stack', () => {
      const { app, ou } = setUp();
      const policies = new Stack(app, 'Policies');
      policy(policies, 'Scp').attachTo(ou);
      Template.fromStack(app.node.findChild('Org') as Stack).resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
      const template = Template.fromStack(policies);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 1);
      template.hasResourceProperties(ResourceType.POLICY_ATTACHMENT, {
        PolicyId: { Ref: Match.stringLikeRegexp('^Scp') },
        TargetId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Org:') },
      });
      template.hasResourceProperties(ResourceType.POLICY, { TargetIds: Match.absent() });
    });

    test('the policy stack comes after the organization stack, never the other way round', () => {
      const { app, ou } = setUp();
      const policies = new Stack(app, 'Policies');
      policy(policies, 'Scp').attachTo(ou);
      app.synth();
      expect(policies.dependencies.map(s => s.stackName)).toEqual(['Org']);
      expect((app.node.findChild('Org') as Stack).dependencies).toEqual([]);
    });

    test('an AWS-managed policy', () => {
      const { stack, ou } = setUp();
      ou.attachPolicy(Policy.fullAwsAccess(stack));
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 1);
      template.hasResourceProperties(ResourceType.POLICY_ATTACHMENT, { PolicyId: 'p-FullAWSAccess', TargetId: { Ref: logicalIdOf(stack, ou) } });
    });

    test('an imported policy and an imported target', () => {
      const stack = new Stack(new App(), 'Attachments');
      const root = Root.fromRootAttributes(stack, 'Root', { rootId: 'r-abcd', enabledPolicyTypes: [PolicyType.TAG_POLICY] });
      const tagPolicy = Policy.fromPolicyAttributes(stack, 'Tags', { policyId: 'p-abcd1234', policyType: PolicyType.TAG_POLICY });
      tagPolicy.attachTo(OrganizationalUnit.fromOrganizationalUnitAttributes(stack, 'Ou', { organizationalUnitId: 'ou-abcd-12345678', parent: root }));
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 1);
      template.hasResource(ResourceType.POLICY_ATTACHMENT, {
        Properties: { PolicyId: 'p-abcd1234', TargetId: 'ou-abcd-12345678' },
        DependsOn: Match.absent(),
      });
    });

    test('new PolicyAttachment in a third stack', () => {
      const { app, ou } = setUp();
      const policies = new Stack(app, 'Policies');
      const scp = policy(policies, 'Scp');
      const third = new Stack(app, 'Attachments');
      new PolicyAttachment(third, 'Attachment', { policy: scp, target: ou });
      Template.fromStack(third).resourceCountIs(ResourceType.POLICY_ATTACHMENT, 1);
      Template.fromStack(policies).resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
    });

    test('the attachment comes after its policy type is enabled', () => {
      const { app, ou } = setUp();
      const policies = new Stack(app, 'Policies');
      policy(policies, 'Backup', PolicyType.BACKUP_POLICY).attachTo(ou);
      // The enablement lives with the organization; the policy stack depends on that stack.
      Template.fromStack(app.node.findChild('Org') as Stack).hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { PolicyType: 'BACKUP_POLICY' });
      app.synth();
      expect(policies.dependencies.map(s => s.stackName)).toContain('Org');
    });

    test('in one stack, the attachment resource depends on the enabled type', () => {
      const { stack, ou } = setUp();
      ou.attachPolicy(Policy.fromPolicyAttributes(stack, 'Backup', { policyId: 'p-abcd1234', policyType: PolicyType.BACKUP_POLICY }));
      const template = Template.fromStack(stack);
      const enabledId = Object.keys(template.findResources(ResourceType.ENABLED_POLICY_TYPE, { Properties: { PolicyType: 'BACKUP_POLICY' } }))[0];
      template.hasResource(ResourceType.POLICY_ATTACHMENT, { DependsOn: [enabledId] });
    });
  });

  describe('policy types', () => {
    test('enabled automatically under the Organization of the app, once per type', () => {
      const { stack, organization, ou } = setUp();
      policy(stack, 'A').attachTo(ou);
      policy(stack, 'B').attachTo(organization.root);
      policy(stack, 'Tags', PolicyType.TAG_POLICY).attachTo(ou);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 2);
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { PolicyType: 'SERVICE_CONTROL_POLICY' });
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { PolicyType: 'TAG_POLICY' });
    });

    test('a policy that is never attached enables nothing', () => {
      const { stack } = setUp();
      policy(stack, 'A');
      Template.fromStack(stack).resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 0);
    });

    test('an imported target with no known root falls back to the app\'s only Organization', () => {
      const { stack } = setUp();
      policy(stack, 'A').attachTo(Account.fromAccountId(stack, 'Imported', '123456789012'));
      Template.fromStack(stack).resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 1);
    });

    test('a user-declared EnabledPolicyType on an imported root', () => {
      const stack = new Stack(new App(), 'Attachments');
      const root = Root.fromRootId(stack, 'Root', 'r-abcd');
      const enabled = new EnabledPolicyType(stack, 'TagPolicies', { root, policyType: PolicyType.TAG_POLICY });
      policy(stack, 'Tags', PolicyType.TAG_POLICY).attachTo(root);
      const template = Template.fromStack(stack);
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { RootId: 'r-abcd', PolicyType: 'TAG_POLICY' });
      template.hasResource(ResourceType.POLICY, { DependsOn: [logicalIdOf(stack, enabled)] });
    });

    test('without the Organization, an unknown type is a clear error', () => {
      const stack = new Stack(new App(), 'Attachments');
      const ou = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Ou', 'ou-abcd-12345678');
      expect(() => policy(stack, 'Scp').attachTo(ou)).toThrow(new RegExp(
        'Cannot attach policy Attachments/Scp to Attachments/Ou \\(ou-abcd-12345678\\): the policy type SERVICE_CONTROL_POLICY must be enabled '
        + 'on its root first, and this app cannot tell whether it is. Declare the Organization in this app'));
    });

    test('an imported root that lists the type', () => {
      const stack = new Stack(new App(), 'Attachments');
      const root = Root.fromRootAttributes(stack, 'Root', { rootId: 'r-abcd', enabledPolicyTypes: [PolicyType.SERVICE_CONTROL_POLICY] });
      const ou = OrganizationalUnit.fromOrganizationalUnitAttributes(stack, 'Ou', { organizationalUnitId: 'ou-abcd-12345678', parent: root });
      policy(stack, 'Scp').attachTo(ou);
      expect(() => policy(stack, 'Rcp', PolicyType.RESOURCE_CONTROL_POLICY).attachTo(ou)).toThrow(/the policy type RESOURCE_CONTROL_POLICY must be enabled/);
      Template.fromStack(stack).resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 0);
    });

    test('a policy imported by id alone cannot be attached', () => {
      const { stack, ou } = setUp();
      expect(() => Policy.fromPolicyId(stack, 'P', 'p-abcd1234').attachTo(ou))
        .toThrow(/policyType of the imported policy p-abcd1234 is unknown, and attaching a policy needs it .*Policy.fromPolicyAttributes/);
    });
  });

  describe('validation', () => {
    test('one attachment declared twice', () => {
      const { stack, ou } = setUp();
      const scp = policy(stack, 'Scp');
      scp.attachTo(ou);
      expect(() => new PolicyAttachment(stack, 'Again', { policy: scp, target: ou }))
        .toThrow(/Org\/Again: Cannot attach policy Org\/Scp to Org\/Workloads: it is already attached there by Org\/Scp\/AttachedTo/);
    });

    test('attachTo and attachPolicy of one pair: this library\'s message, not CDK\'s duplicate id', () => {
      const { stack, ou } = setUp();
      const scp = policy(stack, 'Scp');
      scp.attachTo(ou);
      expect(() => ou.attachPolicy(scp)).toThrow(/^Org\/Scp: Cannot attach policy Org\/Scp to Org\/Workloads: it is already attached there by Org\/Scp\/AttachedTo\w+\. Declare each attachment once/);
      expect(() => scp.attachTo(ou)).toThrow(/it is already attached there by Org\/Scp\/AttachedTo/);
    });

    test('an imported target imported twice is the same target', () => {
      const stack = new Stack(new App(), 'Attachments');
      const root = Root.fromRootAttributes(stack, 'Root', { rootId: 'r-abcd', enabledPolicyTypes: [PolicyType.SERVICE_CONTROL_POLICY] });
      const scp = policy(stack, 'Scp');
      scp.attachTo(OrganizationalUnit.fromOrganizationalUnitAttributes(stack, 'A', { organizationalUnitId: 'ou-abcd-12345678', parent: root }));
      expect(() => scp.attachTo(OrganizationalUnit.fromOrganizationalUnitAttributes(stack, 'B', { organizationalUnitId: 'ou-abcd-12345678', parent: root })))
        .toThrow(/it is already attached there/);
    });

    test('10 SCPs on one new OU are refused: FullAWSAccess, attached to it by AWS, is the 11th', () => {
      const { stack, ou } = setUp();
      for (let i = 1; i <= 9; i++) policy(stack, `Scp${i}`).attachTo(ou);
      expect(() => policy(stack, 'Scp10').attachTo(ou)).toThrow(new RegExp('Org/Scp10/AttachedTo\\w+: Cannot attach policy Org/Scp10 to Org/Workloads: '
        + 'at most 10 SERVICE_CONTROL_POLICY policies can be attached directly to one root, OU or account \\(a hard quota, counting FullAWSAccess, '
        + 'which AWS attaches to every root, OU and account while SERVICE_CONTROL_POLICY is enabled and this app never detaches\\), and this would be 11'));
    });

    test('FullAWSAccess counts on the root and on accounts the app declares', () => {
      const { stack, organization, ou } = setUp();
      const account = new Account(stack, 'Prod', { accountName: 'prod', email: 'prod@example.com', parent: ou });
      for (const target of [organization.root, account]) {
        for (let i = 1; i <= 9; i++) policy(stack, `${target.node.id}Scp${i}`).attachTo(target);
        expect(() => policy(stack, `${target.node.id}Scp10`).attachTo(target)).toThrow(/counting FullAWSAccess.*and this would be 11/);
      }
    });

    test('FullAWSAccess attached by the app is counted once', () => {
      const { stack, ou } = setUp();
      ou.attachPolicy(Policy.fullAwsAccess(stack));
      for (let i = 1; i <= 9; i++) policy(stack, `Scp${i}`).attachTo(ou);
      expect(() => policy(stack, 'Scp10').attachTo(ou)).toThrow(/and this would be 11/);
    });

    test('on an imported target, where FullAWSAccess may have been detached, the 10th SCP warns and the 11th is refused', () => {
      const { stack } = setUp();
      const imported = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Imported', 'ou-abcd-12345678');
      for (let i = 1; i <= 9; i++) policy(stack, `Scp${i}`).attachTo(imported);
      const tenth = policy(stack, 'Scp10').attachTo(imported);
      Annotations.fromStack(stack).hasWarning(`/${tenth.node.path}`, Match.stringLikeRegexp(
        'this is policy 10 of type SERVICE_CONTROL_POLICY attached directly to an imported target, and AWS allows 10. Unless FullAWSAccess '
        + '\\(p-FullAWSAccess\\), which AWS attaches to every root, OU and account, was detached from it, it makes 11 and the deployment fails'));
      expect(() => policy(stack, 'Scp11').attachTo(imported))
        .toThrow(/at most 10 SERVICE_CONTROL_POLICY policies can be attached directly to one root, OU or account \(a hard quota\), and this would be 11/);
    });

    test('an imported target with FullAWSAccess attached by the app counts it', () => {
      const { stack } = setUp();
      const imported = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Imported', 'ou-abcd-12345678');
      imported.attachPolicy(Policy.fullAwsAccess(stack));
      for (let i = 1; i <= 8; i++) policy(stack, `Scp${i}`).attachTo(imported);
      policy(stack, 'Scp9').attachTo(imported);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      expect(() => policy(stack, 'Scp10').attachTo(imported)).toThrow(/and this would be 11/);
    });

    test('RCPFullAWSAccess counts toward the 5 RCPs', () => {
      const { stack, ou } = setUp();
      for (let i = 1; i <= 4; i++) policy(stack, `Rcp${i}`, PolicyType.RESOURCE_CONTROL_POLICY).attachTo(ou);
      expect(() => policy(stack, 'Rcp5', PolicyType.RESOURCE_CONTROL_POLICY).attachTo(ou))
        .toThrow(/at most 5 RESOURCE_CONTROL_POLICY policies .*counting RCPFullAWSAccess, which is always attached\), and this would be 6/);
    });

    test('the quota is per target and per type', () => {
      const { stack, organization, ou } = setUp();
      for (let i = 1; i <= 9; i++) {
        const scp = policy(stack, `Scp${i}`);
        scp.attachTo(ou);
        scp.attachTo(organization.root);
      }
      expect(() => policy(stack, 'Tags', PolicyType.TAG_POLICY).attachTo(ou)).not.toThrow();
    });

    test('RCPFullAWSAccess is never attached by the app', () => {
      const { stack, ou } = setUp();
      expect(() => Policy.rcpFullAwsAccess(stack).attachTo(ou))
        .toThrow(/RCPFullAWSAccess is attached to every root, OU and account by AWS and can never be detached/);
    });
  });
});
