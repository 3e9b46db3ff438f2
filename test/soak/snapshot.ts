/**
 * The whole organization as the real AWS SDK reads it from the emulator: the root (its tags and
 * enabled policy types), OUs, member accounts (name, email, status, parent, tags), policies
 * (content, description, tags, targets, AWS-managed ones included), trusted access and delegated
 * administrators. Taken with the faults off: it is the observer, not the system under test.
 */
import {
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  PolicyType,
} from '@aws-sdk/client-organizations';
import { Tags } from './generator';

export const OWNERSHIP_PREFIX = 'cdk-organizations:';

export interface OuState {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
  readonly tags: Tags;
}

export interface AccountState {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly status: string;
  readonly parentId: string;
  readonly tags: Tags;
}

export interface PolicyState {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly description: string;
  readonly awsManaged: boolean;
  /** Minified, keys in document order (as stored). */
  readonly content: string;
  readonly tags: Tags;
  readonly targets: readonly string[];
}

export interface Snapshot {
  readonly rootId: string;
  readonly rootTags: Tags;
  /** Type → status. */
  readonly policyTypes: Readonly<Record<string, string>>;
  readonly trustedAccess: readonly string[];
  readonly ous: Readonly<Record<string, OuState>>;
  readonly accounts: Readonly<Record<string, AccountState>>;
  readonly policies: Readonly<Record<string, PolicyState>>;
  /** `<accountId> <servicePrincipal>`, sorted. */
  readonly delegatedAdmins: readonly string[];
}

const POLICY_TYPES: PolicyType[] = ['SERVICE_CONTROL_POLICY', 'TAG_POLICY', 'RESOURCE_CONTROL_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY'];

export function organizationsClient(endpoint: string): OrganizationsClient {
  return new OrganizationsClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' },
    maxAttempts: 10,
  });
}

/** Every page of a List call. */
async function all<T>(fetch: (token?: string) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    out.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return out;
}

async function tagsOf(client: OrganizationsClient, id: string): Promise<Tags> {
  const tags = await all(async token => {
    const r = await client.send(new ListTagsForResourceCommand({ ResourceId: id, NextToken: token }));
    return { items: r.Tags, next: r.NextToken };
  });
  return Object.fromEntries(tags.map(t => [t.Key!, t.Value!]).sort(([a], [b]) => a.localeCompare(b)));
}

export async function takeSnapshot(client: OrganizationsClient): Promise<Snapshot> {
  const root = (await client.send(new ListRootsCommand({}))).Roots![0];
  const policyTypes = Object.fromEntries((root.PolicyTypes ?? []).map(t => [t.Type!, t.Status!]));
  const ous: Record<string, OuState> = {};
  const accounts: Record<string, AccountState> = {};
  const queue = [root.Id!];
  while (queue.length > 0) {
    const parentId = queue.shift()!;
    const children = await all(async token => {
      const r = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: token }));
      return { items: r.OrganizationalUnits, next: r.NextToken };
    });
    for (const ou of children) {
      ous[ou.Id!] = { id: ou.Id!, name: ou.Name!, parentId, tags: await tagsOf(client, ou.Id!) };
      queue.push(ou.Id!);
    }
    const members = await all(async token => {
      const r = await client.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken: token }));
      return { items: r.Accounts, next: r.NextToken };
    });
    for (const a of members) {
      accounts[a.Id!] = { id: a.Id!, name: a.Name!, email: a.Email!, status: a.State ?? a.Status!, parentId, tags: await tagsOf(client, a.Id!) };
    }
  }
  const policies: Record<string, PolicyState> = {};
  for (const type of POLICY_TYPES) {
    const summaries = await all(async token => {
      const r = await client.send(new ListPoliciesCommand({ Filter: type, NextToken: token }));
      return { items: r.Policies, next: r.NextToken };
    });
    for (const s of summaries) {
      const described = (await client.send(new DescribePolicyCommand({ PolicyId: s.Id! }))).Policy!;
      const targets = await all(async token => {
        const r = await client.send(new ListTargetsForPolicyCommand({ PolicyId: s.Id!, NextToken: token }));
        return { items: r.Targets, next: r.NextToken };
      });
      policies[s.Id!] = {
        id: s.Id!,
        name: s.Name!,
        type,
        description: s.Description ?? '',
        awsManaged: s.AwsManaged ?? false,
        content: described.Content ?? '',
        tags: s.AwsManaged ? {} : await tagsOf(client, s.Id!),
        targets: targets.map(t => t.TargetId!).sort(),
      };
    }
  }
  const trustedAccess = (await all(async token => {
    const r = await client.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken: token }));
    return { items: r.EnabledServicePrincipals, next: r.NextToken };
  })).map(s => s.ServicePrincipal!).sort();
  const admins = await all(async token => {
    const r = await client.send(new ListDelegatedAdministratorsCommand({ NextToken: token }));
    return { items: r.DelegatedAdministrators, next: r.NextToken };
  });
  const delegatedAdmins: string[] = [];
  for (const admin of admins) {
    const services = await all(async token => {
      const r = await client.send(new ListDelegatedServicesForAccountCommand({ AccountId: admin.Id!, NextToken: token }));
      return { items: r.DelegatedServices, next: r.NextToken };
    });
    for (const s of services) delegatedAdmins.push(`${admin.Id} ${s.ServicePrincipal}`);
  }
  delegatedAdmins.sort();
  return { rootId: root.Id!, rootTags: await tagsOf(client, root.Id!), policyTypes, trustedAccess, ous, accounts, policies, delegatedAdmins };
}

/** Closed, whichever step of the closure it is at. */
export const isClosed = (status: string) => status === 'SUSPENDED' || status === 'PENDING_CLOSURE';

export function userTags(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(OWNERSHIP_PREFIX)));
}

export function ownershipTags(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith(OWNERSHIP_PREFIX)));
}

const show = (value: unknown) => JSON.stringify(value);

/**
 * Tags as compared across a rollback. Two companion values are the same as no companion, by the
 * ownership contract (lambda/shared/ownership.ts): a creation marker (`created:<ms>:<RequestId>`)
 * names the request that made the thing, and only that request's own retries and polls read it,
 * so once it has ended its presence changes nothing a later Delete decides; and a previous owner
 * equal to the owner (a claim from itself) makes a later Delete do what no companion would.
 * The record of an adoption or takeover (`cdk-organizations:adopted`, `/<n>`) is read only by the
 * rollback of the operation that claimed the thing: one left by an operation that ended changes
 * nothing either (a later Update or removal drops it). Every other ownership tag (owner, a previous owner, the scoped keys on roots, targets and
 * accounts) decides what a later Delete destroys or keeps, and is compared exactly.
 */
export function comparableTags(tags: Tags): Tags {
  const ownerOf = (key: string) => (key === `${OWNERSHIP_PREFIX}previous-owner` ? tags[`${OWNERSHIP_PREFIX}owner`]
    : key.endsWith('/previous') ? tags[key.slice(0, -'/previous'.length)] : undefined);
  return Object.fromEntries(Object.entries(tags).filter(([k, v]) => !(k.startsWith(OWNERSHIP_PREFIX)
    && (/^created:\d+:/.test(v) || (ownerOf(k) !== undefined && ownerOf(k) === v) || /^cdk-organizations:adopted(\/\d+)?$/.test(k)))));
}

/** "tags", or "ownership tags" when only the library's bookkeeping differs. */
function tagsLabel(a: Tags, b: Tags): string {
  return show(userTags(a)) === show(userTags(b)) ? 'ownership tags' : 'tags';
}

/** What differs between two snapshots, one line per difference; closing progress (PENDING_CLOSURE → SUSPENDED) is not a difference. */
/**
 * Policy types as they will be once Organizations has applied a pending change: a type being
 * disabled is off, one being enabled is on (the handlers asked; AWS applies it asynchronously).
 */
function settledTypes(types: Readonly<Record<string, string>>): Record<string, string> {
  const settled: Record<string, string> = {};
  for (const [type, status] of Object.entries(types)) if (status !== 'PENDING_DISABLE') settled[type] = 'ENABLED';
  return settled;
}

export function diffSnapshots(before: Snapshot, after: Snapshot, ignoreAccounts: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const label = (s: Snapshot, id: string) => {
    if (id === s.rootId) return `root ${id}`;
    if (s.ous[id]) return `OU ${id} (${s.ous[id].name})`;
    if (s.accounts[id]) return `account ${id} (${s.accounts[id].email})`;
    return id;
  };
  if (show(settledTypes(before.policyTypes)) !== show(settledTypes(after.policyTypes))) out.push(`root policy types ${show(before.policyTypes)} → ${show(after.policyTypes)}`);
  if (show(comparableTags(before.rootTags)) !== show(comparableTags(after.rootTags))) out.push(`root ${tagsLabel(before.rootTags, after.rootTags)} ${show(before.rootTags)} → ${show(after.rootTags)}`);
  if (show(before.trustedAccess) !== show(after.trustedAccess)) out.push(`trusted access ${show(before.trustedAccess)} → ${show(after.trustedAccess)}`);
  const admins = (s: Snapshot) => s.delegatedAdmins.filter(d => !ignoreAccounts.has(d.split(' ')[0]));
  if (show(admins(before)) !== show(admins(after))) out.push(`delegated administrators ${show(admins(before))} → ${show(admins(after))}`);
  for (const id of new Set([...Object.keys(before.ous), ...Object.keys(after.ous)])) {
    const a = before.ous[id];
    const b = after.ous[id];
    if (!b) {out.push(`OU ${id} (${a.name}) deleted`);} else if (!a) {out.push(`OU ${id} (${b.name}) created under ${label(after, b.parentId)} with tags ${show(b.tags)}`);} else {
      if (a.name !== b.name) out.push(`OU ${id} renamed ${a.name} → ${b.name}`);
      if (show(comparableTags(a.tags)) !== show(comparableTags(b.tags))) out.push(`OU ${id} (${b.name}) ${tagsLabel(a.tags, b.tags)} ${show(a.tags)} → ${show(b.tags)}`);
    }
  }
  for (const id of new Set([...Object.keys(before.accounts), ...Object.keys(after.accounts)])) {
    if (ignoreAccounts.has(id)) continue;
    const a = before.accounts[id];
    const b = after.accounts[id];
    if (!b) {out.push(`account ${id} (${a.email}) removed from the organization`);} else if (!a) {out.push(`account ${id} (${b.email}) joined, ${b.status}, under ${label(after, b.parentId)}`);} else {
      if ((isClosed(a.status) ? 'CLOSED' : a.status) !== (isClosed(b.status) ? 'CLOSED' : b.status)) out.push(`account ${id} (${b.email}) ${a.status} → ${b.status}`);
      if (a.name !== b.name) out.push(`account ${id} (${b.email}) renamed ${a.name} → ${b.name}`);
      if (a.parentId !== b.parentId) out.push(`account ${id} (${b.email}) moved ${label(before, a.parentId)} → ${label(after, b.parentId)}`);
      if (show(comparableTags(a.tags)) !== show(comparableTags(b.tags))) out.push(`account ${id} (${b.email}) ${tagsLabel(a.tags, b.tags)} ${show(a.tags)} → ${show(b.tags)}`);
    }
  }
  for (const id of new Set([...Object.keys(before.policies), ...Object.keys(after.policies)])) {
    const a = before.policies[id];
    const b = after.policies[id];
    const targets = (p: PolicyState) => p.targets.filter(t => !ignoreAccounts.has(t));
    if (!b) {out.push(`policy ${id} (${a.name}) deleted`);} else if (!a) {out.push(`policy ${id} (${b.name}) created, attached to ${show(targets(b))}`);} else {
      if (a.name !== b.name) out.push(`policy ${id} renamed ${a.name} → ${b.name}`);
      if (a.content !== b.content) out.push(`policy ${id} (${b.name}) content ${a.content} → ${b.content}`);
      if (a.description !== b.description) out.push(`policy ${id} (${b.name}) description ${show(a.description)} → ${show(b.description)}`);
      if (show(comparableTags(a.tags)) !== show(comparableTags(b.tags))) out.push(`policy ${id} (${b.name}) ${tagsLabel(a.tags, b.tags)} ${show(a.tags)} → ${show(b.tags)}`);
      if (show(targets(a)) !== show(targets(b))) out.push(`policy ${id} (${b.name}) targets ${show(targets(a))} → ${show(targets(b))}`);
    }
  }
  return out;
}
