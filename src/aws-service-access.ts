import { RemovalPolicy, Resource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AwsServiceAccessProperty, ResourceType } from './private/contract';
import { awsServiceAccessKey, organizationOf, registerSingleton, reserveLibraryTag, singleton } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { fail, Rules, validateString } from './private/validation';

/** Properties of an {@link AwsServiceAccess}. */
export interface AwsServiceAccessProps {
  /**
   * The service principal of the AWS service to trust, for example `guardduty.amazonaws.com`.
   *
   * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
   */
  readonly servicePrincipal: string;
}

/**
 * Trusted access of an AWS service to the organization (`Custom::Organizations_AwsServiceAccess`):
 * the service may then create service-linked roles and act in the accounts of the organization.
 *
 * `Organization` makes these for you (`enableAwsServiceAccess`, and for the service of every
 * `DelegatedAdministrator` in the app). Trusted access that was enabled before is adopted and stays
 * enabled when the resource is removed; access this resource enabled is disabled on removal.
 *
 * @resource Custom::Organizations_AwsServiceAccess
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnableAWSServiceAccess.html
 */
export class AwsServiceAccess extends Resource {
  /** The trusted service principal. */
  public readonly servicePrincipal: string;

  private readonly resource: OrganizationsResource;

  constructor(scope: Construct, id: string, props: AwsServiceAccessProps) {
    super(scope, id);
    validateString(this, 'servicePrincipal', props.servicePrincipal, Rules.SERVICE_PRINCIPAL);
    this.servicePrincipal = props.servicePrincipal;

    const organization = organizationOf(this);
    if (organization && !organization.allFeatures) {
      fail(this, `servicePrincipal ${props.servicePrincipal}: trusted access needs all features, and the organization `
        + `${organization.construct.node.path} has featureSet CONSOLIDATED_BILLING. Set featureSet to FeatureSet.ALL.`);
    }
    const key = awsServiceAccessKey(this, props.servicePrincipal);
    const existing = singleton(this, key);
    if (existing) {
      fail(this, `servicePrincipal ${props.servicePrincipal}: trusted access for it is already declared by ${(existing as Construct).node.path}. `
        + 'Declare it once (organization.enableAwsServiceAccess returns the existing one).');
    }
    registerSingleton(this, key, this);
    // Its handler records the access's ownership on the root: its owner and the request that enabled it.
    if (organization?.root) reserveLibraryTag(organization.root.construct, 2);

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.AWS_SERVICE_ACCESS,
      properties: { [AwsServiceAccessProperty.SERVICE_PRINCIPAL]: props.servicePrincipal },
    });
    // Trusted access exists only once the organization does.
    if (organization?.resource) this.resource.node.addDependency(organization.resource);
  }

  /**
   * Applies a removal policy to the resource. `RETAIN` keeps trusted access enabled when the resource is removed.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }
}
