/**
 * `snapshot`: the whole live organization, read with read-only calls, as an emulator state file.
 * An emulator started on the file answers the read calls as the organization did: the same ids,
 * names, emails, states, timestamps, tags, policy contents, attachments (in attach order),
 * enabled policy types, trusted access, delegated administrators, the resource-based delegation
 * policy and list orders (each list's order is kept as the emulator's sequence numbers). What the API does not show (when an account
 * was created, when a policy changed, pending closures' due dates) is derived from what it shows,
 * deterministically, so that snapshot → emulator → snapshot gives the same file.
 */
import { GetAccountInformationCommand } from '@aws-sdk/client-account';
import {
  Account,
  DelegatedAdministrator,
  DelegatedService,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  DescribeResourcePolicyCommand,
  DescribeResourcePolicyCommandOutput,
  EnabledServicePrincipal,
  Handshake,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListCreateAccountStatusCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  ListHandshakesForOrganizationCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationalUnit,
  PolicySummary,
  PolicyTargetSummary,
  PolicyTypeSummary,
  Root,
  Tag,
  CreateAccountStatus,
} from '@aws-sdk/client-organizations';
import { LiveClients } from './clients';
import { explainAccessError, LiveInputError } from './errors';
import { Pacing, Reader } from './reader';
import { POLICY_TYPES, PolicyTypeName } from '../emulator/quotas';
import type {
  AccountLifecycle,
  AccountRecord,
  CreateAccountRequestRecord,
  EmulatorState,
  HandshakeRecord,
  OrganizationRecord,
  PolicyRecord,
  Tag as StateTag,
} from '../emulator/state';
import { checkState, Store } from '../emulator/state-file';

export interface SnapshotProgress {
  /** What is being read: 'organization', 'accounts', 'ous', 'policies', 'tags', 'delegation'. */
  readonly phase: string;
  readonly done: number;
  /** Known once the phase knows how much it reads. */
  readonly total?: number;
  /** Calls sent so far. */
  readonly calls: number;
}

export interface SnapshotOptions {
  /** Called as the snapshot goes. */
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Pacing of the calls; false for none (an emulator with throttling off). @default documented rates */
  readonly pacing?: Pacing | false;
  /** Calls in flight at once. @default 4 */
  readonly concurrency?: number;
  /**
   * Check that the caller is the management account first (a delegated administrator can read
   * most of it, but deploys run in the management account). @default true
   */
  readonly requireManagementAccount?: boolean;
  /** An account in no organization gives a state with that account only (for a plan whose app creates the organization). @default false */
  readonly allowNoOrganization?: boolean;
}

export interface Snapshot {
  /** The organization, as an emulator state (no stacks). */
  readonly state: EmulatorState;
  /** Read calls sent, by operation. */
  readonly calls: Readonly<Record<string, number>>;
  readonly callCount: number;
  /** SDK attempts in all (throttled calls retried count more than once). */
  readonly attempts: number;
  readonly elapsedMs: number;
  /** What the snapshot could not read or keep. */
  readonly notes: readonly string[];
}

/** Seed of the ids a snapshot's emulator hands out for what is created later. */
export const SNAPSHOT_SEED = 1;
/** A creation request still in progress is frozen: the emulator never completes it. */
const FROZEN = Number.MAX_SAFE_INTEGER;

const ms = (date: Date | undefined): number => (date ? date.getTime() : 0);

/** Runs `work` over `items`, `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The calling account, and its organization (as DescribeOrganization answers) when it has one. */
export interface Caller {
  readonly callerId: string;
  readonly callerName: string;
  readonly createdAt: number;
  readonly organization?: any;
}

/**
 * Who calls, and whether that is the organization's management account: the caller's own account
 * (Account Management's GetAccountInformation without AccountId) against DescribeOrganization.
 * With `allowNoOrganization`, an account in no organization is answered with no organization (a
 * plan whose app creates it).
 */
export async function checkManagementAccount(clients: LiveClients, reader: Reader, allowNoOrganization = false): Promise<Caller> {
  try {
    const me = await reader.send<any>(clients.probe.account, new GetAccountInformationCommand({}));
    let organization: any;
    try {
      organization = (await reader.send<any>(clients.probe.organizations, new DescribeOrganizationCommand({}))).Organization;
    } catch (error) {
      if (allowNoOrganization && (error as Error).name === 'AWSOrganizationsNotInUseException') {
        return { callerId: me.AccountId, callerName: me.AccountName ?? '', createdAt: ms(me.AccountCreatedDate) };
      }
      throw error;
    }
    if (me.AccountId !== organization.MasterAccountId) {
      throw new LiveInputError(`The caller's account ${me.AccountId} is not the management account of ${organization.Id} (${organization.MasterAccountId}): `
        + 'use the management account\'s credentials (--profile), where the stacks of this library are deployed.');
    }
    return { callerId: me.AccountId, callerName: me.AccountName ?? '', createdAt: ms(me.AccountCreatedDate), organization };
  } catch (error) {
    throw explainAccessError(error, { profile: clients.options.profile, endpoint: clients.options.endpoint }) ?? error;
  }
}

/** Reads the whole organization. Throws {@link LiveInputError} for bad input. */
export async function takeSnapshot(clients: LiveClients, options: SnapshotOptions = {}): Promise<Snapshot> {
  const started = Date.now();
  const reader = new Reader(options.pacing ?? {});
  const org = clients.organizations;
  const limit = options.concurrency ?? 4;
  const notes: string[] = [];
  const progress = (phase: string, done: number, total?: number) => options.onProgress?.({ phase, done, total, calls: reader.callCount });

  progress('organization', 0);
  let organization: any;
  let managementCreatedAt: number | undefined;
  if (options.requireManagementAccount ?? true) {
    const checked = await checkManagementAccount(clients, reader, options.allowNoOrganization);
    if (!checked.organization) {
      const id = checked.callerId;
      const state: EmulatorState = {
        version: 1,
        seed: SNAPSHOT_SEED,
        sequence: 1,
        managementAccountId: id,
        handshakes: {},
        stacks: {},
        // The API shows no email of an account outside an organization.
        accounts: { [id]: { id, email: `management-${id}@example.com`, name: checked.callerName || 'Management Account', createdAt: checked.createdAt, seq: 1, state: 'ACTIVE' } },
      };
      return { state, calls: Object.fromEntries(reader.calls), callCount: reader.callCount, attempts: reader.attempts, elapsedMs: Date.now() - started, notes: ['the caller\'s account is in no organization'] };
    }
    organization = checked.organization;
    managementCreatedAt = checked.createdAt;
  } else {
    try {
      organization = (await reader.send<any>(clients.probe.organizations, new DescribeOrganizationCommand({}))).Organization;
    } catch (error) {
      throw explainAccessError(error, { profile: clients.options.profile, endpoint: clients.options.endpoint }) ?? error;
    }
  }
  const roots = await reader.pages<Root>(org, NextToken => new ListRootsCommand({ NextToken }), 'Roots');
  if (roots.length !== 1) throw new Error(`ListRoots answered ${roots.length} roots; an organization has one`);
  const root = roots[0];

  let sequence = 0;
  const next = () => ++sequence;
  const rootSeq = next();

  progress('accounts', 0);
  const accounts = await reader.pages<Account>(org, NextToken => new ListAccountsCommand({ NextToken, MaxResults: 20 }), 'Accounts');
  const management = accounts.find(a => a.Id === organization.MasterAccountId);
  const orgCreatedAt = ms(management?.JoinedTimestamp);
  const accountSeq = new Map(accounts.map(a => [a.Id!, next()]));

  // The OU tree, breadth first; each parent's children in the order listed.
  progress('ous', 0);
  const ous: Array<{ ou: OrganizationalUnit; parentId: string; seq: number }> = [];
  const parentOf = new Map<string, string>();
  let level = [root.Id!];
  while (level.length > 0) {
    const children = await mapLimit(level, limit, parentId =>
      reader.pages<OrganizationalUnit>(org, NextToken => new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken, MaxResults: 20 }), 'OrganizationalUnits'));
    const nextLevel: string[] = [];
    level.forEach((parentId, i) => {
      for (const ou of children[i]) {
        ous.push({ ou, parentId, seq: next() });
        nextLevel.push(ou.Id!);
      }
    });
    level = nextLevel;
    progress('ous', ous.length);
  }
  const containers = [root.Id!, ...ous.map(o => o.ou.Id!)];
  let listed = 0;
  await mapLimit(containers, limit, async parentId => {
    const children = await reader.pages<Account>(org, NextToken => new ListAccountsForParentCommand({ ParentId: parentId, NextToken, MaxResults: 20 }), 'Accounts');
    for (const account of children) parentOf.set(account.Id!, parentId);
    progress('accounts', (listed += children.length), accounts.length);
  });

  // Policies of every type, with their content and targets.
  progress('policies', 0);
  const summaries: PolicySummary[] = [];
  for (const type of POLICY_TYPES) {
    try {
      summaries.push(...await reader.pages<PolicySummary>(org, NextToken => new ListPoliciesCommand({ Filter: type, NextToken, MaxResults: 20 }), 'Policies'));
    } catch (error) {
      // A type this partition does not have yet.
      if ((error as Error).name !== 'InvalidInputException') throw error;
      notes.push(`policy type ${type} is not available here (${(error as Error).message})`);
    }
  }
  let policiesDone = 0;
  const policies = await mapLimit(summaries, limit, async summary => {
    const described = await reader.send<any>(org, new DescribePolicyCommand({ PolicyId: summary.Id! }));
    const targets = await reader.pages<PolicyTargetSummary>(org, NextToken => new ListTargetsForPolicyCommand({ PolicyId: summary.Id!, NextToken, MaxResults: 20 }), 'Targets');
    progress('policies', ++policiesDone, summaries.length);
    return { summary, content: described.Policy?.Content ?? '', targets: targets.map(t => t.TargetId!) };
  });
  const policySeq = new Map(summaries.map(s => [s.Id!, next()]));

  // The resource-based delegation policy, if the organization has one.
  let resourcePolicy: { id: string; content: string } | undefined;
  try {
    const described = await reader.send<DescribeResourcePolicyCommandOutput>(org, new DescribeResourcePolicyCommand({}));
    const id = described.ResourcePolicy?.ResourcePolicySummary?.Id;
    if (id) resourcePolicy = { id, content: described.ResourcePolicy?.Content ?? '' };
  } catch (error) {
    if ((error as Error).name !== 'ResourcePolicyNotFoundException') throw error;
  }

  // Tags of the root, every OU, every account, every customer managed policy and the resource policy.
  const taggable = [root.Id!, ...ous.map(o => o.ou.Id!), ...accounts.map(a => a.Id!), ...summaries.filter(s => !s.AwsManaged).map(s => s.Id!),
    ...resourcePolicy ? [resourcePolicy.id] : []];
  let tagged = 0;
  const tagLists = await mapLimit(taggable, limit, async id => {
    const tags = await reader.pages<Tag>(org, NextToken => new ListTagsForResourceCommand({ ResourceId: id, NextToken }), 'Tags');
    progress('tags', ++tagged, taggable.length);
    return tags;
  });

  progress('delegation', 0);
  const services = await reader.pages<EnabledServicePrincipal>(org, NextToken => new ListAWSServiceAccessForOrganizationCommand({ NextToken, MaxResults: 20 }), 'EnabledServicePrincipals');
  const admins = await reader.pages<DelegatedAdministrator>(org, NextToken => new ListDelegatedAdministratorsCommand({ NextToken, MaxResults: 20 }), 'DelegatedAdministrators');
  const delegated = await mapLimit(admins, limit, admin =>
    reader.pages<DelegatedService>(org, NextToken => new ListDelegatedServicesForAccountCommand({ AccountId: admin.Id!, NextToken, MaxResults: 20 }), 'DelegatedServices'));
  const requests = await reader.pages<CreateAccountStatus>(org, NextToken => new ListCreateAccountStatusCommand({ NextToken, MaxResults: 20 }), 'CreateAccountStatuses');
  const handshakes = await reader.pages<Handshake>(org, NextToken => new ListHandshakesForOrganizationCommand({ NextToken, MaxResults: 20 }), 'Handshakes');

  // The state, in the order the lists gave.
  const organizationId: string = organization.Id;
  const tagsOf: Record<string, StateTag[]> = {};
  taggable.forEach((id, i) => {
    if (tagLists[i].length > 0) tagsOf[id] = tagLists[i].map(t => ({ Key: t.Key!, Value: t.Value! }));
  });
  const accountRecords: Record<string, AccountRecord> = {};
  for (const a of accounts) {
    const joinedAt = ms(a.JoinedTimestamp);
    const createdAt = a.Id === organization.MasterAccountId && managementCreatedAt !== undefined ? managementCreatedAt : joinedAt;
    const seq = accountSeq.get(a.Id!)!;
    const parentId = parentOf.get(a.Id!);
    if (!parentId) notes.push(`account ${a.Id} was listed but found under no root or OU (it moved during the snapshot?): kept under the root`);
    accountRecords[a.Id!] = {
      id: a.Id!,
      email: a.Email!,
      name: a.Name!,
      createdAt,
      seq,
      state: lifecycleOf(a),
      membership: { organizationId, joinedMethod: a.JoinedMethod === 'CREATED' ? 'CREATED' : 'INVITED', joinedAt, seq, parentId: parentId ?? root.Id! },
    };
  }
  const policyRecords: Record<string, PolicyRecord> = {};
  const attachments: Record<string, string[]> = {};
  for (const { summary, content, targets } of policies) {
    policyRecords[summary.Id!] = {
      id: summary.Id!,
      name: summary.Name!,
      description: summary.Description ?? '',
      type: summary.Type as PolicyTypeName,
      content,
      awsManaged: summary.AwsManaged === true,
      seq: policySeq.get(summary.Id!)!,
      updatedAt: orgCreatedAt,
    };
    attachments[summary.Id!] = targets;
  }
  const delegatedAdministrators: OrganizationRecord['delegatedAdministrators'] = [];
  admins.forEach((admin, i) => {
    for (const service of delegated[i]) {
      const since = ms(service.DelegationEnabledDate);
      delegatedAdministrators.push({ accountId: admin.Id!, servicePrincipal: service.ServicePrincipal!, since, seq: next() });
    }
  });
  const servicesRecord: OrganizationRecord['services'] = {};
  for (const s of services) servicesRecord[s.ServicePrincipal!] = { enabledAt: ms(s.DateEnabled), seq: next() };
  const createAccountRequests: Record<string, CreateAccountRequestRecord> = {};
  for (const r of requests) {
    createAccountRequests[r.Id!] = {
      id: r.Id!,
      accountName: r.AccountName ?? '',
      // Not shown by the API; never returned by a read either.
      email: `unknown+${r.Id}@snapshot.example.com`,
      roleName: 'OrganizationAccountAccessRole',
      iamUserAccessToBilling: 'ALLOW',
      tags: [],
      requestedAt: ms(r.RequestedTimestamp),
      seq: next(),
      dueAt: r.State === 'IN_PROGRESS' ? FROZEN : ms(r.CompletedTimestamp ?? r.RequestedTimestamp),
      state: r.State as CreateAccountRequestRecord['state'],
      ...(r.CompletedTimestamp ? { completedAt: ms(r.CompletedTimestamp) } : {}),
      ...(r.AccountId ? { accountId: r.AccountId } : {}),
      ...(r.FailureReason ? { failureReason: r.FailureReason } : {}),
    };
  }
  const handshakeRecords: Record<string, HandshakeRecord> = {};
  for (const h of handshakes) {
    const parties = (h.Parties ?? []).map(p => ({ Id: p.Id!, Type: p.Type as 'ACCOUNT' | 'ORGANIZATION' | 'EMAIL' }));
    const recipient = h.Action === 'INVITE'
      ? parties.find(p => p.Type !== 'ORGANIZATION')
      : parties.find(p => p.Type === 'ACCOUNT') ?? parties.find(p => p.Type === 'ORGANIZATION');
    handshakeRecords[h.Id!] = {
      id: h.Id!,
      organizationId,
      managementAccountId: organization.MasterAccountId,
      action: h.Action as HandshakeRecord['action'],
      state: h.State as HandshakeRecord['state'],
      requestedAt: ms(h.RequestedTimestamp),
      expiresAt: ms(h.ExpirationTimestamp),
      seq: next(),
      parties,
      resources: (h.Resources ?? []) as HandshakeRecord['resources'],
      recipient: recipient ?? { Id: organizationId, Type: 'ORGANIZATION' },
    };
  }
  const policyTypes: OrganizationRecord['root']['policyTypes'] = {};
  for (const t of (root.PolicyTypes ?? []) as PolicyTypeSummary[]) {
    policyTypes[t.Type as PolicyTypeName] = { status: t.Status as 'ENABLED' | 'PENDING_ENABLE' | 'PENDING_DISABLE' };
  }
  const state: EmulatorState = {
    version: 1,
    seed: SNAPSHOT_SEED,
    sequence,
    managementAccountId: organization.MasterAccountId,
    accounts: accountRecords,
    organization: {
      id: organizationId,
      featureSet: organization.FeatureSet,
      managementAccountId: organization.MasterAccountId,
      createdAt: orgCreatedAt,
      root: { id: root.Id!, name: root.Name!, seq: rootSeq, policyTypes },
      ous: Object.fromEntries(ous.map(({ ou, parentId, seq }) => [ou.Id!, { id: ou.Id!, name: ou.Name!, parentId, seq }])),
      policies: policyRecords,
      attachments,
      tags: tagsOf,
      services: servicesRecord,
      delegatedAdministrators,
      createAccountRequests,
      // Closures are not shown by the API: accounts closed in the last 30 days are those still closing.
      closures: Object.values(accountRecords).filter(a => a.state === 'PENDING_CLOSURE' || a.state === 'SUSPENDED').map(() => orgCreatedAt),
      invitations: [],
      ...resourcePolicy ? { resourcePolicy } : {},
    },
    handshakes: handshakeRecords,
    stacks: {},
  };
  // The emulator must be able to load it: a failure here is a bug of the snapshot, not bad input.
  checkState(JSON.parse(JSON.stringify(state)));
  progress('done', reader.callCount, reader.callCount);
  return {
    state,
    calls: Object.fromEntries(reader.calls),
    callCount: reader.callCount,
    attempts: reader.attempts,
    elapsedMs: Date.now() - started,
    notes,
  };
}

function lifecycleOf(account: Account): AccountLifecycle {
  const state = account.State as string | undefined;
  if (state === 'ACTIVE' || state === 'PENDING_CLOSURE' || state === 'SUSPENDED' || state === 'CLOSED') return state;
  return account.Status === 'PENDING_CLOSURE' ? 'PENDING_CLOSURE' : account.Status === 'SUSPENDED' ? 'SUSPENDED' : 'ACTIVE';
}

/** Writes the snapshot as an emulator state file, atomically (through the emulator's own writer). */
export function writeSnapshot(file: string, state: EmulatorState): void {
  const store = new Store(state, file);
  store.prepare();
  store.save();
}
