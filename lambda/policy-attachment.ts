/**
 * `Custom::Organizations_PolicyAttachment`: one policy attached to one root, OU or account, for
 * pairs that cannot be folded into the policy's own `TargetIds` (an imported or AWS-managed policy,
 * or a policy in another stack). Physical id: `<policyId>|<targetId>`.
 *
 * Removal detaches only an attachment this resource owns (shared/ownership.ts): made by it,
 * recorded in the target's tag `cdk-organizations:attachment/<policyId>`, or taken over from
 * another resource of this library; an attachment that existed before is left in place.
 */
import { DescribePolicyCommand, PolicySummary, PolicyType } from '@aws-sdk/client-organizations';
import { assertNotLastScp, attachPolicy, detachPolicy, listPoliciesForTarget, PolicyRef } from './shared/attachments';
import { call } from './shared/call';
import { isError, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { claim, forget, Owned, OwnershipTags, ownerOf, prepareClaim, settleDelete, undoCancelledCreate } from './shared/ownership';
import { requiredString } from './shared/properties';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { ID_SEPARATOR, PolicyAttachmentProperty } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface PolicyAttachmentSpec {
  readonly policyId: string;
  readonly targetId: string;
}

/** Parses `ResourceProperties` of a PolicyAttachment. */
export function parsePolicyAttachmentProps(props: Properties): PolicyAttachmentSpec {
  return {
    policyId: requiredString(props, PolicyAttachmentProperty.POLICY_ID),
    targetId: requiredString(props, PolicyAttachmentProperty.TARGET_ID),
  };
}

/** `<policyId>|<targetId>`. */
export function attachmentPhysicalId(spec: PolicyAttachmentSpec): string {
  return `${spec.policyId}${ID_SEPARATOR}${spec.targetId}`;
}

/** The pair a physical id names, or undefined for an id this handler never returned. */
export function parseAttachmentPhysicalId(physicalId: string): PolicyAttachmentSpec | undefined {
  const [policyId, targetId, ...rest] = physicalId.split(ID_SEPARATOR);
  if (!policyId?.startsWith('p-') || !targetId || rest.length > 0) return undefined;
  return { policyId, targetId };
}

/** Where the ownership of the attachment is recorded: a tag on the target. */
const owned = (spec: PolicyAttachmentSpec): Owned => ({
  resourceId: spec.targetId,
  keys: OwnershipTags.attachment(spec.policyId),
  what: `attachment of policy ${spec.policyId} to ${spec.targetId}`,
});

/** Name and type of the policy, for the last-SCP rule and for messages; undefined when it does not exist. */
async function lookUp(policyId: string, ctx: HandlerContext): Promise<PolicySummary | undefined> {
  try {
    const out = await call(ctx, 'organizations', new DescribePolicyCommand({ PolicyId: policyId }));
    return out.Policy?.PolicySummary ?? {};
  } catch (error) {
    if (isError(error, 'PolicyNotFoundException')) return undefined;
    throw error;
  }
}

/** Whether the policy is attached directly to the target; undefined when that cannot be read (attaching then says why). */
async function isAttached(policy: PolicyRef, targetId: string, ctx: HandlerContext): Promise<boolean | undefined> {
  try {
    return (await listPoliciesForTarget(targetId, policy.type as PolicyType, ctx)).some(p => p.Id === policy.id);
  } catch {
    return undefined;
  }
}

/**
 * Attaches the pair, or finds it attached (looked up first, so that a redeploy makes no call that
 * changes anything); then the target's tag tells whether the attachment is this resource's own (a
 * retry), another resource's (taken over), or nobody's (adopted: kept at removal).
 */
async function attach(spec: PolicyAttachmentSpec, me: string, ctx: HandlerContext, confirm = false): Promise<OnEventResponse> {
  const summary = await lookUp(spec.policyId, ctx);
  if (!summary) {
    throw new UserError(`Cannot attach policy ${spec.policyId} to ${spec.targetId}: the policy does not exist in this organization (PolicyNotFoundException). Check the ${PolicyAttachmentProperty.POLICY_ID} (a policy id p-..., e.g. p-FullAWSAccess for the AWS-managed SCP).`);
  }
  const policy: PolicyRef = { id: spec.policyId, name: summary.Name, type: summary.Type };
  const attached = await isAttached(policy, spec.targetId, ctx);
  const tags = attached ? undefined : await prepareClaim(owned(spec), ctx).catch(error => {
    // A target that does not exist: the attachment's own error says so.
    if (isError(error, 'TargetNotFoundException')) return undefined;
    throw error;
  });
  // attachPolicy is false when someone attached the pair between the look and the call.
  const created = !attached && await attachPolicy(policy, spec.targetId, ctx);
  const result = await claim(owned(spec), me, ctx, { created, current: tags, confirm });
  if (result === 'adopted') ctx.log('policy already attached, adopting the attachment', { policyId: spec.policyId, targetId: spec.targetId });
  return { PhysicalResourceId: attachmentPhysicalId(spec) };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return attach(parsePolicyAttachmentProps(event.ResourceProperties), ownerOf(event), ctx);
}

/**
 * An attachment has nothing to change in place: a new policy or target is a new attachment, and
 * the new physical id makes CloudFormation delete (detach) the old pair afterwards. Attaching the
 * new pair first also keeps a target from passing through a moment without an SCP.
 */
async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parsePolicyAttachmentProps(event.ResourceProperties);
  if (attachmentPhysicalId(spec) !== event.PhysicalResourceId) {
    ctx.log('replacing attachment', { from: event.PhysicalResourceId, to: attachmentPhysicalId(spec) });
    return attach(spec, ownerOf(event), ctx);
  }
  return attach(spec, ownerOf(event), ctx, true);
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAttachmentPhysicalId(event.PhysicalResourceId);
  if (!spec) {
    // CloudFormation never learnt the id: nothing is detached, but a takeover the Create made is given back.
    return undoCancelledCreate(event, ctx, async () => owned(parsePolicyAttachmentProps(event.ResourceProperties)));
  }
  // Only an attachment this resource owns is detached: the target's tag decides.
  const decision = await settleDelete(owned(spec), event, ctx);
  if (decision.kind !== 'destroy') return {};
  let summary: PolicySummary | undefined;
  try {
    summary = await lookUp(spec.policyId, ctx);
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return {};
    throw error;
  }
  if (summary) {
    const policy: PolicyRef = { id: spec.policyId, name: summary.Name, type: summary.Type };
    await assertNotLastScp(policy, [spec.targetId], ctx);
    await detachPolicy(policy, spec.targetId, ctx);
  }
  // Detached (or the policy is gone): nobody's any more, so a later Create finds it untagged.
  await forget(owned(spec), ctx);
  return {};
}

/** The handler of `Custom::Organizations_PolicyAttachment`. */
export const policyAttachment: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
