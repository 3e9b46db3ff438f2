/**
 * `Custom::Organizations_DelegatedAdministrator`: a member account registered as delegated
 * administrator of one AWS service. Physical id: `<accountId>|<servicePrincipal>`.
 *
 * Registration is idempotent (`AccountAlreadyRegisteredException` is success) and so is
 * deregistration (`AccountNotRegisteredException`). When Organizations refuses a principal, the
 * handler finds out whether trusted access is missing or the principal is unknown, and says which.
 * Removal deregisters only a registration this resource owns (shared/ownership.ts): made by it,
 * recorded in the account's tag `cdk-organizations:delegated-administrator/<principal>`, or taken
 * over from another resource of this library; one that existed before is left in place.
 */
import {
  DeregisterDelegatedAdministratorCommand,
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import { call, callAllPages } from './shared/call';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { claim, forget, Owned, OwnershipTags, ownerOf, prepareClaim, settleDelete, undoCancelledCreate } from './shared/ownership';
import { requiredString } from './shared/properties';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { DelegatedAdministratorProperty, ID_SEPARATOR, IdPattern } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface DelegatedAdministratorSpec {
  readonly accountId: string;
  readonly servicePrincipal: string;
}

/** Parses `ResourceProperties` of a DelegatedAdministrator. */
export function parseDelegatedAdministratorProps(props: Properties): DelegatedAdministratorSpec {
  return {
    accountId: requiredString(props, DelegatedAdministratorProperty.ACCOUNT_ID),
    servicePrincipal: requiredString(props, DelegatedAdministratorProperty.SERVICE_PRINCIPAL),
  };
}

/** `<accountId>|<servicePrincipal>`. */
export function delegatedAdministratorPhysicalId(spec: DelegatedAdministratorSpec): string {
  return `${spec.accountId}${ID_SEPARATOR}${spec.servicePrincipal}`;
}

/** The pair a physical id names, or undefined for an id this handler never returned. */
export function parseDelegatedAdministratorPhysicalId(physicalId: string): DelegatedAdministratorSpec | undefined {
  const [accountId, servicePrincipal, ...rest] = physicalId.split(ID_SEPARATOR);
  if (!IdPattern.ACCOUNT.test(accountId ?? '') || !servicePrincipal || rest.length > 0) return undefined;
  return { accountId, servicePrincipal };
}

const label = (spec: DelegatedAdministratorSpec) => `account ${spec.accountId} as delegated administrator for ${spec.servicePrincipal}`;

/** Where the ownership of the registration is recorded: a tag on the account. */
const owned = (spec: DelegatedAdministratorSpec): Owned => ({
  resourceId: spec.accountId,
  keys: OwnershipTags.delegatedAdministrator(spec.servicePrincipal),
  what: `delegated administrator ${spec.accountId} for ${spec.servicePrincipal}`,
});

function trustedAccessMessage(spec: DelegatedAdministratorSpec): string {
  return `Cannot register ${label(spec)}: trusted access is not enabled for ${spec.servicePrincipal}. Enable it first: `
    + `organization.enableAwsServiceAccess('${spec.servicePrincipal}') when the Organization is in the app (the DelegatedAdministrator construct `
    + `then orders it before the registration), or \`aws organizations enable-aws-service-access --service-principal ${spec.servicePrincipal}\` `
    + '(or the service\'s own console, which also sets the service up); then deploy again. If trusted access cannot be enabled either, '
    + `check the spelling of ${DelegatedAdministratorProperty.SERVICE_PRINCIPAL} (for example guardduty.amazonaws.com).`;
}

function unknownPrincipalMessage(spec: DelegatedAdministratorSpec, detail: string, trusted: boolean | undefined): string {
  return `Cannot register ${label(spec)}: AWS Organizations does not recognise ${JSON.stringify(spec.servicePrincipal)} as a service `
    + `that supports delegated administrators (${detail}). Check the spelling of ${DelegatedAdministratorProperty.SERVICE_PRINCIPAL} `
    + '(the service principal, for example guardduty.amazonaws.com or securityhub.amazonaws.com; CloudFormation StackSets is '
    + 'member.org.stacksets.cloudformation.amazonaws.com), that the service appears with "Supports delegated administrator" in '
    + '"AWS services that you can use with AWS Organizations", and that trusted access is enabled for it'
    + `${trusted === false ? ` (it is not enabled for ${spec.servicePrincipal} now)` : ''}.`;
}

/** Whether trusted access is enabled for the principal; undefined when that cannot be read. */
async function trustedAccessEnabled(servicePrincipal: string, ctx: HandlerContext): Promise<boolean | undefined> {
  try {
    const enabled = await callAllPages(ctx, 'organizations', token => new ListAWSServiceAccessForOrganizationCommand({ NextToken: token }), page => page.EnabledServicePrincipals);
    return enabled.some(s => s.ServicePrincipal === servicePrincipal);
  } catch {
    return undefined;
  }
}

/** The delegated administrators of the service; undefined when Organizations does not say (for example without trusted access). */
async function administrators(servicePrincipal: string, ctx: HandlerContext): Promise<Array<{ Id?: string; Name?: string }> | undefined> {
  try {
    return await callAllPages(ctx, 'organizations', token => new ListDelegatedAdministratorsCommand({
      ServicePrincipal: servicePrincipal, NextToken: token,
    }), page => page.DelegatedAdministrators);
  } catch {
    return undefined;
  }
}

async function currentAdministrators(servicePrincipal: string, ctx: HandlerContext): Promise<string[]> {
  return (await administrators(servicePrincipal, ctx) ?? []).map(a => `${a.Id}${a.Name ? ` "${a.Name}"` : ''}`);
}

/** A refused registration as a message the user can act on; asks Organizations what is missing when the error alone does not say. */
async function registrationError(error: unknown, spec: DelegatedAdministratorSpec, ctx: HandlerContext): Promise<unknown> {
  const detail = `${(error as Error).name}${reasonOf(error) ? ` ${reasonOf(error)}` : ''}: ${(error as Error).message}`;
  const reason = reasonOf(error);
  if (isError(error, 'AccountNotFoundException')) {
    return new UserError(`Cannot register ${label(spec)}: account ${spec.accountId} is not a member of this organization (AccountNotFoundException). Check ${DelegatedAdministratorProperty.ACCOUNT_ID}.`);
  }
  if (isError(error, 'ConstraintViolationException')) {
    switch (reason) {
      case 'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR':
        return new UserError(managementAccountMessage(spec));
      case 'DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE': {
        const admins = await currentAdministrators(spec.servicePrincipal, ctx);
        return new UserError(`Cannot register ${label(spec)}: ${spec.servicePrincipal} allows only one delegated administrator and ${admins.length > 0 ? admins.join(', ') : 'another account'} already is (DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE). Deregister it first (remove its DelegatedAdministrator resource, or \`aws organizations deregister-delegated-administrator\`), then deploy again.`);
      }
      case 'MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED':
        return new UserError(`Cannot register ${label(spec)}: ${spec.servicePrincipal} already has as many delegated administrators as it allows (MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED). Deregister one first.`);
      case 'CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR':
        return new UserError(`Cannot register ${label(spec)}: the account is suspended (closed), and only active accounts can be delegated administrators (CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR). Choose an active account.`);
      case 'ORGANIZATION_NOT_IN_ALL_FEATURES_MODE':
        return new UserError(`Cannot register ${label(spec)}: the organization only has consolidated billing features (ORGANIZATION_NOT_IN_ALL_FEATURES_MODE). Enable all features (FeatureSet ALL) first.`);
      default:
    }
  }
  if (!isError(error, 'InvalidInputException', 'ConstraintViolationException', 'AccessDeniedException', 'UnsupportedAPIEndpointException')) return error;
  // The API reports a missing trusted access and an unknown principal in more than one way; ask.
  const trusted = await trustedAccessEnabled(spec.servicePrincipal, ctx);
  if (reason === 'UNRECOGNIZED_SERVICE_PRINCIPAL' || isError(error, 'UnsupportedAPIEndpointException')) {
    return new UserError(unknownPrincipalMessage(spec, detail, trusted));
  }
  if (trusted === false) return new UserError(`${trustedAccessMessage(spec)} (${detail})`);
  return new UserError(`Cannot register ${label(spec)}: ${detail}`);
}

function managementAccountMessage(spec: DelegatedAdministratorSpec): string {
  return `Cannot register ${label(spec)}: ${spec.accountId} is the organization's management account, which already administers every service; `
    + 'only a member account can be a delegated administrator (CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR). Choose a member account.';
}

/**
 * Registers the account, or finds it registered (looked up first, so that a redeploy makes no
 * call that changes anything); then the account's tag tells whether the registration is this
 * resource's own (a retry), another resource's (taken over), or nobody's (adopted: kept at removal).
 */
async function register(spec: DelegatedAdministratorSpec, me: string, ctx: HandlerContext, confirm = false): Promise<OnEventResponse> {
  const org = await call(ctx, 'organizations', new DescribeOrganizationCommand({}));
  if (org.Organization?.MasterAccountId === spec.accountId) throw new UserError(managementAccountMessage(spec));
  const registered = (await administrators(spec.servicePrincipal, ctx))?.some(a => a.Id === spec.accountId) ?? false;
  let created = false;
  let tags: ReadonlyMap<string, string> | undefined;
  if (!registered) {
    tags = await prepareClaim(owned(spec), ctx).catch(error => {
      // An account outside the organization: the registration's own error says so.
      if (isError(error, 'TargetNotFoundException')) return undefined;
      throw error;
    });
    try {
      await call(ctx, 'organizations', new RegisterDelegatedAdministratorCommand({
        AccountId: spec.accountId, ServicePrincipal: spec.servicePrincipal,
      }));
      created = true;
    } catch (error) {
      // Registered in between, by someone else: found, not made.
      if (!isError(error, 'AccountAlreadyRegisteredException')) throw await registrationError(error, spec, ctx);
    }
  }
  const result = await claim(owned(spec), me, ctx, { created, current: tags, confirm });
  if (result === 'adopted') ctx.log('account already registered, adopting the registration', { accountId: spec.accountId, servicePrincipal: spec.servicePrincipal });
  return { PhysicalResourceId: delegatedAdministratorPhysicalId(spec) };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return register(parseDelegatedAdministratorProps(event.ResourceProperties), ownerOf(event), ctx);
}

/** Nothing changes in place: a new pair is registered under a new id, and CloudFormation deregisters the old one. */
async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseDelegatedAdministratorProps(event.ResourceProperties);
  if (delegatedAdministratorPhysicalId(spec) !== event.PhysicalResourceId) {
    ctx.log('replacing delegated administrator', { from: event.PhysicalResourceId, to: delegatedAdministratorPhysicalId(spec) });
    return register(spec, ownerOf(event), ctx);
  }
  return register(spec, ownerOf(event), ctx, true);
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseDelegatedAdministratorPhysicalId(event.PhysicalResourceId);
  if (!spec) {
    // CloudFormation never learnt the id: nothing is deregistered, but a takeover the Create made is given back.
    return undoCancelledCreate(event, ctx, async () => owned(parseDelegatedAdministratorProps(event.ResourceProperties)));
  }
  // Only a registration this resource owns is deregistered: the account's tag decides.
  const decision = await settleDelete(owned(spec), event, ctx);
  if (decision.kind !== 'destroy') return {};
  try {
    await call(ctx, 'organizations', new DeregisterDelegatedAdministratorCommand({
      AccountId: spec.accountId, ServicePrincipal: spec.servicePrincipal,
    }));
  } catch (error) {
    if (isError(error, 'AccountNotFoundException', 'AWSOrganizationsNotInUseException')) return {};
    if (!isError(error, 'AccountNotRegisteredException')) throw error;
  }
  // Deregistered (or already not registered): nobody's any more, so a later Create finds it untagged.
  await forget(owned(spec), ctx);
  return {};
}

/** The handler of `Custom::Organizations_DelegatedAdministrator`. */
export const delegatedAdministrator: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
