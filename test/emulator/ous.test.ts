/**
 * Organizational units and the tree: creation under the root and under OUs, the nesting and count
 * quotas, unique names per parent, renames, deletion of empty OUs only, and the tree listings.
 */
import {
  CreateOrganizationalUnitCommand,
  DeleteOrganizationalUnitCommand,
  DescribeOrganizationalUnitCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  OrganizationsClient,
  UpdateOrganizationalUnitCommand,
} from '@aws-sdk/client-organizations';
import { expectError, Fixture, newAccount, rootIdOf, snapshot, startFixture } from './support';

let f: Fixture;
let root: string;

beforeAll(async () => {
  f = await startFixture({ quotas: { maxOuDepth: 3, maxOus: 20 } });
  root = await rootIdOf(f.org);
});
afterAll(async () => f?.stop());

let count = 0;
async function ou(parentId: string, name = `ou-${++count}`, org: OrganizationsClient = f.org): Promise<string> {
  return (await org.send(new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name }))).OrganizationalUnit!.Id!;
}

test('an OU gets an id in the root\'s format, an ARN, its tags and the default policies', async () => {
  const out = await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Workloads', Tags: [{ Key: 'team', Value: 'core' }] }));
  const { Id, Arn, Name } = out.OrganizationalUnit!;
  expect(Id).toMatch(new RegExp(`^ou-${root.slice(2)}-[a-z0-9]{8}$`));
  const orgId = f.emulator.state().organization!.id;
  expect(Arn).toBe(`arn:aws:organizations::${f.emulator.managementAccountId}:ou/${orgId}/${Id}`);
  expect(Name).toBe('Workloads');
  expect((await f.org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: Id! }))).OrganizationalUnit).toEqual(out.OrganizationalUnit);
  expect((await f.org.send(new ListTagsForResourceCommand({ ResourceId: Id! }))).Tags).toEqual([{ Key: 'team', Value: 'core' }]);
  expect((await f.org.send(new ListPoliciesForTargetCommand({ TargetId: Id!, Filter: 'SERVICE_CONTROL_POLICY' }))).Policies!.map(p => p.Id))
    .toEqual(['p-FullAWSAccess']);
});

test('names are unique per parent, not across parents', async () => {
  const parent = await ou(root);
  await ou(parent, 'Shared');
  await ou(root, 'Shared');
  const error = await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: 'Shared' })), 'DuplicateOrganizationalUnitException');
  expect(error.message).toContain('"Shared"');
});

test('nesting deeper than maxOuDepth is OU_DEPTH_LIMIT_EXCEEDED', async () => {
  const one = await ou(root);
  const two = await ou(one);
  const three = await ou(two);
  const before = snapshot(f.emulator);
  await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: three, Name: 'four' })), 'ConstraintViolationException', 'OU_DEPTH_LIMIT_EXCEEDED');
  expect(snapshot(f.emulator)).toBe(before);
});

test('a parent that does not exist is ParentNotFoundException; an unknown OU is OrganizationalUnitNotFoundException', async () => {
  await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: 'ou-zzzz-zzzzzzzz', Name: 'x' })), 'ParentNotFoundException');
  await expectError(f.org.send(new ListChildrenCommand({ ParentId: 'r-zzzz', ChildType: 'ACCOUNT' })), 'ParentNotFoundException');
  await expectError(f.org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-zzzz-zzzzzzzz' })), 'OrganizationalUnitNotFoundException');
  await expectError(f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-zzzz-zzzzzzzz', Name: 'x' })), 'OrganizationalUnitNotFoundException');
  await expectError(f.org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-zzzz-zzzzzzzz' })), 'OrganizationalUnitNotFoundException');
  await expectError(f.org.send(new ListParentsCommand({ ChildId: 'ou-zzzz-zzzzzzzz' })), 'ChildNotFoundException');
});

test('rename: the id stays; a sibling\'s name is refused; no name changes nothing', async () => {
  const parent = await ou(root);
  const a = await ou(parent, 'Alpha');
  await ou(parent, 'Beta');
  const renamed = await f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: a, Name: 'Gamma' }));
  expect(renamed.OrganizationalUnit).toMatchObject({ Id: a, Name: 'Gamma' });
  await expectError(f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: a, Name: 'Beta' })), 'DuplicateOrganizationalUnitException');
  expect((await f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: a }))).OrganizationalUnit!.Name).toBe('Gamma');
  expect((await f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: a, Name: 'Gamma' }))).OrganizationalUnit!.Name).toBe('Gamma');
});

test('an OU with a child OU or an account is not deleted; an empty one is, with its attachments and tags', async () => {
  const parent = await ou(root);
  const child = await ou(parent);
  const accountId = await newAccount(f.org, 'Tenant');
  await f.org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: root, DestinationParentId: parent }));
  const error = await expectError(f.org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: parent })), 'OrganizationalUnitNotEmptyException');
  expect(error.message).toContain(child);
  expect(error.message).toContain(accountId);
  await f.org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: child }));
  await f.org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: parent, DestinationParentId: root }));
  await f.org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: parent }));
  const org = f.emulator.state().organization!;
  expect(org.ous[parent]).toBeUndefined();
  expect(org.attachments['p-FullAWSAccess']).not.toContain(parent);
});

test('ListChildren, ListOrganizationalUnitsForParent and ListParents walk the tree', async () => {
  const parent = await ou(root);
  const [a, b] = [await ou(parent), await ou(parent)];
  const accountId = await newAccount(f.org, 'Walker');
  await f.org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: root, DestinationParentId: a }));
  expect((await f.org.send(new ListChildrenCommand({ ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' }))).Children)
    .toEqual([{ Id: a, Type: 'ORGANIZATIONAL_UNIT' }, { Id: b, Type: 'ORGANIZATIONAL_UNIT' }]);
  expect((await f.org.send(new ListChildrenCommand({ ParentId: a, ChildType: 'ACCOUNT' }))).Children).toEqual([{ Id: accountId, Type: 'ACCOUNT' }]);
  expect((await f.org.send(new ListChildrenCommand({ ParentId: parent, ChildType: 'ACCOUNT' }))).Children).toEqual([]);
  expect((await f.org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent }))).OrganizationalUnits!.map(o => o.Id)).toEqual([a, b]);
  expect((await f.org.send(new ListParentsCommand({ ChildId: accountId }))).Parents).toEqual([{ Id: a, Type: 'ORGANIZATIONAL_UNIT' }]);
  expect((await f.org.send(new ListParentsCommand({ ChildId: parent }))).Parents).toEqual([{ Id: root, Type: 'ROOT' }]);
});

test('more OUs than maxOus is OU_NUMBER_LIMIT_EXCEEDED', async () => {
  const existing = Object.keys(f.emulator.state().organization!.ous).length;
  for (let i = existing; i < 20; i++) await ou(root);
  await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'one too many' })), 'ConstraintViolationException', 'OU_NUMBER_LIMIT_EXCEEDED');
});
