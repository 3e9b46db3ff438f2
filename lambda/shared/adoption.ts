/**
 * What an adoption changed, recorded on the adopted OU or account before it changes anything, so
 * that the rollback of the operation that adopted it puts it back as it was: where it was (an
 * account's parent), and the values its declared tag keys had (or that they were absent).
 *
 * The record is one tag, `cdk-organizations:adopted`, whose value (at most 256 characters) is
 * compact JSON in base64 (tag values allow letters, digits, spaces and `_.:/=+-@` only). An adoption whose record does not fit is made all the same, and says in its log
 * line that its rollback cannot restore it. A later Update (the stack kept the resource) or a
 * removal that is not a rollback drops the record.
 */
import { createHash } from 'crypto';
import type { HandlerContext } from './types';
import { OWNERSHIP_TAG_PREFIX, WireTag } from '../../src/private/contract';

/** The tag that holds the record. */
export const ADOPTION_KEY = `${OWNERSHIP_TAG_PREFIX}adopted`;

const MAX_VALUE_LENGTH = 256;

/** What the adoption changed: the parent before a move, and each declared tag key's value before (null: absent). */
export interface AdoptionRecord {
  readonly parentId?: string;
  readonly tags: Readonly<Record<string, string | null>>;
  /** Which resource adopted it (a short hash of its owner identity): only its rollback restores. */
  readonly adopter?: string;
}

/** The short form of an owner identity that a record carries. */
export function adopterOf(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/** The record of an adoption that sets `declared` on a resource tagged `current` (and moves it from `parentId`). */
export function adoptionRecord(me: string, current: ReadonlyMap<string, string>, declared: readonly WireTag[], parentId?: string): AdoptionRecord {
  const tags: Record<string, string | null> = {};
  for (const { Key, Value } of declared) {
    const before = current.get(Key);
    if (before !== Value) tags[Key] = before ?? null;
  }
  return { ...parentId ? { parentId } : {}, tags, adopter: adopterOf(me) };
}

export function parseAdoptionRecord(value: string | undefined): AdoptionRecord | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { p?: unknown; t?: unknown; a?: unknown };
    const tags = parsed.t && typeof parsed.t === 'object' ? parsed.t as Record<string, string | null> : {};
    return { ...typeof parsed.p === 'string' ? { parentId: parsed.p } : {}, tags, ...typeof parsed.a === 'string' ? { adopter: parsed.a } : {} };
  } catch {
    return undefined;
  }
}

function encode(record: AdoptionRecord): string {
  return Buffer.from(JSON.stringify({ ...record.parentId ? { p: record.parentId } : {}, t: record.tags, a: record.adopter }), 'utf8').toString('base64');
}

/**
 * The tag that records the adoption, to set in the same TagResource as the declared tags, before
 * anything else changes; none when nothing changes, when a record is already there (a retry of
 * the same adoption keeps the state from before the first attempt; the record of another adopter,
 * whose resource is gone, is replaced), or when it does not fit.
 */
export function adoptionTags(resourceId: string, current: ReadonlyMap<string, string>, record: AdoptionRecord, ctx: HandlerContext): WireTag[] {
  // A retry of this resource's own adoption keeps the first attempt's record; another adopter's (stale) is replaced.
  if (current.has(ADOPTION_KEY) && parseAdoptionRecord(current.get(ADOPTION_KEY))?.adopter === record.adopter) return [];
  if (!record.parentId && Object.keys(record.tags).length === 0) return [];
  const value = encode(record);
  if (value.length > MAX_VALUE_LENGTH) {
    ctx.log('adopting without a record of what changes: it does not fit in a tag, so a rollback cannot restore it', { resourceId, length: value.length });
    return [];
  }
  return [{ Key: ADOPTION_KEY, Value: value }];
}

/** Puts the declared tag keys back as the record says; the parent is the caller's (moving is type-specific). */
export function restoredTags(record: AdoptionRecord): { set: WireTag[]; remove: string[] } {
  const set: WireTag[] = [];
  const remove: string[] = [ADOPTION_KEY];
  for (const [Key, Value] of Object.entries(record.tags)) {
    if (Value === null) remove.push(Key);
    else set.push({ Key, Value });
  }
  return { set, remove };
}
