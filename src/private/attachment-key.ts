/**
 * What identifies one policy attachment in an app (a policy and a target, imported ones by their
 * ids), and the refusal of a second one.
 */
import type { IPolicy } from '../policy';
import type { IPolicyTarget } from '../policy-attachment';
import { holderOf, identityKey } from './registry';
import { describeConstruct, fail } from './validation';

/** The registry key of one attachment: one per policy and target in an app. */
export function attachmentKey(policy: IPolicy, target: IPolicyTarget): string {
  return `${identityKey(policy, policy.policyId)}|${identityKey(target, target.targetId)}`;
}

/** The message for an attachment declared a second time. */
export function alreadyAttachedMessage(policy: IPolicy, target: IPolicyTarget, holder: string): string {
  return `Cannot attach policy ${describeConstruct(policy, policy.policyId)} to ${describeConstruct(target, target.targetId)}: `
    + `it is already attached there by ${holder}. Declare each attachment once (attachTo, attachPolicy and new PolicyAttachment `
    + 'each declare one).';
}

/**
 * Refuses a second attachment of `policy` to `target` before its construct is made: a second
 * `attachTo`/`attachPolicy` of one pair would otherwise meet CDK's duplicate-id error instead.
 */
export function assertNotAttached(policy: IPolicy, target: IPolicyTarget): void {
  const holder = holderOf(policy, 'policy-attachment', attachmentKey(policy, target));
  if (holder !== undefined) fail(policy, alreadyAttachedMessage(policy, target, holder));
}
