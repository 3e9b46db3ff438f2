/**
 * Tags of a root, OU, account or policy, brought to what the stack declares. Only keys the stack
 * declared (now or before) are touched: tags that someone else put on the resource stay.
 */
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-organizations';
import { listAllPages } from './attachments';
import { diffTags } from './properties';
import { withRetry } from './retry';
import type { HandlerContext } from './types';
import type { WireTag } from '../../src/private/contract';

/** The tags a resource has now, as a map from key to value. */
export async function listTags(resourceId: string, ctx: HandlerContext): Promise<Map<string, string>> {
  const tags = await listAllPages(async token => {
    const page = await withRetry(() => ctx.organizations.send(new ListTagsForResourceCommand({ ResourceId: resourceId, NextToken: token })),
      { deadline: ctx.deadline });
    return { items: page.Tags, next: page.NextToken };
  });
  return new Map(tags.map(t => [t.Key ?? '', t.Value ?? '']));
}

/**
 * Sets the keys of `newTags` and removes the keys only in `oldTags`, compared with the tags the
 * resource has now, so that a retry or a rollback changes nothing that is already right. Pass
 * `oldTags` empty when adopting a resource: nothing is removed then. `mapError` turns a refused
 * TagResource into the caller's message.
 */
export async function syncTags(
  resourceId: string,
  oldTags: readonly WireTag[],
  newTags: readonly WireTag[],
  ctx: HandlerContext,
  mapError: (error: unknown) => unknown = e => e,
): Promise<void> {
  const diff = diffTags(oldTags, newTags);
  if (newTags.length === 0 && diff.remove.length === 0) return;
  const actual = await listTags(resourceId, ctx);
  const set = newTags.filter(t => actual.get(t.Key) !== t.Value);
  const remove = diff.remove.filter(key => actual.has(key));
  if (set.length > 0) {
    ctx.log('TagResource', { resourceId, keys: set.map(t => t.Key) });
    try {
      await withRetry(() => ctx.organizations.send(new TagResourceCommand({ ResourceId: resourceId, Tags: set })), { deadline: ctx.deadline });
    } catch (error) {
      throw mapError(error);
    }
  }
  if (remove.length > 0) {
    ctx.log('UntagResource', { resourceId, keys: remove });
    await withRetry(() => ctx.organizations.send(new UntagResourceCommand({ ResourceId: resourceId, TagKeys: remove })), { deadline: ctx.deadline });
  }
}
