/**
 * Trusted service access and delegated administrators.
 */
import {
  DeregisterDelegatedAdministratorCommand,
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import { expectError, Fixture, newAccount, snapshot, startFixture } from './support';
import { SERVICE_PRINCIPALS } from '../../local/emulator/service-principals';

let f: Fixture;
let a: string;
let b: string;

beforeAll(async () => {
  f = await startFixture();
  [a, b] = [await newAccount(f.org, 'Security'), await newAccount(f.org, 'Audit')];
});
afterAll(async () => f?.stop());

const enable = (principal: string) => f.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
const register = (accountId: string, principal: string) =>
  f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accountId, ServicePrincipal: principal }));
const enabled = async () =>
  (await f.org.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!.map(s => s.ServicePrincipal);
const admins = async (principal?: string) =>
  (await f.org.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: principal }))).DelegatedAdministrators!.map(d => d.Id);

describe('trusted access', () => {
  test('enable is idempotent and listed with its date; disable removes it', async () => {
    await enable('sso.amazonaws.com');
    await enable('sso.amazonaws.com');
    const listed = (await f.org.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!;
    expect(listed.filter(s => s.ServicePrincipal === 'sso.amazonaws.com')).toEqual([{ ServicePrincipal: 'sso.amazonaws.com', DateEnabled: expect.any(Date) }]);
    await f.org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'sso.amazonaws.com' }));
    expect(await enabled()).not.toContain('sso.amazonaws.com');
  });

  test('a principal Organizations does not know is UNRECOGNIZED_SERVICE_PRINCIPAL', async () => {
    const before = snapshot(f.emulator);
    await expectError(enable('guardduty.amazon.com'), 'InvalidInputException', 'UNRECOGNIZED_SERVICE_PRINCIPAL');
    await expectError(register(a, 'guardduty.amazon.com'), 'InvalidInputException', 'UNRECOGNIZED_SERVICE_PRINCIPAL');
    expect(snapshot(f.emulator)).toBe(before);
  });

  test('consolidated billing only: ORGANIZATION_NOT_IN_ALL_FEATURES_MODE', async () => {
    const g = await startFixture({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
    try {
      await expectError(g.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'sso.amazonaws.com' })),
        'ConstraintViolationException', 'ORGANIZATION_NOT_IN_ALL_FEATURES_MODE');
    } finally {
      await g.stop();
    }
  });

  test('the table of principals knows the common integrations', () => {
    for (const principal of ['guardduty.amazonaws.com', 'securityhub.amazonaws.com', 'config.amazonaws.com', 'sso.amazonaws.com',
      'account.amazonaws.com', 'member.org.stacksets.cloudformation.amazonaws.com', 'tagpolicies.tag.amazonaws.com']) {
      expect(SERVICE_PRINCIPALS[principal]).toBeDefined();
    }
  });
});

describe('delegated administrators', () => {
  test('registering needs trusted access first (SERVICE_ACCESS_NOT_ENABLED), then lists the account with its delegation date', async () => {
    await expectError(register(a, 'securityhub.amazonaws.com'), 'ConstraintViolationException', 'SERVICE_ACCESS_NOT_ENABLED');
    await enable('securityhub.amazonaws.com');
    await register(a, 'securityhub.amazonaws.com');
    const listed = (await f.org.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'securityhub.amazonaws.com' }))).DelegatedAdministrators!;
    expect(listed).toEqual([expect.objectContaining({ Id: a, Name: 'Security', Status: 'ACTIVE', JoinedMethod: 'CREATED', DelegationEnabledDate: expect.any(Date) })]);
    expect((await f.org.send(new ListDelegatedServicesForAccountCommand({ AccountId: a }))).DelegatedServices)
      .toEqual([{ ServicePrincipal: 'securityhub.amazonaws.com', DelegationEnabledDate: expect.any(Date) }]);
  });

  test('twice is AccountAlreadyRegisteredException; a second account for a one-admin service is DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE', async () => {
    await expectError(register(a, 'securityhub.amazonaws.com'), 'AccountAlreadyRegisteredException');
    await expectError(register(b, 'securityhub.amazonaws.com'), 'ConstraintViolationException', 'DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE');
  });

  test('services with several admins allow up to their maximum (config: 3)', async () => {
    await enable('config.amazonaws.com');
    const c = await newAccount(f.org, 'Third');
    const d = await newAccount(f.org, 'Fourth');
    for (const id of [a, b, c]) await register(id, 'config.amazonaws.com');
    expect(await admins('config.amazonaws.com')).toEqual([a, b, c]);
    await expectError(register(d, 'config.amazonaws.com'), 'ConstraintViolationException', 'MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED');
    // Listed once per account across services.
    expect((await admins()).filter(id => id === a)).toHaveLength(1);
  });

  test('the management account, accounts outside the organization and services without delegation are refused', async () => {
    await expectError(register(f.emulator.managementAccountId, 'config.amazonaws.com'), 'ConstraintViolationException', 'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR');
    await expectError(register('999999999999', 'config.amazonaws.com'), 'AccountNotFoundException');
    await enable('tagpolicies.tag.amazonaws.com');
    await expectError(register(a, 'tagpolicies.tag.amazonaws.com'), 'InvalidInputException', 'UNRECOGNIZED_SERVICE_PRINCIPAL');
  });

  test('deregistering: once, then AccountNotRegisteredException; disabling trusted access deregisters the service\'s admins', async () => {
    await f.org.send(new DeregisterDelegatedAdministratorCommand({ AccountId: b, ServicePrincipal: 'config.amazonaws.com' }));
    await expectError(f.org.send(new DeregisterDelegatedAdministratorCommand({ AccountId: b, ServicePrincipal: 'config.amazonaws.com' })), 'AccountNotRegisteredException');
    await expectError(f.org.send(new ListDelegatedServicesForAccountCommand({ AccountId: b })), 'AccountNotRegisteredException');
    await f.org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'config.amazonaws.com' }));
    expect(await admins('config.amazonaws.com')).toEqual([]);
    expect(await admins('securityhub.amazonaws.com')).toEqual([a]);
  });
});
