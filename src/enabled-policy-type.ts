import { RemovalPolicy, Resource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IRoot } from './organization';
import type { PolicyType } from './policy';
import { EnabledPolicyTypeProperty, ResourceType } from './private/contract';
import { enabledPolicyTypeKey, registerSingleton, reserveLibraryTag, singleton, treeInfoOf } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { describeConstruct, fail } from './private/validation';

/** Properties of an {@link EnabledPolicyType}. */
export interface EnabledPolicyTypeProps {
  /**
   * The root to enable the policy type on.
   */
  readonly root: IRoot;

  /**
   * The policy type to enable.
   */
  readonly policyType: PolicyType;
}

/**
 * A policy type enabled on a root (`Custom::Organizations_EnabledPolicyType`): policies of a type
 * can only be attached once it is enabled.
 *
 * `Organization` makes these for you (`enablePolicyType`, and for the type of every policy attached
 * under its root); declare one yourself for a root the app imports. A type that was enabled before
 * is adopted and stays enabled when the resource is removed; one this resource enabled is disabled
 * on removal (which detaches every policy of that type from every target).
 *
 * @resource Custom::Organizations_EnabledPolicyType
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html
 */
export class EnabledPolicyType extends Resource {
  /** The root the type is enabled on. */
  public readonly root: IRoot;

  /** The enabled policy type. */
  public readonly policyType: PolicyType;

  private readonly resource: OrganizationsResource;

  constructor(scope: Construct, id: string, props: EnabledPolicyTypeProps) {
    super(scope, id);
    this.root = props.root;
    this.policyType = props.policyType;

    const organization = treeInfoOf(props.root)?.root?.organization;
    if (organization && !organization.allFeatures) {
      fail(this, `policyType ${props.policyType.value} cannot be enabled on ${describeConstruct(props.root, props.root.rootId)}: `
        + `the organization ${organization.construct.node.path} has featureSet CONSOLIDATED_BILLING, and policies need all features (FeatureSet.ALL).`);
    }
    const key = enabledPolicyTypeKey({ construct: props.root, rootId: props.root.rootId }, props.policyType.value);
    const existing = singleton(this, key);
    if (existing) {
      fail(this, `policyType ${props.policyType.value} is already enabled on ${describeConstruct(props.root, props.root.rootId)} `
        + `by ${(existing as Construct).node.path}. Declare it once (organization.enablePolicyType returns the existing one).`);
    }
    registerSingleton(this, key, this);
    // Its handler records the enablement's ownership on the root: its owner and the request that enabled it.
    reserveLibraryTag(props.root, 2);

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.ENABLED_POLICY_TYPE,
      properties: {
        [EnabledPolicyTypeProperty.ROOT_ID]: props.root.rootId,
        [EnabledPolicyTypeProperty.POLICY_TYPE]: props.policyType.value,
      },
    });
  }

  /**
   * Applies a removal policy to the resource. `RETAIN` keeps the type enabled when the resource is removed.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }
}
