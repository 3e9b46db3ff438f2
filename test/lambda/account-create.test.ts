/**
 * The Create of an Account in an execution environment that remembers (HandlerContext.memory): one
 * listing of the organization's accounts answers several Creates, and the root is known, so calls
 * per created account do not grow with the organization. A listing may be stale; these tests make
 * it so on purpose, against the emulator, and check that every Create still ends on the one
 * account with its email: adopted, taken back from an interrupted attempt, or refused as closed.
 */
import {
  CloseAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeCreateAccountStatusCommand,
  EnableAWSServiceAccessCommand,
  ListAccountsCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { createMemberAccount, Harness, ownerId, startHarness, tagsOf } from './harness';
import { account } from '../../lambda/account';
import type { HandlerContext } from '../../lambda/shared/types';

let h: Harness;
let ouId: string;

beforeAll(async () => {
  h = await startHarness();
  const root = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  ouId = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Workloads' }))).OrganizationalUnit!.Id!;
  // An adopted account is renamed to its declared name (Account Management's PutAccountName).
  await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
});
afterAll(() => h.stop());

/** Contexts of one execution environment: the same memory for every invocation. */
function environment(): () => HandlerContext {
  const memory = {};
  return () => h.context({ memory } as Partial<HandlerContext>);
}

function callsSince(since: number, operation: string) {
  return h.emulator.callLog.slice(since).filter(c => c.operation === operation);
}

async function membersWithEmail(email: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await h.organizations.send(new ListAccountsCommand({ NextToken: token }));
    ids.push(...(page.Accounts ?? []).filter(a => a.Email!.toLowerCase() === email.toLowerCase()).map(a => a.Id!));
    token = page.NextToken;
  } while (token);
  return ids;
}

async function waitForRequest(requestId: string): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const status = (await h.organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }))).CreateAccountStatus!;
    if (status.State === 'SUCCEEDED') return status.AccountId!;
    if (status.State === 'FAILED') throw new Error(`request ${requestId} failed: ${status.FailureReason}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error(`request ${requestId} never finished`);
}

test('Creates in one environment share a listing, bounded by its size, and move new accounts from the known root without ListParents', async () => {
  const context = environment();
  const since = h.emulator.callLog.length;
  const outcomes = [];
  for (let i = 0; i < 6; i++) outcomes.push(await runCreate(h, accountCreateEvent(accountProps(`Shared ${i}`, { ParentId: ouId })), { context }));
  // One page of accounts answers the Create that took it and 4 more; the sixth lists again.
  expect(callsSince(since, 'ListAccounts')).toHaveLength(2);
  // The first Create learns the root; the others move from it.
  expect(callsSince(since, 'ListParents')).toHaveLength(1);
  expect(callsSince(since, 'MoveAccount')).toHaveLength(6);
  for (const [i, outcome] of outcomes.entries()) {
    expect(outcome.Data.ParentId).toBe(ouId);
    expect(await membersWithEmail(accountProps(`Shared ${i}`).Email as string)).toEqual([outcome.PhysicalResourceId]);
  }
});

test('without memory (a context a test builds), every Create lists the accounts afresh', async () => {
  const since = h.emulator.callLog.length;
  await runCreate(h, accountCreateEvent(accountProps('Alone 0')));
  await runCreate(h, accountCreateEvent(accountProps('Alone 1')));
  expect(callsSince(since, 'ListAccounts').filter(c => !c.request.NextToken)).toHaveLength(2);
});

test('a member that joined after the listing is adopted once its CreateAccount fails, and no second account exists', async () => {
  const context = environment();
  await runCreate(h, accountCreateEvent(accountProps('Before Listing')), { context });
  // Joins after the listing this environment keeps: the next Create's listing is stale.
  const lateId = await createMemberAccount(h, 'late-joiner');
  const since = h.emulator.callLog.length;
  // Declared under another name than the request that made it: adoption, not an interrupted attempt of this resource.
  const outcome = await runCreate(h, accountCreateEvent(accountProps('Late Joiner', { Email: 'late-joiner@example.com', ParentId: ouId })), { context });
  expect(outcome.PhysicalResourceId).toBe(lateId);
  expect(outcome.Data).toMatchObject({ ParentId: ouId, AccountName: 'Late Joiner' });
  // The stale listing cost one request, which AWS refused for the email; nothing else was created.
  const requests = Object.values(h.emulator.state().organization!.createAccountRequests).filter(r => r.email === 'late-joiner@example.com');
  expect(requests.map(r => [r.state, r.failureReason])).toEqual([['SUCCEEDED', undefined], ['FAILED', 'EMAIL_ALREADY_EXISTS']]);
  expect(callsSince(since, 'CreateAccount')).toHaveLength(1);
  expect(await membersWithEmail('late-joiner@example.com')).toEqual([lateId]);
  // Adopted, as a fresh look would have: no owner tag on an account this resource did not make.
  expect((await tagsOf(h.organizations, lateId))['cdk-organizations:owner']).toBeUndefined();
});

test('with adoption off, a member that joined after the listing is still refused, not created again', async () => {
  const context = environment();
  await runCreate(h, accountCreateEvent(accountProps('Before Refusal')), { context });
  const lateId = await createMemberAccount(h, 'late-refused');
  await expect(runCreate(h, accountCreateEvent(accountProps('Late Refused', { Email: 'late-refused@example.com', AdoptExisting: 'false' })), { context }))
    .rejects.toThrow(/already a member of this organization .*adoption is off/);
  expect(await membersWithEmail('late-refused@example.com')).toEqual([lateId]);
});

test('a retried Create whose first request succeeded after the listing finishes on that account, as its own', async () => {
  const context = environment();
  const event = accountCreateEvent(accountProps('Retried', { ParentId: ouId }));
  const first = await account.onCreate(event, context());
  const firstRequest = first.Data!.CreateAccountRequestId;
  // The provider lost the first answer (onEvent timed out, say) and retries the same request once
  // the account exists: the listing kept from the first attempt does not have it.
  const createdId = await waitForRequest(firstRequest);
  const retry = await account.onCreate(event, context());
  expect(retry.Data!.CreateAccountRequestId).not.toBe(firstRequest);
  const waiting = { ...event, ...retry, PhysicalResourceId: event.RequestId };
  let answer = await account.isComplete!(waiting, context());
  for (let poll = 0; !answer.IsComplete && poll < 2000; poll++) {
    await new Promise(resolve => setTimeout(resolve, 5));
    answer = await account.isComplete!(waiting, context());
  }
  expect(answer.PhysicalResourceId).toBe(createdId);
  expect(answer.Data!.ParentId).toBe(ouId);
  expect(await membersWithEmail('retried@example.com')).toEqual([createdId]);
  expect((await tagsOf(h.organizations, createdId))['cdk-organizations:owner']).toBe(ownerId());
});

test('retries of one Create racing on a stale listing end on one account', async () => {
  const context = environment();
  await runCreate(h, accountCreateEvent(accountProps('Before Race')), { context });
  const event = accountCreateEvent(accountProps('Raced', { ParentId: ouId }));
  const outcomes = await Promise.all([0, 1, 2].map(() => runCreate(h, event, { context, sleepMs: 2 })));
  const ids = new Set(outcomes.map(o => o.PhysicalResourceId));
  expect(ids.size).toBe(1);
  expect(await membersWithEmail('raced@example.com')).toEqual([...ids]);
});

test('a new account that is no longer in the root when its Create finishes is still put under the declared parent', async () => {
  const context = environment();
  await runCreate(h, accountCreateEvent(accountProps('Root Learner', { ParentId: ouId })), { context });
  const root = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  const elsewhere = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Elsewhere' }))).OrganizationalUnit!.Id!;
  const event = accountCreateEvent(accountProps('Moved Early', { ParentId: ouId }));
  const submitted = await account.onCreate(event, context());
  const createdId = await waitForRequest(submitted.Data!.CreateAccountRequestId);
  // Moved before the poll that finishes the Create: the move from the root this environment knows fails.
  await h.organizations.send(new MoveAccountCommand({ AccountId: createdId, SourceParentId: root, DestinationParentId: elsewhere }));
  const answer = await account.isComplete!({ ...event, ...submitted, PhysicalResourceId: event.RequestId }, context());
  expect(answer).toMatchObject({ IsComplete: true, PhysicalResourceId: createdId, Data: { ParentId: ouId } });
  expect((await h.organizations.send(new ListParentsCommand({ ChildId: createdId }))).Parents![0].Id).toBe(ouId);
});

test('a member the listing names is read again: one closed since is refused, not adopted', async () => {
  const closingId = await createMemberAccount(h, 'closing');
  const context = environment();
  // The listing is taken while the member is ACTIVE ...
  await runCreate(h, accountCreateEvent(accountProps('Before Closure')), { context });
  await h.organizations.send(new CloseAccountCommand({ AccountId: closingId }));
  // ... and the Create that finds it there reads its state now.
  await expect(runCreate(h, accountCreateEvent(accountProps('closing')), { context })).rejects.toThrow(/is closed \((PENDING_CLOSURE|SUSPENDED)\)/);
});
