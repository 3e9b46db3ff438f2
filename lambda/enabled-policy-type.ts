/**
 * `Custom::Organizations_EnabledPolicyType`: a policy type enabled on a root.
 *
 * Removal disables only a type this resource owns (shared/ownership.ts): one it enabled, recorded
 * in the root's tag `cdk-organizations:policy-type/<TYPE>`, or took over from another resource of
 * this library; never one that was on before (for example SCPs, which CreateOrganization enables
 * by itself), since disabling a type detaches every policy of that type in the organization.
 * Physical id `<rootId>|<policyType>`, with `|adopted` appended when the type was on before
 * without an owner (Delete decides from the tag alone). Organizations enables and disables types
 * asynchronously (PENDING_ENABLE, PENDING_DISABLE); isComplete waits until the root reports the
 * change, so that policies of the type can be attached as soon as this resource is complete.
 */
import { DisablePolicyTypeCommand, EnablePolicyTypeCommand, ListPoliciesCommand, ListRootsCommand, PolicyType, Root } from '@aws-sdk/client-organizations';
import { listTargetsForPolicy } from './shared/attachments';
import { call, callAllPages } from './shared/call';
import { stackOperation } from './shared/cloudformation';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { claim, forget, Owned, OwnershipTags, ownerOf, prepareClaim, settleDelete, undoCancelledCreate } from './shared/ownership';
import { requiredString } from './shared/properties';
import type {
  CreateEvent,
  DeleteEvent,
  HandlerContext,
  IsCompleteRequest,
  IsCompleteResponse,
  OnEventResponse,
  Properties,
  ResourceHandler,
  UpdateEvent,
} from './shared/types';
import { ADOPTED_SUFFIX, EnabledPolicyTypeProperty, ID_SEPARATOR, IdPattern } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface EnabledPolicyTypeSpec {
  readonly rootId: string;
  readonly policyType: string;
}

/** What a physical id says: the root, the type, and whether the type was on before the stack. */
export interface EnabledPolicyTypeId extends EnabledPolicyTypeSpec {
  readonly adopted: boolean;
}

/** Parses `ResourceProperties` of an EnabledPolicyType. */
export function parseEnabledPolicyTypeProps(props: Properties): EnabledPolicyTypeSpec {
  return {
    rootId: requiredString(props, EnabledPolicyTypeProperty.ROOT_ID),
    policyType: requiredString(props, EnabledPolicyTypeProperty.POLICY_TYPE),
  };
}

/** `<rootId>|<policyType>`, plus `|adopted` when the type was already enabled. */
export function enabledPolicyTypePhysicalId(spec: EnabledPolicyTypeSpec, adopted: boolean): string {
  return `${spec.rootId}${ID_SEPARATOR}${spec.policyType}${adopted ? ADOPTED_SUFFIX : ''}`;
}

/** The root and type a physical id names, or undefined for an id this handler never returned. */
export function parseEnabledPolicyTypePhysicalId(physicalId: string): EnabledPolicyTypeId | undefined {
  const adopted = physicalId.endsWith(ADOPTED_SUFFIX);
  const [rootId, policyType, ...rest] = (adopted ? physicalId.slice(0, -ADOPTED_SUFFIX.length) : physicalId).split(ID_SEPARATOR);
  if (!IdPattern.ROOT.test(rootId ?? '') || !policyType || rest.length > 0) return undefined;
  return { rootId, policyType, adopted };
}

const STATUS = { ENABLED: 'ENABLED', PENDING_ENABLE: 'PENDING_ENABLE', PENDING_DISABLE: 'PENDING_DISABLE' } as const;

/** Retried like throttling: another enable or disable on the root is still being applied. */
const CHANGES_IN_PROGRESS = ['PolicyChangesInProgressException'];

const label = (spec: EnabledPolicyTypeSpec) => `policy type ${spec.policyType} on root ${spec.rootId}`;

/** Where the ownership of the type is recorded: a tag on the root. */
const owned = (spec: EnabledPolicyTypeSpec): Owned => ({
  resourceId: spec.rootId, keys: OwnershipTags.policyType(spec.policyType), what: label(spec),
});

function notAvailableMessage(spec: EnabledPolicyTypeSpec, detail: string): string {
  return `Cannot enable ${label(spec)}: the organization only has consolidated billing features (${detail}), and policy types need all features. `
    + 'Set the Organization\'s featureSet to ALL (which starts the "enable all features" handshake that every invited member account must approve), '
    + 'or enable all features in the AWS Organizations console; then deploy again.';
}

/** A refused EnablePolicyType as a message the user can act on. */
function enableError(error: unknown, spec: EnabledPolicyTypeSpec): unknown {
  const detail = `${(error as Error).name}${reasonOf(error) ? ` ${reasonOf(error)}` : ''}`;
  if (isError(error, 'PolicyTypeNotAvailableForOrganizationException')) return new UserError(notAvailableMessage(spec, detail));
  if (isError(error, 'ConstraintViolationException') && reasonOf(error) === 'ORGANIZATION_NOT_IN_ALL_FEATURES_MODE') {
    return new UserError(notAvailableMessage(spec, detail));
  }
  if (isError(error, 'RootNotFoundException')) {
    return new UserError(`Cannot enable ${label(spec)}: the root ${spec.rootId} does not exist in this organization (RootNotFoundException). Check ${EnabledPolicyTypeProperty.ROOT_ID} (the root id r-..., from organization.root or \`aws organizations list-roots\`).`);
  }
  if (isError(error, 'InvalidInputException')) {
    return new UserError(`Cannot enable ${label(spec)}: AWS Organizations rejected the request (${detail}: ${(error as Error).message}). Check ${EnabledPolicyTypeProperty.POLICY_TYPE} `
      + '(one of SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, TAG_POLICY, BACKUP_POLICY, AISERVICES_OPT_OUT_POLICY, CHATBOT_POLICY, DECLARATIVE_POLICY_EC2, ...) '
      + `and ${EnabledPolicyTypeProperty.ROOT_ID}.`);
  }
  return error;
}

async function findRoot(rootId: string, ctx: HandlerContext): Promise<Root | undefined> {
  const roots = await callAllPages(ctx, 'organizations', token => new ListRootsCommand({ NextToken: token }), page => page.Roots);
  return roots.find(r => r.Id === rootId);
}

/** The type's status on the root (`ENABLED`, `PENDING_ENABLE`, `PENDING_DISABLE`), or undefined when it is off. */
async function statusOf(spec: EnabledPolicyTypeSpec, ctx: HandlerContext): Promise<string | undefined> {
  const root = await findRoot(spec.rootId, ctx);
  if (!root) {
    throw new UserError(`Cannot enable ${label(spec)}: the root ${spec.rootId} does not exist in this organization. Check ${EnabledPolicyTypeProperty.ROOT_ID} (the root id r-..., from organization.root or \`aws organizations list-roots\`).`);
  }
  return root.PolicyTypes?.find(p => p.Type === spec.policyType)?.Status;
}

/** `EnablePolicyType`; returns false when the type turned out to be enabled already. */
async function enable(spec: EnabledPolicyTypeSpec, ctx: HandlerContext): Promise<boolean> {
  try {
    await call(ctx, 'organizations', new EnablePolicyTypeCommand({ RootId: spec.rootId, PolicyType: spec.policyType as PolicyType }), { also: CHANGES_IN_PROGRESS });
    return true;
  } catch (error) {
    if (isError(error, 'PolicyTypeAlreadyEnabledException')) return false;
    throw enableError(error, spec);
  }
}

/**
 * Enables the type and records that this resource did, or finds it enabled (or being enabled):
 * then the root's tag tells whether it is this resource's own (a retry), another resource's (taken
 * over), or nobody's (adopted: kept on at removal). A retry whose first attempt enabled the type
 * but stopped before tagging the root finds no tag and adopts: the safe side.
 */
async function enableOrAdopt(spec: EnabledPolicyTypeSpec, me: string, ctx: HandlerContext): Promise<OnEventResponse> {
  const status = await statusOf(spec, ctx);
  const wasOn = status === STATUS.ENABLED || status === STATUS.PENDING_ENABLE;
  const tags = wasOn ? undefined : await prepareClaim(owned(spec), ctx);
  const enabled = !wasOn && await enable(spec, ctx);
  const result = await claim(owned(spec), me, ctx, { created: enabled, current: tags, marker: true });
  if (result === 'adopted') ctx.log('policy type already enabled, adopting it', { rootId: spec.rootId, policyType: spec.policyType, status });
  return { PhysicalResourceId: enabledPolicyTypePhysicalId(spec, result === 'adopted') };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return enableOrAdopt(parseEnabledPolicyTypeProps(event.ResourceProperties), ownerOf(event), ctx);
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseEnabledPolicyTypeProps(event.ResourceProperties);
  const current = parseEnabledPolicyTypePhysicalId(event.PhysicalResourceId);
  if (!current || current.rootId !== spec.rootId || current.policyType !== spec.policyType) {
    // Another root or type is another resource: the new id makes CloudFormation remove the old one afterwards.
    ctx.log('replacing enabled policy type', { from: event.PhysicalResourceId, rootId: spec.rootId, policyType: spec.policyType });
    return enableOrAdopt(spec, ownerOf(event), ctx);
  }
  // Same type on the same root: keep the id; enable it again if someone disabled it, and confirm
  // the ownership (an adopted type stays adopted; one another resource owns is taken over).
  const status = await statusOf(spec, ctx);
  if (status !== STATUS.ENABLED && status !== STATUS.PENDING_ENABLE) await enable(spec, ctx);
  await claim(owned(spec), ownerOf(event), ctx, { created: false, confirm: true });
  return { PhysicalResourceId: event.PhysicalResourceId };
}

/** The customer-managed policies of `policyType` attached to any root, OU or account. */
async function attachedPoliciesOfType(policyType: string, ctx: HandlerContext): Promise<string[]> {
  const policies = await callAllPages(ctx, 'organizations', token => new ListPoliciesCommand({ Filter: policyType as PolicyType, NextToken: token }), page => page.Policies);
  const attached: string[] = [];
  for (const policy of policies.filter(p => !p.AwsManaged && p.Id)) {
    try {
      if ((await listTargetsForPolicy(policy.Id!, ctx)).length > 0) attached.push(policy.Id!);
    } catch (error) {
      // Deleted between the listing and this look (another resource's Delete): attached nowhere.
      if (!isError(error, 'PolicyNotFoundException')) throw error;
    }
  }
  return attached;
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const id = parseEnabledPolicyTypePhysicalId(event.PhysicalResourceId);
  if (!id) {
    // CloudFormation never learnt the id: what the cancelled Create enabled within this operation is
    // disabled again (its creation marker says), a takeover given back.
    const spec = () => parseEnabledPolicyTypeProps(event.ResourceProperties);
    return undoCancelledCreate(event, ctx, async () => owned(spec()), () => disable(spec(), ctx));
  }
  // The root's tag decides, not the physical id: a type is disabled only by the resource that owns it.
  const decision = await settleDelete(owned(id), event, ctx);
  if (decision.kind === 'destroy') await disable(id, ctx);
  return {};
}

/** Disables a type this resource owns (unless a policy of it is still attached), then forgets it. */
async function disable(id: EnabledPolicyTypeSpec, ctx: HandlerContext): Promise<void> {
  // Disabling detaches every policy of the type: never while one is attached that this stack did not
  // remove first (its own policies depend on this resource, so they are gone by now).
  const attached = await attachedPoliciesOfType(id.policyType, ctx);
  if (attached.length > 0) {
    ctx.log('leaving the policy type enabled: policies of the type are still attached', {
      rootId: id.rootId,
      policyType: id.policyType,
      policies: attached,
      why: 'disabling it would detach them (another stack\'s or ones attached outside any stack); it is no longer this stack\'s',
    });
    await forget(owned(id), ctx);
    return;
  }
  try {
    // Policies of the type that are still attached are detached by Organizations itself.
    await call(ctx, 'organizations', new DisablePolicyTypeCommand({ RootId: id.rootId, PolicyType: id.policyType as PolicyType }), { also: CHANGES_IN_PROGRESS });
  } catch (error) {
    if (isError(error, 'RootNotFoundException', 'AWSOrganizationsNotInUseException')) return;
    if (!isError(error, 'PolicyTypeNotEnabledException')) throw error;
  }
  // Disabled (or already off): the type is nobody's any more, so a later Create finds it untagged.
  await forget(owned(id), ctx);
}

/**
 * Create and Update are complete once the root reports the type ENABLED; a Delete that disabled
 * the type, once the root no longer lists it. A type that vanished while being enabled is enabled
 * again, so that the wait converges instead of lasting until the provider's timeout.
 */
async function isComplete(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  const id = parseEnabledPolicyTypePhysicalId(event.PhysicalResourceId ?? '');
  if (!id) return { IsComplete: true };
  if (event.RequestType === 'Delete') {
    // Only a type being disabled is waited for; one left enabled is complete at once.
    try {
      const root = await findRoot(id.rootId, ctx);
      // A root (or organization) that is gone leaves nothing to wait for.
      return { IsComplete: root?.PolicyTypes?.find(p => p.Type === id.policyType)?.Status !== STATUS.PENDING_DISABLE };
    } catch (error) {
      if (isError(error, 'AWSOrganizationsNotInUseException')) return { IsComplete: true };
      throw error;
    }
  }
  const status = await statusOf(id, ctx);
  if (status === STATUS.ENABLED) return { IsComplete: true };
  if (status === undefined) {
    // Gone while the stack rolled this operation back (the rollback disabled it): nothing to wait for.
    if (event.RequestType === 'Create' && (await stackOperation(event.StackId, ctx)).rolledBack) return { IsComplete: true };
    await enable(id, ctx);
  }
  ctx.log('waiting for policy type', { rootId: id.rootId, policyType: id.policyType, status: status ?? 'not enabled' });
  return { IsComplete: false };
}

/** The handler of `Custom::Organizations_EnabledPolicyType`. */
export const enabledPolicyType: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete, isComplete });
