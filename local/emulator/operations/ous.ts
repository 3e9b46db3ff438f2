/**
 * Organizational units and the tree: Create/Describe/Update/DeleteOrganizationalUnit,
 * ListOrganizationalUnitsForParent, ListChildren, ListParents.
 */
import { fail, constraintViolation } from '../errors';
import { paginate, seqKey } from '../pagination';
import { memberAccounts, OrganizationRecord, Tag } from '../state';
import { FIELDS, PAGE, req, TAGS } from '../validation';
import { attachDefaults, Context, forgetTarget, isContainer, Operations, organizationOf, ouDepth, ouShape } from './common';
import { applyTags } from './tags';

interface PageInput {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

function requireParent(org: OrganizationRecord, parentId: string): void {
  if (!isContainer(org, parentId)) fail('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId}.`);
}

function requireOu(org: OrganizationRecord, ouId: string): void {
  if (!org.ous[ouId]) fail('OrganizationalUnitNotFoundException', `We can't find an OU with the OrganizationalUnitId ${ouId}.`);
}

function assertNameFree(org: OrganizationRecord, parentId: string, name: string, except?: string): void {
  const clash = Object.values(org.ous).find(ou => ou.parentId === parentId && ou.name === name && ou.id !== except);
  if (clash) fail('DuplicateOrganizationalUnitException', `An OU named ${JSON.stringify(name)} already exists under ${parentId}: ${clash.id}.`);
}

/** OUs directly under `parentId`, oldest first. */
function childOus(org: OrganizationRecord, parentId: string) {
  return Object.values(org.ous).filter(ou => ou.parentId === parentId).sort((a, b) => a.seq - b.seq);
}

function childAccounts(ctx: Context, parentId: string) {
  return memberAccounts(ctx.state).filter(a => a.membership!.parentId === parentId);
}

export const ouOperations: Operations = {
  CreateOrganizationalUnit: {
    access: 'management',
    mutating: true,
    input: { ParentId: req(FIELDS.parentId), Name: req(FIELDS.ouName), Tags: TAGS },
    run(ctx, input: { ParentId: string; Name: string; Tags?: Tag[] }) {
      const org = organizationOf(ctx);
      requireParent(org, input.ParentId);
      const max = ctx.quotas.values.maxOuDepth;
      const depth = input.ParentId === org.root.id ? 1 : ouDepth(org, input.ParentId) + 1;
      if (depth > max) {
        constraintViolation('OU_DEPTH_LIMIT_EXCEEDED', `An OU under ${input.ParentId} would be at level ${depth}; OUs can be nested at most ${max} levels under the root.`);
      }
      if (Object.keys(org.ous).length >= ctx.quotas.values.maxOus) {
        constraintViolation('OU_NUMBER_LIMIT_EXCEEDED', `The organization already has ${ctx.quotas.values.maxOus} OUs, its maximum.`);
      }
      assertNameFree(org, input.ParentId, input.Name);
      const id = ctx.ids.ouId(org.root.id);
      org.ous[id] = { id, name: input.Name, parentId: input.ParentId, seq: ctx.ids.next() };
      applyTags(ctx, org, id, input.Tags ?? []);
      attachDefaults(org, id);
      return { OrganizationalUnit: ouShape(org, id) };
    },
  },

  DescribeOrganizationalUnit: {
    access: 'read',
    mutating: false,
    input: { OrganizationalUnitId: req(FIELDS.ouId) },
    run(ctx, input: { OrganizationalUnitId: string }) {
      const org = organizationOf(ctx);
      requireOu(org, input.OrganizationalUnitId);
      return { OrganizationalUnit: ouShape(org, input.OrganizationalUnitId) };
    },
  },

  UpdateOrganizationalUnit: {
    access: 'management',
    mutating: true,
    input: { OrganizationalUnitId: req(FIELDS.ouId), Name: FIELDS.ouName },
    run(ctx, input: { OrganizationalUnitId: string; Name?: string }) {
      const org = organizationOf(ctx);
      requireOu(org, input.OrganizationalUnitId);
      const ou = org.ous[input.OrganizationalUnitId];
      if (input.Name !== undefined) {
        assertNameFree(org, ou.parentId, input.Name, ou.id);
        ou.name = input.Name;
      }
      return { OrganizationalUnit: ouShape(org, ou.id) };
    },
  },

  DeleteOrganizationalUnit: {
    access: 'management',
    mutating: true,
    input: { OrganizationalUnitId: req(FIELDS.ouId) },
    run(ctx, input: { OrganizationalUnitId: string }) {
      const org = organizationOf(ctx);
      const id = input.OrganizationalUnitId;
      requireOu(org, id);
      const ous = childOus(org, id);
      const accounts = childAccounts(ctx, id);
      if (ous.length > 0 || accounts.length > 0) {
        fail('OrganizationalUnitNotEmptyException', `OU ${id} is not empty: it contains ${[...ous.map(o => `OU ${o.id}`), ...accounts.map(a => `account ${a.id}`)].join(', ')}. `
          + 'Move the accounts and delete the child OUs first.');
      }
      forgetTarget(org, id);
      delete org.ous[id];
    },
  },

  ListOrganizationalUnitsForParent: {
    access: 'read',
    mutating: false,
    input: { ParentId: req(FIELDS.parentId), ...PAGE },
    run(ctx, input: PageInput & { ParentId: string }) {
      const org = organizationOf(ctx);
      requireParent(org, input.ParentId);
      const page = paginate('ListOrganizationalUnitsForParent', childOus(org, input.ParentId), ou => seqKey(ou.seq), input);
      return { OrganizationalUnits: page.items.map(ou => ouShape(org, ou.id)), NextToken: page.nextToken };
    },
  },

  ListChildren: {
    access: 'read',
    mutating: false,
    input: { ParentId: req(FIELDS.parentId), ChildType: req(FIELDS.childType), ...PAGE },
    run(ctx, input: PageInput & { ParentId: string; ChildType: 'ACCOUNT' | 'ORGANIZATIONAL_UNIT' }) {
      const org = organizationOf(ctx);
      requireParent(org, input.ParentId);
      const children = input.ChildType === 'ACCOUNT'
        ? childAccounts(ctx, input.ParentId).map(a => ({ id: a.id, seq: a.membership!.seq }))
        : childOus(org, input.ParentId).map(ou => ({ id: ou.id, seq: ou.seq }));
      const page = paginate('ListChildren', children, c => seqKey(c.seq), input);
      return { Children: page.items.map(c => ({ Id: c.id, Type: input.ChildType })), NextToken: page.nextToken };
    },
  },

  ListParents: {
    access: 'read',
    mutating: false,
    input: { ChildId: req(FIELDS.childId), ...PAGE },
    run(ctx, input: PageInput & { ChildId: string }) {
      const org = organizationOf(ctx);
      const account = ctx.state.accounts[input.ChildId];
      const parentId = org.ous[input.ChildId]?.parentId
        ?? (account?.membership?.organizationId === org.id ? account.membership.parentId : undefined);
      if (!parentId) fail('ChildNotFoundException', `We can't find an OU or account with the ChildId ${input.ChildId}.`);
      const page = paginate('ListParents', [parentId], id => id, input);
      return {
        Parents: page.items.map(id => ({ Id: id, Type: id === org.root.id ? 'ROOT' : 'ORGANIZATIONAL_UNIT' })),
        NextToken: page.nextToken,
      };
    },
  },
};
