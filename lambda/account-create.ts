/**
 * The Create of `Custom::Organizations_Account`: one reconciliation step, repeated by onCreate and
 * every isComplete poll, that resumes a request in progress, finds the account by email (its own,
 * adopted, or taken over) and only when none exists calls CreateAccount, so any number of retries
 * creates at most one account.
 */
import {
  Account as OrgAccount,
  CreateAccountCommand,
  CreateAccountState,
  CreateAccountStatus,
  DescribeCreateAccountStatusCommand,
  ListCreateAccountStatusCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { AccountSpec, attributes, describeAccount, ensureName, ensureParent, listOrganizationAccounts, parentOf, parseAccountProps, sameEmail, syncAccountTags } from './account-state';
import { call, callAllPages } from './shared/call';
import { now, realMs } from './shared/clock';
import { isError, reasonOf, UserError } from './shared/errors';
import { assertNoOwnershipKeys, bornTags, ClaimPlan, claimRecorded, OwnershipTags, ownerOf, ownershipIn, planClaim } from './shared/ownership';
import { RETRYABLE_ERRORS } from './shared/retry';
import { applyTagChanges, listTags } from './shared/tags';
import type {
  CreateEvent,
  HandlerContext,
  IsCompleteRequest,
  IsCompleteResponse,
  OnEventResponse,
} from './shared/types';
import { AccountAttrs, AccountProperty, DEFAULT_CREATE_TIMEOUT_SECONDS } from '../src/private/contract';

/**
 * Keys that onCreate passes to isComplete in `Data` while an account is being created. The
 * provider framework hands onEvent's result to every isComplete poll and allows no `Data` on an
 * incomplete answer, so these are the only state that survives between polls.
 */
export const CreateState = {
  /** Epoch milliseconds at which the Create request started: the origin of CreateTimeoutSeconds. */
  STARTED_AT: 'CreateStartedAt',
  /** Id (`car-...`) of the accepted CreateAccount request; absent while CreateAccount was refused for now. */
  REQUEST_ID: 'CreateAccountRequestId',
} as const;

/**
 * FailureReasons after which nothing was created and a new request may succeed: another change to
 * the organization's accounts was in progress. Inside the wait they mean "submit again".
 */
const RETRY_LATER_REASONS: readonly string[] = ['CONCURRENT_ACCOUNT_MODIFICATION'];

/**
 * CreateAccount requests AWS runs at once per organization ("Number of concurrent account creation
 * requests"): one more is refused with ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED.
 */
const MAX_CREATIONS_IN_PROGRESS = 5;

/** Tolerance between this function's clock and the timestamps AWS puts on CreateAccount requests. */
const CLOCK_SLACK_MS = 5_000;

/**
 * The message a failed `CreateAccount` request becomes, one per `FailureReason` of
 * `CreateAccountStatus`: what happened and what the user can do about it.
 */
export function createAccountFailureMessage(reason: string | undefined, spec: Pick<AccountSpec, 'accountName' | 'email'>, requestId: string): string {
  const what = `CreateAccount request ${requestId} for account "${spec.accountName}" (${spec.email}) FAILED with ${reason ?? 'no FailureReason'}`;
  const advice: Record<string, string> = {
    EMAIL_ALREADY_EXISTS: `the email ${spec.email} already belongs to an AWS account outside this organization (every AWS account needs a unique email). Invite that account to the organization (InviteAccountToOrganization) and declare it again once it has joined (it is adopted by email), or use another Email.`,
    ACCOUNT_LIMIT_EXCEEDED: 'the organization has reached its quota of accounts (Organizations "Default maximum number of accounts"; closed accounts count until permanently closed). Request an increase in Service Quotas (or from AWS Support) and redeploy.',
    CONCURRENT_ACCOUNT_MODIFICATION: 'another change to the organization\'s accounts was in progress. Nothing was created: redeploy to try again.',
    INTERNAL_FAILURE: 'AWS had an internal failure. Nothing was created: redeploy to try again, and contact AWS Support if it persists.',
    INVALID_EMAIL: `AWS rejected the email ${spec.email} as invalid. Fix the Email property and redeploy.`,
    INVALID_ADDRESS: 'AWS rejected the address copied from the management account as invalid. Correct the management account\'s contact address in the Billing console and redeploy.',
    GOVCLOUD_ACCOUNT_ALREADY_EXISTS: `an AWS GovCloud (US) account with the email ${spec.email} already exists. Use another Email.`,
    FAILED_BUSINESS_VALIDATION: 'the management account failed AWS business validation. Complete the business validation the management account\'s Billing console asks for (or contact AWS Support), then redeploy.',
    PENDING_BUSINESS_VALIDATION: 'the management account\'s business validation is still pending. Wait until AWS has validated it, then redeploy.',
    INVALID_IDENTITY_FOR_BUSINESS_VALIDATION: 'the identity documents of the management account failed business validation. Update them as the Billing console asks (or contact AWS Support), then redeploy.',
    UNKNOWN_BUSINESS_VALIDATION: 'the business validation of the management account could not be determined. Contact AWS Support, then redeploy.',
    MISSING_BUSINESS_VALIDATION: 'the management account has not completed business validation. Complete it in the Billing console, then redeploy.',
    MISSING_PAYMENT_INSTRUMENT: 'the management account has no valid payment method. Add one in the Billing console, then redeploy.',
    INVALID_PAYMENT_INSTRUMENT: 'the management account\'s payment method is not valid. Update it in the Billing console, then redeploy.',
    UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED: 'the request combined tags with an update of an existing resource policy, which AWS does not support. Deploy without Tags on this account, then add them in a later deployment.',
  };
  return `${what}: ${advice[reason ?? ''] ?? 'see the CreateAccountStatus FailureReason in the AWS Organizations API reference; nothing was created, so fix the cause and redeploy.'}`;
}

/** A CreateAccount call refused outright (not "try later"), as an error the user can act on. */
function createRejection(error: unknown, spec: Pick<AccountSpec, 'accountName'>): unknown {
  if (!isError(error, 'ConstraintViolationException', 'InvalidInputException', 'AccessDeniedException', 'AWSOrganizationsNotInUseException')) return error;
  const reason = reasonOf(error);
  const advice: Record<string, string> = {
    ACCOUNT_NUMBER_LIMIT_EXCEEDED: 'the organization has reached its quota of accounts (Organizations "Default maximum number of accounts"; closed accounts count until permanently closed). Request an increase in Service Quotas (or from AWS Support) and redeploy.',
    MASTER_ACCOUNT_MISSING_CONTACT_INFO: 'the management account needs a valid contact address and phone number first. Add them in the Billing console and redeploy.',
    MASTER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED: 'the management account needs a valid payment method first. Add one in the Billing console and redeploy.',
    MASTER_ACCOUNT_ADDRESS_DOES_NOT_MATCH_MARKETPLACE: 'the management account must first be migrated to the marketplace of its address (for example AISPL for India). Contact AWS Support.',
  };
  const detail = advice[reason ?? ''] ?? `${(error as Error).name}${reason ? ` ${reason}` : ''}: ${(error as Error).message}`;
  return new UserError(`CreateAccount for account "${spec.accountName}" was refused: ${detail}`);
}

/** Errors after which CreateAccount is worth trying again later, inside the wait. */
function isCreateRefusedForNow(error: unknown): boolean {
  if (isError(error, ...RETRYABLE_ERRORS, 'FinalizingOrganizationException')) return true;
  // More than 5 requests in progress, or the daily creation rate: a later poll can succeed.
  return isError(error, 'ConstraintViolationException') && reasonOf(error) === 'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED';
}

async function listCreateStatuses(state: CreateAccountState, ctx: HandlerContext): Promise<CreateAccountStatus[]> {
  return callAllPages(ctx, 'organizations', token => new ListCreateAccountStatusCommand({ States: [state], NextToken: token }), page => page.CreateAccountStatuses);
}

/** Where a Create stands, found by looking at the organization rather than trusting any memory. */
type CreateProgress =
  | { readonly kind: 'done'; readonly accountId: string; readonly data: Record<string, string> }
  | { readonly kind: 'waiting'; readonly requestId?: string };

/** Whether the Create started more than CreateTimeoutSeconds ago. */
function overdue(spec: AccountSpec, startedAt: number): boolean {
  return now() - startedAt > realMs(spec.createTimeoutSeconds * 1000);
}

function timeoutError(spec: AccountSpec, requestId: string | undefined): UserError {
  const which = requestId ? `CreateAccount request ${requestId} is still IN_PROGRESS` : 'CreateAccount was refused for now (throttling or 5 creations already in progress) the whole time';
  return new UserError(`Account "${spec.accountName}" (${spec.email}): ${which} after ${spec.createTimeoutSeconds} s (${AccountProperty.CREATE_TIMEOUT_SECONDS}). `
    + 'Deploy again to keep waiting: this resource resumes waiting on the same request, and finds the account it created once it exists '
    + '(by its owner tag), so no second account is created. Raising CreateTimeoutSeconds helps only up to '
    + `${DEFAULT_CREATE_TIMEOUT_SECONDS} s (45 minutes): CloudFormation waits at most one hour for a custom resource in one deployment.`);
}

/**
 * One reconciliation step of a Create: finds a request in progress under the same name, then the
 * account by email, then a request of ours that failed, and only when none exists calls
 * CreateAccount. Repeating it any number of times creates at most one account. `me` is the
 * resource's owner identity (shared/ownership.ts), which CreateAccount puts on the account.
 */
async function reconcileCreate(spec: AccountSpec, me: string, startedAt: number, ctx: HandlerContext,
  poll = false, fresh = false): Promise<CreateProgress> {
  // Requests in progress first: one that completes while we look is then found by its email
  // (unless the listing predates it: then the CreateAccount below fails with EMAIL_ALREADY_EXISTS,
  // and the poll that sees it reconciles with a fresh listing).
  const running = await listCreateStatuses('IN_PROGRESS', ctx);
  const inProgress = running.find(s => s.AccountName === spec.accountName);
  if (inProgress?.Id) {
    if (overdue(spec, startedAt)) throw timeoutError(spec, inProgress.Id);
    ctx.log('resuming CreateAccount request in progress', { requestId: inProgress.Id });
    return { kind: 'waiting', requestId: inProgress.Id };
  }
  const full = running.length >= MAX_CREATIONS_IN_PROGRESS;
  // A poll after this resource was refused has made nothing since: while the quota stays full it
  // waits, without listing the organization's accounts (whose number would make every poll grow).
  if (full && poll) {
    if (overdue(spec, startedAt)) throw timeoutError(spec, undefined);
    return { kind: 'waiting' };
  }

  const existing = await settleExisting(spec, me, startedAt, ctx, fresh);
  if (existing) return existing;

  // A request of ours that failed since this Create started: none can have, before its first step.
  const failed = poll ? (await listCreateStatuses('FAILED', ctx)).find(s => s.AccountName === spec.accountName
    && !RETRY_LATER_REASONS.includes(s.FailureReason ?? '')
    && s.RequestedTimestamp !== undefined && new Date(s.RequestedTimestamp).getTime() >= startedAt - CLOCK_SLACK_MS) : undefined;
  if (failed?.Id) {
    // Reported only when no member has the email now: the listing trusted above may predate it.
    const found = fresh ? undefined : await settleExisting(spec, me, startedAt, ctx, true);
    if (found) return found;
    throw new UserError(createAccountFailureMessage(failed.FailureReason, spec, failed.Id));
  }

  if (overdue(spec, startedAt)) throw timeoutError(spec, undefined);
  // A CreateAccount sent now would be refused and spend the operation's throttle token for nothing.
  if (full) {
    ctx.log('waiting for a free creation slot', { inProgress: running.length });
    return { kind: 'waiting' };
  }
  return submitCreate(spec, me, ctx, poll);
}

/**
 * The organization's accounts as this execution environment last listed them. Emails are unique
 * across AWS: CreateAccount for an email that already belongs to a member fails
 * (EMAIL_ALREADY_EXISTS) and creates nothing, and that failure reconciles with a fresh listing
 * (pollCreate). So a listing gone stale can only cost a member that joined since it was taken one
 * failed request before it is adopted, never a second account; the first step of a Create may
 * trust it for "absent". Reused, a listing costs a fraction of a call per Create instead of one
 * call per 20 accounts of the organization, which would make calls per account grow with its size.
 */
interface AccountsListing {
  /** When it was taken (epoch ms on the handlers' clock). */
  readonly takenAt: number;
  /** Lower-cased email -> account. */
  readonly byEmail: ReadonlyMap<string, OrgAccount>;
  /** ListAccounts calls it took. */
  readonly pages: number;
  /** Creates it has answered since. */
  served: number;
}

/**
 * A listing answers at most this many Creates per ListAccounts call it took, so that listings cost
 * at most a quarter of a call per created account whatever the organization's size.
 */
const CREATES_PER_LISTING_PAGE = 4;

/**
 * Nor is a listing older than this reused (simulated ms): a member that joined since (invited, or
 * created outside this stack) is then adopted at once, not after a failed CreateAccount.
 */
const LISTING_MAX_AGE_MS = 10 * 60_000;

const listings = new WeakMap<object, AccountsListing>();

async function listAccounts(ctx: HandlerContext): Promise<AccountsListing> {
  const { accounts, pages } = await listOrganizationAccounts(ctx);
  const listing = { takenAt: now(), byEmail: new Map(accounts.map(a => [(a.Email ?? '').toLowerCase(), a])), pages, served: 0 };
  if (ctx.memory) listings.set(ctx.memory, listing);
  return listing;
}

/**
 * The member with this email, if any. Unless `fresh`, a listing this environment took recently
 * may answer "none" (see {@link AccountsListing}); a member it names is read again with
 * DescribeAccount, since its name, state or email may have changed since.
 */
async function accountWithEmail(email: string, ctx: HandlerContext, fresh: boolean): Promise<OrgAccount | undefined> {
  const kept = fresh || !ctx.memory ? undefined : listings.get(ctx.memory);
  const usable = kept && kept.served < kept.pages * CREATES_PER_LISTING_PAGE && now() - kept.takenAt <= realMs(LISTING_MAX_AGE_MS);
  if (!usable) return (await listAccounts(ctx)).byEmail.get(email.toLowerCase());
  kept.served++;
  const listed = kept.byEmail.get(email.toLowerCase());
  if (!listed?.Id) return undefined;
  try {
    const account = await describeAccount(listed.Id, ctx);
    if (sameEmail(account.Email, email)) return account;
  } catch (error) {
    if (!isError(error, 'AccountNotFoundException')) throw error;
  }
  // It left the organization, or its email changed: look afresh.
  return (await listAccounts(ctx)).byEmail.get(email.toLowerCase());
}

/**
 * The account of the organization with this email, if any: finished as ours when it carries this
 * resource's owner tag (its own CreateAccount, made by an interrupted attempt) or when a request of
 * the same name succeeded within the wait window; otherwise adopted (no owner) or taken over from
 * the resource that owns it (a renamed or moved construct).
 */
async function settleExisting(spec: AccountSpec, me: string, startedAt: number, ctx: HandlerContext,
  fresh: boolean): Promise<CreateProgress | undefined> {
  const existing = await accountWithEmail(spec.email, ctx, fresh);
  if (!existing?.Id) return undefined;
  const state = existing.State ?? existing.Status;
  if (state === 'SUSPENDED' || state === 'PENDING_CLOSURE' || state === 'CLOSED') {
    // A closed account keeps its email for 90 days and can only be reopened through AWS Support.
    throw new UserError(`Account "${spec.accountName}": the account with the email ${spec.email} (${existing.Id}) is closed (${state}), and a closed account is never `
      + 'reused: it cannot be moved, renamed or tagged, and its email cannot be given to a new account for 90 days after closure. '
      + 'Use another Email for a new account, or ask AWS Support to reopen this one within the 90 days and deploy again once it is ACTIVE.');
  }
  const tags = await listTags(existing.Id, ctx);
  const { owner } = ownershipIn(tags, OwnershipTags.resource());
  if (owner === me) {
    ctx.log('found the account this resource created', { accountId: existing.Id });
    return finishCreate(existing.Id, spec, me, ctx, tags);
  }
  if (!owner) {
    // A request accepted by an earlier, interrupted attempt counts as ours when it was made within
    // the wait window before this Create started (the window such an attempt could have used).
    const since = startedAt - spec.createTimeoutSeconds * 1000;
    const succeeded = await listCreateStatuses('SUCCEEDED', ctx);
    const ours = succeeded.find(s => s.AccountId === existing.Id && s.AccountName === spec.accountName
      && s.RequestedTimestamp !== undefined && new Date(s.RequestedTimestamp).getTime() >= since);
    if (ours) {
      ctx.log('CreateAccount request already succeeded', { requestId: ours.Id, accountId: existing.Id });
      return finishCreate(existing.Id, spec, me, ctx, tags);
    }
  }
  return adopt(existing, spec, me, owner, ctx, tags);
}

/**
 * onCreate waits out throttling for up to this long (CreateAccount refills one call every 10 s):
 * the request id it then hands to isComplete makes every poll one DescribeCreateAccountStatus,
 * whereas a poll without it must look for the request and the account again.
 */
const SUBMIT_PATIENCE_MS = 30_000;

async function submitCreate(spec: AccountSpec, me: string, ctx: HandlerContext, poll: boolean): Promise<CreateProgress> {
  try {
    // In a poll, one cheap attempt: a refusal is retried by the next poll, not by sleeping here.
    const out = await call(ctx, 'organizations', new CreateAccountCommand({
      Email: spec.email,
      AccountName: spec.accountName,
      RoleName: spec.roleName,
      IamUserAccessToBilling: spec.iamUserAccessToBilling,
      // Born owned: a retry recognises its own account, and Delete may remove or close it.
      Tags: [...spec.tags, ...bornTags(me, ctx)],
    }), { deadline: Math.min(ctx.deadline, now() + realMs(poll ? 1_000 : SUBMIT_PATIENCE_MS)) });
    const requestId = out.CreateAccountStatus?.Id;
    ctx.log('CreateAccount accepted', { requestId });
    return { kind: 'waiting', requestId };
  } catch (error) {
    if (!isCreateRefusedForNow(error)) throw createRejection(error, spec);
    ctx.log('CreateAccount refused for now, will retry', { error: (error as Error).name, reason: reasonOf(error) });
    return { kind: 'waiting' };
  }
}

/**
 * An existing account that no resource owns (`owner` undefined) is adopted, only with
 * AdoptExisting; one that another resource of this library owns is taken over (a construct
 * renamed or moved to another stack, whose Delete then leaves it to this resource).
 */
async function adopt(existing: OrgAccount, spec: AccountSpec, me: string, owner: string | undefined, ctx: HandlerContext,
  current: ReadonlyMap<string, string>): Promise<CreateProgress> {
  const accountId = existing.Id!;
  if (!spec.adoptExisting && !owner) {
    throw new UserError(`Account "${spec.accountName}": an account with the email ${spec.email} is already a member of this organization (${accountId}, "${existing.Name}"), `
      + `and adoption is off (${AccountProperty.ADOPT_EXISTING} "false"). Set adoptExisting to true to manage that account with this stack, `
      + 'or import it with Account.fromAccountId instead of creating it.');
  }
  ctx.log(owner ? 'taking over existing account from another resource' : 'adopting existing account', { accountId, owner });
  // What adopting or taking it over changes, recorded with its tags before it moves or is renamed,
  // for the rollback of this operation to put back.
  const parentBefore = await parentOf(accountId, ctx);
  const plan = planClaim(accountId, current, me, spec.tags, {
    parentId: spec.parentId !== undefined && spec.parentId !== parentBefore ? parentBefore : undefined,
    name: existing.Name !== spec.accountName ? existing.Name : undefined,
  }, ctx);
  await syncAccountTags(accountId, [], spec, me, ctx, { current, plan });
  const parentId = await ensureParent(accountId, spec.parentId, ctx);
  await ensureName(existing, spec, ctx);
  return { kind: 'done', accountId, data: await attributes(accountId, parentId, ctx) };
}

async function finishCreate(accountId: string, spec: AccountSpec, me: string, ctx: HandlerContext,
  current?: ReadonlyMap<string, string>, described?: OrgAccount, justCreated = false): Promise<CreateProgress> {
  // Made by an earlier operation of this resource and claimed again: what this one changes is
  // recorded first, for its rollback to put back (shared/adoption.ts).
  let plan: ClaimPlan | undefined;
  if (current && ownershipIn(current, OwnershipTags.resource()).owner === me && claimRecorded(current, me, ctx)) {
    const [parentBefore, account] = [await parentOf(accountId, ctx), await describeAccount(accountId, ctx)];
    plan = planClaim(accountId, current, me, spec.tags, {
      parentId: spec.parentId !== undefined && spec.parentId !== parentBefore ? parentBefore : undefined,
      name: account.Name !== spec.accountName ? account.Name : undefined,
    }, ctx);
    if (plan.record.length > 0) await applyTagChanges(accountId, { set: plan.record, remove: plan.stale }, ctx);
    plan = { ...plan, record: [], stale: [] };
  }
  // New accounts land in the root.
  const parentId = justCreated ? await placeCreated(accountId, spec, ctx) : await ensureParent(accountId, spec.parentId, ctx);
  // CreateAccount carried the tags; this only adds what a request made without them lacks. The
  // account is this resource's only when it carries its owner tag (the request was its own).
  const claim = await syncAccountTags(accountId, [], spec, me, ctx, { current: plan ? undefined : current, plan });
  if (claim === 'adopted') {
    ctx.log('account created by a request without this resource\'s owner tag: adopted, never removed or closed by it', { accountId });
  }
  // Made by an earlier operation of this resource, whose declaration may have named it otherwise.
  if (claim === 'reclaimed') await ensureName(await describeAccount(accountId, ctx), spec, ctx);
  // What the poll described is still true unless the account was renamed since (moves and tags are not in it).
  return { kind: 'done', accountId, data: await attributes(accountId, parentId, ctx, claim === 'reclaimed' ? undefined : described) };
}

/** The organization's root, as this execution environment learnt it (HandlerContext.memory). */
const roots = new WeakMap<object, string>();

/**
 * Puts an account a request just created under the declared parent. CreateAccount puts it in the
 * root: knowing the root, this environment moves it from there without ListParents (the first
 * account it places tells it the root). The move fails if the account is elsewhere (a retry of this
 * step moved it already), or if the parent is not there: ensureParent then looks, and explains.
 */
async function placeCreated(accountId: string, spec: AccountSpec, ctx: HandlerContext): Promise<string | undefined> {
  if (!ctx.memory) return ensureParent(accountId, spec.parentId, ctx);
  let from = roots.get(ctx.memory);
  if (!from) {
    from = await parentOf(accountId, ctx);
    if (from?.startsWith('r-')) roots.set(ctx.memory, from);
    if (!spec.parentId || from === spec.parentId) return from;
  } else if (!spec.parentId || spec.parentId === from) {
    // Nothing to move unless a retry of this step moved it: ensureParent reads where it is.
    return ensureParent(accountId, spec.parentId, ctx);
  }
  try {
    await call(ctx, 'organizations', new MoveAccountCommand({ AccountId: accountId, SourceParentId: from, DestinationParentId: spec.parentId }));
    return spec.parentId;
  } catch (error) {
    if (!isError(error, 'AccountNotFoundException', 'SourceParentNotFoundException', 'DuplicateAccountException',
      'DestinationParentNotFoundException', 'InvalidInputException')) throw error;
    return ensureParent(accountId, spec.parentId, ctx);
  }
}

/** One poll of a Create whose state is in `data`. */
async function pollCreate(spec: AccountSpec, me: string, data: Record<string, string>, ctx: HandlerContext): Promise<CreateProgress> {
  const startedAt = Number(data[CreateState.STARTED_AT]) || now();
  const requestId = data[CreateState.REQUEST_ID];
  if (requestId) {
    let status: CreateAccountStatus | undefined;
    try {
      const out = await call(ctx, 'organizations', new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }));
      status = out.CreateAccountStatus;
    } catch (error) {
      if (!isError(error, 'CreateAccountStatusNotFoundException')) throw error;
    }
    if (status?.State === 'IN_PROGRESS') {
      if (overdue(spec, startedAt)) throw timeoutError(spec, requestId);
      return { kind: 'waiting', requestId };
    }
    if (status?.State === 'FAILED') {
      if (status.FailureReason === 'EMAIL_ALREADY_EXISTS') {
        // An attempt racing with this one may hold the email (a request still in progress, or its
        // account), or a member the listing this Create trusted did not have yet: reconciling with a
        // fresh listing converges on it, and reports the failure otherwise.
        return reconcileCreate(spec, me, startedAt, ctx, true, true);
      }
      if (!RETRY_LATER_REASONS.includes(status.FailureReason ?? '')) throw new UserError(createAccountFailureMessage(status.FailureReason, spec, requestId));
      // Nothing was created: a later request can succeed, so this is waiting, not failure.
      ctx.log('CreateAccount request failed for now, will submit again', { requestId, reason: status.FailureReason });
    }
    if (status?.State === 'SUCCEEDED' && status.AccountId) {
      const account = await describeAccount(status.AccountId, ctx);
      if (sameEmail(account.Email, spec.email)) return finishCreate(status.AccountId, spec, me, ctx, undefined, account, true);
      // The request resumed by name belonged to another account of the same name: look again.
      ctx.log('resumed request created another account; reconciling', { requestId, accountId: status.AccountId });
    }
  }
  return reconcileCreate(spec, me, startedAt, ctx, true);
}

function createResponse(progress: CreateProgress, startedAt: number): OnEventResponse {
  if (progress.kind === 'done') return { PhysicalResourceId: progress.accountId, Data: progress.data };
  const data: Record<string, string> = { [CreateState.STARTED_AT]: String(startedAt) };
  if (progress.requestId) data[CreateState.REQUEST_ID] = progress.requestId;
  return { Data: data };
}

export async function onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const spec = parseAccountProps(event.ResourceProperties);
  assertNoOwnershipKeys(spec.tags, AccountProperty.TAGS, `Account "${spec.accountName}"`);
  const startedAt = now();
  try {
    return createResponse(await reconcileCreate(spec, ownerOf(event), startedAt, ctx), startedAt);
  } catch (error) {
    // Throttled reads are normal: isComplete reconciles again on its next poll.
    if (!isError(error, ...RETRYABLE_ERRORS)) throw error;
    ctx.log('throttled; isComplete will reconcile', { error: (error as Error).name });
    return createResponse({ kind: 'waiting' }, startedAt);
  }
}

/** One poll of a Create: done once the account exists (created, found or adopted). */
export async function isCreateComplete(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  const data = event.Data ?? {};
  // Adopted, or found already created: onCreate finished the job.
  if (data[AccountAttrs.ACCOUNT_ID]) return { IsComplete: true };
  const spec = parseAccountProps(event.ResourceProperties);
  try {
    const progress = await pollCreate(spec, ownerOf(event), data, ctx);
    if (progress.kind === 'done') return { IsComplete: true, PhysicalResourceId: progress.accountId, Data: progress.data };
    return { IsComplete: false };
  } catch (error) {
    // Throttling is normal while many accounts are created at once: try again next poll.
    if (!isError(error, ...RETRYABLE_ERRORS)) throw error;
    const startedAt = Number(data[CreateState.STARTED_AT]) || now();
    if (overdue(spec, startedAt)) throw timeoutError(spec, data[CreateState.REQUEST_ID]);
    ctx.log('throttled; will poll again', { error: (error as Error).name });
    return { IsComplete: false };
  }
}
