/**
 * Tags on roots, OUs, accounts and policies, with the tags-per-resource quota.
 */
import {
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import { expectError, Fixture, newAccount, rootIdOf, snapshot, startFixture } from './support';

let f: Fixture;
let targets: Record<string, string>;

beforeAll(async () => {
  f = await startFixture();
  const root = await rootIdOf(f.org);
  const ou = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Tagged' }))).OrganizationalUnit!.Id!;
  const policy = (await f.org.send(new CreatePolicyCommand({ Name: 'tagged', Description: '', Type: 'TAG_POLICY', Content: '{}' }))).Policy!.PolicySummary!.Id!;
  targets = { root, ou, account: await newAccount(f.org, 'Tagged'), policy };
});
afterAll(async () => f?.stop());

const tagsOf = async (id: string) => (await f.org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags;

test.each(['root', 'ou', 'account', 'policy'])('a %s takes tags: set, overwritten, removed', async kind => {
  const id = targets[kind];
  await f.org.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '1' }, { Key: 'empty', Value: '' }] }));
  await f.org.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'a', Value: 'one' }] }));
  expect(await tagsOf(id)).toEqual([{ Key: 'a', Value: 'one' }, { Key: 'b', Value: '2' }, { Key: 'empty', Value: '' }]);
  await f.org.send(new UntagResourceCommand({ ResourceId: id, TagKeys: ['b', 'not-there'] }));
  expect(await tagsOf(id)).toEqual([{ Key: 'a', Value: 'one' }, { Key: 'empty', Value: '' }]);
});

test('at most 50 tags per resource (MAX_TAG_LIMIT_EXCEEDED), counting those already there', async () => {
  const tags = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${from + i}`, Value: 'v' }));
  const id = targets.ou;
  await f.org.send(new TagResourceCommand({ ResourceId: id, Tags: tags(0, 48) }));
  const before = snapshot(f.emulator);
  await expectError(f.org.send(new TagResourceCommand({ ResourceId: id, Tags: tags(100, 1) })), 'ConstraintViolationException', 'MAX_TAG_LIMIT_EXCEEDED');
  expect(snapshot(f.emulator)).toBe(before);
  await f.org.send(new TagResourceCommand({ ResourceId: id, Tags: tags(0, 10) }));
  expect((await f.emulator.state().organization!.tags[id]).length).toBe(50);
});

test('unknown resources are TargetNotFoundException; AWS managed policies take no tags but list none', async () => {
  await expectError(f.org.send(new TagResourceCommand({ ResourceId: '111111111111', Tags: [{ Key: 'k', Value: 'v' }] })), 'TargetNotFoundException');
  await expectError(f.org.send(new ListTagsForResourceCommand({ ResourceId: 'ou-zzzz-zzzzzzzz' })), 'TargetNotFoundException');
  await expectError(f.org.send(new TagResourceCommand({ ResourceId: 'p-FullAWSAccess', Tags: [{ Key: 'k', Value: 'v' }] })), 'InvalidInputException', 'IMMUTABLE_POLICY');
  expect(await tagsOf('p-FullAWSAccess')).toEqual([]);
});

test('system tag keys cannot be removed either', async () => {
  await expectError(f.org.send(new UntagResourceCommand({ ResourceId: targets.root, TagKeys: ['aws:cloudformation:stack-name'] })),
    'InvalidInputException', 'INVALID_SYSTEM_TAGS_PARAMETER');
});
