/**
 * Account Management: GetAccountInformation and PutAccountName, in the standalone context and
 * across the organization (management account, trusted access for account.amazonaws.com).
 */
import { GetAccountInformationCommand, PutAccountNameCommand } from '@aws-sdk/client-account';
import {
  DescribeAccountCommand,
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import { Clients, clientsFor, expectError, Fixture, newAccount, startFixture } from './support';

let f: Fixture;
let memberId: string;
let member: Clients;

beforeAll(async () => {
  f = await startFixture();
  memberId = await newAccount(f.org, 'Renamable');
  member = clientsFor(f.emulator, memberId);
});
afterAll(async () => {
  member?.destroy();
  await f?.stop();
});

const nameOf = async (id: string) => (await f.org.send(new DescribeAccountCommand({ AccountId: id }))).Account!.Name;

test('every account reads and renames itself without AccountId', async () => {
  const self = await f.account.send(new GetAccountInformationCommand({}));
  expect(self).toMatchObject({ AccountId: f.emulator.managementAccountId, AccountName: 'Management Account', AccountState: 'ACTIVE', AccountCreatedDate: expect.any(Date) });
  await f.account.send(new PutAccountNameCommand({ AccountName: 'Payer' }));
  expect(await nameOf(f.emulator.managementAccountId)).toBe('Payer');
  await member.account.send(new PutAccountNameCommand({ AccountName: 'Self Named' }));
  expect(await nameOf(memberId)).toBe('Self Named');
});

test('renaming a member needs trusted access for account.amazonaws.com', async () => {
  const denied = await expectError(f.account.send(new PutAccountNameCommand({ AccountId: memberId, AccountName: 'Renamed' })), 'AccessDeniedException');
  expect(denied.message).toContain('account.amazonaws.com');
  expect(denied.$metadata.httpStatusCode).toBe(403);
  await f.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
  await f.account.send(new PutAccountNameCommand({ AccountId: memberId, AccountName: 'Renamed' }));
  expect(await nameOf(memberId)).toBe('Renamed');
  expect((await f.account.send(new GetAccountInformationCommand({ AccountId: memberId }))).AccountName).toBe('Renamed');
});

test('the management account cannot name its own id; members cannot act on others unless delegated administrators', async () => {
  await expectError(f.account.send(new PutAccountNameCommand({ AccountId: f.emulator.managementAccountId, AccountName: 'x' })), 'AccessDeniedException');
  await expectError(member.account.send(new GetAccountInformationCommand({ AccountId: memberId })), 'AccessDeniedException');
  const other = await newAccount(f.org, 'Other');
  await expectError(member.account.send(new PutAccountNameCommand({ AccountId: other, AccountName: 'x' })), 'AccessDeniedException');
  await f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: memberId, ServicePrincipal: 'account.amazonaws.com' }));
  await member.account.send(new PutAccountNameCommand({ AccountId: other, AccountName: 'Named By Delegate' }));
  expect(await nameOf(other)).toBe('Named By Delegate');
  await expectError(f.account.send(new GetAccountInformationCommand({ AccountId: '111111111111' })), 'AccessDeniedException');
  await f.org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
  await expectError(f.account.send(new PutAccountNameCommand({ AccountId: other, AccountName: 'y' })), 'AccessDeniedException');
});

test.each([
  ['an empty name', ''],
  ['a name of 51 characters', 'n'.repeat(51)],
  ['a name with <', 'a<b'],
])('%s is a ValidationException', async (_, name) => {
  const error = await expectError(f.account.send(new PutAccountNameCommand({ AccountName: name })), 'ValidationException');
  expect((error as any).reason).toBe('fieldValidationFailed');
});
