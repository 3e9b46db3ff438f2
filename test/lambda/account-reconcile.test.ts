/**
 * The decisions that keep a Create from ever making a second account, pinned call by call with a
 * mocked SDK (the end-to-end proof against the emulator is in account.test.ts): which request is
 * resumed, when an existing account counts as our own creation and when it is adopted.
 */
import { AccountClient } from '@aws-sdk/client-account';
import {
  CreateAccountCommand,
  CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListAccountsCommand,
  ListCreateAccountStatusCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  OrganizationsClient,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { account } from '../../lambda/account';
import { memoryLogger } from '../../lambda/shared/log';
import type { CreateEvent, HandlerContext } from '../../lambda/shared/types';
import { ResourceType } from '../../src/private/contract';

const organizations = new OrganizationsClient({ region: 'us-east-1' });
const orgMock = mockClient(organizations);
const ROOT = 'r-ab12';
const OU = 'ou-ab12-cdef3456';
/** The owner tag the handler puts on (and looks for on) the account of the event below. */
const OWNED = { Key: 'cdk-organizations:owner', Value: 'test/Account' };
/** The marker CreateAccount carries: made by this request (req-1), at some time. */
const CREATED_BY_THIS_REQUEST = { Key: 'cdk-organizations:previous-owner', Value: expect.stringMatching(/^created:\d+:req-1$/) };

/** CloudFormation as for a stack it does not know: the handlers then keep what they own. */
const unknownStack = { send: () => Promise.reject(Object.assign(new Error('Stack with id test does not exist'), { name: 'ValidationError' })) } as any;

function context(): HandlerContext & { log: ReturnType<typeof memoryLogger> } {
  return { organizations, account: new AccountClient({ region: 'us-east-1' }), cloudformation: unknownStack, deadline: Date.now() + 5_000, log: memoryLogger() };
}
function event(extra: Record<string, string> = {}): CreateEvent {
  return {
    RequestType: 'Create',
    RequestId: 'req-1',
    LogicalResourceId: 'Account',
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/test/1',
    ResourceType: ResourceType.ACCOUNT,
    ResourceProperties: { AccountName: 'Prod', Email: 'prod@example.com', ParentId: OU, ...extra },
  };
}
function statuses(byState: Partial<Record<'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED', CreateAccountStatus[]>>) {
  orgMock.on(ListCreateAccountStatusCommand).callsFake(input => ({ CreateAccountStatuses: byState[input.States[0] as 'IN_PROGRESS'] ?? [] }));
}
const member = (id: string, email: string, name = 'Prod') => ({ Id: id, Email: email, Name: name, Arn: `arn:aws:organizations::111111111111:account/o-abc/${id}`, JoinedMethod: 'CREATED' as const });

beforeEach(() => {
  orgMock.reset();
  orgMock.on(ListAccountsCommand).resolves({ Accounts: [] });
  orgMock.on(ListParentsCommand).resolves({ Parents: [{ Id: ROOT, Type: 'ROOT' }] });
  orgMock.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  statuses({});
});

test('a request in progress under the same name is resumed, not duplicated', async () => {
  statuses({ IN_PROGRESS: [{ Id: 'car-other', AccountName: 'Other', State: 'IN_PROGRESS' }, { Id: 'car-ours', AccountName: 'Prod', State: 'IN_PROGRESS' }] });
  const out = await account.onCreate(event(), context());
  expect(out.Data?.CreateAccountRequestId).toBe('car-ours');
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
});

test('with nothing found, CreateAccount is called once with every creation property', async () => {
  orgMock.on(CreateAccountCommand).resolves({ CreateAccountStatus: { Id: 'car-new', State: 'IN_PROGRESS' } });
  const out = await account.onCreate(event({ RoleName: 'Admin', IamUserAccessToBilling: 'DENY' }), context());
  expect(out).toEqual({ Data: { CreateStartedAt: expect.stringMatching(/^\d+$/), CreateAccountRequestId: 'car-new' } });
  expect(orgMock.commandCalls(CreateAccountCommand).map(c => c.args[0].input)).toEqual([
    { Email: 'prod@example.com', AccountName: 'Prod', RoleName: 'Admin', IamUserAccessToBilling: 'DENY', Tags: [OWNED, CREATED_BY_THIS_REQUEST] },
  ]);
});

test('an account our interrupted attempt created (it carries our owner tag and the marker of this request) is finished as ours even with adoption off', async () => {
  orgMock.on(ListAccountsCommand).resolves({ Accounts: [member('222222222222', 'PROD@example.com')] });
  orgMock.on(ListTagsForResourceCommand).resolves({ Tags: [OWNED, { Key: 'cdk-organizations:previous-owner', Value: 'created:1:req-1' }] });
  orgMock.on(DescribeAccountCommand).resolves({ Account: member('222222222222', 'prod@example.com') });
  const out = await account.onCreate(event({ AdoptExisting: 'false' }), context());
  expect(out.PhysicalResourceId).toBe('222222222222');
  expect(orgMock.commandCalls(MoveAccountCommand).map(c => c.args[0].input)).toEqual([{ AccountId: '222222222222', SourceParentId: ROOT, DestinationParentId: OU }]);
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
  expect(orgMock.commandCalls(TagResourceCommand)).toHaveLength(0);
});

test('without our owner tag, a request of the same name that succeeded in the wait window still finishes the Create (adoption off), but the account is not claimed', async () => {
  orgMock.on(ListAccountsCommand).resolves({ Accounts: [member('222222222222', 'PROD@example.com')] });
  statuses({ SUCCEEDED: [{ Id: 'car-ours', AccountName: 'Prod', State: 'SUCCEEDED', AccountId: '222222222222', RequestedTimestamp: new Date(Date.now() - 60_000) }] });
  orgMock.on(DescribeAccountCommand).resolves({ Account: member('222222222222', 'prod@example.com') });
  const ctx = context();
  const out = await account.onCreate(event({ AdoptExisting: 'false' }), ctx);
  expect(out.PhysicalResourceId).toBe('222222222222');
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
  expect(orgMock.commandCalls(TagResourceCommand)).toHaveLength(0);
  expect(ctx.log.lines.map(l => l.message)).toContain('account created by a request without this resource\'s owner tag: adopted, never removed or closed by it');
});

test('an account another resource of this library owns is taken over, even with adoption off (a renamed or moved construct)', async () => {
  orgMock.on(ListAccountsCommand).resolves({ Accounts: [member('222222222222', 'prod@example.com')] });
  orgMock.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: OWNED.Key, Value: 'other-stack/Account' }] });
  orgMock.on(DescribeAccountCommand).resolves({ Account: member('222222222222', 'prod@example.com') });
  const out = await account.onCreate(event({ AdoptExisting: 'false' }), context());
  expect(out.PhysicalResourceId).toBe('222222222222');
  expect(orgMock.commandCalls(TagResourceCommand).map(c => c.args[0].input)).toEqual([{
    ResourceId: '222222222222',
    Tags: [OWNED, { Key: 'cdk-organizations:previous-owner', Value: 'other-stack/Account' }, { Key: 'cdk-organizations:adopted', Value: expect.any(String) }],
  }]);
});

test('an account created long before this Create is adoption, refused when adoption is off', async () => {
  orgMock.on(ListAccountsCommand).resolves({ Accounts: [member('222222222222', 'prod@example.com')] });
  statuses({ SUCCEEDED: [{ Id: 'car-old', AccountName: 'Prod', State: 'SUCCEEDED', AccountId: '222222222222', RequestedTimestamp: new Date(Date.now() - 3 * 3600_000) }] });
  await expect(account.onCreate(event({ AdoptExisting: 'false' }), context())).rejects.toThrow(/adoption is off/);
});

test('a resumed request that created another account of the same name is not taken for ours', async () => {
  orgMock.on(DescribeCreateAccountStatusCommand).resolves({ CreateAccountStatus: { Id: 'car-sibling', State: 'SUCCEEDED', AccountId: '333333333333', AccountName: 'Prod' } });
  orgMock.on(DescribeAccountCommand).resolves({ Account: member('333333333333', 'sibling@example.com') });
  orgMock.on(CreateAccountCommand).resolves({ CreateAccountStatus: { Id: 'car-ours', State: 'IN_PROGRESS' } });
  const waiting = { ...event(), PhysicalResourceId: 'req-1', Data: { CreateStartedAt: String(Date.now()), CreateAccountRequestId: 'car-sibling' } };
  expect(await account.isComplete!(waiting, context())).toEqual({ IsComplete: false });
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(1);
});

test('a request that failed since this Create started is reported, not retried', async () => {
  statuses({ FAILED: [{ Id: 'car-failed', AccountName: 'Prod', State: 'FAILED', FailureReason: 'ACCOUNT_LIMIT_EXCEEDED', RequestedTimestamp: new Date() }] });
  const waiting = { ...event(), PhysicalResourceId: 'req-1', Data: { CreateStartedAt: String(Date.now() - 1_000) } };
  await expect(account.isComplete!(waiting, context())).rejects.toThrow(/car-failed .* FAILED with ACCOUNT_LIMIT_EXCEEDED: .*Service Quotas/);
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
});

test('a request that failed with CONCURRENT_ACCOUNT_MODIFICATION is submitted again inside the wait, not reported', async () => {
  orgMock.on(DescribeCreateAccountStatusCommand).resolves({ CreateAccountStatus: { Id: 'car-busy', State: 'FAILED', AccountName: 'Prod', FailureReason: 'CONCURRENT_ACCOUNT_MODIFICATION' } });
  statuses({ FAILED: [{ Id: 'car-busy', AccountName: 'Prod', State: 'FAILED', FailureReason: 'CONCURRENT_ACCOUNT_MODIFICATION', RequestedTimestamp: new Date() }] });
  orgMock.on(CreateAccountCommand).resolves({ CreateAccountStatus: { Id: 'car-again', State: 'IN_PROGRESS' } });
  const ctx = context();
  const waiting = { ...event(), PhysicalResourceId: 'req-1', Data: { CreateStartedAt: String(Date.now() - 1_000), CreateAccountRequestId: 'car-busy' } };
  expect(await account.isComplete!(waiting, ctx)).toEqual({ IsComplete: false });
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(1);
  expect(ctx.log.lines.map(l => l.message)).toContain('CreateAccount request failed for now, will submit again');
});

test('EMAIL_ALREADY_EXISTS while a racing request of the same resource is in progress: waits on that request', async () => {
  orgMock.on(DescribeCreateAccountStatusCommand).resolves({ CreateAccountStatus: { Id: 'car-lost', State: 'FAILED', AccountName: 'Prod', FailureReason: 'EMAIL_ALREADY_EXISTS' } });
  statuses({
    IN_PROGRESS: [{ Id: 'car-winner', AccountName: 'Prod', State: 'IN_PROGRESS' }],
    FAILED: [{ Id: 'car-lost', AccountName: 'Prod', State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS', RequestedTimestamp: new Date() }],
  });
  const waiting = { ...event(), PhysicalResourceId: 'req-1', Data: { CreateStartedAt: String(Date.now() - 1_000), CreateAccountRequestId: 'car-lost' } };
  expect(await account.isComplete!(waiting, context())).toEqual({ IsComplete: false });
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
});

test('EMAIL_ALREADY_EXISTS with no racing request and no member of that email: the email is outside the organization', async () => {
  orgMock.on(DescribeCreateAccountStatusCommand).resolves({ CreateAccountStatus: { Id: 'car-lost', State: 'FAILED', AccountName: 'Prod', FailureReason: 'EMAIL_ALREADY_EXISTS' } });
  statuses({ FAILED: [{ Id: 'car-lost', AccountName: 'Prod', State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS', RequestedTimestamp: new Date() }] });
  const waiting = { ...event(), PhysicalResourceId: 'req-1', Data: { CreateStartedAt: String(Date.now() - 1_000), CreateAccountRequestId: 'car-lost' } };
  await expect(account.isComplete!(waiting, context())).rejects.toThrow(/car-lost .* FAILED with EMAIL_ALREADY_EXISTS: the email prod@example.com already belongs to an AWS account outside this organization/);
  expect(orgMock.commandCalls(CreateAccountCommand)).toHaveLength(0);
});
