/**
 * `policy.attachTo(target)` and `target.attachPolicy(policy)`: one implementation for every
 * policy and target class.
 */
import { Names } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IPolicy } from '../policy';
import { IPolicyTarget, PolicyAttachment } from '../policy-attachment';
import { assertNotAttached } from './attachment-key';

/**
 * The attachment is a child of the policy. In the policy's stack it folds into the policy; for a
 * target in another stack its resource is in the policy's stack, which then depends on the
 * target's stack (the usual order: organization and OUs first, policies after). Its id derives
 * from the target's path, so it stays the same as long as the target does.
 */
export function attachPolicy(policy: IPolicy, target: IPolicyTarget): PolicyAttachment {
  // Before the construct, whose id would clash with the first one's.
  assertNotAttached(policy, target);
  return new PolicyAttachment(policy as unknown as Construct, `AttachedTo${Names.nodeUniqueId(target.node)}`, { policy, target });
}
