/**
 * `Custom::Organizations_OrganizationalUnit`: an OU under a root or another OU.
 *
 * Create adopts the OU of the same name under the same parent (a retry, or an OU made by hand), so
 * every retry converges on one OU. A rename happens in place; a new parent replaces the OU, because
 * Organizations cannot move OUs: the new OU is created under the new parent, the accounts and OUs
 * the app declares in it follow through their own updates, and CloudFormation deletes the old,
 * by then empty, OU afterwards. Delete never empties an OU: one that still holds accounts or OUs
 * is an error that names them. Delete only deletes an OU this resource owns (shared/ownership.ts):
 * created with its owner tag, or taken over from another resource of this library; an OU made
 * outside the stack and adopted by name is left in place.
 */
import {
  Account as OrgAccount,
  CreateOrganizationalUnitCommand,
  DeleteOrganizationalUnitCommand,
  DescribeOrganizationalUnitCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  MoveAccountCommand,
  OrganizationalUnit,
  UpdateOrganizationalUnitCommand,
} from '@aws-sdk/client-organizations';
import { organizationRootId } from './shared/attachments';
import { call, callAllPages } from './shared/call';
import { stackOperation } from './shared/cloudformation';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import {
  assertNoOwnershipKeys, bornTags, Claim, cancelledLeftover, ClaimPlan, OwnershipTags, ownerOf, planClaim, ResourceEvent, settleDelete,
  syncTagsAndClaim, undoCancelledCreate,
} from './shared/ownership';
import { optionalString, requiredString, tagList } from './shared/properties';
import { listTags } from './shared/tags';
import type { CreateEvent, DeleteEvent, HandlerContext, OnEventResponse, Properties, ResourceHandler, UpdateEvent } from './shared/types';
import { MAX_OU_DEPTH, MAX_TAGS_PER_RESOURCE, OrganizationalUnitAttrs, OrganizationalUnitProperty, OWNERSHIP_TAGS_PER_RESOURCE, WireTag } from '../src/private/contract';

/** The typed form of the resource's wire properties. */
export interface OrganizationalUnitSpec {
  readonly name: string;
  /** A root (`r-...`) or an OU (`ou-...-...`). */
  readonly parentId: string;
  readonly tags: WireTag[];
}

/** Parses `ResourceProperties` of an OrganizationalUnit. */
export function parseOrganizationalUnitProps(props: Properties): OrganizationalUnitSpec {
  return {
    name: requiredString(props, OrganizationalUnitProperty.NAME),
    parentId: requiredString(props, OrganizationalUnitProperty.PARENT_ID),
    tags: tagList(props, OrganizationalUnitProperty.TAGS),
  };
}

const label = (spec: Pick<OrganizationalUnitSpec, 'name' | 'parentId'>) => `OrganizationalUnit "${spec.name}" under ${spec.parentId}`;

/** A refusal of CreateOrganizationalUnit, UpdateOrganizationalUnit or TagResource as a message naming the OU and the way out. */
function ouError(error: unknown, spec: OrganizationalUnitSpec): unknown {
  const what = label(spec);
  if (isError(error, 'ParentNotFoundException')) {
    return new UserError(`${what}: the parent ${spec.parentId} does not exist in this organization (ParentNotFoundException). Check ${OrganizationalUnitProperty.PARENT_ID} (a root r-... or an OU ou-...-... of this organization).`);
  }
  if (isError(error, 'ConstraintViolationException')) {
    const advice: Record<string, string> = {
      OU_DEPTH_LIMIT_EXCEEDED: `the OU would be nested deeper than AWS Organizations allows (${MAX_OU_DEPTH} levels of OUs under the root; OU_DEPTH_LIMIT_EXCEEDED). Place it under a parent closer to the root.`,
      OU_NUMBER_LIMIT_EXCEEDED: 'the organization already has the maximum number of OUs (2,000; OU_NUMBER_LIMIT_EXCEEDED). Delete unused OUs first.',
      MAX_TAG_LIMIT_EXCEEDED: `the OU would have more than ${MAX_TAGS_PER_RESOURCE} tags (MAX_TAG_LIMIT_EXCEEDED): its ${spec.tags.length} Tags plus the `
        + `${OwnershipTags.resource().owner} tag that records that this stack created it. Declare at most ${MAX_TAGS_PER_RESOURCE - OWNERSHIP_TAGS_PER_RESOURCE} Tags.`,
      TAG_POLICY_VIOLATION: 'its tags do not comply with the tag policy in force (TAG_POLICY_VIOLATION). Fix the Tags.',
    };
    const reason = reasonOf(error);
    return new UserError(`${what}: ${advice[reason ?? ''] ?? `${reason ?? 'ConstraintViolationException'}: ${(error as Error).message}`}`);
  }
  if (isError(error, 'InvalidInputException')) {
    return new UserError(`${what}: AWS Organizations rejected the request (InvalidInputException${reasonOf(error) ? ` ${reasonOf(error)}` : ''}: ${(error as Error).message}). `
      + `Check ${OrganizationalUnitProperty.NAME} (1 to 128 characters), ${OrganizationalUnitProperty.PARENT_ID} and ${OrganizationalUnitProperty.TAGS}.`);
  }
  return error;
}

async function listOusForParent(parentId: string, ctx: HandlerContext): Promise<OrganizationalUnit[]> {
  return callAllPages(ctx, 'organizations', token => new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken: token }), page => page.OrganizationalUnits);
}

async function listAccountsForParent(parentId: string, ctx: HandlerContext): Promise<OrgAccount[]> {
  return callAllPages(ctx, 'organizations', token => new ListAccountsForParentCommand({ ParentId: parentId, NextToken: token }), page => page.Accounts);
}

/** The OU of this name directly under the parent, if any (names are unique per parent). */
async function findByName(spec: OrganizationalUnitSpec, ctx: HandlerContext): Promise<OrganizationalUnit | undefined> {
  try {
    return (await listOusForParent(spec.parentId, ctx)).find(ou => ou.Name === spec.name);
  } catch (error) {
    throw ouError(error, spec);
  }
}

async function describe(ouId: string, ctx: HandlerContext): Promise<OrganizationalUnit | undefined> {
  try {
    const out = await call(ctx, 'organizations', new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }));
    return out.OrganizationalUnit;
  } catch (error) {
    if (isError(error, 'OrganizationalUnitNotFoundException')) return undefined;
    throw error;
  }
}

/** Brings user tags and ownership of an existing OU up to date; returns the claim. */
async function syncOu(ouId: string, oldTags: readonly WireTag[], spec: OrganizationalUnitSpec, confirm: boolean, me: string,
  ctx: HandlerContext, current?: ReadonlyMap<string, string>, plan?: ClaimPlan): Promise<Claim> {
  // Only the declared keys are set; tags someone else put on the OU stay (a takeover's plan says otherwise).
  return syncTagsAndClaim(ouId, oldTags, spec.tags, ctx, {
    me, created: false, confirm, what: `${label(spec)} (${ouId})`, mapError: error => ouError(error, spec), current, plan,
  });
}

async function adopt(ou: OrganizationalUnit, spec: OrganizationalUnitSpec, me: string, ctx: HandlerContext): Promise<OrganizationalUnit> {
  const current = await listTags(ou.Id ?? '', ctx);
  // What adopting or taking it over changes, recorded with the change, for a rollback to put back.
  const plan = planClaim(ou.Id ?? '', current, me, spec.tags, {}, ctx);
  const claim = await syncOu(ou.Id ?? '', [], spec, false, me, ctx, current, plan);
  // Its own creation (a retry) is not an adoption; an OU made outside the stack is, and stays unowned.
  ctx.log(claim === 'mine' ? 'found the organizational unit this resource created' : 'adopting existing organizational unit',
    { ouId: ou.Id, name: spec.name, parentId: spec.parentId, claim });
  return ou;
}

/** Creates the OU (born with its owner tag), or adopts the one of the same name under the same parent. */
async function ensureOu(spec: OrganizationalUnitSpec, me: string, ctx: HandlerContext): Promise<OrganizationalUnit> {
  try {
    const out = await call(ctx, 'organizations', new CreateOrganizationalUnitCommand({
      ParentId: spec.parentId,
      Name: spec.name,
      Tags: [...spec.tags, ...bornTags(me, ctx)],
    }));
    return out.OrganizationalUnit ?? {};
  } catch (error) {
    if (!isError(error, 'DuplicateOrganizationalUnitException')) throw ouError(error, spec);
    // A retry of this request, or an OU made outside the stack: either way it is the one the app declares.
    const existing = await findByName(spec, ctx);
    if (!existing?.Id) throw error;
    return adopt(existing, spec, me, ctx);
  }
}

function response(ou: OrganizationalUnit, spec: OrganizationalUnitSpec): OnEventResponse {
  const id = ou.Id ?? '';
  return {
    PhysicalResourceId: id,
    Data: {
      [OrganizationalUnitAttrs.ID]: id,
      [OrganizationalUnitAttrs.ARN]: ou.Arn ?? '',
      [OrganizationalUnitAttrs.NAME]: ou.Name ?? spec.name,
    },
  };
}

/** Parses the properties of a Create or Update, refusing tag keys under the library's prefix. */
function parseForWrite(props: Properties): OrganizationalUnitSpec {
  const spec = parseOrganizationalUnitProps(props);
  assertNoOwnershipKeys(spec.tags, OrganizationalUnitProperty.TAGS, label(spec));
  return spec;
}

async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseForWrite(event.ResourceProperties);
  return response(await ensureOu(spec, ownerOf(event), ctx), spec);
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseForWrite(event.ResourceProperties);
  const old = parseOrganizationalUnitProps(event.OldResourceProperties);
  const me = ownerOf(event);
  if (spec.parentId !== old.parentId) {
    // Organizations cannot move an OU. The new id makes CloudFormation delete the old OU once the
    // children the app declares have moved (it is this resource's own, so that Delete deletes it);
    // on rollback, the old OU is found again by name, still owned by this resource.
    ctx.log('replacing organizational unit: ParentId changed', { ouId: event.PhysicalResourceId, from: old.parentId, to: spec.parentId });
    const replaced = response(await ensureOu(spec, me, ctx), spec);
    // A rollback's Update: the cancelled forward Update may have made its replacement after all (under
    // the parent this rollback leaves); CloudFormation never learnt it, so it goes as a cancelled Create's would.
    if ((await stackOperation(event.StackId, ctx)).phase !== 'rollback') return replaced;
    await undoCancelledCreate({ ...event, RequestType: 'Delete', PhysicalResourceId: `${event.LogicalResourceId}-cancelled-replacement` }, ctx, async () => {
      const made = await findByName(old, ctx);
      return made?.Id ? { resourceId: made.Id, keys: OwnershipTags.resource(), what: `${label(old)} (${made.Id})` } : undefined;
    }, owned => destroyOu(owned.resourceId, old.name, ctx, event));
    return replaced;
  }
  const ouId = event.PhysicalResourceId;
  const current = await describe(ouId, ctx);
  if (!current) {
    // Deleted outside CloudFormation: create it again (under a new id) rather than fail forever.
    ctx.log('organizational unit not found, creating it again', { ouId });
    return response(await ensureOu(spec, me, ctx), spec);
  }
  let ou = current;
  if (current.Name !== spec.name) {
    // Checked before any change, so that a refused rename leaves the OU and its tags untouched.
    const clash = await findByName(spec, ctx);
    if (clash?.Id && clash.Id !== ouId) {
      throw new UserError(`Cannot rename organizational unit ${ouId} from "${current.Name}" to "${spec.name}": another OU under ${spec.parentId} already has that name (${clash.Id}), and names are unique per parent (DuplicateOrganizationalUnitException). Choose another ${OrganizationalUnitProperty.NAME}, or rename or delete ${clash.Id} first.`);
    }
    try {
      const out = await call(ctx, 'organizations', new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: ouId, Name: spec.name }), { log: { from: current.Name } });
      ou = out.OrganizationalUnit ?? { ...current, Name: spec.name };
    } catch (error) {
      throw ouError(error, spec);
    }
  }
  // The same ListTagsForResource also confirms the ownership (an adopted OU stays adopted).
  await syncOu(ouId, old.tags, spec, true, me, ctx);
  return response(ou, spec);
}

/** The message for an OU that cannot be deleted because it is not empty. */
export function notEmptyMessage(ouId: string, name: string | undefined, accounts: readonly OrgAccount[], ous: readonly OrganizationalUnit[]): string {
  const children = [
    ...accounts.map(a => `account ${a.Id}${a.Name ? ` "${a.Name}"` : ''}`),
    ...ous.map(o => `OU ${o.Id}${o.Name ? ` "${o.Name}"` : ''}`),
  ];
  return `Cannot delete organizational unit ${name ? `"${name}" ` : ''}(${ouId}): it still contains ${children.join(', ')}, and AWS Organizations deletes only empty OUs `
    + '(OrganizationalUnitNotEmptyException). This stack does not manage them, or keeps them on removal (accounts are retained by default), '
    + 'and never moves or deletes them on its own. Move them to another parent (`aws organizations move-account --account-id <id> '
    + `--source-parent-id ${ouId} --destination-parent-id <parent>\`, or declare them in the app under another parent) or delete the child OUs, `
    + 'then retry the deletion; or keep this OU (RemovalPolicy RETAIN).';
}

/** Deletes an OU this resource owns, refusing while it has children (the library never deletes those). */
async function destroyOu(ouId: string, name: string | undefined, ctx: HandlerContext, event?: ResourceEvent): Promise<void> {
  const refuseIfNotEmpty = async () => {
    let [accounts, ous] = [await listAccountsForParent(ouId, ctx), await listOusForParent(ouId, ctx)];
    // What a cancelled Create left is cleared; a child it did not recognise may have left since the
    // listing (a late Create's own undo moves back what it adopted, and drops its record): look again.
    for (let look = 0; event && look < 2 && (accounts.length > 0 || ous.length > 0); look++) {
      if (look > 0) [accounts, ous] = [await listAccountsForParent(ouId, ctx), await listOusForParent(ouId, ctx)];
      [accounts, ous] = await clearLeftovers(ouId, accounts, ous, event, ctx);
    }
    if (accounts.length > 0 || ous.length > 0) throw new UserError(notEmptyMessage(ouId, name, accounts, ous));
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await refuseIfNotEmpty();
      await call(ctx, 'organizations', new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ouId }));
      return;
    } catch (error) {
      // Already gone (a retry, or deleted by hand), or the whole organization is.
      if (isError(error, 'OrganizationalUnitNotFoundException', 'ParentNotFoundException', 'AWSOrganizationsNotInUseException')) return;
      // Something moved in between our look and the delete: look again (what a cancelled Create
      // left is cleared then, and the delete tried once more); anything else is refused, named.
      if (!isError(error, 'OrganizationalUnitNotEmptyException') || attempt >= 2) throw error;
    }
  }
}

/**
 * In a rollback, what cancelled Creates of this stack left in the OU (shared/ownership.ts
 * cancelledLeftover) no longer keeps it from being deleted: such an OU is deleted (its own
 * leftovers first), such an account goes back where a claim took it from, or (made by that
 * Create and kept: RETAIN, or a creation that finished after its rollback's Delete) to the root,
 * where new accounts start. Returns what is left.
 */
async function clearLeftovers(ouId: string, accounts: OrgAccount[], ous: OrganizationalUnit[], event: ResourceEvent,
  ctx: HandlerContext): Promise<[OrgAccount[], OrganizationalUnit[]]> {
  const keptOus: OrganizationalUnit[] = [];
  for (const ou of ous) {
    const leftover = ou.Id ? await cancelledLeftover(ou.Id, event, ctx) : undefined;
    if (leftover?.kind === 'gone') continue;
    if (leftover?.kind !== 'made') {
      keptOus.push(ou);
      continue;
    }
    ctx.log('removing an OU a cancelled Create left in it', { ouId, child: ou.Id });
    await destroyOu(ou.Id!, ou.Name, ctx, event);
  }
  const keptAccounts: OrgAccount[] = [];
  for (const account of accounts) {
    const leftover = account.Id ? await cancelledLeftover(account.Id, event, ctx) : undefined;
    if (leftover?.kind === 'gone') continue;
    if (!leftover) {
      keptAccounts.push(account);
      continue;
    }
    // Back where a claim took it from (its late Create's undo puts back the rest), or to the root, where new accounts start.
    const destination = (leftover.kind === 'claimed' ? leftover.parentId : undefined) ?? await organizationRootId(ctx);
    const move = new MoveAccountCommand({ AccountId: account.Id, SourceParentId: ouId, DestinationParentId: destination });
    await call(ctx, 'organizations', move, { log: { why: 'a cancelled Create left it in the OU being removed' } }).catch(error => {
      if (!isError(error, 'DuplicateAccountException', 'SourceParentNotFoundException', 'AccountNotFoundException')) throw error;
    });
  }
  return [keptAccounts, keptOus];
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const ouId = event.PhysicalResourceId;
  const name = optionalString(event.ResourceProperties, OrganizationalUnitProperty.NAME);
  if (!ouId.startsWith('ou-')) {
    // CloudFormation never learnt the OU: what the cancelled Create made is deleted, a takeover given back.
    return undoCancelledCreate(event, ctx, async () => {
      const spec = parseOrganizationalUnitProps(event.ResourceProperties);
      const ou = await findByName(spec, ctx);
      return ou?.Id ? { resourceId: ou.Id, keys: OwnershipTags.resource(), what: `${label(spec)} (${ou.Id})` } : undefined;
    }, owned => destroyOu(owned.resourceId, name, ctx, event), async () => undefined);
  }
  const what = `organizational unit ${name ? `"${name}" ` : ''}(${ouId})`;
  // Only an OU this resource owns is deleted: not one it adopted, nor one another resource took over.
  // An adopted OU is never deleted; the rollback of its adoption puts its declared tags back (shared/adoption.ts).
  const decision = await settleDelete({ resourceId: ouId, keys: OwnershipTags.resource(), what }, event, ctx, async () => undefined);
  if (decision.kind === 'destroy') await destroyOu(ouId, name, ctx, event);
  return {};
}

/** The handler of `Custom::Organizations_OrganizationalUnit`. */
export const organizationalUnit: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete });
