/**
 * The handler side of "nothing lost": each case was a way to lose or change for good what existed
 * before an operation, reproduced against the emulator with the real SDK.
 */
import {
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DeleteOrganizationalUnitCommand,
  DescribePolicyCommand,
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  MoveAccountCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { createEvent, createMemberAccount, deleteEvent, Harness, ownerId, raceBefore, setStack, startHarness, tagsOf, updateEvent } from './harness';
import { account } from '../../lambda/account';
import { handlers } from '../../lambda/index';
import { readAdoptionRecord } from '../../lambda/shared/adoption';
import { UserError } from '../../lambda/shared/errors';
import { ResourceType } from '../../src/private/contract';

let h: Harness;
let rootId: string;

beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
});

afterEach(async () => {
  h.emulator.setFaults(undefined);
  await setStack(h, undefined);
});

afterAll(async () => h?.stop());

const ADOPTED = 'cdk-organizations:adopted';
const describeAccount = async (id: string) => (await h.organizations.send(new DescribeAccountCommand({ AccountId: id }))).Account!;

test('Account Management\'s internal errors are retried like Organizations\' (PutAccountName, InternalServerException)', async () => {
  const props = accountProps('Renamed Under Faults');
  const created = await runCreate(h, accountCreateEvent(props));
  // Seed 5 fails the first three attempts, then lets one through.
  h.emulator.setFaults({ operations: { PutAccountName: { ServiceException: 0.8 } } }, 5);
  const since = h.emulator.callLog.length;
  await account.onUpdate(updateEvent(ResourceType.ACCOUNT, created.PhysicalResourceId, { ...props, AccountName: 'Renamed' }, props), h.context());
  const puts = h.emulator.callLog.slice(since).filter(c => c.operation === 'PutAccountName').map(c => c.outcome);
  expect(puts).toContain('InternalServerException');
  expect(puts[puts.length - 1]).toBe('OK');
  expect((await describeAccount(created.PhysicalResourceId)).Name).toBe('Renamed');
});

test('a closed account is never "created" again: the Create says it is closed and what to do', async () => {
  const props = accountProps('Closed Once', { RemovalAction: 'CLOSE' });
  const created = await runCreate(h, accountCreateEvent(props));
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, created.PhysicalResourceId, props), h.context());
  expect(['PENDING_CLOSURE', 'SUSPENDED']).toContain((await describeAccount(created.PhysicalResourceId)).State);
  const error = await account.onCreate(accountCreateEvent(props), h.context()).catch(e => e);
  expect(error).toBeInstanceOf(UserError);
  expect(error.message).toMatch(new RegExp(`the account with the email ${props.Email} \\(${created.PhysicalResourceId}\\) is closed \\((PENDING_CLOSURE|SUSPENDED)\\).*Use another Email`));
});

test('a renamed construct that also renames the account applies the declared name with the takeover', async () => {
  const props = accountProps('Before Id Change');
  const created = await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Sandbox'));
  const renamed = { ...props, AccountName: 'After Id Change' };
  const takenOver = await runCreate(h, createEvent(ResourceType.ACCOUNT, renamed, 'SandboxAccount'));
  expect(takenOver.PhysicalResourceId).toBe(created.PhysicalResourceId);
  expect((await describeAccount(created.PhysicalResourceId)).Name).toBe('After Id Change');
  expect(takenOver.Data.AccountName).toBe('After Id Change');
  expect(await tagsOf(h.organizations, created.PhysicalResourceId)).toMatchObject({
    'cdk-organizations:owner': ownerId('SandboxAccount'), 'cdk-organizations:previous-owner': ownerId('Sandbox'),
  });
});

test('a takeover (renamed construct, new name, a tag dropped) that CloudFormation cancelled is put back whole by the rollback\'s Delete', async () => {
  const props = accountProps('Before Cancelled Takeover', { Tags: [{ Key: 'team', Value: 'x' }, { Key: 'env', Value: 'prod' }] });
  const created = await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Vault'));
  const id = created.PhysicalResourceId;
  const v2 = { ...props, AccountName: 'After Cancelled Takeover', Tags: [{ Key: 'env', Value: 'prod' }] };
  await setStack(h, 'UPDATE_IN_PROGRESS', ['Vault']);
  await runCreate(h, createEvent(ResourceType.ACCOUNT, v2, 'VaultAccount'));
  expect((await describeAccount(id)).Name).toBe('After Cancelled Takeover');
  expect(await tagsOf(h.organizations, id)).not.toHaveProperty('team');
  // CloudFormation never learnt the physical id: the rollback's Delete has an invented one.
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Vault']);
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, 'test-VaultAccount-0A1B2C3D4E5F', v2, 'VaultAccount'), h.context());
  expect((await describeAccount(id)).Name).toBe('Before Cancelled Takeover');
  const tags = await tagsOf(h.organizations, id);
  expect(tags).toMatchObject({ 'team': 'x', 'env': 'prod', 'cdk-organizations:owner': ownerId('Vault') });
  // The record stays for the cancelled Create's own undo, should it still be running.
  expect(Object.keys(tags).filter(k => k.startsWith('cdk-organizations:adopted')).length).toBeGreaterThan(0);
});

test('an account kept by a failed deployment, claimed again with new tags and name by the next one that fails too, is put back as it was', async () => {
  const v1 = accountProps('Kept Once', { Tags: [{ Key: 'team', Value: 'a' }] });
  const kept = await runCreate(h, createEvent(ResourceType.ACCOUNT, v1, 'Keeper'));
  const id = kept.PhysicalResourceId;
  // The next deployment declares it again (a new request of the same resource) with other tags and name, and fails.
  const v2 = { ...v1, AccountName: 'Kept Twice', Tags: [{ Key: 'team', Value: 'b' }, { Key: 'env', Value: 'dev' }] };
  await setStack(h, 'UPDATE_IN_PROGRESS');
  await runCreate(h, createEvent(ResourceType.ACCOUNT, v2, 'Keeper'));
  expect((await describeAccount(id)).Name).toBe('Kept Twice');
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, v2, 'Keeper'), h.context());
  expect((await describeAccount(id)).Name).toBe('Kept Once');
  expect(await tagsOf(h.organizations, id)).toMatchObject({ 'team': 'a', 'cdk-organizations:owner': ownerId('Keeper') });
  expect(await tagsOf(h.organizations, id)).not.toHaveProperty('env');
  expect((await describeAccount(id)).State).toBe('ACTIVE');
});

test('a claim again that CloudFormation cancelled stays pending through the rollback\'s Delete, so the late Create\'s undo never removes the account', async () => {
  const props = accountProps('Removable Kept', { RemovalAction: 'REMOVE_FROM_ORGANIZATION' });
  const made = await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Removable'));
  const id = made.PhysicalResourceId;
  // The next deployment creates the same resource again (a new request): it claims the account again, pending.
  await setStack(h, 'CREATE_IN_PROGRESS');
  await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Removable'));
  expect(await tagsOf(h.organizations, id)).toMatchObject({ 'cdk-organizations:previous-owner': ownerId('Removable') });
  // It is cancelled: the rollback's Delete (invented id) comes, then the late Create's undo (real id).
  await setStack(h, 'ROLLBACK_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, 'test-Removable-0A1B2C3D4E5F', props, 'Removable'), h.context());
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, props, 'Removable'), h.context());
  expect((await describeAccount(id)).State).toBe('ACTIVE');
  expect((await h.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id).toBe(rootId);
});

test('a claim again left pending by an earlier failed deployment does not keep the next one from recording what it changes: its rollback removes the tags it added', async () => {
  const v1 = accountProps('Pending Twice', { Tags: [{ Key: 'team', Value: 'a' }] });
  const id = (await runCreate(h, createEvent(ResourceType.ACCOUNT, v1, 'PendingTwice'))).PhysicalResourceId;
  // The next deployment renames it and fails; the undo that runs last keeps the claim pending (as a
  // failed Create's own undo does, through the Delete of its request id).
  const v2 = { ...v1, AccountName: 'Pending Twice Renamed' };
  await setStack(h, 'UPDATE_IN_PROGRESS');
  await runCreate(h, createEvent(ResourceType.ACCOUNT, v2, 'PendingTwice'));
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, 'test-PendingTwice-0A1B2C3D4E5F', v2, 'PendingTwice'), h.context());
  expect((await describeAccount(id)).Name).toBe('Pending Twice');
  expect(await tagsOf(h.organizations, id)).toMatchObject({ 'cdk-organizations:previous-owner': ownerId('PendingTwice'), [ADOPTED]: expect.any(String) });
  // A third deployment declares new tags and a new name, and fails too: its rollback puts back what it found.
  const v3 = { ...v1, AccountName: 'Pending Thrice', Tags: [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'dev' }] };
  await setStack(h, 'UPDATE_IN_PROGRESS');
  await runCreate(h, createEvent(ResourceType.ACCOUNT, v3, 'PendingTwice'));
  expect(await tagsOf(h.organizations, id)).toMatchObject({ env: 'dev' });
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, v3, 'PendingTwice'), h.context());
  const tags = await tagsOf(h.organizations, id);
  expect({ team: tags.team, env: tags.env, owner: tags['cdk-organizations:owner'] }).toEqual({ team: 'a', env: undefined, owner: ownerId('PendingTwice') });
  expect((await describeAccount(id)).Name).toBe('Pending Twice');
  expect((await describeAccount(id)).State).toBe('ACTIVE');
});

test('an account kept by a failed deployment and declared again with other tags gets exactly those (a takeover from itself); the rollback puts the old ones back', async () => {
  const v1 = accountProps('Retagged Again', { Tags: [{ Key: 'cost-center', Value: 'y' }] });
  const id = (await runCreate(h, createEvent(ResourceType.ACCOUNT, v1, 'RetaggedAgain'))).PhysicalResourceId;
  const v2 = { ...v1, Tags: [{ Key: 'owner', Value: 'x' }] };
  await setStack(h, 'UPDATE_IN_PROGRESS');
  await runCreate(h, createEvent(ResourceType.ACCOUNT, v2, 'RetaggedAgain'));
  const claimed = await tagsOf(h.organizations, id);
  expect({ owner: claimed.owner, costCenter: claimed['cost-center'] }).toEqual({ owner: 'x', costCenter: undefined });
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, v2, 'RetaggedAgain'), h.context());
  const back = await tagsOf(h.organizations, id);
  expect({ owner: back.owner, costCenter: back['cost-center'] }).toEqual({ owner: undefined, costCenter: 'y' });
});

describe('a Create CloudFormation stopped waiting for', () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const exists = (id: string) => h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }))
    .then(() => true, () => false);

  test('what it made within the operation is deleted by the rollback\'s Delete with an invented physical id', async () => {
    const props = { Name: 'Cancelled', ParentId: rootId };
    const started = new Date(Date.now() - 1_000);
    const made = await ou.onCreate(createEvent(T, props, 'Cancelled'), h.context());
    await setStack(h, 'ROLLBACK_IN_PROGRESS', [], started);
    const ctx = h.context();
    await ou.onDelete(deleteEvent(T, 'test-Cancelled-0A1B2C3D4E5F', props, 'Cancelled'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('removing what a cancelled Create made');
    expect(await exists(made.PhysicalResourceId!)).toBe(false);
  });

  test('what an earlier operation of the same resource made stays', async () => {
    const props = { Name: 'Made Earlier', ParentId: rootId };
    const made = await ou.onCreate(createEvent(T, props, 'Earlier'), h.context());
    await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', [], new Date(Date.now() + 1_000));
    await ou.onDelete(deleteEvent(T, 'test-Earlier-0A1B2C3D4E5F', props, 'Earlier'), h.context());
    expect(await exists(made.PhysicalResourceId!)).toBe(true);
  });

  test('trusted access a cancelled Create enabled within the operation is disabled by the rollback\'s Delete (its root tags carry the marker)', async () => {
    const A = ResourceType.AWS_SERVICE_ACCESS;
    const props = { ServicePrincipal: 'guardduty.amazonaws.com' };
    const enabled = async () => (await h.organizations.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!
      .some(p => p.ServicePrincipal === props.ServicePrincipal);
    const started = new Date(Date.now() - 1_000);
    await handlers[A].onCreate(createEvent(A, props, 'GuardDuty'), h.context());
    expect(await enabled()).toBe(true);
    await setStack(h, 'ROLLBACK_IN_PROGRESS', [], started);
    const ctx = h.context();
    await handlers[A].onDelete(deleteEvent(A, 'test-GuardDuty-0A1B2C3D4E5F', props, 'GuardDuty'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('removing what a cancelled Create made');
    expect(await enabled()).toBe(false);
    expect(Object.keys(await tagsOf(h.organizations, rootId)).filter(k => k.includes('guardduty'))).toEqual([]);
  });

  test('an OU a cancelled Create left in a parent the rollback deletes is removed first, so the rollback does not fail; a hand-made child still refuses', async () => {
    const started = new Date(Date.now() - 1_000);
    const parent = (await ou.onCreate(createEvent(T, { Name: 'LeftoverParent', ParentId: rootId }, 'Parent'), h.context())).PhysicalResourceId!;
    // The child's Create lands after its rollback's Delete found nothing: CloudFormation has deleted the resource already.
    const child = (await ou.onCreate(createEvent(T, { Name: 'LateChild', ParentId: parent }, 'Child'), h.context())).PhysicalResourceId!;
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['Parent'], started);
    const ctx = h.context();
    await ou.onDelete(deleteEvent(T, parent, { Name: 'LeftoverParent', ParentId: rootId }, 'Parent'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('removing an OU a cancelled Create left in it');
    expect([await exists(child), await exists(parent)]).toEqual([false, false]);

    // An account a late Create made in the OU (kept: RETAIN) goes to the root, where new accounts start.
    const withAccount = (await ou.onCreate(createEvent(T, { Name: 'AccountParent', ParentId: rootId }, 'AccountParent'), h.context())).PhysicalResourceId!;
    const left = await runCreate(h, createEvent(ResourceType.ACCOUNT, accountProps('Left By Late Create', { ParentId: withAccount }), 'LateAccount'));
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['AccountParent'], started);
    await ou.onDelete(deleteEvent(T, withAccount, { Name: 'AccountParent', ParentId: rootId }, 'AccountParent'), h.context());
    expect(await exists(withAccount)).toBe(false);
    expect((await h.organizations.send(new ListParentsCommand({ ChildId: left.PhysicalResourceId }))).Parents![0].Id).toBe(rootId);
    expect((await describeAccount(left.PhysicalResourceId)).State).toBe('ACTIVE');

    // An account made by hand that a late Create adopted into the OU goes back where it was (its record says).
    const claimParent = (await ou.onCreate(createEvent(T, { Name: 'ClaimParent', ParentId: rootId }, 'ClaimParent'), h.context())).PhysicalResourceId!;
    const byHandAccount = await createMemberAccount(h, 'claimed-late');
    await runCreate(h, createEvent(ResourceType.ACCOUNT, { AccountName: 'claimed-late-declared', Email: 'claimed-late@example.com', ParentId: claimParent }, 'Claimer'));
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['ClaimParent'], started);
    await ou.onDelete(deleteEvent(T, claimParent, { Name: 'ClaimParent', ParentId: rootId }, 'ClaimParent'), h.context());
    expect(await exists(claimParent)).toBe(false);
    expect((await h.organizations.send(new ListParentsCommand({ ChildId: byHandAccount }))).Parents![0].Id).toBe(rootId);

    const kept = (await ou.onCreate(createEvent(T, { Name: 'KeptParent', ParentId: rootId }, 'Kept'), h.context())).PhysicalResourceId!;
    const byHand = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: kept, Name: 'ByHand' }))).OrganizationalUnit!.Id!;
    const error = await ou.onDelete(deleteEvent(T, kept, { Name: 'KeptParent', ParentId: rootId }, 'Kept'), h.context()).catch(e => e);
    expect(error.message).toContain(`it still contains OU ${byHand}`);
    expect(await exists(byHand)).toBe(true);
  });

  test('an account of an earlier operation that only its owner tag ties to a deleted resource (its record already settled) goes to the root', async () => {
    // Made by an earlier operation; within this one a claim again moved it into a new OU, and the
    // rollback's Delete of that claim settled its record and marker before the late move landed.
    const accountId = (await runCreate(h, createEvent(ResourceType.ACCOUNT, accountProps('Owner Only'), 'OwnerOnlyAccount'))).PhysicalResourceId;
    await new Promise(resolve => setTimeout(resolve, 5));
    const started = new Date();
    await new Promise(resolve => setTimeout(resolve, 5));
    const parent = (await ou.onCreate(createEvent(T, { Name: 'OwnerOnlyParent', ParentId: rootId }, 'OwnerOnlyParent'), h.context())).PhysicalResourceId!;
    await h.organizations.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: rootId, DestinationParentId: parent }));
    await h.organizations.send(new UntagResourceCommand({ ResourceId: accountId, TagKeys: ['cdk-organizations:previous-owner'] }));
    expect(Object.keys(await tagsOf(h.organizations, accountId)).filter(k => k.startsWith('cdk-organizations:'))).toEqual(['cdk-organizations:owner']);
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['OwnerOnlyParent'], started);
    await ou.onDelete(deleteEvent(T, parent, { Name: 'OwnerOnlyParent', ParentId: rootId }, 'OwnerOnlyParent'), h.context());
    expect(await exists(parent)).toBe(false);
    expect((await h.organizations.send(new ListParentsCommand({ ChildId: accountId }))).Parents![0].Id).toBe(rootId);
    expect((await describeAccount(accountId)).State).toBe('ACTIVE');
  });

  test('a child OU deleted between the parent\'s listing and its check (its late Create\'s own undo) does not keep the parent from being deleted', async () => {
    const started = new Date(Date.now() - 1_000);
    const parent = (await ou.onCreate(createEvent(T, { Name: 'GoneChildParent', ParentId: rootId }, 'GoneChildParent'), h.context())).PhysicalResourceId!;
    const child = (await ou.onCreate(createEvent(T, { Name: 'GoneChild', ParentId: parent }, 'GoneChild'), h.context())).PhysicalResourceId!;
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['GoneChildParent'], started);
    // The child goes just before its tags are read, after the parent listed it.
    let raced = false;
    const organizations = raceBefore(h.organizations, 'ListTagsForResourceCommand', async () => {
      raced = true;
      await h.organizations.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: child }));
    }, input => input.ResourceId === child);
    await ou.onDelete(deleteEvent(T, parent, { Name: 'GoneChildParent', ParentId: rootId }, 'GoneChildParent'), h.context({ organizations }));
    expect(raced).toBe(true);
    expect([await exists(child), await exists(parent)]).toEqual([false, false]);
  });

  test('an account that leaves the OU between its listing and its check (a late Create\'s undo moving back what it adopted) does not keep the OU', async () => {
    const started = new Date(Date.now() - 1_000);
    const parent = (await ou.onCreate(createEvent(T, { Name: 'LeftSinceParent', ParentId: rootId }, 'LeftSinceParent'), h.context())).PhysicalResourceId!;
    const accountId = await createMemberAccount(h, 'left-since');
    await h.organizations.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: rootId, DestinationParentId: parent }));
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['LeftSinceParent'], started);
    let raced = false;
    const organizations = raceBefore(h.organizations, 'ListTagsForResourceCommand', async () => {
      raced = true;
      await h.organizations.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: parent, DestinationParentId: rootId }));
    }, input => input.ResourceId === accountId);
    await ou.onDelete(deleteEvent(T, parent, { Name: 'LeftSinceParent', ParentId: rootId }, 'LeftSinceParent'), h.context({ organizations }));
    expect(raced).toBe(true);
    expect(await exists(parent)).toBe(false);
    expect((await h.organizations.send(new ListParentsCommand({ ChildId: accountId }))).Parents![0].Id).toBe(rootId);
  });

  test('an OU made outside the stack stays, whatever the operation', async () => {
    const props = { Name: 'Outside', ParentId: rootId };
    const byHand = await h.organizations.send(new CreateOrganizationalUnitCommand(props));
    await setStack(h, 'ROLLBACK_IN_PROGRESS', [], new Date(Date.now() - 60_000));
    await ou.onDelete(deleteEvent(T, 'test-Outside-0A1B2C3D4E5F', props, 'Outside'), h.context());
    expect(await exists(byHand.OrganizationalUnit!.Id!)).toBe(true);
  });
});

test('an account kept by a failed deployment and declared again with CLOSE is not closed by the rollback of the next failed one', async () => {
  // v2 creates it (RETAIN) and fails after it: DeletionPolicy Retain keeps it, with its owner tag.
  const props = accountProps('Kept By Rollback');
  const v2 = await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Sandbox'));
  // v3 declares the same construct with CLOSE, and fails again.
  const closing = { ...props, RemovalAction: 'CLOSE' };
  const v3 = await runCreate(h, createEvent(ResourceType.ACCOUNT, closing, 'Sandbox'));
  expect(v3.PhysicalResourceId).toBe(v2.PhysicalResourceId);
  await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, v3.PhysicalResourceId, closing, 'Sandbox'), h.context());
  expect((await describeAccount(v2.PhysicalResourceId)).State).toBe('ACTIVE');
  // v4 succeeds with it; removing it later closes it, as declared.
  await runCreate(h, createEvent(ResourceType.ACCOUNT, closing, 'Sandbox'));
  await setStack(h, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
  await account.onDelete(deleteEvent(ResourceType.ACCOUNT, v3.PhysicalResourceId, closing, 'Sandbox'), h.context());
  expect(['PENDING_CLOSURE', 'SUSPENDED']).toContain((await describeAccount(v2.PhysicalResourceId)).State);
});

test('an Update CloudFormation abandoned cannot win over the rollback: a rename that lands after the rollback\'s Update is undone', async () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const alpha = { Name: 'Alpha', ParentId: rootId };
  const beta = { Name: 'Beta', ParentId: rootId };
  const id = (await ou.onCreate(createEvent(T, alpha, 'Team'), h.context())).PhysicalResourceId!;
  await setStack(h, 'UPDATE_IN_PROGRESS', ['Team']);
  // Another resource fails while the rename is on its way: the stack rolls back, and the rollback's
  // Update (Beta -> Alpha) finds the OU still named Alpha; then the rename lands.
  const organizations = raceBefore(h.organizations, 'UpdateOrganizationalUnitCommand', async () => {
    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Team']);
    await ou.onUpdate(updateEvent(T, id, alpha, beta, 'Team'), h.context());
  });
  const ctx = h.context({ organizations });
  await ou.onUpdate(updateEvent(T, id, beta, alpha, 'Team'), ctx);
  expect(ctx.log.lines.map(l => l.message)).toContain('undoing an update the stack\'s rollback abandoned');
  const after = await h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }));
  expect(after.OrganizationalUnit!.Name).toBe('Alpha');
});

test('a Create CloudFormation abandoned is undone, and its waiter does not make it again: a policy type enabled after the rollback\'s Delete', async () => {
  const T = ResourceType.ENABLED_POLICY_TYPE;
  const type = handlers[T];
  const props = { RootId: rootId, PolicyType: 'BACKUP_POLICY' };
  // The status once a pending enable or disable has settled.
  const enabled = async () => {
    for (let i = 0; ; i++) {
      const status = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].PolicyTypes!.find(p => p.Type === 'BACKUP_POLICY')?.Status;
      if (!status?.startsWith('PENDING') || i > 200) return status !== undefined;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
  };
  await setStack(h, 'CREATE_IN_PROGRESS', ['Backup']);
  // Another resource fails while EnablePolicyType is on its way: the rollback's Delete (CloudFormation
  // never learnt the physical id) finds nothing to remove; then the enable lands.
  const organizations = raceBefore(h.organizations, 'EnablePolicyTypeCommand', async () => {
    await setStack(h, 'ROLLBACK_IN_PROGRESS', ['Backup']);
    await type.onDelete({ ...deleteEvent(T, 'Backup-invented-1234', props, 'Backup') }, h.context());
  });
  const event = createEvent(T, props, 'Backup');
  const response = await type.onCreate(event, h.context({ organizations }));
  expect(await enabled()).toBe(false);
  // The provider framework's waiter still runs with what onEvent answered.
  const ctx = h.context();
  const complete = await type.isComplete!({ ...event, ...response }, ctx);
  expect(complete.IsComplete).toBe(true);
  expect(ctx.log.lines.map(l => l.message)).toContain('nothing to wait for: the request was undone');
  expect(await enabled()).toBe(false);
});

test('a Create CloudFormation abandoned that then fails is undone too: an adoption whose move fails after the rollback deleted the new OU', async () => {
  const id = await createMemberAccount(h, 'handmade-failed-late');
  const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'NewInThisDeploy' }))).OrganizationalUnit!.Id!;
  const props = { AccountName: 'handmade-failed-late', Email: 'handmade-failed-late@example.com', ParentId: ou, Tags: [{ Key: 'team', Value: 'platform' }] };
  await setStack(h, 'UPDATE_IN_PROGRESS', ['Late']);
  // Another resource fails while the adoption is on its way: the rollback's Delete of this resource
  // (a cancelled Create) finds nothing claimed yet, and the rollback deletes the new OU; the move then fails.
  const organizations = raceBefore(h.organizations, 'MoveAccountCommand', async () => {
    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Late']);
    await account.onDelete(deleteEvent(ResourceType.ACCOUNT, 'Late-invented-1234', props, 'Late'), h.context());
    await h.organizations.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ou }));
  });
  const ctx = h.context({ organizations });
  await expect(account.onCreate(createEvent(ResourceType.ACCOUNT, props, 'Late'), ctx)).rejects.toThrow(/Cannot move account/);
  expect(ctx.log.lines.map(l => l.message)).toContain('undoing a failed create the stack\'s rollback abandoned');
  const tags = await tagsOf(h.organizations, id);
  expect(tags).not.toHaveProperty('team');
  expect((await h.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id).toBe(rootId);
});

test('a Create whose wait ends after its operation rolled back is undone then', async () => {
  const T = ResourceType.ENABLED_POLICY_TYPE;
  const type = handlers[T];
  const props = { RootId: rootId, PolicyType: 'AISERVICES_OPT_OUT_POLICY' };
  const enabled = async () => (await h.organizations.send(new ListRootsCommand({}))).Roots![0].PolicyTypes!.some(p => p.Type === 'AISERVICES_OPT_OUT_POLICY');
  await setStack(h, 'CREATE_IN_PROGRESS', ['OptOut']);
  const event = createEvent(T, props, 'OptOut');
  const response = await type.onCreate(event, h.context());
  expect(await enabled()).toBe(true);
  // The stack fails elsewhere and rolls back while the waiter waits; the rollback's Delete had no physical id.
  await setStack(h, 'ROLLBACK_COMPLETE', ['OptOut']);
  let complete = { IsComplete: false };
  const ctx = h.context();
  for (let i = 0; i < 50 && !complete.IsComplete; i++) complete = await type.isComplete!({ ...event, ...response }, ctx);
  expect(complete.IsComplete).toBe(true);
  expect(ctx.log.lines.map(l => l.message)).toContain('undoing a create the stack\'s rollback abandoned while it waited');
  let on = true;
  for (let i = 0; i < 50 && on; i++) on = await enabled();
  expect(on).toBe(false);
});

test('a replacing Update CloudFormation abandoned is undone: the OU it made under the new parent is deleted, the old one stays', async () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const parent = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'NewParent' }))).OrganizationalUnit!.Id!;
  const before = { Name: 'Mover', ParentId: rootId };
  const after = { Name: 'Mover', ParentId: parent };
  const id = (await ou.onCreate(createEvent(T, before, 'Mover'), h.context())).PhysicalResourceId!;
  await setStack(h, 'UPDATE_IN_PROGRESS', ['Mover']);
  // Another resource fails while the replacement is being made: the stack rolls back without it.
  const organizations = raceBefore(h.organizations, 'CreateOrganizationalUnitCommand', () => setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Mover']));
  const ctx = h.context({ organizations });
  const response = await ou.onUpdate(updateEvent(T, id, after, before, 'Mover'), ctx);
  expect(response.PhysicalResourceId).not.toBe(id);
  expect(ctx.log.lines.map(l => l.message)).toContain('undoing a replacement the stack\'s rollback abandoned');
  const children = (await h.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent }))).OrganizationalUnits!;
  expect(children).toEqual([]);
  expect((await h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }))).OrganizationalUnit!.Name).toBe('Mover');
});

test('the rollback\'s Update removes the replacement a cancelled replacing Update made after all (its answer never reached CloudFormation)', async () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const started = new Date(Date.now() - 1_000);
  const parent = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'LateParent' }))).OrganizationalUnit!.Id!;
  const before = { Name: 'LateMover', ParentId: rootId };
  const after = { Name: 'LateMover', ParentId: parent };
  const id = (await ou.onCreate(createEvent(T, before, 'LateMover'), h.context())).PhysicalResourceId!;
  // The forward Update made its replacement, and finished just as the stack started rolling back.
  await setStack(h, 'UPDATE_IN_PROGRESS', ['LateMover'], started);
  const replacement = (await ou.onUpdate(updateEvent(T, id, after, before, 'LateMover'), h.context())).PhysicalResourceId!;
  expect(replacement).not.toBe(id);
  // The rollback's Update (back to the old parent) knows nothing of it, and removes it.
  await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['LateMover'], started);
  const back = await ou.onUpdate(updateEvent(T, replacement, before, after, 'LateMover'), h.context());
  expect(back.PhysicalResourceId).toBe(id);
  const children = (await h.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent }))).OrganizationalUnits!;
  expect(children).toEqual([]);
});

test('an Update of a deployment that goes on is not undone', async () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const id = (await ou.onCreate(createEvent(T, { Name: 'Gamma', ParentId: rootId }, 'Other'), h.context())).PhysicalResourceId!;
  await setStack(h, 'UPDATE_IN_PROGRESS', ['Other']);
  await ou.onUpdate(updateEvent(T, id, { Name: 'Delta', ParentId: rootId }, { Name: 'Gamma', ParentId: rootId }, 'Other'), h.context());
  const after = await h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }));
  expect(after.OrganizationalUnit!.Name).toBe('Delta');
});

describe('the rollback of an adoption puts back what it changed', () => {
  const OWNER = 'cdk-organizations:owner';
  const PREVIOUS = 'cdk-organizations:previous-owner';
  // A name other than the one the account was created with: a request of the same name would count as this resource's own.
  const parentOf = async (id: string) => (await h.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id;

  test('an account made outside the stack, adopted into an OU with tags: the rollback moves it back and restores its tags', async () => {
    const id = await createMemberAccount(h, 'handmade-rolled-back');
    await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'team', Value: 'old' }, { Key: 'outside', Value: 'x' }] }));
    const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Adopters' }))).OrganizationalUnit!.Id!;
    const props = { AccountName: 'declared-rolled-back', Email: 'handmade-rolled-back@example.com', ParentId: ou, Tags: [{ Key: 'team', Value: 'new' }, { Key: 'env', Value: 'prod' }] };
    const adopted = await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Adopted'));
    expect(adopted.PhysicalResourceId).toBe(id);
    expect(await parentOf(id)).toBe(ou);
    expect((await describeAccount(id)).Name).toBe('declared-rolled-back');
    expect(await tagsOf(h.organizations, id)).toMatchObject({ team: 'new', env: 'prod', outside: 'x', [ADOPTED]: expect.any(String) });

    await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    const ctx = h.context();
    await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, props, 'Adopted'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('undoing what the adoption changed');
    expect(await parentOf(id)).toBe(rootId);
    expect((await describeAccount(id)).Name).toBe('handmade-rolled-back');
    expect(await tagsOf(h.organizations, id)).toEqual({ team: 'old', outside: 'x' });
    expect((await describeAccount(id)).State).toBe('ACTIVE');
  });

  test('the rollback disabled trusted access for Account Management before the undo of a rename: on for that rename only, then off again', async () => {
    const id = await createMemberAccount(h, 'handmade-trusted');
    const props = { AccountName: 'declared-trusted', Email: 'handmade-trusted@example.com' };
    await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Renamed'));
    expect((await describeAccount(id)).Name).toBe('declared-trusted');
    await h.organizations.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
    const trusted = async () => (await h.organizations.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!
      .map(p => p.ServicePrincipal);
    try {
      await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      const ctx = h.context();
      await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, props, 'Renamed'), ctx);
      expect((await describeAccount(id)).Name).toBe('handmade-trusted');
      expect(await trusted()).not.toContain('account.amazonaws.com');
      expect(ctx.log.lines.map(l => l.message)).toEqual(expect.arrayContaining(['EnableAWSServiceAccess', 'PutAccountName', 'DisableAWSServiceAccess']));
    } finally {
      await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'account.amazonaws.com' }));
    }
  });

  test('a policy made outside the stack, adopted with new content, description, tags and a target: the rollback puts all of it back', async () => {
    const scp = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });
    // A content near the SCP size limit: its record takes several tags.
    const long = JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: 40 }, (_, i) => ({ Sid: `S${i}x${i * 7919}`, Effect: 'Deny', Action: `svc${i}:Op${i * 31}`, Resource: '*' })) });
    const made = await h.organizations.send(new CreatePolicyCommand({
      Name: 'handmade-guard', Description: 'by hand', Type: 'SERVICE_CONTROL_POLICY', Content: long, Tags: [{ Key: 'team', Value: 'old' }],
    }));
    const policyId = made.Policy!.PolicySummary!.Id!;
    const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Guarded' }))).OrganizationalUnit!.Id!;
    const props = { Name: 'handmade-guard', Description: 'declared', Type: 'SERVICE_CONTROL_POLICY', Content: scp('s3:*'), TargetIds: [ou], Tags: [{ Key: 'team', Value: 'new' }] };
    const T = ResourceType.POLICY;
    const created = await handlers[T].onCreate(createEvent(T, props, 'Guard'), h.context());
    expect(created.PhysicalResourceId).toBe(policyId);
    const tags = await tagsOf(h.organizations, policyId);
    expect(Object.keys(tags).filter(k => k.startsWith(ADOPTED)).length).toBeGreaterThan(1);
    expect((await h.organizations.send(new DescribePolicyCommand({ PolicyId: policyId }))).Policy!.Content).toBe(scp('s3:*'));

    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const ctx = h.context();
    await handlers[T].onDelete(deleteEvent(T, policyId, props, 'Guard'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('undoing what the adoption changed');
    const after = (await h.organizations.send(new DescribePolicyCommand({ PolicyId: policyId }))).Policy!;
    expect([after.Content, after.PolicySummary!.Description]).toEqual([long, 'by hand']);
    expect(await tagsOf(h.organizations, policyId)).toEqual({ team: 'old' });
    expect((await h.organizations.send(new ListTargetsForPolicyCommand({ PolicyId: policyId }))).Targets).toEqual([]);
  });

  test('a takeover (a renamed construct) applies the declaration exactly, and its rollback gives the old owner its state back', async () => {
    const T = ResourceType.POLICY;
    const scp = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });
    const v1 = { Name: 'taken-guard', Description: 'v1', Type: 'SERVICE_CONTROL_POLICY', Content: scp('ec2:*'), TargetIds: [], Tags: [{ Key: 'team', Value: 'x' }, { Key: 'env', Value: 'prod' }] };
    const policyId = (await handlers[T].onCreate(createEvent(T, v1, 'Guard'), h.context())).PhysicalResourceId!;
    // v2 renames the construct, drops the tag team and changes the content: the new resource takes it over.
    const v2 = { ...v1, Content: scp('s3:*'), Tags: [{ Key: 'env', Value: 'prod' }] };
    await setStack(h, 'UPDATE_IN_PROGRESS', ['Guard']);
    await handlers[T].onCreate(createEvent(T, v2, 'GuardPolicy'), h.context());
    expect(await tagsOf(h.organizations, policyId)).toMatchObject({ env: 'prod', [OWNER]: ownerId('GuardPolicy'), [PREVIOUS]: ownerId('Guard') });
    expect(await tagsOf(h.organizations, policyId)).not.toHaveProperty('team');

    // The deployment fails: the rollback deletes the new resource, which gives the policy back as it was.
    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Guard']);
    await handlers[T].onDelete(deleteEvent(T, policyId, v2, 'GuardPolicy'), h.context());
    const after = (await h.organizations.send(new DescribePolicyCommand({ PolicyId: policyId }))).Policy!;
    expect(after.Content).toBe(scp('ec2:*'));
    expect(await tagsOf(h.organizations, policyId)).toEqual({ team: 'x', env: 'prod', [OWNER]: ownerId('Guard') });
  });

  test('a renamed construct that drops a target of an adopted policy: the old resource\'s removal detaches it, the policy stays', async () => {
    const T = ResourceType.POLICY;
    const scp = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }] });
    const policyId = (await h.organizations.send(new CreatePolicyCommand({ Name: 'handmade-handover', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp }))).Policy!.PolicySummary!.Id!;
    const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'HandOver' }))).OrganizationalUnit!.Id!;
    const v1 = { Name: 'handmade-handover', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp, TargetIds: [ou, rootId], Tags: [] };
    await setStack(h, 'UPDATE_IN_PROGRESS');
    await handlers[T].onCreate(createEvent(T, v1, 'Old'), h.context());
    const v2 = { ...v1, TargetIds: [rootId] };
    await handlers[T].onCreate(createEvent(T, v2, 'New'), h.context());
    await setStack(h, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await handlers[T].onDelete(deleteEvent(T, policyId, v1, 'Old'), h.context());
    const targets = (await h.organizations.send(new ListTargetsForPolicyCommand({ PolicyId: policyId }))).Targets!.map(t => t.TargetId);
    expect(targets).toEqual([rootId]);
    expect((await h.organizations.send(new DescribePolicyCommand({ PolicyId: policyId }))).Policy!.PolicySummary!.Name).toBe('handmade-handover');
  });

  test('a renamed construct that drops the tags an adoption added: the new adoption removes them (the first record names them), its rollback puts them back', async () => {
    const T = ResourceType.POLICY;
    const scp = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'kms:*', Resource: '*' }] });
    const policyId = (await h.organizations.send(new CreatePolicyCommand({
      Name: 'handmade-retagged', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp, Tags: [{ Key: 'outside', Value: 'y' }],
    }))).Policy!.PolicySummary!.Id!;
    const v1 = { Name: 'handmade-retagged', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: scp, TargetIds: [], Tags: [{ Key: 'team', Value: 'x' }] };
    await setStack(h, 'UPDATE_IN_PROGRESS');
    await handlers[T].onCreate(createEvent(T, v1, 'Old'), h.context());
    expect(await tagsOf(h.organizations, policyId)).toMatchObject({ team: 'x', outside: 'y' });
    const v2 = { ...v1, Tags: [] };
    await handlers[T].onCreate(createEvent(T, v2, 'New'), h.context());
    const adopted = await tagsOf(h.organizations, policyId);
    expect(adopted).not.toHaveProperty('team');
    expect(adopted).toMatchObject({ outside: 'y' });

    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Old']);
    await handlers[T].onDelete(deleteEvent(T, policyId, v2, 'New'), h.context());
    expect(await tagsOf(h.organizations, policyId)).toMatchObject({ team: 'x', outside: 'y' });
  });

  test('removed later (not a rollback), the adopted account stays where and as the stack left it; only the record goes', async () => {
    const id = await createMemberAccount(h, 'handmade-kept');
    const ou = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Keepers' }))).OrganizationalUnit!.Id!;
    const props = { AccountName: 'declared-kept', Email: 'handmade-kept@example.com', ParentId: ou, Tags: [{ Key: 'team', Value: 'new' }], RemovalAction: 'CLOSE' };
    await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Kept'));
    await setStack(h, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, props, 'Kept'), h.context());
    expect(await parentOf(id)).toBe(ou);
    expect(await tagsOf(h.organizations, id)).toEqual({ team: 'new' });
    expect((await describeAccount(id)).State).toBe('ACTIVE');
  });

  test('an Update (the stack kept it) drops what no later rollback needs, and keeps which tag keys the app added; removed, the record goes', async () => {
    const id = await createMemberAccount(h, 'handmade-updated');
    const ouId = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'UpdatedHome' }))).OrganizationalUnit!.Id!;
    const props = { AccountName: 'declared-updated', Email: 'handmade-updated@example.com', ParentId: ouId, Tags: [{ Key: 'team', Value: 'a' }] };
    await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Updated'));
    expect(readAdoptionRecord(new Map(Object.entries(await tagsOf(h.organizations, id))))).toMatchObject({ parentId: rootId, tags: { team: null } });
    const next = { ...props, Tags: [{ Key: 'team', Value: 'b' }, { Key: 'env', Value: 'dev' }] };
    await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, next, props, 'Updated'), h.context());
    const tags = await tagsOf(h.organizations, id);
    expect(readAdoptionRecord(new Map(Object.entries(tags)))).toEqual({
      tags: { team: null, env: null }, adopter: expect.any(String), claimant: ownerId('Updated'), standing: true,
    });
    expect(Object.keys(tags).sort()).toEqual([ADOPTED, 'env', 'team']);
    // A later rollback restores nothing from it, and a removal drops it and leaves the tags.
    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, next, 'Updated'), h.context());
    expect(await tagsOf(h.organizations, id)).toEqual({ team: 'b', env: 'dev' });
    expect(await parentOf(id)).toBe(ouId);
  });

  test('an adopted OU updated with a new tag, then declared by a renamed construct without it: the tag goes, and the rollback puts it back', async () => {
    const T = ResourceType.ORGANIZATIONAL_UNIT;
    const ou = handlers[T];
    const ouId = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'UpdatedThenRenamed', Tags: [{ Key: 'hand', Value: 'h' }] })))
      .OrganizationalUnit!.Id!;
    const v1 = { Name: 'UpdatedThenRenamed', ParentId: rootId, Tags: [{ Key: 'team', Value: 'x' }] };
    await ou.onCreate(createEvent(T, v1, 'Before'), h.context());
    const v2 = { ...v1, Tags: [{ Key: 'team', Value: 'x' }, { Key: 'owner', Value: 'me' }] };
    await ou.onUpdate(updateEvent(T, ouId, v2, v1, 'Before'), h.context());
    // The construct renamed, declaring only team: what the app added and no longer declares goes; the hand's tag stays.
    await setStack(h, 'UPDATE_IN_PROGRESS', ['Before']);
    await ou.onCreate(createEvent(T, v1, 'After'), h.context());
    const taken = await tagsOf(h.organizations, ouId);
    expect({ team: taken.team, owner: taken.owner, hand: taken.hand }).toEqual({ team: 'x', owner: undefined, hand: 'h' });
    await setStack(h, 'UPDATE_ROLLBACK_IN_PROGRESS', ['Before']);
    await ou.onDelete(deleteEvent(T, ouId, v1, 'After'), h.context());
    const back = await tagsOf(h.organizations, ouId);
    expect({ team: back.team, owner: back.owner, hand: back.hand }).toEqual({ team: 'x', owner: 'me', hand: 'h' });
  });

  test('an OU made outside the stack, adopted with tags: the rollback restores its tags and never deletes it', async () => {
    const ouId = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'HandmadeOu', Tags: [{ Key: 'team', Value: 'old' }] })))
      .OrganizationalUnit!.Id!;
    const props = { Name: 'HandmadeOu', ParentId: rootId, Tags: [{ Key: 'team', Value: 'new' }, { Key: 'env', Value: 'prod' }] };
    const ou = handlers[ResourceType.ORGANIZATIONAL_UNIT];
    await ou.onCreate(createEvent(ResourceType.ORGANIZATIONAL_UNIT, props, 'HandmadeOu'), h.context());
    expect(await tagsOf(h.organizations, ouId)).toMatchObject({ team: 'new', env: 'prod' });
    await setStack(h, 'ROLLBACK_IN_PROGRESS');
    await ou.onDelete(deleteEvent(ResourceType.ORGANIZATIONAL_UNIT, ouId, props, 'HandmadeOu'), h.context());
    expect(await tagsOf(h.organizations, ouId)).toEqual({ team: 'old' });
  });
});

test('a record left by an earlier adopter is replaced by a new one: the new adopter\'s rollback restores the state from before its own adoption', async () => {
  const T = ResourceType.ORGANIZATIONAL_UNIT;
  const ou = handlers[T];
  const ouId = (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Readopted', Tags: [{ Key: 'team', Value: 'hand' }] })))
    .OrganizationalUnit!.Id!;
  // Adopted by X, whose deployment succeeds (its record stays: no Update came).
  await ou.onCreate(createEvent(T, { Name: 'Readopted', ParentId: rootId, Tags: [{ Key: 'team', Value: 'x' }, { Key: 'env', Value: 'dev' }] }, 'X'), h.context());
  // Y (X renamed) adopts it in a deployment that fails: its rollback must restore X's tags, not the hand-made state.
  const y = { Name: 'Readopted', ParentId: rootId, Tags: [{ Key: 'team', Value: 'y' }, { Key: 'env', Value: 'dev' }] };
  await ou.onCreate(createEvent(T, y, 'Y'), h.context());
  await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', ['X']);
  await ou.onDelete(deleteEvent(T, ouId, y, 'Y'), h.context());
  const tags = await tagsOf(h.organizations, ouId);
  expect({ team: tags.team, env: tags.env }).toEqual({ team: 'x', env: 'dev' });
});
