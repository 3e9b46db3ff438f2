/**
 * An Account resource's properties, and the calls that read an account and bring its parent, name
 * and tags to what they declare: shared by the Create (account-create.ts), the Update and the
 * Delete (account.ts).
 */
import { PutAccountNameCommand } from '@aws-sdk/client-account';
import {
  Account as OrgAccount,
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  DisableAWSServiceAccessCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListAccountsCommand,
  ListParentsCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { call, callAllPages } from './shared/call';
import { isError, reasonOf, UserError } from './shared/errors';
import { Claim, ClaimPlan, syncTagsAndClaim } from './shared/ownership';
import { booleanProperty, numberProperty, optionalString, requiredString, tagList } from './shared/properties';
import type {
  HandlerContext,
  Properties,
} from './shared/types';
import { AccountAttrs, AccountProperty, AccountRemovalAction, DEFAULT_CREATE_TIMEOUT_SECONDS, DEFAULT_ROLE_NAME, WireTag } from '../src/private/contract';

/** `IamUserAccessToBilling` when the property is absent, as documented for `CreateAccount`. */
export const DEFAULT_IAM_USER_ACCESS_TO_BILLING = 'ALLOW';

export type RemovalAction = typeof AccountRemovalAction[keyof typeof AccountRemovalAction];

/** The typed form of the resource's wire properties. */
export interface AccountSpec {
  readonly accountName: string;
  readonly email: string;
  /** Absent means "wherever CreateAccount puts it" (the root). */
  readonly parentId?: string;
  readonly roleName: string;
  readonly iamUserAccessToBilling: 'ALLOW' | 'DENY';
  readonly tags: WireTag[];
  readonly adoptExisting: boolean;
  readonly removalAction: RemovalAction;
  readonly createTimeoutSeconds: number;
}

/**
 * Parses `ResourceProperties` of an Account. Every scalar arrives as a string: `AdoptExisting`
 * "false" is false, `CreateTimeoutSeconds` is parsed as a number.
 */
export function parseAccountProps(props: Properties): AccountSpec {
  const billing = optionalString(props, AccountProperty.IAM_USER_ACCESS_TO_BILLING) ?? DEFAULT_IAM_USER_ACCESS_TO_BILLING;
  if (billing !== 'ALLOW' && billing !== 'DENY') {
    throw new Error(`Property ${AccountProperty.IAM_USER_ACCESS_TO_BILLING} must be "ALLOW" or "DENY", got ${JSON.stringify(billing)}`);
  }
  const removal = optionalString(props, AccountProperty.REMOVAL_ACTION) ?? AccountRemovalAction.RETAIN;
  if (!Object.values(AccountRemovalAction).includes(removal as RemovalAction)) {
    throw new Error(`Property ${AccountProperty.REMOVAL_ACTION} must be one of ${Object.values(AccountRemovalAction).join(', ')}, got ${JSON.stringify(removal)}`);
  }
  const timeout = numberProperty(props, AccountProperty.CREATE_TIMEOUT_SECONDS, DEFAULT_CREATE_TIMEOUT_SECONDS);
  if (timeout <= 0) throw new Error(`Property ${AccountProperty.CREATE_TIMEOUT_SECONDS} must be a positive number of seconds, got ${timeout}`);
  return {
    accountName: requiredString(props, AccountProperty.ACCOUNT_NAME),
    email: requiredString(props, AccountProperty.EMAIL),
    parentId: optionalString(props, AccountProperty.PARENT_ID),
    roleName: optionalString(props, AccountProperty.ROLE_NAME) ?? DEFAULT_ROLE_NAME,
    iamUserAccessToBilling: billing,
    tags: tagList(props, AccountProperty.TAGS),
    adoptExisting: booleanProperty(props, AccountProperty.ADOPT_EXISTING, true),
    removalAction: removal as RemovalAction,
    createTimeoutSeconds: timeout,
  };
}

export const sameEmail = (a: string | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();

/** The most accounts one ListAccounts call returns (the API's maximum): fewer pages per listing. */
export const LIST_ACCOUNTS_MAX_RESULTS = 20;

/** Every account of the organization, and the ListAccounts calls that took. */
export async function listOrganizationAccounts(ctx: HandlerContext): Promise<{ readonly accounts: OrgAccount[]; readonly pages: number }> {
  let pages = 0;
  const accounts = await callAllPages(ctx, 'organizations', token => {
    pages++;
    return new ListAccountsCommand({ NextToken: token, MaxResults: LIST_ACCOUNTS_MAX_RESULTS });
  }, page => page.Accounts);
  return { accounts, pages };
}

export async function findAccountByEmail(email: string, ctx: HandlerContext): Promise<OrgAccount | undefined> {
  return (await listOrganizationAccounts(ctx)).accounts.find(a => sameEmail(a.Email, email));
}

export async function describeAccount(accountId: string, ctx: HandlerContext): Promise<OrgAccount> {
  const out = await call(ctx, 'organizations', new DescribeAccountCommand({ AccountId: accountId }));
  return out.Account ?? {};
}

export async function parentOf(accountId: string, ctx: HandlerContext): Promise<string | undefined> {
  const out = await call(ctx, 'organizations', new ListParentsCommand({ ChildId: accountId }));
  return out.Parents?.[0]?.Id;
}

/** Moves the account under `parentId` unless it is already there; returns where it is now. */
export async function ensureParent(accountId: string, parentId: string | undefined, ctx: HandlerContext): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await parentOf(accountId, ctx);
    if (!parentId || current === parentId) return current;
    try {
      await call(ctx, 'organizations', new MoveAccountCommand({
        AccountId: accountId, SourceParentId: current, DestinationParentId: parentId,
      }));
      return parentId;
    } catch (error) {
      // A concurrent retry of this same request may have moved it already.
      if (isError(error, 'DuplicateAccountException')) return parentId;
      if (isError(error, 'DestinationParentNotFoundException', 'InvalidInputException')) {
        throw new UserError(`Cannot move account ${accountId} to ${parentId}: ${(error as Error).name}${reasonOf(error) ? ` ${reasonOf(error)}` : ''} (${(error as Error).message}). `
          + `Check ${AccountProperty.PARENT_ID}: it must be the root (r-...) or an OU (ou-...-...) of this organization that still exists.`);
      }
      // Moved elsewhere between our look and the move (a late request's undo, say): look again.
      if (!isError(error, 'SourceParentNotFoundException', 'AccountNotFoundException') || attempt >= 3) throw error;
    }
  }
}

/** The attributes of the resource, under the contract's names, from the account as it is now. */
export async function attributes(accountId: string, parentId: string | undefined, ctx: HandlerContext,
  described?: OrgAccount): Promise<Record<string, string>> {
  const account = described ?? await describeAccount(accountId, ctx);
  return {
    [AccountAttrs.ACCOUNT_ID]: accountId,
    [AccountAttrs.ACCOUNT_ARN]: account.Arn ?? '',
    [AccountAttrs.ACCOUNT_NAME]: account.Name ?? '',
    [AccountAttrs.EMAIL]: account.Email ?? '',
    [AccountAttrs.PARENT_ID]: parentId ?? await parentOf(accountId, ctx) ?? '',
    [AccountAttrs.JOINED_METHOD]: account.JoinedMethod ?? '',
    [AccountAttrs.JOINED_TIMESTAMP]: account.JoinedTimestamp ? new Date(account.JoinedTimestamp).toISOString() : '',
  };
}

/** Account Management's service principal: renaming a member account needs its trusted access. */
export const ACCOUNT_MANAGEMENT = 'account.amazonaws.com';

/** PutAccountName, addressed as Account Management wants: no AccountId for the management account itself. */
export async function putAccountName(accountId: string, from: string | undefined, to: string, ctx: HandlerContext, why?: string): Promise<void> {
  const organization = await call(ctx, 'organizations', new DescribeOrganizationCommand({}));
  const target = organization.Organization?.MasterAccountId === accountId ? undefined : accountId;
  await call(ctx, 'account', new PutAccountNameCommand({ AccountId: target, AccountName: to }), { log: { accountId, from, why } });
}

/** Renames the account with Account Management's PutAccountName (the management account names itself). */
export async function rename(accountId: string, from: string | undefined, to: string, label: string, ctx: HandlerContext): Promise<void> {
  try {
    await putAccountName(accountId, from, to, ctx);
  } catch (error) {
    if (!isError(error, 'AccessDeniedException')) throw error;
    throw new UserError(`${label}: PutAccountName (Account Management API) was denied renaming "${from}" to "${to}": `
      + `renaming a member account needs all features and trusted access for ${ACCOUNT_MANAGEMENT} (enable that service access in this organization), `
      + `and the provider role needs account:PutAccountName. ${(error as Error).message}`);
  }
}

/**
 * Puts back the name a claim changed. A rollback may have disabled trusted access for Account
 * Management (its deploy enabled it) before an abandoned request's rename landed: the undo then
 * enables it for the one call and disables it again, so both end as they were before the deploy.
 */
export async function restoreName(accountId: string, name: string, ctx: HandlerContext): Promise<void> {
  try {
    await putAccountName(accountId, undefined, name, ctx, 'undo of a claim');
    return;
  } catch (error) {
    if (!isError(error, 'AccessDeniedException')) throw error;
    const enabled = await callAllPages(ctx, 'organizations', token => new ListAWSServiceAccessForOrganizationCommand({ NextToken: token }),
      page => page.EnabledServicePrincipals);
    if (enabled.some(p => p.ServicePrincipal === ACCOUNT_MANAGEMENT)) throw error;
  }
  const why = `the undo of a claim renames the account, and trusted access for ${ACCOUNT_MANAGEMENT} is off (the rollback disabled it): on for this rename only`;
  await call(ctx, 'organizations', new EnableAWSServiceAccessCommand({ ServicePrincipal: ACCOUNT_MANAGEMENT }), { log: { why } });
  try {
    await putAccountName(accountId, undefined, name, ctx, 'undo of a claim');
  } finally {
    await call(ctx, 'organizations', new DisableAWSServiceAccessCommand({ ServicePrincipal: ACCOUNT_MANAGEMENT }), { log: { why } });
  }
}

/**
 * The declared name, on an account this resource found (adopted, taken over, or claimed again from
 * an earlier operation): the declaration is applied whole, and the claim's record holds the name
 * from before, for a rollback to put back.
 */
export async function ensureName(account: OrgAccount, spec: AccountSpec, ctx: HandlerContext): Promise<void> {
  if (account.Name === spec.accountName) return;
  await rename(account.Id!, account.Name, spec.accountName, `Account "${spec.accountName}" (${account.Id})`, ctx);
}

/** The user's tags and the ownership of an account, in one ListTagsForResource and one TagResource at most. */
export function syncAccountTags(accountId: string, oldTags: readonly WireTag[], spec: AccountSpec, me: string, ctx: HandlerContext,
  options: { current?: ReadonlyMap<string, string>; confirm?: boolean; plan?: ClaimPlan } = {}): Promise<Claim> {
  // Only the declared keys are set: tags someone else put on the account stay.
  return syncTagsAndClaim(accountId, oldTags, spec.tags, ctx, { ...options, me, created: false, what: `account "${spec.accountName}" (${accountId})` });
}
