/**
 * What every operation module shares: the context an operation runs in, how an operation is
 * declared, the response shapes of the API's structures, and the look-ups of the organization tree.
 */
import { Clock } from '../clock';
import { fail } from '../errors';
import { ResolvedQuotas, PolicyTypeName } from '../quotas';
import {
  AccountRecord,
  arns,
  EmulatorState,
  HandshakeRecord,
  Ids,
  OrganizationRecord,
  PolicyRecord,
} from '../state';
import { Shape } from '../validation';

/** Simulated durations of the asynchronous processes. */
export interface Timings {
  /** CreateAccount: IN_PROGRESS for this long. */
  readonly accountCreationSeconds: number;
  /** CloseAccount: PENDING_CLOSURE for this long, then SUSPENDED. */
  readonly accountClosureSeconds: number;
  /** EnablePolicyType / DisablePolicyType: PENDING_ENABLE / PENDING_DISABLE for this long. */
  readonly policyTypeChangeSeconds: number;
}

export interface Context {
  readonly state: EmulatorState;
  readonly ids: Ids;
  /** The calling account's id. */
  readonly caller: string;
  readonly now: number;
  readonly clock: Clock;
  readonly quotas: ResolvedQuotas;
  readonly timings: Timings;
}

/**
 * Who may call: `any` account (the operation decides), a `member` of the organization, its
 * management account or a delegated administrator (`read`), or the `management` account only.
 */
export type Access = 'any' | 'member' | 'read' | 'management';

export interface Operation {
  readonly access: Access;
  readonly input: Shape;
  /** Mutating operations run on a copy of the state that replaces it only on success. */
  readonly mutating: boolean;
  run(ctx: Context, input: any): object | void;
}

export type Operations = Readonly<Record<string, Operation>>;

/** Timestamps in JSON 1.1 responses are epoch seconds. */
export const epochSeconds = (ms: number): number => ms / 1000;

export const NOT_IN_USE = 'Your account is not a member of an organization.';

/** The caller's organization; the dispatcher has checked that the caller belongs to it. */
export function organizationOf(ctx: Context): OrganizationRecord {
  return ctx.state.organization ?? fail('AWSOrganizationsNotInUseException', NOT_IN_USE);
}

/** The account `accountId` when it belongs to the organization, else AccountNotFoundException. */
export function memberAccount(ctx: Context, accountId: string): AccountRecord {
  const org = organizationOf(ctx);
  const account = ctx.state.accounts[accountId];
  if (!account || account.membership?.organizationId !== org.id) {
    fail('AccountNotFoundException', `Account ${accountId} is not a member of organization ${org.id}.`);
  }
  return account;
}

export function isDelegatedAdministrator(org: OrganizationRecord, accountId: string): boolean {
  return org.delegatedAdministrators.some(d => d.accountId === accountId);
}

/** Organizations' Status of an account (the older field) from its lifecycle state. */
function accountStatus(account: AccountRecord): string {
  return account.state === 'CLOSED' ? 'SUSPENDED' : account.state;
}

export function accountShape(org: OrganizationRecord, account: AccountRecord): object {
  return {
    Id: account.id,
    Arn: arns.account(org, account.id),
    Email: account.email,
    Name: account.name,
    Status: accountStatus(account),
    State: account.state,
    JoinedMethod: account.membership?.joinedMethod,
    JoinedTimestamp: account.membership ? epochSeconds(account.membership.joinedAt) : undefined,
  };
}

export function rootShape(org: OrganizationRecord): object {
  return {
    Id: org.root.id,
    Arn: arns.root(org),
    Name: org.root.name,
    PolicyTypes: Object.entries(org.root.policyTypes).map(([type, value]) => ({ Type: type, Status: value!.status })),
  };
}

export function ouShape(org: OrganizationRecord, ouId: string): object {
  const ou = org.ous[ouId];
  return { Id: ou.id, Arn: arns.ou(org, ou.id), Name: ou.name };
}

export function policySummaryShape(org: OrganizationRecord, policy: PolicyRecord): object {
  return {
    Id: policy.id,
    Arn: arns.policy(org, policy),
    Name: policy.name,
    Description: policy.description,
    Type: policy.type,
    AwsManaged: policy.awsManaged,
  };
}

export function handshakeShape(handshake: HandshakeRecord): object {
  return {
    Id: handshake.id,
    Arn: arns.handshake(handshake),
    Parties: handshake.parties,
    State: handshake.state,
    RequestedTimestamp: epochSeconds(handshake.requestedAt),
    ExpirationTimestamp: epochSeconds(handshake.expiresAt),
    Action: handshake.action,
    Resources: handshake.resources,
  };
}

export type TargetType = 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';

export interface Target {
  readonly id: string;
  readonly type: TargetType;
  readonly name: string;
  readonly arn: string;
}

/** The root, OU or member account `id`, or undefined. */
export function findTarget(state: EmulatorState, id: string): Target | undefined {
  const org = state.organization;
  if (!org) return undefined;
  if (id === org.root.id) return { id, type: 'ROOT', name: org.root.name, arn: arns.root(org) };
  const ou = org.ous[id];
  if (ou) return { id, type: 'ORGANIZATIONAL_UNIT', name: ou.name, arn: arns.ou(org, id) };
  const account = state.accounts[id];
  if (account && account.membership?.organizationId === org.id) return { id, type: 'ACCOUNT', name: account.name, arn: arns.account(org, id) };
  return undefined;
}

/** True when `id` is the root or an OU of the organization. */
export function isContainer(org: OrganizationRecord, id: string): boolean {
  return id === org.root.id || !!org.ous[id];
}

/** Levels of OUs from the root down to `ouId` (an OU directly under the root is at depth 1). */
export function ouDepth(org: OrganizationRecord, ouId: string): number {
  let depth = 0;
  for (let id = ouId; id !== org.root.id; id = org.ous[id].parentId) depth++;
  return depth;
}

/** The ids of the root or OUs above `targetId`, nearest last: the inheritance path, root first. */
export function ancestry(state: EmulatorState, targetId: string): string[] {
  const org = state.organization!;
  const path: string[] = [];
  let parent = org.ous[targetId]?.parentId ?? state.accounts[targetId]?.membership?.parentId;
  while (parent) {
    path.unshift(parent);
    parent = org.ous[parent]?.parentId;
  }
  return path;
}

export function typeEnabled(org: OrganizationRecord, type: PolicyTypeName): boolean {
  return org.root.policyTypes[type]?.status === 'ENABLED';
}

/** The AWS-managed policy attached to every root, OU and account while its type is enabled. */
export const DEFAULT_POLICY: Partial<Record<PolicyTypeName, string>> = {
  SERVICE_CONTROL_POLICY: 'p-FullAWSAccess',
  RESOURCE_CONTROL_POLICY: 'p-RCPFullAWSAccess',
};

export function attach(org: OrganizationRecord, policyId: string, targetId: string): void {
  const targets = org.attachments[policyId] ?? (org.attachments[policyId] = []);
  if (!targets.includes(targetId)) targets.push(targetId);
}

/** Policies of `type` attached directly to `targetId`. */
export function attachedPolicies(org: OrganizationRecord, targetId: string, type?: PolicyTypeName): PolicyRecord[] {
  return Object.entries(org.attachments)
    .filter(([, targets]) => targets.includes(targetId))
    .map(([policyId]) => org.policies[policyId])
    .filter(policy => policy && (type === undefined || policy.type === type))
    .sort((a, b) => a.seq - b.seq);
}

/** What AWS does for a new root, OU or account: the default policies of the enabled types are attached. */
export function attachDefaults(org: OrganizationRecord, targetId: string): void {
  for (const [type, policyId] of Object.entries(DEFAULT_POLICY)) {
    if (typeEnabled(org, type as PolicyTypeName)) attach(org, policyId!, targetId);
  }
}

/** Removes every trace of `targetId` in the organization: attachments and tags. */
export function forgetTarget(org: OrganizationRecord, targetId: string): void {
  for (const [policyId, targets] of Object.entries(org.attachments)) {
    org.attachments[policyId] = targets.filter(t => t !== targetId);
  }
  delete org.tags[targetId];
}

/** The account joins the organization under its root. */
export function joinOrganization(ctx: Context, account: AccountRecord, joinedMethod: 'INVITED' | 'CREATED'): void {
  const org = organizationOf(ctx);
  account.membership = { organizationId: org.id, joinedMethod, joinedAt: ctx.now, seq: ctx.ids.next(), parentId: org.root.id };
  attachDefaults(org, account.id);
}

/** The account leaves the organization and becomes standalone. */
export function leaveOrganization(org: OrganizationRecord, account: AccountRecord): void {
  forgetTarget(org, account.id);
  org.delegatedAdministrators = org.delegatedAdministrators.filter(d => d.accountId !== account.id);
  delete account.membership;
}

/** Refuses to remove `account` (RemoveAccountFromOrganization, LeaveOrganization) when AWS would. */
export function assertCanLeave(ctx: Context, account: AccountRecord): void {
  const org = organizationOf(ctx);
  if (account.id === org.managementAccountId) {
    fail('MasterCannotLeaveOrganizationException', `Account ${account.id} is the management account of ${org.id}: it cannot leave; delete the organization instead.`);
  }
  if (isDelegatedAdministrator(org, account.id)) {
    fail('ConstraintViolationException', `Account ${account.id} is a delegated administrator; deregister it before removing it from the organization.`,
      'CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG');
  }
  const wait = ctx.clock.duration(ctx.quotas.values.accountRemovalWaitSeconds);
  if (account.membership?.joinedMethod === 'CREATED' && ctx.now - account.createdAt < wait) {
    fail('ConstraintViolationException', `Account ${account.id} was created by the organization ${((ctx.now - account.createdAt) / 1000).toFixed(1)} s ago; `
      + `a created account can be removed only ${ctx.quotas.values.accountRemovalWaitSeconds} simulated seconds after its creation.`, 'WAIT_PERIOD_ACTIVE');
  }
}

/** Keeps an epoch-ms log to the entries of the last `windowMs`. */
export function withinWindow(log: number[], now: number, windowMs: number): number[] {
  return log.filter(at => now - at < windowMs);
}
