/**
 * What the constructs of one app know about each other, for the rules that span constructs: the
 * organization a root, OU or account belongs to, the depth of an OU, names and emails that must be
 * unique, attachments declared twice. Kept out of the public API (weak maps keyed on constructs),
 * so that user-implemented interfaces still work: they are simply "unknown".
 */
import { createHash } from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct, IDependable } from 'constructs';

/** What the app knows about an organization: a declared `Organization`, or an imported one. */
export interface OrganizationLink {
  /** The construct, for messages. */
  readonly construct: IConstruct;
  /** Only for a declared Organization: ensures trusted access for the principal, once, and returns what must come first. */
  readonly enableAwsServiceAccess?: (servicePrincipal: string) => IDependable;
  /** For an imported organization: the principals the user says have trusted access already. */
  readonly enabledAwsServicePrincipals?: readonly string[];
  /** The management account's id (a token for a declared Organization), when known. */
  readonly managementAccountId?: string;
  /** The account of the stack a declared Organization is deployed to: the management account, when the stack's env is concrete. */
  readonly deployedToAccount?: string;
  /** Only for a declared Organization: its resource, which trusted access and the like must come after. */
  readonly resource?: IDependable;
  /** False when the organization only has consolidated billing features (no policies, no trusted access). */
  readonly allFeatures: boolean;
  readonly root?: RootLink;
}

/** What the app knows about a root. */
export interface RootLink {
  /** The construct, for messages and identity. */
  readonly construct: IConstruct;
  /** The root's id (a token for the root of a declared Organization). */
  readonly rootId: string;
  /** Only for the root of a declared Organization: ensures the policy type is enabled, once, and returns what must come first. */
  readonly enablePolicyType?: (policyType: string) => IDependable;
  /** For an imported root: the types the user says are enabled already. */
  readonly enabledPolicyTypes?: readonly string[];
  readonly organization?: OrganizationLink;
}

/** Where a root, OU or account sits, as far as the app knows. */
export interface TreeInfo {
  readonly kind: 'root' | 'organizational-unit' | 'account';
  /** 0 for a root, 1 for an OU directly under it, ...; undefined when unknown (imported without parent). */
  readonly depth?: number;
  readonly root?: RootLink;
  /**
   * True for a root, OU or account the app declares (not imported): AWS attaches the default
   * policy of each enabled type (FullAWSAccess, RCPFullAWSAccess) to it, and nothing in the app
   * detaches those.
   */
  readonly declared?: boolean;
}

const treeInfo = new WeakMap<IConstruct, TreeInfo>();

export function setTreeInfo(construct: IConstruct, info: TreeInfo): void {
  treeInfo.set(construct, info);
}

/** What the app knows of the place of `construct`; undefined for a construct this library did not make. */
export function treeInfoOf(construct: IConstruct): TreeInfo | undefined {
  return treeInfo.get(construct);
}

interface AppRegistry {
  readonly organizations: OrganizationLink[];
  /** Unique keys of one kind (OU name per parent, email, attachment, ...) to the path of the construct that took them. */
  readonly taken: Map<string, string>;
  readonly counters: Map<string, number>;
  /** Constructs that stand for a singleton of the organization (trusted access per principal, policy type per root). */
  readonly singletons: Map<string, IDependable>;
}

const registries = new WeakMap<IConstruct, AppRegistry>();

function registryOf(scope: IConstruct): AppRegistry {
  const root = scope.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = { organizations: [], taken: new Map(), counters: new Map(), singletons: new Map() };
    registries.set(root, registry);
  }
  return registry;
}

export function registerOrganization(scope: IConstruct, organization: OrganizationLink): void {
  registryOf(scope).organizations.push(organization);
}

/** The only organization (declared or imported) of the app, if there is exactly one. */
export function appOrganization(scope: IConstruct): OrganizationLink | undefined {
  const organizations = registryOf(scope).organizations;
  return organizations.length === 1 ? organizations[0] : undefined;
}

/** The organization `construct` belongs to: its root's, else the app's only one. */
export function organizationOf(construct: IConstruct): OrganizationLink | undefined {
  return treeInfoOf(construct)?.root?.organization ?? appOrganization(construct);
}

/** The root `construct` sits under: from its parents, else the root of the app's only organization. */
export function rootOf(construct: IConstruct): RootLink | undefined {
  return treeInfoOf(construct)?.root ?? appOrganization(construct)?.root;
}

/**
 * A key for an entity that may be known by a literal id (imported twice, still the same) or only
 * by a token (then the construct itself is the identity).
 */
export function identityKey(construct: IConstruct, id: string | undefined): string {
  return id !== undefined && !Token.isUnresolved(id) ? `id:${id}` : `construct:${construct.node.addr}`;
}

/**
 * The account a stack deploys to, as a key: its id, or one shared token for every
 * environment-agnostic stack (they deploy with the same credentials, so to the same account).
 * One account manages at most one organization, so this key also stands for the organization.
 */
export function accountKey(scope: IConstruct): string {
  return Stack.of(scope).account;
}

/** The key of the enablement of a policy type on a root: one `EnabledPolicyType` per root and type in an app. */
export function enabledPolicyTypeKey(root: { readonly construct: IConstruct; readonly rootId: string }, policyType: string): string {
  return `policy-type|${identityKey(root.construct, root.rootId)}|${policyType}`;
}

/**
 * The key of trusted access for a service principal: one `AwsServiceAccess` per principal and
 * organization in an app. The organization is that of the account the stack of `scope` deploys to
 * (an account manages one organization); environment-agnostic stacks count as one account.
 */
export function awsServiceAccessKey(scope: IConstruct, servicePrincipal: string): string {
  return `aws-service-access|${accountKey(scope)}|${identityKey(scope, servicePrincipal)}`;
}

/**
 * Claims `key` (of kind `kind`) for `construct`; returns the path of the construct that already
 * holds it, or undefined when `construct` got it.
 */
export function claim(scope: IConstruct, kind: string, key: string, construct: IConstruct): string | undefined {
  const taken = registryOf(scope).taken;
  const full = `${kind}\u0000${key}`;
  const holder = taken.get(full);
  if (holder !== undefined) return holder;
  taken.set(full, construct.node.path);
  return undefined;
}

/** The path of the construct that holds `key` (of kind `kind`), if any; claims nothing. */
export function holderOf(scope: IConstruct, kind: string, key: string): string | undefined {
  return registryOf(scope).taken.get(`${kind}\u0000${key}`);
}

/** Adds `by` (one by default) to the counter `key` and returns the new count. */
export function count(scope: IConstruct, key: string, by = 1): number {
  const counters = registryOf(scope).counters;
  const value = (counters.get(key) ?? 0) + by;
  counters.set(key, value);
  return value;
}

/** Keyed on the construct itself: every declared root, OU and account asks at synth time (no path hash for each). */
const libraryTags = new WeakMap<IConstruct, number>();

/**
 * Records that the handlers keep `tags` more tags of their own on `target` (a root, OU or account):
 * the ownership of a policy attachment resource, a delegated administrator registration, a policy
 * type or trusted access (on the root: with its creation marker, two). Those tags count toward the
 * target's quota of 50.
 */
export function reserveLibraryTag(target: IConstruct, tags = 1): void {
  libraryTags.set(target, reservedLibraryTags(target) + tags);
}

/** How many tags of their own the handlers keep on `construct` besides its ownership record. */
export function reservedLibraryTags(construct: IConstruct): number {
  return libraryTags.get(construct) ?? 0;
}

/** The singleton construct registered under `key`, if any. */
export function singleton(scope: IConstruct, key: string): IDependable | undefined {
  return registryOf(scope).singletons.get(key);
}

export function registerSingleton(scope: IConstruct, key: string, construct: IDependable): void {
  registryOf(scope).singletons.set(key, construct);
}

/** A construct id derived from a value that may be a token (then a stable hash of its text). */
export function idFor(prefix: string, value: string): string {
  return Token.isUnresolved(value) ? `${prefix}${createHash('sha256').update(value).digest('hex').slice(0, 8)}` : `${prefix}${value}`;
}

/**
 * How a declared Policy takes an attachment into its own resource (its `TargetIds`): returns that
 * resource, which then stands for the attachment in dependencies.
 */
export type FoldTarget = (targetId: string, dependency?: IDependable) => IConstruct;

const folds = new WeakMap<IConstruct, FoldTarget>();

export function setFold(policy: IConstruct, fold: FoldTarget): void {
  folds.set(policy, fold);
}

export function foldOf(policy: IConstruct): FoldTarget | undefined {
  return folds.get(policy);
}
