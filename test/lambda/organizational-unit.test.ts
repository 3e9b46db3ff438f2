import {
  CreateOrganizationalUnitCommand,
  DeleteOrganizationalUnitCommand,
  DescribeOrganizationalUnitCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { bornOwned, createEvent, createMemberAccount, deleteEvent, Harness, mutatingCalls, ownerId, raceBefore, startHarness, updateEvent } from './harness';
import { organizationalUnit, parseOrganizationalUnitProps } from '../../lambda/organizational-unit';
import { isError, UserError } from '../../lambda/shared/errors';
import { HandlerEnv, ResourceType } from '../../src/private/contract';

const T = ResourceType.ORGANIZATIONAL_UNIT;
const OWNER = 'cdk-organizations:owner';
/** The ownership tag of an OU this resource created. */
const owned = bornOwned();

let h: Harness;
let rootId: string;

const mark = () => h.emulator.callLog.length;
let nameCount = 0;
const uniqueName = (prefix = 'ou') => `${prefix}-${++nameCount}`;

async function create(props: Record<string, unknown>) {
  const out = await organizationalUnit.onCreate(createEvent(T, props), h.context());
  return { id: out.PhysicalResourceId!, data: out.Data! };
}

async function childrenNamed(parentId: string, name: string): Promise<string[]> {
  const out = await h.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId }));
  return (out.OrganizationalUnits ?? []).filter(ou => ou.Name === name).map(ou => ou.Id!);
}

async function nameOf(ouId: string): Promise<string | undefined> {
  return (await h.organizations.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }))).OrganizationalUnit?.Name;
}

async function exists(ouId: string): Promise<boolean> {
  try {
    await nameOf(ouId);
    return true;
  } catch (error) {
    if (isError(error, 'OrganizationalUnitNotFoundException')) return false;
    throw error;
  }
}

async function tagsOf(id: string): Promise<Record<string, string>> {
  const out = await h.organizations.send(new ListTagsForResourceCommand({ ResourceId: id }));
  return Object.fromEntries((out.Tags ?? []).map(t => [t.Key!, t.Value!]));
}

async function handMadeOu(parentId: string, name: string): Promise<string> {
  return (await h.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name }))).OrganizationalUnit!.Id!;
}


beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
});

afterAll(async () => {
  await h?.stop();
});

describe('parseOrganizationalUnitProps', () => {
  test('reads name, parent and tags', () => {
    expect(parseOrganizationalUnitProps({ Name: 'Prod', ParentId: 'r-ab12', Tags: [{ Key: 'k', Value: 'v' }] }))
      .toEqual({ name: 'Prod', parentId: 'r-ab12', tags: [{ Key: 'k', Value: 'v' }] });
  });

  test('no tags by default', () => {
    expect(parseOrganizationalUnitProps({ Name: 'Prod', ParentId: 'r-ab12' }).tags).toEqual([]);
  });

  test('a missing Name or ParentId is named in the error', () => {
    expect(() => parseOrganizationalUnitProps({ ParentId: 'r-ab12' })).toThrow(/Property Name is required/);
    expect(() => parseOrganizationalUnitProps({ Name: 'Prod' })).toThrow(/Property ParentId is required/);
  });
});

describe('Create', () => {
  test('creates the OU under its parent with its tags and returns its attributes', async () => {
    const name = uniqueName();
    const { id, data } = await create({ Name: name, ParentId: rootId, Tags: [{ Key: 'team', Value: 'platform' }] });
    expect(id).toMatch(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/);
    expect(data).toEqual({ Id: id, Arn: expect.stringContaining(id), Name: name });
    expect(await childrenNamed(rootId, name)).toEqual([id]);
    // Born owned: CreateOrganizationalUnit carries the owner tag along with the declared ones.
    expect(await tagsOf(id)).toEqual({ team: 'platform', ...bornOwned() });
  });

  test('creates nested OUs under another OU', async () => {
    const parent = await create({ Name: uniqueName(), ParentId: rootId });
    const child = await create({ Name: uniqueName(), ParentId: parent.id });
    expect(await childrenNamed(parent.id, child.data.Name)).toEqual([child.id]);
  });

  test('the same event twice converges on one OU', async () => {
    const name = uniqueName();
    const event = createEvent(T, { Name: name, ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] });
    const first = await organizationalUnit.onCreate(event, h.context());
    const second = await organizationalUnit.onCreate(event, h.context());
    expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect(second.Data).toEqual(first.Data);
    expect(await childrenNamed(rootId, name)).toEqual([first.PhysicalResourceId]);
  });

  test('adopts an OU of the same name under the same parent, sets the declared tags and keeps foreign ones', async () => {
    const name = uniqueName();
    const existing = await handMadeOu(rootId, name);
    await h.organizations.send(new TagResourceCommand({ ResourceId: existing, Tags: [{ Key: 'owner', Value: 'someone' }, { Key: 'a', Value: 'old' }] }));
    const ctx = h.context();
    const out = await organizationalUnit.onCreate(createEvent(T, { Name: name, ParentId: rootId, Tags: [{ Key: 'a', Value: 'new' }] }), ctx);
    expect(out.PhysicalResourceId).toBe(existing);
    // With the record of what the adoption changed, for a rollback to put back (lambda/shared/adoption.ts).
    expect(await tagsOf(existing)).toEqual({ 'owner': 'someone', 'a': 'new', 'cdk-organizations:adopted': expect.any(String) });
    expect(ctx.log.lines.map(l => l.message)).toContain('adopting existing organizational unit');
  });

  test('an OU of the same name under another parent is not adopted', async () => {
    const name = uniqueName();
    const elsewhere = await create({ Name: uniqueName(), ParentId: rootId });
    const other = await handMadeOu(elsewhere.id, name);
    const { id } = await create({ Name: name, ParentId: rootId });
    expect(id).not.toBe(other);
  });

  test('a parent that does not exist is an error naming ParentId', async () => {
    const missing = `ou-${rootId.slice(2)}-zzzzzzzz`;
    await expect(create({ Name: uniqueName(), ParentId: missing })).rejects.toThrow(UserError);
    await expect(create({ Name: uniqueName(), ParentId: missing })).rejects.toThrow(new RegExp(`parent ${missing} does not exist.*ParentId`));
  });

  test('nesting deeper than five levels is refused with the rule', async () => {
    let parent = rootId;
    for (let depth = 1; depth <= 5; depth++) parent = (await create({ Name: uniqueName('deep'), ParentId: parent })).id;
    await expect(create({ Name: uniqueName('deep'), ParentId: parent })).rejects.toThrow(/5 levels of OUs under the root; OU_DEPTH_LIMIT_EXCEEDED/);
  });
});

describe('Update', () => {
  test('renames in place, and the swapped (rollback) update renames back', async () => {
    const before = { Name: uniqueName(), ParentId: rootId };
    const after = { ...before, Name: uniqueName() };
    const { id } = await create(before);
    const since = mark();
    const out = await organizationalUnit.onUpdate(updateEvent(T, id, after, before), h.context());
    expect(out.PhysicalResourceId).toBe(id);
    expect(out.Data!.Name).toBe(after.Name);
    expect(await nameOf(id)).toBe(after.Name);
    expect(mutatingCalls(h.emulator, since)).toEqual(['UpdateOrganizationalUnit']);

    const back = await organizationalUnit.onUpdate(updateEvent(T, id, before, after), h.context());
    expect(back.PhysicalResourceId).toBe(id);
    expect(await nameOf(id)).toBe(before.Name);
  });

  test('an update that changes nothing makes no mutating call', async () => {
    const props = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] };
    const { id } = await create(props);
    const since = mark();
    const out = await organizationalUnit.onUpdate(updateEvent(T, id, props, props), h.context());
    expect(out.PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a rename onto the name of a sibling is refused before any change', async () => {
    const taken = uniqueName();
    const sibling = await handMadeOu(rootId, taken);
    const before = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] };
    const { id } = await create(before);
    const since = mark();
    const update = updateEvent(T, id, { ...before, Name: taken, Tags: [{ Key: 'a', Value: '2' }] }, before);
    await expect(organizationalUnit.onUpdate(update, h.context())).rejects.toThrow(
      new RegExp(`another OU under ${rootId} already has that name \\(${sibling}\\)`));
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await nameOf(id)).toBe(before.Name);
    expect(await tagsOf(id)).toEqual({ a: '1', ...owned });
  });

  test('tags are diffed: declared keys set or removed, foreign keys kept; the rollback restores', async () => {
    const before = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] };
    const after = { ...before, Tags: [{ Key: 'a', Value: '9' }, { Key: 'c', Value: '3' }] };
    const { id } = await create(before);
    await h.organizations.send(new TagResourceCommand({ ResourceId: id, Tags: [{ Key: 'foreign', Value: 'x' }] }));

    await organizationalUnit.onUpdate(updateEvent(T, id, after, before), h.context());
    expect(await tagsOf(id)).toEqual({ a: '9', c: '3', foreign: 'x', ...owned });

    await organizationalUnit.onUpdate(updateEvent(T, id, before, after), h.context());
    expect(await tagsOf(id)).toEqual({ a: '1', b: '2', foreign: 'x', ...owned });
  });

  test('a retried update converges and calls nothing the second time', async () => {
    const before = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] };
    const after = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'b', Value: '2' }] };
    const { id } = await create(before);
    const event = updateEvent(T, id, after, before);
    await organizationalUnit.onUpdate(event, h.context());
    const since = mark();
    const again = await organizationalUnit.onUpdate(event, h.context());
    expect(again.PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await nameOf(id)).toBe(after.Name);
    expect(await tagsOf(id)).toEqual({ b: '2', ...owned });
  });

  test('a new parent replaces the OU; the rollback finds the original again', async () => {
    const newParent = (await create({ Name: uniqueName('parent'), ParentId: rootId })).id;
    const before = { Name: uniqueName(), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] };
    const after = { ...before, ParentId: newParent };
    const { id: original } = await create(before);

    const ctx = h.context();
    const replaced = await organizationalUnit.onUpdate(updateEvent(T, original, after, before), ctx);
    expect(replaced.PhysicalResourceId).not.toBe(original);
    expect(await childrenNamed(newParent, before.Name)).toEqual([replaced.PhysicalResourceId]);
    expect(await tagsOf(replaced.PhysicalResourceId!)).toEqual({ a: '1', ...owned });
    // The old OU is left for CloudFormation to delete once its children have moved.
    expect(await exists(original)).toBe(true);
    expect(ctx.log.lines.map(l => l.message)).toContain('replacing organizational unit: ParentId changed');

    const rolledBack = await organizationalUnit.onUpdate(updateEvent(T, replaced.PhysicalResourceId!, before, after), h.context());
    expect(rolledBack.PhysicalResourceId).toBe(original);
    // Found again by the rollback's Update, it is claimed again: the rollback's cleanup may not delete what existed before.
    expect(await tagsOf(original)).toEqual({ 'a': '1', [OWNER]: ownerId(), 'cdk-organizations:previous-owner': ownerId() });
    // The rollback's cleanup deletes the replacement (this resource's own); the original stays.
    await organizationalUnit.onDelete(deleteEvent(T, replaced.PhysicalResourceId!, after), h.context());
    expect(await exists(replaced.PhysicalResourceId!)).toBe(false);
    expect(await exists(original)).toBe(true);
  });

  test('a new parent: the cleanup deletes the old OU, which this resource owns, once it is empty', async () => {
    const newParent = (await create({ Name: uniqueName('parent'), ParentId: rootId })).id;
    const before = { Name: uniqueName(), ParentId: rootId };
    const after = { ...before, ParentId: newParent };
    const { id: original } = await create(before);
    const replaced = await organizationalUnit.onUpdate(updateEvent(T, original, after, before), h.context());
    await organizationalUnit.onDelete(deleteEvent(T, original, before), h.context());
    expect(await exists(original)).toBe(false);
    expect(await exists(replaced.PhysicalResourceId!)).toBe(true);
  });

  test('an OU deleted outside CloudFormation is created again under a new id', async () => {
    const props = { Name: uniqueName(), ParentId: rootId };
    const { id } = await create(props);
    await h.organizations.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: id }));
    const out = await organizationalUnit.onUpdate(updateEvent(T, id, props, props), h.context());
    expect(out.PhysicalResourceId).not.toBe(id);
    expect(await childrenNamed(rootId, props.Name)).toEqual([out.PhysicalResourceId]);
  });
});

describe('Delete', () => {
  test('deletes an empty OU; a second delete is a no-op', async () => {
    const props = { Name: uniqueName(), ParentId: rootId };
    const { id } = await create(props);
    await organizationalUnit.onDelete(deleteEvent(T, id, props), h.context());
    expect(await exists(id)).toBe(false);
    const since = mark();
    await expect(organizationalUnit.onDelete(deleteEvent(T, id, props), h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('an OU that still holds an account and an OU is not deleted, and the error names them', async () => {
    const props = { Name: uniqueName('busy'), ParentId: rootId };
    const { id } = await create(props);
    const childName = uniqueName('child');
    const child = await handMadeOu(id, childName);
    const accountName = `acct${++nameCount}`;
    const accountId = await createMemberAccount(h, accountName);
    await h.organizations.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: rootId, DestinationParentId: id }));

    const since = mark();
    const error = await organizationalUnit.onDelete(deleteEvent(T, id, props), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`Cannot delete organizational unit "${props.Name}" (${id})`);
    expect(error.message).toContain(`account ${accountId} "${accountName}"`);
    expect(error.message).toContain(`OU ${child} "${childName}"`);
    expect(error.message).toMatch(/does not manage them/);
    expect(error.message).toMatch(/move-account/);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await exists(id)).toBe(true);
  });

  test('an OU that gains a child between the look and the delete is still refused, naming the child', async () => {
    const props = { Name: uniqueName(), ParentId: rootId };
    const { id } = await create(props);
    let child = '';
    const organizations = raceBefore(h.organizations, 'DeleteOrganizationalUnitCommand', async () => {
      child = await handMadeOu(id, 'late-child');
    });
    const error = await organizationalUnit.onDelete(deleteEvent(T, id, props), h.context({ organizations })).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`still contains OU ${child} "late-child"`);
    expect(await exists(id)).toBe(true);
  });

  test('an id this handler never returned is ignored', async () => {
    const since = mark();
    await expect(organizationalUnit.onDelete(deleteEvent(T, 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', {}), h.context())).resolves.toEqual({});
    expect(h.emulator.callLog.length).toBe(since);
  });
});

describe('under throttling and concurrent modification', () => {
  const saved = process.env[HandlerEnv.RETRY_BASE_MS];
  beforeAll(() => {
    // Backoff in milliseconds, so that the retries cost no time.
    process.env[HandlerEnv.RETRY_BASE_MS] = '1';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env[HandlerEnv.RETRY_BASE_MS];
    else process.env[HandlerEnv.RETRY_BASE_MS] = saved;
  });

  test('create, rename, retag and delete converge while the emulator injects faults', async () => {
    const since = mark();
    const before = { Name: uniqueName('faulty'), ParentId: rootId, Tags: [{ Key: 'a', Value: '1' }] };
    const after = { Name: uniqueName('faulty'), ParentId: rootId, Tags: [{ Key: 'b', Value: '2' }] };
    const faulty = async <R>(fn: () => Promise<R>): Promise<R> => {
      h.emulator.setFaults({ TooManyRequestsException: 0.3, ConcurrentModificationException: 0.2 }, 11);
      try {
        return await fn();
      } finally {
        h.emulator.setFaults(undefined);
      }
    };
    const { id } = await faulty(() => create(before));
    await faulty(() => organizationalUnit.onUpdate(updateEvent(T, id, after, before), h.context()));
    expect(await nameOf(id)).toBe(after.Name);
    expect(await tagsOf(id)).toEqual({ b: '2', ...owned });
    await faulty(() => organizationalUnit.onDelete(deleteEvent(T, id, after), h.context()));
    expect(await exists(id)).toBe(false);
    expect(await childrenNamed(rootId, before.Name)).toEqual([]);
    const outcomes = h.emulator.callLog.slice(since).map(c => c.outcome);
    expect(outcomes.filter(o => o === 'TooManyRequestsException' || o === 'ConcurrentModificationException').length).toBeGreaterThan(0);
  });
});
