/**
 * Handshakes: InviteAccountToOrganization, Accept/Decline/Cancel/DescribeHandshake,
 * ListHandshakesForAccount/Organization, and EnableAllFeatures with its approvals. Invited members
 * each get an ENABLE_ALL_FEATURES request (a child of the management account's one); once all have
 * accepted, the request is OPEN and an APPROVE_ALL_FEATURES handshake reaches the management
 * account, which finalizes by accepting either.
 */
import { fail, invalidInput } from '../errors';
import { paginate, seqKey } from '../pagination';
import { EmulatorState, HandshakeParty, HandshakeRecord, HandshakeResource, memberAccounts, OrganizationRecord, Tag } from '../state';
import { FIELDS, PAGE, PATTERNS, req, TAGS } from '../validation';
import { accountsCounted } from './accounts';
import { Context, handshakeShape, joinOrganization, Operations, organizationOf, withinWindow } from './common';
import { applyTags, checkTagKeys } from './tags';

interface PageInput {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

interface Filter {
  readonly ActionType?: string;
  readonly ParentHandshakeId?: string;
}

const OPEN_STATES = ['OPEN', 'REQUESTED'];
const DAY_MS_SIMULATED = 24 * 3600;

function handshakeConstraint(reason: string, message: string): never {
  return fail('HandshakeConstraintViolationException', message, reason);
}

/** True when `accountId` is the one who must answer `handshake`. */
export function isRecipient(state: EmulatorState, handshake: HandshakeRecord, accountId: string): boolean {
  const { Type, Id } = handshake.recipient;
  if (Type === 'ACCOUNT') return Id === accountId;
  if (Type === 'EMAIL') return state.accounts[accountId]?.email.toLowerCase() === Id.toLowerCase();
  return false;
}

/** Handshakes are visible to their recipient and to the accounts of the organization that sent them. */
function visibleHandshake(ctx: Context, handshakeId: string): HandshakeRecord {
  const handshake = ctx.state.handshakes[handshakeId];
  const account = ctx.state.accounts[ctx.caller];
  if (!handshake || !(isRecipient(ctx.state, handshake, ctx.caller) || account?.membership?.organizationId === handshake.organizationId)) {
    fail('HandshakeNotFoundException', `We can't find a handshake with the HandshakeId ${handshakeId}.`);
  }
  return handshake;
}

function newHandshake(ctx: Context, org: OrganizationRecord, fields: Pick<HandshakeRecord, 'action' | 'state' | 'parties' | 'resources' | 'recipient'>
  & Partial<Pick<HandshakeRecord, 'parentId' | 'tags'>>, lifetimeSeconds: number): HandshakeRecord {
  const handshake: HandshakeRecord = {
    id: ctx.ids.handshakeId(),
    organizationId: org.id,
    managementAccountId: org.managementAccountId,
    requestedAt: ctx.now,
    expiresAt: ctx.now + ctx.clock.duration(lifetimeSeconds),
    seq: ctx.ids.next(),
    ...fields,
  };
  ctx.state.handshakes[handshake.id] = handshake;
  return handshake;
}

function organizationResource(ctx: Context, org: OrganizationRecord): HandshakeResource {
  const management = ctx.state.accounts[org.managementAccountId];
  return {
    Type: 'ORGANIZATION',
    Value: org.id,
    Resources: [
      { Type: 'MASTER_EMAIL', Value: management.email },
      { Type: 'MASTER_NAME', Value: management.name },
      { Type: 'ORGANIZATION_FEATURE_SET', Value: org.featureSet },
    ],
  };
}

/** The state check of Accept/Decline/Cancel: the target state again is "already", any other closed state is not a valid transition. */
function assertTransition(handshake: HandshakeRecord, target: string, from: readonly string[]): void {
  if (handshake.state === target) fail('HandshakeAlreadyInStateException', `Handshake ${handshake.id} is already ${target}.`);
  if (!from.includes(handshake.state)) {
    fail('InvalidHandshakeTransitionException', `Handshake ${handshake.id} is ${handshake.state}; it cannot become ${target}.`);
  }
}

function childrenOf(state: EmulatorState, parentId: string): HandshakeRecord[] {
  return Object.values(state.handshakes).filter(h => h.parentId === parentId);
}

/** Every invited member approved: the request is OPEN, and the management account is asked to finalize. */
function allApproved(ctx: Context, org: OrganizationRecord, parent: HandshakeRecord): void {
  parent.state = 'OPEN';
  newHandshake(ctx, org, {
    action: 'APPROVE_ALL_FEATURES',
    state: 'OPEN',
    parties: [{ Id: org.id, Type: 'ORGANIZATION' }, { Id: org.managementAccountId, Type: 'ACCOUNT' }],
    resources: [{ Type: 'ORGANIZATION', Value: org.id }, { Type: 'PARENT_HANDSHAKE', Value: parent.id }],
    recipient: { Id: org.managementAccountId, Type: 'ACCOUNT' },
    parentId: parent.id,
  }, ctx.quotas.values.enableAllFeaturesExpirySeconds);
}

function finalizeAllFeatures(ctx: Context, org: OrganizationRecord, parent: HandshakeRecord): void {
  org.featureSet = 'ALL';
  parent.state = 'ACCEPTED';
  for (const child of childrenOf(ctx.state, parent.id)) {
    if (child.action === 'APPROVE_ALL_FEATURES') child.state = 'ACCEPTED';
  }
  delete org.enableAllFeaturesHandshakeId;
}

function accept(ctx: Context, handshake: HandshakeRecord): void {
  const org = ctx.state.organization;
  if (!org || org.id !== handshake.organizationId) {
    fail('InvalidHandshakeTransitionException', `The organization ${handshake.organizationId} of handshake ${handshake.id} no longer exists.`);
  }
  const parent = handshake.parentId ? ctx.state.handshakes[handshake.parentId] : handshake;
  const finalizing = handshake.action === 'APPROVE_ALL_FEATURES' || (handshake.action === 'ENABLE_ALL_FEATURES' && !handshake.parentId);
  if (finalizing) {
    if (ctx.caller !== org.managementAccountId) fail('AccessDeniedException', `Only the management account ${org.managementAccountId} can finalize enabling all features.`);
    if (handshake.state === 'REQUESTED') {
      fail('InvalidHandshakeTransitionException', `Handshake ${handshake.id} waits for every invited member account to approve; it is not OPEN yet.`);
    }
    assertTransition(handshake, 'ACCEPTED', ['OPEN']);
    finalizeAllFeatures(ctx, org, parent);
    return;
  }
  if (!isRecipient(ctx.state, handshake, ctx.caller)) {
    fail('AccessDeniedException', `Account ${ctx.caller} is not the recipient of handshake ${handshake.id}.`);
  }
  assertTransition(handshake, 'ACCEPTED', ['OPEN']);
  if (handshake.action === 'INVITE') {
    const account = ctx.state.accounts[ctx.caller];
    if (account.membership) {
      handshakeConstraint('ALREADY_IN_AN_ORGANIZATION', `Account ${ctx.caller} is already a member of organization ${account.membership.organizationId}; it must leave it first.`);
    }
    handshake.state = 'ACCEPTED';
    joinOrganization(ctx, account, 'INVITED');
    applyTags(ctx, org, account.id, handshake.tags ?? []);
    return;
  }
  handshake.state = 'ACCEPTED';
  const pending = childrenOf(ctx.state, parent.id).filter(h => h.action === 'ENABLE_ALL_FEATURES' && h.state !== 'ACCEPTED');
  if (pending.length === 0 && parent.state === 'REQUESTED') allApproved(ctx, org, parent);
}

/** Expires a handshake whose time is up. */
export function expireHandshake(ctx: Context, handshake: HandshakeRecord): void {
  handshake.state = 'EXPIRED';
  const org = ctx.state.organization;
  if (org?.enableAllFeaturesHandshakeId === handshake.id) delete org.enableAllFeaturesHandshakeId;
}

function filtered(handshakes: HandshakeRecord[], filter: Filter | undefined): HandshakeRecord[] {
  if (filter?.ActionType !== undefined && filter.ParentHandshakeId !== undefined) {
    invalidInput('MAX_LIMIT_EXCEEDED_FILTER', 'Specify either ActionType or ParentHandshakeId in Filter, not both.');
  }
  return handshakes
    .filter(h => filter?.ActionType === undefined || h.action === filter.ActionType)
    .filter(h => filter?.ParentHandshakeId === undefined || h.parentId === filter.ParentHandshakeId)
    .sort((a, b) => a.seq - b.seq);
}

const FILTER = { kind: 'struct', members: { ActionType: FIELDS.handshakeAction, ParentHandshakeId: FIELDS.handshakeId } } as const;

export const handshakeOperations: Operations = {
  InviteAccountToOrganization: {
    access: 'management',
    mutating: true,
    input: {
      Target: req({ kind: 'struct', members: { Id: req(FIELDS.handshakePartyId), Type: req({ kind: 'enum', values: ['ACCOUNT', 'ORGANIZATION', 'EMAIL'] }) } }),
      Notes: FIELDS.handshakeNotes,
      Tags: TAGS,
    },
    run(ctx, input: { Target: HandshakeParty; Notes?: string; Tags?: Tag[] }) {
      const org = organizationOf(ctx);
      const { Id, Type } = input.Target;
      if (Type === 'ORGANIZATION') invalidInput('INVALID_PARTY_TYPE_TARGET', 'Invite an ACCOUNT (its id) or an EMAIL address, not an ORGANIZATION.');
      if (Type === 'ACCOUNT' && !PATTERNS.accountId.test(Id)) invalidInput('INVALID_PATTERN', `Target.Id ${JSON.stringify(Id)} is not a 12-digit account id.`);
      if (Type === 'EMAIL' && !PATTERNS.email.test(Id)) invalidInput('INVALID_EMAIL_ADDRESS_TARGET', `Target.Id ${JSON.stringify(Id)} is not a valid email address.`);
      const tags = input.Tags ?? [];
      checkTagKeys(tags.map(t => t.Key));
      if (org.enableAllFeaturesHandshakeId) {
        handshakeConstraint('INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES', `Organization ${org.id} is enabling all features; invitations resume once that is finalized.`);
      }
      const target = Type === 'ACCOUNT' ? ctx.state.accounts[Id] : Object.values(ctx.state.accounts).find(a => a.email.toLowerCase() === Id.toLowerCase());
      if (target?.membership?.organizationId === org.id) {
        handshakeConstraint('ALREADY_IN_AN_ORGANIZATION', `Account ${target.id} is already a member of organization ${org.id}.`);
      }
      const duplicate = Object.values(ctx.state.handshakes).find(h => h.organizationId === org.id && h.action === 'INVITE' && h.state === 'OPEN'
        && (h.recipient.Id.toLowerCase() === Id.toLowerCase() || (target !== undefined && isRecipient(ctx.state, h, target.id))));
      if (duplicate) fail('DuplicateHandshakeException', `Invitation ${duplicate.id} to ${Id} is still open; cancel it before inviting again.`);
      const counted = accountsCounted(ctx.state);
      if (counted >= ctx.quotas.values.maxAccounts) {
        handshakeConstraint('ACCOUNT_NUMBER_LIMIT_EXCEEDED', `The organization has ${counted} accounts and open invitations, its quota of ${ctx.quotas.values.maxAccounts}.`);
      }
      org.invitations = withinWindow(org.invitations, ctx.now, ctx.clock.duration(DAY_MS_SIMULATED));
      if (org.invitations.length >= ctx.quotas.invitationsPer24Hours()) {
        handshakeConstraint('HANDSHAKE_RATE_LIMIT_EXCEEDED', `${org.invitations.length} invitations were sent in the last 24 hours, the quota.`);
      }
      org.invitations.push(ctx.now);
      const party: HandshakeParty = { Id, Type };
      const handshake = newHandshake(ctx, org, {
        action: 'INVITE',
        state: 'OPEN',
        parties: [{ Id: org.id, Type: 'ORGANIZATION' }, party],
        resources: [
          organizationResource(ctx, org),
          { Type, Value: Id },
          ...(input.Notes !== undefined ? [{ Type: 'NOTES', Value: input.Notes }] : []),
        ],
        recipient: party,
        tags,
      }, ctx.quotas.values.invitationExpirySeconds);
      return { Handshake: handshakeShape(handshake) };
    },
  },

  AcceptHandshake: {
    access: 'any',
    mutating: true,
    input: { HandshakeId: req(FIELDS.handshakeId) },
    run(ctx, input: { HandshakeId: string }) {
      const handshake = visibleHandshake(ctx, input.HandshakeId);
      accept(ctx, handshake);
      return { Handshake: handshakeShape(handshake) };
    },
  },

  DeclineHandshake: {
    access: 'any',
    mutating: true,
    input: { HandshakeId: req(FIELDS.handshakeId) },
    run(ctx, input: { HandshakeId: string }) {
      const handshake = visibleHandshake(ctx, input.HandshakeId);
      if (!isRecipient(ctx.state, handshake, ctx.caller)) {
        fail('AccessDeniedException', `Account ${ctx.caller} is not the recipient of handshake ${handshake.id}; the sender cancels instead (CancelHandshake).`);
      }
      assertTransition(handshake, 'DECLINED', ['OPEN']);
      handshake.state = 'DECLINED';
      return { Handshake: handshakeShape(handshake) };
    },
  },

  CancelHandshake: {
    access: 'any',
    mutating: true,
    input: { HandshakeId: req(FIELDS.handshakeId) },
    run(ctx, input: { HandshakeId: string }) {
      const handshake = visibleHandshake(ctx, input.HandshakeId);
      if (ctx.caller !== handshake.managementAccountId) {
        fail('AccessDeniedException', `Only the account that sent handshake ${handshake.id} (${handshake.managementAccountId}) can cancel it; the recipient declines instead.`);
      }
      assertTransition(handshake, 'CANCELED', OPEN_STATES);
      handshake.state = 'CANCELED';
      for (const child of childrenOf(ctx.state, handshake.id)) {
        if (OPEN_STATES.includes(child.state)) child.state = 'CANCELED';
      }
      const org = ctx.state.organization;
      if (org?.enableAllFeaturesHandshakeId === handshake.id) delete org.enableAllFeaturesHandshakeId;
      return { Handshake: handshakeShape(handshake) };
    },
  },

  DescribeHandshake: {
    access: 'any',
    mutating: false,
    input: { HandshakeId: req(FIELDS.handshakeId) },
    run(ctx, input: { HandshakeId: string }) {
      return { Handshake: handshakeShape(visibleHandshake(ctx, input.HandshakeId)) };
    },
  },

  ListHandshakesForAccount: {
    access: 'any',
    mutating: false,
    input: { Filter: FILTER, ...PAGE },
    run(ctx, input: PageInput & { Filter?: Filter }) {
      const mine = Object.values(ctx.state.handshakes).filter(h => isRecipient(ctx.state, h, ctx.caller));
      const page = paginate('ListHandshakesForAccount', filtered(mine, input.Filter), h => seqKey(h.seq), input);
      return { Handshakes: page.items.map(handshakeShape), NextToken: page.nextToken };
    },
  },

  ListHandshakesForOrganization: {
    access: 'read',
    mutating: false,
    input: { Filter: FILTER, ...PAGE },
    run(ctx, input: PageInput & { Filter?: Filter }) {
      const org = organizationOf(ctx);
      const ours = Object.values(ctx.state.handshakes).filter(h => h.organizationId === org.id);
      const page = paginate('ListHandshakesForOrganization', filtered(ours, input.Filter), h => seqKey(h.seq), input);
      return { Handshakes: page.items.map(handshakeShape), NextToken: page.nextToken };
    },
  },

  EnableAllFeatures: {
    access: 'management',
    mutating: true,
    input: {},
    run(ctx) {
      const org = organizationOf(ctx);
      if (org.featureSet === 'ALL') handshakeConstraint('ORGANIZATION_ALREADY_HAS_ALL_FEATURES', `Organization ${org.id} already has all features.`);
      if (org.enableAllFeaturesHandshakeId) {
        handshakeConstraint('ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION',
          `Organization ${org.id} is already enabling all features: handshake ${org.enableAllFeaturesHandshakeId}.`);
      }
      const lifetime = ctx.quotas.values.enableAllFeaturesExpirySeconds;
      const invited = memberAccounts(ctx.state).filter(a => a.membership!.joinedMethod === 'INVITED' && a.id !== org.managementAccountId);
      const parent = newHandshake(ctx, org, {
        action: 'ENABLE_ALL_FEATURES',
        state: 'REQUESTED',
        parties: [{ Id: org.id, Type: 'ORGANIZATION' }],
        resources: [{ Type: 'ORGANIZATION', Value: org.id }],
        recipient: { Id: org.id, Type: 'ORGANIZATION' },
      }, lifetime);
      for (const account of invited) {
        newHandshake(ctx, org, {
          action: 'ENABLE_ALL_FEATURES',
          state: 'OPEN',
          parties: [{ Id: org.id, Type: 'ORGANIZATION' }, { Id: account.id, Type: 'ACCOUNT' }],
          resources: [{ Type: 'ORGANIZATION', Value: org.id }, { Type: 'PARENT_HANDSHAKE', Value: parent.id }],
          recipient: { Id: account.id, Type: 'ACCOUNT' },
          parentId: parent.id,
        }, lifetime);
      }
      org.enableAllFeaturesHandshakeId = parent.id;
      if (invited.length === 0) allApproved(ctx, org, parent);
      return { Handshake: handshakeShape(parent) };
    },
  },
};
