import { IResource, ITaggable, Lazy, RemovalPolicy, Resource, TagManager, TagType, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { IPolicy } from './policy';
import { IPolicyTarget, PolicyAttachment } from './policy-attachment';
import { attachPolicy } from './private/attach';
import { OrganizationalUnitAttrs, OrganizationalUnitProperty, ResourceType } from './private/contract';
import { checkParent, childInfo } from './private/parent';
import { claim, identityKey, setTreeInfo } from './private/registry';
import { OrganizationsResource } from './private/resource';
import { validateTags } from './private/tags';
import { fail, Rules, validateString, whenKnown } from './private/validation';

/**
 * A root or an organizational unit: what OUs and accounts are placed in (their `ParentId`).
 *
 * Implemented by `organization.root`, `Root.fromRootId`, `OrganizationalUnit` and its importers.
 * Its `targetId` is the id that children name as their parent.
 */
export interface IParent extends IPolicyTarget {
  /**
   * Whether this parent is the root or an OU, as the API's `ListParents` names it. An account is a
   * policy target but never a parent: this member keeps it out of `parent` at compile time.
   */
  readonly parentType: ParentType;
}

/**
 * The kinds of parent an OU or account can have (the API's `ParentType`).
 *
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_Parent.html
 */
export enum ParentType {
  /** The organization's root. */
  ROOT = 'ROOT',
  /** An organizational unit. */
  ORGANIZATIONAL_UNIT = 'ORGANIZATIONAL_UNIT',
}

/**
 * An organizational unit, declared in this app or imported.
 */
export interface IOrganizationalUnit extends IResource, IParent {
  /**
   * The OU's id (`ou-...`).
   *
   * @attribute
   */
  readonly organizationalUnitId: string;

  /**
   * The OU's ARN.
   *
   * @attribute
   */
  readonly organizationalUnitArn: string;

  /**
   * The OU's name.
   *
   * @attribute
   */
  readonly organizationalUnitName: string;
}

/** Properties of an {@link OrganizationalUnit}. */
export interface OrganizationalUnitProps {
  /**
   * The OU's name: 1 to 128 characters, unique among the OUs of its parent. A new name renames the
   * OU in place.
   */
  readonly organizationalUnitName: string;

  /**
   * The root or OU to create the OU in; at most 5 levels of OUs under the root.
   *
   * AWS Organizations cannot move an OU, so a new parent replaces it: a new OU is created under the
   * new parent, the OUs and accounts the app declares in it move with it (their `ParentId` follows),
   * policies attached to it in the app are attached to the new OU, and the old OU is deleted once
   * empty. Accounts or OUs in the old OU that the app does not declare are not moved: the deletion
   * then fails with a message that names them, and nothing is lost.
   */
  readonly parent: IParent;

  /**
   * Tags of the OU.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the OU when it is removed from the app. `DESTROY` deletes it, only when empty,
   * and only when this stack created it (an OU that existed before the stack adopted it stays).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Attributes of an OU to import with {@link OrganizationalUnit.fromOrganizationalUnitAttributes}. */
export interface OrganizationalUnitAttributes {
  /**
   * The OU's id (`ou-...`).
   */
  readonly organizationalUnitId: string;

  /**
   * The OU's ARN.
   *
   * @default - unknown: reading `organizationalUnitArn` throws
   */
  readonly organizationalUnitArn?: string;

  /**
   * The OU's name.
   *
   * @default - unknown: reading `organizationalUnitName` throws
   */
  readonly organizationalUnitName?: string;

  /**
   * The OU's parent. It tells the app which root (and organization) the OU belongs to, which
   * policy types are enabled there, and how deep OUs created in it would be.
   *
   * @default - unknown: the root of the app's only organization, if it has exactly one
   */
  readonly parent?: IParent;
}

abstract class OrganizationalUnitBase extends Resource implements IOrganizationalUnit {
  public abstract readonly organizationalUnitId: string;
  public abstract readonly organizationalUnitArn: string;
  public abstract readonly organizationalUnitName: string;
  public readonly parentType = ParentType.ORGANIZATIONAL_UNIT;

  public get targetId(): string {
    return this.organizationalUnitId;
  }

  public attachPolicy(policy: IPolicy): PolicyAttachment {
    return attachPolicy(policy, this);
  }
}

/**
 * An organizational unit (`Custom::Organizations_OrganizationalUnit`).
 *
 * Create adopts an OU of the same name under the same parent, so an OU made before the stack is
 * managed rather than duplicated (and left in place when the construct is removed). Delete never
 * empties an OU: one that still holds accounts or OUs is an error that names them.
 *
 * @resource Custom::Organizations_OrganizationalUnit
 * @see https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
 */
export class OrganizationalUnit extends OrganizationalUnitBase implements ITaggable {
  /**
   * Imports an OU by its id.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param organizationalUnitId the OU's id (`ou-...`)
   */
  public static fromOrganizationalUnitId(scope: Construct, id: string, organizationalUnitId: string): IOrganizationalUnit {
    return OrganizationalUnit.fromOrganizationalUnitAttributes(scope, id, { organizationalUnitId });
  }

  /**
   * Imports an OU with its attributes.
   *
   * @param scope the scope of the import
   * @param id the construct id
   * @param attrs the OU's attributes
   */
  public static fromOrganizationalUnitAttributes(scope: Construct, id: string, attrs: OrganizationalUnitAttributes): IOrganizationalUnit {
    validateString(scope, 'organizationalUnitId', attrs.organizationalUnitId, Rules.ORGANIZATIONAL_UNIT_ID);
    validateString(scope, 'organizationalUnitName', attrs.organizationalUnitName, Rules.ORGANIZATIONAL_UNIT_NAME);
    return new ImportedOrganizationalUnit(scope, id, attrs);
  }

  /**
   * The OU's id (`ou-...`).
   *
   * @attribute
   */
  public readonly organizationalUnitId: string;

  /**
   * The OU's ARN.
   *
   * @attribute
   */
  public readonly organizationalUnitArn: string;

  /**
   * The OU's name.
   *
   * @attribute
   */
  public readonly organizationalUnitName: string;

  /** The root or OU this OU is in. */
  public readonly parent: IParent;

  /** Tags of the OU. */
  public readonly tags: TagManager;

  private readonly resource: OrganizationsResource;

  constructor(scope: Construct, id: string, props: OrganizationalUnitProps) {
    super(scope, id);

    validateString(this, 'organizationalUnitName', props.organizationalUnitName, Rules.ORGANIZATIONAL_UNIT_NAME);
    checkParent(this, 'parent', props.parent);
    const info = childInfo(this, 'parent', props.parent, 'OU');
    const name = props.organizationalUnitName;
    const claimName = (key: string) => {
      const holder = claim(this, 'organizational-unit-name', `${identityKey(props.parent, props.parent.targetId)}|${key}`, this);
      return holder === undefined ? undefined
        : `organizationalUnitName ${JSON.stringify(key)} is already used by ${holder} under the same parent (${props.parent.node.path}), `
          + 'and OU names are unique per parent. Choose another name.';
    };
    // One token used twice is one name too, whatever it resolves to.
    if (Token.isUnresolved(name)) {
      const problem = claimName(name);
      if (problem) fail(this, problem);
    }
    whenKnown(this, name, claimName);
    setTreeInfo(this, { ...info, declared: true });

    this.parent = props.parent;
    this.tags = new TagManager(TagType.KEY_VALUE, ResourceType.ORGANIZATIONAL_UNIT, props.tags);
    validateTags(this, this.tags);

    this.resource = new OrganizationsResource(this, 'Resource', {
      resourceType: ResourceType.ORGANIZATIONAL_UNIT,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      properties: {
        [OrganizationalUnitProperty.NAME]: name,
        [OrganizationalUnitProperty.PARENT_ID]: props.parent.targetId,
        [OrganizationalUnitProperty.TAGS]: Lazy.any({ produce: () => this.tags.renderTags() }),
      },
    });

    this.organizationalUnitId = this.resource.ref;
    this.organizationalUnitArn = this.resource.getAttString(OrganizationalUnitAttrs.ARN);
    this.organizationalUnitName = name;
  }

  /**
   * Applies a removal policy to the OU's resource.
   *
   * @param policy the removal policy
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }
}

class ImportedOrganizationalUnit extends OrganizationalUnitBase {
  public readonly organizationalUnitId: string;
  private readonly attrs: OrganizationalUnitAttributes;

  constructor(scope: Construct, id: string, attrs: OrganizationalUnitAttributes) {
    super(scope, id);
    this.organizationalUnitId = attrs.organizationalUnitId;
    this.attrs = attrs;
    if (attrs.parent) checkParent(this, 'parent', attrs.parent);
    setTreeInfo(this, attrs.parent ? childInfo(this, 'parent', attrs.parent, 'OU') : { kind: 'organizational-unit' });
  }

  public get organizationalUnitArn(): string {
    return this.attrs.organizationalUnitArn ?? this.unknown('organizationalUnitArn');
  }

  public get organizationalUnitName(): string {
    return this.attrs.organizationalUnitName ?? this.unknown('organizationalUnitName');
  }

  private unknown(attribute: string): never {
    return fail(this, `${attribute} of the imported OU ${this.organizationalUnitId} is unknown: `
      + `import it with OrganizationalUnit.fromOrganizationalUnitAttributes({ organizationalUnitId, ${attribute} }).`);
  }
}
