/**
 * Handshakes: invitations by account id and by email, their transitions and limits, expiry, and
 * enabling all features with the approvals of invited members.
 */
import {
  AcceptHandshakeCommand,
  CancelHandshakeCommand,
  DeclineHandshakeCommand,
  DescribeHandshakeCommand,
  DescribeOrganizationCommand,
  EnableAllFeaturesCommand,
  Handshake,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListHandshakesForAccountCommand,
  ListHandshakesForOrganizationCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-organizations';
import { Clients, clientsFor, expectError, Fixture, newAccount, pollUntil, startFixture } from './support';

let f: Fixture;
const guests: Clients[] = [];

function guest(accountId: string): Clients {
  const clients = clientsFor(f.emulator, accountId);
  guests.push(clients);
  return clients;
}

beforeAll(async () => {
  f = await startFixture({ quotas: { maxAccounts: 50 } });
});
afterAll(async () => {
  guests.forEach(g => g.destroy());
  await f?.stop();
});

const invite = (target: { Type: 'ACCOUNT' | 'EMAIL'; Id: string }, extra: object = {}) =>
  f.org.send(new InviteAccountToOrganizationCommand({ Target: target, ...extra })).then(o => o.Handshake!);

describe('invitations', () => {
  test('an invitation by account id: OPEN, its parties and resources; accepting makes an INVITED member with the tags', async () => {
    const id = f.emulator.createExternalAccount('juan@example.com', 'Juan');
    const handshake = await invite({ Type: 'ACCOUNT', Id: id }, { Notes: 'welcome', Tags: [{ Key: 'team', Value: 'data' }] });
    const org = f.emulator.state().organization!;
    const management = f.emulator.state().accounts[f.emulator.managementAccountId];
    expect(handshake).toEqual({
      Id: expect.stringMatching(/^h-[a-z0-9]{8,32}$/),
      Arn: `arn:aws:organizations::${management.id}:handshake/${org.id}/invite/${handshake.Id}`,
      Parties: [{ Id: org.id, Type: 'ORGANIZATION' }, { Id: id, Type: 'ACCOUNT' }],
      State: 'OPEN',
      RequestedTimestamp: expect.any(Date),
      ExpirationTimestamp: expect.any(Date),
      Action: 'INVITE',
      Resources: [
        {
          Type: 'ORGANIZATION',
          Value: org.id,
          Resources: [
            { Type: 'MASTER_EMAIL', Value: management.email },
            { Type: 'MASTER_NAME', Value: management.name },
            { Type: 'ORGANIZATION_FEATURE_SET', Value: 'ALL' },
          ],
        },
        { Type: 'ACCOUNT', Value: id },
        { Type: 'NOTES', Value: 'welcome' },
      ],
    });
    // 15 simulated days at time scale 0.001.
    expect(handshake.ExpirationTimestamp!.getTime() - handshake.RequestedTimestamp!.getTime()).toBeCloseTo(15 * 24 * 3600, -1);
    const juan = guest(id);
    expect((await juan.org.send(new ListHandshakesForAccountCommand({}))).Handshakes!.map(h => h.Id)).toEqual([handshake.Id]);
    const accepted = (await juan.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! }))).Handshake!;
    expect(accepted.State).toBe('ACCEPTED');
    const account = (await f.org.send(new ListAccountsCommand({}))).Accounts!.find(a => a.Id === id)!;
    expect(account).toMatchObject({ JoinedMethod: 'INVITED', Email: 'juan@example.com', Name: 'Juan', State: 'ACTIVE' });
    expect((await f.org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags).toEqual([{ Key: 'team', Value: 'data' }]);
    await expectError(juan.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! })), 'HandshakeAlreadyInStateException');
    await expectError(invite({ Type: 'ACCOUNT', Id: id }), 'HandshakeConstraintViolationException', 'ALREADY_IN_AN_ORGANIZATION');
  });

  test('an invitation by email reaches the account with that email', async () => {
    const id = f.emulator.createExternalAccount('susan@example.com', 'Susan');
    const handshake = await invite({ Type: 'EMAIL', Id: 'Susan@Example.com' });
    expect(handshake.Parties![1]).toEqual({ Id: 'Susan@Example.com', Type: 'EMAIL' });
    const susan = guest(id);
    expect((await susan.org.send(new DescribeHandshakeCommand({ HandshakeId: handshake.Id! }))).Handshake!.Id).toBe(handshake.Id);
    await susan.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! }));
    expect((await susan.org.send(new DescribeOrganizationCommand({}))).Organization!.Id).toBe(f.emulator.state().organization!.id);
  });

  test('one open invitation per account; decline and cancel end it, and ended handshakes do not come back', async () => {
    const id = f.emulator.createExternalAccount('maybe@example.com');
    const first = await invite({ Type: 'ACCOUNT', Id: id });
    await expectError(invite({ Type: 'EMAIL', Id: 'maybe@example.com' }), 'DuplicateHandshakeException');
    const maybe = guest(id);
    await expectError(maybe.org.send(new CancelHandshakeCommand({ HandshakeId: first.Id! })), 'AccessDeniedException');
    await expectError(f.org.send(new DeclineHandshakeCommand({ HandshakeId: first.Id! })), 'AccessDeniedException');
    expect((await maybe.org.send(new DeclineHandshakeCommand({ HandshakeId: first.Id! }))).Handshake!.State).toBe('DECLINED');
    await expectError(maybe.org.send(new DeclineHandshakeCommand({ HandshakeId: first.Id! })), 'HandshakeAlreadyInStateException');
    await expectError(maybe.org.send(new AcceptHandshakeCommand({ HandshakeId: first.Id! })), 'InvalidHandshakeTransitionException');

    const second = await invite({ Type: 'ACCOUNT', Id: id });
    expect((await f.org.send(new CancelHandshakeCommand({ HandshakeId: second.Id! }))).Handshake!.State).toBe('CANCELED');
    await expectError(f.org.send(new CancelHandshakeCommand({ HandshakeId: second.Id! })), 'HandshakeAlreadyInStateException');
    await expectError(maybe.org.send(new AcceptHandshakeCommand({ HandshakeId: second.Id! })), 'InvalidHandshakeTransitionException');
  });

  test('handshakes are visible to their recipient and their organization only', async () => {
    const id = f.emulator.createExternalAccount('private@example.com');
    const handshake = await invite({ Type: 'ACCOUNT', Id: id });
    const stranger = guest(f.emulator.createExternalAccount('stranger@example.com'));
    await expectError(stranger.org.send(new DescribeHandshakeCommand({ HandshakeId: handshake.Id! })), 'HandshakeNotFoundException');
    await expectError(stranger.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! })), 'HandshakeNotFoundException');
    expect((await stranger.org.send(new ListHandshakesForAccountCommand({}))).Handshakes).toEqual([]);
    await expectError(f.org.send(new DescribeHandshakeCommand({ HandshakeId: 'h-0000000000' })), 'HandshakeNotFoundException');
    const all = (await f.org.send(new ListHandshakesForOrganizationCommand({ Filter: { ActionType: 'INVITE' } }))).Handshakes!;
    expect(all.map(h => h.Id)).toContain(handshake.Id);
    expect(all.every(h => h.Action === 'INVITE')).toBe(true);
  });

  test('an account that is in an organization by the time it answers cannot accept (ALREADY_IN_AN_ORGANIZATION)', async () => {
    const handshake = await invite({ Type: 'EMAIL', Id: 'future@example.com' });
    // The email gets an account of the organization before the invitation is answered.
    const memberId = await newAccount(f.org, 'Future', 'future@example.com');
    const future = guest(memberId);
    await expectError(future.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! })), 'HandshakeConstraintViolationException', 'ALREADY_IN_AN_ORGANIZATION');
    expect((await future.org.send(new DescribeHandshakeCommand({ HandshakeId: handshake.Id! }))).Handshake!.State).toBe('OPEN');
  });

  test('invitations expire after the invitation lifetime (simulated)', async () => {
    const g = await startFixture({ quotas: { invitationExpirySeconds: 5 } });
    try {
      const id = g.emulator.createExternalAccount('late@example.com');
      const handshake = (await g.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: id } }))).Handshake!;
      const expired = await pollUntil(() => g.org.send(new DescribeHandshakeCommand({ HandshakeId: handshake.Id! })).then(o => o.Handshake!), h => h.State !== 'OPEN');
      expect(expired.State).toBe('EXPIRED');
      const late = clientsFor(g.emulator, id);
      await expectError(late.org.send(new AcceptHandshakeCommand({ HandshakeId: handshake.Id! })), 'InvalidHandshakeTransitionException');
      late.destroy();
    } finally {
      await g.stop();
    }
  });

  test('more invitations than the 24-hour quota is HANDSHAKE_RATE_LIMIT_EXCEEDED', async () => {
    const g = await startFixture({ quotas: { maxInvitationsPer24Hours: 2, maxAccounts: 10 } });
    try {
      for (let i = 0; i < 2; i++) {
        await g.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'EMAIL', Id: `invitee${i}@example.com` } }));
      }
      await expectError(g.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'EMAIL', Id: 'invitee9@example.com' } })),
        'HandshakeConstraintViolationException', 'HANDSHAKE_RATE_LIMIT_EXCEEDED');
    } finally {
      await g.stop();
    }
  });
});

describe('enabling all features', () => {
  test('with an invited member: REQUESTED, its approval, APPROVE_ALL_FEATURES to the management account, then ALL', async () => {
    const g = await startFixture({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
    const id = g.emulator.createExternalAccount('old-member@example.com');
    const member = clientsFor(g.emulator, id);
    try {
      const invitation = (await g.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: id } }))).Handshake!;
      expect(invitation.Resources![0].Resources).toContainEqual({ Type: 'ORGANIZATION_FEATURE_SET', Value: 'CONSOLIDATED_BILLING' });
      await member.org.send(new AcceptHandshakeCommand({ HandshakeId: invitation.Id! }));

      const parent = (await g.org.send(new EnableAllFeaturesCommand({}))).Handshake!;
      expect(parent).toMatchObject({ Action: 'ENABLE_ALL_FEATURES', State: 'REQUESTED', Parties: [{ Type: 'ORGANIZATION', Id: g.emulator.state().organization!.id }] });
      await expectError(g.org.send(new EnableAllFeaturesCommand({})), 'HandshakeConstraintViolationException', 'ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION');
      await expectError(g.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'EMAIL', Id: 'new@example.com' } })),
        'HandshakeConstraintViolationException', 'INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES');
      await expectError(g.org.send(new AcceptHandshakeCommand({ HandshakeId: parent.Id! })), 'InvalidHandshakeTransitionException');

      const children = (await g.org.send(new ListHandshakesForOrganizationCommand({ Filter: { ParentHandshakeId: parent.Id! } }))).Handshakes!;
      expect(children).toHaveLength(1);
      const request: Handshake = (await member.org.send(new ListHandshakesForAccountCommand({ Filter: { ActionType: 'ENABLE_ALL_FEATURES' } }))).Handshakes![0];
      expect(request).toMatchObject({ Id: children[0].Id, State: 'OPEN', Resources: expect.arrayContaining([{ Type: 'PARENT_HANDSHAKE', Value: parent.Id }]) });
      await member.org.send(new AcceptHandshakeCommand({ HandshakeId: request.Id! }));

      expect((await g.org.send(new DescribeHandshakeCommand({ HandshakeId: parent.Id! }))).Handshake!.State).toBe('OPEN');
      const approve = (await g.org.send(new ListHandshakesForAccountCommand({ Filter: { ActionType: 'APPROVE_ALL_FEATURES' } }))).Handshakes!;
      expect(approve.map(h => h.State)).toEqual(['OPEN']);
      await g.org.send(new AcceptHandshakeCommand({ HandshakeId: approve[0].Id! }));
      expect((await g.org.send(new DescribeOrganizationCommand({}))).Organization!.FeatureSet).toBe('ALL');
      expect((await g.org.send(new DescribeHandshakeCommand({ HandshakeId: parent.Id! }))).Handshake!.State).toBe('ACCEPTED');
      await expectError(g.org.send(new EnableAllFeaturesCommand({})), 'HandshakeConstraintViolationException', 'ORGANIZATION_ALREADY_HAS_ALL_FEATURES');
    } finally {
      member.destroy();
      await g.stop();
    }
  });

  test('without invited members the request is OPEN at once, and accepting it finalizes; canceling instead ends it', async () => {
    const g = await startFixture({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' } });
    try {
      const first = (await g.org.send(new EnableAllFeaturesCommand({}))).Handshake!;
      expect(first.State).toBe('OPEN');
      await g.org.send(new CancelHandshakeCommand({ HandshakeId: first.Id! }));
      expect((await g.org.send(new DescribeOrganizationCommand({}))).Organization!.FeatureSet).toBe('CONSOLIDATED_BILLING');
      const second = (await g.org.send(new EnableAllFeaturesCommand({}))).Handshake!;
      await g.org.send(new AcceptHandshakeCommand({ HandshakeId: second.Id! }));
      expect((await g.org.send(new DescribeOrganizationCommand({}))).Organization!.FeatureSet).toBe('ALL');
    } finally {
      await g.stop();
    }
  });
});
