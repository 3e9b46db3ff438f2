import { App, CfnElement, CfnParameter, CustomResource, Duration, Lazy, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { Account, AccountRemovalAction, IParent, Organization, OrganizationalUnit, ParentType, PolicyAttachment, Root } from '../src';
import { ResourceType } from '../src/private/contract';

function setUp(): { app: App; stack: Stack; organization: Organization } {
  const app = new App();
  const stack = new Stack(app, 'Org');
  return { app, stack, organization: new Organization(stack, 'Organization') };
}

/** A stack without organization, for accounts under an imported root. */
function bareStack(): Stack {
  return new Stack(new App(), 'Accounts');
}

const minimal = { accountName: 'prod', email: 'aws+prod@example.com' };

describe('Account', () => {
  test('defaults: retained, adopted, 45 minutes to create, no parent, no role or billing override', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', minimal);
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.ACCOUNT, 1);
    template.hasResource(ResourceType.ACCOUNT, {
      Properties: {
        AccountName: 'prod',
        Email: 'aws+prod@example.com',
        AdoptExisting: 'true',
        RemovalAction: 'RETAIN',
        CreateTimeoutSeconds: '2700',
        ParentId: Match.absent(),
        RoleName: Match.absent(),
        IamUserAccessToBilling: Match.absent(),
        Tags: Match.absent(),
      },
      // The handler keeps a RETAIN account itself (and so can undo what adopting it changed on rollback):
      // CloudFormation deletes, its default for both policies, which the template leaves out.
      DeletionPolicy: Match.absent(),
      UpdateReplacePolicy: Match.absent(),
    });
  });

  test('parent', () => {
    const { stack, organization } = setUp();
    const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    new Account(stack, 'Prod', { ...minimal, parent: ou });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, {
      ParentId: { Ref: stack.getLogicalId(ou.node.defaultChild!.node.defaultChild as any) },
    });
  });

  test('an imported parent', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, parent: OrganizationalUnit.fromOrganizationalUnitId(stack, 'Ou', 'ou-abcd-12345678') });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, { ParentId: 'ou-abcd-12345678' });
  });

  test('roleName', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, roleName: 'AdminAccess' });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, { RoleName: 'AdminAccess' });
  });

  test('iamUserAccessToBilling', () => {
    const stack = bareStack();
    new Account(stack, 'Deny', { ...minimal, iamUserAccessToBilling: false });
    new Account(stack, 'Allow', { accountName: 'dev', email: 'aws+dev@example.com', iamUserAccessToBilling: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties(ResourceType.ACCOUNT, { AccountName: 'prod', IamUserAccessToBilling: 'DENY' });
    template.hasResourceProperties(ResourceType.ACCOUNT, { AccountName: 'dev', IamUserAccessToBilling: 'ALLOW' });
  });

  test('tags, from props and from Tags.of', () => {
    const stack = bareStack();
    const account = new Account(stack, 'Prod', { ...minimal, tags: { env: 'prod' } });
    Tags.of(account).add('owner', 'platform');
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, {
      Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'platform' }],
    });
  });

  test('adoptExisting false', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, adoptExisting: false });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, { AdoptExisting: 'false' });
  });

  test('createTimeout', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, createTimeout: Duration.minutes(20) });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, { CreateTimeoutSeconds: '1200' });
  });

  test('createTimeout from a parameter is passed through', () => {
    const stack = bareStack();
    const minutes = new CfnParameter(stack, 'Seconds', { type: 'Number' });
    new Account(stack, 'Prod', { ...minimal, createTimeout: Duration.seconds(minutes.valueAsNumber) });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ACCOUNT, { CreateTimeoutSeconds: { Ref: 'Seconds' } });
  });

  test.each([
    [AccountRemovalAction.REMOVE_FROM_ORGANIZATION, 'REMOVE_FROM_ORGANIZATION'],
    [AccountRemovalAction.CLOSE, 'CLOSE'],
  ])('removalAction %s reaches the handler (DeletionPolicy Delete, the default)', (removalAction, wire) => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, removalAction });
    Template.fromStack(stack).hasResource(ResourceType.ACCOUNT, { Properties: { RemovalAction: wire }, DeletionPolicy: Match.absent() });
  });

  test('applyRemovalPolicy is refused in favour of removalAction', () => {
    const account = new Account(bareStack(), 'Prod', minimal);
    expect(() => account.applyRemovalPolicy(RemovalPolicy.DESTROY)).toThrow(/An Account takes no RemovalPolicy: set removalAction/);
  });

  test('attributes', () => {
    const stack = bareStack();
    const account = new Account(stack, 'Prod', minimal);
    const id = stack.getLogicalId(account.node.defaultChild!.node.defaultChild as any);
    expect(stack.resolve(account.accountId)).toEqual({ Ref: id });
    expect(stack.resolve(account.targetId)).toEqual({ Ref: id });
    expect(stack.resolve(account.accountArn)).toEqual({ 'Fn::GetAtt': [id, 'AccountArn'] });
    expect(stack.resolve(account.accountName)).toEqual({ 'Fn::GetAtt': [id, 'AccountName'] });
    expect(stack.resolve(account.email)).toEqual({ 'Fn::GetAtt': [id, 'Email'] });
    expect(stack.resolve(account.parentId)).toEqual({ 'Fn::GetAtt': [id, 'ParentId'] });
    expect(stack.resolve(account.joinedMethod)).toEqual({ 'Fn::GetAtt': [id, 'JoinedMethod'] });
    expect(stack.resolve(account.joinedTimestamp)).toEqual({ 'Fn::GetAtt': [id, 'JoinedTimestamp'] });
    expect(account.removalAction).toBe(AccountRemovalAction.RETAIN);
  });

  test('attributes are usable across stacks', () => {
    const app = new App();
    const accounts = new Stack(app, 'Accounts');
    const account = new Account(accounts, 'Prod', minimal);
    const consumer = new Stack(app, 'Consumer');
    new OrganizationalUnit(consumer, 'Ou', { organizationalUnitName: account.accountId, parent: Root.fromRootId(consumer, 'Root', 'r-abcd') });
    Template.fromStack(consumer).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, { Name: { 'Fn::ImportValue': Match.stringLikeRegexp('^Accounts:') } });
  });

  test('accounts are created in 5 lanes, as wide as AWS\'s creations in progress: each waits for the account 5 before it in its stack', () => {
    const { stack, organization } = setUp();
    for (let i = 0; i < 12; i++) new Account(stack, `Account${i}`, { accountName: `a${i}`, email: `a${i}@example.com`, parent: organization.root });
    const accounts = Template.fromStack(stack).findResources(ResourceType.ACCOUNT);
    const byName = new Map(Object.entries<any>(accounts).map(([id, r]) => [r.Properties.AccountName, id]));
    const waitsFor = (i: number) => (accounts[byName.get(`a${i}`)!].DependsOn ?? []).filter((d: string) => byName.has(accounts[d]?.Properties?.AccountName));
    for (let i = 0; i < 5; i++) expect(waitsFor(i)).toEqual([]);
    for (let i = 5; i < 12; i++) expect(waitsFor(i)).toEqual([byName.get(`a${i - 5}`)]);
  });

  test('lanes are per stack: the first 5 accounts of another stack wait for none', () => {
    const app = new App();
    const first = new Stack(app, 'First');
    const second = new Stack(app, 'Second');
    for (let i = 0; i < 6; i++) new Account(first, `A${i}`, { accountName: `a${i}`, email: `a${i}@example.com` });
    for (let i = 0; i < 5; i++) new Account(second, `B${i}`, { accountName: `b${i}`, email: `b${i}@example.com` });
    const accounts = Object.values<any>(Template.fromStack(second).findResources(ResourceType.ACCOUNT));
    for (const account of accounts) expect(account.DependsOn).toBeUndefined();
  });

  test('with the Organization in the app, an account comes after it and after trusted access for renames', () => {
    const { stack } = setUp();
    new Account(stack, 'Prod', minimal);
    const template = Template.fromStack(stack);
    const organizationId = Object.keys(template.findResources(ResourceType.ORGANIZATION))[0];
    const accessId = Object.keys(template.findResources(ResourceType.AWS_SERVICE_ACCESS, { Properties: { ServicePrincipal: 'account.amazonaws.com' } }))[0];
    const account = Object.values<any>(template.findResources(ResourceType.ACCOUNT))[0];
    expect(account.DependsOn.sort()).toEqual([organizationId, accessId].sort());
  });

  test('an account queued in a lane comes after the organization and trusted access through the account ahead of it, with one DependsOn', () => {
    const { stack } = setUp();
    for (let i = 0; i < 12; i++) new Account(stack, `Account${i}`, { accountName: `a${i}`, email: `a${i}@example.com` });
    const template = Template.fromStack(stack);
    const organizationId = Object.keys(template.findResources(ResourceType.ORGANIZATION))[0];
    const accessId = Object.keys(template.findResources(ResourceType.AWS_SERVICE_ACCESS, { Properties: { ServicePrincipal: 'account.amazonaws.com' } }))[0];
    const resources = template.toJSON().Resources;
    const after = (id: string): Set<string> => new Set((resources[id].DependsOn ?? []).flatMap((d: string) => [d, ...after(d)]));
    const accounts = Object.entries<any>(template.findResources(ResourceType.ACCOUNT));
    for (const [id, account] of accounts) {
      expect([...after(id)]).toEqual(expect.arrayContaining([organizationId, accessId]));
      if (Number(account.Properties.AccountName.slice(1)) >= 5) expect(account.DependsOn).toHaveLength(1);
    }
  });

  test('an account queued behind one of another organization keeps its own DependsOn', () => {
    const app = new App();
    const stack = new Stack(app, 'Org');
    const organization = new Organization(stack, 'Organization');
    const other = Organization.fromOrganizationAttributes(stack, 'Other', { organizationId: 'o-abcd123456', managementAccountId: '123456789012', rootId: 'r-abcd' });
    for (let i = 0; i < 5; i++) new Account(stack, `Other${i}`, { accountName: `o${i}`, email: `o${i}@example.com`, parent: other.root });
    new Account(stack, 'Prod', { ...minimal, parent: organization.root });
    const template = Template.fromStack(stack);
    const organizationId = Object.keys(template.findResources(ResourceType.ORGANIZATION))[0];
    const prod = Object.values<any>(template.findResources(ResourceType.ACCOUNT, { Properties: { AccountName: 'prod' } }))[0];
    expect(prod.DependsOn).toEqual(expect.arrayContaining([organizationId]));
    expect(prod.DependsOn).toHaveLength(3);
  });

  test('logical ids follow the stack\'s rules: overrideLogicalId, renameLogicalId and a Stack that allocates its own', () => {
    class Prefixed extends Stack {
      protected allocateLogicalId(element: CfnElement): string {
        return `X${super.allocateLogicalId(element)}`;
      }
    }
    const stack = new Prefixed(new App(), 'Org');
    const organization = new Organization(stack, 'Organization');
    const ou = new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'ou', parent: organization.root });
    const renamed = new Account(stack, 'Renamed', { accountName: 'renamed', email: 'renamed@example.com', parent: ou });
    const overridden = new Account(stack, 'Overridden', { accountName: 'overridden', email: 'overridden@example.com', parent: ou });
    const ouResource = ou.node.defaultChild!.node.defaultChild as CfnElement;
    const renamedFrom = stack.getLogicalId(renamed.node.defaultChild!.node.defaultChild as CfnElement);
    expect(renamedFrom).toMatch(/^XRenamed[0-9A-F]{8}$/);
    // Referred to before the rename and the override: they still apply.
    expect(stack.resolve(renamed.accountId)).toEqual({ Ref: renamedFrom });
    stack.renameLogicalId(renamedFrom, 'Prod');
    (overridden.node.defaultChild!.node.defaultChild as CfnElement).overrideLogicalId('Staging');
    const template = Template.fromStack(stack).toJSON();
    expect(Object.keys(template.Resources)).toEqual(expect.arrayContaining(['Prod', 'Staging', stack.getLogicalId(ouResource)]));
    expect(template.Resources.Prod.Properties.ParentId).toEqual({ Ref: stack.getLogicalId(ouResource) });
    expect(stack.resolve(renamed.accountId)).toEqual({ Ref: 'Prod' });
  });

  test('the resource is what aws-cdk-lib\'s CustomResource writes, byte for byte less the default removal policies, at the same logical id', () => {
    const stack = bareStack();
    new Account(stack, 'Prod', { ...minimal, tags: { team: 'a' } });
    const ours = Template.fromStack(stack).toJSON().Resources;
    const [id] = Object.keys(Template.fromStack(stack).findResources(ResourceType.ACCOUNT));
    const { ServiceToken: _, ...properties } = ours[id].Properties;
    const reference = new Stack(new App(), 'Reference');
    new CustomResource(new Construct(reference, 'Prod'), 'Resource', { serviceToken: 'arn:provider', resourceType: ResourceType.ACCOUNT, properties });
    const theirs = Template.fromStack(reference).toJSON().Resources;
    expect(Object.keys(theirs)).toEqual([id]);
    ours[id].Properties.ServiceToken = 'arn:provider';
    // Less CloudFormation's default removal policies, which CustomResource writes out.
    expect(theirs[id]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    delete theirs[id].DeletionPolicy;
    delete theirs[id].UpdateReplacePolicy;
    expect(JSON.stringify(ours[id])).toEqual(JSON.stringify(theirs[id]));
  });

  describe('validation', () => {
    test.each([
      ['', /accountName must be at least 1 character long, got "" \(0\)/],
      ['x'.repeat(51), /accountName must be at most 50 characters long, got 51 characters/],
      ['caf\u00e9', /accountName must be printable ASCII characters .*got "caf\u00e9"/],
      ['tab\there', /accountName must be printable ASCII characters/],
    ])('accountName %j', (accountName, message) => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, accountName })).toThrow(message);
    });

    test.each([
      ['a@b.c', /email must be at least 6 characters long, got "a@b.c" \(5\)/],
      [`${'x'.repeat(60)}@example.com`, /email must be at most 64 characters long, got 72 characters/],
      ['not-an-email', /email must be an email address \(local@domain.tld\) .*got "not-an-email"/],
      ['two@@example.com', /email must be an email address/],
      ['sp ace@example.com', /email must be an email address/],
    ])('email %j', (email, message) => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, email })).toThrow(message);
    });

    test.each([
      ['', /roleName must be at least 1 character long/],
      ['x'.repeat(65), /roleName must be at most 64 characters long/],
      ['Admin Role', /roleName must be letters, digits and the characters \+=,.@_- .*got "Admin Role"/],
    ])('roleName %j', (roleName, message) => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, roleName })).toThrow(message);
    });

    test.each([
      ['AWSServiceRoleForOrganizations'],
      ['awsservicerolefor-admin'],
    ])('roleName %j: reserved by IAM for service-linked roles', (roleName) => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, roleName })).toThrow(new RegExp(
        `^Accounts/Prod: roleName must not start with "AWSServiceRoleFor", which IAM reserves for service-linked roles .*, got "${roleName}"\\.$`));
    });

    test('a roleName that merely contains the prefix is fine', () => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, roleName: 'MyAWSServiceRoleForAudit' })).not.toThrow();
    });

    test.each([
      [{ 'cost*center': 'x' }, /\[Accounts\/Prod\] tags: a tag key must be Unicode letters, digits, spaces and the characters _.:\/=\+-@ \(pattern .*\), got "cost\*center"/],
      [{ owner: 'team;ops' }, /\[Accounts\/Prod\] tags: the value of tag "owner" must be Unicode letters, digits, spaces and the characters _.:\/=\+-@ \(pattern .*\), got "team;ops"/],
      [{ owner: 'x'.repeat(257) }, /tags: the value of tag "owner" must be at most 256 characters long, got 257 characters/],
    ])('tags %j outside the API\'s pattern or length', (tags, message) => {
      const stack = bareStack();
      new Account(stack, 'Prod', { ...minimal, tags });
      expect(() => Template.fromStack(stack)).toThrow(message);
    });

    test('tags in any script are fine', () => {
      const stack = bareStack();
      new Account(stack, 'Prod', { ...minimal, tags: { 'équipe': 'données', 'チーム': 'プラットフォーム', 'path/key': 'a+b=c@d:e.f_g-h' } });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test.each([
      ['accountName', { accountName: Lazy.string({ produce: () => 'caf\u00e9' }) }, /\[Accounts\/Prod\] accountName must be printable ASCII characters .*got "caf\u00e9"/],
      ['email', { email: Lazy.string({ produce: () => 'not-an-email' }) }, /\[Accounts\/Prod\] email must be an email address \(local@domain.tld\) .*got "not-an-email"/],
      ['roleName', { roleName: Lazy.string({ produce: () => 'AWSServiceRoleForX' }) }, /\[Accounts\/Prod\] roleName must not start with "AWSServiceRoleFor"/],
    ])('%s from a Lazy, resolved at synth, is checked', (_prop, props, message) => {
      const stack = bareStack();
      new Account(stack, 'Prod', { ...minimal, ...props });
      expect(() => Template.fromStack(stack)).toThrow(message);
    });

    test('an email from a Lazy that another account has', () => {
      const stack = bareStack();
      new Account(stack, 'Prod', minimal);
      new Account(stack, 'Dev', { accountName: 'dev', email: Lazy.string({ produce: () => 'AWS+prod@example.com' }) });
      expect(() => Template.fromStack(stack)).toThrow(/\[Accounts\/Dev\] email AWS\+prod@example.com is already the email of Accounts\/Prod/);
    });

    test.each([
      [Duration.seconds(30), /createTimeout must be between 1 and 45 minutes, got 30 seconds/],
      [Duration.hours(2), /createTimeout must be between 1 and 45 minutes, got 2 hours. CloudFormation waits at most one hour/],
    ])('createTimeout %s', (createTimeout, message) => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, createTimeout })).toThrow(message);
    });

    test('the message names the construct', () => {
      expect(() => new Account(bareStack(), 'Prod', { ...minimal, email: 'nope' })).toThrow(/^Accounts\/Prod: email/);
    });

    test('two accounts with the same email in one app, whatever the case and the stack', () => {
      const app = new App();
      new Account(new Stack(app, 'A'), 'Prod', minimal);
      expect(() => new Account(new Stack(app, 'B'), 'Prod', { accountName: 'other', email: 'AWS+Prod@Example.com' }))
        .toThrow(/B\/Prod: email AWS\+Prod@Example.com is already the email of A\/Prod/);
    });

    test('the same email in two apps is fine', () => {
      new Account(bareStack(), 'Prod', minimal);
      expect(() => new Account(bareStack(), 'Prod', minimal)).not.toThrow();
    });

    test('token values are not checked', () => {
      const stack = bareStack();
      const email = new CfnParameter(stack, 'Email').valueAsString;
      expect(() => new Account(stack, 'Prod', { accountName: new CfnParameter(stack, 'Name').valueAsString, email })).not.toThrow();
      expect(() => new Account(stack, 'Dev', { accountName: 'dev', email })).not.toThrow();
    });

    test('an account is not a parent', () => {
      const stack = bareStack();
      const first = new Account(stack, 'First', minimal);
      // @ts-expect-error an account is not a parent: TypeScript refuses it (it has no parentType)
      const parent: IParent = first;
      // Languages without the check get the same refusal at synth.
      expect(() => new Account(stack, 'Second', { accountName: 'b', email: 'b@example.com', parent }))
        .toThrow(/Accounts\/Second: parent must be a root or an organizational unit, got Accounts\/First/);
    });

    test('a parent whose id is neither a root\'s nor an OU\'s', () => {
      const stack = bareStack();
      class AccountPosingAsParent extends Construct implements IParent {
        public readonly targetId = '123456789012';
        public readonly parentType = ParentType.ORGANIZATIONAL_UNIT;
        public attachPolicy(): PolicyAttachment {
          throw new Error('not used');
        }
      }
      const parent = new AccountPosingAsParent(stack, 'Posing');
      expect(() => new Account(stack, 'Prod', { ...minimal, parent }))
        .toThrow(/Accounts\/Prod: parent must be a root or an organizational unit, got Accounts\/Posing \(123456789012\)/);
    });
  });

  describe('importers', () => {
    test('fromAccountId', () => {
      const account = Account.fromAccountId(new Stack(), 'Account', '123456789012');
      expect(account.accountId).toBe('123456789012');
      expect(account.targetId).toBe('123456789012');
      expect(() => account.accountArn).toThrow(/accountArn of the imported account 123456789012 is unknown/);
    });

    test('fromAccountAttributes', () => {
      const account = Account.fromAccountAttributes(new Stack(), 'Account', {
        accountId: '123456789012',
        accountArn: 'arn:aws:organizations::111111111111:account/o-abcdefghij/123456789012',
      });
      expect(account.accountArn).toBe('arn:aws:organizations::111111111111:account/o-abcdefghij/123456789012');
    });

    test('a malformed id is refused', () => {
      expect(() => Account.fromAccountId(new Stack(), 'Account', '1234')).toThrow(/accountId must be 12 digits .*got "1234"/);
    });
  });
});
