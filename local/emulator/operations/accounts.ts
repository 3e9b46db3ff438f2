/**
 * Accounts: the asynchronous CreateAccount and its status, DescribeAccount, ListAccounts,
 * ListAccountsForParent, MoveAccount, RemoveAccountFromOrganization, LeaveOrganization and
 * CloseAccount (PENDING_CLOSURE, then SUSPENDED).
 */
import { constraintViolation, fail, invalidInput } from '../errors';
import { paginate, seqKey } from '../pagination';
import {
  AccountRecord,
  CreateAccountRequestRecord,
  EmulatorState,
  emailTaken,
  Ids,
  memberAccounts,
  OrganizationRecord,
  Tag,
} from '../state';
import { FIELDS, PAGE, PATTERNS, req, TAGS } from '../validation';
import {
  accountShape,
  assertCanLeave,
  Context,
  epochSeconds,
  isContainer,
  joinOrganization,
  leaveOrganization,
  memberAccount,
  Operations,
  organizationOf,
  withinWindow,
} from './common';
import { checkTagKeys } from './tags';

interface PageInput {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

interface CreateAccountInput {
  readonly Email: string;
  readonly AccountName: string;
  readonly RoleName?: string;
  readonly IamUserAccessToBilling?: string;
  readonly Tags?: Tag[];
}

const CREATE_ACCOUNT_INPUT = {
  Email: req(FIELDS.email),
  AccountName: req(FIELDS.accountName),
  RoleName: FIELDS.roleName,
  IamUserAccessToBilling: FIELDS.billing,
  Tags: TAGS,
};

const DAY_SECONDS = 24 * 3600;

/** Accounts that count toward the organization's quota: members in any state, and open invitations. */
export function accountsCounted(state: EmulatorState): number {
  const org = state.organization!;
  const invitations = Object.values(state.handshakes)
    .filter(h => h.organizationId === org.id && h.action === 'INVITE' && h.state === 'OPEN').length;
  return memberAccounts(state).length + invitations;
}

function statusShape(request: CreateAccountRequestRecord): object {
  return {
    Id: request.id,
    AccountName: request.accountName,
    State: request.state,
    RequestedTimestamp: epochSeconds(request.requestedAt),
    CompletedTimestamp: request.completedAt === undefined ? undefined : epochSeconds(request.completedAt),
    AccountId: request.accountId,
    FailureReason: request.failureReason,
  };
}

/** A standalone AWS account outside any organization (it can be invited, and its email is taken). */
export function createStandaloneAccount(state: EmulatorState, email: string, name: string, now: number): AccountRecord {
  if (!PATTERNS.email.test(email) || email.length > 64) throw new Error(`${JSON.stringify(email)} is not a valid email address`);
  const owner = emailTaken(state, email);
  if (owner) throw new Error(`the email ${email} already belongs to account ${owner.id}`);
  const ids = new Ids(state);
  const id = ids.accountId();
  const account: AccountRecord = { id, email, name, createdAt: now, seq: ids.next(), state: 'ACTIVE' };
  state.accounts[id] = account;
  return account;
}

/** Finishes a CreateAccount request that is due: the account exists and joined, or the request FAILED with the reason AWS gives. */
export function completeCreateAccount(ctx: Context, org: OrganizationRecord, request: CreateAccountRequestRecord): void {
  const failure = request.failWith
    ?? (request.email.toLowerCase().endsWith('.invalid') ? 'INVALID_EMAIL' : undefined)
    ?? (emailTaken(ctx.state, request.email) ? 'EMAIL_ALREADY_EXISTS' : undefined)
    ?? (accountsCounted(ctx.state) >= ctx.quotas.values.maxAccounts ? 'ACCOUNT_LIMIT_EXCEEDED' : undefined);
  request.completedAt = ctx.now;
  if (failure) {
    request.state = 'FAILED';
    request.failureReason = failure;
    return;
  }
  const id = ctx.ids.accountId();
  const account: AccountRecord = { id, email: request.email, name: request.accountName, createdAt: ctx.now, seq: ctx.ids.next(), state: 'ACTIVE' };
  ctx.state.accounts[id] = account;
  joinOrganization(ctx, account, 'CREATED');
  if (request.tags.length > 0) org.tags[id] = request.tags.map(t => ({ Key: t.Key, Value: t.Value }));
  request.state = 'SUCCEEDED';
  request.accountId = id;
}

/** A PENDING_CLOSURE account becomes SUSPENDED; a SUSPENDED one, CLOSED for good, leaves the organization. */
export function advanceClosure(ctx: Context, account: AccountRecord): void {
  if (account.state === 'PENDING_CLOSURE') {
    account.state = 'SUSPENDED';
    account.dueAt = ctx.now + ctx.clock.duration(ctx.quotas.values.permanentClosureSeconds);
    return;
  }
  account.state = 'CLOSED';
  delete account.dueAt;
  const org = ctx.state.organization;
  if (org && account.membership?.organizationId === org.id) leaveOrganization(org, account);
}

export const accountOperations: Operations = {
  CreateAccount: {
    access: 'management',
    mutating: true,
    input: CREATE_ACCOUNT_INPUT,
    run(ctx, input: CreateAccountInput) {
      const org = organizationOf(ctx);
      if (input.RoleName?.startsWith('AWSServiceRoleFor')) {
        invalidInput('INVALID_ROLE_NAME', `RoleName ${JSON.stringify(input.RoleName)} uses the reserved prefix AWSServiceRoleFor.`);
      }
      const tags = input.Tags ?? [];
      checkTagKeys(tags.map(t => t.Key));
      if (tags.length > ctx.quotas.values.maxTagsPerResource) {
        constraintViolation('MAX_TAG_LIMIT_EXCEEDED', `${tags.length} tags requested; an account can have at most ${ctx.quotas.values.maxTagsPerResource}.`);
      }
      const requests = Object.values(org.createAccountRequests);
      const inProgress = requests.filter(r => r.state === 'IN_PROGRESS');
      const maxInProgress = ctx.quotas.values.maxCreateAccountInProgress;
      if (inProgress.length >= maxInProgress) {
        constraintViolation('ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED',
          `${inProgress.length} CreateAccount requests are already in progress; at most ${maxInProgress} can be at once. Try again when one completes.`);
      }
      const counted = accountsCounted(ctx.state);
      if (counted >= ctx.quotas.values.maxAccounts) {
        constraintViolation('ACCOUNT_NUMBER_LIMIT_EXCEEDED',
          `The organization already has ${counted} accounts (open invitations included), its quota of ${ctx.quotas.values.maxAccounts}.`);
      }
      const sameEmail = inProgress.some(r => r.email.toLowerCase() === input.Email.toLowerCase());
      const request: CreateAccountRequestRecord = {
        id: ctx.ids.createAccountRequestId(),
        accountName: input.AccountName,
        email: input.Email,
        roleName: input.RoleName ?? 'OrganizationAccountAccessRole',
        iamUserAccessToBilling: input.IamUserAccessToBilling ?? 'ALLOW',
        tags,
        requestedAt: ctx.now,
        seq: ctx.ids.next(),
        dueAt: ctx.now + ctx.clock.duration(ctx.timings.accountCreationSeconds),
        failWith: sameEmail ? 'CONCURRENT_ACCOUNT_MODIFICATION' : undefined,
        state: 'IN_PROGRESS',
      };
      org.createAccountRequests[request.id] = request;
      return { CreateAccountStatus: statusShape(request) };
    },
  },

  CreateGovCloudAccount: {
    access: 'management',
    mutating: true,
    input: CREATE_ACCOUNT_INPUT,
    run(ctx) {
      constraintViolation('MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED',
        `The management account ${organizationOf(ctx).managementAccountId} has no associated AWS GovCloud (US) account (the emulator has no GovCloud partition).`);
    },
  },

  DescribeCreateAccountStatus: {
    access: 'read',
    mutating: false,
    input: { CreateAccountRequestId: req(FIELDS.createAccountRequestId) },
    run(ctx, input: { CreateAccountRequestId: string }) {
      const request = organizationOf(ctx).createAccountRequests[input.CreateAccountRequestId];
      if (!request) fail('CreateAccountStatusNotFoundException', `We can't find a create account request with the id ${input.CreateAccountRequestId}.`);
      return { CreateAccountStatus: statusShape(request) };
    },
  },

  ListCreateAccountStatus: {
    access: 'read',
    mutating: false,
    input: { States: { kind: 'list', member: { kind: 'enum', values: ['IN_PROGRESS', 'SUCCEEDED', 'FAILED'] } }, ...PAGE },
    run(ctx, input: PageInput & { States?: string[] }) {
      const requests = Object.values(organizationOf(ctx).createAccountRequests)
        .filter(r => !input.States || input.States.length === 0 || input.States.includes(r.state))
        .sort((a, b) => a.seq - b.seq);
      const page = paginate('ListCreateAccountStatus', requests, r => seqKey(r.seq), input);
      return { CreateAccountStatuses: page.items.map(statusShape), NextToken: page.nextToken };
    },
  },

  DescribeAccount: {
    access: 'read',
    mutating: false,
    input: { AccountId: req(FIELDS.accountId) },
    run(ctx, input: { AccountId: string }) {
      return { Account: accountShape(organizationOf(ctx), memberAccount(ctx, input.AccountId)) };
    },
  },

  ListAccounts: {
    access: 'read',
    mutating: false,
    input: PAGE,
    run(ctx, input: PageInput) {
      const org = organizationOf(ctx);
      const page = paginate('ListAccounts', memberAccounts(ctx.state), a => seqKey(a.membership!.seq), input);
      return { Accounts: page.items.map(a => accountShape(org, a)), NextToken: page.nextToken };
    },
  },

  ListAccountsForParent: {
    access: 'read',
    mutating: false,
    input: { ParentId: req(FIELDS.parentId), ...PAGE },
    run(ctx, input: PageInput & { ParentId: string }) {
      const org = organizationOf(ctx);
      if (!isContainer(org, input.ParentId)) fail('ParentNotFoundException', `We can't find a root or OU with the ParentId ${input.ParentId}.`);
      const accounts = memberAccounts(ctx.state).filter(a => a.membership!.parentId === input.ParentId);
      const page = paginate('ListAccountsForParent', accounts, a => seqKey(a.membership!.seq), input);
      return { Accounts: page.items.map(a => accountShape(org, a)), NextToken: page.nextToken };
    },
  },

  MoveAccount: {
    access: 'management',
    mutating: true,
    input: { AccountId: req(FIELDS.accountId), SourceParentId: req(FIELDS.parentId), DestinationParentId: req(FIELDS.parentId) },
    run(ctx, input: { AccountId: string; SourceParentId: string; DestinationParentId: string }) {
      const org = organizationOf(ctx);
      const account = memberAccount(ctx, input.AccountId);
      if (!isContainer(org, input.SourceParentId)) fail('SourceParentNotFoundException', `We can't find a source root or OU with the ParentId ${input.SourceParentId}.`);
      if (!isContainer(org, input.DestinationParentId)) {
        fail('DestinationParentNotFoundException', `We can't find the destination root or OU with the ParentId ${input.DestinationParentId}.`);
      }
      const current = account.membership!.parentId;
      if (current !== input.SourceParentId) {
        fail('AccountNotFoundException', `Account ${account.id} is not in ${input.SourceParentId}; its parent is ${current}.`);
      }
      if (input.DestinationParentId === current) fail('DuplicateAccountException', `Account ${account.id} is already in ${current}.`);
      account.membership!.parentId = input.DestinationParentId;
    },
  },

  RemoveAccountFromOrganization: {
    access: 'management',
    mutating: true,
    input: { AccountId: req(FIELDS.accountId) },
    run(ctx, input: { AccountId: string }) {
      const account = memberAccount(ctx, input.AccountId);
      assertCanLeave(ctx, account);
      leaveOrganization(organizationOf(ctx), account);
    },
  },

  LeaveOrganization: {
    access: 'member',
    mutating: true,
    input: {},
    run(ctx) {
      const account = memberAccount(ctx, ctx.caller);
      assertCanLeave(ctx, account);
      leaveOrganization(organizationOf(ctx), account);
    },
  },

  CloseAccount: {
    access: 'management',
    mutating: true,
    input: { AccountId: req(FIELDS.accountId) },
    run(ctx, input: { AccountId: string }) {
      const org = organizationOf(ctx);
      const account = memberAccount(ctx, input.AccountId);
      if (account.id === org.managementAccountId) {
        constraintViolation('CANNOT_CLOSE_MANAGEMENT_ACCOUNT', `Account ${account.id} is the management account; CloseAccount cannot close it.`);
      }
      if (account.state !== 'ACTIVE') fail('AccountAlreadyClosedException', `Account ${account.id} is already closed (${account.state}).`);
      const members = memberAccounts(ctx.state);
      const closing = members.filter(a => a.state === 'PENDING_CLOSURE').length;
      if (closing >= ctx.quotas.values.maxConcurrentClosures) {
        constraintViolation('CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED',
          `${closing} accounts are already being closed; at most ${ctx.quotas.values.maxConcurrentClosures} closures can run at once.`);
      }
      org.closures = withinWindow(org.closures, ctx.now, ctx.clock.duration(30 * DAY_SECONDS));
      const quota = ctx.quotas.closuresPer30Days(members.length - 1);
      if (org.closures.length >= quota) {
        constraintViolation('CLOSE_ACCOUNT_QUOTA_EXCEEDED', `${org.closures.length} accounts were closed in the last 30 days, the quota of ${quota}.`);
      }
      org.closures.push(ctx.now);
      account.state = 'PENDING_CLOSURE';
      account.closedAt = ctx.now;
      account.dueAt = ctx.now + ctx.clock.duration(ctx.timings.accountClosureSeconds);
    },
  },
};

