/**
 * `Custom::Organizations_AwsServiceAccess`: trusted access of one AWS service to the organization.
 *
 * Physical id: the service principal, with `|adopted` appended when trusted access was already
 * enabled, so that removal disables only what this stack enabled. Enabling and disabling are
 * idempotent in Organizations, so retries converge.
 */
import {
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { listAllPages } from './shared/attachments';
import { isError, reasonOf, UserError } from './shared/errors';
import { requiredString } from './shared/properties';
import { withRetry } from './shared/retry';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { ADOPTED_SUFFIX, AwsServiceAccessProps } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface AwsServiceAccessSpec {
  readonly servicePrincipal: string;
}

/** Parses `ResourceProperties` of an AwsServiceAccess. */
export function parseAwsServiceAccessProps(props: Properties): AwsServiceAccessSpec {
  return { servicePrincipal: requiredString(props, AwsServiceAccessProps.SERVICE_PRINCIPAL) };
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
    return new UserError(`${what}: AWS Organizations rejected the service principal (${detail}: ${(error as Error).message}). Check ${AwsServiceAccessProps.SERVICE_PRINCIPAL} `
      + '(the service\'s principal, for example guardduty.amazonaws.com or sso.amazonaws.com, as listed in "AWS services that you can use with AWS Organizations").');
  }
  if (isError(error, 'ConstraintViolationException')) {
    return new UserError(`${what}: AWS Organizations refused it (${detail}: ${(error as Error).message}).`
      + (action === 'disable' ? ' Deregister the delegated administrators of this service first, or keep trusted access (RemovalPolicy RETAIN).' : ''));
  }
  return error;
}

async function enabledPrincipals(ctx: HandlerContext): Promise<Set<string>> {
  const enabled = await listAllPages(async token => {
    const page = await withRetry(() => ctx.organizations.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken: token })),
      { deadline: ctx.deadline });
    return { items: page.EnabledServicePrincipals, next: page.NextToken };
  });
  return new Set(enabled.map(s => s.ServicePrincipal ?? ''));
}

async function enable(spec: AwsServiceAccessSpec, ctx: HandlerContext): Promise<void> {
  ctx.log('EnableAWSServiceAccess', { servicePrincipal: spec.servicePrincipal });
  try {
    await withRetry(() => ctx.organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: spec.servicePrincipal })),
      { deadline: ctx.deadline });
  } catch (error) {
    throw accessError(error, spec, 'enable');
  }
}

/** Enables trusted access, or adopts it when it is already enabled. */
async function enableOrAdopt(spec: AwsServiceAccessSpec, ctx: HandlerContext): Promise<OnEventResponse> {
  if ((await enabledPrincipals(ctx)).has(spec.servicePrincipal)) {
    ctx.log('trusted access already enabled, adopting it', { servicePrincipal: spec.servicePrincipal });
    return { PhysicalResourceId: awsServiceAccessPhysicalId(spec, true) };
  }
  await enable(spec, ctx);
  return { PhysicalResourceId: awsServiceAccessPhysicalId(spec, false) };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return enableOrAdopt(parseAwsServiceAccessProps(event.ResourceProperties), ctx);
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAwsServiceAccessProps(event.ResourceProperties);
  const current = parseAwsServiceAccessPhysicalId(event.PhysicalResourceId);
  if (current?.servicePrincipal !== spec.servicePrincipal) {
    // Another principal is another resource: the new id makes CloudFormation remove the old one afterwards.
    ctx.log('replacing trusted access', { from: event.PhysicalResourceId, to: spec.servicePrincipal });
    return enableOrAdopt(spec, ctx);
  }
  // Same principal: keep the id (and so the ownership); enable it again if someone disabled it.
  if (!(await enabledPrincipals(ctx)).has(spec.servicePrincipal)) await enable(spec, ctx);
  return { PhysicalResourceId: event.PhysicalResourceId };
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const id = parseAwsServiceAccessPhysicalId(event.PhysicalResourceId);
  if (!id) return {};
  if (id.adopted) {
    ctx.log('leaving adopted trusted access enabled', { servicePrincipal: id.servicePrincipal });
    return {};
  }
  try {
    if (!(await enabledPrincipals(ctx)).has(id.servicePrincipal)) return {};
    ctx.log('DisableAWSServiceAccess', { servicePrincipal: id.servicePrincipal });
    await withRetry(() => ctx.organizations.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: id.servicePrincipal })),
      { deadline: ctx.deadline });
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return {};
    throw accessError(error, id, 'disable');
  }
  return {};
}

/** The handler of `Custom::Organizations_AwsServiceAccess`. */
export const awsServiceAccess: ResourceHandler = { onCreate, onUpdate, onDelete };
