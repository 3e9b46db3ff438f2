/**
 * AWS Organizations quotas the constructs check at synth time ("Quotas and service limits for AWS
 * Organizations"). Types missing from the table have no published figure and are not checked.
 * The quotas the handlers need too (tags, OU depth, attachments per type) are in the contract.
 */
import { MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAGS_PER_RESOURCE } from './contract';

// The quotas the handlers name in their messages too are defined in the contract.
export { MAX_OU_DEPTH, POLICY_TYPE_QUOTAS } from './contract';
export type { PolicyTypeQuota } from './contract';

/** The AWS-managed policies every organization has. */
export const AwsManagedPolicy = {
  /** The SCP that allows everything; attached to every root, OU and account by default, and detachable. */
  FULL_AWS_ACCESS: { id: 'p-FullAWSAccess', name: 'FullAWSAccess', type: 'SERVICE_CONTROL_POLICY', detachable: true },
  /** The RCP that allows everything; attached to every root, OU and account, and never detachable. */
  RCP_FULL_AWS_ACCESS: { id: 'p-RCPFullAWSAccess', name: 'RCPFullAWSAccess', type: 'RESOURCE_CONTROL_POLICY', detachable: false },
} as const;

/**
 * The policy AWS attaches to every root, OU and account while its type is enabled (to all of them
 * when the type is enabled, and to each one created afterwards). It counts toward the type's
 * `maxDirectAttachments`.
 */
export const DEFAULT_POLICY_OF_TYPE: Readonly<Record<string, typeof AwsManagedPolicy[keyof typeof AwsManagedPolicy]>> = {
  SERVICE_CONTROL_POLICY: AwsManagedPolicy.FULL_AWS_ACCESS,
  RESOURCE_CONTROL_POLICY: AwsManagedPolicy.RCP_FULL_AWS_ACCESS,
};


/**
 * Tags a user may declare on one resource: the handlers keep up to two of the 50 for the
 * ownership record (`cdk-organizations:owner`, and `cdk-organizations:previous-owner` while one
 * resource takes over from another).
 */
export const MAX_DECLARED_TAGS = MAX_TAGS_PER_RESOURCE - OWNERSHIP_TAGS_PER_RESOURCE;
