/**
 * Accounts: the asynchronous CreateAccount with every failure the emulator can produce, the
 * account quotas, moving, removing, leaving and closing.
 */
import { GetAccountInformationCommand } from '@aws-sdk/client-account';
import {
  AcceptHandshakeCommand,
  CloseAccountCommand,
  CreateAccountCommand,
  CreateGovCloudAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  EnableAWSServiceAccessCommand,
  InviteAccountToOrganizationCommand,
  LeaveOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListCreateAccountStatusCommand,
  ListPoliciesForTargetCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
  RemoveAccountFromOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, holdClock, newAccount, pollUntil, rootIdOf, settle, snapshot, startFixture } from './support';
import { Emulator } from '../../local/emulator';
import { ResolvedQuotas } from '../../local/emulator/quotas';

async function invited(f: Fixture, email: string): Promise<string> {
  const id = f.emulator.createExternalAccount(email, 'Invited');
  const handshake = await f.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: id } }));
  const guest = clientsFor(f.emulator, id);
  await guest.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Handshake!.Id! }));
  guest.destroy();
  return id;
}

const create = (org: OrganizationsClient, name: string, email: string) =>
  org.send(new CreateAccountCommand({ AccountName: name, Email: email })).then(out => out.CreateAccountStatus!);

describe('CreateAccount while requests stay IN_PROGRESS', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ accountCreationSeconds: 1_000_000, quotas: { maxAccounts: 100 } });
  });
  afterAll(async () => f?.stop());

  test('the request is IN_PROGRESS, without an account id yet', async () => {
    const status = await create(f.org, 'Slow', 'slow@example.com');
    expect(status).toEqual({ Id: expect.stringMatching(/^car-[a-f0-9]{32}$/), AccountName: 'Slow', State: 'IN_PROGRESS', RequestedTimestamp: expect.any(Date) });
    const described = (await f.org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: status.Id! }))).CreateAccountStatus!;
    expect(described).toEqual(status);
  });

  test('a sixth request while five are IN_PROGRESS is ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED', async () => {
    for (let i = 2; i <= 5; i++) await create(f.org, `Slow ${i}`, `slow-${i}@example.com`);
    const inProgress = await f.org.send(new ListCreateAccountStatusCommand({ States: ['IN_PROGRESS'] }));
    expect(inProgress.CreateAccountStatuses).toHaveLength(5);
    const before = snapshot(f.emulator);
    await expectError(create(f.org, 'Sixth', 'sixth@example.com'), 'ConstraintViolationException', 'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED');
    expect(snapshot(f.emulator)).toBe(before);
    expect((await f.org.send(new ListCreateAccountStatusCommand({ States: ['SUCCEEDED', 'FAILED'] }))).CreateAccountStatuses).toEqual([]);
  });
});

describe('CreateAccount', () => {
  let f: Fixture;
  let root: string;
  beforeAll(async () => {
    f = await startFixture({ quotas: { maxAccounts: 100 } });
    root = await rootIdOf(f.org);
  });
  afterAll(async () => f?.stop());

  test('SUCCEEDED after the simulated creation time: a CREATED member under the root, with its tags and the default SCP', async () => {
    const started = await f.org.send(new CreateAccountCommand({ AccountName: 'Prod', Email: 'prod@example.com', Tags: [{ Key: 'env', Value: 'prod' }] }));
    const status = await settle(f.org, started.CreateAccountStatus!.Id!);
    expect(status).toMatchObject({ State: 'SUCCEEDED', AccountName: 'Prod', AccountId: expect.stringMatching(/^[1-9]\d{11}$/) });
    // 60 simulated seconds at time scale 0.001: the emulator's own clock, not the test's.
    expect(status.CompletedTimestamp!.getTime() - status.RequestedTimestamp!.getTime()).toBeCloseTo(60, -1);
    const id = status.AccountId!;
    const account = (await f.org.send(new DescribeAccountCommand({ AccountId: id }))).Account!;
    expect(account).toEqual({
      Id: id,
      Arn: `arn:aws:organizations::${f.emulator.managementAccountId}:account/${f.emulator.state().organization!.id}/${id}`,
      Email: 'prod@example.com',
      Name: 'Prod',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: 'CREATED',
      JoinedTimestamp: status.CompletedTimestamp,
    });
    expect((await f.org.send(new ListAccountsForParentCommand({ ParentId: root }))).Accounts!.map(a => a.Id)).toContain(id);
    expect((await f.org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags).toEqual([{ Key: 'env', Value: 'prod' }]);
    expect((await f.org.send(new ListPoliciesForTargetCommand({ TargetId: id, Filter: 'SERVICE_CONTROL_POLICY' }))).Policies!.map(p => p.Id)).toEqual(['p-FullAWSAccess']);
  });

  test.each([
    ['an account outside the organization', () => f.emulator.createExternalAccount('outside@example.com'), 'Outside@Example.com'],
    ['a member (any case)', () => 'member', 'PROD@example.com'],
    ['the management account', () => 'management', ''],
  ])('an email that belongs to %s FAILS with EMAIL_ALREADY_EXISTS', async (_, arrange, email) => {
    arrange();
    const address = email || f.emulator.state().accounts[f.emulator.managementAccountId].email;
    const status = await settle(f.org, (await create(f.org, 'Taken', address)).Id!);
    expect(status).toMatchObject({ State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' });
    expect(status.AccountId).toBeUndefined();
  });

  test('the same email again while the first request is in progress FAILS with CONCURRENT_ACCOUNT_MODIFICATION', async () => {
    const [first, second] = [await create(f.org, 'Twin', 'twin@example.com'), await create(f.org, 'Twin', 'twin@example.com')];
    expect((await settle(f.org, first.Id!)).State).toBe('SUCCEEDED');
    expect(await settle(f.org, second.Id!)).toMatchObject({ State: 'FAILED', FailureReason: 'CONCURRENT_ACCOUNT_MODIFICATION' });
  });

  test('an address the mail system rejects (a .invalid domain) FAILS with INVALID_EMAIL', async () => {
    expect(await settle(f.org, (await create(f.org, 'Nobody', 'nobody@mail.invalid')).Id!)).toMatchObject({ State: 'FAILED', FailureReason: 'INVALID_EMAIL' });
  });

  test('an unknown request id is CreateAccountStatusNotFoundException; GovCloud is MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED', async () => {
    await expectError(f.org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: 'car-0123456789abcdef' })), 'CreateAccountStatusNotFoundException');
    await expectError(f.org.send(new CreateGovCloudAccountCommand({ AccountName: 'Gov', Email: 'gov@example.com' })),
      'ConstraintViolationException', 'MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED');
  });

  test('ListCreateAccountStatus filters by state', async () => {
    const all = (await f.org.send(new ListCreateAccountStatusCommand({}))).CreateAccountStatuses!;
    const failed = (await f.org.send(new ListCreateAccountStatusCommand({ States: ['FAILED'] }))).CreateAccountStatuses!;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every(s => s.State === 'FAILED')).toBe(true);
    expect(all.length).toBeGreaterThan(failed.length);
  });
});

describe('the accounts-per-organization quota', () => {
  test('requests beyond the quota FAIL with ACCOUNT_LIMIT_EXCEEDED, and once full CreateAccount is ACCOUNT_NUMBER_LIMIT_EXCEEDED', async () => {
    const f = await startFixture({ quotas: { maxAccounts: 2 } });
    try {
      // The management account is one; both requests are accepted, only one account fits. The clock
      // stands still while both are sent: on a busy machine A would otherwise be done before B is sent.
      const release = await holdClock(f.emulator);
      const [a, b] = [await create(f.org, 'A', 'a@example.com'), await create(f.org, 'B', 'b@example.com')];
      await release();
      expect((await settle(f.org, a.Id!)).State).toBe('SUCCEEDED');
      expect(await settle(f.org, b.Id!)).toMatchObject({ State: 'FAILED', FailureReason: 'ACCOUNT_LIMIT_EXCEEDED' });
      await expectError(create(f.org, 'C', 'c@example.com'), 'ConstraintViolationException', 'ACCOUNT_NUMBER_LIMIT_EXCEEDED');
      // Open invitations count too.
      const outsider = f.emulator.createExternalAccount('guest@example.com');
      await expectError(f.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: outsider } })),
        'HandshakeConstraintViolationException', 'ACCOUNT_NUMBER_LIMIT_EXCEEDED');
    } finally {
      await f.stop();
    }
  });
});

describe('moving, removing and leaving', () => {
  let f: Fixture;
  let root: string;
  beforeAll(async () => {
    // Members made in a simulated second: these tests are about where accounts go, not how long creation takes.
    f = await startFixture({ accountCreationSeconds: 1, quotas: { maxAccounts: 100 } });
    root = await rootIdOf(f.org);
  });
  afterAll(async () => f?.stop());

  test('MoveAccount checks the account, both parents, and where the account is', async () => {
    const id = await newAccount(f.org, 'Mover');
    const ou = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Target' }))).OrganizationalUnit!.Id!;
    const move = (accountId: string, source: string, destination: string) =>
      f.org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: source, DestinationParentId: destination }));
    await expectError(move('111111111111', root, ou), 'AccountNotFoundException');
    await expectError(move(id, 'ou-zzzz-zzzzzzzz', ou), 'SourceParentNotFoundException');
    await expectError(move(id, root, 'ou-zzzz-zzzzzzzz'), 'DestinationParentNotFoundException');
    await expectError(move(id, ou, root), 'AccountNotFoundException');
    await expectError(move(id, root, root), 'DuplicateAccountException');
    await move(id, root, ou);
    expect((await f.org.send(new ListAccountsForParentCommand({ ParentId: ou }))).Accounts!.map(a => a.Id)).toEqual([id]);
  });

  test('a created account cannot be removed before the wait period (4 days), an invited one can', async () => {
    const created = await newAccount(f.org, 'Young');
    const error = await expectError(f.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: created })), 'ConstraintViolationException', 'WAIT_PERIOD_ACTIVE');
    expect(error.message).toContain('345600');
    const member = clientsFor(f.emulator, created);
    await expectError(member.org.send(new LeaveOrganizationCommand({})), 'ConstraintViolationException', 'WAIT_PERIOD_ACTIVE');
    member.destroy();

    const guest = await invited(f, 'guest@example.com');
    await f.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: guest }));
    await expectError(f.org.send(new DescribeAccountCommand({ AccountId: guest })), 'AccountNotFoundException');
    await expectError(f.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: guest })), 'AccountNotFoundException');
    const standalone = clientsFor(f.emulator, guest);
    expect((await standalone.account.send(new GetAccountInformationCommand({}))).AccountId).toBe(guest);
    standalone.destroy();
  });

  test('the management account cannot leave; a delegated administrator must be deregistered first', async () => {
    await expectError(f.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: f.emulator.managementAccountId })), 'MasterCannotLeaveOrganizationException');
    await expectError(f.org.send(new LeaveOrganizationCommand({})), 'MasterCannotLeaveOrganizationException');
    const admin = await invited(f, 'admin@example.com');
    await f.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'guardduty.amazonaws.com' }));
    await f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: admin, ServicePrincipal: 'guardduty.amazonaws.com' }));
    await expectError(f.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: admin })), 'ConstraintViolationException', 'CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG');
  });

  test('an invited member leaves by itself and is then outside any organization', async () => {
    const guest = await invited(f, 'leaver@example.com');
    const member = clientsFor(f.emulator, guest);
    try {
      await member.org.send(new LeaveOrganizationCommand({}));
      await expectError(member.org.send(new LeaveOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
      expect((await f.org.send(new ListAccountsCommand({}))).Accounts!.map(a => a.Id)).not.toContain(guest);
    } finally {
      member.destroy();
    }
  });

  test('with a shorter wait period quota, a created account can be removed', async () => {
    const g = await startFixture({ quotas: { accountRemovalWaitSeconds: 0 } });
    try {
      const id = await newAccount(g.org, 'Short lived');
      await g.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: id }));
      expect(g.emulator.state().accounts[id].membership).toBeUndefined();
    } finally {
      await g.stop();
    }
  });
});

describe('CloseAccount', () => {
  test('PENDING_CLOSURE, then SUSPENDED, then CLOSED for good and out of the organization', async () => {
    const f = await startFixture({ accountCreationSeconds: 1, quotas: { permanentClosureSeconds: 60 } });
    try {
      const id = await newAccount(f.org, 'Closing');
      // The clock stands still while the two calls read PENDING_CLOSURE, however busy the machine.
      const release = await holdClock(f.emulator);
      await f.org.send(new CloseAccountCommand({ AccountId: id }));
      const pending = (await f.org.send(new DescribeAccountCommand({ AccountId: id }))).Account!;
      expect([pending.Status, pending.State]).toEqual(['PENDING_CLOSURE', 'PENDING_CLOSURE']);
      await expectError(f.org.send(new CloseAccountCommand({ AccountId: id })), 'AccountAlreadyClosedException');
      await release();
      const suspended = await pollUntil(() => f.org.send(new DescribeAccountCommand({ AccountId: id })).then(o => o.Account!), a => a.State !== 'PENDING_CLOSURE');
      expect([suspended.Status, suspended.State]).toEqual(['SUSPENDED', 'SUSPENDED']);
      await pollUntil(() => f.org.send(new ListAccountsCommand({})).then(o => o.Accounts!.map(a => a.Id)), ids => !ids.includes(id));
      expect(f.emulator.state().accounts[id].state).toBe('CLOSED');
    } finally {
      await f.stop();
    }
  });

  test('three closures at once, the 30-day quota, the management account, accounts not in the organization', async () => {
    const f = await startFixture({
      accountCreationSeconds: 1, accountClosureSeconds: 1_000_000, quotas: { maxAccounts: 100, maxClosuresPer30Days: 4 },
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await newAccount(f.org, `Doomed ${i}`));
      for (const id of ids.slice(0, 3)) await f.org.send(new CloseAccountCommand({ AccountId: id }));
      const before = snapshot(f.emulator);
      await expectError(f.org.send(new CloseAccountCommand({ AccountId: ids[3] })), 'ConstraintViolationException', 'CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED');
      expect(snapshot(f.emulator)).toBe(before);
      await expectError(f.org.send(new CloseAccountCommand({ AccountId: f.emulator.managementAccountId })), 'ConstraintViolationException', 'CANNOT_CLOSE_MANAGEMENT_ACCOUNT');
      await expectError(f.org.send(new CloseAccountCommand({ AccountId: '111111111111' })), 'AccountNotFoundException');

      const g = await startFixture({ accountCreationSeconds: 1, accountClosureSeconds: 1, quotas: { maxAccounts: 100, maxClosuresPer30Days: 1 } });
      try {
        const [first, second] = [await newAccount(g.org, 'First'), await newAccount(g.org, 'Second')];
        await g.org.send(new CloseAccountCommand({ AccountId: first }));
        await pollUntil(() => g.org.send(new DescribeAccountCommand({ AccountId: first })).then(o => o.Account!.State), s => s === 'SUSPENDED');
        await expectError(g.org.send(new CloseAccountCommand({ AccountId: second })), 'ConstraintViolationException', 'CLOSE_ACCOUNT_QUOTA_EXCEEDED');
      } finally {
        await g.stop();
      }
    } finally {
      await f.stop();
    }
  });

  test('the default closure quota is the higher of 250 and 20% of member accounts, at most 1,000', async () => {
    const quotas = new ResolvedQuotas();
    expect([quotas.closuresPer30Days(10), quotas.closuresPer30Days(2000), quotas.closuresPer30Days(100_000)]).toEqual([250, 400, 1000]);
  });
});

test('a closed member cannot be a delegated administrator', async () => {
  const emulator = await Emulator.start({ relaxed: true, timeScale: 0.001, withOrganization: true });
  const clients = clientsFor(emulator);
  try {
    const id = await newAccount(clients.org, 'Closed admin');
    await clients.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'securityhub.amazonaws.com' }));
    await clients.org.send(new CloseAccountCommand({ AccountId: id }));
    await expectError(clients.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: id, ServicePrincipal: 'securityhub.amazonaws.com' })),
      'ConstraintViolationException', 'CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR');
  } finally {
    clients.destroy();
    await emulator.stop();
  }
});
