import {
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { createEvent, deleteEvent, Harness, mutatingCalls, ownerId, startHarness, tagsOf, updateEvent } from './harness';
import {
  awsServiceAccess,
  awsServiceAccessPhysicalId,
  parseAwsServiceAccessPhysicalId,
  parseAwsServiceAccessProps,
} from '../../lambda/aws-service-access';
import { UserError } from '../../lambda/shared/errors';
import { ResourceType } from '../../src/private/contract';

const T = ResourceType.AWS_SERVICE_ACCESS;
/** The root's tag that records which resource enabled trusted access for `principal`. */
const accessKey = (principal: string) => `cdk-organizations:trusted-access/${principal}`;

let h: Harness;
let rootId: string;

const mark = () => h.emulator.callLog.length;

async function enabled(harness = h): Promise<string[]> {
  const out = await harness.organizations.send(new ListAWSServiceAccessForOrganizationCommand({}));
  return (out.EnabledServicePrincipals ?? []).map(s => s.ServicePrincipal!).sort();
}

async function create(principal: string) {
  return (await awsServiceAccess.onCreate(createEvent(T, { ServicePrincipal: principal }), h.context())).PhysicalResourceId!;
}

beforeAll(async () => {
  h = await startHarness();
  rootId = (await h.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
});

afterAll(async () => {
  await h?.stop();
});

describe('properties and physical ids', () => {
  test('parses ServicePrincipal', () => {
    expect(parseAwsServiceAccessProps({ ServicePrincipal: 'sso.amazonaws.com' })).toEqual({ servicePrincipal: 'sso.amazonaws.com' });
    expect(() => parseAwsServiceAccessProps({})).toThrow(/Property ServicePrincipal is required/);
  });

  test('physical ids round-trip, with and without the adopted suffix', () => {
    expect(awsServiceAccessPhysicalId({ servicePrincipal: 'sso.amazonaws.com' }, false)).toBe('sso.amazonaws.com');
    expect(awsServiceAccessPhysicalId({ servicePrincipal: 'sso.amazonaws.com' }, true)).toBe('sso.amazonaws.com|adopted');
    expect(parseAwsServiceAccessPhysicalId('sso.amazonaws.com|adopted')).toEqual({ servicePrincipal: 'sso.amazonaws.com', adopted: true });
    expect(parseAwsServiceAccessPhysicalId('sso.amazonaws.com')).toEqual({ servicePrincipal: 'sso.amazonaws.com', adopted: false });
    expect(parseAwsServiceAccessPhysicalId('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED')).toBeUndefined();
  });
});

describe('Create', () => {
  test('enables trusted access and records on the root that this resource did', async () => {
    const since = mark();
    expect(await create('guardduty.amazonaws.com')).toBe('guardduty.amazonaws.com');
    expect(await enabled()).toContain('guardduty.amazonaws.com');
    expect(mutatingCalls(h.emulator, since)).toEqual(['EnableAWSServiceAccess', 'TagResource']);
    expect((await tagsOf(h.organizations, rootId))[accessKey('guardduty.amazonaws.com')]).toBe(ownerId());
  });

  test('trusted access that is already enabled is adopted without any change', async () => {
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'config.amazonaws.com' }));
    const since = mark();
    expect(await create('config.amazonaws.com')).toBe('config.amazonaws.com|adopted');
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a retried Create finds its own enabling by the root\'s tags (its creation marker): same id, nothing changed', async () => {
    const event = createEvent(T, { ServicePrincipal: 'securityhub.amazonaws.com' });
    const first = await awsServiceAccess.onCreate(event, h.context());
    const since = mark();
    const second = await awsServiceAccess.onCreate(event, h.context());
    expect(first.PhysicalResourceId).toBe('securityhub.amazonaws.com');
    expect(second.PhysicalResourceId).toBe('securityhub.amazonaws.com');
    // The root carries the request's creation marker: a retry of the same request knows it as its own making.
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect((await enabled()).filter(p => p === 'securityhub.amazonaws.com')).toHaveLength(1);
  });
});

describe('Update', () => {
  test('the same principal keeps its id and changes nothing', async () => {
    const id = await create('ram.amazonaws.com');
    const props = { ServicePrincipal: 'ram.amazonaws.com' };
    const since = mark();
    expect((await awsServiceAccess.onUpdate(updateEvent(T, id, props, props), h.context())).PhysicalResourceId).toBe(id);
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('trusted access disabled outside the stack is enabled again under the same id', async () => {
    const id = await create('tagpolicies.tag.amazonaws.com');
    await h.organizations.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'tagpolicies.tag.amazonaws.com' }));
    const props = { ServicePrincipal: 'tagpolicies.tag.amazonaws.com' };
    expect((await awsServiceAccess.onUpdate(updateEvent(T, id, props, props), h.context())).PhysicalResourceId).toBe(id);
    expect(await enabled()).toContain('tagpolicies.tag.amazonaws.com');
  });

  test('another principal is a replacement; the swapped rollback returns to the old one, still its own', async () => {
    const oldId = await create('fms.amazonaws.com');
    const before = { ServicePrincipal: 'fms.amazonaws.com' };
    const after = { ServicePrincipal: 'backup.amazonaws.com' };
    const out = await awsServiceAccess.onUpdate(updateEvent(T, oldId, after, before), h.context());
    expect(out.PhysicalResourceId).toBe('backup.amazonaws.com');
    // CloudFormation disables the old one (its Delete) only after the whole update succeeded.
    expect(await enabled()).toEqual(expect.arrayContaining(['fms.amazonaws.com', 'backup.amazonaws.com']));

    const rollback = await awsServiceAccess.onUpdate(updateEvent(T, out.PhysicalResourceId!, before, after), h.context());
    // The root's tag says this resource enabled the old principal: still its own, not adopted.
    expect(rollback.PhysicalResourceId).toBe('fms.amazonaws.com');
    await awsServiceAccess.onDelete(deleteEvent(T, out.PhysicalResourceId!, after), h.context());
    expect(await enabled()).not.toContain('backup.amazonaws.com');
    expect(await enabled()).toContain('fms.amazonaws.com');
  });
});

describe('Delete', () => {
  test('disables trusted access the stack enabled; a second delete is a no-op', async () => {
    const id = await create('access-analyzer.amazonaws.com');
    const since = mark();
    await awsServiceAccess.onDelete(deleteEvent(T, id, { ServicePrincipal: 'access-analyzer.amazonaws.com' }), h.context());
    expect(await enabled()).not.toContain('access-analyzer.amazonaws.com');
    expect(mutatingCalls(h.emulator, since)).toEqual(['DisableAWSServiceAccess', 'UntagResource']);
    expect(await tagsOf(h.organizations, rootId)).not.toHaveProperty([accessKey('access-analyzer.amazonaws.com')]);
    const again = mark();
    await expect(awsServiceAccess.onDelete(deleteEvent(T, id, {}), h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, again)).toEqual([]);
  });

  test('adopted trusted access stays enabled and nothing is called', async () => {
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'ssm.amazonaws.com' }));
    const id = await create('ssm.amazonaws.com');
    const since = mark();
    await awsServiceAccess.onDelete(deleteEvent(T, id, { ServicePrincipal: 'ssm.amazonaws.com' }), h.context());
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
    expect(await enabled()).toContain('ssm.amazonaws.com');
  });

  test('an id this handler never returned is ignored', async () => {
    const since = mark();
    await expect(awsServiceAccess.onDelete(deleteEvent(T, 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', {}), h.context())).resolves.toEqual({});
    expect(h.emulator.callLog.length).toBe(since);
  });
});

describe('an organization with consolidated billing only', () => {
  let cb: Harness;
  beforeAll(async () => {
    cb = await startHarness({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
  });
  afterAll(async () => {
    await cb?.stop();
  });

  test('enabling trusted access is refused with what to do', async () => {
    const error = await awsServiceAccess.onCreate(createEvent(T, { ServicePrincipal: 'sso.amazonaws.com' }), cb.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/Cannot enable trusted access for sso\.amazonaws\.com: the organization only has consolidated billing features.*featureSet to ALL/);
    expect(await enabled(cb)).toEqual([]);
  });
});
