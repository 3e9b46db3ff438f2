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
 * `previous` holds either the owner a takeover took the thing from (kept until the takeover is
 * final), or, on a thing a Create made, `created:<epoch ms>:<RequestId>`: which request made it, so
 * that only that request (its retries and polls) counts it as its own making.
 *
 * | tags when Delete comes                  | Delete                                                       |
 * |-----------------------------------------|--------------------------------------------------------------|
 * | no owner                                | adopted: left as it is                                       |
 * | owner = me, previous absent or created: | destroyed (with the checks of each resource type)            |
 * | owner = me, previous owner = P          | in a rollback: my claim is undone, owner := P, nothing destroyed; otherwise the claim is final (P is me, or P's resource no longer exists, as CloudFormation says) and it is destroyed, else given back to P |
 * | owner = O, previous owner = me          | the cleanup after O took over: previous removed, nothing destroyed |
 * | owner = O, previous owner absent or not me | O's: nothing destroyed                                    |
 *
 * A Create that finds a thing already owned by its own identity did not make it: an earlier
 * operation did (one that failed and retained it, or a stack deleted and deployed again). It claims
 * it again as a takeover from itself (previous := me), so that this operation's rollback leaves it
 * as it was, and a later removal, once the operation succeeded, destroys it as declared.
 */
import { createHash } from 'crypto';
import {
  AdoptionChanges,
  AdoptionRecord,
  adopterOf,
  adoptionRecord,
  adoptionTags,
  mergedRecord,
  readAdoptionRecord,
  recordKeys,
  restoredTags,
  staleRecordKeys,
} from './adoption';
import { now as clockNow } from './clock';
import { resourceGone, stackOperation, StackOperation } from './cloudformation';
import { isError, reasonOf, UserError } from './errors';
import { applyTagChanges, isLibraryTagKey, listTags, syncTags, TagChanges } from './tags';
import type { DeleteEvent, HandlerContext, OnEventResponse } from './types';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAG_PREFIX, OWNERSHIP_TAGS_PER_RESOURCE, WireTag } from '../../src/private/contract';


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
  if (owner.length + suffix.length > MAX_TAG_KEY_LENGTH) {
    const digest = sha256(name).slice(0, 16);
    owner = `${base}${name.slice(0, MAX_TAG_KEY_LENGTH - suffix.length - base.length - digest.length - 1)}+${digest}`;
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
  if (identity.length <= MAX_TAG_VALUE_LENGTH) return identity;
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
 * - `reclaimed`: a Create found it owned by this resource from an earlier operation: claimed again, pending like a takeover;
 * - `takeover`: another resource of this library owned it; this one does now, the other is kept as previous owner;
 * - `adopted`: it existed without an owner; it stays unowned, and this resource never destroys it.
 */
export type Claim = 'created' | 'mine' | 'reclaimed' | 'takeover' | 'adopted';

/** The stack part of an owner identity (hashed identities keep it: stack names are at most 128 characters). */
const stackOf = (identity: string) => identity.slice(0, identity.indexOf('/'));

const CREATED_PREFIX = 'created:';

/** The `previous` value of a thing made by the request `requestId`, at `now`. */
export function createdMarker(requestId: string, now = clockNow()): string {
  return `${CREATED_PREFIX}${now}:${requestId}`;
}

/** The request that made a thing, from its `previous` value; undefined when it holds an owner (or nothing). */
export function parseCreatedMarker(previous: string | undefined): { readonly at: number; readonly requestId: string } | undefined {
  const match = previous ? /^created:(\d+):(.*)$/.exec(previous) : null;
  return match ? { at: Number(match[1]), requestId: match[2] } : undefined;
}

/** The previous owner a pending claim may be given back to (never a creation marker). */
function previousOwner(current: Ownership): string | undefined {
  return parseCreatedMarker(current.previous) ? undefined : current.previous;
}

/** What a claim is made with: who claims, whether this request made the thing, and in which kind of request. */
export interface ClaimRequest {
  /** The identity of the claiming resource ({@link ownerOf}). */
  readonly me: string;
  /** Whether this request made the thing (only then is an unowned thing claimed). */
  readonly created: boolean;
  /**
   * An Update: the stack held the resource when the request came, so the claim of an earlier
   * Create is final when it was made from this resource itself or from a resource of the same stack
   * (renamed away; its Delete never came, as for resources with DeletionPolicy Retain).
   */
  readonly confirm?: boolean;
  /** The CloudFormation request id: a thing carrying its creation marker was made by this request. */
  readonly requestId?: string;
  /**
   * A thing this request made is marked with the request (`previous` = its creation marker), as
   * OUs, accounts and policies are at birth: the rollback's Delete of a cancelled Create, which has
   * no physical id, then finds what that Create made and removes it. For things whose tags live on
   * a shared resource (policy types and trusted access on the root), at the cost of one more tag.
   */
  readonly marker?: boolean;
}

/** The claim, and the tag changes that record it. */
export function claimChanges(current: Ownership, keys: OwnershipKeys, request: ClaimRequest): { claim: Claim; changes: TagChanges } {
  const { me, created, confirm = false, requestId, marker: marks = false } = request;
  const none = { set: [], remove: [] };
  if (current.owner === me) {
    const marker = parseCreatedMarker(current.previous);
    const previous = previousOwner(current);
    if (confirm) {
      if (previous && (previous === me || stackOf(previous) === stackOf(me))) return { claim: 'mine', changes: { set: [], remove: [keys.previous] } };
      // A takeover from another stack stays pending: that stack may still declare it, and its rollback needs it.
      return { claim: 'mine', changes: none };
    }
    if (previous) return { claim: 'mine', changes: none };
    if (created || (marker && requestId !== undefined && marker.requestId === requestId)) return { claim: 'mine', changes: none };
    // Made by an earlier operation (or by a request this one cannot recognise): its rollback must leave it in place.
    return { claim: 'reclaimed', changes: { set: [{ Key: keys.previous, Value: me }], remove: [] } };
  }
  if (current.owner) {
    return { claim: 'takeover', changes: { set: [{ Key: keys.owner, Value: me }, { Key: keys.previous, Value: current.owner }], remove: [] } };
  }
  if (!created) return { claim: 'adopted', changes: none };
  if (marks && requestId !== undefined) {
    return { claim: 'created', changes: { set: [{ Key: keys.owner, Value: me }, { Key: keys.previous, Value: createdMarker(requestId) }], remove: [] } };
  }
  return { claim: 'created', changes: { set: [{ Key: keys.owner, Value: me }], remove: current.previous ? [keys.previous] : [] } };
}

/** What a Delete does, from the tags and, for a pending claim, what CloudFormation says. */
export type DeleteDecision =
  | { readonly kind: 'destroy' }
  | { readonly kind: 'adopted' }
  | { readonly kind: 'restore'; readonly owner: string }
  | { readonly kind: 'release'; readonly owner: string }
  | { readonly kind: 'foreign'; readonly owner: string };

/** What CloudFormation says about a Delete whose thing has a pending claim. */
export interface DeleteFacts {
  readonly phase: StackOperation['phase'];
  /** Whether the previous owner's resource no longer exists (undefined: not known). */
  readonly previousGone?: boolean;
}

/** Whether deciding needs {@link DeleteFacts}: only a pending claim of this resource does. */
export function needsFacts(current: Ownership, me: string): boolean {
  return current.owner === me && previousOwner(current) !== undefined;
}

export function decideDelete(current: Ownership, me: string, facts: DeleteFacts = { phase: 'unknown' }): DeleteDecision {
  if (!current.owner) return { kind: 'adopted' };
  if (current.owner === me) {
    const previous = previousOwner(current);
    if (!previous) return { kind: 'destroy' };
    // A rollback undoes the claim of this operation's Create; unknown facts keep it, which loses nothing.
    if (facts.phase !== 'forward') return { kind: 'restore', owner: previous };
    return previous === me || facts.previousGone === true ? { kind: 'destroy' } : { kind: 'restore', owner: previous };
  }
  return current.previous === me ? { kind: 'release', owner: current.owner } : { kind: 'foreign', owner: current.owner };
}

/** The tag changes a Delete decision implies. */
export function deleteChanges(decision: DeleteDecision, keys: OwnershipKeys): TagChanges {
  switch (decision.kind) {
    case 'restore': return { set: [{ Key: keys.owner, Value: decision.owner }], remove: [keys.previous] };
    // The owner tag goes with the thing, or with forget(); a final claim's previous owner goes now.
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

/** The tags of `resourceId`, or undefined when that resource no longer exists. */
async function readTags(resourceId: string, ctx: HandlerContext): Promise<Map<string, string> | undefined> {
  try {
    return await listTags(resourceId, ctx);
  } catch (error) {
    if (isError(error, 'TargetNotFoundException', 'AWSOrganizationsNotInUseException')) return undefined;
    throw error;
  }
}

/** The ownership recorded on `resourceId`, or undefined when that resource no longer exists. */
export async function readOwnership(resourceId: string, keys: OwnershipKeys, ctx: HandlerContext): Promise<Ownership | undefined> {
  const tags = await readTags(resourceId, ctx);
  return tags && ownershipIn(tags, keys);
}

/**
 * The Delete of a resource that adopted or took over the thing: in the rollback of the operation
 * that claimed it, what the claim changed is put back (shared/adoption.ts); otherwise the record is
 * dropped. Another resource's record (it claimed the thing since) is that resource's to settle.
 */
async function settleAdoption(owned: Owned, event: ResourceEvent, tags: ReadonlyMap<string, string>, ctx: HandlerContext,
  restoreAdopted: (record: AdoptionRecord) => Promise<void>, keepRecord = false): Promise<void> {
  const record = readAdoptionRecord(tags);
  if (record && record.adopter !== adopterOf(ownerOf(event))) return;
  const { phase, rolledBack } = await stackOperation(event.StackId, ctx);
  // Only the rollback of the operation that claimed it restores (or the undo of an abandoned
  // request, which may come after the rollback ended); a removal drops the record. A standing
  // record restores nothing: the undo of an abandoned request leaves it, a removal drops it.
  if (record?.standing && keepRecord) return;
  if (!record || record.standing || (phase !== 'rollback' && !rolledBack)) {
    await applyTagChanges(owned.resourceId, { set: [], remove: recordKeys(tags) }, ctx);
    return;
  }
  ctx.log('undoing what the adoption changed', { what: owned.what, resourceId: owned.resourceId });
  await restoreAdopted(record);
  await applyTagChanges(owned.resourceId, restoredTags(record, tags, keepRecord), ctx);
}

/**
 * Whether a Create's claim of the thing tagged `current` records what it changes: an adoption, a
 * takeover, and a claim again of what an earlier operation of this resource made (its rollback
 * must leave that as it was); not this request's own making, nor a claim already pending (a retry),
 * unless an earlier request left it pending (see {@link pendingFromEarlierRequest}).
 */
export function claimRecorded(current: ReadonlyMap<string, string>, me: string, ctx: Pick<HandlerContext, 'requestId'>): boolean {
  const ownership = ownershipIn(current, OwnershipTags.resource());
  if (ownership.owner !== me) return true;
  const marker = parseCreatedMarker(ownership.previous);
  if (marker) return !(ctx.requestId !== undefined && marker.requestId === ctx.requestId);
  return !previousOwner(ownership) || pendingFromEarlierRequest(current, me, ctx) !== undefined;
}

/**
 * The record of a claim by this resource still pending from an earlier request: its operation
 * rolled back and the undo that ran last kept the record (an undo keeps it for a late Create that
 * may still be running). Such a claim is no retry of this one: this request records what it
 * changes, over the earlier values from before.
 */
function pendingFromEarlierRequest(current: ReadonlyMap<string, string>, me: string, ctx: Pick<HandlerContext, 'requestId'>): AdoptionRecord | undefined {
  const record = readAdoptionRecord(current);
  const earlier = record && !record.standing && record.adopter === adopterOf(me) && record.request !== undefined && record.request !== ctx.requestId;
  return earlier ? record : undefined;
}

/** What a Create writes before it changes a thing it found: the record of its claim, and the user tags a takeover removes. */
export interface ClaimPlan {
  /** The record's tags (none for a thing this resource owns already, or when it does not fit). */
  readonly record: readonly WireTag[];
  /** Keys of a stale record these tags do not overwrite. */
  readonly stale: readonly string[];
  /** User tag keys the claim removes: a takeover applies the declared tags exactly. */
  readonly removed: readonly string[];
}

/**
 * Plans the claim of an OU, account or policy a Create found (`current`: its tags): an adoption
 * or a takeover records what it changes (the declared tags, the user tags a takeover removes, and
 * what `changes` says), for the rollback of this operation to put it back (shared/adoption.ts).
 */
export function planClaim(resourceId: string, current: ReadonlyMap<string, string>, me: string, declared: readonly WireTag[],
  changes: AdoptionChanges, ctx: HandlerContext): ClaimPlan {
  const { owner } = ownershipIn(current, OwnershipTags.resource());
  if (!claimRecorded(current, me, ctx)) return { record: [], stale: [], removed: [] };
  const declaredKeys = new Set(declared.map(t => t.Key));
  // The previous owner's declaration (this resource's own, in an earlier operation, for a claim
  // again) is replaced whole: its tags that this one does not declare go.
  const removed = owner ? [...current.keys()].filter(k => !isLibraryTagKey(k) && !declaredKeys.has(k)) : [];
  // So are the tags another resource's adoption added (its record says which), when this one drops them.
  const previous = readAdoptionRecord(current);
  if (!owner && previous && previous.adopter !== adopterOf(me)) {
    removed.push(...Object.entries(previous.tags).filter(([k, before]) => before === null && current.has(k) && !declaredKeys.has(k)).map(([k]) => k));
  }
  const claimed = adoptionRecord(me, current, declared, changes, removed, ctx.requestId);
  const earlier = owner === me ? pendingFromEarlierRequest(current, me, ctx) : undefined;
  const record = adoptionTags(resourceId, current, earlier ? mergedRecord(earlier, claimed) : claimed, ctx, declared);
  return { record, stale: staleRecordKeys(current, record), removed };
}

/** Describes the thing for log lines and messages, e.g. `policy type TAG_POLICY on root r-ab12`. */
export interface Owned {
  /** Where the ownership tags live: the thing itself, or the root, account or target it belongs to. */
  readonly resourceId: string;
  readonly keys: OwnershipKeys;
  readonly what: string;
}

/**
 * The ownership tags a thing is born with (CreateAccount, CreateOrganizationalUnit, CreatePolicy
 * take tags): its owner, and the marker of the request that made it (see the table above).
 */
export function bornTags(me: string, ctx: Pick<HandlerContext, 'requestId'>): WireTag[] {
  const keys = OwnershipTags.resource();
  const tags = [{ Key: keys.owner, Value: me }];
  if (ctx.requestId) tags.push({ Key: keys.previous, Value: createdMarker(ctx.requestId) });
  return tags;
}

/** Options of {@link syncTagsAndClaim}. */
export interface ClaimOptions extends ClaimRequest {
  /** Names the thing in log lines and messages. */
  readonly what: string;
  /** Turns a refused TagResource (other than a full tag quota) into the caller's message. */
  readonly mapError?: (error: unknown) => unknown;
  /** The tags the resource has, when the caller has just listed them. */
  readonly current?: ReadonlyMap<string, string>;
  /** The record of the claim to set in the same TagResource ({@link planClaim}). */
  readonly plan?: ClaimPlan;
}

/**
 * The record of a claim once an Update of the claiming resource came (the stack kept the thing, so
 * no rollback needs it): on a thing adopted (no owner), a standing record of the declared tag keys
 * the app added, that the thing did not have before (a later claim by another resource, such as
 * the construct renamed, removes those it does not declare, as a takeover would); on a thing the
 * stack owns, none (a takeover applies the declaration exactly). Another resource's record is that
 * resource's to settle.
 */
function recordAfterUpdate(resourceId: string, actual: ReadonlyMap<string, string>, declared: readonly WireTag[], me: string,
  ctx: HandlerContext): TagChanges {
  const keys = recordKeys(actual);
  const record = readAdoptionRecord(actual);
  if (record && record.adopter !== adopterOf(me)) return { set: [], remove: [] };
  if (ownershipIn(actual, OwnershipTags.resource()).owner !== undefined) return { set: [], remove: keys };
  const added = declared.filter(t => record?.tags[t.Key] === null || (!actual.has(t.Key) && !(record && t.Key in record.tags)));
  const standing: AdoptionRecord = { tags: Object.fromEntries(added.map(t => [t.Key, null])), adopter: adopterOf(me), claimant: me, standing: true };
  const parts = added.length === 0 ? [] : adoptionTags(resourceId, actual, standing, ctx, declared);
  if (parts.length === 0) return { set: [], remove: keys };
  return { set: parts.filter(p => actual.get(p.Key) !== p.Value), remove: staleRecordKeys(actual, parts) };
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
  // A takeover's removals count as tags declared before (so that they go, as an Update's would).
  const removed = (options.plan?.removed ?? []).map(Key => ({ Key, Value: '' }));
  await syncTags(resourceId, [...oldTags, ...removed], newTags, ctx, {
    current: options.current,
    mapError: ownershipTagError(options.what, resourceId, newTags.length, options.mapError),
    also: actual => {
      const current = ownershipIn(actual, keys);
      const claimed = claimChanges(current, keys, { requestId: ctx.requestId, ...options });
      result = claimed.claim;
      if (result === 'takeover') ctx.log('taking over from another resource', { what: options.what, resourceId, from: current.owner, to: options.me });
      if (result === 'reclaimed') ctx.log('claiming again what an earlier operation of this resource made', { what: options.what, resourceId, me: options.me });
      const updated = options.confirm && keys.owner === OwnershipTags.resource().owner
        ? recordAfterUpdate(resourceId, actual, newTags, options.me, ctx) : undefined;
      return {
        set: [...claimed.changes.set, ...options.plan?.record ?? [], ...updated?.set ?? []],
        remove: [...claimed.changes.remove, ...options.plan?.stale ?? [], ...updated?.remove ?? []],
      };
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
  options: Pick<ClaimOptions, 'created' | 'confirm' | 'current' | 'marker'>): Promise<Claim> {
  return syncTagsAndClaim(owned.resourceId, [], [], ctx, { ...options, me, what: owned.what }, owned.keys);
}

/** What identifies the resource a Delete is for. */
export type ResourceEvent = Pick<DeleteEvent, 'StackId' | 'LogicalResourceId'>;

/** Asks CloudFormation what a Delete of a pending claim needs to know ({@link DeleteFacts}). */
async function deleteFacts(current: Ownership, event: ResourceEvent, ctx: HandlerContext): Promise<DeleteFacts> {
  const { phase } = await stackOperation(event.StackId, ctx);
  const previous = current.previous!;
  const me = ownerOf(event);
  if (phase !== 'forward' || previous === me) return { phase };
  // Only a previous owner of this stack is asked about (the same region for sure); a hashed identity cannot be.
  if (stackOf(previous) !== stackOf(me) || previous.includes('+')) return { phase };
  return { phase, previousGone: await resourceGone(stackOf(previous), previous.slice(previous.indexOf('/') + 1), ctx) };
}

/**
 * The first step of every Delete: reads the ownership, applies what the decision implies (a
 * takeover undone or confirmed), logs one line when nothing is to be destroyed, and says whether
 * the caller destroys the thing. A resource that no longer exists is `gone`.
 */
export async function settleDelete(owned: Owned, event: ResourceEvent, ctx: HandlerContext,
  restoreAdopted?: (record: AdoptionRecord) => Promise<void>): Promise<DeleteDecision | { readonly kind: 'gone' }> {
  const me = ownerOf(event);
  const tags = await readTags(owned.resourceId, ctx);
  if (!tags) return { kind: 'gone' };
  const current = ownershipIn(tags, owned.keys);
  const facts = needsFacts(current, me) ? await deleteFacts(current, event, ctx) : undefined;
  const decision = decideDelete(current, me, facts);
  // An adoption's, or a takeover's that is undone or final: what it changed is restored or forgotten.
  const claimed = decision.kind === 'adopted' || decision.kind === 'restore' || decision.kind === 'destroy';
  if (claimed && restoreAdopted && recordKeys(tags).length > 0) await settleAdoption(owned, event, tags, ctx, restoreAdopted);
  const fields = { what: owned.what, resourceId: owned.resourceId, me };
  switch (decision.kind) {
    case 'adopted':
      ctx.log('leaving it in place: adopted', {
        ...fields,
        why: `it has no ${owned.keys.owner} tag, so this stack did not create it (or it is already removed); to let a stack delete it, tag ${owned.resourceId} with ${owned.keys.owner}=<stackName>/<logicalId> of its resource`,
      });
      break;
    case 'restore':
      if (decision.owner === me) {
        ctx.log('leaving it in place: made before this operation', { ...fields, why: 'an earlier operation of this resource made it, and this one is rolled back (or CloudFormation could not say it is not), so it stays as it was' });
        await applyTagChanges(owned.resourceId, { set: [], remove: [owned.keys.previous] }, ctx);
        return decision;
      }
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
  // A takeover made final by this removal: a thing that stays (an account kept by RETAIN) must not
  // look like a claim still pending to a later Create of the same resource.
  const final = decision.kind === 'destroy' && previousOwner(current) !== undefined ? { set: [], remove: [owned.keys.previous] } : undefined;
  await applyTagChanges(owned.resourceId, final ?? deleteChanges(decision, owned.keys), ctx);
  return decision;
}

/**
 * After destroying a thing whose ownership tags live on another resource (the root, an account,
 * a target), removes them: a later Create finds the thing unowned, as it is. A resource that is
 * gone took its tags with it.
 */
export async function forget(owned: Owned, ctx: HandlerContext): Promise<void> {
  try {
    await applyTagChanges(owned.resourceId, { set: [], remove: [owned.keys.owner, owned.keys.previous] }, ctx);
  } catch (error) {
    if (!isError(error, 'TargetNotFoundException', 'AccountNotFoundException', 'AWSOrganizationsNotInUseException')) throw error;
  }
}

/**
 * What a cancelled Create of this stack left on `resourceId` within the operation now being rolled
 * back, when the rollback's Delete of that Create came before its late calls landed (CloudFormation
 * has deleted the resource already): `made` when the thing carries that resource's creation marker
 * from within the operation (it existed before nothing), `claimed` with the parent it came from
 * when that resource's claim record is on it (an adoption or a claim again, which moved it), or
 * with none (the root) when only its owner tag names that resource (the rollback's Delete of a
 * claim again settled the record before the late move landed). The
 * late Create undoes either in time, but an OU that holds the thing cannot be deleted until then,
 * so the OU's Delete deals with it first.
 */
export async function cancelledLeftover(resourceId: string, event: ResourceEvent, ctx: HandlerContext):
Promise<{ readonly kind: 'made' } | { readonly kind: 'claimed'; readonly parentId?: string } | { readonly kind: 'gone' } | undefined> {
  const tags = await readTags(resourceId, ctx);
  // Deleted since the OU's listing (its late Create's own undo, say): it keeps nothing from being deleted.
  if (!tags) return { kind: 'gone' };
  const current = ownershipIn(tags, OwnershipTags.resource());
  const marker = parseCreatedMarker(current.previous);
  const record = readAdoptionRecord(tags);
  const me = ownerOf(event);
  const ofThisStack = (identity: string | undefined): identity is string => identity !== undefined && stackOf(identity) === stackOf(me) && !identity.includes('+');
  const owner = ofThisStack(current.owner) ? current.owner : undefined;
  const claimant = ofThisStack(record?.claimant) && !record!.standing ? record!.claimant : undefined;
  if (!owner && !claimant) return undefined;
  const operation = await stackOperation(event.StackId, ctx);
  if (operation.phase !== 'rollback' || operation.startedAt === undefined) return undefined;
  // Made by an earlier operation, it may have been claimed again within this one: its record says
  // so, or (the rollback's Delete of that claim already settled the record and the marker) only
  // its owner, whose resource CloudFormation has deleted. A rollback deletes only an OU made within
  // the operation, so nothing of the stack's was in it before.
  const made = owner && marker && marker.at >= operation.startedAt ? owner : undefined;
  const identity = (made ?? claimant ?? owner)!;
  if (await resourceGone(stackOf(identity), identity.slice(identity.indexOf('/') + 1), ctx) !== true) return undefined;
  return made ? { kind: 'made' } : { kind: 'claimed', parentId: record?.parentId };
}

/** The physical id the provider framework reports for a failed Create; it never forwards that id's Delete. */
const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

/**
 * The Delete of a physical id this handler never returned: CloudFormation stopped waiting for the
 * Create (another resource failed first) and invented an id for the rollback's Delete. That Create
 * may still have made the thing, or taken it over from another resource. `locate` finds the thing
 * from the properties. A thing carrying this resource's creation marker from within the current
 * operation (CloudFormation says when it started) was made by that Create, and `destroy` removes
 * it; a takeover is given back; anything else stays. Best effort, since a rollback must not fail on
 * it: a failure is logged and leaves the thing to this resource's identity (the next deployment of
 * the same logical id claims it again).
 */
export async function undoCancelledCreate(event: DeleteEvent, ctx: HandlerContext,
  locate: () => Promise<Owned | undefined>, destroy?: (owned: Owned) => Promise<void>,
  restoreAdopted?: (owned: Owned, record: AdoptionRecord) => Promise<void>): Promise<OnEventResponse> {
  if (event.PhysicalResourceId === CREATE_FAILED_MARKER) return {};
  const me = ownerOf(event);
  try {
    const owned = await locate();
    const tags = owned && await readTags(owned.resourceId, ctx);
    const current = tags && ownershipIn(tags, owned.keys);
    // What the cancelled Create's adoption or takeover changed is put back (its record names this resource).
    if (owned && tags && restoreAdopted && readAdoptionRecord(tags)?.adopter === adopterOf(me)) {
      // The record stays: the cancelled Create may still be running, and its own undo restores again from it.
      await settleAdoption(owned, event, tags, ctx, record => restoreAdopted(owned, record), true);
    }
    if (!owned || current?.owner !== me || !current.previous) {
      ctx.log('no physical id: nothing of this resource to give back', { physicalResourceId: event.PhysicalResourceId });
      return {};
    }
    const marker = parseCreatedMarker(current.previous);
    if (marker) {
      const operation = destroy ? await stackOperation(event.StackId, ctx) : undefined;
      if (destroy && operation?.phase === 'rollback' && operation.startedAt !== undefined && marker.at >= operation.startedAt) {
        ctx.log('removing what a cancelled Create made', { what: owned.what, resourceId: owned.resourceId });
        await destroy(owned);
      } else {
        ctx.log('no physical id: leaving in place what this resource made before this operation', { what: owned.what, resourceId: owned.resourceId });
      }
      return {};
    }
    if (current.previous === me) {
      // Claimed again from an earlier operation: it stays as it was, and the claim stays pending, so
      // that the cancelled Create's own undo, should it still be running, leaves it in place too.
      ctx.log('no physical id: leaving in place what this resource made before this operation', { what: owned.what, resourceId: owned.resourceId });
      return {};
    }
    ctx.log('giving back what a cancelled Create took over', { what: owned.what, resourceId: owned.resourceId, owner: current.previous });
    await applyTagChanges(owned.resourceId, deleteChanges({ kind: 'restore', owner: current.previous }, owned.keys), ctx);
  } catch (error) {
    ctx.log('could not undo what a cancelled Create may have done', { error: (error as Error).name, message: (error as Error).message });
  }
  return {};
}
