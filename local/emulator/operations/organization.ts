/**
 * The organization and its root: CreateOrganization, DescribeOrganization, DeleteOrganization,
 * ListRoots.
 */
import { fail } from '../errors';
import { paginate, seqKey } from '../pagination';
import { arns, FeatureSet, memberAccounts, OrganizationRecord, PolicyRecord } from '../state';
import { FIELDS, PAGE } from '../validation';
import { attachDefaults, Context, joinOrganization, Operations, organizationOf, rootShape } from './common';

/** The AWS managed policies every organization has. */
function managedPolicies(now: number): PolicyRecord[] {
  const statement = (extra: object) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...extra, Action: '*', Resource: '*' }] });
  return [
    {
      id: 'p-FullAWSAccess',
      name: 'FullAWSAccess',
      description: 'Allows access to every operation',
      type: 'SERVICE_CONTROL_POLICY',
      content: statement({}),
      awsManaged: true,
      seq: 0,
      updatedAt: now,
    },
    {
      id: 'p-RCPFullAWSAccess',
      name: 'RCPFullAWSAccess',
      description: 'Allows access to every resource',
      type: 'RESOURCE_CONTROL_POLICY',
      content: statement({ Principal: '*' }),
      awsManaged: true,
      seq: 0,
      updatedAt: now,
    },
  ];
}

export function organizationShape(ctx: Context, org: OrganizationRecord): object {
  const management = ctx.state.accounts[org.managementAccountId];
  return {
    Id: org.id,
    Arn: arns.organization(org),
    FeatureSet: org.featureSet,
    MasterAccountArn: arns.account(org, org.managementAccountId),
    MasterAccountId: org.managementAccountId,
    MasterAccountEmail: management.email,
    // Deprecated, and documented to show service control policies only.
    AvailablePolicyTypes: org.featureSet === 'ALL' ? [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] : [],
  };
}

/** Creates the organization of the calling account, which becomes its management account. */
export function createOrganization(ctx: Context, featureSet: FeatureSet): OrganizationRecord {
  const rootId = ctx.ids.rootId();
  const org: OrganizationRecord = {
    id: ctx.ids.organizationId(),
    featureSet,
    managementAccountId: ctx.caller,
    createdAt: ctx.now,
    root: { id: rootId, name: 'Root', seq: ctx.ids.next(), policyTypes: featureSet === 'ALL' ? { SERVICE_CONTROL_POLICY: { status: 'ENABLED' } } : {} },
    ous: {},
    policies: Object.fromEntries(managedPolicies(ctx.now).map(p => [p.id, p])),
    attachments: {},
    tags: {},
    services: {},
    delegatedAdministrators: [],
    createAccountRequests: {},
    closures: [],
    invitations: [],
  };
  ctx.state.organization = org;
  attachDefaults(org, rootId);
  joinOrganization(ctx, ctx.state.accounts[ctx.caller], 'INVITED');
  return org;
}

export const organizationOperations: Operations = {
  CreateOrganization: {
    access: 'any',
    mutating: true,
    input: { FeatureSet: FIELDS.featureSet },
    run(ctx, input: { FeatureSet?: FeatureSet }) {
      const existing = ctx.state.organization;
      if (ctx.state.accounts[ctx.caller].membership) {
        fail('AlreadyInOrganizationException', `Account ${ctx.caller} is already a member of organization ${ctx.state.accounts[ctx.caller].membership!.organizationId}.`);
      }
      if (existing) {
        fail('AccessDeniedException', `The emulator holds one organization, ${existing.id}, managed by ${existing.managementAccountId}; `
          + `account ${ctx.caller} cannot create another. Delete that organization first.`);
      }
      return { Organization: organizationShape(ctx, createOrganization(ctx, input.FeatureSet ?? 'ALL')) };
    },
  },

  DescribeOrganization: {
    access: 'member',
    mutating: false,
    input: {},
    run(ctx) {
      return { Organization: organizationShape(ctx, organizationOf(ctx)) };
    },
  },

  DeleteOrganization: {
    access: 'management',
    mutating: true,
    input: {},
    run(ctx) {
      const org = organizationOf(ctx);
      const members = memberAccounts(ctx.state).filter(a => a.id !== org.managementAccountId);
      if (members.length > 0) {
        fail('OrganizationNotEmptyException', `Organization ${org.id} still has ${members.length} member account(s) (${members.map(a => a.id).join(', ')}); `
          + 'remove them before deleting the organization.');
      }
      for (const handshake of Object.values(ctx.state.handshakes)) {
        if (handshake.organizationId === org.id && (handshake.state === 'OPEN' || handshake.state === 'REQUESTED')) handshake.state = 'CANCELED';
      }
      delete ctx.state.accounts[org.managementAccountId].membership;
      delete ctx.state.organization;
    },
  },

  ListRoots: {
    access: 'read',
    mutating: false,
    input: PAGE,
    run(ctx, input: { NextToken?: string; MaxResults?: number }) {
      const org = organizationOf(ctx);
      const page = paginate('ListRoots', [org], o => seqKey(o.root.seq), input);
      return { Roots: page.items.map(rootShape), NextToken: page.nextToken };
    },
  },
};

