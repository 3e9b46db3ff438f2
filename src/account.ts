import { Duration, IResource, ITaggable, Lazy, RemovalPolicy, Resource, Stack, TagManager, TagType, Tokenization } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IParent } from './organizational-unit';
import type { IPolicy } from './policy';
import { IPolicyTarget, PolicyAttachment } from './policy-attachment';
import { attachPolicy } from './private/attach';
import { AccountAttrs, AccountProperty, AccountRemovalActionName, ResourceType } from './private/contract';
import { checkParent, childInfo } from './private/parent';
import { MAX_CREATE_TIMEOUT } from './private/provider';
import { claim, OrganizationLink, organizationOf, setTreeInfo } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { validateTags } from './private/tags';
import { fail, Rules, validateString, whenKnown } from './private/validation';


/** AWS runs at most 5 CreateAccount requests of an organization at once ("concurrent account creation requests"). */
const CREATION_LANES = 5;
/** The accounts of each stack, in the order they were declared. */
const accountsOfStack = new WeakMap<Stack, QueuedAccount[]>();
/** An account in its stack's lanes, and the organization it belongs to. */
interface QueuedAccount {
  readonly resource: OrganizationsResource;
  readonly organization?: OrganizationLink;
}
/** The service principal of Account Management, whose trusted access renaming member accounts needs. */
const ACCOUNT_MANAGEMENT_PRINCIPAL = 'account.amazonaws.com';

/** The shortest wait for a creation that makes sense: the first poll comes 30 seconds after the request. */
const MIN_CREATE_TIMEOUT = Duration.minutes(1);

/**
 * What happens to an AWS account when its `Account` is removed from the app (or its stack deleted).
 */
export enum AccountRemovalAction {
  /** Leave the account where it is, in the organization (the provider keeps it; nothing is called to remove it). */
  RETAIN = 'RETAIN',
  /**
   * Remove the account from the organization (`RemoveAccountFromOrganization`): it becomes a
   * standalone account, which needs its own payment method and signed agreement, and only 4 days
   * after its creation.
   */
  REMOVE_FROM_ORGANIZATION = 'REMOVE_FROM_ORGANIZATION',
  /**
   * Close the account (`CloseAccount`): it becomes PENDING_CLOSURE, then SUSPENDED, and AWS deletes
   * its resources after 90 days.
   */
  CLOSE = 'CLOSE',
}

/**
 * An AWS account of the organization, declared in this app or imported.
 */
export interface IAccount extends IResource, IPolicyTarget {
  /**
   * The account's id (12 digits).
   *
   * @attribute
   */
  readonly accountId: string;

  /**
   * The account's ARN in the organization.
   *
   * @attribute
   */
  readonly accountArn: string;
}

/** Properties of an {@link Account}. */
export interface AccountProps {
  /**
   * The account's name: 1 to 50 printable ASCII characters. A new name renames the account
   * (Account Management `PutAccountName`, which for member accounts needs trusted access for
   * `account.amazonaws.com`: the Organization in the app enables it for you).
   */
  readonly accountName: string;

  /**
   * The email of the account's root user: 6 to 64 characters, unique across AWS. It identifies the
   * account: an account of the organization with this email is adopted (see `adoptExisting`). It
   * cannot change through CloudFormation (AWS needs a one-time password sent to the new address).
   */
  readonly email: string;

  /**
   * The root or OU to place the account in. A new parent moves the account (`MoveAccount`), and
   * so does removing it (back to the root).
   *
   * @default - the root: a new account stays where `CreateAccount` puts it (the root), and an adopted one stays where it is
   */
  readonly parent?: IParent;

  /**
   * The name of the IAM role that `CreateAccount` creates in the new account, which the
   * management account's principals can assume. Applies at creation only; a change is refused.
   *
   * @default 'OrganizationAccountAccessRole'
   */
  readonly roleName?: string;

  /**
   * Whether IAM users and roles of the account can see its billing information (if they have the
   * permissions). Applies at creation only; a change is refused.
   *
   * @default true
   */
  readonly iamUserAccessToBilling?: boolean;

  /**
   * Tags of the account.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the AWS account when this construct is removed from the app or its stack is
   * deleted. It applies only to an account this stack created (or that another resource of this
   * library created and this one took over, for example after the construct was renamed); an
   * adopted account is always left where it is.
   *
   * @default AccountRemovalAction.RETAIN
   */
  readonly removalAction?: AccountRemovalAction;

  /**
   * Whether an account of the organization that already has this email is adopted (moved, renamed
   * and tagged by this stack from then on, but never closed or removed by it) instead of refused. A
   * new account is never created for an email that exists. An account that another resource of this
   * library created (a renamed or moved construct) is taken over whatever this says.
   *
   * @default true
   */
  readonly adoptExisting?: boolean;

  /**
   * How long to wait for `CreateAccount` to finish (and, with `AccountRemovalAction.CLOSE`, for a
   * closure slot). CloudFormation waits at most one hour for a custom resource, so one deployment
   * waits at most 45 minutes; a creation still in progress then fails the deployment, and the next
   * deployment resumes waiting on the same request (no second account is created).
   *
   * @default Duration.minutes(45)
   */
  readonly createTimeout?: Duration;
}

/** Attributes of an account to import with {@link Account.fromAccountAttributes}. */
export interface AccountAttributes {
  /**
   * The account's id (12 digits).
   */
  readonly accountId: string;

  /**
   * The account's ARN in the organization.
   *
   * @default - unknown: reading `accountArn` throws
   */
  readonly accountArn?: string;

  /**
   * The account's parent. It tells the app which root (and organization) the account belongs to.
   *
   * @default - unknown: the root of the app's only organization, if it has exactly one
   */
  readonly parent?: IParent;
}

abstract class AccountBase extends Resource implements IAccount {
  public abstract readonly accountId: string;
  public abstract readonly accountArn: string;

  public get targetId(): string {
    return this.accountId;
  }

  public attachPolicy(policy: IPolicy): PolicyAttachment {
    return attachPolicy(policy, this);
  }
}

/**
 * An AWS account in the organization (`Custom::Organizations_Account`).
 *
 * Creation runs asynchronously (the provider polls `DescribeCreateAccountStatus`), so many
 * accounts of a stack are created in parallel, as fast as AWS allows (5 at once). The account is
 * retained when removed from the app unless `removalAction` says otherwise; an account is never
 * created twice, replaced or silently changed.
 *
 * @resource Custom::Organizations_Account
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html
 */
export class Account extends AccountBase implements ITaggable {
  /**
   * Imports an account by its id.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param accountId the account's id (12 digits)
   */
  public static fromAccountId(scope: Construct, id: string, accountId: string): IAccount {
    return Account.fromAccountAttributes(scope, id, { accountId });
  }

  /**
   * Imports an account with its attributes.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param attrs the account's attributes
   */
  public static fromAccountAttributes(scope: Construct, id: string, attrs: AccountAttributes): IAccount {
    validateString(scope, 'accountId', attrs.accountId, Rules.ACCOUNT_ID);
    return new ImportedAccount(scope, id, attrs);
  }

  /**
   * The account's id (12 digits).
   *
   * @attribute
   */
  public get accountId(): string {
    return this.resource.ref;
  }

  /**
   * The account's ARN in the organization.
   *
   * @attribute
   */
  public get accountArn(): string {
    return this.resource.getAttString(AccountAttrs.ACCOUNT_ARN);
  }

  /**
   * The account's name, as AWS has it (an adopted account keeps its name until `accountName` changes).
   *
   * @attribute
   */
  public get accountName(): string {
    return this.resource.getAttString(AccountAttrs.ACCOUNT_NAME);
  }

  /**
   * The email of the account's root user.
   *
   * @attribute
   */
  public get email(): string {
    return this.resource.getAttString(AccountAttrs.EMAIL);
  }

  /**
   * The id of the root or OU the account is in.
   *
   * @attribute
   */
  public get parentId(): string {
    return this.resource.getAttString(AccountAttrs.PARENT_ID);
  }

  /**
   * How the account joined the organization: `CREATED` or `INVITED`.
   *
   * @attribute
   */
  public get joinedMethod(): string {
    return this.resource.getAttString(AccountAttrs.JOINED_METHOD);
  }

  /**
   * When the account joined the organization (ISO 8601).
   *
   * @attribute
   */
  public get joinedTimestamp(): string {
    return this.resource.getAttString(AccountAttrs.JOINED_TIMESTAMP);
  }

  /** The root or OU declared as the account's parent; undefined for the default (the root). */
  public readonly parent?: IParent;

  /** What happens to the AWS account when this construct is removed. */
  public readonly removalAction: AccountRemovalAction;

  /** Tags of the account. */
  public readonly tags: TagManager;

  private readonly resource: OrganizationsResource;

  constructor(scope: Construct, id: string, props: AccountProps) {
    super(scope, id);

    validateString(this, 'accountName', props.accountName, Rules.ACCOUNT_NAME);
    validateString(this, 'email', props.email, Rules.EMAIL);
    validateString(this, 'roleName', props.roleName, Rules.ROLE_NAME);
    const timeout = props.createTimeout ?? MAX_CREATE_TIMEOUT;
    if (props.createTimeout) this.checkCreateTimeout(props.createTimeout);
    whenKnown(this, props.email, email => {
      const holder = claim(this, 'account-email', email.toLowerCase(), this);
      return holder === undefined ? undefined
        : `email ${email} is already the email of ${holder}: every AWS account has its own email, and one account is declared once.`;
    });
    if (props.parent) checkParent(this, 'parent', props.parent);
    setTreeInfo(this, { ...(props.parent ? childInfo(this, 'parent', props.parent, 'account') : { kind: 'account' }), declared: true });

    this.parent = props.parent;
    this.removalAction = props.removalAction ?? AccountRemovalAction.RETAIN;
    this.tags = new TagManager(TagType.KEY_VALUE, ResourceType.ACCOUNT, props.tags);
    validateTags(this, this.tags);

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.ACCOUNT,
      // The handler decides on every removal (RETAIN keeps the account), so that it also records the
      // end of a takeover and, in a rollback, puts back what adopting the account changed. Delete is
      // CloudFormation's default: not written, in a template that may hold hundreds of accounts.
      removalPolicy: RemovalPolicy.DESTROY,
      omitDefaultRemovalPolicy: true,
      properties: {
        [AccountProperty.ACCOUNT_NAME]: props.accountName,
        [AccountProperty.EMAIL]: props.email,
        [AccountProperty.PARENT_ID]: props.parent?.targetId,
        [AccountProperty.ROLE_NAME]: props.roleName,
        [AccountProperty.IAM_USER_ACCESS_TO_BILLING]: props.iamUserAccessToBilling === undefined ? undefined : (props.iamUserAccessToBilling ? 'ALLOW' : 'DENY'),
        [AccountProperty.TAGS]: Lazy.any({ produce: () => this.tags.renderTags() }),
        [AccountProperty.ADOPT_EXISTING]: String(props.adoptExisting ?? true),
        [AccountProperty.REMOVAL_ACTION]: this.removalAction satisfies AccountRemovalActionName,
        [AccountProperty.CREATE_TIMEOUT_SECONDS]: Tokenization.stringifyNumber(timeout.toSeconds()),
      },
    });

    // After the organization when the app declares it (an account without parent refers to nothing
    // of it). Renaming a member account needs trusted access for Account Management: it is enabled
    // once, before the accounts. An account queued behind another of the same organization comes
    // after both through it: no DependsOn of its own for them (large stacks have hundreds of accounts).
    const organization = organizationOf(this);
    const trustedAccess = organization?.enableAwsServiceAccess && organization.allFeatures
      ? organization.enableAwsServiceAccess(ACCOUNT_MANAGEMENT_PRINCIPAL) : undefined;
    const ahead = this.queueBehindEarlierAccounts(organization);
    if (ahead?.organization !== organization) {
      if (organization?.resource) this.resource.node.addDependency(organization.resource);
      if (trustedAccess) this.resource.node.addDependency(trustedAccess);
    }
  }

  /**
   * Accounts of one stack are created in lanes as wide as AWS's quota of creations in progress:
   * each waits for the account `CREATION_LANES` before it in the stack. No CreateAccount is then
   * refused for the quota, and each account's create timeout starts when a slot is free, so a
   * stack of any size creates in one deployment (deletion goes in reverse, in the same lanes).
   * Returns the account this one waits for, if any.
   */
  private queueBehindEarlierAccounts(organization: OrganizationLink | undefined): QueuedAccount | undefined {
    const stack = Stack.of(this);
    const lanes = accountsOfStack.get(stack) ?? [];
    const ahead = lanes.length >= CREATION_LANES ? lanes[lanes.length - CREATION_LANES] : undefined;
    if (ahead) this.resource.node.addDependency(ahead.resource);
    lanes.push({ resource: this.resource, organization });
    accountsOfStack.set(stack, lanes);
    return ahead;
  }

  /**
   * Not supported: what happens to an account on removal is `removalAction`.
   *
   * @param _policy ignored
   */
  public applyRemovalPolicy(_policy: RemovalPolicy): void {
    fail(this, 'An Account takes no RemovalPolicy: set removalAction (AccountRemovalAction.RETAIN, REMOVE_FROM_ORGANIZATION or CLOSE) instead.');
  }

  private checkCreateTimeout(timeout: Duration): void {
    if (timeout.isUnresolved()) return;
    const seconds = timeout.toSeconds();
    if (seconds < MIN_CREATE_TIMEOUT.toSeconds() || seconds > MAX_CREATE_TIMEOUT.toSeconds()) {
      fail(this, `createTimeout must be between ${MIN_CREATE_TIMEOUT.toMinutes()} and ${MAX_CREATE_TIMEOUT.toMinutes()} minutes, got ${timeout.toHumanString()}. `
        + 'CloudFormation waits at most one hour for a custom resource; a creation that takes longer fails the deployment, and the next '
        + 'deployment resumes waiting on the same request.');
    }
  }
}

class ImportedAccount extends AccountBase {
  public readonly accountId: string;
  private readonly arn?: string;

  constructor(scope: Construct, id: string, attrs: AccountAttributes) {
    super(scope, id);
    this.accountId = attrs.accountId;
    this.arn = attrs.accountArn;
    if (attrs.parent) checkParent(this, 'parent', attrs.parent);
    setTreeInfo(this, attrs.parent ? childInfo(this, 'parent', attrs.parent, 'account') : { kind: 'account' });
  }

  public get accountArn(): string {
    if (this.arn === undefined) {
      fail(this, `accountArn of the imported account ${this.accountId} is unknown: import it with Account.fromAccountAttributes({ accountId, accountArn }).`);
    }
    return this.arn;
  }
}
