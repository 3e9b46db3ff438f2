/**
 * Randomized app versions for the soak test: a plain-data description of an organization app
 * (OUs, accounts, policies, delegated administrators, in one or two stacks), a seeded generator
 * of a first version, and a mutation step that produces the next version. Every version is valid
 * at synth time (names unique where the API wants them unique, depth within 5, attachments within
 * quotas); a version may carry a `doom`, an OU under a parent that does not exist, so that its
 * deployment fails and rolls back.
 *
 * Each thing has a `key` that stays the same across versions (it is "the same thing" for the
 * invariants) and a construct `id` that a mutation may change (a new logical id for the same thing).
 */
import { MAX_OU_DEPTH } from '../../src/private/contract';

export type Tags = Record<string, string>;
export type RemovalAction = 'RETAIN' | 'REMOVE_FROM_ORGANIZATION' | 'CLOSE';
export type SoakPolicyType = 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY';

/** `root` or the key of an OU. */
export type ParentRef = string;
export const ROOT = 'root';

export interface OuSpec {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly parent: ParentRef;
  readonly tags: Tags;
}

export interface AccountSpec {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly parent: ParentRef;
  readonly tags: Tags;
  readonly removalAction: RemovalAction;
}

export interface PolicySpec {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly type: SoakPolicyType;
  readonly content: Record<string, unknown>;
  /** `root`, OU keys and account keys. */
  readonly targets: readonly string[];
  readonly tags: Tags;
  /** 0: the organization's stack; 1: the second stack (its attachments are PolicyAttachment resources). */
  readonly stack: number;
}

export interface AdminSpec {
  readonly key: string;
  readonly id: string;
  readonly account: string;
  readonly principal: string;
}

export interface Doom {
  /** The stack that fails. */
  readonly stack: number;
  /** The doomed OU depends on every other construct of its stack: it fails last, after all the work. */
  readonly last: boolean;
}

export interface AppSpec {
  /** 1 or 2: OUs, accounts and administrators are in stack 0, policies in either. */
  readonly stacks: number;
  readonly ous: readonly OuSpec[];
  readonly accounts: readonly AccountSpec[];
  readonly policies: readonly PolicySpec[];
  readonly admins: readonly AdminSpec[];
  readonly doom?: Doom;
  /**
   * Policy types the organization's stack enables besides those of the policies listed (set when
   * the second stack is still at an older version: the first enables the types the newer one uses).
   */
  readonly organizationPolicyTypes?: readonly string[];
}

export const STACK_NAMES = ['SoakOrganization', 'SoakGuardrails'];

/** Principals that allow several delegated administrators (a move creates the new one before the old one goes). */
export const ADMIN_PRINCIPALS = ['config.amazonaws.com', 'cloudtrail.amazonaws.com', 'fms.amazonaws.com', 'health.amazonaws.com'];

const WORDS = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Sandbox', 'Prod', 'Dev', 'Security', 'Infra', 'Team', 'Shared', 'Audit'];
const ACTIONS = ['s3:DeleteBucket', 'ec2:TerminateInstances', 'iam:CreateUser', 'organizations:LeaveOrganization',
  'account:CloseAccount', 'kms:ScheduleKeyDeletion', 'rds:DeleteDBInstance', 'cloudtrail:StopLogging'];
const TAG_KEYS = ['team', 'env', 'cost-center', 'owner'];
const TAG_VALUES = ['x', 'y', 'platform', 'research', 'prod', 'dev'];

/** A small seeded PRNG (mulberry32): the same seed gives the same versions. */
/* eslint-disable no-bitwise */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /* eslint-enable no-bitwise */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }
}

/** Fresh names and ids for one lifecycle. */
export class Names {
  private n = 0;
  constructor(private readonly lifecycle: number) {}
  counter(): number {
    return ++this.n;
  }
  key(kind: string): string {
    return `${kind}${this.counter()}`;
  }
  constructId(kind: string): string {
    return `${kind}${this.counter()}`;
  }
  email(): string {
    return `soak-${this.lifecycle}-${this.counter()}@example.com`;
  }
}

// ---------------------------------------------------------------------------------------------
// Generator

function randomTags(rng: Rng): Tags {
  const tags: Tags = {};
  const count = rng.int(0, 2);
  for (let i = 0; i < count; i++) tags[rng.pick(TAG_KEYS)] = rng.pick(TAG_VALUES);
  return tags;
}

function randomContent(rng: Rng, type: SoakPolicyType): Record<string, unknown> {
  if (type === 'SERVICE_CONTROL_POLICY') {
    const actions = [...new Set([rng.pick(ACTIONS), ...(rng.chance(0.5) ? [rng.pick(ACTIONS)] : [])])].sort();
    return { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: actions, Resource: '*' }] };
  }
  const key = rng.pick(TAG_KEYS);
  return { tags: { [key]: { tag_key: { '@@assign': key.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()) }, ...(rng.chance(0.5) ? { tag_value: { '@@assign': [rng.pick(TAG_VALUES)] } } : {}) } } };
}

const removalActions: RemovalAction[] = ['RETAIN', 'REMOVE_FROM_ORGANIZATION', 'CLOSE'];

/** Depth of an OU (1 under the root). */
export function depthOf(spec: AppSpec, ouKey: string): number {
  let depth = 0;
  for (let key: string = ouKey; key !== ROOT; key = spec.ous.find(o => o.key === key)!.parent) depth++;
  return depth;
}

/** The height of the subtree of an OU (1 for a leaf). */
function heightOf(spec: AppSpec, ouKey: string): number {
  const children = spec.ous.filter(o => o.parent === ouKey);
  return 1 + Math.max(0, ...children.map(c => heightOf(spec, c.key)));
}

function descendants(spec: AppSpec, ouKey: string): Set<string> {
  const out = new Set<string>([ouKey]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const ou of spec.ous) if (out.has(ou.parent) && !out.has(ou.key)) { out.add(ou.key); grew = true; }
  }
  return out;
}

function namesUnder(spec: AppSpec, parent: ParentRef, exceptKey?: string): Set<string> {
  return new Set(spec.ous.filter(o => o.parent === parent && o.key !== exceptKey).map(o => o.name));
}

function freshOuName(rng: Rng, names: Names, taken: Set<string>): string {
  for (;;) {
    const name = `${rng.pick(WORDS)}${names.counter()}`;
    if (!taken.has(name)) return name;
  }
}

function policyNames(spec: AppSpec, type: SoakPolicyType): Set<string> {
  return new Set(spec.policies.filter(p => p.type === type).map(p => p.name));
}

export function generate(rng: Rng, names: Names): AppSpec {
  let spec: AppSpec = { stacks: rng.chance(0.35) ? 2 : 1, ous: [], accounts: [], policies: [], admins: [] };
  const ouCount = rng.int(1, 4);
  for (let i = 0; i < ouCount; i++) spec = addOu(spec, rng, names);
  const accountCount = rng.int(0, 3);
  for (let i = 0; i < accountCount; i++) spec = addAccount(spec, rng, names);
  const policyCount = rng.int(1, 3);
  for (let i = 0; i < policyCount; i++) spec = addPolicy(spec, rng, names);
  if (spec.accounts.length > 0 && rng.chance(0.4)) spec = addAdmin(spec, rng, names) ?? spec;
  if (spec.stacks === 2 && !spec.policies.some(p => p.stack === 1)) {
    spec = { ...spec, policies: spec.policies.map((p, i) => (i === 0 ? { ...p, stack: 1 } : p)) };
  }
  return spec;
}

function addOu(spec: AppSpec, rng: Rng, names: Names): AppSpec {
  const parents = [ROOT, ...spec.ous.filter(o => depthOf(spec, o.key) < MAX_OU_DEPTH - 1 && depthOf(spec, o.key) < 3).map(o => o.key)];
  const parent = rng.pick(parents);
  const ou: OuSpec = { key: names.key('ou'), id: names.constructId('Ou'), name: freshOuName(rng, names, namesUnder(spec, parent)), parent, tags: randomTags(rng) };
  return { ...spec, ous: [...spec.ous, ou] };
}

function addAccount(spec: AppSpec, rng: Rng, names: Names): AppSpec {
  const account: AccountSpec = {
    key: names.key('acct'),
    id: names.constructId('Account'),
    name: `acct-${names.counter()}`,
    email: names.email(),
    parent: rng.pick([ROOT, ...spec.ous.map(o => o.key)]),
    tags: randomTags(rng),
    removalAction: rng.pick(removalActions),
  };
  return { ...spec, accounts: [...spec.accounts, account] };
}

function addPolicy(spec: AppSpec, rng: Rng, names: Names): AppSpec {
  const type: SoakPolicyType = rng.chance(0.7) ? 'SERVICE_CONTROL_POLICY' : 'TAG_POLICY';
  const taken = policyNames(spec, type);
  let name: string;
  do name = `${type === 'TAG_POLICY' ? 'tags' : 'guard'}-${names.counter()}`; while (taken.has(name));
  const stack = spec.stacks === 2 && rng.chance(0.5) ? 1 : 0;
  const candidates = [ROOT, ...spec.ous.map(o => o.key), ...spec.accounts.map(a => a.key)];
  const targets = [...new Set(Array.from({ length: rng.int(0, 2) }, () => rng.pick(candidates)))].sort();
  const policy: PolicySpec = { key: names.key('pol'), id: names.constructId('Policy'), name, type, content: randomContent(rng, type), targets, tags: randomTags(rng), stack };
  return { ...spec, policies: [...spec.policies, policy] };
}

function addAdmin(spec: AppSpec, rng: Rng, names: Names): AppSpec | undefined {
  const pairs = spec.accounts.flatMap(a => ADMIN_PRINCIPALS.map(p => ({ account: a.key, principal: p })))
    .filter(pair => !spec.admins.some(d => d.account === pair.account && d.principal === pair.principal));
  if (pairs.length === 0) return undefined;
  const pair = rng.pick(pairs);
  return { ...spec, admins: [...spec.admins, { key: names.key('admin'), id: names.constructId('Admin'), ...pair }] };
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Keys of OUs and accounts that a policy of the second stack refers to (their exports cannot change). */
function crossStackTargets(spec: AppSpec, deployedPins: ReadonlySet<string> = new Set()): Set<string> {
  return new Set([...deployedPins, ...spec.policies.filter(p => p.stack === 1).flatMap(p => p.targets)]);
}

function replace<T extends { key: string }>(items: readonly T[], key: string, change: (item: T) => T): T[] {
  return items.map(item => (item.key === key ? change(item) : item));
}

/**
 * Whether a new construct id and a new name of one OU would deploy together (`pending` says which
 * of the two an earlier version, not deployed yet, holds) while the second stack refers to it or to
 * an OU under it: the new construct finds no OU of the new name and makes one, so the OU and every
 * OU under it are replaced (new ids), and CloudFormation refuses to change an export in use.
 */
function replacedWithPins(spec: AppSpec, ou: OuSpec, pins: ReadonlySet<string>, before: readonly AppSpec[],
  pending: (earlier: OuSpec) => boolean): boolean {
  const pinned = crossStackTargets(spec, pins);
  return before.some(v => v.ous.some(d => d.key === ou.key && pending(d))) && [...descendants(spec, ou.key)].some(k => pinned.has(k));
}

/**
 * A mutation gets the keys the second stack refers to in the deployed version too: the first
 * stack deploys first, so an export still imported by the deployed second stack cannot change.
 */
type Mutation = (spec: AppSpec, rng: Rng, names: Names, deployedPins: ReadonlySet<string>, before: readonly AppSpec[]) => AppSpec | undefined;

const MUTATIONS: Record<string, Mutation> = {
  addOu: (spec, rng, names) => (spec.ous.length < 8 ? addOu(spec, rng, names) : undefined),
  removeOu: (spec, rng, _names, pins) => {
    const pinned = crossStackTargets(spec, pins);
    // Its child OUs move, so they and everything under them are replaced (new ids): none may be pinned.
    const candidates = spec.ous.filter(o => ![...descendants(spec, o.key)].some(k => pinned.has(k)));
    if (candidates.length === 0) return undefined;
    const ou = rng.pick(candidates);
    // What it holds moves to its parent (in the same version: the old OU is deleted, empty, in the cleanup).
    const taken = namesUnder(spec, ou.parent, ou.key);
    const ous = spec.ous.filter(o => o.key !== ou.key).map(o => {
      if (o.parent !== ou.key) return o;
      const name = taken.has(o.name) ? `${o.name}m` : o.name;
      taken.add(name);
      return { ...o, parent: ou.parent, name };
    });
    const accounts = spec.accounts.map(a => (a.parent === ou.key ? { ...a, parent: ou.parent } : a));
    const policies = spec.policies.map(p => ({ ...p, targets: p.targets.filter(t => t !== ou.key) }));
    return { ...spec, ous, accounts, policies };
  },
  renameOu: (spec, rng, names, pins, before) => {
    const candidates = spec.ous.filter(o => !replacedWithPins(spec, o, pins, before, d => d.id !== o.id));
    if (candidates.length === 0) return undefined;
    const ou = rng.pick(candidates);
    return { ...spec, ous: replace(spec.ous, ou.key, o => ({ ...o, name: freshOuName(rng, names, namesUnder(spec, o.parent)) })) };
  },
  moveOu: (spec, rng, _names, pins) => {
    const pinned = crossStackTargets(spec, pins);
    const movable = spec.ous.filter(o => ![...descendants(spec, o.key)].some(k => pinned.has(k)));
    if (movable.length === 0) return undefined;
    const ou = rng.pick(movable);
    const inside = descendants(spec, ou.key);
    const parents = [ROOT, ...spec.ous.map(o => o.key)].filter(p => p !== ou.parent && !inside.has(p)
      && (p === ROOT ? 0 : depthOf(spec, p)) + heightOf(spec, ou.key) <= MAX_OU_DEPTH && !namesUnder(spec, p).has(ou.name));
    if (parents.length === 0) return undefined;
    return { ...spec, ous: replace(spec.ous, ou.key, o => ({ ...o, parent: rng.pick(parents) })) };
  },
  reIdOu: (spec, rng, names, pins, before) => {
    const pinned = crossStackTargets(spec, pins);
    const candidates = spec.ous.filter(o => !pinned.has(o.key) && !replacedWithPins(spec, o, pins, before, d => d.name !== o.name));
    if (candidates.length === 0) return undefined;
    const ou = rng.pick(candidates);
    return { ...spec, ous: replace(spec.ous, ou.key, o => ({ ...o, id: names.constructId('Ou') })) };
  },
  tagOu: (spec, rng) => {
    if (spec.ous.length === 0) return undefined;
    const ou = rng.pick(spec.ous);
    return { ...spec, ous: replace(spec.ous, ou.key, o => ({ ...o, tags: randomTags(rng) })) };
  },
  addAccount: (spec, rng, names) => (spec.accounts.length < 5 ? addAccount(spec, rng, names) : undefined),
  removeAccount: (spec, rng, _names, pins, before) => {
    const pinned = crossStackTargets(spec, pins);
    const candidates = spec.accounts.filter(a => !pinned.has(a.key));
    if (candidates.length === 0) return undefined;
    const account = rng.pick(candidates);
    // An account left in an OU keeps the OU from being deleted: the app moves it to the root first,
    // in an earlier version than the one that removes it (a removeOu of this version may have just
    // moved it to the root in the app, while it is still in the OU in the organization).
    if (account.parent !== ROOT) return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, parent: ROOT })) };
    if (before.some(v => v.accounts.some(a => a.key === account.key && a.parent !== ROOT))) return undefined;
    return {
      ...spec,
      accounts: spec.accounts.filter(a => a.key !== account.key),
      admins: spec.admins.filter(d => d.account !== account.key),
      policies: spec.policies.map(p => ({ ...p, targets: p.targets.filter(t => t !== account.key) })),
    };
  },
  renameAccount: (spec, rng, names) => {
    if (spec.accounts.length === 0) return undefined;
    const account = rng.pick(spec.accounts);
    return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, name: `acct-${names.counter()}` })) };
  },
  moveAccount: (spec, rng) => {
    if (spec.accounts.length === 0) return undefined;
    const account = rng.pick(spec.accounts);
    const parents = [ROOT, ...spec.ous.map(o => o.key)].filter(p => p !== account.parent);
    if (parents.length === 0) return undefined;
    return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, parent: rng.pick(parents) })) };
  },
  reIdAccount: (spec, rng, names, pins) => {
    const pinned = crossStackTargets(spec, pins);
    const candidates = spec.accounts.filter(a => !pinned.has(a.key));
    if (candidates.length === 0) return undefined;
    const account = rng.pick(candidates);
    return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, id: names.constructId('Account') })) };
  },
  removalAction: (spec, rng) => {
    if (spec.accounts.length === 0) return undefined;
    const account = rng.pick(spec.accounts);
    const removalAction = rng.pick(removalActions.filter(r => r !== account.removalAction));
    return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, removalAction })) };
  },
  tagAccount: (spec, rng) => {
    if (spec.accounts.length === 0) return undefined;
    const account = rng.pick(spec.accounts);
    return { ...spec, accounts: replace(spec.accounts, account.key, a => ({ ...a, tags: randomTags(rng) })) };
  },
  addPolicy: (spec, rng, names) => (spec.policies.length < 5 ? addPolicy(spec, rng, names) : undefined),
  removePolicy: (spec, rng) => {
    // The second stack keeps one policy: a stack without resources is not a template.
    const candidates = spec.policies.filter(p => p.stack === 0 || spec.policies.filter(q => q.stack === 1).length > 1);
    if (candidates.length === 0) return undefined;
    const policy = rng.pick(candidates);
    return { ...spec, policies: spec.policies.filter(p => p.key !== policy.key) };
  },
  policyContent: (spec, rng) => {
    if (spec.policies.length === 0) return undefined;
    const policy = rng.pick(spec.policies);
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, content: randomContent(rng, p.type) })) };
  },
  renamePolicy: (spec, rng, names) => {
    if (spec.policies.length === 0) return undefined;
    const policy = rng.pick(spec.policies);
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, name: `${p.type === 'TAG_POLICY' ? 'tags' : 'guard'}-${names.counter()}` })) };
  },
  reIdPolicy: (spec, rng, names) => {
    if (spec.policies.length === 0) return undefined;
    const policy = rng.pick(spec.policies);
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, id: names.constructId('Policy') })) };
  },
  tagPolicy: (spec, rng) => {
    if (spec.policies.length === 0) return undefined;
    const policy = rng.pick(spec.policies);
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, tags: randomTags(rng) })) };
  },
  attach: (spec, rng) => {
    if (spec.policies.length === 0) return undefined;
    const policy = rng.pick(spec.policies);
    const candidates = [ROOT, ...spec.ous.map(o => o.key), ...spec.accounts.map(a => a.key)].filter(t => !policy.targets.includes(t));
    if (candidates.length === 0) return undefined;
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, targets: [...p.targets, rng.pick(candidates)].sort() })) };
  },
  detach: (spec, rng) => {
    const attached = spec.policies.filter(p => p.targets.length > 0);
    if (attached.length === 0) return undefined;
    const policy = rng.pick(attached);
    const target = rng.pick(policy.targets);
    return { ...spec, policies: replace(spec.policies, policy.key, p => ({ ...p, targets: p.targets.filter(t => t !== target) })) };
  },
  addAdmin: (spec, rng, names) => addAdmin(spec, rng, names),
  removeAdmin: (spec, rng) => {
    if (spec.admins.length === 0) return undefined;
    const admin = rng.pick(spec.admins);
    return { ...spec, admins: spec.admins.filter(d => d.key !== admin.key) };
  },
  reIdAdmin: (spec, rng, names) => {
    if (spec.admins.length === 0) return undefined;
    const admin = rng.pick(spec.admins);
    return { ...spec, admins: replace(spec.admins, admin.key, d => ({ ...d, id: names.constructId('Admin') })) };
  },
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** The next version: 1 to 3 random mutations of `spec` (without its doom), and sometimes a doom. */
export function mutate(spec: AppSpec, rng: Rng, names: Names, doomProbability: number, deployed?: AppSpec): { spec: AppSpec; mutations: string[] } {
  let next: AppSpec = { ...spec, doom: undefined };
  const pins = crossStackTargets(spec, deployed ? crossStackTargets(deployed) : undefined);
  const applied: string[] = [];
  const count = rng.int(1, 3);
  for (let attempts = 0; applied.length < count && attempts < 20; attempts++) {
    const name = rng.pick(MUTATION_NAMES);
    const result = MUTATIONS[name](next, rng, names, pins, deployed ? [spec, deployed] : [spec]);
    if (result) {
      next = result;
      applied.push(name);
    }
  }
  if (rng.chance(doomProbability)) next = { ...next, doom: { stack: rng.int(0, next.stacks - 1), last: rng.chance(0.6) } };
  return { spec: next, mutations: applied };
}

/** A line diff of two versions, as JSON, for reports. */
export function diffSpecs(before: AppSpec | undefined, after: AppSpec | undefined): string[] {
  const lines = (spec: AppSpec | undefined) => new Map(spec === undefined ? [] : [
    ...spec.ous.map(o => [o.key, `OU ${JSON.stringify(o)}`] as const),
    ...spec.accounts.map(a => [a.key, `Account ${JSON.stringify(a)}`] as const),
    ...spec.policies.map(p => [p.key, `Policy ${JSON.stringify(p)}`] as const),
    ...spec.admins.map(d => [d.key, `Admin ${JSON.stringify(d)}`] as const),
    ...(spec.doom ? [['doom', `Doom ${JSON.stringify(spec.doom)}`] as const] : []),
  ]);
  const a = lines(before);
  const b = lines(after);
  const out: string[] = [];
  for (const [key, line] of a) if (b.get(key) !== line) out.push(`- ${line}`);
  for (const [key, line] of b) if (a.get(key) !== line) out.push(`+ ${line}`);
  return out;
}
