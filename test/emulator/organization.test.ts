/**
 * The organization: creation (both feature sets), description, deletion, the root, and who may
 * call what (outsiders, members, the management account, delegated administrators).
 */
import {
  AcceptHandshakeCommand,
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DeleteOrganizationCommand,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  EnableAWSServiceAccessCommand,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  RegisterDelegatedAdministratorCommand,
  RemoveAccountFromOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, newAccount, startFixture } from './support';
import { Emulator } from '../../local/emulator';

describe('without an organization', () => {
  let emulator: Emulator;
  let clients: ReturnType<typeof clientsFor>;
  beforeEach(async () => {
    emulator = await Emulator.start({ relaxed: true, timeScale: 0.001 });
    clients = clientsFor(emulator);
  });
  afterEach(async () => {
    clients.destroy();
    await emulator.stop();
  });

  test('every organization operation says the caller is in no organization', async () => {
    await expectError(clients.org.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
    await expectError(clients.org.send(new ListRootsCommand({})), 'AWSOrganizationsNotInUseException');
    await expectError(clients.org.send(new ListAccountsCommand({})), 'AWSOrganizationsNotInUseException');
  });

  test('CreateOrganization: all features by default, SCPs enabled on the root, FullAWSAccess on root and management account', async () => {
    const { Organization: org } = await clients.org.send(new CreateOrganizationCommand({}));
    const management = emulator.managementAccountId;
    expect(org).toEqual({
      Id: expect.stringMatching(/^o-[a-z0-9]{10}$/),
      Arn: `arn:aws:organizations::${management}:organization/${org!.Id}`,
      FeatureSet: 'ALL',
      MasterAccountArn: `arn:aws:organizations::${management}:account/${org!.Id}/${management}`,
      MasterAccountId: management,
      MasterAccountEmail: expect.stringMatching(/@example\.com$/),
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    });
    const root = (await clients.org.send(new ListRootsCommand({}))).Roots![0];
    expect(root).toEqual({
      Id: expect.stringMatching(/^r-[a-z0-9]{4}$/),
      Arn: `arn:aws:organizations::${management}:root/${org!.Id}/${root.Id}`,
      Name: 'Root',
      PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    });
    for (const target of [root.Id!, management]) {
      const policies = await clients.org.send(new ListPoliciesForTargetCommand({ TargetId: target, Filter: 'SERVICE_CONTROL_POLICY' }));
      expect(policies.Policies!.map(p => p.Id)).toEqual(['p-FullAWSAccess']);
    }
    const account = (await clients.org.send(new DescribeAccountCommand({ AccountId: management }))).Account!;
    expect(account).toMatchObject({ Id: management, Status: 'ACTIVE', State: 'ACTIVE', JoinedMethod: 'INVITED', Name: 'Management Account' });
  });

  test('CreateOrganization with consolidated billing: no policy type, and a second call is AlreadyInOrganizationException', async () => {
    const { Organization: org } = await clients.org.send(new CreateOrganizationCommand({ FeatureSet: 'CONSOLIDATED_BILLING' }));
    expect(org).toMatchObject({ FeatureSet: 'CONSOLIDATED_BILLING', AvailablePolicyTypes: [] });
    expect((await clients.org.send(new ListRootsCommand({}))).Roots![0].PolicyTypes).toEqual([]);
    await expectError(clients.org.send(new CreateOrganizationCommand({})), 'AlreadyInOrganizationException');
  });

  test('a second organization by another account is refused: the emulator holds one', async () => {
    await clients.org.send(new CreateOrganizationCommand({}));
    const outsider = clientsFor(emulator, emulator.createExternalAccount('outsider@example.com'));
    try {
      const error = await expectError(outsider.org.send(new CreateOrganizationCommand({})), 'AccessDeniedException');
      expect(error.message).toMatch(/one organization/);
    } finally {
      outsider.destroy();
    }
  });

  test('DeleteOrganization refuses while members remain, then leaves the management account standalone', async () => {
    await clients.org.send(new CreateOrganizationCommand({}));
    const invitee = emulator.createExternalAccount('joiner@example.com');
    const handshake = await clients.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: invitee } }));
    const member = clientsFor(emulator, invitee);
    try {
      await member.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Handshake!.Id! }));
      const error = await expectError(clients.org.send(new DeleteOrganizationCommand({})), 'OrganizationNotEmptyException');
      expect(error.message).toContain(invitee);
      await clients.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: invitee }));
      await clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: (await clients.org.send(new ListRootsCommand({}))).Roots![0].Id!, Name: 'Gone with it' }));
      await clients.org.send(new DeleteOrganizationCommand({}));
      await expectError(clients.org.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
      const again = await clients.org.send(new CreateOrganizationCommand({}));
      expect(emulator.state().organization!.id).toBe(again.Organization!.Id);
      expect(Object.keys(emulator.state().organization!.ous)).toEqual([]);
    } finally {
      member.destroy();
    }
  });
});

describe('who may call', () => {
  test('members describe the organization; only the management account changes it; delegated administrators read', async () => {
    const f = await startFixture();
    const memberId = await newAccount(f.org, 'Reader');
    const member = clientsFor(f.emulator, memberId);
    try {
      expect((await member.org.send(new DescribeOrganizationCommand({}))).Organization!.MasterAccountId).toBe(f.emulator.managementAccountId);
      await expectError(member.org.send(new ListAccountsCommand({})), 'AccessDeniedException');
      await expectError(member.org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: memberId })), 'AccessDeniedException');

      await f.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'guardduty.amazonaws.com' }));
      await f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: memberId, ServicePrincipal: 'guardduty.amazonaws.com' }));
      expect((await member.org.send(new ListAccountsCommand({}))).Accounts!.map(a => a.Id)).toContain(memberId);
      const denied = await expectError(member.org.send(new CreateOrganizationalUnitCommand({ ParentId: 'r-abcd', Name: 'x' })), 'AccessDeniedException');
      expect(denied.message).toContain('only the management account can call CreateOrganizationalUnit');
    } finally {
      member.destroy();
      await f.stop();
    }
  });
});
