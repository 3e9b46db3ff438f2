/**
 * `Custom::Organizations_Policy`: a policy of any type, plus its attachments to the targets of its
 * own stack (`TargetIds`, folded into the policy so that an attachment costs no extra resource).
 *
 * Create adopts a policy of the same name and type when one exists, so a retry after a crash or a
 * policy made by hand converges instead of failing on `DuplicatePolicyException`. Delete detaches
 * only what this stack attached: a policy still attached elsewhere is an error, never a silent
 * detach from targets someone else owns. And Delete only detaches and deletes a policy this
 * resource owns (shared/ownership.ts): created with its owner tag, or taken over from another
 * resource of this library; a policy made outside the stack and adopted by name stays, attached.
 */
import {
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribePolicyCommand,
  ListPoliciesCommand,
  Policy as OrgPolicy,
  PolicySummary,
  PolicyType,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { AdoptionRecord, adopterOf, readAdoptionRecord, recordKeys } from './shared/adoption';
import { assertNotLastScp, attachPolicy, describePolicy, detachPolicy, listTargetsForPolicy, PolicyRef } from './shared/attachments';
import { call, callAllPages } from './shared/call';
import { stackOperation } from './shared/cloudformation';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import {
  assertNoOwnershipKeys, bornTags, ClaimPlan, OwnershipTags, ownerOf, planClaim, settleDelete, syncTagsAndClaim, undoCancelledCreate,
} from './shared/ownership';
import { optionalString, requiredString, stringList, tagList } from './shared/properties';
import { applyTagChanges, listTags } from './shared/tags';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAGS_PER_RESOURCE, PolicyAttrs, PolicyProperty, WireTag } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface PolicySpec {
  readonly name: string;
  /** `CreatePolicy` requires a description; absent means empty. */
  readonly description: string;
  readonly type: string;
  /** Minified JSON text, sent as is. */
  readonly content: string;
  readonly tags: WireTag[];
  /** Roots, OUs and accounts this stack attaches the policy to, without duplicates. */
  readonly targetIds: string[];
}

/** Parses `ResourceProperties` of a Policy. */
export function parsePolicyProps(props: Properties): PolicySpec {
  return {
    name: requiredString(props, PolicyProperty.NAME),
    description: optionalString(props, PolicyProperty.DESCRIPTION) ?? '',
    type: requiredString(props, PolicyProperty.TYPE),
    content: requiredString(props, PolicyProperty.CONTENT),
    tags: tagList(props, PolicyProperty.TAGS),
    targetIds: [...new Set(stringList(props, PolicyProperty.TARGET_IDS))],
  };
}

/** Maximum content size per type, as the quotas page states it (for messages only; synth validates). */
const CONTENT_LIMITS: Record<string, string> = {
  SERVICE_CONTROL_POLICY: '10,240 characters (5,120 in organizations that have not received the 2026 increase)',
  RESOURCE_CONTROL_POLICY: '5,120 characters',
  AISERVICES_OPT_OUT_POLICY: '2,500 characters',
};

const ref = (id: string, spec: Pick<PolicySpec, 'name' | 'type'>): PolicyRef => ({ id, name: spec.name, type: spec.type });

/** A refusal of CreatePolicy / UpdatePolicy / TagResource as a message naming the policy and the way out. */
function policyError(error: unknown, spec: PolicySpec): unknown {
  const what = `Policy "${spec.name}" (${spec.type})`;
  if (isError(error, 'MalformedPolicyDocumentException')) {
    return new UserError(`${what}: AWS Organizations rejected the Content as malformed for this policy type (MalformedPolicyDocumentException: ${(error as Error).message}). Fix the policy document so it follows the ${spec.type} syntax and deploy again.`);
  }
  if (isError(error, 'PolicyTypeNotAvailableForOrganizationException')) {
    return new UserError(`${what}: this policy type is not available to the organization (PolicyTypeNotAvailableForOrganizationException); policies need all features enabled (FeatureSet ALL).`);
  }
  if (isError(error, 'ConstraintViolationException')) {
    const advice: Record<string, string> = {
      POLICY_CONTENT_LIMIT_EXCEEDED: `its Content is ${spec.content.length} characters, more than AWS allows for ${spec.type} (${CONTENT_LIMITS[spec.type] ?? '10,000 characters'}; POLICY_CONTENT_LIMIT_EXCEEDED). Split the statements into several policies and attach them all, or shorten the document (for example with wildcards in actions).`,
      POLICY_NUMBER_LIMIT_EXCEEDED: `the organization already has the maximum number of ${spec.type} policies (SCP 10,000; RCP 2,000; other types 1,000; POLICY_NUMBER_LIMIT_EXCEEDED). Delete unused policies of this type, or merge some.`,
      MAX_TAG_LIMIT_EXCEEDED: `the policy would have more than ${MAX_TAGS_PER_RESOURCE} tags (MAX_TAG_LIMIT_EXCEEDED): its ${spec.tags.length} Tags plus the `
        + `${OwnershipTags.resource().owner} tag that records that this stack created it. Declare at most ${MAX_TAGS_PER_RESOURCE - OWNERSHIP_TAGS_PER_RESOURCE} Tags.`,
      TAG_POLICY_VIOLATION: 'its tags do not comply with the tag policy in force for the management account (TAG_POLICY_VIOLATION). Fix the Tags.',
      ORGANIZATION_NOT_IN_ALL_FEATURES_MODE: 'the organization only has consolidated billing features (ORGANIZATION_NOT_IN_ALL_FEATURES_MODE). Enable all features (FeatureSet ALL) first.',
    };
    const reason = reasonOf(error);
    return new UserError(`${what}: ${advice[reason ?? ''] ?? `${reason ?? 'ConstraintViolationException'}: ${(error as Error).message}`}`);
  }
  if (isError(error, 'InvalidInputException')) {
    const reason = reasonOf(error);
    const hint = reason === 'INVALID_ENUM_POLICY_TYPE'
      ? `${JSON.stringify(spec.type)} is not a policy type AWS Organizations knows; check the Type.`
      : 'check Name (1 to 128 characters), Description (at most 512 characters), Type and Tags.';
    return new UserError(`${what}: AWS Organizations rejected the request (InvalidInputException${reason ? ` ${reason}` : ''}: ${(error as Error).message}); ${hint}`);
  }
  return error;
}

/** JSON with the keys of every object in one order: whitespace and key order do not count. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Content equality by meaning, not by spelling (whitespace and the order of keys do not count), so
 * that a policy written by hand or by another tool is not rewritten needlessly.
 */
export function sameContent(a: string | undefined, b: string): boolean {
  if (a === b) return true;
  try {
    return canonical(JSON.parse(a ?? '')) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

async function describe(policyId: string, ctx: HandlerContext): Promise<OrgPolicy> {
  const out = await call(ctx, 'organizations', new DescribePolicyCommand({ PolicyId: policyId }));
  return out.Policy ?? {};
}

/** The customer-managed policy of this name and type, if any. An AWS-managed one of that name is refused. */
async function findByName(spec: PolicySpec, ctx: HandlerContext): Promise<PolicySummary | undefined> {
  const policies = await callAllPages(ctx, 'organizations', token => new ListPoliciesCommand({
    Filter: spec.type as PolicyType, NextToken: token,
  }), page => page.Policies);
  const found = policies.find(p => p.Name === spec.name);
  if (found?.AwsManaged) {
    throw new UserError(`Policy "${spec.name}" (${spec.type}): that is the name of an AWS-managed policy (${found.Id}), which cannot be changed or deleted. Give the policy another Name, or attach the AWS-managed policy itself (Policy.fromPolicyId('${found.Id}')).`);
  }
  return found;
}

/** Brings name, description and content of an existing policy to the declared values, with one UpdatePolicy at most. */
async function reconcile(policyId: string, spec: PolicySpec, ctx: HandlerContext): Promise<PolicySummary> {
  const current = await describe(policyId, ctx);
  const summary = current.PolicySummary ?? {};
  const changes = {
    Name: summary.Name !== spec.name ? spec.name : undefined,
    Description: (summary.Description ?? '') !== spec.description ? spec.description : undefined,
    Content: !sameContent(current.Content, spec.content) ? spec.content : undefined,
  };
  const changed = Object.entries(changes).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (changed.length === 0) return summary;
  try {
    const out = await call(ctx, 'organizations', new UpdatePolicyCommand({ PolicyId: policyId, ...changes }));
    return out.Policy?.PolicySummary ?? { ...summary, Name: spec.name, Description: spec.description };
  } catch (error) {
    if (isError(error, 'DuplicatePolicyException')) {
      throw new UserError(`Policy "${spec.name}" (${spec.type}): cannot rename ${policyId} to "${spec.name}", another ${spec.type} policy already has that name (DuplicatePolicyException). Choose another Name, or delete the other policy.`);
    }
    throw policyError(error, spec);
  }
}

/**
 * Creates the policy (born with its owner tag), or finds the one of this name and type; `created`
 * tells which. A found policy is brought to the declaration by {@link claimFound}, its tags and
 * ownership last (see {@link createAndAttach}).
 */
async function ensurePolicy(spec: PolicySpec, me: string, ctx: HandlerContext): Promise<{ summary: PolicySummary; created: boolean }> {
  const existing = await findByName(spec, ctx);
  if (existing?.Id) return { summary: existing, created: false };
  try {
    const out = await call(ctx, 'organizations', new CreatePolicyCommand({
      Name: spec.name,
      Description: spec.description,
      Type: spec.type as PolicyType,
      Content: spec.content,
      Tags: [...spec.tags, ...bornTags(me, ctx)],
    }));
    return { summary: out.Policy?.PolicySummary ?? {}, created: true };
  } catch (error) {
    if (!isError(error, 'DuplicatePolicyException')) throw policyError(error, spec);
    // A concurrent retry of this request (or someone else) created it between our look and our create.
    const raced = await findByName(spec, ctx);
    if (!raced?.Id) throw error;
    return { summary: raced, created: false };
  }
}

/** A found policy being claimed: its record (what the claim changes, from before) and the claim's plan. */
interface FoundClaim {
  readonly summary: PolicySummary;
  readonly plan: ClaimPlan;
  readonly record?: AdoptionRecord;
}

/**
 * Before a found policy (made by hand, or another resource's) changes: records what the claim
 * will change (content, description, the targets it attaches, tags), then brings name, description
 * and content to the declared ones. The record lets the rollback of this operation, or a failure of
 * this request, put the policy back as it was.
 */
async function claimFound(policyId: string, spec: PolicySpec, attaching: readonly string[], attachedNow: ReadonlySet<string>, me: string,
  ctx: HandlerContext): Promise<FoundClaim> {
  const tags = await listTags(policyId, ctx);
  const before = await describe(policyId, ctx);
  const plan = planClaim(policyId, tags, me, spec.tags, {
    content: sameContent(before.Content, spec.content) ? undefined : before.Content,
    description: (before.PolicySummary?.Description ?? '') === spec.description ? undefined : before.PolicySummary?.Description ?? '',
    attached: attaching,
    // Attached elsewhere too: the resource it is claimed from (a renamed construct) may have declared those.
    targets: [...attachedNow].some(t => !spec.targetIds.includes(t)) ? spec.targetIds : undefined,
  }, ctx);
  if (plan.record.length > 0) await applyTagChanges(policyId, { set: plan.record, remove: plan.stale }, ctx);
  const record = readAdoptionRecord(new Map([...tags, ...plan.record.map(t => [t.Key, t.Value] as const)]));
  const summary = await reconcile(policyId, spec, ctx);
  return { summary, plan: { ...plan, record: [], stale: [] }, record: record?.adopter === adopterOf(me) ? record : undefined };
}

/** Puts back what a claim changed on a policy (the record's content, description, attachments); its tags are the caller's. */
async function restoreClaimed(policyId: string, spec: PolicySpec, record: AdoptionRecord, ctx: HandlerContext): Promise<void> {
  const policy = ref(policyId, spec);
  for (const targetId of record.attached ?? []) await detachPolicy(policy, targetId, ctx);
  if (record.content === undefined && record.description === undefined) return;
  const restore = new UpdatePolicyCommand({ PolicyId: policyId, Content: record.content, Description: record.description });
  await call(ctx, 'organizations', restore, { log: { why: 'undo of a claim' } });
}

/** Brings user tags and ownership of an existing policy up to date (`confirm` on Update); returns the claim. */
function syncPolicyTags(policyId: string, oldTags: readonly WireTag[], spec: PolicySpec, me: string, ctx: HandlerContext, confirm = false) {
  // Only the declared keys are set; tags someone else put on the policy stay.
  return syncTagsAndClaim(policyId, oldTags, spec.tags, ctx, {
    me, created: false, confirm, what: describePolicy(ref(policyId, spec)), mapError: error => policyError(error, spec),
  });
}

/** Sets the declared tags of a policy the Create found, and records whose it is. */
async function adopt(policyId: string, spec: PolicySpec, me: string, ctx: HandlerContext, plan: ClaimPlan): Promise<void> {
  const claim = await syncTagsAndClaim(policyId, [], spec.tags, ctx, {
    me, created: false, plan, what: describePolicy(ref(policyId, spec)), mapError: error => policyError(error, spec),
  });
  // Its own creation (a retry) is not an adoption; a policy made outside the stack is, and stays unowned.
  ctx.log(claim === 'mine' ? 'found the policy this resource created' : 'adopting existing policy', { policyId, name: spec.name, type: spec.type, claim });
}

function response(summary: PolicySummary, spec: PolicySpec): OnEventResponse {
  const id = summary.Id ?? '';
  return {
    PhysicalResourceId: id,
    Data: {
      [PolicyAttrs.ID]: id,
      [PolicyAttrs.ARN]: summary.Arn ?? '',
      [PolicyAttrs.NAME]: summary.Name ?? spec.name,
      [PolicyAttrs.TYPE]: summary.Type ?? spec.type,
      [PolicyAttrs.AWS_MANAGED]: String(summary.AwsManaged ?? false),
    },
  };
}

/**
 * Creates (or adopts) the policy and attaches it to its targets. When an attachment is refused and
 * this call created the policy, it is deleted again: a failed Create gets no Delete from
 * CloudFormation, so it would otherwise be left behind. For the same reason, a found policy is
 * claimed (or taken over from another resource) only once nothing else can fail.
 */
async function createAndAttach(spec: PolicySpec, me: string, ctx: HandlerContext): Promise<OnEventResponse> {
  const ensured = await ensurePolicy(spec, me, ctx);
  const { created } = ensured;
  const policy = ref(ensured.summary.Id ?? '', spec);
  // An adopted policy (a retry of this request, too) may be attached already: attach only what is missing.
  const current = created ? new Set<string>() : await attachedTargets(policy.id, ctx);
  const missing = spec.targetIds.filter(t => !current.has(t));
  const found = created ? undefined : await claimFound(policy.id, spec, missing, current, me, ctx);
  const attached: string[] = [];
  try {
    for (const targetId of missing) {
      if (await attachPolicy(policy, targetId, ctx)) attached.push(targetId);
    }
  } catch (error) {
    if (created) await undoCreate(policy, attached, ctx);
    if (found?.record) await undoClaim(policy, spec, found.record, ctx);
    throw error;
  }
  if (found) await adopt(policy.id, spec, me, ctx, found.plan);
  return response(found?.summary ?? ensured.summary, spec);
}

/** Best effort, like {@link undoCreate}: a found policy is put back as it was before this request. */
async function undoClaim(policy: PolicyRef, spec: PolicySpec, record: AdoptionRecord, ctx: HandlerContext): Promise<void> {
  try {
    await restoreClaimed(policy.id, spec, record, ctx);
    await applyTagChanges(policy.id, { set: [], remove: recordKeys(await listTags(policy.id, ctx)) }, ctx);
  } catch (error) {
    ctx.log('undo of a failed claim failed', { policyId: policy.id, error: (error as Error).name });
  }
}

async function attachedTargets(policyId: string, ctx: HandlerContext): Promise<Set<string>> {
  return new Set((await listTargetsForPolicy(policyId, ctx)).map(t => t.TargetId ?? ''));
}

/** Best effort: the original error is what the user must see, so failures here are only logged. */
async function undoCreate(policy: PolicyRef, attached: readonly string[], ctx: HandlerContext): Promise<void> {
  try {
    for (const targetId of attached) await detachPolicy(policy, targetId, ctx);
    await call(ctx, 'organizations', new DeletePolicyCommand({ PolicyId: policy.id }), { log: { why: 'undo of a failed Create' } });
  } catch (error) {
    ctx.log('undo of a failed Create failed', { policyId: policy.id, error: (error as Error).name });
  }
}

/** Parses the properties of a Create or Update, refusing tag keys under the library's prefix. */
function parseForWrite(props: Properties): PolicySpec {
  const spec = parsePolicyProps(props);
  assertNoOwnershipKeys(spec.tags, PolicyProperty.TAGS, `Policy "${spec.name}" (${spec.type})`);
  return spec;
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return createAndAttach(parseForWrite(event.ResourceProperties), ownerOf(event), ctx);
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseForWrite(event.ResourceProperties);
  const old = parsePolicyProps(event.OldResourceProperties);
  const me = ownerOf(event);
  if (spec.type !== old.type) {
    // UpdatePolicy cannot change a type: a new policy replaces the old one, which CloudFormation then
    // deletes (it is this resource's own); on rollback, the old one is found again by name, still owned.
    ctx.log('replacing policy: Type changed', { from: old.type, to: spec.type });
    return createAndAttach(spec, me, ctx);
  }
  const policyId = event.PhysicalResourceId;
  try {
    await describe(policyId, ctx);
  } catch (error) {
    if (!isError(error, 'PolicyNotFoundException')) throw error;
    // Deleted outside CloudFormation: recreate it under a new id rather than fail forever.
    ctx.log('policy not found, creating it again', { policyId });
    return createAndAttach(spec, me, ctx);
  }
  const policy = ref(policyId, spec);
  // Compared with the attachments as they are, so that a retry or a rollback after a partial update converges.
  const current = await attachedTargets(policyId, ctx);
  const added = spec.targetIds.filter(t => !current.has(t));
  const removed = old.targetIds.filter(t => !spec.targetIds.includes(t) && current.has(t));

  // Every refusal we can foresee is checked before the first change.
  await assertNotLastScp(policy, removed, ctx);
  const summary = await reconcile(policyId, spec, ctx);
  // The same ListTagsForResource also confirms the ownership (an adopted policy stays adopted).
  await syncPolicyTags(policyId, old.tags, spec, me, ctx, true);
  // Attach before detach, so that a target never goes through a moment with fewer policies.
  for (const targetId of added) await attachPolicy(policy, targetId, ctx);
  for (const targetId of removed) await detachPolicy(policy, targetId, ctx);
  return response(summary, spec);
}

type TargetLike = { TargetId?: string; Name?: string; Type?: string };

function foreignTargetsMessage(policy: PolicyRef, foreign: readonly TargetLike[], detachedOwn: boolean): string {
  const list = foreign.map(t => `${t.TargetId}${t.Name ? ` "${t.Name}"` : ''}${t.Type ? ` (${t.Type})` : ''}`).join(', ');
  return `Cannot delete ${describePolicy(policy)}: it is still attached to ${list}, which this stack did not attach it to. `
    + (detachedOwn ? 'It was detached from the targets of this stack only. ' : 'Nothing was detached. ')
    + 'Detach it from those targets first (remove their PolicyAttachment resources or the stacks that own '
    + 'them, or run `aws organizations detach-policy`), or keep the policy (RemovalPolicy RETAIN), then delete again.';
}

/**
 * Detaches a policy this resource owns from the targets this stack attached it to, then deletes it;
 * refuses while it is attached elsewhere (the library never detaches what it did not attach).
 */
async function destroyPolicy(policyId: string, spec: PolicySpec, ctx: HandlerContext): Promise<void> {
  const policy = ref(policyId, spec);
  let targets;
  try {
    targets = await listTargetsForPolicy(policyId, ctx);
  } catch (error) {
    if (isError(error, 'PolicyNotFoundException', 'AWSOrganizationsNotInUseException')) return;
    throw error;
  }
  const owned = new Set(spec.targetIds);
  const foreign = targets.filter(t => !owned.has(t.TargetId ?? ''));
  if (foreign.length > 0) throw new UserError(foreignTargetsMessage(policy, foreign, false));
  const toDetach = targets.map(t => t.TargetId ?? '');
  await assertNotLastScp(policy, toDetach, ctx);
  for (const targetId of toDetach) await detachPolicy(policy, targetId, ctx);
  try {
    await call(ctx, 'organizations', new DeletePolicyCommand({ PolicyId: policyId }));
  } catch (error) {
    if (isError(error, 'PolicyNotFoundException')) return;
    if (isError(error, 'PolicyInUseException')) {
      // Attached elsewhere between our look and the delete.
      const now = await listTargetsForPolicy(policyId, ctx);
      throw new UserError(foreignTargetsMessage(policy, now, toDetach.length > 0));
    }
    throw error;
  }
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const policyId = event.PhysicalResourceId;
  const spec = parsePolicyProps(event.ResourceProperties);
  if (!policyId.startsWith('p-')) {
    // CloudFormation never learnt the policy: what the cancelled Create made is deleted, a takeover given back.
    return undoCancelledCreate(event, ctx, async () => {
      const found = await findByName(spec, ctx);
      return found?.Id ? { resourceId: found.Id, keys: OwnershipTags.resource(), what: describePolicy(ref(found.Id, spec)) } : undefined;
    }, owned => destroyPolicy(owned.resourceId, spec, ctx), (owned, record) => restoreClaimed(owned.resourceId, spec, record, ctx));
  }
  // Only a policy this resource owns is detached and deleted: not one it adopted (which keeps its
  // attachments too), nor one another resource took over.
  const owned = { resourceId: policyId, keys: OwnershipTags.resource(), what: describePolicy(ref(policyId, spec)) };
  const decision = await settleDelete(owned, event, ctx, record => restoreClaimed(policyId, spec, record, ctx));
  if (decision.kind === 'destroy') await destroyPolicy(policyId, spec, ctx);
  if (decision.kind === 'adopted' || decision.kind === 'release') await handOverTargets(policyId, spec, event, ctx);
  return {};
}

/**
 * The removal of a resource another one claimed the policy from (a renamed construct): its own
 * declared targets that the new declaration does not want (the claim's record says which it wants)
 * are detached, as an Update that dropped them would. Not in a rollback (the claim is undone then).
 * Best effort: a refusal (the last SCP of a target) is logged, never fails the removal.
 */
async function handOverTargets(policyId: string, spec: PolicySpec, event: DeleteEvent, ctx: HandlerContext): Promise<void> {
  if (spec.targetIds.length === 0) return;
  const record = readAdoptionRecord(await listTags(policyId, ctx));
  if (!record?.targets || record.adopter === adopterOf(ownerOf(event))) return;
  const wanted = new Set(record.targets);
  const current = await attachedTargets(policyId, ctx);
  const dropped = spec.targetIds.filter(t => !wanted.has(t) && current.has(t));
  if (dropped.length === 0 || (await stackOperation(event.StackId, ctx)).phase !== 'forward') return;
  const policy = ref(policyId, spec);
  try {
    await assertNotLastScp(policy, dropped, ctx);
    for (const targetId of dropped) await detachPolicy(policy, targetId, ctx);
  } catch (error) {
    ctx.log('left attached: the new declaration does not want it, but the detach was refused', { policyId, targets: dropped, error: (error as Error).message });
  }
}

/** The handler of `Custom::Organizations_Policy`. */
export const policy: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
