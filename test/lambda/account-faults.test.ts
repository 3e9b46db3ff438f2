/**
 * Faults on the delete paths that depend on account age, billing setup or 30-day quotas, which a
 * test cannot reach in real time: the SDK is mocked here, and only here.
 */
import { AccountClient } from '@aws-sdk/client-account';
import {
  AccountAlreadyClosedException,
  AccountNotFoundException,
  CloseAccountCommand,
  ConstraintViolationException,
  CreateAccountCommand,
  ListAccountsCommand,
  ListCreateAccountStatusCommand,
  ListTagsForResourceCommand,
  TooManyRequestsException,
  DescribeAccountCommand,
  MasterCannotLeaveOrganizationException,
  OrganizationsClient,
  RemoveAccountFromOrganizationCommand,
  ListParentsCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { account } from '../../lambda/account';
import { memoryLogger } from '../../lambda/shared/log';
import type { CreateEvent, DeleteEvent, HandlerContext, Properties } from '../../lambda/shared/types';
import { HandlerEnv, ResourceType } from '../../src/private/contract';

const ACCOUNT_ID = '123456789012';
const organizations = new OrganizationsClient({ region: 'us-east-1' });
const orgMock = mockClient(organizations);

/** CloudFormation as for a stack it does not know: the handlers then keep what they own. */
const unknownStack = { send: () => Promise.reject(Object.assign(new Error('Stack with id test does not exist'), { name: 'ValidationError' })) } as any;

function context(): HandlerContext & { log: ReturnType<typeof memoryLogger> } {
  return { organizations, account: new AccountClient({ region: 'us-east-1' }), cloudformation: unknownStack, deadline: Date.now() + 5_000, log: memoryLogger() };
}
function deleteEvent(resourceType: string, physicalId: string, properties: Properties): DeleteEvent {
  return {
    RequestType: 'Delete',
    RequestId: 'req-fault',
    LogicalResourceId: 'Account',
    PhysicalResourceId: physicalId,
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/test/1',
    ResourceType: resourceType,
    ResourceProperties: properties,
  };
}
const props = (removal: string) => ({ AccountName: 'Gone', Email: 'gone@example.com', RemovalAction: removal, CreateTimeoutSeconds: '60' });
const violation = (reason: string) => new ConstraintViolationException({ message: `violated ${reason}`, $metadata: {}, Reason: reason as any });

beforeAll(() => { process.env[HandlerEnv.RETRY_BASE_MS] = '5'; });
afterAll(() => { delete process.env[HandlerEnv.RETRY_BASE_MS]; });
beforeEach(() => {
  orgMock.reset();
  // The account is this resource's own (created by it): Delete may remove or close it.
  orgMock.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'cdk-organizations:owner', Value: 'test/Account' }] });
  // It is at the root already, where an account goes before it is closed.
  orgMock.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-abcd' }] });
  orgMock.on(ListParentsCommand).resolves({ Parents: [{ Id: 'r-abcd', Type: 'ROOT' }] });
});

describe('REMOVE_FROM_ORGANIZATION', () => {
  test.each([
    ['WAIT_PERIOD_ACTIVE', /only be removed 4 days after its creation/],
    ['ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA', /AWS Customer Agreement/],
    ['ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION', /phone verification/],
    ['MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED', /payment method/],
    ['CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG', /delegated administrator. Deregister it/],
    ['SOMETHING_NEW', /SOMETHING_NEW: violated SOMETHING_NEW/],
  ])('%s becomes a clear error', async (reason, advice) => {
    orgMock.on(RemoveAccountFromOrganizationCommand).rejects(violation(reason));
    const attempt = account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('REMOVE_FROM_ORGANIZATION')), context());
    await expect(attempt).rejects.toThrow(new RegExp(`Cannot remove account ${ACCOUNT_ID} from the organization \\(RemovalAction REMOVE_FROM_ORGANIZATION\\): `));
    await expect(attempt).rejects.toThrow(advice);
  });

  test('the management account cannot leave', async () => {
    orgMock.on(RemoveAccountFromOrganizationCommand).rejects(new MasterCannotLeaveOrganizationException({ message: 'no', $metadata: {} }));
    await expect(account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('REMOVE_FROM_ORGANIZATION')), context()))
      .rejects.toThrow(/management account, which cannot leave its own organization. Set RemovalAction RETAIN/);
  });
});

describe('CLOSE', () => {
  test('the 30-day closure quota becomes an error that names the quota', async () => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: 'ACTIVE' } });
    orgMock.on(CloseAccountCommand).rejects(violation('CLOSE_ACCOUNT_QUOTA_EXCEEDED'));
    await expect(account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE')), context()))
      .rejects.toThrow(/account closure quota \(within any rolling 30 days, the higher of 250 or 20% of member accounts, at most 1,000; not adjustable\)/);
  });

  test('the management account cannot be closed', async () => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: 'ACTIVE' } });
    orgMock.on(CloseAccountCommand).rejects(violation('CANNOT_CLOSE_MANAGEMENT_ACCOUNT'));
    await expect(account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE')), context()))
      .rejects.toThrow(/management account, which CloseAccount cannot close/);
  });

  test('with 3 closures already running, isComplete retries CloseAccount until a slot is free', async () => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: 'ACTIVE' } });
    orgMock.on(CloseAccountCommand)
      .rejectsOnce(violation('CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED'))
      .rejectsOnce(violation('CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED'))
      .resolves({});
    const event = deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE'));
    const onEvent = await account.onDelete(event, context());
    expect(onEvent.Data?.CloseStartedAt).toMatch(/^\d+$/);
    const waiting = { ...event, ...onEvent };
    expect(await account.isComplete!(waiting, context())).toEqual({ IsComplete: false });
    expect(await account.isComplete!(waiting, context())).toEqual({ IsComplete: true });
    expect(orgMock.commandCalls(CloseAccountCommand)).toHaveLength(3);
  });

  test('waiting for a closure slot is bounded', async () => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: 'ACTIVE' } });
    orgMock.on(CloseAccountCommand).rejects(violation('CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED'));
    const event = deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE'));
    const longAgo = String(Date.now() - 61_000);
    await expect(account.isComplete!({ ...event, Data: { CloseStartedAt: longAgo } }, context()))
      .rejects.toThrow(/too many accounts are being closed at the same time.*still refused after 60 s/);
  });

  test.each([
    ['an account already closed', () => orgMock.on(CloseAccountCommand).rejects(new AccountAlreadyClosedException({ message: 'closed', $metadata: {} }))],
    ['an account no longer in the organization', () => orgMock.on(DescribeAccountCommand).rejects(new AccountNotFoundException({ message: 'gone', $metadata: {} }))],
  ])('%s is done', async (_, arrange) => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: 'ACTIVE' } });
    arrange();
    await expect(account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE')), context())).resolves.toEqual({});
  });

  test.each(['PENDING_CLOSURE', 'SUSPENDED'])('an account already %s is done without CloseAccount', async state => {
    orgMock.on(DescribeAccountCommand).resolves({ Account: { Id: ACCOUNT_ID, State: state as any } });
    await expect(account.onDelete(deleteEvent(ResourceType.ACCOUNT, ACCOUNT_ID, props('CLOSE')), context())).resolves.toEqual({});
    expect(orgMock.commandCalls(CloseAccountCommand)).toHaveLength(0);
  });
});

describe('CreateAccount refused', () => {
  const createEvent: CreateEvent = {
    RequestType: 'Create',
    RequestId: 'req-create',
    LogicalResourceId: 'Account',
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/test/1',
    ResourceType: ResourceType.ACCOUNT,
    ResourceProperties: { AccountName: 'Busy', Email: 'busy@example.com', CreateTimeoutSeconds: '60' },
  };
  beforeEach(() => {
    orgMock.on(ListAccountsCommand).resolves({ Accounts: [] });
    orgMock.on(ListCreateAccountStatusCommand).resolves({ CreateAccountStatuses: [] });
  });

  test.each([
    ['5 creations in progress (ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED)', () => violation('ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED')],
    ['throttling', () => new TooManyRequestsException({ message: 'slow down', $metadata: {} })],
  ])('%s means "try again on the next poll", within CreateTimeoutSeconds', async (_, refusal) => {
    orgMock.on(CreateAccountCommand).rejects(refusal());
    const onEvent = await account.onCreate(createEvent, context());
    expect(onEvent.PhysicalResourceId).toBeUndefined();
    expect(Object.keys(onEvent.Data ?? {})).toEqual(['CreateStartedAt']);
    const waiting = { ...createEvent, ...onEvent, PhysicalResourceId: createEvent.RequestId };
    expect(await account.isComplete!(waiting, context())).toEqual({ IsComplete: false });
    expect(orgMock.commandCalls(CreateAccountCommand).length).toBeGreaterThanOrEqual(2);

    const tooLate = { ...waiting, Data: { CreateStartedAt: String(Date.now() - 61_000) } };
    await expect(account.isComplete!(tooLate, context()))
      .rejects.toThrow(/Account "Busy" \(busy@example.com\): CreateAccount was refused for now .* the whole time after 60 s \(CreateTimeoutSeconds\).*no second account is created/);
  });

  test('the organization account quota is a clear error, not a wait', async () => {
    orgMock.on(CreateAccountCommand).rejects(violation('ACCOUNT_NUMBER_LIMIT_EXCEEDED'));
    await expect(account.onCreate(createEvent, context()))
      .rejects.toThrow(/CreateAccount for account "Busy" was refused: the organization has reached its quota of accounts.*Service Quotas/);
  });
});
