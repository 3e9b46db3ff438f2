import {
  IResource,
  ITaggable,
  Lazy,
  RemovalPolicy,
  Resource,
  Stack,
  TagManager,
  TagType,
  Token,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AwsServiceAccess } from './aws-service-access';
import { EnabledPolicyType } from './enabled-policy-type';
import { IParent, ParentType } from './organizational-unit';
import { IPolicy, PolicyType } from './policy';
import { PolicyAttachment } from './policy-attachment';
import { attachPolicy } from './private/attach';
import { FeatureSetName, OrganizationAttrs, OrganizationProperty, ResourceType } from './private/contract';
import {
  accountKey,
  awsServiceAccessKey,
  claim,
  enabledPolicyTypeKey,
  idFor,
  OrganizationLink,
  registerOrganization,
  RootLink,
  setTreeInfo,
  singleton,
  treeInfoOf,
} from './private/registry';
import { OrganizationsResource } from './private/resource';
import { validateTags } from './private/tags';
import { fail, Rules, validateString } from './private/validation';

/**
 * The features of an organization.
 *
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_getting-started_concepts.html#feature-set
 */
export enum FeatureSet {
  /** All features: policies, trusted access for AWS services, delegated administrators, and consolidated billing. */
  ALL = 'ALL',
  /** Consolidated billing only: no policies and no trusted access. */
  CONSOLIDATED_BILLING = 'CONSOLIDATED_BILLING',
}

/**
 * The root of an organization: the parent of every OU and account, and a policy target.
 */
export interface IRoot extends IResource, IParent {
  /**
   * The root's id (`r-...`).
   *
   * @attribute
   */
  readonly rootId: string;

  /**
   * The root's ARN.
   *
   * @attribute
   */
  readonly rootArn: string;
}

/** Attributes of a root to import with {@link Root.fromRootAttributes}. */
export interface RootAttributes {
  /**
   * The root's id (`r-...`).
   */
  readonly rootId: string;

  /**
   * The root's ARN.
   *
   * @default - unknown: reading `rootArn` throws
   */
  readonly rootArn?: string;

  /**
   * The policy types enabled on the root already: policies of these types can be attached under
   * it without an `EnabledPolicyType` in the app.
   *
   * @default - none
   */
  readonly enabledPolicyTypes?: PolicyType[];
}

abstract class RootBase extends Resource implements IRoot {
  public abstract readonly rootId: string;
  public abstract readonly rootArn: string;
  public readonly parentType = ParentType.ROOT;

  public get targetId(): string {
    return this.rootId;
  }

  public attachPolicy(policy: IPolicy): PolicyAttachment {
    return attachPolicy(policy, this);
  }
}

/**
 * The root of an organization that the app does not declare. The root of a declared
 * organization is `organization.root`.
 */
export class Root {
  /**
   * Imports a root by its id. No policy type is known to be enabled on it.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param rootId the root's id (`r-...`)
   */
  public static fromRootId(scope: Construct, id: string, rootId: string): IRoot {
    return Root.fromRootAttributes(scope, id, { rootId });
  }

  /**
   * Imports a root with its attributes, and the policy types enabled on it already.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param attrs the root's attributes
   */
  public static fromRootAttributes(scope: Construct, id: string, attrs: RootAttributes): IRoot {
    validateString(scope, 'rootId', attrs.rootId, Rules.ROOT_ID);
    return new ImportedRoot(scope, id, attrs, undefined);
  }

  private constructor() {}
}

class ImportedRoot extends RootBase {
  public readonly rootId: string;
  private readonly arn?: string;

  constructor(scope: Construct, id: string, attrs: RootAttributes, organization: OrganizationLink | undefined) {
    super(scope, id);
    this.rootId = attrs.rootId;
    this.arn = attrs.rootArn;
    const link: RootLink = {
      construct: this,
      rootId: attrs.rootId,
      enabledPolicyTypes: (attrs.enabledPolicyTypes ?? []).map(t => t.value),
      organization,
    };
    setTreeInfo(this, { kind: 'root', depth: 0, root: link });
  }

  public get rootArn(): string {
    if (this.arn === undefined) {
      fail(this, `rootArn of the imported root ${this.rootId} is unknown: import it with Root.fromRootAttributes({ rootId, rootArn }).`);
    }
    return this.arn;
  }
}

/**
 * An AWS organization, declared in this app or imported.
 */
export interface IOrganization extends IResource {
  /**
   * The organization's id (`o-...`).
   *
   * @attribute
   */
  readonly organizationId: string;

  /**
   * The organization's ARN.
   *
   * @attribute
   */
  readonly organizationArn: string;

  /**
   * The id of the management account.
   *
   * @attribute
   */
  readonly managementAccountId: string;

  /**
   * The ARN of the management account.
   *
   * @attribute
   */
  readonly managementAccountArn: string;

  /**
   * The email of the management account.
   *
   * @attribute
   */
  readonly managementAccountEmail: string;

  /**
   * The organization's root.
   */
  readonly root: IRoot;
}

/** Properties of an {@link Organization}. */
export interface OrganizationProps {
  /**
   * The organization's features. An existing organization with consolidated billing only is
   * brought to all features (a handshake that every invited member account must approve); AWS
   * cannot go back from all features to consolidated billing.
   *
   * @default FeatureSet.ALL
   */
  readonly featureSet?: FeatureSet;

  /**
   * Policy types to enable on the root, besides those of the policies attached under it (which
   * are enabled automatically).
   *
   * @default - only the types of the policies attached in the app
   */
  readonly enabledPolicyTypes?: PolicyType[];

  /**
   * Service principals to give trusted access to the organization (for example
   * `sso.amazonaws.com`), besides those of the delegated administrators in the app (enabled
   * automatically).
   *
   * @default - only the services of the delegated administrators in the app, and `account.amazonaws.com` when the app declares accounts
   */
  readonly awsServiceAccessPrincipals?: string[];

  /**
   * What happens to the organization when it is removed from the app. `DESTROY` deletes it, and
   * only when it has no member accounts left; anything else keeps it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Attributes of an organization to import with {@link Organization.fromOrganizationAttributes}. */
export interface OrganizationAttributes {
  /**
   * The organization's id (`o-...`).
   */
  readonly organizationId: string;

  /**
   * The organization's ARN.
   *
   * @default - unknown: reading `organizationArn` throws
   */
  readonly organizationArn?: string;

  /**
   * The id of the management account.
   *
   * @default - unknown: reading `managementAccountId` throws, and the management account cannot be recognized at synth time
   */
  readonly managementAccountId?: string;

  /**
   * The ARN of the management account.
   *
   * @default - unknown: reading `managementAccountArn` throws
   */
  readonly managementAccountArn?: string;

  /**
   * The email of the management account.
   *
   * @default - unknown: reading `managementAccountEmail` throws
   */
  readonly managementAccountEmail?: string;

  /**
   * The id of the organization's root (`r-...`).
   *
   * @default - unknown: reading `root` throws
   */
  readonly rootId?: string;

  /**
   * The organization's features.
   *
   * @default FeatureSet.ALL
   */
  readonly featureSet?: FeatureSet;

  /**
   * The policy types enabled on the root already.
   *
   * @default - none
   */
  readonly enabledPolicyTypes?: PolicyType[];

  /**
   * The service principals that have trusted access already (needed by delegated administrators).
   *
   * @default - none
   */
  readonly awsServiceAccessPrincipals?: string[];
}

/**
 * An AWS organization (`Custom::Organizations_Organization`), declared from its management account.
 *
 * Create adopts the organization the deploying account already manages; a member account of an
 * organization is refused. The organization is kept when removed from the app unless
 * `removalPolicy` is `DESTROY`. Policy types and trusted access that the app's policies, accounts
 * and delegated administrators need are enabled here, before them.
 *
 * @resource Custom::Organizations_Organization
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganization.html
 */
export class Organization extends Resource implements IOrganization {
  /**
   * Imports an organization the app does not manage, with what the app needs to know about it.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param attrs the organization's attributes
   */
  public static fromOrganizationAttributes(scope: Construct, id: string, attrs: OrganizationAttributes): IOrganization {
    validateString(scope, 'organizationId', attrs.organizationId, Rules.ORGANIZATION_ID);
    validateString(scope, 'managementAccountId', attrs.managementAccountId, Rules.ACCOUNT_ID);
    validateString(scope, 'rootId', attrs.rootId, Rules.ROOT_ID);
    for (const principal of attrs.awsServiceAccessPrincipals ?? []) {
      validateString(scope, 'awsServiceAccessPrincipals', principal, Rules.SERVICE_PRINCIPAL);
    }
    return new ImportedOrganization(scope, id, attrs);
  }

  /**
   * The organization's id (`o-...`).
   *
   * @attribute
   */
  public readonly organizationId: string;

  /**
   * The organization's ARN.
   *
   * @attribute
   */
  public readonly organizationArn: string;

  /**
   * The id of the management account.
   *
   * @attribute
   */
  public readonly managementAccountId: string;

  /**
   * The ARN of the management account.
   *
   * @attribute
   */
  public readonly managementAccountArn: string;

  /**
   * The email of the management account.
   *
   * @attribute
   */
  public readonly managementAccountEmail: string;

  /** The organization's features. */
  public readonly featureSet: FeatureSet;

  /** The organization's root: the parent of OUs and accounts, and a policy target. */
  public readonly root: IRoot;

  private readonly resource: OrganizationsResource;
  private readonly rootLink: RootLink;
  private removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: OrganizationProps = {}) {
    super(scope, id);
    this.featureSet = props.featureSet ?? FeatureSet.ALL;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.checkRemovalPolicy(this.removalPolicy);
    this.refuseSecondOrganization();

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.ORGANIZATION,
      properties: {
        [OrganizationProperty.FEATURE_SET]: this.featureSet satisfies FeatureSetName,
        [OrganizationProperty.DELETE_ON_REMOVAL]: Lazy.string({ produce: () => String(this.removalPolicy === RemovalPolicy.DESTROY) }),
        [OrganizationProperty.ROOT_TAGS]: Lazy.any({ produce: () => (this.root as OrganizationRoot).tags.renderTags() }),
      },
    });
    this.resource.applyRemovalPolicy(this.removalPolicy);

    this.organizationId = this.resource.ref;
    this.organizationArn = this.resource.getAttString(OrganizationAttrs.ARN);
    this.managementAccountId = this.resource.getAttString(OrganizationAttrs.MANAGEMENT_ACCOUNT_ID);
    this.managementAccountArn = this.resource.getAttString(OrganizationAttrs.MANAGEMENT_ACCOUNT_ARN);
    this.managementAccountEmail = this.resource.getAttString(OrganizationAttrs.MANAGEMENT_ACCOUNT_EMAIL);

    const root = new OrganizationRoot(this, 'Root', {
      rootId: this.resource.getAttString(OrganizationAttrs.ROOT_ID),
      rootArn: this.resource.getAttString(OrganizationAttrs.ROOT_ARN),
    });
    this.root = root;
    const account = Stack.of(this).account;
    const organization: OrganizationLink = {
      construct: this,
      enableAwsServiceAccess: principal => this.enableAwsServiceAccess(principal),
      managementAccountId: this.managementAccountId,
      deployedToAccount: Token.isUnresolved(account) ? undefined : account,
      resource: this.resource,
      allFeatures: this.featureSet === FeatureSet.ALL,
      root: undefined,
    };
    this.rootLink = {
      construct: root,
      rootId: root.rootId,
      enablePolicyType: policyType => this.enablePolicyType(PolicyType.of(policyType)),
      organization,
    };
    (organization as { root?: RootLink }).root = this.rootLink;
    setTreeInfo(root, { kind: 'root', depth: 0, root: this.rootLink, declared: true });
    registerOrganization(this, organization);

    for (const policyType of props.enabledPolicyTypes ?? []) this.enablePolicyType(policyType);
    for (const principal of props.awsServiceAccessPrincipals ?? []) this.enableAwsServiceAccess(principal);
  }

  /**
   * Enables a policy type on the root (once: a second call returns the first one's resource).
   * The types of the policies attached in the app are enabled without this call.
   *
   * @param policyType the policy type
   */
  public enablePolicyType(policyType: PolicyType): EnabledPolicyType {
    if (this.featureSet !== FeatureSet.ALL) {
      fail(this, `Cannot enable policy type ${policyType.value}: policies need all features, and featureSet is ${this.featureSet}. `
        + 'Set featureSet to FeatureSet.ALL.');
    }
    const existing = singleton(this, enabledPolicyTypeKey(this.rootLink, policyType.value));
    if (existing) return existing as EnabledPolicyType;
    return new EnabledPolicyType(this, idFor('EnabledPolicyType', policyType.value), { root: this.root, policyType });
  }

  /**
   * Gives an AWS service trusted access to the organization (once: a second call returns the first
   * one's resource). The services of the delegated administrators in the app are enabled without this call.
   *
   * @param servicePrincipal the service principal, for example `sso.amazonaws.com`
   */
  public enableAwsServiceAccess(servicePrincipal: string): AwsServiceAccess {
    if (this.featureSet !== FeatureSet.ALL) {
      fail(this, `Cannot enable trusted access for ${servicePrincipal}: trusted access needs all features, and featureSet is ${this.featureSet}. `
        + 'Set featureSet to FeatureSet.ALL.');
    }
    const existing = singleton(this, awsServiceAccessKey(this, servicePrincipal));
    if (existing) return existing as AwsServiceAccess;
    const access = new AwsServiceAccess(this, idFor('AwsServiceAccess', servicePrincipal), { servicePrincipal });
    // After this organization, even when the app has several (then AwsServiceAccess cannot tell which).
    access.node.addDependency(this.resource);
    return access;
  }

  /**
   * Sets what happens to the organization when it is removed from the app: `DESTROY` deletes it
   * (only when it has no member accounts), anything else keeps it.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.checkRemovalPolicy(policy);
    this.removalPolicy = policy;
    this.resource.applyRemovalPolicy(policy);
  }

  /**
   * One account manages at most one organization, so two Organizations deployed to one account
   * would be two resources managing one organization (the second adopts the first's). Two stacks
   * deploy to one account when their accounts are the same id, or when both are
   * environment-agnostic (deployed with the same credentials). An environment-agnostic stack and
   * one with an account may be meant for different accounts: not refused.
   */
  private refuseSecondOrganization(): void {
    const account = accountKey(this);
    const holder = claim(this, 'organization', account, this);
    if (holder === undefined) return;
    const where = Token.isUnresolved(account)
      ? 'environment-agnostic stacks, which deploy with the same credentials, so to the same account'
      : `account ${account}`;
    fail(this, `a stack deploys to one account, which manages one organization at most, and ${holder} already declares it (${where}). `
      + 'Declare the Organization once and use it (or Organization.fromOrganizationAttributes) from the other stacks; for the organizations '
      + 'of two management accounts, give each stack its account (env: { account }).');
  }

  private checkRemovalPolicy(policy: RemovalPolicy): void {
    if (policy === RemovalPolicy.SNAPSHOT) {
      fail(this, 'removalPolicy SNAPSHOT is not supported by an organization: use RETAIN (the default) or DESTROY.');
    }
  }
}

/**
 * The root of a declared Organization. It is taggable, so that `Tags.of(...)` reaches it: its tags
 * are checked and rendered into the Organization's resource (`RootTags`), whose handler applies them.
 */
class OrganizationRoot extends RootBase implements ITaggable {
  public readonly rootId: string;
  public readonly rootArn: string;
  public readonly tags: TagManager;

  constructor(scope: Construct, id: string, attrs: { rootId: string; rootArn: string }) {
    super(scope, id);
    this.rootId = attrs.rootId;
    this.rootArn = attrs.rootArn;
    this.tags = new TagManager(TagType.KEY_VALUE, ResourceType.ORGANIZATION);
    validateTags(this, this.tags);
  }
}

class ImportedOrganization extends Resource implements IOrganization {
  public readonly organizationId: string;
  private readonly attrs: OrganizationAttributes;
  private readonly _root?: IRoot;

  constructor(scope: Construct, id: string, attrs: OrganizationAttributes) {
    super(scope, id);
    this.organizationId = attrs.organizationId;
    this.attrs = attrs;
    const organization: OrganizationLink = {
      construct: this,
      enabledAwsServicePrincipals: attrs.awsServiceAccessPrincipals ?? [],
      managementAccountId: attrs.managementAccountId,
      allFeatures: (attrs.featureSet ?? FeatureSet.ALL) === FeatureSet.ALL,
    };
    if (attrs.rootId !== undefined) {
      const root = new ImportedRoot(this, 'Root', { rootId: attrs.rootId, enabledPolicyTypes: attrs.enabledPolicyTypes }, organization);
      (organization as { root?: RootLink }).root = treeInfoOf(root)?.root;
      this._root = root;
    }
    registerOrganization(this, organization);
  }

  public get organizationArn(): string {
    return this.attrs.organizationArn ?? this.unknown('organizationArn');
  }

  public get managementAccountId(): string {
    return this.attrs.managementAccountId ?? this.unknown('managementAccountId');
  }

  public get managementAccountArn(): string {
    return this.attrs.managementAccountArn ?? this.unknown('managementAccountArn');
  }

  public get managementAccountEmail(): string {
    return this.attrs.managementAccountEmail ?? this.unknown('managementAccountEmail');
  }

  public get root(): IRoot {
    return this._root ?? this.unknown('rootId');
  }

  private unknown(attribute: string): never {
    return fail(this, `${attribute} of the imported organization ${this.organizationId} is unknown: `
      + `import it with Organization.fromOrganizationAttributes({ organizationId, ${attribute} }).`);
  }
}
