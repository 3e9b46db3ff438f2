/**
 * `Custom::Organizations_PolicyAttachment`: one policy attached to one root, OU or account, for
 * pairs that cannot be folded into the policy's own `TargetIds` (an imported or AWS-managed policy,
 * or a policy in another stack). Physical id: `<policyId>|<targetId>`.
 */
import { DescribePolicyCommand, PolicySummary } from '@aws-sdk/client-organizations';
import { assertNotLastScp, attachPolicy, detachPolicy, PolicyRef } from './shared/attachments';
import { isError, UserError } from './shared/errors';
import { requiredString } from './shared/properties';
import { withRetry } from './shared/retry';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { ID_SEPARATOR, PolicyAttachmentProps } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface PolicyAttachmentSpec {
  readonly policyId: string;
  readonly targetId: string;
}

/** Parses `ResourceProperties` of a PolicyAttachment. */
export function parsePolicyAttachmentProps(props: Properties): PolicyAttachmentSpec {
  return {
    policyId: requiredString(props, PolicyAttachmentProps.POLICY_ID),
    targetId: requiredString(props, PolicyAttachmentProps.TARGET_ID),
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

/** Name and type of the policy, for the last-SCP rule and for messages; undefined when it does not exist. */
async function lookUp(policyId: string, ctx: HandlerContext): Promise<PolicySummary | undefined> {
  try {
    const out = await withRetry(() => ctx.organizations.send(new DescribePolicyCommand({ PolicyId: policyId })), { deadline: ctx.deadline });
    return out.Policy?.PolicySummary ?? {};
  } catch (error) {
    if (isError(error, 'PolicyNotFoundException')) return undefined;
    throw error;
  }
}

async function attach(spec: PolicyAttachmentSpec, ctx: HandlerContext): Promise<OnEventResponse> {
  const summary = await lookUp(spec.policyId, ctx);
  if (!summary) {
    throw new UserError(`Cannot attach policy ${spec.policyId} to ${spec.targetId}: the policy does not exist in this organization (PolicyNotFoundException). Check the ${PolicyAttachmentProps.POLICY_ID} (a policy id p-..., e.g. p-FullAWSAccess for the AWS-managed SCP).`);
  }
  const policy: PolicyRef = { id: spec.policyId, name: summary.Name, type: summary.Type };
  await attachPolicy(policy, spec.targetId, ctx);
  return { PhysicalResourceId: attachmentPhysicalId(spec) };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return attach(parsePolicyAttachmentProps(event.ResourceProperties), ctx);
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
  }
  return attach(spec, ctx);
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAttachmentPhysicalId(event.PhysicalResourceId);
  if (!spec) return {};
  let summary: PolicySummary | undefined;
  try {
    summary = await lookUp(spec.policyId, ctx);
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return {};
    throw error;
  }
  if (!summary) return {};
  const policy: PolicyRef = { id: spec.policyId, name: summary.Name, type: summary.Type };
  await assertNotLastScp(policy, [spec.targetId], ctx);
  await detachPolicy(policy, spec.targetId, ctx);
  return {};
}

/** The handler of `Custom::Organizations_PolicyAttachment`. */
export const policyAttachment: ResourceHandler = { onCreate, onUpdate, onDelete };
