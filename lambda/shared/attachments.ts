/**
 * Attaching and detaching policies, shared by the Policy resource (its folded-in `TargetIds`) and
 * the PolicyAttachment resource. Both converge on retries: attaching an attached pair and detaching
 * a detached one are success. Both refuse to leave a root, OU or account without any service
 * control policy, which Organizations forbids, and say what to do instead.
 */
import {
  ListRootsCommand,
  AttachPolicyCommand,
  DetachPolicyCommand,
  ListPoliciesForTargetCommand,
  ListTargetsForPolicyCommand,
  PolicySummary,
  PolicyTargetSummary,
  PolicyType,
} from '@aws-sdk/client-organizations';
import { call, callAllPages } from './call';
import { isError, reasonOf, UserError } from './errors';
import type { HandlerContext } from './types';
import { POLICY_TYPE_QUOTAS } from '../../src/private/contract';

/** The policy type that every root, OU and account must keep at least one policy of. */
export const SERVICE_CONTROL_POLICY: string = PolicyType.SERVICE_CONTROL_POLICY;

/** What the messages need to know about a policy: its id, and its name and type when known. */
export interface PolicyRef {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
}

/** `policy "Name" (p-...)`, or `policy p-...` when the name is unknown. */
export function describePolicy(policy: PolicyRef): string {
  return policy.name ? `policy "${policy.name}" (${policy.id})` : `policy ${policy.id}`;
}

/** The policies of `type` attached directly to `targetId` (inherited ones are not listed). */
export async function listPoliciesForTarget(targetId: string, type: string, ctx: HandlerContext): Promise<PolicySummary[]> {
  return callAllPages(ctx, 'organizations', token => new ListPoliciesForTargetCommand({
    TargetId: targetId, Filter: type as PolicyType, NextToken: token,
  }), page => page.Policies);
}

/** The roots, OUs and accounts the policy is attached to directly. */
/** The id of the organization's root (a target, and where the ownership of root-level things is tagged); undefined when there is no organization. */
export async function organizationRootId(ctx: HandlerContext): Promise<string | undefined> {
  try {
    const out = await call(ctx, 'organizations', new ListRootsCommand({}));
    return out.Roots?.[0]?.Id;
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return undefined;
    throw error;
  }
}

export async function listTargetsForPolicy(policyId: string, ctx: HandlerContext): Promise<PolicyTargetSummary[]> {
  return callAllPages(ctx, 'organizations', token => new ListTargetsForPolicyCommand({
    PolicyId: policyId, NextToken: token,
  }), page => page.Targets);
}

/** `: 10 per target`, from the contract's quotas (RCPFullAWSAccess counts toward the RCPs' 5), or nothing for an unknown type. */
function attachmentQuota(type: string | undefined): string {
  const max = type ? POLICY_TYPE_QUOTAS[type]?.maxDirectAttachments : undefined;
  if (max === undefined) return '';
  return `: ${max} per target${type === 'RESOURCE_CONTROL_POLICY' ? ', RCPFullAWSAccess included' : ''}`;
}

/** The explanation of the "at least one SCP" rule, for the targets a detach would leave bare. */
export function lastScpMessage(policy: PolicyRef, targetIds: readonly string[]): string {
  const targets = targetIds.join(', ');
  return `Cannot detach ${describePolicy(policy)} from ${targets}: it is the only service control policy attached directly to `
    + `${targetIds.length === 1 ? 'that target' : 'each of those targets'}, and AWS Organizations requires every root, OU and account `
    + 'to keep at least one SCP attached directly (MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED). Attach another SCP to '
    + `${targets} first (for example the AWS-managed FullAWSAccess policy, p-FullAWSAccess), then deploy this change again.`;
}

/** What to do when the policy type is not enabled on the root. */
export function policyTypeNotEnabledMessage(policy: PolicyRef, targetId: string): string {
  const type = policy.type ?? 'this policy type';
  return `Cannot attach ${describePolicy(policy)} to ${targetId}: the policy type ${type} is not enabled on the organization's root `
    + '(PolicyTypeNotEnabledException). Enable it before attaching: declare the Organization in this app (it enables the types of '
    + `the policies you attach) or call organization.enablePolicyType(${type}) on it, or run \`aws organizations enable-policy-type `
    + `--root-id <root id> --policy-type ${type}\`; then deploy again.`;
}

/**
 * Refuses, before anything is changed, to detach `policy` from any of `targetIds` where it is the
 * only SCP attached directly. Only SCPs have that minimum (RCPFullAWSAccess cannot be detached, so
 * a custom RCP is never the last one). Targets that no longer exist are skipped.
 */
export async function assertNotLastScp(policy: PolicyRef, targetIds: readonly string[], ctx: HandlerContext): Promise<void> {
  if (policy.type !== SERVICE_CONTROL_POLICY) return;
  const bare: string[] = [];
  for (const targetId of targetIds) {
    let attached: PolicySummary[];
    try {
      attached = await listPoliciesForTarget(targetId, SERVICE_CONTROL_POLICY, ctx);
    } catch (error) {
      if (isError(error, 'TargetNotFoundException')) continue;
      throw error;
    }
    const ours = attached.some(p => p.Id === policy.id);
    if (ours && attached.length === 1) bare.push(targetId);
  }
  if (bare.length > 0) throw new UserError(lastScpMessage(policy, bare));
}

/** An attach or detach refused by Organizations, as a message the user can act on. */
export function attachmentError(error: unknown, action: 'attach' | 'detach', policy: PolicyRef, targetId: string): unknown {
  const what = `Cannot ${action} ${describePolicy(policy)} ${action === 'attach' ? 'to' : 'from'} ${targetId}`;
  if (isError(error, 'PolicyTypeNotEnabledException')) return new UserError(policyTypeNotEnabledMessage(policy, targetId));
  if (isError(error, 'TargetNotFoundException')) {
    return new UserError(`${what}: the target does not exist in this organization (TargetNotFoundException). Check the target id (a root r-..., an OU ou-...-... or a 12-digit account id of this organization).`);
  }
  if (isError(error, 'PolicyNotFoundException')) {
    return new UserError(`${what}: the policy does not exist in this organization (PolicyNotFoundException). Check the policy id, or declare the policy in the app.`);
  }
  if (isError(error, 'ConstraintViolationException')) {
    switch (reasonOf(error)) {
      case 'MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED':
        return new UserError(`${what}: ${targetId} already has the maximum number of ${policy.type ?? ''} policies attached directly (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED; `
          + `a hard limit${attachmentQuota(policy.type)}). Merge some policies into one, or attach this one to a parent OU instead (inherited policies do not count).`);
      case 'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED':
        return new UserError(lastScpMessage(policy, [targetId]));
      case 'ORGANIZATION_NOT_IN_ALL_FEATURES_MODE':
        return new UserError(`${what}: the organization only has consolidated billing features (ORGANIZATION_NOT_IN_ALL_FEATURES_MODE). Enable all features (FeatureSet ALL) first.`);
      default:
    }
  }
  if (isError(error, 'InvalidInputException') && reasonOf(error) === 'NON_DETACHABLE_POLICY') {
    return new UserError(`${what}: AWS does not allow detaching this policy (NON_DETACHABLE_POLICY; RCPFullAWSAccess stays attached to every target). Remove the attachment from the app.`);
  }
  if (isError(error, 'PolicyTypeNotAvailableForOrganizationException')) {
    return new UserError(`${what}: the policy type ${policy.type ?? ''} is not available to this organization (PolicyTypeNotAvailableForOrganizationException); it needs all features enabled (FeatureSet ALL).`);
  }
  return error;
}

/**
 * `AttachPolicy`, where an existing attachment (`DuplicatePolicyAttachmentException`) is success.
 * Returns true when this call attached it.
 */
export async function attachPolicy(policy: PolicyRef, targetId: string, ctx: HandlerContext): Promise<boolean> {
  try {
    await call(ctx, 'organizations', new AttachPolicyCommand({ PolicyId: policy.id, TargetId: targetId }));
    return true;
  } catch (error) {
    if (isError(error, 'DuplicatePolicyAttachmentException')) return false;
    throw attachmentError(error, 'attach', policy, targetId);
  }
}

/**
 * `DetachPolicy`, where a policy that is not attached, or a policy or target that no longer exists,
 * is success: either way the pair is no longer attached. Returns true when this call detached it.
 */
export async function detachPolicy(policy: PolicyRef, targetId: string, ctx: HandlerContext): Promise<boolean> {
  try {
    await call(ctx, 'organizations', new DetachPolicyCommand({ PolicyId: policy.id, TargetId: targetId }));
    return true;
  } catch (error) {
    if (isError(error, 'PolicyNotAttachedException', 'PolicyNotFoundException', 'TargetNotFoundException')) return false;
    throw attachmentError(error, 'detach', policy, targetId);
  }
}
