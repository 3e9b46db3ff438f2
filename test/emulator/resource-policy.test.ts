/**
 * The organization's resource-based delegation policy: put (create, then replace), describe,
 * tags only at creation, delete; refused content; who may call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DeleteResourcePolicyCommand,
  DescribeOrganizationCommand,
  DescribeResourcePolicyCommand,
  ListTagsForResourceCommand,
  PutResourcePolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, newAccount, snapshot, startFixture } from './support';
import { Emulator } from '../../local/emulator';

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => f?.stop());

const document = (action: string) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Delegate', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: action, Resource: '*' }],
});

test('none at first; put creates it with its tags, put again replaces the content and keeps the id; delete removes it', async () => {
  await expectError(f.org.send(new DescribeResourcePolicyCommand({})), 'ResourcePolicyNotFoundException');
  const org = (await f.org.send(new DescribeOrganizationCommand({}))).Organization!;
  const created = (await f.org.send(new PutResourcePolicyCommand({ Content: document('organizations:Describe*'), Tags: [{ Key: 'team', Value: 'platform' }] }))).ResourcePolicy!;
  expect(created.ResourcePolicySummary!.Id).toMatch(/^rp-[0-9a-z]{8}$/);
  expect(created.ResourcePolicySummary!.Arn).toBe(`arn:aws:organizations::${org.MasterAccountId}:resourcepolicy/${org.Id}/${created.ResourcePolicySummary!.Id}`);
  const id = created.ResourcePolicySummary!.Id!;
  expect((await f.org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags).toEqual([{ Key: 'team', Value: 'platform' }]);

  // Tags go only with the creation; TagResource tags it later.
  const before = snapshot(f.emulator);
  await expectError(f.org.send(new PutResourcePolicyCommand({ Content: document('organizations:List*'), Tags: [{ Key: 'env', Value: 'prod' }] })),
    'ConstraintViolationException', 'UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED');
  expect(snapshot(f.emulator)).toBe(before);
  await f.org.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'env', Value: 'prod' }] }));

  const replaced = (await f.org.send(new PutResourcePolicyCommand({ Content: document('organizations:List*') }))).ResourcePolicy!;
  expect(replaced.ResourcePolicySummary!.Id).toBe(id);
  expect((await f.org.send(new DescribeResourcePolicyCommand({}))).ResourcePolicy).toEqual({ ResourcePolicySummary: replaced.ResourcePolicySummary, Content: document('organizations:List*') });
  expect((await f.org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags!.map(t => t.Key)).toEqual(['env', 'team']);

  await f.org.send(new DeleteResourcePolicyCommand({}));
  await expectError(f.org.send(new DescribeResourcePolicyCommand({})), 'ResourcePolicyNotFoundException');
  await expectError(f.org.send(new DeleteResourcePolicyCommand({})), 'ResourcePolicyNotFoundException');
  await expectError(f.org.send(new ListTagsForResourceCommand({ ResourceId: id })), 'TargetNotFoundException');
});

test('content that is not a policy document, or longer than 40,000 characters, is refused and changes nothing', async () => {
  const before = snapshot(f.emulator);
  await expectError(f.org.send(new PutResourcePolicyCommand({ Content: 'not json' })), 'MalformedPolicyDocumentException');
  await expectError(f.org.send(new PutResourcePolicyCommand({ Content: JSON.stringify({ Statement: [{ Effect: 'Maybe' }] }) })), 'MalformedPolicyDocumentException');
  const long = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'organizations:Describe*', Resource: '*', Sid: 'x'.repeat(40_000) }] });
  await expectError(f.org.send(new PutResourcePolicyCommand({ Content: long })), 'ConstraintViolationException', 'POLICY_CONTENT_LIMIT_EXCEEDED');
  expect(snapshot(f.emulator)).toBe(before);
});

test('a member account may not put it; the state file keeps it', async () => {
  const member = await newAccount(f.org, 'Delegate');
  const asMember = clientsFor(f.emulator, member);
  try {
    await expectError(asMember.org.send(new PutResourcePolicyCommand({ Content: document('organizations:Describe*') })), 'AccessDeniedException');
  } finally {
    asMember.destroy();
  }
  await f.org.send(new PutResourcePolicyCommand({ Content: document('organizations:Describe*') }));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resource-policy-'));
  const file = path.join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(f.emulator.state()));
  const copy = await Emulator.start({ relaxed: true, stateFile: file });
  const clients = clientsFor(copy);
  try {
    expect((await clients.org.send(new DescribeResourcePolicyCommand({}))).ResourcePolicy!.Content).toBe(document('organizations:Describe*'));
  } finally {
    clients.destroy();
    await copy.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
