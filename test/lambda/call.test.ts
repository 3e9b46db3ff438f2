/**
 * The one way a handler calls AWS (lambda/shared/call.ts), against the emulator with the real SDK:
 * one log line per mutating call and none per read, retries within the deadline, every page.
 */
import { AccountClient, PutAccountNameCommand } from '@aws-sdk/client-account';
import {
  CreateAccountCommand, CreatePolicyCommand, DescribeAccountCommand, EnableAWSServiceAccessCommand, ListAccountsCommand, ListRootsCommand,
  MoveAccountCommand, OrganizationsClient, TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { createMemberAccount, CREDENTIALS, Harness, startHarness } from './harness';
import { call, callAllPages, isMutating, operationName } from '../../lambda/shared/call';
import { HandlerEnv } from '../../src/private/contract';

const CONTENT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] });

describe('call', () => {
  let h: Harness;
  // Retries back off from 5 ms, not 500: the tests count attempts, not time.
  beforeAll(async () => { process.env[HandlerEnv.RETRY_BASE_MS] = '5'; h = await startHarness(); });
  afterAll(() => { delete process.env[HandlerEnv.RETRY_BASE_MS]; return h.stop(); });
  afterEach(() => h.emulator.setFaults(undefined));

  test('a mutating call writes one line naming the operation and its target, never a document or an email', async () => {
    const ctx = h.context();
    const out = await call(ctx, 'organizations', new CreatePolicyCommand({
      Name: 'guard', Description: 'no deletes', Type: 'SERVICE_CONTROL_POLICY', Content: CONTENT, Tags: [{ Key: 'team', Value: 'x' }],
    }));
    expect(out.Policy?.PolicySummary?.Name).toBe('guard');
    expect(ctx.log.lines).toEqual([{ message: 'CreatePolicy', name: 'guard', type: 'SERVICE_CONTROL_POLICY', tagKeys: ['team'], contentLength: CONTENT.length }]);

    const account = h.context();
    await call(account, 'organizations', new CreateAccountCommand({ AccountName: 'logged', Email: 'secret@example.com' }));
    expect(account.log.lines).toEqual([{ message: 'CreateAccount', accountName: 'logged' }]);
    expect(JSON.stringify(account.log.lines)).not.toContain('secret@example.com');
  });

  test('reads write no line; extra fields join the line of a mutating call', async () => {
    const ctx = h.context();
    const roots = await call(ctx, 'organizations', new ListRootsCommand({}));
    expect(ctx.log.lines).toEqual([]);
    const rootId = roots.Roots![0].Id!;
    await call(ctx, 'organizations', new TagResourceCommand({ ResourceId: rootId, Tags: [{ Key: 'k', Value: 'v' }] }), { log: { why: 'a test' } });
    expect(ctx.log.lines).toEqual([{ message: 'TagResource', resourceId: rootId, tagKeys: ['k'], why: 'a test' }]);
  });

  /** Counts the attempts a client sends, and lifts the faults before the third. */
  function faultyTwice(client: { send(command: any): Promise<any> }): { attempts: () => number } {
    const original = client.send.bind(client);
    let attempts = 0;
    client.send = (command: unknown) => {
      if (++attempts === 3) h.emulator.setFaults(undefined);
      return original(command);
    };
    return { attempts: () => attempts };
  }

  test('throttling is retried: one line and one change, however many attempts', async () => {
    // A client that does not retry by itself, so every attempt is call()'s.
    const organizations = new OrganizationsClient({ region: 'us-east-1', endpoint: h.emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    const counted = faultyTwice(organizations);
    const ctx = h.context({ organizations });
    const before = h.emulator.callLog.length;
    h.emulator.setFaults({ operations: { CreatePolicy: { TooManyRequestsException: 1 } } }, 3);
    await call(ctx, 'organizations', new CreatePolicyCommand({ Name: 'retried', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: CONTENT }));
    expect(counted.attempts()).toBe(3);
    expect(h.emulator.callLog.slice(before).map(c => `${c.operation} ${c.outcome}`))
      .toEqual(['CreatePolicy TooManyRequestsException', 'CreatePolicy TooManyRequestsException', 'CreatePolicy OK']);
    expect(ctx.log.lines.filter(l => l.message === 'CreatePolicy')).toHaveLength(1);
    organizations.destroy();
  });

  test('Account Management\'s internal errors are retried as Organizations\' are', async () => {
    const accountId = await createMemberAccount(h, 'renamed');
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
    const account = new AccountClient({ region: 'us-east-1', endpoint: h.emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    const counted = faultyTwice(account);
    h.emulator.setFaults({ operations: { PutAccountName: { ServiceException: 1 } } }, 9);
    await call(h.context({ account }), 'account', new PutAccountNameCommand({ AccountId: accountId, AccountName: 'renamed-2' }));
    expect(counted.attempts()).toBe(3);
    const described = await h.organizations.send(new DescribeAccountCommand({ AccountId: accountId }));
    expect(described.Account?.Name).toBe('renamed-2');
    account.destroy();
  });

  test('no attempt starts after the deadline: the last error is thrown', async () => {
    h.emulator.setFaults({ operations: { MoveAccount: { ConcurrentModificationException: 1 } } }, 1);
    const ctx = h.context({ deadline: Date.now() + 300 });
    await expect(call(ctx, 'organizations', new MoveAccountCommand({ AccountId: '111111111111', SourceParentId: 'r-aaaa', DestinationParentId: 'r-aaaa' }), {}))
      .rejects.toMatchObject({ name: 'ConcurrentModificationException' });
  });

  test('callAllPages collects every page', async () => {
    for (let i = 0; i < 21; i++) await createMemberAccount(h, `paged-${i}`);
    const ctx = h.context();
    const accounts = await callAllPages(ctx, 'organizations', token => new ListAccountsCommand({ NextToken: token }), page => page.Accounts);
    const direct = await h.organizations.send(new ListAccountsCommand({}));
    expect(direct.NextToken).toBeDefined();
    expect(accounts.length).toBeGreaterThan(21);
    expect(new Set(accounts.map(a => a.Id)).size).toBe(accounts.length);
  });

  test('the operation comes from the SDK\'s schema, not the class name a minifier renames', () => {
    const Renamed = class extends MoveAccountCommand {};
    expect(Renamed.name).toBe('Renamed');
    expect(operationName(new Renamed({ AccountId: '1', SourceParentId: 'r', DestinationParentId: 'o' }))).toBe('MoveAccount');
    expect(isMutating('MoveAccount')).toBe(true);
    expect(isMutating('DescribeCreateAccountStatus')).toBe(false);
    expect(isMutating('GetAccountInformation')).toBe(false);
  });
});
