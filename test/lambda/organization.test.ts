import {
  CreateOrganizationCommand,
  DeleteOrganizationCommand,
  AcceptHandshakeCommand,
  DescribeOrganizationCommand,
  InviteAccountToOrganizationCommand,
  ListHandshakesForAccountCommand,
  ListRootsCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, createEvent, createMemberAccount, deleteEvent, Harness, mutatingCalls, ownerId, raceBefore, startHarness, tagsOf, updateEvent } from './harness';
import { organization, parseOrganizationProps } from '../../lambda/organization';
import { isError, UserError } from '../../lambda/shared/errors';
import { ResourceType } from '../../src/private/contract';

const T = ResourceType.ORGANIZATION;
/** The root's tag that records which resource created the organization. */
const ORG_KEY = 'cdk-organizations:organization';

const mark = (h: Harness) => h.emulator.callLog.length;

async function describeOrg(h: Harness) {
  try {
    return (await h.organizations.send(new DescribeOrganizationCommand({}))).Organization;
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return undefined;
    throw error;
  }
}


describe('parseOrganizationProps', () => {
  test('defaults: all features, retained on removal, no root tags', () => {
    expect(parseOrganizationProps({})).toEqual({ featureSet: 'ALL', deleteOnRemoval: false, rootTags: [] });
  });

  test('"false" is false and "true" is true', () => {
    expect(parseOrganizationProps({ DeleteOnRemoval: 'false' }).deleteOnRemoval).toBe(false);
    expect(parseOrganizationProps({ DeleteOnRemoval: 'true' }).deleteOnRemoval).toBe(true);
  });

  test('an unknown feature set is named in the error', () => {
    expect(() => parseOrganizationProps({ FeatureSet: 'SOME' })).toThrow(/Property FeatureSet must be one of ALL, CONSOLIDATED_BILLING, got "SOME"/);
  });
});

describe('a new account without an organization', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ withOrganization: false });
  });
  afterEach(async () => {
    await h?.stop();
  });

  test('Create makes the organization with all features and returns every attribute', async () => {
    const out = await organization.onCreate(createEvent(T, {}), h.context());
    const org = (await describeOrg(h))!;
    const root = (await h.organizations.send(new ListRootsCommand({}))).Roots![0];
    expect(out.PhysicalResourceId).toBe(org.Id);
    expect(org.Id).toMatch(/^o-[a-z0-9]{10,32}$/);
    expect(out.Data).toEqual({
      Id: org.Id,
      Arn: org.Arn,
      FeatureSet: 'ALL',
      ManagementAccountId: h.emulator.managementAccountId,
      ManagementAccountArn: org.MasterAccountArn,
      ManagementAccountEmail: org.MasterAccountEmail,
      RootId: root.Id,
      RootArn: root.Arn,
    });
    expect(org.FeatureSet).toBe('ALL');
    // Recorded on the root: this resource created the organization, so DeleteOnRemoval may delete it.
    expect(await tagsOf(h.organizations, root.Id!)).toEqual({ [ORG_KEY]: ownerId() });
  });

  test('Create with CONSOLIDATED_BILLING makes an organization without all features', async () => {
    const out = await organization.onCreate(createEvent(T, { FeatureSet: 'CONSOLIDATED_BILLING' }), h.context());
    expect(out.Data!.FeatureSet).toBe('CONSOLIDATED_BILLING');
    expect((await describeOrg(h))!.FeatureSet).toBe('CONSOLIDATED_BILLING');
  });

  test('the same Create twice converges on one organization, and the retry creates nothing more', async () => {
    const event = createEvent(T, { FeatureSet: 'ALL' });
    const first = await organization.onCreate(event, h.context());
    const since = mark(h);
    const second = await organization.onCreate(event, h.context());
    expect(second).toEqual(first);
    // A retry cannot tell its own request's work from an earlier operation's (no creation marker on the
    // root's tags): it claims it again, which a rollback leaves in place and a removal still destroys.
    expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource']);
  });

  test('an organization created concurrently (AlreadyInOrganizationException) is adopted', async () => {
    const organizations = raceBefore(h.organizations, 'CreateOrganizationCommand', () => h.organizations.send(new CreateOrganizationCommand({})));
    const out = await organization.onCreate(createEvent(T, {}), h.context({ organizations }));
    expect(out.PhysicalResourceId).toBe((await describeOrg(h))!.Id);
    expect(h.emulator.callLog.filter(c => c.operation === 'CreateOrganization').map(c => c.outcome)).toEqual(['OK', 'AlreadyInOrganizationException']);
    // Another request created it: not this resource's own.
    expect(await tagsOf(h.organizations, out.Data!.RootId)).toEqual({});
  });
});

describe('an existing organization', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('Create adopts the organization the caller manages, without any change', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    const ctx = h.context();
    const out = await organization.onCreate(createEvent(T, {}), ctx);
    expect(out.PhysicalResourceId).toBe(org.Id);
    expect(out.Data!.ManagementAccountId).toBe(h.emulator.managementAccountId);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(ctx.log.lines.map(l => l.message)).toContain('using existing organization');
  });

  test('a member account cannot declare the organization, and nothing is changed', async () => {
    const memberId = await createMemberAccount(h, 'member1');
    const member = clientsFor(h.emulator.endpoint, { accessKeyId: memberId, secretAccessKey: 'x' });
    try {
      const since = mark(h);
      const error = await organization.onCreate(createEvent(T, {}), h.context(member)).catch(e => e);
      expect(error).toBeInstanceOf(UserError);
      const org = (await describeOrg(h))!;
      expect(error.message).toContain(`from account ${memberId}: that account is a member of organization ${org.Id}`);
      expect(error.message).toContain(`whose management account is ${h.emulator.managementAccountId}`);
      expect(error.message).toContain(`Deploy this stack to account ${h.emulator.managementAccountId}`);
      expect(mutatingCalls(h.emulator, since)).toEqual([]);
    } finally {
      member.organizations.destroy();
      member.account.destroy();
    }
  });

  test('an update that changes nothing returns the same id and attributes, with no mutating call', async () => {
    const created = await organization.onCreate(createEvent(T, {}), h.context());
    const since = mark(h);
    const out = await organization.onUpdate(updateEvent(T, created.PhysicalResourceId!, { DeleteOnRemoval: 'true' }, {}), h.context());
    expect(out).toEqual(created);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('the root\'s declared tags (Tags.of(organization.root)) are applied, changed and removed; tags set outside the stack stay', async () => {
    const org = (await describeOrg(h))!;
    const rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    await h.organizations.send(new TagResourceCommand({ ResourceId: rootId, Tags: [{ Key: 'outside', Value: 'x' }] }));
    const v1 = { RootTags: [{ Key: 'team', Value: 'platform' }, { Key: 'cost', Value: '1' }] };
    await organization.onCreate(createEvent(T, v1, 'Tagged'), h.context());
    expect(await tagsOf(h.organizations, rootId)).toMatchObject({ team: 'platform', cost: '1', outside: 'x' });
    const v2 = { RootTags: [{ Key: 'team', Value: 'security' }] };
    await organization.onUpdate(updateEvent(T, org.Id!, v2, v1, 'Tagged'), h.context());
    const tags = await tagsOf(h.organizations, rootId);
    expect(tags).toMatchObject({ team: 'security', outside: 'x' });
    expect(tags.cost).toBeUndefined();
    // The rollback's Update restores them.
    await organization.onUpdate(updateEvent(T, org.Id!, v1, v2, 'Tagged'), h.context());
    expect(await tagsOf(h.organizations, rootId)).toMatchObject({ team: 'platform', cost: '1', outside: 'x' });
  });

  test('root tags under the library\'s prefix are refused, naming the property', async () => {
    const error = await organization.onCreate(createEvent(T, { RootTags: [{ Key: 'cdk-organizations:owner', Value: 'x' }] }), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/Organization: the tag key "cdk-organizations:owner" in RootTags uses the prefix "cdk-organizations:"/);
  });

  test('ALL -> CONSOLIDATED_BILLING is refused before any change, naming the way out', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    const update = updateEvent(T, org.Id!, { FeatureSet: 'CONSOLIDATED_BILLING' }, { FeatureSet: 'ALL' }, 'MyOrg');
    const error = await organization.onUpdate(update, h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/Cannot change FeatureSet of organization o-\w+ from ALL to CONSOLIDATED_BILLING/);
    expect(error.message).toContain('--resources-to-skip MyOrg');
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect((await describeOrg(h))!.FeatureSet).toBe('ALL');
  });

  test('Delete keeps the organization by default, and with DeleteOnRemoval "false"', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    await organization.onDelete(deleteEvent(T, org.Id!, {}), h.context());
    await organization.onDelete(deleteEvent(T, org.Id!, { DeleteOnRemoval: 'false' }), h.context());
    expect(h.emulator.callLog.length).toBe(since);
    expect((await describeOrg(h))?.Id).toBe(org.Id);
  });

  test('Delete with DeleteOnRemoval keeps an adopted organization, and says why in one log line', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    const ctx = h.context();
    await organization.onDelete(deleteEvent(T, org.Id!, { DeleteOnRemoval: 'true' }), ctx);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect((await describeOrg(h))?.Id).toBe(org.Id);
    expect(ctx.log.lines.filter(l => /^leaving it in place/.test(String(l.message)))).toEqual([
      expect.objectContaining({ message: 'leaving it in place: adopted', what: `organization ${org.Id}`, why: expect.stringContaining(ORG_KEY) }),
    ]);
  });

  test('Delete with DeleteOnRemoval of an organization handed over by tag refuses while member accounts remain, naming them', async () => {
    const org = (await describeOrg(h))!;
    const rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    // The hand-over the adoption log line describes: the root tagged with the resource's identity.
    await h.organizations.send(new TagResourceCommand({ ResourceId: rootId, Tags: [{ Key: ORG_KEY, Value: ownerId() }] }));
    const memberId = await createMemberAccount(h, 'member2');
    const since = mark(h);
    const error = await organization.onDelete(deleteEvent(T, org.Id!, { DeleteOnRemoval: 'true' }), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(`Cannot delete organization ${org.Id} (DeleteOnRemoval is "true")`);
    expect(error.message).toContain(`${memberId} "member2"`);
    expect(error.message).toMatch(/REMOVE_FROM_ORGANIZATION/);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect((await describeOrg(h))?.Id).toBe(org.Id);
  });
});

describe('removal with DeleteOnRemoval', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withOrganization: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('deletes an organization without members; a second Delete is a no-op', async () => {
    const props = { DeleteOnRemoval: 'true' };
    const created = await organization.onCreate(createEvent(T, props), h.context());
    await organization.onDelete(deleteEvent(T, created.PhysicalResourceId!, props), h.context());
    expect(await describeOrg(h)).toBeUndefined();
    const since = mark(h);
    await expect(organization.onDelete(deleteEvent(T, created.PhysicalResourceId!, props), h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('never deletes an organization other than its own', async () => {
    const props = { DeleteOnRemoval: 'true' };
    const created = await organization.onCreate(createEvent(T, props), h.context());
    const since = mark(h);
    await organization.onDelete(deleteEvent(T, 'o-someoneelse1', props), h.context());
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect((await describeOrg(h))?.Id).toBe(created.PhysicalResourceId);
  });

  test('an organization deleted outside the stack is created again by the next update', async () => {
    const created = await organization.onCreate(createEvent(T, {}), h.context());
    await h.organizations.send(new DeleteOrganizationCommand({}));
    const out = await organization.onUpdate(updateEvent(T, created.PhysicalResourceId!, {}, {}), h.context());
    const org = (await describeOrg(h))!;
    expect(out.PhysicalResourceId).toBe(org.Id);
    expect(out.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
  });
});

describe('CONSOLIDATED_BILLING -> ALL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('without invited accounts, the handshake is started and finalized in one update', async () => {
    const org = (await describeOrg(h))!;
    expect(org.FeatureSet).toBe('CONSOLIDATED_BILLING');
    const ctx = h.context();
    const since = mark(h);
    const out = await organization.onUpdate(updateEvent(T, org.Id!, { FeatureSet: 'ALL' }, { FeatureSet: 'CONSOLIDATED_BILLING' }), ctx);
    expect(out.PhysicalResourceId).toBe(org.Id);
    expect(out.Data!.FeatureSet).toBe('ALL');
    expect((await describeOrg(h))!.FeatureSet).toBe('ALL');
    expect(mutatingCalls(h.emulator, since)).toEqual(['EnableAllFeatures', 'AcceptHandshake']);
    expect(ctx.log.lines.find(l => l.message === 'enable all features handshake')).toMatchObject({ handshakeId: expect.stringMatching(/^h-/) });
  });
});

describe('CONSOLIDATED_BILLING -> ALL with an invited member account', () => {
  let h: Harness;
  let inviteeId: string;
  let invitee: ReturnType<typeof clientsFor>;
  beforeAll(async () => {
    h = await startHarness({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
    inviteeId = h.emulator.createExternalAccount('invitee@example.com', 'Invitee');
    invitee = clientsFor(h.emulator.endpoint, { accessKeyId: inviteeId, secretAccessKey: 'x' });
    const invitation = await h.organizations.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: inviteeId } }));
    await invitee.organizations.send(new AcceptHandshakeCommand({ HandshakeId: invitation.Handshake!.Id! }));
  });
  afterAll(async () => {
    invitee?.organizations.destroy();
    invitee?.account.destroy();
    await h?.stop();
  });

  const toAll = (orgId: string) => updateEvent(T, orgId, { FeatureSet: 'ALL' }, { FeatureSet: 'CONSOLIDATED_BILLING' });
  const enableCalls = () => h.emulator.callLog.filter(c => c.operation === 'EnableAllFeatures').length;

  test('the update starts the handshake and fails, naming the accounts that must approve', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    const error = await organization.onUpdate(toAll(org.Id!), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/Enabling all features \(FeatureSet ALL\) of organization o-\w+ has started: handshake h-\w+/);
    expect(error.message).toContain(`${inviteeId} "Invitee"`);
    expect(error.message).toMatch(/deploy again/);
    expect(mutatingCalls(h.emulator, since)).toEqual(['EnableAllFeatures']);
    expect((await describeOrg(h))!.FeatureSet).toBe('CONSOLIDATED_BILLING');
  });

  test('the rollback (swapped update) succeeds and changes nothing', async () => {
    const org = (await describeOrg(h))!;
    const since = mark(h);
    const out = await organization.onUpdate(updateEvent(T, org.Id!, { FeatureSet: 'CONSOLIDATED_BILLING' }, { FeatureSet: 'ALL' }), h.context());
    expect(out.Data!.FeatureSet).toBe('CONSOLIDATED_BILLING');
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a redeploy before the approval reuses the open handshake instead of starting another', async () => {
    const org = (await describeOrg(h))!;
    const before = enableCalls();
    await expect(organization.onUpdate(toAll(org.Id!), h.context())).rejects.toThrow(/waits for/);
    expect(enableCalls()).toBe(before);
  });

  test('once the member has approved, the next deploy finalizes', async () => {
    const org = (await describeOrg(h))!;
    const pending = (await invitee.organizations.send(new ListHandshakesForAccountCommand({}))).Handshakes!
      .filter(hs => hs.State === 'OPEN' && (hs.Action === 'ENABLE_ALL_FEATURES' || hs.Action === 'APPROVE_ALL_FEATURES'));
    expect(pending).toHaveLength(1);
    await invitee.organizations.send(new AcceptHandshakeCommand({ HandshakeId: pending[0].Id! }));
    const since = mark(h);
    const out = await organization.onUpdate(toAll(org.Id!), h.context());
    expect(out.Data!.FeatureSet).toBe('ALL');
    expect((await describeOrg(h))!.FeatureSet).toBe('ALL');
    expect(mutatingCalls(h.emulator, since)).toEqual(['AcceptHandshake']);
  });
});
