import { Annotations, Stack } from 'aws-cdk-lib';
import { Construct, Dependable, IConstruct, IDependable } from 'constructs';
import type { IPolicy } from './policy';
import { alreadyAttachedMessage, attachmentKey } from './private/attachment-key';
import { PolicyAttachmentProperty, ResourceType } from './private/contract';
import { AwsManagedPolicy, DEFAULT_POLICY_OF_TYPE, POLICY_TYPE_QUOTAS } from './private/quotas';
import { claim, count, enabledPolicyTypeKey, foldOf, identityKey, reserveLibraryTag, rootOf, singleton, treeInfoOf } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { describeConstruct, fail } from './private/validation';

/**
 * A root, OU or account: what a policy can be attached to.
 */
export interface IPolicyTarget extends IConstruct {
  /**
   * The id of the root (`r-...`), OU (`ou-...`) or account (12 digits): the `TargetId` of its
   * policy attachments.
   *
   * @attribute
   */
  readonly targetId: string;

  /**
   * Attaches a policy directly to this root, OU or account.
   *
   * @param policy the policy
   */
  attachPolicy(policy: IPolicy): PolicyAttachment;
}

/** Properties of a {@link PolicyAttachment}. */
export interface PolicyAttachmentProps {
  /**
   * The policy to attach. Its type must be known (a declared `Policy`, or one imported with
   * `Policy.fromPolicyAttributes`).
   */
  readonly policy: IPolicy;

  /**
   * The root, OU or account to attach it to.
   */
  readonly target: IPolicyTarget;
}

/**
 * A policy attached directly to a root, OU or account.
 *
 * When the policy is declared in the same stack as the target, the attachment costs no resource:
 * it is folded into the policy's own resource (its `TargetIds`), and a dependency on the
 * attachment is a dependency on that policy resource. Otherwise (the policy is imported, or in
 * another stack) it is one `Custom::Organizations_PolicyAttachment` in this construct's stack:
 * `attachTo` and `attachPolicy` put it in the policy's stack, so that stack comes after the
 * target's.
 *
 * Either way, the policy type is enabled on the root before the attachment: automatically when
 * the Organization is in the app, otherwise the app must say the type is enabled already
 * (`Root.fromRootAttributes`, `Organization.fromOrganizationAttributes` or an `EnabledPolicyType`).
 *
 * @resource Custom::Organizations_PolicyAttachment
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_AttachPolicy.html
 */
export class PolicyAttachment extends Construct {
  /** The attached policy. */
  public readonly policy: IPolicy;

  /** The root, OU or account the policy is attached to. */
  public readonly target: IPolicyTarget;

  constructor(scope: Construct, id: string, props: PolicyAttachmentProps) {
    super(scope, id);
    const { policy, target } = props;
    this.policy = policy;
    this.target = target;

    const label = `policy ${describeConstruct(policy, policy.policyId)} to ${describeConstruct(target, target.targetId)}`;
    // Throws for a policy imported by id alone, saying how to import it with its type.
    const policyType = policy.policyType.value;
    if (policy.policyId === AwsManagedPolicy.RCP_FULL_AWS_ACCESS.id) {
      fail(this, `Cannot attach ${label}: RCPFullAWSAccess is attached to every root, OU and account by AWS and can never be detached, `
        + 'so the app does not attach it (its removal would fail). Remove this attachment.');
    }

    const targetKey = identityKey(target, target.targetId);
    const previous = claim(this, 'policy-attachment', attachmentKey(policy, target), this);
    if (previous !== undefined) fail(this, alreadyAttachedMessage(policy, target, previous));
    this.checkAttachmentQuota(label, policy, policyType, targetKey);

    const enabled = policyTypeEnabled(this, label, policyType, target);
    const fold = foldOf(policy);
    // In the policy's stack the attachment is folded into the policy's resource: no resource of its own.
    if (fold && Stack.of(policy) === Stack.of(target)) {
      const policyResource = fold(target.targetId, enabled);
      // A dependency on this attachment is a dependency on the policy resource that makes it.
      Dependable.implement(this, { dependencyRoots: [policyResource] });
      return;
    }
    const resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.POLICY_ATTACHMENT,
      properties: {
        [PolicyAttachmentProperty.POLICY_ID]: policy.policyId,
        [PolicyAttachmentProperty.TARGET_ID]: target.targetId,
      },
    });
    if (enabled) resource.node.addDependency(enabled);
    // Its handler records the attachment's ownership in a tag on the target.
    reserveLibraryTag(target);
  }

  /**
   * The policies of one type attached directly to one target, against the type's hard quota. The
   * type's default policy counts where AWS keeps it attached: RCPFullAWSAccess everywhere (it
   * cannot be detached); FullAWSAccess on every root, OU and account the app declares (AWS attaches
   * it when SCPs are enabled and to each new OU and account, and the app never detaches an
   * attachment it did not make). On an imported target FullAWSAccess may have been detached by
   * hand, so there it only warns.
   */
  private checkAttachmentQuota(label: string, policy: IPolicy, policyType: string, targetKey: string): void {
    const max = POLICY_TYPE_QUOTAS[policyType]?.maxDirectAttachments;
    if (max === undefined) return;
    const declared = count(this, `attachments|${targetKey}|${policyType}`);
    const defaultPolicy = DEFAULT_POLICY_OF_TYPE[policyType];
    let attached = declared;
    let defaultCounted = false;
    let defaultUnknown = false;
    if (defaultPolicy) {
      // Attached by the app too: then it is one of the declared ones.
      const explicit = count(this, `default-policy-attached|${targetKey}|${policyType}`, policy.policyId === defaultPolicy.id ? 1 : 0) > 0;
      if (!explicit && (!defaultPolicy.detachable || treeInfoOf(this.target)?.declared)) {
        attached += 1;
        defaultCounted = true;
      } else if (!explicit) {
        defaultUnknown = true;
      }
    }
    const counting = defaultCounted
      ? (defaultPolicy.detachable
        ? `, counting ${defaultPolicy.name}, which AWS attaches to every root, OU and account while ${policyType} is enabled and this app never detaches`
        : `, counting ${defaultPolicy.name}, which is always attached`)
      : '';
    const remedy = 'Merge some policies into one, or attach some to a parent OU instead (inherited policies do not count).';
    if (attached > max) {
      fail(this, `Cannot attach ${label}: at most ${max} ${policyType} policies can be attached directly to one root, OU or account `
        + `(a hard quota${counting}), and this would be ${attached}. ${remedy}`);
    }
    if (defaultUnknown && attached + 1 > max) {
      Annotations.of(this).addWarningV2('cdk-organizations:policy-attachment-quota',
        `${label}: this is policy ${attached} of type ${policyType} attached directly to an imported target, and AWS allows ${max}. `
        + `Unless ${defaultPolicy!.name} (${defaultPolicy!.id}), which AWS attaches to every root, OU and account, was detached from it, `
        + `it makes ${attached + 1} and the deployment fails (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED). ${remedy}`);
    }
  }
}

/**
 * What must exist before a policy of `policyType` is attached to `target`: the type enabled on the
 * target's root. Undefined when the app is told it is enabled already; an error when the app cannot
 * tell.
 */
function policyTypeEnabled(scope: IConstruct, label: string, policyType: string, target: IPolicyTarget): IDependable | undefined {
  const root = rootOf(target);
  if (root) {
    const declared = singleton(scope, enabledPolicyTypeKey(root, policyType));
    if (declared) return declared;
    if (root.enablePolicyType) return root.enablePolicyType(policyType);
    if (root.enabledPolicyTypes?.includes(policyType)) return undefined;
  }
  const where = root ? `its root ${describeConstruct(root.construct, root.rootId)}` : 'its root';
  return fail(scope, `Cannot attach ${label}: the policy type ${policyType} must be enabled on ${where} first, and this app cannot tell `
    + 'whether it is. Declare the Organization in this app (it enables the types of the policies attached under its root), or declare '
    + `new EnabledPolicyType(scope, id, { root, policyType: PolicyType.${policyType} }), or, when the type is enabled already, import the root `
    + `with Root.fromRootAttributes(scope, id, { rootId, enabledPolicyTypes: [PolicyType.${policyType}] }) (or the organization with `
    + 'Organization.fromOrganizationAttributes) and use it as the parent of the imported OUs and accounts.');
}
