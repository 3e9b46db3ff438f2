/**
 * AWS Organizations quotas the constructs check at synth time ("Quotas and service limits for AWS
 * Organizations"). Types missing from the table have no published figure and are not checked.
 * The quotas the handlers need too (tags) are in the contract.
 */
import { MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAGS_PER_RESOURCE } from './contract';

export interface PolicyTypeQuota {
  /** Characters of the minified document. */
  readonly maxContentSize?: number;
  /** Policies of the type attached directly to one root, OU or account (hard limit; inherited ones do not count). */
  readonly maxDirectAttachments?: number;
}

export const POLICY_TYPE_QUOTAS: Readonly<Record<string, PolicyTypeQuota>> = {
  SERVICE_CONTROL_POLICY: { maxContentSize: 10_240, maxDirectAttachments: 10 },
  // RCPFullAWSAccess is attached to every target, cannot be detached, and counts toward the 5.
  RESOURCE_CONTROL_POLICY: { maxContentSize: 5_120, maxDirectAttachments: 5 },
  DECLARATIVE_POLICY_EC2: { maxContentSize: 10_000, maxDirectAttachments: 10 },
  BACKUP_POLICY: { maxContentSize: 10_000, maxDirectAttachments: 10 },
  TAG_POLICY: { maxContentSize: 10_000, maxDirectAttachments: 10 },
  SECURITYHUB_POLICY: { maxContentSize: 10_000, maxDirectAttachments: 10 },
  CHATBOT_POLICY: { maxContentSize: 10_000, maxDirectAttachments: 5 },
  AISERVICES_OPT_OUT_POLICY: { maxContentSize: 2_500, maxDirectAttachments: 5 },
};

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

/** Levels of OUs under the root. */
export const MAX_OU_DEPTH = 5;

/**
 * Tags a user may declare on one resource: the handlers keep up to two of the 50 for the
 * ownership record (`cdk-organizations:owner`, and `cdk-organizations:previous-owner` while one
 * resource takes over from another).
 */
export const MAX_DECLARED_TAGS = MAX_TAGS_PER_RESOURCE - OWNERSHIP_TAGS_PER_RESOURCE;
