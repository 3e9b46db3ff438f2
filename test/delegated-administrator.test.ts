import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Account, AwsServiceAccess, DelegatedAdministrator, FeatureSet, Organization } from '../src';
import { ResourceType } from '../src/private/contract';

function setUp(env?: { account: string; region: string }) {
  const app = new App();
  const stack = new Stack(app, 'Org', { env });
  const organization = new Organization(stack, 'Organization');
  const security = new Account(stack, 'Security', { accountName: 'security', email: 'security@example.com', parent: organization.root });
  return { app, stack, organization, security };
}

describe('DelegatedAdministrator', () => {
  test('account and service principal', () => {
    const { stack, security } = setUp();
    new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.DELEGATED_ADMINISTRATOR, 1);
    template.hasResource(ResourceType.DELEGATED_ADMINISTRATOR, {
      Properties: { AccountId: { Ref: stack.getLogicalId(security.node.defaultChild!.node.defaultChild as any) }, ServicePrincipal: 'guardduty.amazonaws.com' },
      DeletionPolicy: 'Delete',
    });
  });

  test('trusted access for the service is enabled first, with the Organization in the app', () => {
    const { stack, security } = setUp();
    new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
    const template = Template.fromStack(stack);
    const accessId = Object.keys(template.findResources(ResourceType.AWS_SERVICE_ACCESS, { Properties: { ServicePrincipal: 'guardduty.amazonaws.com' } }))[0];
    expect(accessId).toBeDefined();
    template.hasResource(ResourceType.DELEGATED_ADMINISTRATOR, { DependsOn: [accessId] });
  });

  test('trusted access is shared with organization.enableAwsServiceAccess', () => {
    const { stack, organization, security } = setUp();
    const access = organization.enableAwsServiceAccess('guardduty.amazonaws.com');
    new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
    expect(organization.enableAwsServiceAccess('guardduty.amazonaws.com')).toBe(access);
    Template.fromStack(stack).resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 2); // guardduty and account.amazonaws.com
  });

  test('an imported account under the app\'s Organization', () => {
    const { stack } = setUp();
    new DelegatedAdministrator(stack, 'GuardDuty', { account: Account.fromAccountId(stack, 'Imported', '222222222222'), servicePrincipal: 'guardduty.amazonaws.com' });
    Template.fromStack(stack).hasResourceProperties(ResourceType.DELEGATED_ADMINISTRATOR, { AccountId: '222222222222' });
  });

  test('without the Organization, a declared AwsServiceAccess', () => {
    const stack = new Stack(new App(), 'Admins');
    const access = new AwsServiceAccess(stack, 'GuardDutyAccess', { servicePrincipal: 'guardduty.amazonaws.com' });
    new DelegatedAdministrator(stack, 'GuardDuty', { account: Account.fromAccountId(stack, 'Security', '222222222222'), servicePrincipal: 'guardduty.amazonaws.com' });
    Template.fromStack(stack).hasResource(ResourceType.DELEGATED_ADMINISTRATOR, {
      DependsOn: [stack.getLogicalId(access.node.defaultChild!.node.defaultChild as any)],
    });
  });

  test('without the Organization, an imported organization that says trusted access is enabled', () => {
    const stack = new Stack(new App(), 'Admins');
    Organization.fromOrganizationAttributes(stack, 'Org', { organizationId: 'o-abcdefghij', awsServiceAccessPrincipals: ['guardduty.amazonaws.com'] });
    new DelegatedAdministrator(stack, 'GuardDuty', { account: Account.fromAccountId(stack, 'Security', '222222222222'), servicePrincipal: 'guardduty.amazonaws.com' });
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.AWS_SERVICE_ACCESS, 0);
    template.resourceCountIs(ResourceType.DELEGATED_ADMINISTRATOR, 1);
  });

  test('without the Organization and without word of trusted access, a clear error', () => {
    const stack = new Stack(new App(), 'Admins');
    expect(() => new DelegatedAdministrator(stack, 'GuardDuty', {
      account: Account.fromAccountId(stack, 'Security', '222222222222'), servicePrincipal: 'guardduty.amazonaws.com',
    })).toThrow(/Admins\/GuardDuty: servicePrincipal guardduty.amazonaws.com: trusted access for it must be enabled before .* this app cannot tell whether it is/);
  });

  test('refused with consolidated billing only', () => {
    const stack = new Stack(new App(), 'Org');
    const organization = new Organization(stack, 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
    const account = new Account(stack, 'Security', { accountName: 'security', email: 'security@example.com', parent: organization.root });
    expect(() => new DelegatedAdministrator(stack, 'GuardDuty', { account, servicePrincipal: 'guardduty.amazonaws.com' }))
      .toThrow(/trusted access needs all features/);
  });

  test('removal policy', () => {
    const { stack, security } = setUp();
    new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(ResourceType.DELEGATED_ADMINISTRATOR, { DeletionPolicy: 'Retain' });
  });

  describe('the management account is refused', () => {
    test('by the account of the stack', () => {
      const { stack } = setUp({ account: '111111111111', region: 'us-east-1' });
      expect(() => new DelegatedAdministrator(stack, 'GuardDuty', {
        account: Account.fromAccountId(stack, 'Management', '111111111111'), servicePrincipal: 'guardduty.amazonaws.com',
      })).toThrow(/Org\/GuardDuty: account Org\/Management \(111111111111\) is the organization's management account/);
    });

    test('by the account of the organization\'s stack', () => {
      const app = new App();
      const organization = new Organization(new Stack(app, 'Org', { env: { account: '111111111111', region: 'us-east-1' } }), 'Organization');
      const admins = new Stack(app, 'Admins');
      expect(organization).toBeDefined();
      expect(() => new DelegatedAdministrator(admins, 'GuardDuty', {
        account: Account.fromAccountId(admins, 'Management', '111111111111'), servicePrincipal: 'guardduty.amazonaws.com',
      })).toThrow(/is the organization's management account/);
    });

    test('by organization.managementAccountId', () => {
      const { stack, organization } = setUp();
      expect(() => new DelegatedAdministrator(stack, 'GuardDuty', {
        account: Account.fromAccountId(stack, 'Management', organization.managementAccountId), servicePrincipal: 'guardduty.amazonaws.com',
      })).toThrow(/is the organization's management account/);
    });

    test('by an imported organization\'s managementAccountId', () => {
      const stack = new Stack(new App(), 'Admins');
      Organization.fromOrganizationAttributes(stack, 'Org', {
        organizationId: 'o-abcdefghij', managementAccountId: '111111111111', awsServiceAccessPrincipals: ['guardduty.amazonaws.com'],
      });
      expect(() => new DelegatedAdministrator(stack, 'GuardDuty', {
        account: Account.fromAccountId(stack, 'Management', '111111111111'), servicePrincipal: 'guardduty.amazonaws.com',
      })).toThrow(/is the organization's management account/);
    });

    test('a member account is fine', () => {
      const { stack } = setUp({ account: '111111111111', region: 'us-east-1' });
      expect(() => new DelegatedAdministrator(stack, 'GuardDuty', {
        account: Account.fromAccountId(stack, 'Member', '222222222222'), servicePrincipal: 'guardduty.amazonaws.com',
      })).not.toThrow();
    });
  });

  describe('validation', () => {
    test('a malformed service principal', () => {
      const { stack, security } = setUp();
      expect(() => new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guard duty' }))
        .toThrow(/Org\/GuardDuty: servicePrincipal must be a service principal such as guardduty.amazonaws.com .*got "guard duty"/);
    });

    test('one registration declared twice', () => {
      const { stack, security } = setUp();
      new DelegatedAdministrator(stack, 'First', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
      expect(() => new DelegatedAdministrator(stack, 'Second', { account: security, servicePrincipal: 'guardduty.amazonaws.com' }))
        .toThrow(/Org\/Second: account Org\/Security is already registered for guardduty.amazonaws.com by Org\/First/);
    });

    test('each registration keeps one of the account\'s 50 tags: 48 declared tags and one registration are refused', () => {
      const declare = (tags: number) => {
        const { stack, security } = setUp();
        for (let i = 0; i < tags; i++) security.tags.setTag(`k${i}`, 'v');
        new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
        return () => Template.fromStack(stack);
      };
      expect(declare(47)).not.toThrow();
      expect(declare(48)).toThrow(/\[Org\/Security\] tags: at most 47 tags on this resource \(AWS allows 50, and this library keeps 2 for its ownership record and 1 for the policy attachments.*\), got 48/);
    });

    test('one account for two services is fine', () => {
      const { stack, security } = setUp();
      new DelegatedAdministrator(stack, 'GuardDuty', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
      new DelegatedAdministrator(stack, 'SecurityHub', { account: security, servicePrincipal: 'securityhub.amazonaws.com' });
      Template.fromStack(stack).resourceCountIs(ResourceType.DELEGATED_ADMINISTRATOR, 2);
    });
  });
});
