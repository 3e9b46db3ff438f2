/**
 * Tags on roots, OUs, accounts and policies: TagResource, UntagResource, ListTagsForResource, and
 * the checks shared with the operations that tag what they create.
 */
import { fail, invalidInput, constraintViolation } from '../errors';
import { paginate } from '../pagination';
import { OrganizationRecord, Tag } from '../state';
import { FIELDS, PAGE, req, TAGS } from '../validation';
import { Context, findTarget, Operations, organizationOf } from './common';

/** Refuses duplicate keys and system (aws:) keys in one request. */
export function checkTagKeys(keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key.toLowerCase().startsWith('aws:')) {
      invalidInput('INVALID_SYSTEM_TAGS_PARAMETER', `Tag key ${JSON.stringify(key)} uses the reserved prefix aws:, which only AWS can set.`);
    }
    if (seen.has(key)) invalidInput('DUPLICATE_TAG_KEY', `Tag key ${JSON.stringify(key)} appears more than once in the request.`);
    seen.add(key);
  }
}

/** Sets `tags` on `resourceId` (values of existing keys replaced), within the tags-per-resource quota. */
export function applyTags(ctx: Context, org: OrganizationRecord, resourceId: string, tags: readonly Tag[]): void {
  checkTagKeys(tags.map(t => t.Key));
  const current = [...(org.tags[resourceId] ?? [])];
  for (const tag of tags) {
    const index = current.findIndex(t => t.Key === tag.Key);
    if (index >= 0) current[index] = { Key: tag.Key, Value: tag.Value };
    else current.push({ Key: tag.Key, Value: tag.Value });
  }
  const max = ctx.quotas.values.maxTagsPerResource;
  if (current.length > max) {
    constraintViolation('MAX_TAG_LIMIT_EXCEEDED', `${resourceId} would have ${current.length} tags; a resource can have at most ${max}.`);
  }
  if (current.length > 0) org.tags[resourceId] = current;
}

/** The resource `resourceId` must be a root, OU, member account, policy or the resource policy of the organization; AWS managed policies take no tags. */
function taggable(ctx: Context, resourceId: string, write: boolean): OrganizationRecord {
  const org = organizationOf(ctx);
  const policy = org.policies[resourceId];
  if (write && policy?.awsManaged) invalidInput('IMMUTABLE_POLICY', `${resourceId} is an AWS managed policy, which cannot be tagged.`);
  if (!policy && !findTarget(ctx.state, resourceId) && org.resourcePolicy?.id !== resourceId) {
    fail('TargetNotFoundException', `We can't find a root, OU, account, policy or resource policy with the id ${resourceId}.`);
  }
  return org;
}

export const tagOperations: Operations = {
  TagResource: {
    access: 'management',
    mutating: true,
    input: { ResourceId: req(FIELDS.taggableId), Tags: req(TAGS) },
    run(ctx, input: { ResourceId: string; Tags: Tag[] }) {
      applyTags(ctx, taggable(ctx, input.ResourceId, true), input.ResourceId, input.Tags);
    },
  },

  UntagResource: {
    access: 'management',
    mutating: true,
    input: { ResourceId: req(FIELDS.taggableId), TagKeys: req({ kind: 'list', member: FIELDS.tagKey }) },
    run(ctx, input: { ResourceId: string; TagKeys: string[] }) {
      const org = taggable(ctx, input.ResourceId, true);
      checkTagKeys(input.TagKeys);
      const remaining = (org.tags[input.ResourceId] ?? []).filter(t => !input.TagKeys.includes(t.Key));
      if (remaining.length > 0) org.tags[input.ResourceId] = remaining;
      else delete org.tags[input.ResourceId];
    },
  },

  ListTagsForResource: {
    access: 'read',
    mutating: false,
    input: { ResourceId: req(FIELDS.taggableId), NextToken: PAGE.NextToken },
    run(ctx, input: { ResourceId: string; NextToken?: string }) {
      const org = taggable(ctx, input.ResourceId, false);
      const tags = [...(org.tags[input.ResourceId] ?? [])].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
      const page = paginate('ListTagsForResource', tags, t => t.Key, input);
      return { Tags: page.items, NextToken: page.nextToken };
    },
  },
};
