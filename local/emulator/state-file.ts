/**
 * The state file: read and checked completely at start (a file the emulator could not serve from
 * is refused with its name and the offending field, never half-loaded), and written after every
 * change, atomically, before the change is answered: a change is acknowledged only once the file
 * holds it, or is not applied at all.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import type { Clock, ClockSnapshot } from './clock';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-body';
import { POLICY_TYPES } from './quotas';
import { EmulatorState } from './state';

/** The state file could not be written; the change that needed it was not applied. */
export class StateFileWriteError extends Error {}

/** The state, and where it is saved (with the clock's time, when given: see Clock.resume). */
export class Store {
  constructor(public state: EmulatorState, readonly file?: string, private readonly clock?: Clock) {}

  /** Creates the state file's directory (and its parents). */
  prepare(): void {
    if (this.file) mkdirSync(dirname(this.file), { recursive: true });
  }

  /** Makes `next` the state once the file holds it; on a failed write the state stays as it was. */
  commit(next: EmulatorState): void {
    this.write(next);
    this.state = next;
  }

  /** Writes the current state (after changes that follow from the state and the time alone). */
  save(): void {
    this.write(this.state);
  }

  /**
   * Writes atomically: a reader never sees half a file, and once the rename is done the change
   * survives the emulator's process being killed. No fsync: it would cost ~10 ms a change, and the
   * file need not survive the machine crashing.
   */
  private write(state: EmulatorState): void {
    if (!this.file) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(this.clock ? { ...state, clock: this.clock.snapshot() } : state, null, 2));
      renameSync(temporary, this.file);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new StateFileWriteError(`Cannot write the state file ${this.file} (${(error as Error).message}); the change was not applied.`);
    }
  }
}

/** Reads and checks the state file; undefined when it does not exist. Throws a message naming the file and the field. */
export function readStateFile(file: string): EmulatorState | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the state file ${file}: ${(error as Error).message}`);
  }
  if (nestsDeeperThan(text, 2 * MAX_JSON_DEPTH)) throw new Error(`The state file ${file} nests deeper than ${2 * MAX_JSON_DEPTH} levels: not an emulator state file`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`The state file ${file} is not JSON (${(error as Error).message}): not an emulator state file`);
  }
  try {
    return checkState(data);
  } catch (error) {
    if (error instanceof StateFieldError) throw new Error(`The state file ${file} is not an emulator state file this version can load: ${error.message}`);
    throw error;
  }
}

/** The clock's time each loaded state was saved with (kept out of the state itself). */
const savedClocks = new WeakMap<EmulatorState, ClockSnapshot>();

/** The clock's time `state` was saved with, if it was read from a state file that has one. */
export function savedClockOf(state: EmulatorState): ClockSnapshot | undefined {
  return savedClocks.get(state);
}

class StateFieldError extends Error {}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function bad(path: string, rule: string, value: unknown): never {
  throw new StateFieldError(`${path} ${rule}, got ${describe(value)}`);
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(path, 'must be an object', value);
  return value as Json;
}

function string(value: unknown, path: string, pattern?: RegExp): string {
  if (typeof value !== 'string') bad(path, 'must be a string', value);
  if (pattern && !pattern.test(value)) bad(path, `must match ${pattern.source}`, value);
  return value;
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(path, 'must be a number', value);
  return value;
}

function integer(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) bad(path, 'must be a non-negative integer', value);
  return value as number;
}

function oneOf<T extends string>(value: unknown, path: string, values: readonly T[]): T {
  if (!values.includes(value as T)) bad(path, `must be one of ${values.join(', ')}`, value);
  return value as T;
}

function optional<T>(value: unknown, path: string, check: (value: unknown, path: string) => T): T | undefined {
  return value === undefined ? undefined : check(value, path);
}

function array(value: unknown, path: string, each: (value: unknown, path: string) => void): unknown[] {
  if (!Array.isArray(value)) bad(path, 'must be a list', value);
  value.forEach((member, i) => each(member, `${path}[${i}]`));
  return value;
}

/** An object of entries; `idKey` (when given) must repeat the entry's key. */
function entries(value: unknown, path: string, each: (value: Json, path: string, key: string) => void, idKey?: string): Json {
  const record = object(value, path);
  for (const [key, entry] of Object.entries(record)) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    const fields = object(entry, entryPath);
    each(fields, entryPath, key);
    if (idKey && fields[idKey] !== key) bad(`${entryPath}.${idKey}`, `must be its key ${JSON.stringify(key)}`, fields[idKey]);
  }
  return record;
}

const ACCOUNT_ID = /^\d{12}$/;

function tag(value: unknown, path: string): void {
  const t = object(value, path);
  string(t.Key, `${path}.Key`);
  string(t.Value, `${path}.Value`);
}

function account(a: Json, path: string): void {
  string(a.id, `${path}.id`, ACCOUNT_ID);
  string(a.email, `${path}.email`);
  string(a.name, `${path}.name`);
  number(a.createdAt, `${path}.createdAt`);
  integer(a.seq, `${path}.seq`);
  oneOf(a.state, `${path}.state`, ['ACTIVE', 'PENDING_CLOSURE', 'SUSPENDED', 'CLOSED']);
  optional(a.closedAt, `${path}.closedAt`, number);
  optional(a.dueAt, `${path}.dueAt`, number);
  optional(a.membership, `${path}.membership`, (value, p) => {
    const m = object(value, p);
    string(m.organizationId, `${p}.organizationId`);
    oneOf(m.joinedMethod, `${p}.joinedMethod`, ['INVITED', 'CREATED']);
    number(m.joinedAt, `${p}.joinedAt`);
    integer(m.seq, `${p}.seq`);
    string(m.parentId, `${p}.parentId`);
  });
}

function handshakeResource(value: unknown, path: string): void {
  const r = object(value, path);
  string(r.Type, `${path}.Type`);
  string(r.Value, `${path}.Value`);
  optional(r.Resources, `${path}.Resources`, (v, p) => array(v, p, handshakeResource));
}

function party(value: unknown, path: string): void {
  const p = object(value, path);
  string(p.Id, `${path}.Id`);
  oneOf(p.Type, `${path}.Type`, ['ACCOUNT', 'ORGANIZATION', 'EMAIL']);
}

function handshake(h: Json, path: string): void {
  for (const key of ['id', 'organizationId', 'managementAccountId']) string(h[key], `${path}.${key}`);
  oneOf(h.action, `${path}.action`, ['INVITE', 'ENABLE_ALL_FEATURES', 'APPROVE_ALL_FEATURES']);
  oneOf(h.state, `${path}.state`, ['REQUESTED', 'OPEN', 'CANCELED', 'ACCEPTED', 'DECLINED', 'EXPIRED']);
  number(h.requestedAt, `${path}.requestedAt`);
  number(h.expiresAt, `${path}.expiresAt`);
  integer(h.seq, `${path}.seq`);
  array(h.parties, `${path}.parties`, party);
  array(h.resources, `${path}.resources`, handshakeResource);
  party(h.recipient, `${path}.recipient`);
  optional(h.parentId, `${path}.parentId`, string);
  optional(h.tags, `${path}.tags`, (v, p) => array(v, p, tag));
}

function organization(input: unknown, path: string, accounts: Json): void {
  const org = object(input, path);
  string(org.id, `${path}.id`, /^o-[a-z0-9]{10,32}$/);
  oneOf(org.featureSet, `${path}.featureSet`, ['ALL', 'CONSOLIDATED_BILLING']);
  const management = string(org.managementAccountId, `${path}.managementAccountId`, ACCOUNT_ID);
  if (!Object.hasOwn(accounts, management)) bad(`${path}.managementAccountId`, 'must be one of the accounts', management);
  number(org.createdAt, `${path}.createdAt`);

  const root = object(org.root, `${path}.root`);
  const rootId = string(root.id, `${path}.root.id`, /^r-[0-9a-z]{4,32}$/);
  string(root.name, `${path}.root.name`);
  integer(root.seq, `${path}.root.seq`);
  entries(root.policyTypes, `${path}.root.policyTypes`, (entry, p, type) => {
    oneOf(type, p, POLICY_TYPES);
    oneOf(entry.status, `${p}.status`, ['ENABLED', 'PENDING_ENABLE', 'PENDING_DISABLE']);
    optional(entry.dueAt, `${p}.dueAt`, number);
  });

  const ous = entries(org.ous, `${path}.ous`, (ou, p) => {
    string(ou.id, `${p}.id`, /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
    string(ou.name, `${p}.name`);
    string(ou.parentId, `${p}.parentId`);
    integer(ou.seq, `${p}.seq`);
  }, 'id');
  const isContainer = (id: unknown) => id === rootId || (typeof id === 'string' && Object.hasOwn(ous, id));
  for (const [id, ou] of Object.entries(ous) as Array<[string, Json]>) {
    // Every OU reaches the root: no dangling parent and no cycle.
    const seen = new Set<string>([id]);
    for (let parent = ou.parentId; parent !== rootId; parent = (ous[parent as string] as Json).parentId) {
      if (!isContainer(parent) || seen.has(parent as string)) bad(`${path}.ous[${JSON.stringify(id)}].parentId`, 'must lead to the root through existing OUs', ou.parentId);
      seen.add(parent as string);
    }
  }
  for (const [id, a] of Object.entries(accounts) as Array<[string, Json]>) {
    const membership = a.membership as Json | undefined;
    if (membership && membership.organizationId === org.id && !isContainer(membership.parentId)) {
      bad(`accounts[${JSON.stringify(id)}].membership.parentId`, 'must be the root or an OU of the organization', membership.parentId);
    }
  }

  const policies = entries(org.policies, `${path}.policies`, (policy, p) => {
    string(policy.id, `${p}.id`, /^p-[0-9a-zA-Z_]{8,128}$/);
    string(policy.name, `${p}.name`);
    string(policy.description, `${p}.description`);
    oneOf(policy.type, `${p}.type`, POLICY_TYPES);
    string(policy.content, `${p}.content`);
    if (typeof policy.awsManaged !== 'boolean') bad(`${p}.awsManaged`, 'must be true or false', policy.awsManaged);
    integer(policy.seq, `${p}.seq`);
    number(policy.updatedAt, `${p}.updatedAt`);
  }, 'id');
  const attachments = object(org.attachments, `${path}.attachments`);
  for (const [policyId, targets] of Object.entries(attachments)) {
    const p = `${path}.attachments[${JSON.stringify(policyId)}]`;
    if (!Object.hasOwn(policies, policyId)) bad(p, 'must be the attachments of one of the policies', policyId);
    array(targets, p, string);
  }
  for (const [id, tags] of Object.entries(object(org.tags, `${path}.tags`))) array(tags, `${path}.tags[${JSON.stringify(id)}]`, tag);
  entries(org.services, `${path}.services`, (service, p) => {
    number(service.enabledAt, `${p}.enabledAt`);
    integer(service.seq, `${p}.seq`);
  });
  array(org.delegatedAdministrators, `${path}.delegatedAdministrators`, (value, p) => {
    const d = object(value, p);
    string(d.accountId, `${p}.accountId`, ACCOUNT_ID);
    string(d.servicePrincipal, `${p}.servicePrincipal`);
    number(d.since, `${p}.since`);
    integer(d.seq, `${p}.seq`);
  });
  entries(org.createAccountRequests, `${path}.createAccountRequests`, (request, p) => {
    for (const key of ['id', 'accountName', 'email', 'roleName', 'iamUserAccessToBilling']) string(request[key], `${p}.${key}`);
    array(request.tags, `${p}.tags`, tag);
    number(request.requestedAt, `${p}.requestedAt`);
    integer(request.seq, `${p}.seq`);
    number(request.dueAt, `${p}.dueAt`);
    optional(request.failWith, `${p}.failWith`, string);
    oneOf(request.state, `${p}.state`, ['IN_PROGRESS', 'SUCCEEDED', 'FAILED']);
    optional(request.completedAt, `${p}.completedAt`, number);
    optional(request.accountId, `${p}.accountId`, (v, q) => string(v, q, ACCOUNT_ID));
    optional(request.failureReason, `${p}.failureReason`, string);
  }, 'id');
  array(org.closures, `${path}.closures`, number);
  array(org.invitations, `${path}.invitations`, number);
  optional(org.enableAllFeaturesHandshakeId, `${path}.enableAllFeaturesHandshakeId`, string);
  // Added later: files without it load (no resource policy).
  optional(org.resourcePolicy, `${path}.resourcePolicy`, (value, p) => {
    const policy = object(value, p);
    string(policy.id, `${p}.id`, /^rp-[0-9a-zA-Z_]{4,128}$/);
    string(policy.content, `${p}.content`);
  });
}

/** Checks that `data` is a complete state of this version, every entry included; throws naming the first bad field. */
export function checkState(data: unknown): EmulatorState {
  const state = object(data, 'the document');
  if (state.version !== 1) bad('version', 'must be 1 (not an emulator state file of this version)', state.version);
  number(state.seed, 'seed');
  integer(state.sequence, 'sequence');
  const accounts = entries(state.accounts, 'accounts', account, 'id');
  const management = string(state.managementAccountId, 'managementAccountId', ACCOUNT_ID);
  if (!Object.hasOwn(accounts, management)) bad('managementAccountId', 'must be one of the accounts', management);
  optional(state.organization, 'organization', (org, path) => organization(org, path, accounts));
  const handshakes = state.handshakes ?? {};
  entries(handshakes, 'handshakes', handshake, 'id');
  const stacks = object(state.stacks ?? {}, 'stacks');
  // Added later: files without it load, and the clock then reads real time.
  const clock = optional(state.clock, 'clock', (value, path) => ({ now: number(object(value, path).now, `${path}.now`) }));
  const { clock: _, ...rest } = state;
  const checked = { ...(rest as unknown as EmulatorState), handshakes: handshakes as EmulatorState['handshakes'], stacks };
  if (clock) savedClocks.set(checked, clock);
  return checked;
}
