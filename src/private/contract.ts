/**
 * The contract between the constructs (src/) and the provider handlers (lambda/).
 *
 * Both sides import this module and nothing else of each other, so a renamed property cannot
 * drift apart. It has no CDK imports: it is bundled into the handlers and must stay small.
 *
 * Wire properties use the AWS Organizations API's own names. Every scalar reaches the handler as a
 * string (CloudFormation stringifies them), so booleans and numbers are parsed on the handler side.
 */

/** CloudFormation resource types of this library, `Custom::Organizations_<Resource>`. */
export const ResourceType = {
  ORGANIZATION: 'Custom::Organizations_Organization',
  ORGANIZATIONAL_UNIT: 'Custom::Organizations_OrganizationalUnit',
  ACCOUNT: 'Custom::Organizations_Account',
  POLICY: 'Custom::Organizations_Policy',
  POLICY_ATTACHMENT: 'Custom::Organizations_PolicyAttachment',
  ENABLED_POLICY_TYPE: 'Custom::Organizations_EnabledPolicyType',
  AWS_SERVICE_ACCESS: 'Custom::Organizations_AwsServiceAccess',
  DELEGATED_ADMINISTRATOR: 'Custom::Organizations_DelegatedAdministrator',
} as const;
export type ResourceTypeName = typeof ResourceType[keyof typeof ResourceType];

/** A tag as it travels on the wire: the API's `{ Key, Value }`. */
export interface WireTag {
  readonly Key: string;
  readonly Value: string;
}

/**
 * What a deleted resource does; `RETAIN` resources also carry CloudFormation's `DeletionPolicy: Retain`.
 * The public enum `AccountRemovalAction` (src/account.ts) has these values: jsii needs its members
 * written out, and the construct's `satisfies` check fails to compile when the two differ.
 */
export const AccountRemovalAction = {
  /** Leave the account where it is. */
  RETAIN: 'RETAIN',
  /** `RemoveAccountFromOrganization`: the account becomes standalone. */
  REMOVE_FROM_ORGANIZATION: 'REMOVE_FROM_ORGANIZATION',
  /** `CloseAccount`: the account is closed (PENDING_CLOSURE, then SUSPENDED). */
  CLOSE: 'CLOSE',
} as const;
export type AccountRemovalActionName = typeof AccountRemovalAction[keyof typeof AccountRemovalAction];

/**
 * The feature sets of `CreateOrganization`; ALL when the property is absent, as in the API. The
 * public enum `FeatureSet` (src/organization.ts) has these values, checked as for the removal actions.
 */
export const FeatureSet = {
  ALL: 'ALL',
  CONSOLIDATED_BILLING: 'CONSOLIDATED_BILLING',
} as const;
export type FeatureSetName = typeof FeatureSet[keyof typeof FeatureSet];

/** An Account's `RoleName` when the property is absent, as documented for `CreateAccount`. */
export const DEFAULT_ROLE_NAME = 'OrganizationAccountAccessRole';

/**
 * The longest an Account's Create waits for `CreateAccount`: 45 minutes, the most one deployment can
 * wait (CloudFormation waits at most one hour for a custom resource, and the provider needs the rest).
 * The construct refuses more at synth.
 */
export const MAX_CREATE_TIMEOUT_SECONDS = 2700;
/** `CreateTimeoutSeconds` when the property is absent (the construct's default too): the most. */
export const DEFAULT_CREATE_TIMEOUT_SECONDS = MAX_CREATE_TIMEOUT_SECONDS;

/** `Custom::Organizations_Organization`. Physical id: the organization id (`o-...`). */
export const OrganizationProperty = {
  FEATURE_SET: 'FeatureSet',
  /** "true" to delete the organization on removal (only when it has no member accounts). */
  DELETE_ON_REMOVAL: 'DeleteOnRemoval',
  /** Tags declared on the root (`{ Key, Value }` list; absent when none); the handler applies them to the root. */
  ROOT_TAGS: 'RootTags',
} as const;
export const OrganizationAttrs = {
  ID: 'Id',
  ARN: 'Arn',
  FEATURE_SET: 'FeatureSet',
  MANAGEMENT_ACCOUNT_ID: 'ManagementAccountId',
  MANAGEMENT_ACCOUNT_ARN: 'ManagementAccountArn',
  MANAGEMENT_ACCOUNT_EMAIL: 'ManagementAccountEmail',
  ROOT_ID: 'RootId',
  ROOT_ARN: 'RootArn',
} as const;

/** `Custom::Organizations_OrganizationalUnit`. Physical id: the OU id (`ou-...`). */
export const OrganizationalUnitProperty = {
  NAME: 'Name',
  PARENT_ID: 'ParentId',
  TAGS: 'Tags',
} as const;
export const OrganizationalUnitAttrs = {
  ID: 'Id',
  ARN: 'Arn',
  NAME: 'Name',
} as const;

/** `Custom::Organizations_Account`. Physical id: the account id (12 digits). */
export const AccountProperty = {
  ACCOUNT_NAME: 'AccountName',
  EMAIL: 'Email',
  PARENT_ID: 'ParentId',
  ROLE_NAME: 'RoleName',
  /** `ALLOW` or `DENY`, as in the API. */
  IAM_USER_ACCESS_TO_BILLING: 'IamUserAccessToBilling',
  TAGS: 'Tags',
  /** "true" (default) to adopt an account of the organization that already has this email. */
  ADOPT_EXISTING: 'AdoptExisting',
  /** One of {@link AccountRemovalAction}. */
  REMOVAL_ACTION: 'RemovalAction',
  /** Seconds to wait for `CreateAccount` to finish, as a string. */
  CREATE_TIMEOUT_SECONDS: 'CreateTimeoutSeconds',
} as const;
export const AccountAttrs = {
  ACCOUNT_ID: 'AccountId',
  ACCOUNT_ARN: 'AccountArn',
  ACCOUNT_NAME: 'AccountName',
  EMAIL: 'Email',
  PARENT_ID: 'ParentId',
  JOINED_METHOD: 'JoinedMethod',
  JOINED_TIMESTAMP: 'JoinedTimestamp',
} as const;

/** `Custom::Organizations_Policy`. Physical id: the policy id (`p-...`). */
export const PolicyProperty = {
  NAME: 'Name',
  DESCRIPTION: 'Description',
  TYPE: 'Type',
  /** Minified JSON text. */
  CONTENT: 'Content',
  TAGS: 'Tags',
  /** Targets (root, OU or account ids) this stack attaches the policy to, folded into the policy. */
  TARGET_IDS: 'TargetIds',
} as const;
export const PolicyAttrs = {
  ID: 'Id',
  ARN: 'Arn',
  NAME: 'Name',
  TYPE: 'Type',
  AWS_MANAGED: 'AwsManaged',
} as const;

/** `Custom::Organizations_PolicyAttachment`, for targets or policies outside the policy's stack. Physical id: `<policyId>|<targetId>`. */
export const PolicyAttachmentProperty = {
  POLICY_ID: 'PolicyId',
  TARGET_ID: 'TargetId',
} as const;

/**
 * `Custom::Organizations_EnabledPolicyType`: a policy type enabled on a root.
 * Physical id: `<rootId>|<policyType>`, with `|adopted` appended when it was already enabled and
 * no resource of this library owns it (see lambda/shared/ownership.ts): removal never disables a
 * type the stack did not enable.
 */
export const EnabledPolicyTypeProperty = {
  ROOT_ID: 'RootId',
  POLICY_TYPE: 'PolicyType',
} as const;

/**
 * `Custom::Organizations_AwsServiceAccess`: trusted access for one service principal.
 * Physical id: the service principal, with `|adopted` appended when it was already enabled and
 * no resource of this library owns it (see lambda/shared/ownership.ts).
 */
export const AwsServiceAccessProperty = {
  SERVICE_PRINCIPAL: 'ServicePrincipal',
} as const;

/** `Custom::Organizations_DelegatedAdministrator`. Physical id: `<accountId>|<servicePrincipal>`. */
export const DelegatedAdministratorProperty = {
  ACCOUNT_ID: 'AccountId',
  SERVICE_PRINCIPAL: 'ServicePrincipal',
} as const;

/**
 * Suffix of a physical id whose setting existed before the stack, owned by nothing of this library:
 * the stack adopted it and leaves it on at removal. (What Delete does is decided by the ownership
 * tags; the suffix says the same for whoever reads the stack's resources.)
 */
export const ADOPTED_SUFFIX = '|adopted';

/** Separator of composite physical ids. */
export const ID_SEPARATOR = '|';

/** Environment variables the handler functions read. */
export const HandlerEnv = {
  /** Endpoint override of the Organizations API (the local emulator); the SDK also honours `AWS_ENDPOINT_URL_ORGANIZATIONS`. */
  ORGANIZATIONS_ENDPOINT: 'AWS_ENDPOINT_URL_ORGANIZATIONS',
  /** Endpoint override of the Account Management API. */
  ACCOUNT_ENDPOINT: 'AWS_ENDPOINT_URL_ACCOUNT',
  /** Base delay of the jittered backoff in milliseconds (tests make it small). */
  RETRY_BASE_MS: 'CDK_ORGANIZATIONS_RETRY_BASE_MS',
  /**
   * Real milliseconds per simulated millisecond when a rehearsal runs the handlers (the emulator's
   * time scale): their timeouts and waits then last what they would on AWS, in simulated time.
   * Absent on AWS (1).
   */
  TIME_SCALE: 'CDK_ORGANIZATIONS_TIME_SCALE',
} as const;

/**
 * Tag keys under this prefix record which resource of this library owns an OU, account, policy or
 * setting (see lambda/shared/ownership.ts). They are the handlers' own: users cannot declare them.
 */
export const OWNERSHIP_TAG_PREFIX = 'cdk-organizations:';

/** Tags per root, OU, account or policy (an AWS Organizations quota). */
export const MAX_TAGS_PER_RESOURCE = 50;
/**
 * The most ownership tags the handlers put on one resource at once: its owner, and its previous owner
 * while one resource takes over from another. Users may declare the rest of the 50.
 */
export const OWNERSHIP_TAGS_PER_RESOURCE = 2;
/** Characters of a tag key and of a tag value (the `Tag` data type of the API reference). */
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** The API reference's patterns of ids, anchored. */
export const IdPattern = {
  ACCOUNT: /^\d{12}$/,
  ROOT: /^r-[0-9a-z]{4,32}$/,
  ORGANIZATIONAL_UNIT: /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
  POLICY: /^p-[0-9a-zA-Z_]{8,128}$/,
  ORGANIZATION: /^o-[a-z0-9]{10,32}$/,
} as const;

/**
 * The handlers' bundle: esbuild bundles lambda/index.ts into `assets/handlers/index.js` of the package
 * (.projenrc.ts), and its exports `onEvent` and `isComplete` are the Lambda functions' entry points.
 */
export const HandlerBundle = {
  /** The bundle's folder, from the package root. */
  DIRECTORY: 'assets/handlers',
  FILE: 'index.js',
  ON_EVENT: 'index.onEvent',
  IS_COMPLETE: 'index.isComplete',
} as const;

/**
 * AWS Organizations quotas per policy type ("Quotas and service limits for AWS Organizations"),
 * checked by the constructs at synth and named by the handlers' messages. Types missing from the
 * table have no published figure and are not checked.
 */
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

/** Levels of OUs under the root (OU_DEPTH_LIMIT_EXCEEDED beyond). */
export const MAX_OU_DEPTH = 5;
