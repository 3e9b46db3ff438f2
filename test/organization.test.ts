import { App, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  Account,
  AwsServiceAccess,
  EnabledPolicyType,
  FeatureSet,
  Organization,
  OrganizationalUnit,
  Policy,
  PolicyContent,
  PolicyType,
  Root,
} from '../src';
import { ResourceType } from '../src/private/contract';

const scp = () => PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] });

function newStack(id = 'Org'): Stack {
  return new Stack(new App(), id);
}

describe('Organization', () => {
  test('defaults: all features, retained, never deleted by the handler', () => {
    const stack = newStack();
    new Organization(stack, 'Organization');
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.ORGANIZATION, 1);
    template.hasResource(ResourceType.ORGANIZATION, {
      Properties: { FeatureSet: 'ALL', DeleteOnRemoval: 'false' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('featureSet CONSOLIDATED_BILLING', () => {
    const stack = newStack();
    new Organization(stack, 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATION, { FeatureSet: 'CONSOLIDATED_BILLING' });
  });

  test('removalPolicy DESTROY is the opt-in to delete it', () => {
    const stack = newStack();
    new Organization(stack, 'Organization', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource(ResourceType.ORGANIZATION, {
      Properties: { DeleteOnRemoval: 'true' },
      DeletionPolicy: 'Delete',
    });
  });

  test('applyRemovalPolicy(DESTROY) is the same opt-in', () => {
    const stack = newStack();
    const organization = new Organization(stack, 'Organization');
    organization.applyRemovalPolicy(RemovalPolicy.DESTROY);
    Template.fromStack(stack).hasResource(ResourceType.ORGANIZATION, { Properties: { DeleteOnRemoval: 'true' }, DeletionPolicy: 'Delete' });
  });

  test('removalPolicy SNAPSHOT is refused', () => {
    expect(() => new Organization(newStack(), 'Organization', { removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow(/removalPolicy SNAPSHOT is not supported by an organization/);
  });

  test('attributes are the resource\'s', () => {
    const stack = newStack();
    const organization = new Organization(stack, 'Organization');
    const logicalId = stack.getLogicalId(organization.node.defaultChild!.node.defaultChild as any);
    expect(stack.resolve(organization.organizationId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(organization.organizationArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(stack.resolve(organization.managementAccountId)).toEqual({ 'Fn::GetAtt': [logicalId, 'ManagementAccountId'] });
    expect(stack.resolve(organization.managementAccountArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'ManagementAccountArn'] });
    expect(stack.resolve(organization.managementAccountEmail)).toEqual({ 'Fn::GetAtt': [logicalId, 'ManagementAccountEmail'] });
    expect(stack.resolve(organization.root.rootId)).toEqual({ 'Fn::GetAtt': [logicalId, 'RootId'] });
    expect(stack.resolve(organization.root.rootArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'RootArn'] });
    expect(stack.resolve(organization.root.targetId)).toEqual({ 'Fn::GetAtt': [logicalId, 'RootId'] });
    expect(organization.featureSet).toBe(FeatureSet.ALL);
  });

  test('attributes are usable across stacks', () => {
    const app = new App();
    const orgStack = new Stack(app, 'OrgStack');
    const organization = new Organization(orgStack, 'Organization');
    const other = new Stack(app, 'Other');
    new OrganizationalUnit(other, 'Ou', { organizationalUnitName: 'Workloads', parent: organization.root });
    Template.fromStack(other).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, {
      ParentId: { 'Fn::ImportValue': Match.stringLikeRegexp('OrgStack') },
    });
  });

  test('two organizations in one stack are refused', () => {
    const stack = newStack();
    new Organization(stack, 'First');
    expect(() => new Organization(stack, 'Second')).toThrow(/Org\/Second: .*manages one organization at most, and Org\/First already declares it/);
  });

  test('two organizations in two environment-agnostic stacks of one app are refused', () => {
    const app = new App();
    new Organization(new Stack(app, 'First'), 'Organization');
    expect(() => new Organization(new Stack(app, 'Second'), 'Organization')).toThrow(new RegExp('^Second/Organization: a stack deploys to one '
      + 'account, which manages one organization at most, and First/Organization already declares it \\(environment-agnostic stacks, which '
      + 'deploy with the same credentials, so to the same account\\)\\..*give each stack its account \\(env: \\{ account \\}\\)'));
  });

  test('two organizations in two stacks of one account are refused', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    new Organization(new Stack(app, 'First', { env }), 'Organization');
    expect(() => new Organization(new Stack(app, 'Second', { env: { ...env, region: 'eu-west-1' } }), 'Organization'))
      .toThrow(/^Second\/Organization: a stack deploys to one account, which manages one organization at most, and First\/Organization already declares it \(account 111111111111\)/);
  });

  test('an environment-agnostic stack and a stack with an account may be two accounts: not refused', () => {
    const app = new App();
    new Organization(new Stack(app, 'First'), 'Organization');
    expect(() => new Organization(new Stack(app, 'Second', { env: { account: '111111111111', region: 'us-east-1' } }), 'Organization')).not.toThrow();
  });

  describe('tags of the root', () => {
    test('Tags.of(root) reaches the root: rendered into RootTags, which the provider applies', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      Tags.of(organization.root).add('team', 'platform');
      Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATION, { RootTags: [{ Key: 'team', Value: 'platform' }] });
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('tags of a scope above the organization reach the root too', () => {
      const stack = newStack();
      new Organization(stack, 'Organization');
      Tags.of(stack).add('env', 'prod');
      Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATION, { RootTags: [{ Key: 'env', Value: 'prod' }] });
    });

    test('no tags: no RootTags and no warning', () => {
      const stack = newStack();
      new Organization(stack, 'Organization');
      Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATION, { RootTags: Match.absent() });
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('root tags are checked like any other', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      Tags.of(organization.root).add('team', 'a#b');
      expect(() => Template.fromStack(stack)).toThrow(/\[Org\/Organization\/Root\] tags: the value of tag "team" must be Unicode letters, digits, spaces and the characters _.:\/=\+-@ \(pattern .*\), got "a#b"/);
    });
  });

  test('each policy type enabled keeps two tags on the root (its owner and its creation marker): fewer root tags are allowed', () => {
    const stack = newStack();
    const organization = new Organization(stack, 'Organization');
    organization.enablePolicyType(PolicyType.TAG_POLICY);
    for (let i = 0; i < 47; i++) Tags.of(organization.root).add(`t${i}`, 'x');
    expect(() => Template.fromStack(stack)).toThrow(/\[Org\/Organization\/Root\] tags: at most 46 tags on this resource \(AWS allows 50, and this library keeps 2 for its ownership record and 2 for the policy attachments, delegated administrators, policy types or trusted access/);
  });

  describe('policy types', () => {
    test('enablePolicyType makes one EnabledPolicyType on the root', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      const enabled = organization.enablePolicyType(PolicyType.TAG_POLICY);
      expect(enabled).toBeInstanceOf(EnabledPolicyType);
      expect(organization.enablePolicyType(PolicyType.TAG_POLICY)).toBe(enabled);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 1);
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, {
        RootId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Organization'), 'RootId'] },
        PolicyType: 'TAG_POLICY',
      });
    });

    test('enabledPolicyTypes prop', () => {
      const stack = newStack();
      new Organization(stack, 'Organization', { enabledPolicyTypes: [PolicyType.BACKUP_POLICY, PolicyType.of('FUTURE_POLICY')] });
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 2);
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { PolicyType: 'BACKUP_POLICY' });
      template.hasResourceProperties(ResourceType.ENABLED_POLICY_TYPE, { PolicyType: 'FUTURE_POLICY' });
    });

    test('the type of an attached policy is enabled once, before the policy', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      const ou = new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'Workloads', parent: organization.root });
      for (const name of ['a', 'b']) {
        new Policy(stack, name, { policyName: name, policyType: PolicyType.SERVICE_CONTROL_POLICY, content: scp() }).attachTo(ou);
      }
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 1);
      const enabledId = Object.keys(template.findResources(ResourceType.ENABLED_POLICY_TYPE))[0];
      const policies = template.findResources(ResourceType.POLICY);
      for (const policy of Object.values<any>(policies)) expect(policy.DependsOn).toContain(enabledId);
    });

    test('a user-declared EnabledPolicyType is reused', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      const mine = new EnabledPolicyType(stack, 'Mine', { root: organization.root, policyType: PolicyType.TAG_POLICY });
      expect(organization.enablePolicyType(PolicyType.TAG_POLICY)).toBe(mine);
      Template.fromStack(stack).resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 1);
    });

    test('refused with consolidated billing only', () => {
      const organization = new Organization(newStack(), 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
      expect(() => organization.enablePolicyType(PolicyType.SERVICE_CONTROL_POLICY))
        .toThrow(/Cannot enable policy type SERVICE_CONTROL_POLICY: policies need all features, and featureSet is CONSOLIDATED_BILLING/);
    });

    test('PolicyType.of refuses a name that is not an API name', () => {
      expect(() => PolicyType.of('service control')).toThrow(/PolicyType.of\(value\) must be uppercase letters.*got "service control"/);
    });
  });

  describe('trusted access', () => {
    test('enableAwsServiceAccess makes one AwsServiceAccess, after the organization', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      const access = organization.enableAwsServiceAccess('sso.amazonaws.com');
      expect(access).toBeInstanceOf(AwsServiceAccess);
      expect(organization.enableAwsServiceAccess('sso.amazonaws.com')).toBe(access);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 1);
      template.hasResource(ResourceType.AWS_SERVICE_ACCESS, {
        Properties: { ServicePrincipal: 'sso.amazonaws.com' },
        DependsOn: [Match.stringLikeRegexp('^Organization')],
      });
    });

    test('awsServiceAccessPrincipals prop', () => {
      const stack = newStack();
      new Organization(stack, 'Organization', { awsServiceAccessPrincipals: ['sso.amazonaws.com', 'guardduty.amazonaws.com'] });
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 2);
      template.hasResourceProperties(ResourceType.AWS_SERVICE_ACCESS, { ServicePrincipal: 'guardduty.amazonaws.com' });
    });

    test('accounts in the app get trusted access for Account Management (renames), once', () => {
      const stack = newStack();
      const organization = new Organization(stack, 'Organization');
      new Account(stack, 'A', { accountName: 'a', email: 'a@example.com', parent: organization.root });
      new Account(stack, 'B', { accountName: 'b', email: 'b@example.com' });
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 1);
      template.hasResourceProperties(ResourceType.AWS_SERVICE_ACCESS, { ServicePrincipal: 'account.amazonaws.com' });
      const accessId = Object.keys(template.findResources(ResourceType.AWS_SERVICE_ACCESS))[0];
      for (const account of Object.values<any>(template.findResources(ResourceType.ACCOUNT))) expect(account.DependsOn).toContain(accessId);
    });

    test('no trusted access without accounts', () => {
      const stack = newStack();
      new Organization(stack, 'Organization');
      Template.fromStack(stack).resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 0);
    });

    test('no trusted access for accounts of a consolidated-billing organization, which still come after it', () => {
      const stack = newStack();
      new Organization(stack, 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
      new Account(stack, 'A', { accountName: 'a', email: 'a@example.com' });
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 0);
      template.hasResource(ResourceType.ACCOUNT, { DependsOn: [Match.stringLikeRegexp('^Organization')] });
    });

    test('refused with consolidated billing only', () => {
      const organization = new Organization(newStack(), 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
      expect(() => organization.enableAwsServiceAccess('sso.amazonaws.com'))
        .toThrow(/Cannot enable trusted access for sso.amazonaws.com: trusted access needs all features/);
    });

    test('a malformed service principal is refused', () => {
      const organization = new Organization(newStack(), 'Organization');
      expect(() => organization.enableAwsServiceAccess('sso amazonaws com'))
        .toThrow(/servicePrincipal must be a service principal such as guardduty.amazonaws.com .*got "sso amazonaws com"/);
    });

    test('a principal declared twice is refused', () => {
      const stack = newStack();
      new AwsServiceAccess(stack, 'First', { servicePrincipal: 'sso.amazonaws.com' });
      expect(() => new AwsServiceAccess(stack, 'Second', { servicePrincipal: 'sso.amazonaws.com' }))
        .toThrow(/Org\/Second: servicePrincipal sso.amazonaws.com: trusted access for it is already declared by Org\/First/);
    });
  });

  describe('Organization.fromOrganizationAttributes', () => {
    test('knows what it is given', () => {
      const stack = newStack();
      const imported = Organization.fromOrganizationAttributes(stack, 'Imported', {
        organizationId: 'o-abcdefghij',
        organizationArn: 'arn:aws:organizations::111111111111:organization/o-abcdefghij',
        managementAccountId: '111111111111',
        managementAccountArn: 'arn:aws:organizations::111111111111:account/o-abcdefghij/111111111111',
        managementAccountEmail: 'root@example.com',
        rootId: 'r-abcd',
      });
      expect(imported.organizationId).toBe('o-abcdefghij');
      expect(imported.organizationArn).toBe('arn:aws:organizations::111111111111:organization/o-abcdefghij');
      expect(imported.managementAccountId).toBe('111111111111');
      expect(imported.managementAccountEmail).toBe('root@example.com');
      expect(imported.root.rootId).toBe('r-abcd');
      expect(imported.root.targetId).toBe('r-abcd');
      Template.fromStack(stack).resourceCountIs(ResourceType.ORGANIZATION, 0);
    });

    test('never invents what it is not given', () => {
      const imported = Organization.fromOrganizationAttributes(newStack(), 'Imported', { organizationId: 'o-abcdefghij' });
      expect(() => imported.organizationArn).toThrow(/organizationArn of the imported organization o-abcdefghij is unknown/);
      expect(() => imported.managementAccountId).toThrow(/managementAccountId of the imported organization o-abcdefghij is unknown/);
      expect(() => imported.root).toThrow(/rootId of the imported organization o-abcdefghij is unknown/);
    });

    test('refuses a malformed id', () => {
      expect(() => Organization.fromOrganizationAttributes(newStack(), 'Imported', { organizationId: 'org-1' }))
        .toThrow(/organizationId must be "o-" followed by 10 to 32 lowercase letters or digits .*got "org-1"/);
    });

    test('policies can be attached under its root when their types are enabled already', () => {
      const stack = newStack();
      const imported = Organization.fromOrganizationAttributes(stack, 'Imported', {
        organizationId: 'o-abcdefghij', rootId: 'r-abcd', enabledPolicyTypes: [PolicyType.SERVICE_CONTROL_POLICY],
      });
      const ou = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Ou', 'ou-abcd-12345678');
      new Policy(stack, 'Scp', { policyName: 'scp', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: scp() }).attachTo(imported.root);
      new Policy(stack, 'Scp2', { policyName: 'scp2', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: scp() }).attachTo(ou);
      const template = Template.fromStack(stack);
      template.resourceCountIs(ResourceType.ENABLED_POLICY_TYPE, 0);
      template.hasResourceProperties(ResourceType.POLICY, { Name: 'scp', TargetIds: ['r-abcd'] });
      template.hasResourceProperties(ResourceType.POLICY, { Name: 'scp2', TargetIds: ['ou-abcd-12345678'] });
    });
  });

  describe('Root', () => {
    test('fromRootId', () => {
      const root = Root.fromRootId(newStack(), 'Root', 'r-abcd');
      expect(root.rootId).toBe('r-abcd');
      expect(root.targetId).toBe('r-abcd');
      expect(() => root.rootArn).toThrow(/rootArn of the imported root r-abcd is unknown/);
    });

    test('fromRootAttributes', () => {
      const root = Root.fromRootAttributes(newStack(), 'Root', { rootId: 'r-abcd', rootArn: 'arn:aws:organizations::111111111111:root/o-abcdefghij/r-abcd' });
      expect(root.rootArn).toBe('arn:aws:organizations::111111111111:root/o-abcdefghij/r-abcd');
    });

    test('refuses a malformed id', () => {
      expect(() => Root.fromRootId(newStack(), 'Root', 'root-1')).toThrow(/rootId must be "r-" followed by 4 to 32 lowercase letters or digits .*got "root-1"/);
    });

    test('policy types of an imported root are unknown unless stated', () => {
      const stack = newStack();
      const root = Root.fromRootId(stack, 'Root', 'r-abcd');
      const policy = new Policy(stack, 'Scp', { policyName: 'scp', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: scp() });
      expect(() => policy.attachTo(root)).toThrow(/the policy type SERVICE_CONTROL_POLICY must be enabled on its root Org\/Root \(r-abcd\) first, and this app cannot tell whether it is/);
    });
  });
});

describe('an app with two organizations', () => {
  test('trusted access comes after its own organization', () => {
    const app = new App();
    new Organization(new Stack(app, 'First', { env: { account: '111111111111', region: 'us-east-1' } }), 'Organization');
    const secondStack = new Stack(app, 'Second', { env: { account: '222222222222', region: 'us-east-1' } });
    // With two organizations, the app has no "only organization" to order trusted access after.
    new Organization(secondStack, 'Organization').enableAwsServiceAccess('sso.amazonaws.com');
    Template.fromStack(secondStack).hasResource(ResourceType.AWS_SERVICE_ACCESS, { DependsOn: [Match.stringLikeRegexp('^Organization')] });
  });
});

describe('organizations of two accounts in one app', () => {
  test('each has its own trusted access', () => {
    const app = new App();
    const first = new Organization(new Stack(app, 'First', { env: { account: '111111111111', region: 'us-east-1' } }), 'Organization');
    const second = new Organization(new Stack(app, 'Second', { env: { account: '222222222222', region: 'us-east-1' } }), 'Organization');
    const a = first.enableAwsServiceAccess('sso.amazonaws.com');
    const b = second.enableAwsServiceAccess('sso.amazonaws.com');
    expect(a).not.toBe(b);
    expect(Stack.of(a)).not.toBe(Stack.of(b));
  });
});
