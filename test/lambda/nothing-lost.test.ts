/**
 * The handler side of "nothing lost": each case was a way to lose or change for good what existed
 * before an operation, reproduced against the emulator with the real SDK.
 */
import {
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  EnableAWSServiceAccessCommand,
  ListParentsCommand,
  ListRootsCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { createEvent, createMemberAccount, deleteEvent, Harness, ownerId, raceBefore, setStack, startHarness, tagsOf, updateEvent } from './harness';
import { account } from '../../lambda/account';
import { handlers } from '../../lambda/index';
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
  const ADOPTED = 'cdk-organizations:adopted';
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
    expect(await tagsOf(h.organizations, id)).toMatchObject({ team: 'new', env: 'prod', outside: 'x', [ADOPTED]: expect.any(String) });

    await setStack(h, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    const ctx = h.context();
    await account.onDelete(deleteEvent(ResourceType.ACCOUNT, id, props, 'Adopted'), ctx);
    expect(ctx.log.lines.map(l => l.message)).toContain('undoing what the adoption changed');
    expect(await parentOf(id)).toBe(rootId);
    expect(await tagsOf(h.organizations, id)).toEqual({ team: 'old', outside: 'x' });
    expect((await describeAccount(id)).State).toBe('ACTIVE');
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

  test('an Update (the stack kept it) drops the record: no later rollback needs it', async () => {
    const id = await createMemberAccount(h, 'handmade-updated');
    const props = { AccountName: 'declared-updated', Email: 'handmade-updated@example.com', Tags: [{ Key: 'team', Value: 'a' }] };
    await runCreate(h, createEvent(ResourceType.ACCOUNT, props, 'Updated'));
    expect(await tagsOf(h.organizations, id)).toHaveProperty([ADOPTED]);
    const next = { ...props, Tags: [{ Key: 'team', Value: 'b' }] };
    await account.onUpdate(updateEvent(ResourceType.ACCOUNT, id, next, props, 'Updated'), h.context());
    expect(await tagsOf(h.organizations, id)).toEqual({ team: 'b' });
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
