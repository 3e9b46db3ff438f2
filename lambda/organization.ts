/**
 * `Custom::Organizations_Organization`: the organization itself, with its root.
 *
 * Create adopts the organization the caller already manages (a retry, or an organization made
 * before the stack) and refuses when the caller is a member account of an organization: only a
 * management account can declare one. The feature set only goes up: CONSOLIDATED_BILLING -> ALL
 * starts the "enable all features" handshake and finalizes it once every invited member account has
 * approved; ALL -> CONSOLIDATED_BILLING is impossible in AWS and refused. Removal keeps the
 * organization unless `DeleteOnRemoval` is "true", and even then only deletes one without members
 * that this resource owns (shared/ownership.ts): created by it, recorded in the root's tag
 * `cdk-organizations:organization`, or taken over from another resource of this library.
 */
import { GetAccountInformationCommand } from '@aws-sdk/client-account';
import {
  AcceptHandshakeCommand,
  Account as OrgAccount,
  CreateOrganizationCommand,
  DeleteOrganizationCommand,
  DescribeOrganizationCommand,
  EnableAllFeaturesCommand,
  Handshake,
  ListAccountsCommand,
  ListHandshakesForOrganizationCommand,
  ListRootsCommand,
  Organization as Org,
  OrganizationFeatureSet,
  Root,
} from '@aws-sdk/client-organizations';
import { call, callAllPages } from './shared/call';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { assertNoOwnershipKeys, Owned, OwnershipTags, ownerOf, settleDelete, syncTagsAndClaim, undoCancelledCreate } from './shared/ownership';
import { booleanProperty, optionalString, tagList } from './shared/properties';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { FeatureSet, FeatureSetName, OrganizationAttrs, OrganizationProperty, WireTag } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface OrganizationSpec {
  readonly featureSet: FeatureSetName;
  /** Only "true" deletes the organization on removal (and only when it has no member accounts). */
  readonly deleteOnRemoval: boolean;
  /** The tags the stack declares on the root (`Tags.of(organization.root)`). */
  readonly rootTags: WireTag[];
}

/** Parses `ResourceProperties` of an Organization. `DeleteOnRemoval` "false" is false. */
export function parseOrganizationProps(props: Properties): OrganizationSpec {
  const featureSet = optionalString(props, OrganizationProperty.FEATURE_SET) ?? FeatureSet.ALL;
  if (!Object.values(FeatureSet).includes(featureSet as FeatureSetName)) {
    throw new Error(`Property ${OrganizationProperty.FEATURE_SET} must be one of ${Object.values(FeatureSet).join(', ')}, got ${JSON.stringify(featureSet)}`);
  }
  return {
    featureSet: featureSet as FeatureSetName,
    deleteOnRemoval: booleanProperty(props, OrganizationProperty.DELETE_ON_REMOVAL, false),
    rootTags: tagList(props, OrganizationProperty.ROOT_TAGS),
  };
}

/** The organization the caller belongs to, or undefined when the caller's account is in none. */
async function describeOrganization(ctx: HandlerContext): Promise<Org | undefined> {
  try {
    const out = await call(ctx, 'organizations', new DescribeOrganizationCommand({}));
    return out.Organization;
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return undefined;
    throw error;
  }
}

/**
 * The caller's own account id. Account Management's GetAccountInformation without an AccountId
 * answers for the calling account, so no STS client is needed; the access key decides, as in AWS.
 */
async function callerAccountId(ctx: HandlerContext): Promise<string> {
  const out = await call(ctx, 'account', new GetAccountInformationCommand({}));
  if (!out.AccountId) throw new Error('GetAccountInformation returned no AccountId');
  return out.AccountId;
}

/** The message for a caller whose account is a member (not the management account) of an organization. */
export function memberAccountMessage(callerId: string, org: Org): string {
  return `Cannot declare an Organization from account ${callerId}: that account is a member of organization ${org.Id}, whose management account is `
    + `${org.MasterAccountId}${org.MasterAccountEmail ? ` (${org.MasterAccountEmail})` : ''}. Only the management account can create or adopt its `
    + `organization, and an account belongs to one organization at most. Deploy this stack to account ${org.MasterAccountId}; or, to use the `
    + 'organization from this account, refer to it by its ids (an imported organization or root) instead of declaring it; or, for a new '
    + 'organization, use an account that is not a member of any.';
}

async function assertManagementAccount(org: Org, ctx: HandlerContext): Promise<void> {
  const callerId = await callerAccountId(ctx);
  if (callerId !== org.MasterAccountId) throw new UserError(memberAccountMessage(callerId, org));
}

/** The message for a requested change from all features back to consolidated billing. */
export function downgradeMessage(org: Org, logicalId: string): string {
  return `Cannot change ${OrganizationProperty.FEATURE_SET} of organization ${org.Id} from ${FeatureSet.ALL} to ${FeatureSet.CONSOLIDATED_BILLING}: `
    + 'AWS Organizations cannot go back from all features to consolidated billing only. Nothing was changed. Set the feature set back to '
    + `${FeatureSet.ALL} (the default). If this happened during a rollback, continue it without this resource: \`aws cloudformation `
    + `continue-update-rollback --stack-name <stack> --resources-to-skip ${logicalId}\`.`;
}

/** The accounts that joined by invitation: they, and only they, must approve enabling all features. */
async function invitedMembers(org: Org, ctx: HandlerContext): Promise<OrgAccount[]> {
  return (await listAccounts(ctx)).filter(a => a.JoinedMethod === 'INVITED' && a.Id !== org.MasterAccountId);
}

async function listAccounts(ctx: HandlerContext): Promise<OrgAccount[]> {
  return callAllPages(ctx, 'organizations', token => new ListAccountsCommand({ NextToken: token }), page => page.Accounts);
}

const describeAccount = (a: OrgAccount) => `${a.Id}${a.Name ? ` "${a.Name}"` : ''}`;

/** The "enable all features" handshake in progress (REQUESTED or OPEN), if any. */
async function openEnableAllFeaturesHandshake(ctx: HandlerContext): Promise<Handshake | undefined> {
  const handshakes = await callAllPages(ctx, 'organizations', token => new ListHandshakesForOrganizationCommand({
    Filter: { ActionType: 'ENABLE_ALL_FEATURES' }, NextToken: token,
  }), page => page.Handshakes);
  // The request of the management account, not the per-member child handshakes it generates.
  return handshakes.find(h => h.Action === 'ENABLE_ALL_FEATURES' && (h.State === 'REQUESTED' || h.State === 'OPEN')
    && !h.Resources?.some(r => r.Type === 'PARENT_HANDSHAKE'));
}

/** The message for an "enable all features" handshake that waits for member accounts. */
export function pendingApprovalMessage(org: Org, handshake: Handshake, invited: readonly OrgAccount[]): string {
  const expires = handshake.ExpirationTimestamp ? `, expires ${new Date(handshake.ExpirationTimestamp).toISOString()}` : '';
  const who = invited.length > 0
    ? `the invited member accounts ${invited.map(describeAccount).join(', ')}`
    : 'the invited member accounts';
  return `Enabling all features (${OrganizationProperty.FEATURE_SET} ${FeatureSet.ALL}) of organization ${org.Id} has started: handshake ${handshake.Id} `
    + `(state ${handshake.State}${expires}) waits for ${who} to approve it. Until then the organization keeps consolidated billing `
    + 'features only, and nothing else was changed. Have an administrator of each of those accounts accept the request (AWS Organizations '
    + 'console, or `aws organizations list-handshakes-for-account` and `accept-handshake` from that account), then deploy again: this '
    + 'resource finalizes the change. The handshake stays open if this deployment rolls back, so approvals are not lost.';
}

/**
 * CONSOLIDATED_BILLING -> ALL: starts the handshake (or finds the one in progress, so that a retry
 * or a redeploy does not start a second), and finalizes it as soon as every invited member account
 * has approved. Returns the organization as it is afterwards.
 */
async function enableAllFeatures(org: Org, ctx: HandlerContext): Promise<Org> {
  let handshake = await openEnableAllFeaturesHandshake(ctx);
  if (!handshake) {
    try {
      const out = await call(ctx, 'organizations', new EnableAllFeaturesCommand({}));
      handshake = out.Handshake ?? {};
    } catch (error) {
      if (isError(error, 'HandshakeConstraintViolationException') && reasonOf(error) === 'ORGANIZATION_ALREADY_HAS_ALL_FEATURES') {
        return (await describeOrganization(ctx)) ?? org;
      }
      if (isError(error, 'HandshakeConstraintViolationException') && reasonOf(error) === 'ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION') {
        handshake = await openEnableAllFeaturesHandshake(ctx);
      }
      if (!handshake) {
        throw new UserError(`Cannot enable all features (${OrganizationProperty.FEATURE_SET} ${FeatureSet.ALL}) of organization ${org.Id}: AWS Organizations refused `
          + `EnableAllFeatures (${(error as Error).name}${reasonOf(error) ? ` ${reasonOf(error)}` : ''}: ${(error as Error).message}). Nothing was changed.`);
      }
    }
  }
  ctx.log('enable all features handshake', { organizationId: org.Id, handshakeId: handshake.Id, state: handshake.State });
  if (handshake.State === 'OPEN') {
    // Every invited account has approved (or there are none): the management account finalizes.
    try {
      await call(ctx, 'organizations', new AcceptHandshakeCommand({ HandshakeId: handshake.Id }), { log: { why: 'finalize enable all features' } });
    } catch (error) {
      if (!isError(error, 'HandshakeAlreadyInStateException')) throw error;
    }
    const after = await describeOrganization(ctx);
    if (after?.FeatureSet === FeatureSet.ALL) return after;
  }
  throw new UserError(pendingApprovalMessage(org, handshake, await invitedMembers(org, ctx)));
}

/** Brings the feature set to the declared one where AWS allows it. */
async function reconcileFeatureSet(org: Org, spec: OrganizationSpec, logicalId: string, ctx: HandlerContext): Promise<Org> {
  if (org.FeatureSet === spec.featureSet) return org;
  if (spec.featureSet === FeatureSet.CONSOLIDATED_BILLING) throw new UserError(downgradeMessage(org, logicalId));
  return enableAllFeatures(org, ctx);
}

/**
 * Creates the organization, or adopts the one the caller manages, and brings its feature set to
 * the declared one; `created` says whether this request created it.
 */
async function ensureOrganization(spec: OrganizationSpec, logicalId: string, ctx: HandlerContext): Promise<{ org: Org; created: boolean }> {
  let org = await describeOrganization(ctx);
  if (!org) {
    try {
      const out = await call(ctx, 'organizations', new CreateOrganizationCommand({
        FeatureSet: spec.featureSet as OrganizationFeatureSet,
      }));
      if (out.Organization) return { org: out.Organization, created: true };
    } catch (error) {
      // Created in between by a concurrent retry of this request: adopt it below like any existing one.
      if (!isError(error, 'AlreadyInOrganizationException')) throw createError(error);
    }
    org = await describeOrganization(ctx);
    if (!org) throw new Error('CreateOrganization succeeded but DescribeOrganization finds no organization');
  }
  await assertManagementAccount(org, ctx);
  ctx.log('using existing organization', { organizationId: org.Id, featureSet: org.FeatureSet });
  return { org: await reconcileFeatureSet(org, spec, logicalId, ctx), created: false };
}

function createError(error: unknown): unknown {
  if (isError(error, 'ConstraintViolationException', 'AccessDeniedForDependencyException')) {
    return new UserError(`Cannot create the organization: AWS Organizations refused CreateOrganization (${(error as Error).name}`
      + `${reasonOf(error) ? ` ${reasonOf(error)}` : ''}: ${(error as Error).message}). The account must have a verified email address and a valid `
      + 'payment method, and the caller needs iam:CreateServiceLinkedRole for AWSServiceRoleForOrganizations; fix that and deploy again.');
  }
  return error;
}

async function rootOf(ctx: HandlerContext): Promise<Root> {
  const out = await call(ctx, 'organizations', new ListRootsCommand({}));
  // An organization has exactly one root.
  return out.Roots?.[0] ?? {};
}

/** Where the ownership of the organization is recorded: a tag on its root. */
const owned = (org: Org, root: Root): Owned => ({ resourceId: root.Id ?? '', keys: OwnershipTags.organization(), what: `organization ${org.Id}` });

/**
 * Creates or adopts the organization, records (or confirms) on its root whose it is (one created
 * by another request stays unowned: adopted), and answers with its attributes.
 */
async function ensureAndClaim(event: CreateEvent | UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseOrganizationProps(event.ResourceProperties);
  assertNoOwnershipKeys(spec.rootTags, OrganizationProperty.ROOT_TAGS, 'Organization');
  const { org, created } = await ensureOrganization(spec, event.LogicalResourceId, ctx);
  const root = await rootOf(ctx);
  // The root's declared tags and the ownership record, in one ListTagsForResource and one TagResource at most.
  const oldTags = event.RequestType === 'Update' ? parseOrganizationProps(event.OldResourceProperties).rootTags : [];
  const { resourceId, keys, what } = owned(org, root);
  await syncTagsAndClaim(resourceId, oldTags, spec.rootTags, ctx, { me: ownerOf(event), created, confirm: event.RequestType === 'Update', what }, keys);
  return response(org, root);
}

function response(org: Org, root: Root): OnEventResponse {
  const id = org.Id ?? '';
  return {
    PhysicalResourceId: id,
    Data: {
      [OrganizationAttrs.ID]: id,
      [OrganizationAttrs.ARN]: org.Arn ?? '',
      [OrganizationAttrs.FEATURE_SET]: org.FeatureSet ?? '',
      [OrganizationAttrs.MANAGEMENT_ACCOUNT_ID]: org.MasterAccountId ?? '',
      [OrganizationAttrs.MANAGEMENT_ACCOUNT_ARN]: org.MasterAccountArn ?? '',
      [OrganizationAttrs.MANAGEMENT_ACCOUNT_EMAIL]: org.MasterAccountEmail ?? '',
      [OrganizationAttrs.ROOT_ID]: root.Id ?? '',
      [OrganizationAttrs.ROOT_ARN]: root.Arn ?? '',
    },
  };
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return ensureAndClaim(event, ctx);
}

/**
 * The same path as Create: the organization is looked up, not trusted from the physical id, so an
 * organization deleted by hand is created again and one that changed hands is refused.
 */
async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  return ensureAndClaim(event, ctx);
}

/** The message for an organization that cannot be deleted because it has member accounts. */
export function notEmptyMessage(org: Org, members: readonly OrgAccount[]): string {
  const list = members.map(a => `${describeAccount(a)}${a.Status && a.Status !== 'ACTIVE' ? ` (${a.Status})` : ''}`).join(', ');
  return `Cannot delete organization ${org.Id} (${OrganizationProperty.DELETE_ON_REMOVAL} is "true"): it still has ${members.length} member account`
    + `${members.length === 1 ? '' : 's'}: ${list}. AWS Organizations deletes only an organization without member accounts (OrganizationNotEmptyException), `
    + 'and this stack never removes accounts on its own. Remove them first (RemovalAction REMOVE_FROM_ORGANIZATION or CLOSE on their Account constructs, '
    + 'or `aws organizations remove-account-from-organization`), or keep the organization (drop DeleteOnRemoval); then delete again.';
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const organizationId = event.PhysicalResourceId;
  const spec = parseOrganizationProps(event.ResourceProperties);
  if (!spec.deleteOnRemoval) {
    ctx.log('retaining organization', { organizationId, why: `${OrganizationProperty.DELETE_ON_REMOVAL} is not "true"` });
    return {};
  }
  if (!organizationId.startsWith('o-')) {
    // CloudFormation never learnt the organization: nothing is deleted, but a takeover the Create made is given back.
    return undoCancelledCreate(event, ctx, async () => {
      const current = await describeOrganization(ctx);
      return current ? owned(current, await rootOf(ctx)) : undefined;
    });
  }
  const org = await describeOrganization(ctx);
  if (!org || org.Id !== organizationId) {
    // Gone already, or the caller now manages another organization, which this resource never owned.
    ctx.log('organization not found, nothing to delete', { organizationId, current: org?.Id });
    return {};
  }
  // Only an organization this resource owns is deleted: never one it adopted.
  const decision = await settleDelete(owned(org, await rootOf(ctx)), event, ctx);
  if (decision.kind !== 'destroy') return {};
  const refuseIfMembers = async () => {
    const members = (await listAccounts(ctx)).filter(a => a.Id !== org.MasterAccountId);
    if (members.length > 0) throw new UserError(notEmptyMessage(org, members));
  };
  await refuseIfMembers();
  try {
    await call(ctx, 'organizations', new DeleteOrganizationCommand({}));
  } catch (error) {
    if (isError(error, 'AWSOrganizationsNotInUseException')) return {};
    // An account joined between our look and the delete.
    if (isError(error, 'OrganizationNotEmptyException')) await refuseIfMembers();
    throw error;
  }
  return {};
}

/** The handler of `Custom::Organizations_Organization`. */
export const organization: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
