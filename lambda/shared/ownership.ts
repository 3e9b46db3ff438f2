/**
 * Which resource of which stack owns what the handlers manage, recorded in AWS Organizations tags.
 *
 * Create adopts what already exists (an OU by name, an account by email, a policy by name), so a
 * renamed or moved construct, a rollback or a second declaration would otherwise make a Delete
 * destroy what another resource uses, or what existed before the stack. A resource therefore
 * destroys only what it owns: what it created (born with its owner tag where the API allows), or
 * what it took over from another resource of this library. The tags live in Organizations itself,
 * so ownership needs no other state and follows a construct into another stack.
 *
 * | tags when Delete comes                  | Delete                                                       |
 * |-----------------------------------------|--------------------------------------------------------------|
 * | no owner                                | adopted: left as it is                                       |
 * | owner = me, no previous owner           | destroyed (with the checks of each resource type)            |
 * | owner = me, previous owner = P          | an unconfirmed takeover rolled back: owner := P, nothing destroyed |
 * | owner = O, previous owner = me          | the cleanup after O took over: previous removed, nothing destroyed |
 * | owner = O, previous owner absent or not me | O's: nothing destroyed                                    |
 */
import { createHash } from 'crypto';
import { isError, reasonOf, UserError } from './errors';
import { applyTagChanges, isLibraryTagKey, listTags, syncTags, TagChanges } from './tags';
import type { DeleteEvent, HandlerContext, OnEventResponse } from './types';
import { OWNERSHIP_TAG_PREFIX, WireTag } from '../../src/private/contract';


/** Organizations' limits on tags (the tag editor's and the API's). */
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;
/** Tags per root, OU, account or policy. */
export const MAX_TAGS_PER_RESOURCE = 50;
/** The most ownership tags a resource carries at once: owner, and previous owner during a takeover. */
export const OWNERSHIP_TAGS_PER_RESOURCE = 2;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The two tag keys that record the owner of one thing. */
export interface OwnershipKeys {
  readonly owner: string;
  readonly previous: string;
}

/** `cdk-organizations:<kind>/<name>`, with the name hashed when `<key>/previous` would exceed 128 characters. */
function scopedKeys(kind: string, name: string): OwnershipKeys {
  const base = `${OWNERSHIP_TAG_PREFIX}${kind}/`;
  const suffix = '/previous';
  let owner = `${base}${name}`;
  if (owner.length + suffix.length > MAX_KEY_LENGTH) {
    const digest = sha256(name).slice(0, 16);
    owner = `${base}${name.slice(0, MAX_KEY_LENGTH - suffix.length - base.length - digest.length - 1)}+${digest}`;
  }
  return { owner, previous: `${owner}${suffix}` };
}

/** The tag keys of each kind of ownership: one function per purpose, so that no key is spelled twice. */
export const OwnershipTags = {
  /** On an OU, account or policy: who owns that resource itself. */
  resource: (): OwnershipKeys => ({ owner: `${OWNERSHIP_TAG_PREFIX}owner`, previous: `${OWNERSHIP_TAG_PREFIX}previous-owner` }),
  /** On the root: who enabled a policy type. */
  policyType: (policyType: string): OwnershipKeys => scopedKeys('policy-type', policyType),
  /** On the root: who enabled trusted access for a service. */
  trustedAccess: (servicePrincipal: string): OwnershipKeys => scopedKeys('trusted-access', servicePrincipal),
  /** On the account: who registered it as delegated administrator of a service. */
  delegatedAdministrator: (servicePrincipal: string): OwnershipKeys => scopedKeys('delegated-administrator', servicePrincipal),
  /** On the target (root, OU or account): who attached a policy to it (PolicyAttachment resources). */
  attachment: (policyId: string): OwnershipKeys => scopedKeys('attachment', policyId),
  /** On the root: who created the organization. */
  organization: (): OwnershipKeys => ({ owner: `${OWNERSHIP_TAG_PREFIX}organization`, previous: `${OWNERSHIP_TAG_PREFIX}organization/previous` }),
};

/**
 * The identity of the resource an event is about: `<stackName>/<LogicalResourceId>`. The stack
 * name (not its id) keeps a stack deleted and created again the owner of what it retained. An
 * identity longer than a tag value allows keeps a readable start and a hash of the whole.
 */
export function ownerOf(event: { readonly StackId: string; readonly LogicalResourceId: string }): string {
  const stackName = /^arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\/([^/]+)\//.exec(event.StackId)?.[1] ?? event.StackId;
  const identity = `${stackName}/${event.LogicalResourceId}`;
  if (identity.length <= MAX_VALUE_LENGTH) return identity;
  // `+` never occurs in stack names or logical ids, so a hashed form cannot equal a plain one.
  return `${identity.slice(0, 200)}+${sha256(identity).slice(0, 40)}`;
}

/** Refuses user-declared tags under the library's prefix, naming the key. */
export function assertNoOwnershipKeys(tags: readonly WireTag[], property: string, what: string): void {
  const reserved = tags.filter(t => isLibraryTagKey(t.Key)).map(t => JSON.stringify(t.Key));
  if (reserved.length === 0) return;
  throw new UserError(`${what}: the tag key${reserved.length > 1 ? 's' : ''} ${reserved.join(', ')} in ${property} ${reserved.length > 1 ? 'use' : 'uses'} the prefix `
    + `"${OWNERSHIP_TAG_PREFIX}", which cdk-organizations reserves for the tags that record which stack owns a resource (so that removing `
    + 'a resource never destroys what its stack did not create). Rename the tag.');
}

/** What the tags say about one thing. */
export interface Ownership {
  readonly owner?: string;
  readonly previous?: string;
}

export function ownershipIn(tags: ReadonlyMap<string, string>, keys: OwnershipKeys): Ownership {
  return { owner: tags.get(keys.owner) || undefined, previous: tags.get(keys.previous) || undefined };
}

/**
 * How a Create or Update stands to the thing it found or made:
 * - `created`: this request made it, and now owns it;
 * - `mine`: the owner tag names this resource already (a retry, a redeploy);
 * - `takeover`: another resource of this library owned it; this one does now, the other is kept as previous owner;
 * - `adopted`: it existed without an owner; it stays unowned, and this resource never destroys it.
 */
export type Claim = 'created' | 'mine' | 'takeover' | 'adopted';

/** The stack part of an owner identity (hashed identities keep it: stack names are at most 128 characters). */
const stackOf = (identity: string) => identity.slice(0, identity.indexOf('/'));

/**
 * The claim, and the tag changes that record it. `created` says whether this request made the
 * thing. `confirm` says that the request comes from a deployment after the one that took the
 * thing over (an Update): a previous owner in the same stack was then renamed away (its Delete
 * never came, as for resources with DeletionPolicy Retain), so the takeover is confirmed.
 */
export function claimChanges(current: Ownership, keys: OwnershipKeys, me: string, created: boolean,
  confirm = false): { claim: Claim; changes: TagChanges } {
  const none = { set: [], remove: [] };
  if (current.owner === me) {
    if (confirm && current.previous && stackOf(current.previous) === stackOf(me)) return { claim: 'mine', changes: { set: [], remove: [keys.previous] } };
    // Otherwise an unconfirmed takeover keeps its previous owner: the rollback that may still come needs it.
    return { claim: 'mine', changes: none };
  }
  if (current.owner) {
    return { claim: 'takeover', changes: { set: [{ Key: keys.owner, Value: me }, { Key: keys.previous, Value: current.owner }], remove: [] } };
  }
  if (!created) return { claim: 'adopted', changes: none };
  return { claim: 'created', changes: { set: [{ Key: keys.owner, Value: me }], remove: current.previous ? [keys.previous] : [] } };
}

/** What a Delete does, from the tags alone (see the table at the top of this module). */
export type DeleteDecision =
  | { readonly kind: 'destroy' }
  | { readonly kind: 'adopted' }
  | { readonly kind: 'restore'; readonly owner: string }
  | { readonly kind: 'release'; readonly owner: string }
  | { readonly kind: 'foreign'; readonly owner: string };

export function decideDelete(current: Ownership, me: string): DeleteDecision {
  if (!current.owner) return { kind: 'adopted' };
  if (current.owner === me) return current.previous ? { kind: 'restore', owner: current.previous } : { kind: 'destroy' };
  return current.previous === me ? { kind: 'release', owner: current.owner } : { kind: 'foreign', owner: current.owner };
}

/** The tag changes a Delete decision implies. */
export function deleteChanges(decision: DeleteDecision, keys: OwnershipKeys): TagChanges {
  switch (decision.kind) {
    case 'restore': return { set: [{ Key: keys.owner, Value: decision.owner }], remove: [keys.previous] };
    case 'release': return { set: [], remove: [keys.previous] };
    default: return { set: [], remove: [] };
  }
}

/**
 * The message for a resource that cannot take one more tag: it names the resource, the limit and
 * what the library needs the room for. `declared` is the number of Tags the stack declares on it.
 */
export function tagLimitMessage(what: string, resourceId: string, declared = 0): string {
  const room = MAX_TAGS_PER_RESOURCE - OWNERSHIP_TAGS_PER_RESOURCE;
  return `Cannot tag ${what}: ${resourceId} would have more than ${MAX_TAGS_PER_RESOURCE} tags, the most AWS Organizations allows (MAX_TAG_LIMIT_EXCEEDED). `
    + `Besides ${declared > 0 ? `the ${declared} Tags this stack declares and ` : ''}the tags set outside the stack, cdk-organizations keeps its own `
    + `tags under "${OWNERSHIP_TAG_PREFIX}" on it (one for each thing it manages there, two while a resource takes over from another), `
    + 'which record what this stack created and may therefore delete. '
    + `${declared > 0 ? `Declare at most ${room} Tags, or remove` : 'Remove'} tags set on ${resourceId} outside the stack `
    + `(\`aws organizations untag-resource --resource-id ${resourceId} --tag-keys <key>\`), then deploy again.`;
}

/** Turns MAX_TAG_LIMIT_EXCEEDED into {@link tagLimitMessage}; other errors pass through `fallback`. */
export function ownershipTagError(what: string, resourceId: string, declared = 0, fallback: (error: unknown) => unknown = e => e) {
  return (error: unknown): unknown => {
    if (isError(error, 'ConstraintViolationException') && reasonOf(error) === 'MAX_TAG_LIMIT_EXCEEDED') {
      return new UserError(tagLimitMessage(what, resourceId, declared));
    }
    return fallback(error);
  };
}

/** The ownership recorded on `resourceId`, or undefined when that resource no longer exists. */
export async function readOwnership(resourceId: string, keys: OwnershipKeys, ctx: HandlerContext): Promise<Ownership | undefined> {
  try {
    return ownershipIn(await listTags(resourceId, ctx), keys);
  } catch (error) {
    if (isError(error, 'TargetNotFoundException', 'AWSOrganizationsNotInUseException')) return undefined;
    throw error;
  }
}

/** Describes the thing for log lines and messages, e.g. `policy type TAG_POLICY on root r-ab12`. */
export interface Owned {
  /** Where the ownership tags live: the thing itself, or the root, account or target it belongs to. */
  readonly resourceId: string;
  readonly keys: OwnershipKeys;
  readonly what: string;
}

/** Options of {@link syncTagsAndClaim}. */
export interface ClaimOptions {
  /** The identity of the claiming resource ({@link ownerOf}). */
  readonly me: string;
  /** Whether this request made the thing (only then is an unowned thing claimed). */
  readonly created: boolean;
  /** An Update: a takeover from a resource of the same stack is confirmed (see {@link claimChanges}). */
  readonly confirm?: boolean;
  /** Names the thing in log lines and messages. */
  readonly what: string;
  /** Turns a refused TagResource (other than a full tag quota) into the caller's message. */
  readonly mapError?: (error: unknown) => unknown;
  /** The tags the resource has, when the caller has just listed them. */
  readonly current?: ReadonlyMap<string, string>;
}

/**
 * Brings the user's tags of an OU, account or policy to what the stack declares and records its
 * ownership, with one ListTagsForResource, one TagResource and one UntagResource at most (none
 * when nothing changes). Returns the claim (see {@link claimChanges}), for the caller to log.
 */
export async function syncTagsAndClaim(
  resourceId: string,
  oldTags: readonly WireTag[],
  newTags: readonly WireTag[],
  ctx: HandlerContext,
  options: ClaimOptions,
  keys: OwnershipKeys = OwnershipTags.resource(),
): Promise<Claim> {
  let result: Claim = 'adopted';
  await syncTags(resourceId, oldTags, newTags, ctx, {
    current: options.current,
    mapError: ownershipTagError(options.what, resourceId, newTags.length, options.mapError),
    also: actual => {
      const current = ownershipIn(actual, keys);
      const claimed = claimChanges(current, keys, options.me, options.created, options.confirm);
      result = claimed.claim;
      if (result === 'takeover') ctx.log('taking over from another resource', { what: options.what, resourceId, from: current.owner, to: options.me });
      return claimed.changes;
    },
  });
  return result;
}

/**
 * Before creating a thing whose ownership tags live on another resource (the root, an account, a
 * target): reads that resource's tags, and refuses while there is no room for the owner tag, so
 * that nothing is created that could not be recorded as this resource's own (it would be adopted,
 * and never removed, by the retry). Returns the tags, for {@link claim}.
 */
export async function prepareClaim(owned: Owned, ctx: HandlerContext): Promise<ReadonlyMap<string, string>> {
  const tags = await listTags(owned.resourceId, ctx);
  if (!tags.has(owned.keys.owner) && tags.size >= MAX_TAGS_PER_RESOURCE) throw new UserError(tagLimitMessage(owned.what, owned.resourceId));
  return tags;
}

/**
 * Claims a thing whose ownership tags live on another resource (the root, an account, a target),
 * after Create or Update found or made it. `current`: the tags {@link prepareClaim} read.
 */
export async function claim(owned: Owned, me: string, ctx: HandlerContext,
  options: Pick<ClaimOptions, 'created' | 'confirm' | 'current'>): Promise<Claim> {
  return syncTagsAndClaim(owned.resourceId, [], [], ctx, { ...options, me, what: owned.what }, owned.keys);
}

/**
 * The first step of every Delete: reads the ownership, applies what the decision implies (a
 * takeover undone or confirmed), logs one line when nothing is to be destroyed, and says whether
 * the caller destroys the thing. A resource that no longer exists is `gone`.
 */
export async function settleDelete(owned: Owned, me: string, ctx: HandlerContext): Promise<DeleteDecision | { readonly kind: 'gone' }> {
  const current = await readOwnership(owned.resourceId, owned.keys, ctx);
  if (!current) return { kind: 'gone' };
  const decision = decideDelete(current, me);
  const fields = { what: owned.what, resourceId: owned.resourceId, me };
  switch (decision.kind) {
    case 'adopted':
      ctx.log('leaving it in place: adopted', {
        ...fields,
        why: `it has no ${owned.keys.owner} tag, so this stack did not create it (or it is already removed); to let a stack delete it, tag ${owned.resourceId} with ${owned.keys.owner}=<stackName>/<logicalId> of its resource`,
      });
      break;
    case 'restore':
      ctx.log('leaving it in place: takeover undone', { ...fields, owner: decision.owner, why: `this resource took it over from ${decision.owner} and is removed before that was confirmed (a rollback); ${decision.owner} owns it again` });
      break;
    case 'release':
      ctx.log('leaving it in place: taken over', { ...fields, owner: decision.owner, why: `${decision.owner} took it over from this resource (a renamed or moved construct)` });
      break;
    case 'foreign':
      ctx.log('leaving it in place: owned by another resource', { ...fields, owner: decision.owner });
      break;
    default:
  }
  await applyTagChanges(owned.resourceId, deleteChanges(decision, owned.keys), ctx);
  return decision;
}

/**
 * After destroying a thing whose ownership tags live on another resource (the root, an account,
 * a target), removes them: a later Create finds the thing unowned, as it is. A resource that is
 * gone took its tags with it.
 */
export async function forget(owned: Owned, ctx: HandlerContext): Promise<void> {
  try {
    await applyTagChanges(owned.resourceId, { set: [], remove: [owned.keys.owner] }, ctx);
  } catch (error) {
    if (!isError(error, 'TargetNotFoundException', 'AccountNotFoundException', 'AWSOrganizationsNotInUseException')) throw error;
  }
}

/** The physical id the provider framework reports for a failed Create; it never forwards that id's Delete. */
const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

/**
 * The Delete of a physical id this handler never returned: CloudFormation stopped waiting for the
 * Create (another resource failed first) and invented an id for the rollback's Delete. That Create
 * may still have taken the thing over from another resource, which then must get it back, or its
 * own removal would later leave it in place. `locate` finds the thing from the properties.
 * Nothing is destroyed: without the real id, this resource cannot tell its own creation from what
 * it found. Best effort, since a rollback must not fail on it: a failure is logged and leaves the
 * thing to this resource's identity (the next deployment of the same logical id takes it back).
 */
export async function undoCancelledCreate(event: DeleteEvent, ctx: HandlerContext,
  locate: () => Promise<Owned | undefined>): Promise<OnEventResponse> {
  if (event.PhysicalResourceId === CREATE_FAILED_MARKER) return {};
  const me = ownerOf(event);
  try {
    const owned = await locate();
    const current = owned && await readOwnership(owned.resourceId, owned.keys, ctx);
    if (!owned || current?.owner !== me || !current.previous) {
      ctx.log('no physical id: nothing of this resource to give back', { physicalResourceId: event.PhysicalResourceId });
      return {};
    }
    ctx.log('giving back what a cancelled Create took over', { what: owned.what, resourceId: owned.resourceId, owner: current.previous });
    await applyTagChanges(owned.resourceId, deleteChanges({ kind: 'restore', owner: current.previous }, owned.keys), ctx);
  } catch (error) {
    ctx.log('could not give back what a cancelled Create may have taken over', { error: (error as Error).name, message: (error as Error).message });
  }
  return {};
}
