import { Aws, IResource, Lazy, RemovalPolicy, Resource, Stack, TagManager, TagType, Token, ITaggable } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { IPolicyTarget, PolicyAttachment } from './policy-attachment';
import { attachPolicy } from './private/attach';
import { PolicyAttrs, PolicyProperty, ResourceType } from './private/contract';
import { checkPolicy, CheckOptions, duplicateProblems, formatProblem, nonJsonProblems, parseJson, PolicyProblem, POLICY_RULES, sizeAdvice, unsafeNumberProblems } from './private/policy-rules';
import { AwsManagedPolicy, POLICY_TYPE_QUOTAS } from './private/quotas';
import { accountKey, claim, organizationOf, setFold } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { validateTags } from './private/tags';
import { fail, Rules, validateString, whenKnown } from './private/validation';

/**
 * A type of AWS Organizations policy, as the API names it (`CreatePolicy`'s `Type`).
 *
 * Every type the API has is a static member; `PolicyType.of()` names one this version does not know yet.
 *
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html
 */
export class PolicyType {
  /** Service control policies (SCPs): the maximum permissions of the IAM principals of the accounts. */
  public static readonly SERVICE_CONTROL_POLICY = new PolicyType('SERVICE_CONTROL_POLICY');
  /** Resource control policies (RCPs): the maximum permissions on the resources of the accounts. */
  public static readonly RESOURCE_CONTROL_POLICY = new PolicyType('RESOURCE_CONTROL_POLICY');
  /** Tag policies: standardized tags. */
  public static readonly TAG_POLICY = new PolicyType('TAG_POLICY');
  /** Backup policies: AWS Backup plans. */
  public static readonly BACKUP_POLICY = new PolicyType('BACKUP_POLICY');
  /** AI services opt-out policies. */
  public static readonly AISERVICES_OPT_OUT_POLICY = new PolicyType('AISERVICES_OPT_OUT_POLICY');
  /** Chat applications policies (Amazon Q Developer in chat applications, formerly AWS Chatbot). */
  public static readonly CHATBOT_POLICY = new PolicyType('CHATBOT_POLICY');
  /** Declarative policies for Amazon EC2. */
  public static readonly DECLARATIVE_POLICY_EC2 = new PolicyType('DECLARATIVE_POLICY_EC2');
  /** AWS Security Hub policies. */
  public static readonly SECURITYHUB_POLICY = new PolicyType('SECURITYHUB_POLICY');
  /** AWS Security Hub CSPM policies. */
  public static readonly SECURITYHUB_CSPM_POLICY = new PolicyType('SECURITYHUB_CSPM_POLICY');
  /** Amazon Inspector policies. */
  public static readonly INSPECTOR_POLICY = new PolicyType('INSPECTOR_POLICY');
  /** Amazon GuardDuty policies. */
  public static readonly GUARDDUTY_POLICY = new PolicyType('GUARDDUTY_POLICY');
  /** Amazon Bedrock policies. */
  public static readonly BEDROCK_POLICY = new PolicyType('BEDROCK_POLICY');
  /** Amazon S3 policies. */
  public static readonly S3_POLICY = new PolicyType('S3_POLICY');
  /** Upgrade rollout policies. */
  public static readonly UPGRADE_ROLLOUT_POLICY = new PolicyType('UPGRADE_ROLLOUT_POLICY');
  /** AWS Network Firewall (Network Security Director) policies. */
  public static readonly NETWORK_SECURITY_DIRECTOR_POLICY = new PolicyType('NETWORK_SECURITY_DIRECTOR_POLICY');

  /**
   * A policy type by its API name, for types newer than this library.
   *
   * @param value the type as the API spells it, for example `SERVICE_CONTROL_POLICY`
   */
  public static of(value: string): PolicyType {
    validateString(undefined, 'PolicyType.of(value)', value, Rules.POLICY_TYPE);
    return new PolicyType(value);
  }

  /**
   * @param value the type as the API spells it
   */
  private constructor(public readonly value: string) {}

  /** The type as the API spells it. */
  public toString(): string {
    return this.value;
  }
}

/** What {@link PolicyContent.bind} returns. */
export interface PolicyContentConfig {
  /** The policy document as minified JSON text (may contain tokens). */
  readonly content: string;
}

/**
 * The document of a policy, sent to AWS minified (policy size quotas count every character).
 *
 * Every form is checked at synth time against AWS's documented syntax of the policy's type (the IAM
 * grammar with the Organizations restrictions for SCPs and RCPs; the inheritance operators and the
 * type's keys for management policies), so that what AWS would refuse with
 * `MalformedPolicyDocumentException` fails the synth instead, with a message naming the statement,
 * the element, the rule, the value and the fix.
 *
 * @see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
 */
export abstract class PolicyContent {
  /**
   * A document given as a JSON object, for example a tag or backup policy. A single-object
   * `Statement` is sent as written. Values JSON cannot carry (functions, `NaN`, `undefined` in an
   * array) are refused rather than changed.
   *
   * @param json the document; strings may contain tokens
   */
  public static fromJson(json: { [key: string]: any }): PolicyContent {
    return new JsonContent(json);
  }

  /**
   * A document given as JSON text. It is parsed at synth time (an error names the problem) and minified.
   * A key repeated in one object is refused (a JSON parser would keep only the last one), and so is an
   * integer beyond 2^53 (its digits would change).
   *
   * @param text the document as JSON text
   */
  public static fromString(text: string): PolicyContent {
    return new StringContent(text);
  }

  /**
   * An IAM policy document, for service control policies and resource control policies only.
   * It is rendered and checked when the app is synthesized, so statements added to it later are
   * included; an empty document is refused.
   *
   * @param document the policy document
   */
  public static fromPolicyDocument(document: iam.PolicyDocument): PolicyContent {
    return new DocumentContent(document);
  }

  /**
   * Renders the document for a policy.
   *
   * @param scope the policy
   * @param policyType the type of the policy
   */
  public abstract bind(scope: Construct, policyType: PolicyType): PolicyContentConfig;
}

class JsonContent extends PolicyContent {
  constructor(private readonly json: { [key: string]: any }) {
    super();
  }

  public bind(scope: Construct, policyType: PolicyType): PolicyContentConfig {
    const options = { isUnresolved: unresolved };
    failOnProblems(scope, 'PolicyContent.fromJson', policyType,
      [...nonJsonProblems(this.json, options), ...checkPolicy(policyType.value, this.json, options)]);
    return { content: minifiedJson(scope, this.json) };
  }
}

class StringContent extends PolicyContent {
  constructor(private readonly text: string) {
    super();
  }

  public bind(scope: Construct, policyType: PolicyType): PolicyContentConfig {
    let parsed: ReturnType<typeof parseJson>;
    try {
      // Not JSON.parse: it keeps the last of repeated keys and drops the others without a word.
      parsed = parseJson(this.text);
    } catch (error) {
      // Text with a token outside a JSON string cannot be parsed before deployment: sent as written.
      if (Token.isUnresolved(this.text)) return { content: this.text };
      fail(scope, `content (PolicyContent.fromString) must be a JSON document, but it does not parse: ${(error as Error).message}.`);
    }
    const value = parsed.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(scope, `content (PolicyContent.fromString) must be a JSON object, got ${JSON.stringify(this.text.slice(0, 40))}.`);
    }
    failOnProblems(scope, 'PolicyContent.fromString', policyType, [
      ...duplicateProblems(parsed),
      ...unsafeNumberProblems(parsed),
      ...checkPolicy(policyType.value, value, { isUnresolved: unresolved }),
    ]);
    return { content: JSON.stringify(value) };
  }
}

class DocumentContent extends PolicyContent {
  constructor(private readonly document: iam.PolicyDocument) {
    super();
  }

  public bind(scope: Construct, policyType: PolicyType): PolicyContentConfig {
    const isScp = policyType.value === PolicyType.SERVICE_CONTROL_POLICY.value;
    const isRcp = policyType.value === PolicyType.RESOURCE_CONTROL_POLICY.value;
    if (!isScp && !isRcp) {
      fail(scope, 'content: PolicyContent.fromPolicyDocument is only for SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY (IAM policy grammar), '
        + `not ${policyType.value}. Use PolicyContent.fromJson or PolicyContent.fromString for the ${policyType.value} syntax.`);
    }
    // The document may still change (addStatements): check the statements once the app is complete.
    scope.node.addValidation({
      validate: () => {
        if (this.document.isEmpty) {
          return [`content (PolicyContent.fromPolicyDocument): the IAM policy document has no statement, and a ${POLICY_RULES[policyType.value].label} `
            + 'needs at least one (AWS would refuse the policy). Fix: add statements to the document (new iam.PolicyDocument({ statements: [...] }) '
            + 'or document.addStatements(...)).'];
        }
        const rendered = Stack.of(scope).resolve(this.document);
        const problems = checkPolicy(policyType.value, rendered, { isUnresolved: unresolved });
        return problems.length === 0 ? [] : [problemsMessage('PolicyContent.fromPolicyDocument', policyType, problems)];
      },
    });
    return { content: minifiedJson(scope, this.document) };
  }
}

/** A value known only at deployment: a token, or the CloudFormation intrinsic it resolves to. */
const unresolved: CheckOptions['isUnresolved'] = value => Token.isUnresolved(value) || isIntrinsic(value);

function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** One line for the policy and its type, then one line per problem (statement, element, rule, value, fix, source). */
function problemsMessage(from: string, policyType: PolicyType, problems: PolicyProblem[]): string {
  const label = POLICY_RULES[policyType.value]?.label ?? 'policy';
  return `content (${from}) is not a valid ${label} (${policyType.value}): AWS Organizations would refuse it (MalformedPolicyDocumentException).\n`
    + problems.map(p => `  - ${formatProblem(p)}`).join('\n');
}

function failOnProblems(scope: Construct, from: string, policyType: PolicyType, problems: PolicyProblem[]): void {
  if (problems.length > 0) fail(scope, problemsMessage(from, policyType, problems));
}

/**
 * JSON text without whitespace: a literal when nothing in it is a token, otherwise a token that
 * CloudFormation joins. Rendered when the app is synthesized.
 */
function minifiedJson(scope: Construct, value: unknown): string {
  return Stack.of(scope).toJsonString(value);
}

/**
 * An AWS Organizations policy, declared in this app or imported.
 */
export interface IPolicy extends IResource {
  /**
   * The policy's id (`p-...`).
   *
   * @attribute
   */
  readonly policyId: string;

  /**
   * The policy's ARN.
   *
   * @attribute
   */
  readonly policyArn: string;

  /**
   * The policy's type (unknown for a policy imported by id alone: reading it then throws).
   */
  readonly policyType: PolicyType;

  /**
   * Attaches this policy directly to a root, OU or account.
   *
   * In the stack of the policy, the attachment costs no resource: it is folded into the policy's
   * targets. Otherwise (another stack, or an imported policy) it is one `Custom::Organizations_PolicyAttachment`.
   *
   * @param target the root, OU or account
   */
  attachTo(target: IPolicyTarget): PolicyAttachment;
}

/** Properties of a {@link Policy}. */
export interface PolicyProps {
  /**
   * The policy's name, unique among the policies of its type.
   */
  readonly policyName: string;

  /**
   * The policy's type. A new type replaces the policy (a new one is created, attached to the same
   * targets, and the old one deleted): `UpdatePolicy` cannot change a type.
   */
  readonly policyType: PolicyType;

  /**
   * The policy document, sent minified.
   */
  readonly content: PolicyContent;

  /**
   * A description of the policy.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Tags of the policy.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * The largest document, in characters after minification, that the organization accepts for this
   * policy type. Set it when your organization's quota differs from today's default (for example
   * 5,120 for service control policies in organizations that did not receive the 2026 increase).
   *
   * @default - the quota of the type: 10,240 for service control policies, 5,120 for resource control
   * policies, 2,500 for AI services opt-out policies, 10,000 for declarative, backup, tag, chat and
   * Security Hub policies; no check for types without a published quota
   */
  readonly maxContentSize?: number;

  /**
   * What happens to the policy when it is removed from the app. `DESTROY` detaches it from the
   * targets this stack attached it to and deletes it (never when it is attached elsewhere, and
   * never a policy that existed before the stack adopted it: that one stays, with its attachments).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Attributes of a policy to import with {@link Policy.fromPolicyAttributes}. */
export interface PolicyAttributes {
  /**
   * The policy's id (`p-...`).
   */
  readonly policyId: string;

  /**
   * The policy's type: needed to attach it (its type must be enabled on the root first).
   */
  readonly policyType: PolicyType;

  /**
   * The policy's ARN.
   *
   * @default - unknown: reading `policyArn` throws
   */
  readonly policyArn?: string;
}

abstract class PolicyBase extends Resource implements IPolicy {
  public abstract readonly policyId: string;
  public abstract readonly policyArn: string;
  public abstract readonly policyType: PolicyType;

  public attachTo(target: IPolicyTarget): PolicyAttachment {
    return attachPolicy(this, target);
  }
}

/**
 * An AWS Organizations policy of any type (`Custom::Organizations_Policy`).
 *
 * Create adopts a customer-managed policy of the same name and type, so a policy made before the
 * stack is updated rather than duplicated (and left in place when the construct is removed). Attach it with `attachTo` (or the target's
 * `attachPolicy`); the policy type is enabled on the root first when the Organization is in the app.
 *
 * @resource Custom::Organizations_Policy
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html
 */
export class Policy extends PolicyBase implements ITaggable {
  /**
   * Imports a policy by its id, for example to refer to it. Its type is unknown, so it cannot be
   * attached: use {@link Policy.fromPolicyAttributes} for that.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param policyId the policy's id (`p-...`)
   */
  public static fromPolicyId(scope: Construct, id: string, policyId: string): IPolicy {
    validateString(scope, 'policyId', policyId, Rules.POLICY_ID);
    return new ImportedPolicy(scope, id, { policyId });
  }

  /**
   * Imports a policy with its type (and ARN when known).
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param attrs the policy's attributes
   */
  public static fromPolicyAttributes(scope: Construct, id: string, attrs: PolicyAttributes): IPolicy {
    validateString(scope, 'policyId', attrs.policyId, Rules.POLICY_ID);
    return new ImportedPolicy(scope, id, attrs);
  }

  /**
   * The AWS-managed service control policy `FullAWSAccess` (`p-FullAWSAccess`), which allows
   * everything. Organizations attaches it to every root, OU and account; attach it again where it
   * was detached, or keep one SCP on a target that loses its last one.
   *
   * @param scope any construct of the stack that uses it
   */
  public static fullAwsAccess(scope: Construct): IPolicy {
    return awsManagedPolicy(scope, { ...AwsManagedPolicy.FULL_AWS_ACCESS, type: PolicyType.SERVICE_CONTROL_POLICY });
  }

  /**
   * The AWS-managed resource control policy `RCPFullAWSAccess` (`p-RCPFullAWSAccess`). Organizations
   * keeps it attached to every root, OU and account and never detaches it, so it is never attached
   * by the app; it is here to be referred to.
   *
   * @param scope any construct of the stack that uses it
   */
  public static rcpFullAwsAccess(scope: Construct): IPolicy {
    return awsManagedPolicy(scope, { ...AwsManagedPolicy.RCP_FULL_AWS_ACCESS, type: PolicyType.RESOURCE_CONTROL_POLICY });
  }

  /**
   * The policy's id (`p-...`).
   *
   * @attribute
   */
  public readonly policyId: string;

  /**
   * The policy's ARN.
   *
   * @attribute
   */
  public readonly policyArn: string;

  /**
   * The policy's name.
   *
   * @attribute
   */
  public readonly policyName: string;

  /** The policy's type. */
  public readonly policyType: PolicyType;

  /** Tags of the policy. */
  public readonly tags: TagManager;

  private readonly resource: OrganizationsResource;
  private readonly targetIds: string[] = [];

  constructor(scope: Construct, id: string, props: PolicyProps) {
    super(scope, id);

    validateString(this, 'policyName', props.policyName, Rules.POLICY_NAME);
    this.refuseDuplicateName(props.policyName, props.policyType);
    validateString(this, 'description', props.description, Rules.POLICY_DESCRIPTION);
    if (props.maxContentSize !== undefined && !Token.isUnresolved(props.maxContentSize)
      && (!Number.isInteger(props.maxContentSize) || props.maxContentSize < 1)) {
      fail(this, `maxContentSize must be a positive whole number of characters, got ${props.maxContentSize}.`);
    }

    this.policyType = props.policyType;
    this.tags = new TagManager(TagType.KEY_VALUE, ResourceType.POLICY, props.tags);
    validateTags(this, this.tags);

    const content = props.content.bind(this, props.policyType).content;
    const maxSize = props.maxContentSize ?? POLICY_TYPE_QUOTAS[props.policyType.value]?.maxContentSize;
    if (maxSize !== undefined) {
      // Checked once the app is complete: documents may still change, and tokens resolve then.
      this.node.addValidation({ validate: () => this.validateSize(content, maxSize, props.maxContentSize !== undefined) });
    }

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.POLICY,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      properties: {
        [PolicyProperty.NAME]: props.policyName,
        [PolicyProperty.DESCRIPTION]: props.description,
        [PolicyProperty.TYPE]: props.policyType.value,
        [PolicyProperty.CONTENT]: content,
        [PolicyProperty.TAGS]: Lazy.any({ produce: () => this.tags.renderTags() }),
        [PolicyProperty.TARGET_IDS]: Lazy.list({ produce: () => this.targetIds }, { omitEmpty: true }),
      },
    });

    // A policy is created in an organization: after it, when the app declares it.
    const organization = organizationOf(this);
    if (organization?.resource) this.resource.node.addDependency(organization.resource);

    this.policyId = this.resource.ref;
    this.policyArn = this.resource.getAttString(PolicyAttrs.ARN);
    this.policyName = props.policyName;

    // Attachments in this stack become targets of this resource (see PolicyAttachment).
    setFold(this, (targetId: string, dependency?: IDependable) => {
      this.targetIds.push(targetId);
      if (dependency) this.resource.node.addDependency(dependency);
      return this.resource;
    });
  }

  /**
   * Applies a removal policy to the policy's resource.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }

  /**
   * Two policies of one name and type in one organization would be one AWS policy (Create adopts
   * by name and type), the second one's content replacing the first one's on every target: refused
   * across the app, for the stacks that deploy to one account (the organization it manages).
   */
  private refuseDuplicateName(policyName: string, policyType: PolicyType): void {
    whenKnown(this, policyName, name => {
      const holder = claim(this, 'policy-name', `${accountKey(this)}|${policyType.value}|${name}`, this);
      if (holder === undefined) return undefined;
      return `policyName ${JSON.stringify(name)} of type ${policyType.value} is already the name of ${holder}: policy names are unique per `
        + 'type in an organization, and two Policy constructs with one name would be one AWS policy, the content of one replacing the '
        + 'other\'s on every target. Choose another name (or declare the policy once and attach it to every target).';
    });
  }

  private validateSize(content: string, maxSize: number, configured: boolean): string[] {
    const rendered = Stack.of(this).resolve(content);
    // A document with tokens resolved only at deployment has no known size.
    if (typeof rendered !== 'string') return [];
    if (rendered.length <= maxSize) return [];
    const source = configured ? 'maxContentSize' : `the ${this.policyType.value} quota`;
    return [`content is ${rendered.length} characters after minification, more than ${source} allows (${maxSize}). `
      + `${sizeAdvice(this.policyType.value)}.`];
  }
}

class ImportedPolicy extends PolicyBase {
  public readonly policyId: string;
  private readonly type?: PolicyType;
  private readonly arn?: string;

  constructor(scope: Construct, id: string, attrs: { policyId: string; policyType?: PolicyType; policyArn?: string }) {
    super(scope, id);
    this.policyId = attrs.policyId;
    this.type = attrs.policyType;
    this.arn = attrs.policyArn;
  }

  public get policyType(): PolicyType {
    if (this.type === undefined) {
      fail(this, `policyType of the imported policy ${this.policyId} is unknown, and attaching a policy needs it (its type must be enabled `
        + 'on the root first): import it with Policy.fromPolicyAttributes({ policyId, policyType }).');
    }
    return this.type;
  }

  public get policyArn(): string {
    if (this.arn === undefined) {
      fail(this, `policyArn of the imported policy ${this.policyId} is unknown: import it with Policy.fromPolicyAttributes({ policyId, policyType, policyArn }).`);
    }
    return this.arn;
  }
}

/** One import of an AWS-managed policy per stack; their ARNs are documented, not invented. */
function awsManagedPolicy(scope: Construct, policy: { id: string; name: string; type: PolicyType }): IPolicy {
  const stack = Stack.of(scope);
  const id = `AwsManagedPolicy${policy.name}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as IPolicy;
  return new ImportedPolicy(stack, id, {
    policyId: policy.id,
    policyType: policy.type,
    policyArn: `arn:${Aws.PARTITION}:organizations::aws:policy/${policy.type.value.toLowerCase()}/${policy.id}`,
  });
}
