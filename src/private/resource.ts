/**
 * The CloudFormation resource of a construct of this library: what aws-cdk-lib's `CustomResource`
 * makes (a `Resource` construct holding a `CfnResource` named `Default`, so the same paths and
 * logical ids, and a template identical to the byte), without its cost per resource: it is
 * made once per organization, OU, account and policy, and large stacks have hundreds of them.
 */
import { CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResourceTypeName } from './contract';
import { OrganizationsProvider } from './provider';

export interface OrganizationsResourceProps {
  readonly resourceType: ResourceTypeName;
  /** The resource's properties (the handler's `ResourceProperties`, besides `ServiceToken`). */
  readonly properties: Record<string, unknown>;
  /** @default RemovalPolicy.DESTROY, written to the template as CustomResource writes it */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether DESTROY is left out of the template: CloudFormation's default for both DeletionPolicy
   * and UpdateReplacePolicy is Delete, and a resource repeated hundreds of times saves the bytes.
   *
   * @default false
   */
  readonly omitDefaultRemovalPolicy?: boolean;
}

/**
 * A CfnResource whose logical id is allocated once. CfnElement computes it again on every
 * reference (an uncached token): at a nested path (`Account/Resource/Default`) that is a hash of
 * the path each time, and an account is referred to by its lane, its attachments and the stack's
 * outputs. The path never changes, so the allocation (the stack's `allocateLogicalId`, which a
 * user's Stack may override) is kept; overrides and the stack's renames apply on every call, as
 * in CfnElement. With a Stack whose `getLogicalId` is overridden, or an aws-cdk-lib without these
 * internals, it computes every time, as CfnElement does.
 */
class OrganizationsCfnResource extends CfnResource {
  private allocatedLogicalId?: string;

  /** Overrides CfnElement's producer of `logicalId`. */
  protected _synthesizeLogicalId(): string {
    const self = this as unknown as { _logicalIdOverride?: string };
    if (self._logicalIdOverride) return self._logicalIdOverride;
    const stack = this.stack as unknown as {
      allocateLogicalId?: (element: CfnResource) => string;
      _logicalIds?: { applyRename?: (id: string) => string };
    };
    const logicalIds = stack._logicalIds;
    if (this.stack.getLogicalId !== Stack.prototype.getLogicalId || typeof stack.allocateLogicalId !== 'function'
      || typeof logicalIds?.applyRename !== 'function') {
      return this.stack.getLogicalId(this);
    }
    this.allocatedLogicalId ??= stack.allocateLogicalId.call(this.stack, this);
    return logicalIds.applyRename(this.allocatedLogicalId);
  }
}

/** The construct `Resource` of one of this library's constructs, served by the stack's provider. */
export class OrganizationsResource extends Construct {
  /** The CloudFormation resource. */
  public readonly cfn: CfnResource;

  constructor(scope: Construct, id: string, props: OrganizationsResourceProps) {
    super(scope, id);
    this.cfn = new OrganizationsCfnResource(this, 'Default', {
      type: props.resourceType,
      properties: { ServiceToken: OrganizationsProvider.serviceToken(this, props.resourceType), ...props.properties },
    });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    if (removalPolicy !== RemovalPolicy.DESTROY || !props.omitDefaultRemovalPolicy) this.cfn.applyRemovalPolicy(removalPolicy);
  }

  /** The physical id the handler returns. */
  public get ref(): string {
    return this.cfn.ref;
  }

  /** An attribute the handler returns, as a string token. */
  public getAttString(attributeName: string): string {
    return Token.asString(this.cfn.getAtt(attributeName));
  }

  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.cfn.applyRemovalPolicy(policy);
  }
}
