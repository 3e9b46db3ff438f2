/**
 * Trusted service access and delegated administrators: Enable/DisableAWSServiceAccess,
 * ListAWSServiceAccessForOrganization, Register/DeregisterDelegatedAdministrator,
 * ListDelegatedAdministrators, ListDelegatedServicesForAccount.
 */
import { constraintViolation, fail, invalidInput } from '../errors';
import { paginate, seqKey } from '../pagination';
import { SERVICE_PRINCIPALS } from '../service-principals';
import { OrganizationRecord } from '../state';
import { FIELDS, PAGE, req } from '../validation';
import { accountShape, epochSeconds, memberAccount, Operations, organizationOf } from './common';

interface PageInput {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

function recognised(principal: string): void {
  if (!Object.hasOwn(SERVICE_PRINCIPALS, principal)) {
    invalidInput('UNRECOGNIZED_SERVICE_PRINCIPAL', `${principal} is not the service principal of an AWS service that integrates with Organizations.`);
  }
}

function requireAllFeatures(org: OrganizationRecord, what: string): void {
  if (org.featureSet !== 'ALL') {
    constraintViolation('ORGANIZATION_NOT_IN_ALL_FEATURES_MODE', `${what}: organization ${org.id} has only consolidated billing features.`);
  }
}

export const delegatedAdminOperations: Operations = {
  EnableAWSServiceAccess: {
    access: 'management',
    mutating: true,
    input: { ServicePrincipal: req(FIELDS.servicePrincipal) },
    run(ctx, input: { ServicePrincipal: string }) {
      const org = organizationOf(ctx);
      requireAllFeatures(org, `Cannot enable trusted access for ${input.ServicePrincipal}`);
      recognised(input.ServicePrincipal);
      if (!org.services[input.ServicePrincipal]) org.services[input.ServicePrincipal] = { enabledAt: ctx.now, seq: ctx.ids.next() };
    },
  },

  DisableAWSServiceAccess: {
    access: 'management',
    mutating: true,
    input: { ServicePrincipal: req(FIELDS.servicePrincipal) },
    run(ctx, input: { ServicePrincipal: string }) {
      const org = organizationOf(ctx);
      recognised(input.ServicePrincipal);
      delete org.services[input.ServicePrincipal];
      // The service can no longer act in the organization, so neither can its delegated administrators.
      org.delegatedAdministrators = org.delegatedAdministrators.filter(d => d.servicePrincipal !== input.ServicePrincipal);
    },
  },

  ListAWSServiceAccessForOrganization: {
    access: 'read',
    mutating: false,
    input: PAGE,
    run(ctx, input: PageInput) {
      const services = Object.entries(organizationOf(ctx).services).sort(([, a], [, b]) => a.seq - b.seq);
      const page = paginate('ListAWSServiceAccessForOrganization', services, ([, s]) => seqKey(s.seq), input);
      return {
        EnabledServicePrincipals: page.items.map(([principal, s]) => ({ ServicePrincipal: principal, DateEnabled: epochSeconds(s.enabledAt) })),
        NextToken: page.nextToken,
      };
    },
  },

  RegisterDelegatedAdministrator: {
    access: 'management',
    mutating: true,
    input: { AccountId: req(FIELDS.accountId), ServicePrincipal: req(FIELDS.servicePrincipal) },
    run(ctx, input: { AccountId: string; ServicePrincipal: string }) {
      const org = organizationOf(ctx);
      const principal = input.ServicePrincipal;
      requireAllFeatures(org, `Cannot register a delegated administrator for ${principal}`);
      recognised(principal);
      const account = memberAccount(ctx, input.AccountId);
      if (account.id === org.managementAccountId) {
        constraintViolation('CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR', `Account ${account.id} is the management account; only a member account can be a delegated administrator.`);
      }
      if (account.state !== 'ACTIVE') {
        constraintViolation('CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR', `Account ${account.id} is ${account.state}; only an active account can be a delegated administrator.`);
      }
      const max = SERVICE_PRINCIPALS[principal].maxDelegatedAdministrators;
      if (max === 0) invalidInput('UNRECOGNIZED_SERVICE_PRINCIPAL', `${principal} does not support a delegated administrator.`);
      if (!org.services[principal]) {
        constraintViolation('SERVICE_ACCESS_NOT_ENABLED', `Trusted access is not enabled for ${principal}; enable it (EnableAWSServiceAccess) before registering a delegated administrator.`);
      }
      const current = org.delegatedAdministrators.filter(d => d.servicePrincipal === principal);
      if (current.some(d => d.accountId === account.id)) {
        fail('AccountAlreadyRegisteredException', `Account ${account.id} is already a delegated administrator for ${principal}.`);
      }
      if (current.length >= max) {
        if (max === 1) {
          constraintViolation('DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE', `${principal} already has a delegated administrator: ${current[0].accountId}.`);
        }
        constraintViolation('MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED', `${principal} already has ${current.length} delegated administrators, its maximum.`);
      }
      org.delegatedAdministrators.push({ accountId: account.id, servicePrincipal: principal, since: ctx.now, seq: ctx.ids.next() });
    },
  },

  DeregisterDelegatedAdministrator: {
    access: 'management',
    mutating: true,
    input: { AccountId: req(FIELDS.accountId), ServicePrincipal: req(FIELDS.servicePrincipal) },
    run(ctx, input: { AccountId: string; ServicePrincipal: string }) {
      const org = organizationOf(ctx);
      recognised(input.ServicePrincipal);
      memberAccount(ctx, input.AccountId);
      const index = org.delegatedAdministrators.findIndex(d => d.accountId === input.AccountId && d.servicePrincipal === input.ServicePrincipal);
      if (index < 0) fail('AccountNotRegisteredException', `Account ${input.AccountId} is not a delegated administrator for ${input.ServicePrincipal}.`);
      org.delegatedAdministrators.splice(index, 1);
    },
  },

  ListDelegatedAdministrators: {
    access: 'read',
    mutating: false,
    input: { ServicePrincipal: FIELDS.servicePrincipal, ...PAGE },
    run(ctx, input: PageInput & { ServicePrincipal?: string }) {
      const org = organizationOf(ctx);
      if (input.ServicePrincipal !== undefined) recognised(input.ServicePrincipal);
      // One entry per account, with the earliest delegation (AWS lists accounts, not registrations).
      const first = new Map<string, { since: number; seq: number }>();
      for (const d of org.delegatedAdministrators) {
        if (input.ServicePrincipal !== undefined && d.servicePrincipal !== input.ServicePrincipal) continue;
        if (!first.has(d.accountId)) first.set(d.accountId, { since: d.since, seq: d.seq });
      }
      const entries = [...first.entries()].sort(([, a], [, b]) => a.seq - b.seq);
      const page = paginate('ListDelegatedAdministrators', entries, ([, e]) => seqKey(e.seq), input);
      return {
        DelegatedAdministrators: page.items.map(([accountId, e]) => ({
          ...accountShape(org, ctx.state.accounts[accountId]),
          DelegationEnabledDate: epochSeconds(e.since),
        })),
        NextToken: page.nextToken,
      };
    },
  },

  ListDelegatedServicesForAccount: {
    access: 'read',
    mutating: false,
    input: { AccountId: req(FIELDS.accountId), ...PAGE },
    run(ctx, input: PageInput & { AccountId: string }) {
      const org = organizationOf(ctx);
      memberAccount(ctx, input.AccountId);
      const services = org.delegatedAdministrators.filter(d => d.accountId === input.AccountId).sort((a, b) => a.seq - b.seq);
      if (services.length === 0) fail('AccountNotRegisteredException', `Account ${input.AccountId} is not a delegated administrator for any service.`);
      const page = paginate('ListDelegatedServicesForAccount', services, d => seqKey(d.seq), input);
      return {
        DelegatedServices: page.items.map(d => ({ ServicePrincipal: d.servicePrincipal, DelegationEnabledDate: epochSeconds(d.since) })),
        NextToken: page.nextToken,
      };
    },
  },
};
