/**
 * `Custom::Organizations_Account`: create (asynchronously, through isComplete), adopt, move,
 * rename, tag and — only on explicit opt-in — remove or close an AWS account.
 *
 * The one thing this module must never do is create a second account for one resource: every
 * path that could call `CreateAccount` first looks for the account by email and for a request in
 * progress under the same name, so a retry after a crash, a timeout or a throttled call resumes
 * instead of duplicating.
 *
 * The other is to remove or close an account this resource does not own (shared/ownership.ts):
 * `CreateAccount` carries the resource's owner tag, so the account is born owned and a retry
 * recognises it; an account adopted by email is never removed or closed, whatever RemovalAction
 * says, and one that another resource took over is left to it.
 *
 * This file holds the Update and the Delete; the Create is account-create.ts, and what both read and
 * set on an account (its properties, parent, name, tags) is account-state.ts.
 */
import {
  Account as OrgAccount,
  CloseAccountCommand,
  RemoveAccountFromOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { isCreateComplete, onCreate } from './account-create';
import { AccountSpec, attributes, describeAccount, ensureParent, findAccountByEmail, parseAccountProps, rename, restoreName, sameEmail, syncAccountTags } from './account-state';
import type { AdoptionRecord } from './shared/adoption';
import { organizationRootId } from './shared/attachments';
import { call } from './shared/call';
import { now, realMs } from './shared/clock';
import { isError, reasonOf, UserError } from './shared/errors';
import { resourceHandler } from './shared/lifecycle';
import { assertNoOwnershipKeys, OwnershipTags, ownerOf, settleDelete, undoCancelledCreate } from './shared/ownership';
import type {
  DeleteEvent,
  HandlerContext,
  IsCompleteRequest,
  IsCompleteResponse,
  OnEventResponse,
  ResourceHandler,
  UpdateEvent,
} from './shared/types';
import { AccountProperty, AccountRemovalAction, IdPattern } from '../src/private/contract';

/** Keys that onDelete passes to isComplete while `CloseAccount` waits for a free closure slot. */
export const CloseState = {
  /** Epoch milliseconds of the first CloseAccount attempt. */
  STARTED_AT: 'CloseStartedAt',
} as const;

/** Messages for the `ConstraintViolationException` reasons RemoveAccountFromOrganization can return. */
function removeConstraintMessage(accountId: string, reason: string | undefined, message: string): string {
  const prefix = `Cannot remove account ${accountId} from the organization (RemovalAction ${AccountRemovalAction.REMOVE_FROM_ORGANIZATION})`;
  const advice: Record<string, string> = {
    WAIT_PERIOD_ACTIVE: 'an account created in the organization can only be removed 4 days after its creation. Retry the deletion after that, or set RemovalAction RETAIN.',
    ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA: 'the account has not accepted the AWS Customer Agreement, which a standalone account needs. Sign in to the account, accept it, then retry; or set RemovalAction RETAIN.',
    ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION: 'the account has not completed phone verification, which a standalone account needs. Sign in to the account, complete it, then retry; or set RemovalAction RETAIN.',
    MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED: 'the account has no payment method, which a standalone account needs. Sign in to the account, add one, then retry; or set RemovalAction RETAIN.',
    ACCOUNT_CANNOT_LEAVE_ORGANIZATION: 'it is the management account, which cannot leave its own organization. Set RemovalAction RETAIN.',
    CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG: 'it is a delegated administrator. Deregister it (remove its DelegatedAdministrator resources) first, then retry.',
  };
  return `${prefix}: ${advice[reason ?? ''] ?? `${reason ?? 'ConstraintViolationException'}: ${message}`}`;
}

/** Messages for the `ConstraintViolationException` reasons CloseAccount can return. */
function closeConstraintMessage(accountId: string, reason: string | undefined, message: string): string {
  const prefix = `Cannot close account ${accountId} (RemovalAction ${AccountRemovalAction.CLOSE})`;
  const advice: Record<string, string> = {
    CLOSE_ACCOUNT_QUOTA_EXCEEDED: 'the organization has reached the account closure quota (within any rolling 30 days, the higher of 250 or 20% of member accounts, at most 1,000; not adjustable). Retry the deletion once older closures leave the 30-day window, or set RemovalAction RETAIN or REMOVE_FROM_ORGANIZATION.',
    CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED: 'too many accounts are being closed at the same time (at most 3 at once). Retry the deletion in a few minutes.',
    CANNOT_CLOSE_MANAGEMENT_ACCOUNT: 'it is the management account, which CloseAccount cannot close. Set RemovalAction RETAIN.',
  };
  return `${prefix}: ${advice[reason ?? ''] ?? `${reason ?? 'ConstraintViolationException'}: ${message}`}`;
}

/** Normalised values of the properties that only apply when the account is created. */
function creationOnly(spec: AccountSpec): Record<string, string> {
  return { [AccountProperty.ROLE_NAME]: spec.roleName, [AccountProperty.IAM_USER_ACCESS_TO_BILLING]: spec.iamUserAccessToBilling };
}

async function onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAccountProps(event.ResourceProperties);
  const old = parseAccountProps(event.OldResourceProperties);
  const accountId = event.PhysicalResourceId;
  const label = `Account "${spec.accountName}" (${accountId})`;

  // Refusals come before any mutation, so a refused update changes nothing.
  assertNoOwnershipKeys(spec.tags, AccountProperty.TAGS, label);
  const newOnly = creationOnly(spec);
  const oldOnly = creationOnly(old);
  for (const [name, value] of Object.entries(newOnly)) {
    const before = oldOnly[name];
    if (before !== value) {
      throw new UserError(`${label}: ${name} cannot change from ${JSON.stringify(before)} to ${JSON.stringify(value)}. `
        + `${name} only applies when CreateAccount creates the account, and no API changes it afterwards `
        + `(replacing the resource would create a new AWS account). Revert ${name} to ${JSON.stringify(before)}; `
        + (name === AccountProperty.ROLE_NAME ? 'to grant another role access, create it in the member account yourself. ' : 'to change billing access, use the account\'s Billing console. ')
        + `(No API reads ${name} back, so the rollback of a refused change is refused too: if the stack is UPDATE_ROLLBACK_FAILED on this resource, `
        + `run "aws cloudformation continue-update-rollback --stack-name <stack> --resources-to-skip ${event.LogicalResourceId}"; the account was not changed.)`);
    }
  }

  let account: OrgAccount;
  try {
    account = await describeAccount(accountId, ctx);
  } catch (error) {
    if (!isError(error, 'AccountNotFoundException')) throw error;
    throw new UserError(`${label}: the account is no longer a member of this organization (AccountNotFoundException), so it cannot be updated. `
      + 'Remove the resource from the stack, or invite the account back.');
  }
  // The real email decides, so rolling back a refused change (new = actual) always converges.
  if (!sameEmail(spec.email, old.email) && !sameEmail(account.Email, spec.email)) {
    throw new UserError(`${label}: Email cannot change from ${old.email} to ${spec.email} through CloudFormation. `
      + 'Changing the primary email needs a one-time password sent to the new address (Account Management StartPrimaryEmailUpdate, then AcceptPrimaryEmailUpdate), '
      + 'and replacing the resource would create a new AWS account. '
      + `Revert Email to the account's current email ${account.Email}; change it in the console or with that OTP flow, then set Email to the new address.`);
  }

  // A parent no longer declared means the default again: the root.
  const desiredParent = spec.parentId ?? (old.parentId ? await organizationRootId(ctx) : undefined);
  const parentId = await ensureParent(accountId, desiredParent, ctx);
  if (account.Name !== spec.accountName) await rename(accountId, account.Name, spec.accountName, label, ctx);
  // Compared with the tags the account has now, so a retry or a rollback converges; the same
  // ListTagsForResource confirms the ownership (an adopted account stays adopted).
  await syncAccountTags(accountId, old.tags, spec, ownerOf(event), ctx, { confirm: true });
  return { PhysicalResourceId: accountId, Data: await attributes(accountId, parentId, ctx) };
}

/** Closes the account, or says it must wait for a closure slot; `true` once closed or closing. */
async function tryClose(accountId: string, ctx: HandlerContext): Promise<boolean> {
  let account: OrgAccount;
  try {
    account = await describeAccount(accountId, ctx);
  } catch (error) {
    if (isError(error, 'AccountNotFoundException')) return true;
    throw error;
  }
  const state = account.State ?? account.Status;
  if (state === 'PENDING_CLOSURE' || state === 'SUSPENDED' || state === 'CLOSED') return true;
  // A closed account stays in the organization, in its OU, for 90 days: moved to the root first, it
  // keeps no OU from being deleted (the OU it was in is often removed in the same deployment).
  await ensureParent(accountId, await organizationRootId(ctx), ctx);
  try {
    await call(ctx, 'organizations', new CloseAccountCommand({ AccountId: accountId }));
    return true;
  } catch (error) {
    if (isError(error, 'AccountAlreadyClosedException', 'AccountNotFoundException')) return true;
    if (isError(error, 'ConstraintViolationException')) {
      if (reasonOf(error) === 'CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED') return false;
      throw new UserError(closeConstraintMessage(accountId, reasonOf(error), (error as Error).message));
    }
    throw error;
  }
}

/** Puts back where an adopted or taken-over account was, and its name (the record's tags are the caller's). */
async function restoreClaimed(accountId: string, record: AdoptionRecord, ctx: HandlerContext): Promise<void> {
  if (record.parentId) await ensureParent(accountId, record.parentId, ctx);
  if (record.name !== undefined) await restoreName(accountId, record.name, ctx);
}

async function onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const accountId = event.PhysicalResourceId;
  const spec = parseAccountProps(event.ResourceProperties);
  const removal = spec.removalAction;
  if (!IdPattern.ACCOUNT.test(accountId)) {
    // CloudFormation never learnt the account: nothing is removed, but a takeover the Create made is given back.
    return undoCancelledCreate(event, ctx, async () => {
      const existing = await findAccountByEmail(spec.email, ctx);
      return existing?.Id ? { resourceId: existing.Id, keys: OwnershipTags.resource(), what: `account ${existing.Id}` } : undefined;
    }, undefined, (owned, record) => restoreClaimed(owned.resourceId, record, ctx));
  }
  // Only an account this resource owns is removed or closed: never one adopted by email (whatever
  // RemovalAction says), nor one another resource took over.
  const owned = { resourceId: accountId, keys: OwnershipTags.resource(), what: `account ${accountId}` };
  const decision = await settleDelete(owned, event, ctx, record => restoreClaimed(accountId, record, ctx));
  if (decision.kind !== 'destroy') return {};
  if (removal === AccountRemovalAction.RETAIN) {
    ctx.log('retaining account', { accountId });
    return {};
  }
  if (removal === AccountRemovalAction.REMOVE_FROM_ORGANIZATION) {
    try {
      await call(ctx, 'organizations', new RemoveAccountFromOrganizationCommand({ AccountId: accountId }));
    } catch (error) {
      if (isError(error, 'AccountNotFoundException')) return {};
      if (isError(error, 'ConstraintViolationException')) throw new UserError(removeConstraintMessage(accountId, reasonOf(error), (error as Error).message));
      if (isError(error, 'MasterCannotLeaveOrganizationException')) throw new UserError(removeConstraintMessage(accountId, 'ACCOUNT_CANNOT_LEAVE_ORGANIZATION', (error as Error).message));
      throw error;
    }
    return {};
  }
  if (await tryClose(accountId, ctx)) return {};
  ctx.log('closure slots busy; isComplete will retry CloseAccount', { accountId });
  return { Data: { [CloseState.STARTED_AT]: String(now()) } };
}

async function isDeleteComplete(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  const startedAt = Number(event.Data?.[CloseState.STARTED_AT]);
  if (!startedAt) return { IsComplete: true };
  const accountId = event.PhysicalResourceId!;
  if (await tryClose(accountId, ctx)) return { IsComplete: true };
  const spec = parseAccountProps(event.ResourceProperties);
  if (now() - startedAt > realMs(spec.createTimeoutSeconds * 1000)) {
    throw new UserError(closeConstraintMessage(accountId, 'CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED', '') + ` (still refused after ${spec.createTimeoutSeconds} s)`);
  }
  return { IsComplete: false };
}

async function isComplete(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  if (event.RequestType === 'Delete') return isDeleteComplete(event, ctx);
  if (event.RequestType !== 'Create') return { IsComplete: true };
  return isCreateComplete(event, ctx);
}

/** The handler of `Custom::Organizations_Account`. */
export const account: ResourceHandler = resourceHandler({ onCreate, onUpdate, onDelete, isComplete });
