/**
 * The promises checked after every step of a lifecycle, against what the app declares and what
 * existed before, all read through the SDK (a `Snapshot`):
 *
 * - after a successful deploy (or destroy, which declares nothing): every declared thing exists
 *   exactly once, where and as declared (name, parent, tags, content, attachments, delegated
 *   administrators, owner tag naming its resource); nothing undeclared that the app made remains
 *   (retained accounts aside); policy types and trusted access are those declared or enabled before;
 * - after a failed deploy: the organization is exactly as before it (see `rollbackViolations`);
 * - always: no account closed or removed unless its construct declared that removal action and
 *   was removed from the app (or its stack destroyed); nothing made by hand ever destroyed; no two
 *   accounts with one email, OUs with one name under one parent, policies with one name and type.
 */
import { AppSpec, RemovalAction, ROOT, Tags } from './generator';
import { diffSnapshots, isClosed, ownershipTags, OWNERSHIP_PREFIX, Snapshot, userTags } from './snapshot';

export type ViolationClass =
  | 'duplicate'
  | 'orphan'
  | 'unintended closure/removal/deletion'
  | 'unclean rollback'
  | 'drift after success'
  | 'unexpected failure';

export const VIOLATION_CLASSES: readonly ViolationClass[] = [
  'duplicate', 'orphan', 'unintended closure/removal/deletion', 'unclean rollback', 'drift after success', 'unexpected failure',
];

export interface Finding {
  readonly class: ViolationClass;
  readonly observation: string;
}

/** What a lifecycle knows beyond the app versions: what existed at the start and what was made by hand. */
export interface Ledger {
  readonly initial: Snapshot;
  /** Ids of OUs, policies and accounts made by hand (outside the app): never to be destroyed. */
  readonly handMade: Set<string>;
  /** Account key → removal action of the resource as last deployed (what its Delete will do). */
  readonly removal: Map<string, RemovalAction>;
  /** Account id → key, for the accounts the app made (a successful or a failed deploy). */
  readonly appAccounts: Map<string, string>;
  /** Accounts left by a failed deploy that created them: they may or may not carry its owner tag. */
  readonly leftByRollback: Set<string>;
  /**
   * Policy types of policies declared in a stack other than the organization's. A version that
   * stops enabling a type and removes such a policy deploys the organization's stack first: its
   * Delete finds the other stack's policy still attached, so it leaves the type on and lets go of it
   * (untagged), rather than detach that policy. Such a type, on and owned by nobody, is no orphan.
   */
  readonly otherStackTypes: Set<string>;
  /**
   * Thing made by hand → its user tags the last time a successful deploy or destroy found it
   * undeclared. A removal leaves an adopted thing exactly as it is, tags included, and a later
   * adoption keeps the tags it finds (only a takeover applies a declaration exactly): those tags
   * are the thing's own from then on.
   */
  readonly releasedTags?: Map<string, Tags>;
}

const show = (value: unknown) => JSON.stringify(value);

/** JSON with sorted keys: content compared by meaning, not by key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sameTags = (a: Tags, b: Tags) => canonical(a) === canonical(b);

/** The declared tags, and what a thing made by hand had when a removal last left it in place. */
function expectedTags(id: string, actual: Tags, declared: Tags, ledger: Ledger): Tags {
  const released = ledger.handMade.has(id) ? ledger.releasedTags?.get(id) ?? {} : {};
  const kept = Object.entries(actual).filter(([k, v]) => !(k in declared) && released[k] === v);
  return { ...Object.fromEntries(kept), ...declared };
}

export interface Resolved {
  readonly targets: Map<string, string | undefined>;
}

/** Declared keys → ids in the snapshot: OUs by name under their (resolved) parent, accounts by email. */
export function resolve(spec: AppSpec, snap: Snapshot): Map<string, string | undefined> {
  const ids = new Map<string, string | undefined>([[ROOT, snap.rootId]]);
  const pending = [...spec.ous];
  while (pending.length > 0) {
    const index = pending.findIndex(o => ids.has(o.parent));
    if (index < 0) break;
    const [ou] = pending.splice(index, 1);
    const parentId = ids.get(ou.parent);
    ids.set(ou.key, parentId === undefined ? undefined : Object.values(snap.ous).find(o => o.parentId === parentId && o.name === ou.name)?.id);
  }
  for (const account of spec.accounts) {
    const matches = Object.values(snap.accounts).filter(a => a.email.toLowerCase() === account.email.toLowerCase());
    ids.set(account.key, (matches.find(a => !isClosed(a.status)) ?? matches[0])?.id);
  }
  return ids;
}

/** Two of one thing. */
export function duplicates(snap: Snapshot): Finding[] {
  const out: Finding[] = [];
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return [...m].filter(([, n]) => n > 1);
  };
  for (const [k, n] of count(Object.values(snap.ous).map(o => `${o.parentId}/${o.name}`))) out.push({ class: 'duplicate', observation: `${n} OUs named ${k}` });
  for (const [k, n] of count(Object.values(snap.accounts).map(a => a.email.toLowerCase()))) out.push({ class: 'duplicate', observation: `${n} accounts with email ${k}` });
  for (const [k, n] of count(Object.values(snap.policies).filter(p => !p.awsManaged).map(p => `${p.type} ${p.name}`))) out.push({ class: 'duplicate', observation: `${n} policies ${k}` });
  return out;
}

/**
 * After a successful deploy or destroy: `declared` is what the deployed stacks now declare,
 * `owners` the owner identity (`stack/logicalId`) of each declared key.
 */
export function declaredViolations(declared: AppSpec, owners: ReadonlyMap<string, string>, snap: Snapshot, ledger: Ledger): Finding[] {
  const out: Finding[] = [];
  const drift = (observation: string) => out.push({ class: 'drift after success', observation });
  const orphan = (observation: string) => out.push({ class: 'orphan', observation });
  const ids = resolve(declared, snap);
  const declaredIds = new Set<string>();
  const ownerOk = (key: string, id: string, tags: Tags, what: string) => {
    const owner = tags[`${OWNERSHIP_PREFIX}owner`];
    const expected = owners.get(key);
    if (ledger.handMade.has(id)) {
      if (owner !== undefined) drift(`${what} was made by hand and adopted, yet carries the owner tag ${owner}: removing it from the app would destroy it`);
    } else if (ledger.leftByRollback.has(id)) {
      if (owner !== undefined && owner !== expected) drift(`${what} is owned by ${owner}, not by its resource ${expected}`);
    } else if (owner !== expected) {
      const consequence = owner === undefined ? 'its removal will leave it behind'
        : [...owners.values()].includes(owner) ? 'that other resource\'s removal would destroy it while it is declared'
          : 'no resource of the app has that identity, so the removal of the declaring one will leave it behind';
      drift(`${what} is owned by ${owner ?? '(no owner tag)'}, not by its resource ${expected}: ${consequence}`);
    }
  };

  for (const ou of declared.ous) {
    const id = ids.get(ou.key);
    if (!id) {
      const parentId = ids.get(ou.parent);
      drift(`OU ${ou.key} "${ou.name}" (construct ${ou.id}) is missing under ${parentId ?? `the missing parent ${ou.parent}`}`);
      continue;
    }
    declaredIds.add(id);
    const state = snap.ous[id];
    if (!sameTags(userTags(state.tags), expectedTags(id, userTags(state.tags), ou.tags, ledger))) drift(`OU ${id} "${ou.name}" has tags ${show(userTags(state.tags))}, declared ${show(ou.tags)}`);
    ownerOk(ou.key, id, state.tags, `OU ${id} "${ou.name}"`);
  }
  for (const account of declared.accounts) {
    const id = ids.get(account.key);
    if (!id) {
      drift(`account ${account.key} <${account.email}> (construct ${account.id}) is not in the organization`);
      continue;
    }
    declaredIds.add(id);
    const state = snap.accounts[id];
    const what = `account ${id} <${account.email}>`;
    if (isClosed(state.status)) drift(`${what} is declared but ${state.status}: a closed account was taken as the declared one`);
    if (state.name !== account.name) drift(`${what} is named "${state.name}", declared "${account.name}"`);
    const parentId = ids.get(account.parent);
    if (state.parentId !== parentId) drift(`${what} is under ${state.parentId}, declared under ${account.parent} (${parentId ?? 'missing'})`);
    if (!sameTags(userTags(state.tags), expectedTags(id, userTags(state.tags), account.tags, ledger))) drift(`${what} has tags ${show(userTags(state.tags))}, declared ${show(account.tags)}`);
    ownerOk(account.key, id, state.tags, what);
  }
  const declaredPolicyIds = new Map<string, string>();
  for (const policy of declared.policies) {
    const matches = Object.values(snap.policies).filter(p => !p.awsManaged && p.type === policy.type && p.name === policy.name);
    if (matches.length === 0) {
      drift(`policy ${policy.key} "${policy.name}" (${policy.type}, construct ${policy.id}) is missing`);
      continue;
    }
    const state = matches[0];
    declaredIds.add(state.id);
    declaredPolicyIds.set(policy.key, state.id);
    const what = `policy ${state.id} "${policy.name}"`;
    let content: unknown;
    try {
      content = JSON.parse(state.content);
    } catch {
      content = state.content;
    }
    if (canonical(content) !== canonical(policy.content)) drift(`${what} has content ${state.content}, declared ${canonical(policy.content)}`);
    if (!sameTags(userTags(state.tags), expectedTags(state.id, userTags(state.tags), policy.tags, ledger))) drift(`${what} has tags ${show(userTags(state.tags))}, declared ${show(policy.tags)}`);
    const targets = policy.targets.map(t => ids.get(t) ?? `(missing ${t})`).sort();
    if (show(targets) !== show(state.targets)) drift(`${what} is attached to ${show(state.targets)}, declared ${show(targets)} (${policy.targets.join(', ')})`);
    ownerOk(policy.key, state.id, state.tags, what);
  }
  for (const admin of declared.admins) {
    const accountId = ids.get(admin.account);
    if (accountId && !snap.delegatedAdmins.includes(`${accountId} ${admin.principal}`)) {
      drift(`account ${accountId} (${admin.account}) is not delegated administrator of ${admin.principal} (construct ${admin.id})`);
    }
  }
  // Policy types and trusted access: what the app needs is on; what it enabled and no longer declares is off.
  const declaredTypes = new Set<string>([...declared.policies.map(p => p.type), ...(declared.organizationPolicyTypes ?? [])]);
  for (const type of new Set(declared.policies.filter(p => p.targets.length > 0).map(p => p.type))) {
    if (snap.policyTypes[type] !== 'ENABLED') drift(`policy type ${type} is ${snap.policyTypes[type] ?? 'not enabled'}, and the app attaches policies of that type`);
  }
  // A type stays on while a policy of it that is not the app's (made by hand, adopted and left) is
  // attached: disabling the type would detach it, so the handler keeps it on (and that policy may be
  // detached later in the same destroy, when an account it was attached to leaves the organization).
  const keptOn = new Set(Object.values(snap.policies)
    .filter(p => !p.awsManaged && (ledger.handMade.has(p.id) || ledger.initial.policies[p.id]))
    .map(p => p.type));
  const letGo = (type: string) => ledger.otherStackTypes.has(type) && !Object.keys(snap.rootTags).some(k => k.startsWith(`cdk-organizations:policy-type/${type}`));
  for (const [type, status] of Object.entries(snap.policyTypes)) {
    if (!declaredTypes.has(type as any) && !keptOn.has(type) && !letGo(type) && ledger.initial.policyTypes[type] === undefined) orphan(`policy type ${type} is ${status}: the app enabled it and no longer declares it`);
  }
  const principals = new Set([...(declared.accounts.length > 0 ? ['account.amazonaws.com'] : []), ...declared.admins.map(d => d.principal)]);
  for (const principal of principals) {
    if (!snap.trustedAccess.includes(principal)) drift(`trusted access for ${principal} is not enabled, and the app needs it`);
  }
  for (const principal of snap.trustedAccess) {
    if (!principals.has(principal) && !ledger.initial.trustedAccess.includes(principal)) orphan(`trusted access for ${principal} is enabled: the app enabled it and no longer needs it`);
  }
  const declaredAdmins = new Set(declared.admins.map(d => `${ids.get(d.account)} ${d.principal}`));
  for (const admin of snap.delegatedAdmins) {
    if (!declaredAdmins.has(admin) && !ledger.initial.delegatedAdmins.includes(admin)) orphan(`delegated administrator ${admin} is registered and not declared`);
  }

  // What a removal left in place, tags included, is how a later adoption finds it.
  for (const thing of [...Object.values(snap.ous), ...Object.values(snap.accounts), ...Object.values(snap.policies)]) {
    if (ledger.handMade.has(thing.id) && !declaredIds.has(thing.id)) ledger.releasedTags?.set(thing.id, userTags(thing.tags));
  }

  // What the app made and no longer declares.
  for (const ou of Object.values(snap.ous)) {
    if (declaredIds.has(ou.id) || ledger.handMade.has(ou.id) || ledger.initial.ous[ou.id]) continue;
    orphan(`OU ${ou.id} "${ou.name}" under ${ou.parentId} (tags ${show(ou.tags)}) is not declared and was not made by hand`);
  }
  for (const policy of Object.values(snap.policies)) {
    if (policy.awsManaged || declaredIds.has(policy.id) || ledger.handMade.has(policy.id) || ledger.initial.policies[policy.id]) continue;
    orphan(`policy ${policy.id} "${policy.name}" (${policy.type}, attached to ${show(policy.targets)}, tags ${show(policy.tags)}) is not declared and was not made by hand`);
  }
  for (const account of Object.values(snap.accounts)) {
    if (isClosed(account.status) || declaredIds.has(account.id) || ledger.handMade.has(account.id) || ledger.initial.accounts[account.id]) continue;
    const key = ledger.appAccounts.get(account.id);
    const action = key ? ledger.removal.get(key) : undefined;
    if (action === undefined || action === 'RETAIN' || ledger.leftByRollback.has(account.id)) continue; // retained
    orphan(`account ${account.id} <${account.email}> (${key}) was removed from the app with ${action} and is still ACTIVE in the organization (tags ${show(account.tags)})`);
  }

  // Ownership bookkeeping that names something no longer declared.
  const crossStack = new Set(declared.policies.filter(p => p.stack !== 0 && declaredPolicyIds.has(p.key))
    .flatMap(p => p.targets.map(t => `${ids.get(t)} ${declaredPolicyIds.get(p.key)}`)));
  const targetsWithTags: Array<[string, Tags]> = [
    [snap.rootId, snap.rootTags],
    ...Object.values(snap.ous).map(o => [o.id, o.tags] as [string, Tags]),
    ...Object.values(snap.accounts).map(a => [a.id, a.tags] as [string, Tags]),
  ];
  for (const [id, tags] of targetsWithTags) {
    for (const [key, value] of Object.entries(ownershipTags(tags))) {
      const m = /^cdk-organizations:attachment\/([^/]+)$/.exec(key);
      if (m && !crossStack.has(`${id} ${m[1]}`)) orphan(`${id} carries ${key}=${value} but the app declares no such cross-stack attachment`);
      const t = /^cdk-organizations:policy-type\/([^/]+)$/.exec(key);
      if (t && !declaredTypes.has(t[1] as any)) orphan(`${id} carries ${key}=${value} but the app declares no policy of that type`);
      const s = /^cdk-organizations:trusted-access\/([^/]+)$/.exec(key);
      if (s && !principals.has(s[1])) orphan(`${id} carries ${key}=${value} but the app no longer needs that trusted access`);
      const d = /^cdk-organizations:delegated-administrator\/([^/]+)$/.exec(key);
      if (d && !declaredAdmins.has(`${id} ${d[1]}`)) orphan(`${id} carries ${key}=${value} but the app declares no such delegated administrator`);
    }
  }
  return out;
}

/**
 * Accounts that were ACTIVE members before a step and are not after it. Allowed only when the app
 * made the account, the step succeeded, its construct is no longer declared, and its resource as
 * deployed said CLOSE (closed) or REMOVE_FROM_ORGANIZATION (removed). Also: nothing made by hand is
 * ever destroyed.
 */
export function lossViolations(before: Snapshot, after: Snapshot, ledger: Ledger, success: boolean, declaredAfter: AppSpec): Finding[] {
  const out: Finding[] = [];
  const loss = (observation: string) => out.push({ class: 'unintended closure/removal/deletion', observation });
  const declaredEmails = new Set(declaredAfter.accounts.map(a => a.email.toLowerCase()));
  for (const a of Object.values(before.accounts)) {
    if (isClosed(a.status)) continue;
    const now = after.accounts[a.id];
    if (now && !isClosed(now.status)) continue;
    const what = now ? `closed (${now.status})` : 'removed from the organization';
    const key = ledger.appAccounts.get(a.id);
    const action = key ? ledger.removal.get(key) : undefined;
    const allowed = success && key !== undefined && !ledger.handMade.has(a.id) && !declaredEmails.has(a.email.toLowerCase())
      && (now ? action === 'CLOSE' : action === 'REMOVE_FROM_ORGANIZATION');
    if (!allowed) {
      const why = !success ? 'by a deployment that failed and rolled back'
        : ledger.handMade.has(a.id) ? 'though it was made by hand and only adopted'
          : declaredEmails.has(a.email.toLowerCase()) ? 'though the app still declares it'
            : `though its resource as deployed said ${action ?? 'nothing (not made by the app)'}`;
      loss(`account ${a.id} <${a.email}> (${key ?? 'not the app\'s'}) was ${what} ${why}`);
    }
  }
  for (const id of ledger.handMade) {
    if (before.ous[id] && !after.ous[id]) loss(`OU ${id} "${before.ous[id].name}", made by hand, was deleted`);
    if (before.policies[id] && !after.policies[id]) loss(`policy ${id} "${before.policies[id].name}", made by hand, was deleted`);
  }
  return out;
}

/**
 * After a failed deploy, the organization must be exactly as before it: the same OUs (same ids:
 * an OU deleted and made again is another OU), accounts (status, name, parent, tags), policies
 * (name, content, description, tags, targets), root tags and policy types, trusted access and
 * delegated administrators. "Exactly" includes the `cdk-organizations:*` ownership tags: they
 * decide what a later Delete destroys or keeps, so a rollback that leaves them changed has
 * changed what the next deployment will lose. Two things are not differences: a closure under way
 * moving from PENDING_CLOSURE to SUSPENDED, and the accounts the failed deploy itself created
 * (an account cannot be deleted; they stay, or are closed or removed as their removal action
 * says, and `lossViolations` judges their closure).
 */
export function rollbackViolations(before: Snapshot, after: Snapshot, attempted: AppSpec, status: string | undefined): Finding[] {
  const out: Finding[] = [];
  const attemptedEmails = new Set(attempted.accounts.map(a => a.email.toLowerCase()));
  const created = new Set(Object.values(after.accounts)
    .filter(a => !before.accounts[a.id] && attemptedEmails.has(a.email.toLowerCase())).map(a => a.id));
  if (status !== undefined && !/^(UPDATE_ROLLBACK_COMPLETE|ROLLBACK_COMPLETE)$/.test(status)) {
    out.push({ class: 'unclean rollback', observation: `the stack ended ${status}` });
  }
  for (const line of diffSnapshots(before, after, created)) {
    // Closures and removals are judged by lossViolations.
    if (/ removed from the organization$/.test(line) || / ACTIVE → (SUSPENDED|PENDING_CLOSURE)$/.test(line)) continue;
    out.push({ class: 'unclean rollback', observation: line });
  }
  return out;
}
