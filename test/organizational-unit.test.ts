import { App, CustomResource, Lazy, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { Account, IParent, Organization, OrganizationalUnit, Policy, Root } from '../src';
import { ResourceType } from '../src/private/contract';

function setUp(): { stack: Stack; organization: Organization } {
  const stack = new Stack(new App(), 'Org');
  return { stack, organization: new Organization(stack, 'Organization') };
}

/** `levels` OUs nested under `parent`, the last one returned. */
function nest(stack: Stack, parent: IParent, levels: number): IParent {
  let current = parent;
  for (let level = 1; level <= levels; level++) {
    current = new OrganizationalUnit(stack, `Level${level}`, { organizationalUnitName: `level-${level}`, parent: current });
  }
  return current;
}

describe('OrganizationalUnit', () => {
  test('name and parent', () => {
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.ORGANIZATIONAL_UNIT, 1);
    template.hasResource(ResourceType.ORGANIZATIONAL_UNIT, {
      Properties: {
        Name: 'Workloads',
        ParentId: { 'Fn::GetAtt': [stack.getLogicalId(organization.node.defaultChild!.node.defaultChild as any), 'RootId'] },
      },
      DeletionPolicy: 'Delete',
    });
  });

  test('the resource is what aws-cdk-lib\'s CustomResource writes, byte for byte, at the same logical id', () => {
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: { team: 'a' } });
    const ours = Template.fromStack(stack).toJSON().Resources;
    const [id] = Object.keys(Template.fromStack(stack).findResources(ResourceType.ORGANIZATIONAL_UNIT));
    const { ServiceToken: _, ...properties } = ours[id].Properties;
    const reference = new Stack(new App(), 'Reference');
    new CustomResource(new Construct(reference, 'Workloads'), 'Resource', { serviceToken: 'arn:provider', resourceType: ResourceType.ORGANIZATIONAL_UNIT, properties });
    const theirs = Template.fromStack(reference).toJSON().Resources;
    expect(Object.keys(theirs)).toEqual([id]);
    ours[id].Properties.ServiceToken = 'arn:provider';
    expect(JSON.stringify(ours[id])).toEqual(JSON.stringify(theirs[id]));
  });

  test('an OU as parent', () => {
    const { stack, organization } = setUp();
    const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    new OrganizationalUnit(stack, 'Prod', { organizationalUnitName: 'Prod', parent: workloads });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, {
      Name: 'Prod',
      ParentId: { Ref: stack.getLogicalId(workloads.node.defaultChild!.node.defaultChild as any) },
    });
  });

  test('an imported OU as parent', () => {
    const stack = new Stack(new App(), 'Ous');
    const parent = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Parent', 'ou-abcd-12345678');
    new OrganizationalUnit(stack, 'Child', { organizationalUnitName: 'Child', parent });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, { Name: 'Child', ParentId: 'ou-abcd-12345678' });
  });

  test('an imported root as parent', () => {
    const stack = new Stack(new App(), 'Ous');
    new OrganizationalUnit(stack, 'Child', { organizationalUnitName: 'Child', parent: Root.fromRootId(stack, 'Root', 'r-abcd') });
    Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, { ParentId: 'r-abcd' });
  });

  test('tags, from props and from Tags.of', () => {
    const { stack, organization } = setUp();
    const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: { team: 'platform' } });
    Tags.of(ou).add('cost-center', '42');
    Template.fromStack(stack).hasResourceProperties(ResourceType.ORGANIZATIONAL_UNIT, {
      Tags: [{ Key: 'cost-center', Value: '42' }, { Key: 'team', Value: 'platform' }],
    });
  });

  test('no tags: no Tags property', () => {
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    const ou = Object.values<any>(Template.fromStack(stack).findResources(ResourceType.ORGANIZATIONAL_UNIT))[0];
    expect(ou.Properties.Tags).toBeUndefined();
  });

  test('more than 48 tags are refused at synth (2 of the 50 are the ownership record); 48 are fine', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    const ok = setUp();
    new OrganizationalUnit(ok.stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: ok.organization.root, tags: tags(48) });
    expect(() => Template.fromStack(ok.stack)).not.toThrow();
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: tags(49) });
    expect(() => Template.fromStack(stack)).toThrow(/Org\/Workloads.*tags: at most 48 tags on this resource \(AWS allows 50, and this library keeps 2 for its ownership record\), got 49/);
  });

  test('a policy attachment resource on the OU keeps one more of the 50 tags: 47 declared at most', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    for (const [n, ok] of [[47, true], [48, false]] as const) {
      const { stack, organization } = setUp();
      const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: tags(n) });
      ou.attachPolicy(Policy.fullAwsAccess(stack));
      if (ok) {
        expect(() => Template.fromStack(stack)).not.toThrow();
      } else {
        expect(() => Template.fromStack(stack)).toThrow(new RegExp('\\[Org/Workloads\\] tags: at most 47 tags on this resource \\(AWS allows 50, and this '
          + 'library keeps 2 for its ownership record and 1 for the policy attachments, delegated administrators, policy types or trusted access '
          + 'the app records on it\\), got 48'));
      }
    }
  });

  test.each([
    ['cdk-organizations:owner', /tags: the key "cdk-organizations:owner" starts with "cdk-organizations:", which this library reserves/],
    ['aws:cloudformation:stack-name', /tags: the key "aws:cloudformation:stack-name" starts with "aws:", which AWS reserves/],
  ])('a tag key %s is refused at synth', (key, message) => {
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: { [key]: 'x' } });
    expect(() => Template.fromStack(stack)).toThrow(message);
  });

  test('removalPolicy RETAIN', () => {
    const { stack, organization } = setUp();
    new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource(ResourceType.ORGANIZATIONAL_UNIT, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('applyRemovalPolicy', () => {
    const { stack, organization } = setUp();
    const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    ou.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(ResourceType.ORGANIZATIONAL_UNIT, { DeletionPolicy: 'Retain' });
  });

  test('attributes', () => {
    const { stack, organization } = setUp();
    const ou = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
    const logicalId = stack.getLogicalId(ou.node.defaultChild!.node.defaultChild as any);
    expect(stack.resolve(ou.organizationalUnitId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(ou.targetId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(ou.organizationalUnitArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(ou.organizationalUnitName).toBe('Workloads');
    expect(ou.parent).toBe(organization.root);
  });

  describe('validation', () => {
    test('an empty name', () => {
      const { stack, organization } = setUp();
      expect(() => new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: '', parent: organization.root }))
        .toThrow(/Org\/Ou: organizationalUnitName must be at least 1 character long, got "" \(0\)/);
    });

    test('a name longer than 128 characters', () => {
      const { stack, organization } = setUp();
      expect(() => new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'x'.repeat(129), parent: organization.root }))
        .toThrow(/organizationalUnitName must be at most 128 characters long, got 129 characters/);
    });

    test('a name with characters outside ASCII', () => {
      const { stack, organization } = setUp();
      expect(() => new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'Entwicklung \u00fcberall', parent: organization.root }))
        .toThrow(/organizationalUnitName must be ASCII characters .*got "Entwicklung \u00fcberall"/);
    });

    test('a token name is not checked', () => {
      const { stack, organization } = setUp();
      const name = Token.asString({ Ref: 'AWS::StackName' });
      expect(() => new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: name, parent: organization.root })).not.toThrow();
    });

    test('a name from a Lazy, resolved at synth, is checked', () => {
      const { stack, organization } = setUp();
      new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: Lazy.string({ produce: () => 'x'.repeat(129) }), parent: organization.root });
      expect(() => Template.fromStack(stack)).toThrow(/\[Org\/Ou\] organizationalUnitName must be at most 128 characters long, got 129 characters/);
    });

    test('two OUs of one name under one parent, one name from a Lazy', () => {
      const { stack, organization } = setUp();
      new OrganizationalUnit(stack, 'First', { organizationalUnitName: 'Workloads', parent: organization.root });
      new OrganizationalUnit(stack, 'Second', { organizationalUnitName: Lazy.string({ produce: () => 'Workloads' }), parent: organization.root });
      expect(() => Template.fromStack(stack)).toThrow(/\[Org\/Second\] organizationalUnitName "Workloads" is already used by Org\/First under the same parent/);
    });

    test('a tag key outside the API\'s pattern', () => {
      const { stack, organization } = setUp();
      const ou = new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'Ou', parent: organization.root });
      Tags.of(ou).add('team!', 'platform');
      expect(() => Template.fromStack(stack)).toThrow(/\[Org\/Ou\] tags: a tag key must be Unicode letters, digits, spaces and the characters _.:\/=\+-@ \(pattern .*\), got "team!"/);
    });

    test('two OUs of the same name under one parent', () => {
      const { stack, organization } = setUp();
      new OrganizationalUnit(stack, 'First', { organizationalUnitName: 'Workloads', parent: organization.root });
      expect(() => new OrganizationalUnit(stack, 'Second', { organizationalUnitName: 'Workloads', parent: organization.root }))
        .toThrow(/Org\/Second: organizationalUnitName "Workloads" is already used by Org\/First under the same parent/);
    });

    test('two OUs of the same name under one imported parent, imported twice', () => {
      const stack = new Stack(new App(), 'Ous');
      new OrganizationalUnit(stack, 'First', { organizationalUnitName: 'Prod', parent: Root.fromRootId(stack, 'RootA', 'r-abcd') });
      expect(() => new OrganizationalUnit(stack, 'Second', { organizationalUnitName: 'Prod', parent: Root.fromRootId(stack, 'RootB', 'r-abcd') }))
        .toThrow(/organizationalUnitName "Prod" is already used by Ous\/First/);
    });

    test('the same name under two parents is fine', () => {
      const { stack, organization } = setUp();
      const a = new OrganizationalUnit(stack, 'A', { organizationalUnitName: 'A', parent: organization.root });
      const b = new OrganizationalUnit(stack, 'B', { organizationalUnitName: 'B', parent: organization.root });
      new OrganizationalUnit(stack, 'ProdA', { organizationalUnitName: 'Prod', parent: a });
      expect(() => new OrganizationalUnit(stack, 'ProdB', { organizationalUnitName: 'Prod', parent: b })).not.toThrow();
    });

    test('five levels under the root are allowed', () => {
      const { stack, organization } = setUp();
      expect(() => nest(stack, organization.root, 5)).not.toThrow();
      Template.fromStack(stack).resourceCountIs(ResourceType.ORGANIZATIONAL_UNIT, 5);
    });

    test('a sixth level is refused', () => {
      const { stack, organization } = setUp();
      const fifth = nest(stack, organization.root, 5);
      expect(() => new OrganizationalUnit(stack, 'Sixth', { organizationalUnitName: 'sixth', parent: fifth }))
        .toThrow(/Org\/Sixth: parent: OUs nest at most 5 levels under the root, and under Org\/Level5 this OU would be at level 6/);
    });

    test('depth counts through imported OUs with a parent', () => {
      const { stack, organization } = setUp();
      const second = nest(stack, organization.root, 2);
      const third = OrganizationalUnit.fromOrganizationalUnitAttributes(stack, 'Third', { organizationalUnitId: 'ou-abcd-33333333', parent: second });
      const fifth = new OrganizationalUnit(stack, 'Fifth', {
        organizationalUnitName: 'fifth',
        parent: new OrganizationalUnit(stack, 'Fourth', { organizationalUnitName: 'fourth', parent: third }),
      });
      expect(() => new OrganizationalUnit(stack, 'Sixth', { organizationalUnitName: 'sixth', parent: fifth })).toThrow(/would be at level 6/);
    });

    test('an account is not a parent', () => {
      const { stack, organization } = setUp();
      const account = new Account(stack, 'Account', { accountName: 'a', email: 'a@example.com', parent: organization.root });
      // @ts-expect-error an account is not a parent: TypeScript refuses it (it has no parentType)
      const parent: IParent = account;
      // Languages without the check get the same refusal at synth.
      expect(() => new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'Ou', parent }))
        .toThrow(/Org\/Ou: parent must be a root or an organizational unit, got Org\/Account/);
    });
  });

  describe('importers', () => {
    test('fromOrganizationalUnitId', () => {
      const ou = OrganizationalUnit.fromOrganizationalUnitId(new Stack(), 'Ou', 'ou-abcd-12345678');
      expect(ou.organizationalUnitId).toBe('ou-abcd-12345678');
      expect(ou.targetId).toBe('ou-abcd-12345678');
      expect(() => ou.organizationalUnitArn).toThrow(/organizationalUnitArn of the imported OU ou-abcd-12345678 is unknown/);
      expect(() => ou.organizationalUnitName).toThrow(/organizationalUnitName of the imported OU ou-abcd-12345678 is unknown/);
    });

    test('fromOrganizationalUnitAttributes', () => {
      const ou = OrganizationalUnit.fromOrganizationalUnitAttributes(new Stack(), 'Ou', {
        organizationalUnitId: 'ou-abcd-12345678',
        organizationalUnitArn: 'arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-abcd-12345678',
        organizationalUnitName: 'Workloads',
      });
      expect(ou.organizationalUnitArn).toBe('arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-abcd-12345678');
      expect(ou.organizationalUnitName).toBe('Workloads');
    });

    test('a malformed id is refused', () => {
      expect(() => OrganizationalUnit.fromOrganizationalUnitId(new Stack(), 'Ou', 'ou-1'))
        .toThrow(/organizationalUnitId must be "ou-", .* got "ou-1"/);
    });

    test('an imported OU makes no resource', () => {
      const stack = new Stack();
      OrganizationalUnit.fromOrganizationalUnitId(stack, 'Ou', 'ou-abcd-12345678');
      expect(Template.fromStack(stack).toJSON().Resources).toBeUndefined();
    });
  });
});
