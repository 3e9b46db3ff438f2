import { RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import type { IAccount } from './account';
import { DelegatedAdministratorProperty, ResourceType } from './private/contract';
import { awsServiceAccessKey, claim, identityKey, OrganizationLink, organizationOf, reserveLibraryTag, singleton } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { describeConstruct, fail, Rules, validateString } from './private/validation';

/** Properties of a {@link DelegatedAdministrator}. */
export interface DelegatedAdministratorProps {
  /**
   * The member account to register. The management account cannot be one.
   */
  readonly account: IAccount;

  /**
   * The service principal of the AWS service, for example `guardduty.amazonaws.com`. Trusted access
   * for it must be enabled first: the Organization in the app does it for you.
   *
   * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
   */
  readonly servicePrincipal: string;
}

/**
 * A member account registered as delegated administrator of an AWS service
 * (`Custom::Organizations_DelegatedAdministrator`).
 *
 * Trusted access for the service is enabled before the registration: automatically when the
 * Organization is in the app; otherwise the app must declare an `AwsServiceAccess` for it, or
 * import the organization with the principal in `awsServiceAccessPrincipals`. Removal deregisters
 * the account.
 *
 * @resource Custom::Organizations_DelegatedAdministrator
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_RegisterDelegatedAdministrator.html
 */
export class DelegatedAdministrator extends Resource {
  /** The registered account. */
  public readonly account: IAccount;

  /** The service principal the account administers. */
  public readonly servicePrincipal: string;

  private readonly resource: OrganizationsResource;

  constructor(scope: Construct, id: string, props: DelegatedAdministratorProps) {
    super(scope, id);
    validateString(this, 'servicePrincipal', props.servicePrincipal, Rules.SERVICE_PRINCIPAL);
    this.account = props.account;
    this.servicePrincipal = props.servicePrincipal;

    const organization = organizationOf(props.account);
    this.refuseManagementAccount(props.account, organization);
    const holder = claim(this, 'delegated-administrator',
      `${identityKey(props.account, props.account.accountId)}|${identityKey(this, props.servicePrincipal)}`, this);
    if (holder !== undefined) {
      fail(this, `account ${describeConstruct(props.account, props.account.accountId)} is already registered for ${props.servicePrincipal} by ${holder}. `
        + 'Declare each delegated administrator once.');
    }

    const trusted = this.trustedAccess(organization);
    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.DELEGATED_ADMINISTRATOR,
      properties: {
        [DelegatedAdministratorProperty.ACCOUNT_ID]: props.account.accountId,
        [DelegatedAdministratorProperty.SERVICE_PRINCIPAL]: props.servicePrincipal,
      },
    });
    if (trusted) this.resource.node.addDependency(trusted);
    // Its handler records the registration's ownership in a tag on the account.
    reserveLibraryTag(props.account);
  }

  /**
   * Applies a removal policy to the resource. `RETAIN` keeps the registration when the resource is removed.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }

  /** Trusted access for the principal: what must come first, undefined when the app is told it is there, an error when it cannot tell. */
  private trustedAccess(organization: OrganizationLink | undefined): IDependable | undefined {
    const principal = this.servicePrincipal;
    const declared = singleton(this, awsServiceAccessKey(this, principal));
    if (declared) return declared;
    if (organization?.enableAwsServiceAccess) return organization.enableAwsServiceAccess(principal);
    if (organization?.enabledAwsServicePrincipals?.includes(principal)) return undefined;
    return fail(this, `servicePrincipal ${principal}: trusted access for it must be enabled before an account is registered as its delegated `
      + 'administrator, and this app cannot tell whether it is. Declare the Organization in this app (it enables trusted access for the '
      + `services of its delegated administrators), or declare new AwsServiceAccess(scope, id, { servicePrincipal: '${principal}' }), or, `
      + 'when it is enabled already, import the organization with Organization.fromOrganizationAttributes(scope, id, { organizationId, '
      + `awsServiceAccessPrincipals: ['${principal}'] }).`);
  }

  /** The management account administers every service already and cannot be registered; refused when the app can tell. */
  private refuseManagementAccount(account: IAccount, organization: OrganizationLink | undefined): void {
    const accountId = account.accountId;
    // Every one of these is the management account: registration is only possible from it, so this
    // stack deploys to it. Equal tokens (organization.managementAccountId as the account's id) count too.
    const managementAccount = [organization?.managementAccountId, organization?.deployedToAccount, Stack.of(this).account];
    if (managementAccount.some(id => id !== undefined && id === accountId)) {
      fail(this, `account ${describeConstruct(account, accountId)} is the organization's management account, which already administers every `
        + 'service and cannot be a delegated administrator (CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR). Choose a member account.');
    }
  }
}
