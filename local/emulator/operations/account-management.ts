/**
 * Account Management (the `account` service, restJson1): GetAccountInformation and
 * PutAccountName. Without AccountId an account acts on itself (the "standalone context"); with it,
 * the management account or a delegated administrator for account.amazonaws.com acts on a member
 * account, which needs all features and trusted access for account.amazonaws.com.
 */
import { fail } from '../errors';
import { AccountRecord } from '../state';
import { Context, isDelegatedAdministrator, Operations } from './common';

export const ACCOUNT_SERVICE_PRINCIPAL = 'account.amazonaws.com';

const ACCOUNT_ID = { kind: 'string', pattern: /^\d{12}$/ } as const;
/** The documented AccountName pattern: printable ASCII without < and >. */
const ACCOUNT_NAME = { kind: 'string', required: true, min: 1, max: 50, pattern: /^[ -;=?-~]+$/ } as const;

function denied(message: string): never {
  return fail('AccessDeniedException', message);
}

/** The account the call acts on, when the caller may act on it. */
function targetAccount(ctx: Context, accountId: string | undefined): AccountRecord {
  const caller = ctx.state.accounts[ctx.caller];
  if (accountId === undefined) return caller;
  const org = ctx.state.organization;
  if (!org || caller.membership?.organizationId !== org.id) {
    denied(`Account ${ctx.caller} is not in an organization, so it can only act on itself: call without AccountId.`);
  }
  if (accountId === org.managementAccountId) {
    denied('The management account can only be managed using the standalone context from the management account: call without AccountId.');
  }
  if (ctx.caller !== org.managementAccountId && !isDelegatedAdministrator(org, ctx.caller)) {
    denied(`Account ${ctx.caller} is neither the management account nor a delegated administrator, so it cannot act on account ${accountId}.`);
  }
  if (org.featureSet !== 'ALL') denied(`Organization ${org.id} has only consolidated billing features; acting on member accounts needs all features.`);
  if (!org.services[ACCOUNT_SERVICE_PRINCIPAL]) {
    denied(`Trusted access for ${ACCOUNT_SERVICE_PRINCIPAL} is not enabled in organization ${org.id}; enable it (EnableAWSServiceAccess) to manage member accounts.`);
  }
  const target = ctx.state.accounts[accountId];
  if (!target || target.membership?.organizationId !== org.id) denied(`Account ${accountId} is not a member of organization ${org.id}.`);
  return target;
}

/** Account Management's AccountState knows no PENDING_CLOSURE: a closing account is already suspended there. */
const accountState = (account: AccountRecord): string => (account.state === 'PENDING_CLOSURE' ? 'SUSPENDED' : account.state);

export const accountManagementOperations: Operations = {
  GetAccountInformation: {
    access: 'any',
    mutating: false,
    input: { AccountId: ACCOUNT_ID },
    run(ctx, input: { AccountId?: string }) {
      const account = targetAccount(ctx, input.AccountId);
      return {
        AccountId: account.id,
        AccountName: account.name,
        AccountCreatedDate: new Date(account.createdAt).toISOString(),
        AccountState: accountState(account),
      };
    },
  },

  PutAccountName: {
    access: 'any',
    mutating: true,
    input: { AccountName: ACCOUNT_NAME, AccountId: ACCOUNT_ID },
    run(ctx, input: { AccountName: string; AccountId?: string }) {
      targetAccount(ctx, input.AccountId).name = input.AccountName;
    },
  },
};
