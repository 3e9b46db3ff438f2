/**
 * AWS Organizations quotas and throttling rates, as documented on the "Quotas and service limits"
 * page (see /work/shared/reference/quotas.md), every one overridable through `quotas`.
 */

/** Every policy type of the API today (the SDK's `PolicyType` enum). */
export const POLICY_TYPES = [
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'TAG_POLICY',
  'BACKUP_POLICY',
  'AISERVICES_OPT_OUT_POLICY',
  'CHATBOT_POLICY',
  'DECLARATIVE_POLICY_EC2',
  'SECURITYHUB_POLICY',
  'SECURITYHUB_CSPM_POLICY',
  'INSPECTOR_POLICY',
  'BEDROCK_POLICY',
  'S3_POLICY',
  'UPGRADE_ROLLOUT_POLICY',
  'NETWORK_SECURITY_DIRECTOR_POLICY',
  'GUARDDUTY_POLICY',
] as const;
export type PolicyTypeName = typeof POLICY_TYPES[number];

/** Authorization policies (IAM-like JSON, never merged into an effective policy). */
export const AUTHORIZATION_POLICY_TYPES: readonly PolicyTypeName[] = ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'];

/** A token bucket: `rate` requests per simulated second, `burst` at most at once. */
export interface RateLimit {
  readonly rate: number;
  readonly burst: number;
}

/** Limits the emulator enforces. Durations are simulated seconds (multiplied by the time scale). */
export interface Quotas {
  /** Accounts in the organization, the management account, closed accounts and open invitations included. */
  readonly maxAccounts: number;
  /** Levels of OUs under the root. */
  readonly maxOuDepth: number;
  /** OUs in the organization. */
  readonly maxOus: number;
  /** CreateAccount requests IN_PROGRESS at once. */
  readonly maxCreateAccountInProgress: number;
  /** Characters of a service control policy (the other types are in `maxPolicySize`). */
  readonly scpMaxSize: number;
  /** Characters of a policy document, per type (SERVICE_CONTROL_POLICY comes from `scpMaxSize`). */
  readonly maxPolicySize: Readonly<Partial<Record<PolicyTypeName, number>>>;
  /** Customer-managed policies per type in the organization. */
  readonly maxPoliciesPerType: Readonly<Partial<Record<PolicyTypeName, number>>>;
  /** Policies of a type attached directly to one root, OU or account. */
  readonly maxAttachmentsPerTarget: Readonly<Partial<Record<PolicyTypeName, number>>>;
  /** Tags on one root, OU, account or policy. */
  readonly maxTagsPerResource: number;
  /** Accounts in PENDING_CLOSURE at once. */
  readonly maxConcurrentClosures: number;
  /** CloseAccount requests per rolling 30 days; default: the higher of 250 and 20% of member accounts, at most 1,000. */
  readonly maxClosuresPer30Days?: number;
  /** Invitations per rolling 24 hours; default: the higher of 20 and `maxAccounts`. */
  readonly maxInvitationsPer24Hours?: number;
  /** Age a created account must reach before it can leave or be removed (4 days). */
  readonly accountRemovalWaitSeconds: number;
  /** Lifetime of an invitation (15 days). */
  readonly invitationExpirySeconds: number;
  /** Lifetime of an "enable all features" request (90 days). */
  readonly enableAllFeaturesExpirySeconds: number;
  /** Time a SUSPENDED (closed) account stays in the organization before it is permanently closed (90 days). */
  readonly permanentClosureSeconds: number;
  /** Throttling per operation and calling account. */
  readonly throttle: Readonly<Record<string, RateLimit>>;
  /** Throttling of the operations absent from `throttle`. */
  readonly defaultThrottle: RateLimit;
}

const DAY = 24 * 3600;

/** The documented defaults. */
export const DEFAULT_QUOTAS: Quotas = {
  maxAccounts: 10,
  maxOuDepth: 5,
  maxOus: 2000,
  maxCreateAccountInProgress: 5,
  scpMaxSize: 10_240,
  maxPolicySize: {
    RESOURCE_CONTROL_POLICY: 5_120,
    AISERVICES_OPT_OUT_POLICY: 2_500,
  },
  maxPoliciesPerType: {
    SERVICE_CONTROL_POLICY: 10_000,
    RESOURCE_CONTROL_POLICY: 2_000,
  },
  maxAttachmentsPerTarget: {
    RESOURCE_CONTROL_POLICY: 5,
    CHATBOT_POLICY: 5,
    AISERVICES_OPT_OUT_POLICY: 5,
  },
  maxTagsPerResource: 50,
  maxConcurrentClosures: 3,
  accountRemovalWaitSeconds: 4 * DAY,
  invitationExpirySeconds: 15 * DAY,
  enableAllFeaturesExpirySeconds: 90 * DAY,
  permanentClosureSeconds: 90 * DAY,
  throttle: {
    CreateAccount: { rate: 0.1, burst: 3 },
    CreateGovCloudAccount: { rate: 0.1, burst: 3 },
    CloseAccount: { rate: 0.05, burst: 1 },
    DescribeCreateAccountStatus: { rate: 2, burst: 2 },
    DescribeAccount: { rate: 20, burst: 30 },
    CreateOrganizationalUnit: { rate: 1, burst: 2 },
    UpdateOrganizationalUnit: { rate: 2, burst: 3 },
    DeleteOrganizationalUnit: { rate: 2, burst: 3 },
    MoveAccount: { rate: 2, burst: 3 },
    CreatePolicy: { rate: 2, burst: 3 },
    DeletePolicy: { rate: 2, burst: 3 },
    AttachPolicy: { rate: 2, burst: 3 },
    DetachPolicy: { rate: 2, burst: 3 },
    UpdatePolicy: { rate: 2, burst: 3 },
    EnablePolicyType: { rate: 1, burst: 1 },
    DisablePolicyType: { rate: 1, burst: 1 },
    EnableAWSServiceAccess: { rate: 1, burst: 2 },
    DisableAWSServiceAccess: { rate: 1, burst: 2 },
    RegisterDelegatedAdministrator: { rate: 1, burst: 2 },
    DeregisterDelegatedAdministrator: { rate: 1, burst: 2 },
    TagResource: { rate: 4, burst: 6 },
    UntagResource: { rate: 4, burst: 6 },
    ListRoots: { rate: 1, burst: 2 },
    CreateOrganization: { rate: 1, burst: 1 },
  },
  defaultThrottle: { rate: 10, burst: 20 },
};

/** Size of a policy document of `type` when `maxPolicySize` does not say: declarative, backup, chat, tag and Security Hub are 10,000. */
const DEFAULT_POLICY_SIZE = 10_000;
const DEFAULT_POLICIES_PER_TYPE = 1_000;
const DEFAULT_ATTACHMENTS_PER_TARGET = 10;

/** Quotas with every lookup resolved. */
export class ResolvedQuotas {
  readonly values: Quotas;

  constructor(overrides: Partial<Quotas> = {}) {
    this.values = {
      ...DEFAULT_QUOTAS,
      ...overrides,
      maxPolicySize: { ...DEFAULT_QUOTAS.maxPolicySize, ...overrides.maxPolicySize },
      maxPoliciesPerType: { ...DEFAULT_QUOTAS.maxPoliciesPerType, ...overrides.maxPoliciesPerType },
      maxAttachmentsPerTarget: { ...DEFAULT_QUOTAS.maxAttachmentsPerTarget, ...overrides.maxAttachmentsPerTarget },
      throttle: { ...DEFAULT_QUOTAS.throttle, ...overrides.throttle },
    };
  }

  policySize(type: PolicyTypeName): number {
    if (type === 'SERVICE_CONTROL_POLICY') return this.values.maxPolicySize.SERVICE_CONTROL_POLICY ?? this.values.scpMaxSize;
    return this.values.maxPolicySize[type] ?? DEFAULT_POLICY_SIZE;
  }

  policiesPerType(type: PolicyTypeName): number {
    return this.values.maxPoliciesPerType[type] ?? DEFAULT_POLICIES_PER_TYPE;
  }

  attachmentsPerTarget(type: PolicyTypeName): number {
    return this.values.maxAttachmentsPerTarget[type] ?? DEFAULT_ATTACHMENTS_PER_TARGET;
  }

  closuresPer30Days(memberAccounts: number): number {
    return this.values.maxClosuresPer30Days ?? Math.min(1000, Math.max(250, Math.floor(memberAccounts * 0.2)));
  }

  invitationsPer24Hours(): number {
    return this.values.maxInvitationsPer24Hours ?? Math.max(20, this.values.maxAccounts);
  }

  rateLimit(operation: string): RateLimit {
    return this.values.throttle[operation] ?? this.values.defaultThrottle;
  }
}
