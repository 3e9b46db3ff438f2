/**
 * What a claim of an existing thing changed (an adoption of something made outside the stack, or
 * a takeover from another resource of this library), recorded on the OU, account or policy before
 * it changes anything, so that the rollback of the operation that claimed it puts it back as it
 * was: where it was (an account's parent), its name, a policy's content, description and the
 * targets the claim attached it to, and the values the changed tag keys had (or that they were
 * absent).
 *
 * The record is compact JSON, deflated and in base64 (tag values allow letters, digits, spaces and
 * `_.:/=+-@` only), cut into tag values of at most 256 characters: `cdk-organizations:adopted`,
 * then `cdk-organizations:adopted/1`, `/2`... (a policy's content takes a few). A claim whose
 * record does not fit in the tags the resource has room for is made all the same, and says in its
 * log line that its rollback cannot restore it. A later Update (the stack kept the resource) keeps
 * only the tag keys the app added, in a standing record; a removal that is not a rollback drops it.
 */
import { createHash } from 'crypto';
import { deflateRawSync, inflateRawSync } from 'zlib';
import type { HandlerContext } from './types';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAG_PREFIX, OWNERSHIP_TAGS_PER_RESOURCE, WireTag } from '../../src/private/contract';

/** The tag that holds the record (its first part). */
export const ADOPTION_KEY = `${OWNERSHIP_TAG_PREFIX}adopted`;

/** The keys of the record's parts after the first. */
const partKey = (index: number) => `${ADOPTION_KEY}/${index}`;

/** What the claim changed: each field holds the value from before (tags: null when the key was absent). */
export interface AdoptionRecord {
  readonly parentId?: string;
  readonly name?: string;
  readonly content?: string;
  readonly description?: string;
  /** Targets the claim attached a policy to (detached again by the rollback). */
  readonly attached?: readonly string[];
  /**
   * The targets the claiming declaration wants a policy attached to, when the policy was attached to
   * others too: the removal of the resource it was claimed from (a renamed construct) detaches its
   * own declared targets that the new declaration does not want.
   */
  readonly targets?: readonly string[];
  readonly tags: Readonly<Record<string, string | null>>;
  /** Which resource claimed it (a short hash of its owner identity): only its rollback restores. */
  readonly adopter?: string;
  /** The identity of that resource (`<stackName>/<logicalId>`), so that CloudFormation can be asked about it. */
  readonly claimant?: string;
  /** The CloudFormation request that claimed it: its retries keep the record; a later request's claim replaces it. */
  readonly request?: string;
  /**
   * Left by an Update of the adopter, once no rollback needs the claim: only the tag keys the app
   * added (`tags`, all null), so that a later claim by another resource (a renamed construct)
   * removes those it does not declare, as a takeover does. Nothing restores from it.
   */
  readonly standing?: boolean;
}

/** The short form of an owner identity that a record carries. */
export function adopterOf(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/** What a claim changes besides the declared tags (each the value from before; omit what does not change). */
export type AdoptionChanges = Omit<AdoptionRecord, 'tags' | 'adopter'>;

/**
 * The record of a claim that sets `declared` on a resource tagged `current`, removes the user tags
 * `removed` (a takeover applies the declared tags exactly), and changes what `changes` says.
 */
export function adoptionRecord(me: string, current: ReadonlyMap<string, string>, declared: readonly WireTag[],
  changes: AdoptionChanges = {}, removed: readonly string[] = [], request?: string): AdoptionRecord {
  const tags: Record<string, string | null> = {};
  for (const { Key, Value } of declared) {
    const before = current.get(Key);
    if (before !== Value) tags[Key] = before ?? null;
  }
  for (const key of removed) {
    const before = current.get(key);
    if (before !== undefined) tags[key] = before;
  }
  // No targets attached is no change; declared targets, even none, are what the new declaration wants.
  const defined = Object.fromEntries(Object.entries(changes).filter(([k, v]) => v !== undefined && !(k === 'attached' && (v as unknown[]).length === 0)));
  return { ...defined, tags, adopter: adopterOf(me), claimant: me, ...request ? { request } : {} };
}

/**
 * A claim recorded over the record of an earlier claim of the same resource still pending: the
 * earlier values from before win (they are older), and what only the later claim changes is added,
 * so that a rollback puts back the state from before both.
 */
export function mergedRecord(earlier: AdoptionRecord, later: AdoptionRecord): AdoptionRecord {
  const attached = [...new Set([...later.attached ?? [], ...earlier.attached ?? []])];
  const kept = (field: 'parentId' | 'name' | 'content' | 'description') => earlier[field] ?? later[field];
  const merged: AdoptionRecord = {
    ...later,
    parentId: kept('parentId'),
    name: kept('name'),
    content: kept('content'),
    description: kept('description'),
    attached: attached.length > 0 ? attached : undefined,
    tags: { ...later.tags, ...earlier.tags },
  };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as unknown as AdoptionRecord;
}

const FIELDS = {
  parentId: 'p', name: 'n', content: 'c', description: 'd', attached: 'x', targets: 'k', tags: 't', adopter: 'a', claimant: 'o', request: 'q', standing: 's',
} as const;

function encode(record: AdoptionRecord): string {
  const compact: Record<string, unknown> = {};
  for (const [field, short] of Object.entries(FIELDS)) {
    const value = (record as unknown as Record<string, unknown>)[field];
    if (value !== undefined) compact[short] = value;
  }
  return deflateRawSync(Buffer.from(JSON.stringify(compact), 'utf8')).toString('base64');
}

function decode(value: string): AdoptionRecord | undefined {
  const bytes = Buffer.from(value, 'base64');
  let parsed: Record<string, unknown>;
  try {
    // Records of one tag were plain JSON before they were deflated.
    parsed = bytes[0] === 0x7b ? JSON.parse(bytes.toString('utf8')) : JSON.parse(inflateRawSync(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  const text = (short: string) => typeof parsed[short] === 'string' ? parsed[short] as string : undefined;
  const tags = parsed.t && typeof parsed.t === 'object' ? parsed.t as Record<string, string | null> : {};
  const list = (short: string) => Array.isArray(parsed[short]) ? (parsed[short] as unknown[]).filter((t): t is string => typeof t === 'string') : undefined;
  const record: Record<string, unknown> = {
    parentId: text('p'),
    name: text('n'),
    content: text('c'),
    description: text('d'),
    attached: list('x'),
    targets: list('k'),
    tags,
    adopter: text('a'),
    claimant: text('o'),
    request: text('q'),
    standing: parsed.s === true ? true : undefined,
  };
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as AdoptionRecord;
}

/** The record's tag keys present in `tags`, in order. */
export function recordKeys(tags: ReadonlyMap<string, string>): string[] {
  if (!tags.has(ADOPTION_KEY)) return [];
  const keys = [ADOPTION_KEY];
  for (let i = 1; tags.has(partKey(i)); i++) keys.push(partKey(i));
  return keys;
}

/** The record a resource's tags hold, if any (a record cut short reads as none). */
export function readAdoptionRecord(tags: ReadonlyMap<string, string>): AdoptionRecord | undefined {
  const keys = recordKeys(tags);
  return keys.length === 0 ? undefined : decode(keys.map(k => tags.get(k)).join(''));
}

/** Whether a record changes anything (none is written when nothing changes). */
function changesSomething(record: AdoptionRecord): boolean {
  return Object.keys(record.tags).length > 0 || Object.keys(record).some(k => !['tags', 'adopter', 'claimant', 'request', 'standing'].includes(k));
}

/**
 * The tags that record the claim, to set before anything else changes (in the same TagResource as
 * the declared tags); none when nothing changes, when a record of the same adopter is already there
 * (a retry of the same request keeps the state from before its first attempt; the record of another
 * adopter or of an earlier request, which no rollback reads any more, is replaced), or when it does not fit in the tags left: the
 * resource's 50, less its present tags, the `declared` keys it does not have yet and the owner tags.
 */
export function adoptionTags(resourceId: string, current: ReadonlyMap<string, string>, record: AdoptionRecord, ctx: HandlerContext,
  declared: readonly WireTag[] = []): WireTag[] {
  const existing = readAdoptionRecord(current);
  if (existing && existing.adopter === record.adopter && existing.request === record.request && !record.standing) return [];
  if (!changesSomething(record)) return [];
  const value = encode(record);
  const parts: WireTag[] = [];
  for (let i = 0; i * MAX_TAG_VALUE_LENGTH < value.length; i++) {
    parts.push({ Key: i === 0 ? ADOPTION_KEY : partKey(i), Value: value.slice(i * MAX_TAG_VALUE_LENGTH, (i + 1) * MAX_TAG_VALUE_LENGTH) });
  }
  const stale = new Set(recordKeys(current));
  const kept = [...current.keys()].filter(k => !stale.has(k)).length;
  const added = declared.filter(t => !current.has(t.Key)).length;
  const room = MAX_TAGS_PER_RESOURCE - kept - added - OWNERSHIP_TAGS_PER_RESOURCE;
  if (parts.length > room) {
    ctx.log('claiming without a record of what changes: it does not fit in the tags left, so a rollback cannot restore it', { resourceId, parts: parts.length, room });
    return [];
  }
  return parts;
}

/** Keys of a stale record that `parts` (the new record's tags) do not overwrite: to remove in the same step. */
export function staleRecordKeys(current: ReadonlyMap<string, string>, parts: readonly WireTag[]): string[] {
  const written = new Set(parts.map(p => p.Key));
  return parts.length === 0 ? [] : recordKeys(current).filter(k => !written.has(k));
}

/** Puts the changed tag keys back as the record says, and removes the record; the rest is the caller's (type-specific). */
export function restoredTags(record: AdoptionRecord, current: ReadonlyMap<string, string>, keepRecord = false): { set: WireTag[]; remove: string[] } {
  const set: WireTag[] = [];
  const remove: string[] = keepRecord ? [] : recordKeys(current);
  for (const [Key, Value] of Object.entries(record.tags)) {
    if (Value === null) remove.push(Key);
    else set.push({ Key, Value });
  }
  return { set, remove };
}
