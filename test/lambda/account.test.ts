import { AcceptHandshakeCommand, CreateAccountCommand, DescribeCreateAccountStatusCommand, InviteAccountToOrganizationCommand, DescribeAccountCommand, DisableAWSServiceAccessCommand, EnableAWSServiceAccessCommand, ListAccountsCommand, ListParentsCommand, ListRootsCommand, ListTagsForResourceCommand, CreateOrganizationalUnitCommand, DeleteOrganizationalUnitCommand, TagResourceCommand } from '@aws-sdk/client-organizations';
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { bornOwned, clientsFor, deleteEvent, Harness, mutatingCalls, ownerId, startHarness, updateEvent } from './harness';
import { account } from '../../lambda/account';
import { createAccountFailureMessage } from '../../lambda/account-create';
import { parseAccountProps } from '../../lambda/account-state';
import { readAdoptionRecord } from '../../lambda/shared/adoption';
import { UserError } from '../../lambda/shared/errors';
import { createdMarker } from '../../lambda/shared/ownership';
import { ResourceType } from '../../src/private/contract';

describe('parseAccountProps', () => {
  test('reads every scalar from its string form, "false" included', () => {
    const spec = parseAccountProps({
      AccountName: 'Prod',
      Email: 'prod@example.com',
      ParentId: 'ou-ab12-cdef3456',
      RoleName: 'Admin',
      IamUserAccessToBilling: 'DENY',
      Tags: [{ Key: 'team', Value: 'core' }],
      AdoptExisting: 'false',
      RemovalAction: 'CLOSE',
      CreateTimeoutSeconds: '600',
    });
    expect(spec).toEqual({
      accountName: 'Prod',
      email: 'prod@example.com',
      parentId: 'ou-ab12-cdef3456',
      roleName: 'Admin',
      iamUserAccessToBilling: 'DENY',
      tags: [{ Key: 'team', Value: 'core' }],
      adoptExisting: false,
      removalAction: 'CLOSE',
      createTimeoutSeconds: 600,
    });
  });

  test('defaults follow the API and the contract', () => {
    expect(parseAccountProps({ AccountName: 'A', Email: 'a@example.com' })).toEqual({
      accountName: 'A',
      email: 'a@example.com',
      parentId: undefined,
      roleName: 'OrganizationAccountAccessRole',
      iamUserAccessToBilling: 'ALLOW',
      tags: [],
      adoptExisting: true,
      removalAction: 'RETAIN',
      // The most one deployment can wait: CloudFormation gives a custom resource one hour.
      createTimeoutSeconds: 2700,
    });
  });

  test.each([
    [{ IamUserAccessToBilling: 'yes' }, /IamUserAccessToBilling must be "ALLOW" or "DENY", got "yes"/],
    [{ RemovalAction: 'DESTROY' }, /RemovalAction must be one of RETAIN, REMOVE_FROM_ORGANIZATION, CLOSE, got "DESTROY"/],
    [{ CreateTimeoutSeconds: 'soon' }, /CreateTimeoutSeconds must be a number/],
    [{ CreateTimeoutSeconds: '0' }, /CreateTimeoutSeconds must be a positive number of seconds, got 0/],
    [{ AdoptExisting: 'no' }, /AdoptExisting must be "true" or "false"/],
    [{ Email: '' }, /Email is required/],
  ])('rejects %j', (extra, message) => {
    expect(() => parseAccountProps({ AccountName: 'A', Email: 'a@example.com', ...extra })).toThrow(message);
  });
});

describe('createAccountFailureMessage', () => {
  const spec = { accountName: 'Prod', email: 'prod@example.com' };
  test.each([
    ['EMAIL_ALREADY_EXISTS', /outside this organization.*Invite that account.*or use another Email/],
    ['ACCOUNT_LIMIT_EXCEEDED', /quota of accounts.*Service Quotas/],
    ['CONCURRENT_ACCOUNT_MODIFICATION', /Nothing was created: redeploy/],
    ['INTERNAL_FAILURE', /internal failure.*AWS Support/],
    ['INVALID_EMAIL', /rejected the email prod@example.com as invalid. Fix the Email property/],
    ['INVALID_ADDRESS', /address.*management account.*Billing console/],
    ['GOVCLOUD_ACCOUNT_ALREADY_EXISTS', /GovCloud.*prod@example.com.*another Email/],
    ['FAILED_BUSINESS_VALIDATION', /failed AWS business validation/],
    ['PENDING_BUSINESS_VALIDATION', /still pending/],
    ['INVALID_IDENTITY_FOR_BUSINESS_VALIDATION', /identity documents/],
    ['UNKNOWN_BUSINESS_VALIDATION', /could not be determined/],
    ['MISSING_BUSINESS_VALIDATION', /has not completed business validation/],
    ['MISSING_PAYMENT_INSTRUMENT', /no valid payment method/],
    ['INVALID_PAYMENT_INSTRUMENT', /payment method is not valid/],
    ['UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED', /without Tags/],
    ['SOMETHING_NEW', /see the CreateAccountStatus FailureReason/],
  ])('%s', (reason, advice) => {
    const message = createAccountFailureMessage(reason, spec, 'car-1234abcd');
    expect(message).toContain(`CreateAccount request car-1234abcd for account "Prod" (prod@example.com) FAILED with ${reason}`);
    expect(message).toMatch(advice);
  });
});

describe('Account handler against the emulator', () => {
  let h: Harness;
  let rootId: string;
  beforeAll(async () => {
    h = await startHarness();
    rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  });
  afterAll(async () => h?.stop());

  async function accountsWithEmail(email: string) {
    const all = [];
    let token: string | undefined;
    do {
      const page = await h.organizations.send(new ListAccountsCommand({ NextToken: token }));
      all.push(...page.Accounts ?? []);
      token = page.NextToken;
    } while (token);
    return all.filter(a => a.Email?.toLowerCase() === email.toLowerCase());
  }
  async function parentOf(accountId: string) {
    return (await h.organizations.send(new ListParentsCommand({ ChildId: accountId }))).Parents![0].Id;
  }
  async function newOu(name: string) {
    return (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name }))).OrganizationalUnit!.Id!;
  }
  async function tagsOf(accountId: string) {
    const tags = (await h.organizations.send(new ListTagsForResourceCommand({ ResourceId: accountId }))).Tags ?? [];
    return Object.fromEntries(tags.map(t => [t.Key, t.Value]));
  }
  async function created(name: string, extra: Record<string, unknown> = {}) {
    const props = accountProps(name, extra);
    const outcome = await runCreate(h, accountCreateEvent(props));
    return { props, id: outcome.PhysicalResourceId, outcome };
  }
  /** An account created outside the stack (no owner tag), waited for by a bounded number of polls. */
  async function handMade(name: string, email: string, tags: Array<{ Key: string; Value: string }> = []) {
    const started = await h.organizations.send(new CreateAccountCommand({
      AccountName: name, Email: email, Tags: tags.length > 0 ? tags : undefined,
    }));
    for (let i = 0; i < 2000; i++) {
      const out = await h.organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started.CreateAccountStatus!.Id }));
      const status = out.CreateAccountStatus!;
      if (status.State === 'SUCCEEDED') return status.AccountId!;
      if (status.State === 'FAILED') throw new Error(`CreateAccount failed: ${status.FailureReason}`);
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    throw new Error('CreateAccount never finished');
  }
  const OWNER = 'cdk-organizations:owner';

  describe('create', () => {
    test('onCreate returns without waiting; isComplete polls to SUCCEEDED, moves the account and returns its attributes', async () => {
      const ou = await newOu('Workloads');
      const props = accountProps('Create One', { ParentId: ou, Tags: [{ Key: 'team', Value: 'core' }] });
      const since = h.emulator.callLog.length;
      const outcome = await runCreate(h, accountCreateEvent(props));

      expect(outcome.onEvent.PhysicalResourceId).toBeUndefined();
      expect(outcome.onEvent.Data?.CreateAccountRequestId).toMatch(/^car-/);
      expect(outcome.PhysicalResourceId).toMatch(/^\d{12}$/);
      expect(outcome.Data).toMatchObject({
        AccountId: outcome.PhysicalResourceId,
        AccountName: 'Create One',
        Email: 'create-one@example.com',
        ParentId: ou,
        JoinedMethod: 'CREATED',
      });
      expect(outcome.Data.AccountArn).toMatch(new RegExp(`:account/o-[a-z0-9]+/${outcome.PhysicalResourceId}$`));
      expect(new Date(outcome.Data.JoinedTimestamp).getTime()).not.toBeNaN();
      expect(await parentOf(outcome.PhysicalResourceId)).toBe(ou);
      // Born owned: CreateAccount carries the owner tag along with the declared ones.
      expect(await tagsOf(outcome.PhysicalResourceId)).toEqual({ team: 'core', ...bornOwned() });
      expect(mutatingCalls(h.emulator, since)).toEqual(['CreateAccount', 'MoveAccount']);
      expect(h.emulator.callLog.find(c => c.operation === 'CreateAccount' && c.outcome === 'OK' && (c.request as any).AccountName === 'Create One')!.request)
        .toMatchObject({ Tags: [{ Key: 'team', Value: 'core' }, { Key: OWNER, Value: ownerId() }, { Key: 'cdk-organizations:previous-owner', Value: expect.stringMatching(/^created:/) }] });
    });

    test('the same Create event twice converges to one account', async () => {
      const props = accountProps('Twice');
      const event = accountCreateEvent(props);
      const first = await runCreate(h, event);
      const second = await runCreate(h, event);
      expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
      expect(await accountsWithEmail(props.Email as string)).toHaveLength(1);
    });

    test('two Creates racing with the same props converge to one account', async () => {
      const props = accountProps('Racing');
      const [a, b] = await Promise.all([runCreate(h, accountCreateEvent(props)), runCreate(h, accountCreateEvent(props))]);
      expect(a.PhysicalResourceId).toBe(b.PhysicalResourceId);
      expect(await accountsWithEmail(props.Email as string)).toHaveLength(1);
    });

    test('a crash after CreateAccount was accepted resumes that request instead of creating a second account', async () => {
      const props = accountProps('Crashed', { AdoptExisting: 'false' });
      // What the interrupted invocation got as far as doing: its request carried the owner tag.
      const accepted = await h.organizations.send(new CreateAccountCommand({
        AccountName: 'Crashed', Email: props.Email as string, Tags: [{ Key: OWNER, Value: ownerId() }],
      }));
      const since = h.emulator.callLog.length;
      const outcome = await runCreate(h, accountCreateEvent(props));
      expect(mutatingCalls(h.emulator, since)).not.toContain('CreateAccount');
      const accounts = await accountsWithEmail(props.Email as string);
      expect(accounts).toHaveLength(1);
      expect(outcome.PhysicalResourceId).toBe(accounts[0].Id);
      expect(outcome.onEvent.Data?.CreateAccountRequestId ?? accepted.CreateAccountStatus!.Id).toBe(accepted.CreateAccountStatus!.Id);
      expect((await tagsOf(outcome.PhysicalResourceId))[OWNER]).toBe(ownerId());
    });

    test('a crash after the account was created: the retry finds it by its owner tag, even with adoption off', async () => {
      const props = accountProps('Crashed Later', { AdoptExisting: 'false' });
      const event = accountCreateEvent(props);
      // What the interrupted attempt's CreateAccount carried: the owner and the marker of this request.
      const id = await handMade('Crashed Later', props.Email as string, [{ Key: OWNER, Value: ownerId() },
        { Key: 'cdk-organizations:previous-owner', Value: createdMarker(event.RequestId) }]);
      const ctx = h.context();
      const since = h.emulator.callLog.length;
      const out = await account.onCreate(event, ctx);
      expect(out.PhysicalResourceId).toBe(id);
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
      expect(ctx.log.lines.map(l => l.message)).toContain('found the account this resource created');
    });

    test('a request of the same name made outside the stack is resumed, but the account is not claimed: CLOSE leaves it', async () => {
      const props = accountProps('Not Mine', { RemovalAction: 'CLOSE' });
      await h.organizations.send(new CreateAccountCommand({ AccountName: 'Not Mine', Email: props.Email as string }));
      const outcome = await runCreate(h, accountCreateEvent(props));
      expect(await tagsOf(outcome.PhysicalResourceId)).toEqual({});
      const since = h.emulator.callLog.length;
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, outcome.PhysicalResourceId, props), h.context());
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
      expect((await h.organizations.send(new DescribeAccountCommand({ AccountId: outcome.PhysicalResourceId }))).Account!.State).toBe('ACTIVE');
    });

    test('an account of the organization with the same email (any case) is adopted: moved, tagged and renamed, not claimed', async () => {
      const ou = await newOu('Adopted');
      const existing = { id: await handMade('Old Name', 'adopt-me@example.com') };
      // Renaming a member account needs Account Management's trusted access (the Organization resource enables it).
      await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
      const since = h.emulator.callLog.length;
      const ctx = h.context();
      const props = accountProps('New Name', { Email: 'Adopt-Me@Example.com', ParentId: ou, Tags: [{ Key: 'owner', Value: 'platform' }] });
      const onEvent = await account.onCreate(accountCreateEvent(props), ctx);

      expect(onEvent.PhysicalResourceId).toBe(existing.id);
      expect(onEvent.Data).toMatchObject({ AccountId: existing.id, AccountName: 'New Name', ParentId: ou });
      // The tags first, with the record of what the adoption changes (for a rollback to put back), then the move and the name.
      expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource', 'MoveAccount', 'PutAccountName']);
      expect(await parentOf(existing.id)).toBe(ou);
      // No owner tag: this resource never removes or closes it.
      const tags = await tagsOf(existing.id);
      expect(tags).toEqual({ 'owner': 'platform', 'cdk-organizations:adopted': expect.any(String) });
      expect(readAdoptionRecord(new Map(Object.entries(tags)))).toMatchObject({ name: 'Old Name', tags: { owner: null } });
      expect(ctx.log.lines.map(l => l.message)).toContain('adopting existing account');
      await h.organizations.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
      const done = await account.isComplete!({ ...accountCreateEvent(props), ...onEvent }, h.context());
      expect(done).toEqual({ IsComplete: true });
    });

    test('with adoption off, an existing member email is a clear error and nothing changes', async () => {
      const existing = { id: await handMade('Taken', 'taken@example.com') };
      const since = h.emulator.callLog.length;
      const event = accountCreateEvent(accountProps('Someone Else', { Email: 'taken@example.com', AdoptExisting: 'false' }));
      await expect(account.onCreate(event, h.context())).rejects.toThrow(
        new RegExp(`taken@example.com is already a member of this organization \\(${existing.id}, "Taken"\\).*AdoptExisting "false".*adoptExisting to true.*Account.fromAccountId`));
      await expect(account.onCreate(event, h.context())).rejects.toBeInstanceOf(UserError);
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    });

    test('an email of an account outside the organization fails with the EMAIL_ALREADY_EXISTS advice', async () => {
      h.emulator.createExternalAccount('outsider@example.com');
      const event = accountCreateEvent(accountProps('Outsider', { Email: 'outsider@example.com' }));
      await expect(runCreate(h, event)).rejects.toThrow(/FAILED with EMAIL_ALREADY_EXISTS: the email outsider@example.com already belongs to an AWS account outside this organization.*Invite that account/);
      expect(await accountsWithEmail('outsider@example.com')).toHaveLength(0);
    });
  });

  describe('update', () => {
    test('a parent change moves the account, and moving back (a rollback) converges', async () => {
      const ou = await newOu('Move Target');
      const { props, id } = await created('Mover', { ParentId: rootId });
      const moved = await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, { ...props, ParentId: ou }, props), h.context());
      expect(moved).toMatchObject({ PhysicalResourceId: id, Data: { ParentId: ou, AccountId: id } });
      expect(await parentOf(id)).toBe(ou);

      const since = h.emulator.callLog.length;
      const back = await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, props, { ...props, ParentId: ou }), h.context());
      expect(back.Data?.ParentId).toBe(rootId);
      expect(await parentOf(id)).toBe(rootId);
      // Applying the same props again is a no-op.
      await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, props, { ...props, ParentId: ou }), h.context());
      expect(mutatingCalls(h.emulator, since)).toEqual(['MoveAccount']);
    });

    test('a parent no longer declared means the root again: the account moves back there', async () => {
      const ou = await newOu('Undeclared Parent');
      const { props, id } = await created('Parent Dropped', { ParentId: ou });
      expect(await parentOf(id)).toBe(ou);
      const { ParentId: _, ...withoutParent } = props;
      const out = await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, withoutParent, props), h.context());
      expect(out.Data?.ParentId).toBe(rootId);
      expect(await parentOf(id)).toBe(rootId);
    });

    test('a parent that does not exist: the message names ParentId and nothing changes', async () => {
      const { props, id } = await created('Bad Parent');
      const since = h.emulator.callLog.length;
      const attempt = account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, { ...props, ParentId: 'ou-zzzz-zzzzzzzz' }, props), h.context());
      await expect(attempt).rejects.toThrow(new RegExp(`Cannot move account ${id} to ou-zzzz-zzzzzzzz: .*Check ParentId`));
      await expect(attempt).rejects.toBeInstanceOf(UserError);
      expect(await parentOf(id)).toBe(rootId);
      expect(h.emulator.callLog.slice(since).filter(c => c.outcome === 'OK' && !/^(Describe|List|Get)/.test(c.operation))).toEqual([]);
    });

    test('a name change calls PutAccountName and the attributes follow; without trusted access for account.amazonaws.com the message says so', async () => {
      const { props, id } = await created('Before Rename');
      const rename = updateEvent(ResourceType.ACCOUNT, id, { ...props, AccountName: 'After Rename' }, props);
      await expect(account.onUpdate(rename, h.context())).rejects.toThrow(/PutAccountName .* was denied renaming "Before Rename" to "After Rename".*trusted access for account.amazonaws.com/);
      await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
      const ctx = h.context();
      const out = await account.onUpdate(rename, ctx);
      expect(out).toMatchObject({ PhysicalResourceId: id, Data: { AccountName: 'After Rename' } });
      expect((await h.organizations.send(new DescribeAccountCommand({ AccountId: id }))).Account!.Name).toBe('After Rename');
      expect(ctx.log.lines.filter(l => l.message === 'PutAccountName')).toHaveLength(1);
    });

    test('tags follow the declared diff and leave tags set outside the stack alone', async () => {
      const { props, id } = await created('Tagged', { Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
      await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'external', Value: 'x' }] }));
      const next = { ...props, Tags: [{ Key: 'a', Value: '1' }, { Key: 'c', Value: '3' }, { Key: 'b', Value: '22' }].filter(t => t.Key !== 'b') };
      const since = h.emulator.callLog.length;
      await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, next, props), h.context());
      expect(await tagsOf(id)).toEqual({ a: '1', c: '3', external: 'x', ...bornOwned() });
      expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource', 'UntagResource']);
    });

    test.each([
      ['Email', 'changed@example.com', /Email cannot change from .* to changed@example.com.*StartPrimaryEmailUpdate.*AcceptPrimaryEmailUpdate.*Revert Email/],
      ['RoleName', 'OtherRole', /RoleName cannot change from "OrganizationAccountAccessRole" to "OtherRole".*only applies when CreateAccount creates the account.*Revert RoleName/],
      ['IamUserAccessToBilling', 'DENY', /IamUserAccessToBilling cannot change from "ALLOW" to "DENY".*Revert IamUserAccessToBilling/],
    ])('a change of %s is refused with no mutating call, even alongside other changes', async (prop, value, message) => {
      const ou = await newOu(`Refused ${prop}`);
      const { props, id } = await created(`Refuse ${prop}`);
      const since = h.emulator.callLog.length;
      const next = { ...props, [prop]: value, ParentId: ou, AccountName: 'Renamed', Tags: [{ Key: 'k', Value: 'v' }] };
      const attempt = account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, next, props), h.context());
      await expect(attempt).rejects.toThrow(message);
      await expect(attempt).rejects.toBeInstanceOf(UserError);
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    });

    test('rolling back a refused email change (new email = the real one) converges', async () => {
      const { props, id } = await created('Email Rollback');
      const since = h.emulator.callLog.length;
      const out = await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, props, { ...props, Email: 'attempted@example.com' }), h.context());
      expect(out.PhysicalResourceId).toBe(id);
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    });

    test('AdoptExisting, RemovalAction and CreateTimeoutSeconds changes need no API call', async () => {
      const { props, id } = await created('Settings Only');
      const since = h.emulator.callLog.length;
      const out = await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id,
        { ...props, AdoptExisting: 'false', RemovalAction: 'CLOSE', CreateTimeoutSeconds: '60' }, props), h.context());
      expect(out).toMatchObject({ PhysicalResourceId: id, Data: { AccountId: id, AccountName: 'Settings Only' } });
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    });

    test('isComplete of an update is immediately complete', async () => {
      const { props, id } = await created('Update Complete');
      await expect(account.isComplete!(updateEvent(ResourceType.ACCOUNT, id, props, props), h.context())).resolves.toEqual({ IsComplete: true });
    });
  });

  describe('delete', () => {
    test('RETAIN leaves the account in place with no mutating call', async () => {
      const { props, id } = await created('Retained');
      const since = h.emulator.callLog.length;
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, { ...props, RemovalAction: 'RETAIN' }), h.context());
      // It reads the ownership (the end of a takeover, an adoption to undo) and changes nothing.
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
      expect(await accountsWithEmail(props.Email as string)).toHaveLength(1);
    });

    test('a physical id that is not an account (CloudFormation never learnt one) removes nothing', async () => {
      const since = h.emulator.callLog.length;
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, 'req-123', { ...accountProps('Never'), RemovalAction: 'CLOSE' }), h.context());
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    });

    test('the provider framework\'s marker of a failed Create makes no call at all', async () => {
      const since = h.emulator.callLog.length;
      const marker = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, marker, { ...accountProps('Never'), RemovalAction: 'CLOSE' }), h.context());
      expect(h.emulator.callLog.length).toBe(since);
    });

    test('CLOSE closes the account; deleting again is done', async () => {
      const { props, id } = await created('Closed');
      const event = deleteEvent(ResourceType.ACCOUNT, id, { ...props, RemovalAction: 'CLOSE' });
      const since = h.emulator.callLog.length;
      expect(await account.onDelete(event, h.context())).toEqual({});
      const state = (await h.organizations.send(new DescribeAccountCommand({ AccountId: id }))).Account!;
      expect(['PENDING_CLOSURE', 'SUSPENDED']).toContain(state.State ?? state.Status);
      await account.onDelete(event, h.context());
      expect(mutatingCalls(h.emulator, since)).toEqual(['CloseAccount']);
    });

    test('CLOSE moves the account to the root first, so that the OU it was in can be deleted (a closed account stays 90 days)', async () => {
      const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Closing' }))).OrganizationalUnit!.Id!;
      const { props, id } = await created('Closed In Ou', { ParentId: ou });
      expect((await h.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id).toBe(ou);
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, { ...props, RemovalAction: 'CLOSE' }), h.context());
      expect((await h.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id).toBe(rootId);
      const state = (await h.organizations.send(new DescribeAccountCommand({ AccountId: id }))).Account!;
      expect(['PENDING_CLOSURE', 'SUSPENDED']).toContain(state.State ?? state.Status);
      await h.organizations.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ou }));
    });

    test('REMOVE_FROM_ORGANIZATION of an account created less than 4 days ago is refused with the rule, and the account stays', async () => {
      const { props, id } = await created('Too Young');
      const event = deleteEvent(ResourceType.ACCOUNT, id, { ...props, RemovalAction: 'REMOVE_FROM_ORGANIZATION' });
      const error = await account.onDelete(event, h.context()).catch(e => e);
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toMatch(new RegExp(`Cannot remove account ${id} from the organization .*only be removed 4 days after its creation`));
      expect(await accountsWithEmail(props.Email as string)).toHaveLength(1);
    });

    test('REMOVE_FROM_ORGANIZATION: an invited account is left until handed over by tag, then removed (no wait period); deleting again is done', async () => {
      const email = 'invited-removed@example.com';
      const id = h.emulator.createExternalAccount(email, 'Invited Removed');
      const invitee = clientsFor(h.emulator.endpoint, { accessKeyId: id, secretAccessKey: 'x' });
      try {
        const invitation = await h.organizations.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: id } }));
        await invitee.organizations.send(new AcceptHandshakeCommand({ HandshakeId: invitation.Handshake!.Id! }));
      } finally {
        invitee.organizations.destroy();
        invitee.account.destroy();
      }
      expect(await accountsWithEmail(email)).toHaveLength(1);
      const event = deleteEvent(ResourceType.ACCOUNT, id, { ...accountProps('Invited Removed'), Email: email, RemovalAction: 'REMOVE_FROM_ORGANIZATION' });
      // Adopted (no owner tag): RemovalAction does not apply to what the stack did not create.
      const ctx = h.context();
      await account.onDelete(event, ctx);
      expect(await accountsWithEmail(email)).toHaveLength(1);
      expect(ctx.log.lines.filter(l => l.message === 'leaving it in place: adopted')).toHaveLength(1);
      // Handed over: tagged with the identity of the resource that may remove it.
      await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: OWNER, Value: ownerId() }] }));
      const since = h.emulator.callLog.length;
      await account.onDelete(event, h.context());
      expect(await accountsWithEmail(email)).toHaveLength(0);
      await expect(account.onDelete(event, h.context())).resolves.toEqual({});
      // The second Delete finds the account gone from the organization (its tags went with it).
      expect(mutatingCalls(h.emulator, since)).toEqual(['RemoveAccountFromOrganization']);
    });
  });
});
