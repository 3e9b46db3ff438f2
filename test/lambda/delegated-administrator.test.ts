import {
  DeregisterDelegatedAdministratorCommand,
  EnableAWSServiceAccessCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import { createEvent, createMemberAccount, deleteEvent, Harness, mutatingCalls, ownerId, startHarness, tagsOf, updateEvent } from './harness';
import {
  delegatedAdministrator,
  delegatedAdministratorPhysicalId,
  parseDelegatedAdministratorPhysicalId,
  parseDelegatedAdministratorProps,
} from '../../lambda/delegated-administrator';
import { UserError } from '../../lambda/shared/errors';
import { ResourceType } from '../../src/private/contract';

const T = ResourceType.DELEGATED_ADMINISTRATOR;
const GUARDDUTY = 'guardduty.amazonaws.com';
const SECURITYHUB = 'securityhub.amazonaws.com';

let h: Harness;
let member1: string;
let member2: string;

let count = 0;
/** A member account created through the API. */
const newAccount = (): Promise<string> => createMemberAccount(h, `delegate-${++count}`);

async function admins(principal: string): Promise<string[]> {
  const out = await h.organizations.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: principal }));
  return (out.DelegatedAdministrators ?? []).map(a => a.Id!).sort();
}

const props = (accountId: string, servicePrincipal: string) => ({ AccountId: accountId, ServicePrincipal: servicePrincipal });
const mark = () => h.emulator.callLog.length;

beforeAll(async () => {
  h = await startHarness();
  [member1, member2] = [await newAccount(), await newAccount()];
  await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: GUARDDUTY }));
});

afterAll(async () => {
  await h?.stop();
});

describe('properties and physical ids', () => {
  test('parses AccountId and ServicePrincipal, both required', () => {
    expect(parseDelegatedAdministratorProps(props('123456789012', GUARDDUTY))).toEqual({ accountId: '123456789012', servicePrincipal: GUARDDUTY });
    expect(() => parseDelegatedAdministratorProps({ AccountId: '123456789012' })).toThrow(/Property ServicePrincipal is required/);
  });

  test('the physical id is <accountId>|<servicePrincipal> and reads back', () => {
    const spec = { accountId: '123456789012', servicePrincipal: GUARDDUTY };
    expect(delegatedAdministratorPhysicalId(spec)).toBe(`123456789012|${GUARDDUTY}`);
    expect(parseDelegatedAdministratorPhysicalId(`123456789012|${GUARDDUTY}`)).toEqual(spec);
    expect(parseDelegatedAdministratorPhysicalId('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED')).toBeUndefined();
  });
});

describe('register', () => {
  test('registers the account, records it on the account, returns <accountId>|<servicePrincipal>; a retried Create registers nothing more', async () => {
    const event = createEvent(T, props(member1, GUARDDUTY));
    const out = await delegatedAdministrator.onCreate(event, h.context());
    expect(out).toEqual({ PhysicalResourceId: `${member1}|${GUARDDUTY}` });
    expect(await admins(GUARDDUTY)).toEqual([member1]);
    expect(await tagsOf(h.organizations, member1)).toMatchObject({ [`cdk-organizations:delegated-administrator/${GUARDDUTY}`]: ownerId() });
    const since = mark();
    await expect(delegatedAdministrator.onCreate(event, h.context())).resolves.toEqual(out);
    // A retry cannot tell its own request's work from an earlier operation's (no creation marker on the
    // root's tags): it claims it again, which a rollback leaves in place and a removal still destroys.
    expect(mutatingCalls(h.emulator, since)).toEqual(['TagResource']);
    expect(await admins(GUARDDUTY)).toEqual([member1]);
  });

  test('an account registered by someone else between the look and the call is adopted (AccountAlreadyRegisteredException)', async () => {
    const principal = 'servicecatalog.amazonaws.com';
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
    let raced = false;
    const organizations = {
      send: async (command: { constructor: { name: string } }) => {
        if (!raced && command.constructor.name === 'RegisterDelegatedAdministratorCommand') {
          raced = true;
          await h.organizations.send(new RegisterDelegatedAdministratorCommand({ AccountId: member2, ServicePrincipal: principal }));
        }
        return h.organizations.send(command as any);
      },
    } as unknown as OrganizationsClient;
    await delegatedAdministrator.onCreate(createEvent(T, props(member2, principal)), h.context({ organizations }));
    expect(h.emulator.callLog.filter(c => c.operation === 'RegisterDelegatedAdministrator').slice(-1).map(c => JSON.stringify(c.outcome)))
      .toEqual([expect.stringMatching(/AccountAlreadyRegistered/)]);
    // Not this resource's: its Delete leaves the registration in place.
    await delegatedAdministrator.onDelete(deleteEvent(T, `${member2}|${principal}`, props(member2, principal)), h.context());
    expect(await admins(principal)).toEqual([member2]);
  });

  test('the management account is refused with a clear message, before any call that changes something', async () => {
    const management = h.emulator.managementAccountId;
    const since = mark();
    const error = await delegatedAdministrator.onCreate(createEvent(T, props(management, GUARDDUTY)), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`${management} is the organization's management account.*only a member account can be a delegated administrator`));
    expect(mutatingCalls(h.emulator, since)).toEqual([]);
  });

  test('a principal Organizations does not recognise: the message says to check the spelling', async () => {
    const error = await delegatedAdministrator.onCreate(createEvent(T, props(member2, 'guardduty.amazon.com')), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/does not recognise "guardduty.amazon.com".*Check the spelling of ServicePrincipal.*guardduty.amazonaws.com/);
  });

  test('trusted access not enabled for the principal: the message says to enable it', async () => {
    const error = await delegatedAdministrator.onCreate(createEvent(T, props(member2, SECURITYHUB)), h.context()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(new RegExp(`trusted access is not enabled for ${SECURITYHUB.replace(/\./g, '\\.')}`));
    expect(error.message).toMatch(/enableAwsServiceAccess\('securityhub\.amazonaws\.com'\)/);
    expect(await admins(SECURITYHUB).catch(() => [])).toEqual([]);
  });

  test('an account that is not in the organization: the message names AccountId', async () => {
    await expect(delegatedAdministrator.onCreate(createEvent(T, props('999999999999', GUARDDUTY)), h.context()))
      .rejects.toThrow(/account 999999999999 is not a member of this organization.*Check AccountId/);
  });
});

describe('update', () => {
  test('another account: the new pair is registered under a new id, the old one stays until CloudFormation deletes it', async () => {
    const principal = 'config.amazonaws.com';
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
    await delegatedAdministrator.onCreate(createEvent(T, props(member1, principal)), h.context());
    const out = await delegatedAdministrator.onUpdate(updateEvent(T, `${member1}|${principal}`, props(member2, principal), props(member1, principal)), h.context());
    expect(out.PhysicalResourceId).toBe(`${member2}|${principal}`);
    expect(await admins(principal)).toEqual([member1, member2].sort());
    await delegatedAdministrator.onDelete(deleteEvent(T, `${member1}|${principal}`, props(member1, principal)), h.context());
    expect(await admins(principal)).toEqual([member2]);
  });

  test('another service principal: registered for the new one under a new id', async () => {
    const [from, to] = ['ram.amazonaws.com', 'access-analyzer.amazonaws.com'];
    for (const p of [from, to]) await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: p }));
    await delegatedAdministrator.onCreate(createEvent(T, props(member2, from)), h.context());
    const out = await delegatedAdministrator.onUpdate(updateEvent(T, `${member2}|${from}`, props(member2, to), props(member2, from)), h.context());
    expect(out.PhysicalResourceId).toBe(`${member2}|${to}`);
    expect(await admins(to)).toEqual([member2]);
  });
});

describe('deregister', () => {
  test('deregisters what it registered and removes the tag; a second Delete is done without any change', async () => {
    const principal = 'inspector2.amazonaws.com';
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
    await delegatedAdministrator.onCreate(createEvent(T, props(member2, principal)), h.context());
    const event = deleteEvent(T, `${member2}|${principal}`, props(member2, principal));
    const since = mark();
    await expect(delegatedAdministrator.onDelete(event, h.context())).resolves.toEqual({});
    expect(await admins(principal)).toEqual([]);
    expect(mutatingCalls(h.emulator, since)).toEqual(['DeregisterDelegatedAdministrator', 'UntagResource']);
    expect(await tagsOf(h.organizations, member2)).not.toHaveProperty([`cdk-organizations:delegated-administrator/${principal}`]);
    const again = mark();
    await expect(delegatedAdministrator.onDelete(event, h.context())).resolves.toEqual({});
    expect(mutatingCalls(h.emulator, again)).toEqual([]);
  });

  test('deregistered outside the stack: the Delete only removes the tag', async () => {
    const principal = 'ipam.amazonaws.com';
    await h.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
    await delegatedAdministrator.onCreate(createEvent(T, props(member1, principal)), h.context());
    await h.organizations.send(new DeregisterDelegatedAdministratorCommand({ AccountId: member1, ServicePrincipal: principal }));
    const since = mark();
    await delegatedAdministrator.onDelete(deleteEvent(T, `${member1}|${principal}`, props(member1, principal)), h.context());
    const deregister = h.emulator.callLog.slice(since).filter(c => c.operation === 'DeregisterDelegatedAdministrator');
    expect(deregister.map(c => JSON.stringify(c.outcome))).toEqual([expect.stringMatching(/AccountNotRegistered/)]);
    expect(await tagsOf(h.organizations, member1)).not.toHaveProperty([`cdk-organizations:delegated-administrator/${principal}`]);
  });

  test('an id this handler never returned makes no call', async () => {
    const since = mark();
    await expect(delegatedAdministrator.onDelete(deleteEvent(T, 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', {}), h.context())).resolves.toEqual({});
    expect(h.emulator.callLog.length).toBe(since);
  });
});
