/**
 * The emulator's whole state, as plain JSON (it is what `state()` dumps and `stateFile` holds),
 * the ids it hands out (deterministic from the seed) and the look-ups every operation shares.
 */
import { createHash } from 'crypto';
import { PolicyTypeName } from './quotas';

export type AccountLifecycle = 'ACTIVE' | 'PENDING_CLOSURE' | 'SUSPENDED' | 'CLOSED';
export type JoinedMethod = 'INVITED' | 'CREATED';
export type FeatureSet = 'ALL' | 'CONSOLIDATED_BILLING';
export type PolicyTypeStatus = 'ENABLED' | 'PENDING_ENABLE' | 'PENDING_DISABLE';
export type HandshakeState = 'REQUESTED' | 'OPEN' | 'CANCELED' | 'ACCEPTED' | 'DECLINED' | 'EXPIRED';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** An AWS account the emulator knows: the management account, members, and standalone (external) accounts. */
export interface AccountRecord {
  readonly id: string;
  email: string;
  name: string;
  readonly createdAt: number;
  readonly seq: number;
  state: AccountLifecycle;
  /** When CloseAccount was accepted. */
  closedAt?: number;
  /** When a PENDING_CLOSURE account becomes SUSPENDED, then when a SUSPENDED one is CLOSED for good. */
  dueAt?: number;
  /** Set while the account belongs to the organization. */
  membership?: Membership;
}

export interface Membership {
  readonly organizationId: string;
  readonly joinedMethod: JoinedMethod;
  readonly joinedAt: number;
  readonly seq: number;
  parentId: string;
}

export interface RootRecord {
  readonly id: string;
  readonly name: string;
  readonly seq: number;
  /** Policy types enabled (or being enabled or disabled) in the root; `dueAt` ends a PENDING status. */
  policyTypes: Partial<Record<PolicyTypeName, { status: PolicyTypeStatus; dueAt?: number }>>;
}

export interface OuRecord {
  readonly id: string;
  name: string;
  readonly parentId: string;
  readonly seq: number;
}

export interface PolicyRecord {
  readonly id: string;
  name: string;
  description: string;
  readonly type: PolicyTypeName;
  content: string;
  readonly awsManaged: boolean;
  readonly seq: number;
  updatedAt: number;
}

export interface DelegatedAdministratorRecord {
  readonly accountId: string;
  readonly servicePrincipal: string;
  readonly since: number;
  readonly seq: number;
}

export interface CreateAccountRequestRecord {
  readonly id: string;
  readonly accountName: string;
  readonly email: string;
  readonly roleName: string;
  readonly iamUserAccessToBilling: string;
  readonly tags: Tag[];
  readonly requestedAt: number;
  readonly seq: number;
  /** When the request completes (SUCCEEDED or FAILED). */
  readonly dueAt: number;
  /** A failure already known when the request was accepted (the same request is in progress). */
  readonly failWith?: string;
  state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  completedAt?: number;
  accountId?: string;
  failureReason?: string;
}

export interface OrganizationRecord {
  readonly id: string;
  featureSet: FeatureSet;
  readonly managementAccountId: string;
  readonly createdAt: number;
  readonly root: RootRecord;
  ous: Record<string, OuRecord>;
  policies: Record<string, PolicyRecord>;
  /** Targets (root, OU or account ids) of each policy, in attach order. */
  attachments: Record<string, string[]>;
  tags: Record<string, Tag[]>;
  /** Trusted access: service principal -> when enabled. */
  services: Record<string, { readonly enabledAt: number; readonly seq: number }>;
  delegatedAdministrators: DelegatedAdministratorRecord[];
  createAccountRequests: Record<string, CreateAccountRequestRecord>;
  /** When each CloseAccount was accepted (the rolling 30-day quota). */
  closures: number[];
  /** When each invitation was sent (the rolling 24-hour quota). */
  invitations: number[];
  /** The "enable all features" handshake in progress. */
  enableAllFeaturesHandshakeId?: string;
  /** The resource-based delegation policy, if one was put. */
  resourcePolicy?: { readonly id: string; content: string };
}

export interface HandshakeParty {
  readonly Id: string;
  readonly Type: 'ACCOUNT' | 'ORGANIZATION' | 'EMAIL';
}

export interface HandshakeResource {
  readonly Type: string;
  readonly Value: string;
  readonly Resources?: HandshakeResource[];
}

export interface HandshakeRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly managementAccountId: string;
  readonly action: 'INVITE' | 'ENABLE_ALL_FEATURES' | 'APPROVE_ALL_FEATURES';
  state: HandshakeState;
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly seq: number;
  readonly parties: HandshakeParty[];
  readonly resources: HandshakeResource[];
  /** Who must answer: an account id, an email address, or the organization's management account. */
  readonly recipient: HandshakeParty;
  readonly parentId?: string;
  /** Tags an invitation puts on the account when accepted. */
  readonly tags?: Tag[];
}

/** Everything the emulator knows, JSON-serialisable. */
export interface EmulatorState {
  readonly version: 1;
  readonly seed: number;
  /** The last sequence number handed out (ids and list order). */
  sequence: number;
  /** The default caller: the account that creates, or created, the organization. */
  readonly managementAccountId: string;
  accounts: Record<string, AccountRecord>;
  organization?: OrganizationRecord;
  handshakes: Record<string, HandshakeRecord>;
  /** Opaque documents of the local deployer, one per stack name. */
  stacks: Record<string, unknown>;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';

/** Deterministic pseudo-random characters: the same seed and sequence number give the same id. */
function characters(seed: number, kind: string, n: number, length: number, alphabet: string): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    const digest = createHash('sha256').update(`${seed}:${kind}:${n}:${block}`).digest();
    for (const byte of digest) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** Sequence numbers and ids, drawn from (and advancing) the state they belong to. */
export class Ids {
  constructor(private readonly state: EmulatorState) {}

  next(): number {
    this.state.sequence += 1;
    return this.state.sequence;
  }

  accountId(): string {
    for (;;) {
      const n = this.next();
      const id = characters(this.state.seed, 'account', n, 12, DIGITS);
      if (id[0] !== '0' && !this.state.accounts[id]) return id;
    }
  }

  organizationId(): string {
    return `o-${characters(this.state.seed, 'organization', this.next(), 10, LOWER_ALNUM)}`;
  }

  rootId(): string {
    return `r-${characters(this.state.seed, 'root', this.next(), 4, LOWER_ALNUM)}`;
  }

  ouId(rootId: string): string {
    return `ou-${rootId.slice(2)}-${characters(this.state.seed, 'ou', this.next(), 8, LOWER_ALNUM)}`;
  }

  policyId(): string {
    return `p-${characters(this.state.seed, 'policy', this.next(), 8, LOWER_ALNUM)}`;
  }

  resourcePolicyId(): string {
    return `rp-${characters(this.state.seed, 'resource-policy', this.next(), 8, LOWER_ALNUM)}`;
  }

  handshakeId(): string {
    return `h-${characters(this.state.seed, 'handshake', this.next(), 10, LOWER_ALNUM)}`;
  }

  createAccountRequestId(): string {
    return `car-${characters(this.state.seed, 'car', this.next(), 32, HEX)}`;
  }
}

/** A new state: one standalone account (the default caller), no organization yet. */
export function initialState(seed: number, now: number): EmulatorState {
  const state: EmulatorState = { version: 1, seed, sequence: 0, managementAccountId: '', accounts: {}, handshakes: {}, stacks: {} };
  const ids = new Ids(state);
  const id = ids.accountId();
  state.accounts[id] = { id, email: `management-${id}@example.com`, name: 'Management Account', createdAt: now, seq: ids.next(), state: 'ACTIVE' };
  return { ...state, managementAccountId: id };
}

// ARNs in the formats of "ARN Formats Supported by Organizations".
export const arns = {
  organization: (org: OrganizationRecord) => `arn:aws:organizations::${org.managementAccountId}:organization/${org.id}`,
  account: (org: OrganizationRecord, accountId: string) => `arn:aws:organizations::${org.managementAccountId}:account/${org.id}/${accountId}`,
  root: (org: OrganizationRecord) => `arn:aws:organizations::${org.managementAccountId}:root/${org.id}/${org.root.id}`,
  ou: (org: OrganizationRecord, ouId: string) => `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${ouId}`,
  policy: (org: OrganizationRecord, policy: PolicyRecord) => (policy.awsManaged
    ? `arn:aws:organizations::aws:policy/${policy.type.toLowerCase()}/${policy.id}`
    : `arn:aws:organizations::${org.managementAccountId}:policy/${org.id}/${policy.type.toLowerCase()}/${policy.id}`),
  handshake: (handshake: HandshakeRecord) =>
    `arn:aws:organizations::${handshake.managementAccountId}:handshake/${handshake.organizationId}/${handshake.action.toLowerCase()}/${handshake.id}`,
};

/** Accounts of the organization, in the order they joined. */
export function memberAccounts(state: EmulatorState): AccountRecord[] {
  const org = state.organization;
  if (!org) return [];
  return Object.values(state.accounts)
    .filter(a => a.membership?.organizationId === org.id)
    .sort((a, b) => a.membership!.seq - b.membership!.seq);
}

export function emailTaken(state: EmulatorState, email: string): AccountRecord | undefined {
  const wanted = email.toLowerCase();
  return Object.values(state.accounts).find(a => a.email.toLowerCase() === wanted);
}
