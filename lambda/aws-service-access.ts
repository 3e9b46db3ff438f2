/**
 * `Custom::Organizations_AwsServiceAccess`: trusted access of one AWS service to the organization.
 *
 * Removal disables only trusted access this resource owns (shared/ownership.ts): enabled by it,
 * recorded in the root's tag `cdk-organizations:trusted-access/<principal>`, or taken over from
 * another resource of this library. Physical id: the service principal, with `|adopted` appended
 * when trusted access was on before without an owner (Delete decides from the tag alone).
 * Enabling and disabling are idempotent in Organizations, so retries converge.
 */
import {
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { organizationRootId } from './shared/attachments';
import { call, callAllPages } from './shared/call';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { claim, forget, Owned, OwnershipTags, ownerOf, prepareClaim, settleDelete, undoCancelledCreate } from './shared/ownership';
import { requiredString } from './shared/properties';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { ADOPTED_SUFFIX, AwsServiceAccessProperty } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface AwsServiceAccessSpec {
  readonly servicePrincipal: string;
}

/** Parses `ResourceProperties` of an AwsServiceAccess. */
export function parseAwsServiceAccessProps(props: Properties): AwsServiceAccessSpec {
  return { servicePrincipal: requiredString(props, AwsServiceAccessProperty.SERVICE_PRINCIPAL) };
}

/** The service principal, plus `|adopted` when trusted access was already enabled. */
export function awsServiceAccessPhysicalId(spec: AwsServiceAccessSpec, adopted: boolean): string {
  return `${spec.servicePrincipal}${adopted ? ADOPTED_SUFFIX : ''}`;
}

/** The principal a physical id names and whether it was adopted; undefined for an id this handler never returned. */
export function parseAwsServiceAccessPhysicalId(physicalId: string): (AwsServiceAccessSpec & { adopted: boolean }) | undefined {
  const adopted = physicalId.endsWith(ADOPTED_SUFFIX);
  const servicePrincipal = adopted ? physicalId.slice(0, -ADOPTED_SUFFIX.length) : physicalId;
  // Service principals look like host names (guardduty.amazonaws.com); anything else is not ours.
  if (!/^[\w.-]+\.[a-z]{2,}$/i.test(servicePrincipal)) return undefined;
  return { servicePrincipal, adopted };
}

/** A refused Enable/DisableAWSServiceAccess as a message the user can act on. */
function accessError(error: unknown, spec: AwsServiceAccessSpec, action: 'enable' | 'disable'): unknown {
  const what = `Cannot ${action} trusted access for ${spec.servicePrincipal}`;
  const detail = `${(error as Error).name}${reasonOf(error) ? ` ${reasonOf(error)}` : ''}`;
  if (isError(error, 'ConstraintViolationException') && reasonOf(error) === 'ORGANIZATION_NOT_IN_ALL_FEATURES_MODE') {
    return new UserError(`${what}: the organization only has consolidated billing features (${detail}), and trusted access needs all features. `
      + 'Set the Organization\'s featureSet to ALL (which starts the "enable all features" handshake that every invited member account must approve), then deploy again.');
  }
  if (isError(error, 'InvalidInputException')) {
    return new UserError(`${what}: AWS Organizations rejected the service principal (${detail}: ${(error as Error).message}). Check ${AwsServiceAccessProperty.SERVICE_PRINCIPAL} `
      + '(the service\'s principal, for example guardduty.amazonaws.com or sso.amazonaws.com, as listed in "AWS services that you can use with AWS Organizations").');
  }
  if (isError(error, 'ConstraintViolationException')) {
    return new UserError(`${what}: AWS Organizations refused it (${detail}: ${(error as Error).message}).`
      + (action === 'disable' ? ' Deregister the delegated administrators of this service first, or keep trusted access (RemovalPolicy RETAIN).' : ''));
  }
  return error;
}

async function enabledPrincipals(ctx: HandlerContext): Promise<Set<string>> {
  const enabled = await callAllPages(ctx, 'organizations', token => new ListAWSServiceAccessForOrganizationCommand({ NextToken: token }), page => page.EnabledServicePrincipals);
  return new Set(enabled.map(s => s.ServicePrincipal ?? ''));
}

/** Where the ownership of trusted access is recorded: a tag on the root. */
function owned(spec: AwsServiceAccessSpec, root: string): Owned {
  return { resourceId: root, keys: OwnershipTags.trustedAccess(spec.servicePrincipal), what: `trusted access for ${spec.servicePrincipal}` };
}

async function ownedOnRoot(spec: AwsServiceAccessSpec, ctx: HandlerContext): Promise<Owned> {
  const root = await organizationRootId(ctx);
  if (!root) throw new Error('ListRoots returned no root');
  return owned(spec, root);
}

async function enable(spec: AwsServiceAccessSpec, ctx: HandlerContext): Promise<void> {
  try {
    await call(ctx, 'organizations', new EnableAWSServiceAccessCommand({ ServicePrincipal: spec.servicePrincipal }));
  } catch (error) {
    throw accessError(error, spec, 'enable');
  }
}

/**
 * Enables trusted access and records that this resource did, or finds it enabled: then the root's
 * tag tells whether it is this resource's own (a retry), another resource's (taken over), or
 * nobody's (adopted: kept on at removal).
 */
async function enableOrAdopt(spec: AwsServiceAccessSpec, me: string, ctx: HandlerContext): Promise<OnEventResponse> {
  const wasOn = (await enabledPrincipals(ctx)).has(spec.servicePrincipal);
  const onRoot = await ownedOnRoot(spec, ctx);
  const tags = wasOn ? undefined : await prepareClaim(onRoot, ctx);
  if (!wasOn) await enable(spec, ctx);
  const result = await claim(onRoot, me, ctx, { created: !wasOn, current: tags, marker: true });
  if (result === 'adopted') ctx.log('trusted access already enabled, adopting it', { servicePrincipal: spec.servicePrincipal });
  return { PhysicalResourceId: awsServiceAccessPhysicalId(spec, result === 'adopted') };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return enableOrAdopt(parseAwsServiceAccessProps(event.ResourceProperties), ownerOf(event), ctx);
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAwsServiceAccessProps(event.ResourceProperties);
  const current = parseAwsServiceAccessPhysicalId(event.PhysicalResourceId);
  if (current?.servicePrincipal !== spec.servicePrincipal) {
    // Another principal is another resource: the new id makes CloudFormation remove the old one afterwards.
    ctx.log('replacing trusted access', { from: event.PhysicalResourceId, to: spec.servicePrincipal });
    return enableOrAdopt(spec, ownerOf(event), ctx);
  }
  // Same principal: keep the id; enable it again if someone disabled it, and confirm the ownership
  // (adopted trusted access stays adopted; another resource's is taken over).
  if (!(await enabledPrincipals(ctx)).has(spec.servicePrincipal)) await enable(spec, ctx);
  await claim(await ownedOnRoot(spec, ctx), ownerOf(event), ctx, { created: false, confirm: true });
  return { PhysicalResourceId: event.PhysicalResourceId };
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const id = parseAwsServiceAccessPhysicalId(event.PhysicalResourceId);
  if (!id) {
    // CloudFormation never learnt the id: what the cancelled Create enabled within this operation is
    // disabled again (its creation marker says), a takeover given back.
    const spec = () => parseAwsServiceAccessProps(event.ResourceProperties);
    return undoCancelledCreate(event, ctx, async () => ownedOnRoot(spec(), ctx), onRoot => disable(spec(), onRoot, ctx));
  }
  const root = await organizationRootId(ctx);
  if (!root) return {};
  // The root's tag decides, not the physical id: trusted access is disabled only by the resource that owns it.
  const decision = await settleDelete(owned(id, root), event, ctx);
  if (decision.kind === 'destroy') await disable(id, owned(id, root), ctx);
  return {};
}

/** Disables trusted access this resource owns, then forgets it. */
async function disable(id: AwsServiceAccessSpec, onRoot: Owned, ctx: HandlerContext): Promise<void> {
  try {
    if ((await enabledPrincipals(ctx)).has(id.servicePrincipal)) {
      await call(ctx, 'organizations', new DisableAWSServiceAccessCommand({ ServicePrincipal: id.servicePrincipal }));
    }
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return;
    throw accessError(error, id, 'disable');
  }
  // Disabled (or already off): nobody's any more, so a later Create finds it untagged.
  await forget(onRoot, ctx);
}

/** The handler of `Custom::Organizations_AwsServiceAccess`. */
export const awsServiceAccess: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
