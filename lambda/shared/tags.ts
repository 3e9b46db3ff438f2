/**
 * Tags of a root, OU, account or policy, brought to what the stack declares. Only keys the stack
 * declared (now or before) are touched: tags that someone else put on the resource stay, and so do
 * the library's own `cdk-organizations:` keys, which only the ownership rules (shared/ownership.ts)
 * set or remove, in the same calls.
 */
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-organizations';
import { call, callAllPages } from './call';
import { diffTags } from './properties';
import type { HandlerContext } from './types';
import { OWNERSHIP_TAG_PREFIX, WireTag } from '../../src/private/contract';

/** True for keys of this library, compared without case (as AWS compares its own `aws:` prefix). */
export function isLibraryTagKey(key: string): boolean {
  return key.toLowerCase().startsWith(OWNERSHIP_TAG_PREFIX);
}

/** Tags to set and keys to remove on one resource. */
export interface TagChanges {
  readonly set: readonly WireTag[];
  readonly remove: readonly string[];
}

/** The tags a resource has now, as a map from key to value. */
export async function listTags(resourceId: string, ctx: HandlerContext): Promise<Map<string, string>> {
  const tags = await callAllPages(ctx, 'organizations', token => new ListTagsForResourceCommand({ ResourceId: resourceId, NextToken: token }), page => page.Tags);
  return new Map(tags.map(t => [t.Key ?? '', t.Value ?? '']));
}

/** One TagResource and one UntagResource at most; nothing when there is nothing to change. */
export async function applyTagChanges(resourceId: string, changes: TagChanges, ctx: HandlerContext,
  mapError: (error: unknown) => unknown = e => e): Promise<void> {
  if (changes.set.length > 0) {
    try {
      await call(ctx, 'organizations', new TagResourceCommand({ ResourceId: resourceId, Tags: [...changes.set] }));
    } catch (error) {
      throw mapError(error);
    }
  }
  if (changes.remove.length > 0) {
    await call(ctx, 'organizations', new UntagResourceCommand({ ResourceId: resourceId, TagKeys: [...changes.remove] }));
  }
}

/** Options of {@link syncTags}. */
export interface SyncTagsOptions {
  /** Turns a refused TagResource into the caller's message. */
  readonly mapError?: (error: unknown) => unknown;
  /**
   * More changes to make in the same calls, computed from the tags the resource has now: the
   * ownership tags (shared/ownership.ts). Given, the tags are always listed.
   */
  readonly also?: (actual: ReadonlyMap<string, string>) => TagChanges;
  /** The tags the resource has, when the caller has just listed them. */
  readonly current?: ReadonlyMap<string, string>;
}

/**
 * Sets the keys of `newTags` and removes the keys only in `oldTags`, compared with the tags the
 * resource has now, so that a retry or a rollback changes nothing that is already right. Pass
 * `oldTags` empty when adopting a resource: nothing is removed then.
 */
export async function syncTags(
  resourceId: string,
  oldTags: readonly WireTag[],
  newTags: readonly WireTag[],
  ctx: HandlerContext,
  options: SyncTagsOptions = {},
): Promise<void> {
  // The library's own keys are never the user's to set or remove (they are refused on input, too).
  const declared = newTags.filter(t => !isLibraryTagKey(t.Key));
  const diff = diffTags(oldTags.filter(t => !isLibraryTagKey(t.Key)), declared);
  if (!options.also && declared.length === 0 && diff.remove.length === 0) return;
  const actual = options.current ?? await listTags(resourceId, ctx);
  const also = options.also?.(actual) ?? { set: [], remove: [] };
  await applyTagChanges(resourceId, {
    set: [...declared.filter(t => actual.get(t.Key) !== t.Value), ...also.set],
    remove: [...diff.remove.filter(key => actual.has(key)), ...also.remove],
  }, ctx, options.mapError);
}
