/**
 * Policies of every type: Create/Describe/Update/DeletePolicy, ListPolicies, Attach/DetachPolicy,
 * ListPoliciesForTarget, ListTargetsForPolicy, Enable/DisablePolicyType (asynchronous, PENDING_*
 * first) and DescribeEffectivePolicy (the inherited management policies merged).
 */
import { constraintViolation, fail, invalidInput } from '../errors';
import { paginate, seqKey } from '../pagination';
import { policyRules } from '../policy-rules';
import { AUTHORIZATION_POLICY_TYPES, POLICY_TYPES, PolicyTypeName } from '../quotas';
import { memberAccounts, OrganizationRecord, PolicyRecord, Tag } from '../state';
import { FIELDS, PAGE, req, TAGS } from '../validation';
import {
  ancestry,
  attach,
  attachedPolicies,
  Context,
  DEFAULT_POLICY,
  epochSeconds,
  findTarget,
  isDelegatedAdministrator,
  Operations,
  organizationOf,
  policySummaryShape,
  rootShape,
  typeEnabled,
} from './common';
import { applyTags } from './tags';

interface PageInput {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

/** Management policy types: everything but SCPs and RCPs (the EffectivePolicyType enum). */
const EFFECTIVE_POLICY_TYPES = POLICY_TYPES.filter(t => !AUTHORIZATION_POLICY_TYPES.includes(t));

function requirePolicy(org: OrganizationRecord, policyId: string): PolicyRecord {
  return org.policies[policyId] ?? fail('PolicyNotFoundException', `We can't find a policy with the PolicyId ${policyId}.`);
}

function requireTarget(ctx: Context, targetId: string) {
  return findTarget(ctx.state, targetId) ?? fail('TargetNotFoundException', `We can't find a root, OU, or account with the TargetId ${targetId}.`);
}

function requireAllFeatures(org: OrganizationRecord, what: string): void {
  if (org.featureSet !== 'ALL') {
    fail('PolicyTypeNotAvailableForOrganizationException',
      `${what}: organization ${org.id} has only consolidated billing features; policies need all features (EnableAllFeatures).`);
  }
}

/** AWS's message for MalformedPolicyDocumentException, then what is wrong (the rules the constructs check at synth). */
function malformed(problems: string[]): never {
  return fail('MalformedPolicyDocumentException',
    `The provided policy document does not meet the requirements of the specified policy type. ${problems.join(' ')}`);
}

/** Size per type, then the type's syntax (JSON, then the statement grammar or the management policy syntax). */
function checkContent(ctx: Context, type: PolicyTypeName, content: string): void {
  const max = ctx.quotas.policySize(type);
  if (content.length > max) {
    constraintViolation('POLICY_CONTENT_LIMIT_EXCEEDED', `The ${type} document is ${content.length} characters long; the maximum is ${max}.`);
  }
  // AWS receives the text as written: repeated keys and large numbers are the parser's concern, not a refusal.
  const rules = policyRules();
  const problems = rules.checkPolicyText(type, content, { lossless: false });
  if (problems.length > 0) malformed(problems.map(p => rules.formatProblem(p)));
}

function assertNameFree(org: OrganizationRecord, type: PolicyTypeName, name: string, except?: string): void {
  const clash = Object.values(org.policies).find(p => p.type === type && p.name === name && p.id !== except);
  if (clash) fail('DuplicatePolicyException', `A ${type} policy named ${JSON.stringify(name)} already exists: ${clash.id}.`);
}

function assertCustomerManaged(policy: PolicyRecord): void {
  if (policy.awsManaged) invalidInput('IMMUTABLE_POLICY', `${policy.id} (${policy.name}) is managed by AWS and cannot be modified or deleted.`);
}

function policyShape(org: OrganizationRecord, policy: PolicyRecord): object {
  return { PolicySummary: policySummaryShape(org, policy), Content: policy.content };
}

/** Finishes a policy type change that is due: enabling attaches the type's default policy everywhere, disabling detaches every policy of the type. */
export function completePolicyTypeChange(ctx: Context, org: OrganizationRecord, type: PolicyTypeName): void {
  const entry = org.root.policyTypes[type];
  if (!entry) return;
  if (entry.status === 'PENDING_ENABLE') {
    org.root.policyTypes[type] = { status: 'ENABLED' };
    const policyId = DEFAULT_POLICY[type];
    if (policyId) {
      const ous = Object.values(org.ous).sort((a, b) => a.seq - b.seq).map(ou => ou.id);
      const targets = [org.root.id, ...ous, ...memberAccounts(ctx.state).map(a => a.id)];
      for (const target of targets) attach(org, policyId, target);
    }
  } else if (entry.status === 'PENDING_DISABLE') {
    delete org.root.policyTypes[type];
    for (const policy of Object.values(org.policies)) {
      if (policy.type === type) delete org.attachments[policy.id];
    }
  }
}

function requireRoot(org: OrganizationRecord, rootId: string): void {
  if (rootId !== org.root.id) fail('RootNotFoundException', `We can't find a root with the RootId ${rootId}.`);
}

/** Inheritance operators of management policies, simplified: @@assign replaces, @@append adds, @@remove takes away, objects merge. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: Json | undefined): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

function inherit(parent: Json | undefined, child: Json): Json {
  if (!isObject(child)) return child;
  if ('@@assign' in child) return child['@@assign'];
  if ('@@append' in child) {
    const base = Array.isArray(parent) ? parent : parent === undefined ? [] : [parent];
    return [...base, ...(Array.isArray(child['@@append']) ? child['@@append'] : [child['@@append']])];
  }
  if ('@@remove' in child) {
    const removed = Array.isArray(child['@@remove']) ? child['@@remove'] : [child['@@remove']];
    return Array.isArray(parent) ? parent.filter(v => !removed.includes(v)) : null;
  }
  const merged: { [key: string]: Json } = isObject(parent) ? { ...parent } : {};
  for (const [key, value] of Object.entries(child)) {
    if (key === '@@operators_allowed_for_child_policies') continue;
    const next = inherit(merged[key], value);
    if (next === null) delete merged[key];
    else merged[key] = next;
  }
  return merged;
}

export const policyOperations: Operations = {
  CreatePolicy: {
    access: 'management',
    mutating: true,
    input: {
      Content: req(FIELDS.policyContent),
      Description: req(FIELDS.policyDescription),
      Name: req(FIELDS.policyName),
      Type: req(FIELDS.policyType),
      Tags: TAGS,
    },
    run(ctx, input: { Content: string; Description: string; Name: string; Type: PolicyTypeName; Tags?: Tag[] }) {
      const org = organizationOf(ctx);
      requireAllFeatures(org, `Cannot create a ${input.Type}`);
      assertNameFree(org, input.Type, input.Name);
      const existing = Object.values(org.policies).filter(p => p.type === input.Type && !p.awsManaged).length;
      const max = ctx.quotas.policiesPerType(input.Type);
      if (existing >= max) constraintViolation('POLICY_NUMBER_LIMIT_EXCEEDED', `The organization already has ${existing} ${input.Type} policies, the quota of ${max}.`);
      checkContent(ctx, input.Type, input.Content);
      const policy: PolicyRecord = {
        id: ctx.ids.policyId(),
        name: input.Name,
        description: input.Description,
        type: input.Type,
        content: input.Content,
        awsManaged: false,
        seq: ctx.ids.next(),
        updatedAt: ctx.now,
      };
      org.policies[policy.id] = policy;
      applyTags(ctx, org, policy.id, input.Tags ?? []);
      return { Policy: policyShape(org, policy) };
    },
  },

  DescribePolicy: {
    access: 'read',
    mutating: false,
    input: { PolicyId: req(FIELDS.policyId) },
    run(ctx, input: { PolicyId: string }) {
      const org = organizationOf(ctx);
      return { Policy: policyShape(org, requirePolicy(org, input.PolicyId)) };
    },
  },

  UpdatePolicy: {
    access: 'management',
    mutating: true,
    input: { PolicyId: req(FIELDS.policyId), Name: FIELDS.policyName, Description: FIELDS.policyDescription, Content: FIELDS.policyContent },
    run(ctx, input: { PolicyId: string; Name?: string; Description?: string; Content?: string }) {
      const org = organizationOf(ctx);
      const policy = requirePolicy(org, input.PolicyId);
      assertCustomerManaged(policy);
      if (input.Name !== undefined) assertNameFree(org, policy.type, input.Name, policy.id);
      if (input.Content !== undefined) checkContent(ctx, policy.type, input.Content);
      if (input.Name !== undefined) policy.name = input.Name;
      if (input.Description !== undefined) policy.description = input.Description;
      if (input.Content !== undefined) policy.content = input.Content;
      policy.updatedAt = ctx.now;
      return { Policy: policyShape(org, policy) };
    },
  },

  DeletePolicy: {
    access: 'management',
    mutating: true,
    input: { PolicyId: req(FIELDS.policyId) },
    run(ctx, input: { PolicyId: string }) {
      const org = organizationOf(ctx);
      const policy = requirePolicy(org, input.PolicyId);
      assertCustomerManaged(policy);
      const targets = org.attachments[policy.id] ?? [];
      if (targets.length > 0) {
        fail('PolicyInUseException', `Policy ${policy.id} is attached to ${targets.join(', ')}; detach it from every root, OU and account before deleting it.`);
      }
      delete org.policies[policy.id];
      delete org.attachments[policy.id];
      delete org.tags[policy.id];
    },
  },

  ListPolicies: {
    access: 'read',
    mutating: false,
    input: { Filter: req(FIELDS.policyType), ...PAGE },
    run(ctx, input: PageInput & { Filter: PolicyTypeName }) {
      const org = organizationOf(ctx);
      const policies = Object.values(org.policies).filter(p => p.type === input.Filter).sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1));
      const page = paginate('ListPolicies', policies, p => `${seqKey(p.seq)}/${p.id}`, input);
      return { Policies: page.items.map(p => policySummaryShape(org, p)), NextToken: page.nextToken };
    },
  },

  AttachPolicy: {
    access: 'management',
    mutating: true,
    input: { PolicyId: req(FIELDS.policyId), TargetId: req(FIELDS.targetId) },
    run(ctx, input: { PolicyId: string; TargetId: string }) {
      const org = organizationOf(ctx);
      const policy = requirePolicy(org, input.PolicyId);
      const target = requireTarget(ctx, input.TargetId);
      if (!typeEnabled(org, policy.type)) {
        fail('PolicyTypeNotEnabledException', `The policy type ${policy.type} is not enabled in root ${org.root.id}; enable it (EnablePolicyType) before attaching ${policy.id}.`);
      }
      if ((org.attachments[policy.id] ?? []).includes(target.id)) {
        fail('DuplicatePolicyAttachmentException', `Policy ${policy.id} is already attached to ${target.id}.`);
      }
      const attached = attachedPolicies(org, target.id, policy.type).length;
      const max = ctx.quotas.attachmentsPerTarget(policy.type);
      if (attached >= max) {
        constraintViolation('MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED', `${target.id} already has ${attached} ${policy.type} policies attached directly, the maximum of ${max}.`);
      }
      attach(org, policy.id, target.id);
    },
  },

  DetachPolicy: {
    access: 'management',
    mutating: true,
    input: { PolicyId: req(FIELDS.policyId), TargetId: req(FIELDS.targetId) },
    run(ctx, input: { PolicyId: string; TargetId: string }) {
      const org = organizationOf(ctx);
      const policy = requirePolicy(org, input.PolicyId);
      const target = requireTarget(ctx, input.TargetId);
      const targets = org.attachments[policy.id] ?? [];
      if (!targets.includes(target.id)) fail('PolicyNotAttachedException', `Policy ${policy.id} is not attached to ${target.id}.`);
      if (policy.id === DEFAULT_POLICY.RESOURCE_CONTROL_POLICY) {
        invalidInput('NON_DETACHABLE_POLICY', `${policy.id} (RCPFullAWSAccess) stays attached to every root, OU and account while RCPs are enabled; it cannot be detached.`);
      }
      if (policy.type === 'SERVICE_CONTROL_POLICY' && attachedPolicies(org, target.id, policy.type).length <= 1) {
        constraintViolation('MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED',
          `${policy.id} is the only service control policy attached to ${target.id}; every root, OU and account must keep at least one. Attach another SCP first.`);
      }
      org.attachments[policy.id] = targets.filter(t => t !== target.id);
    },
  },

  ListPoliciesForTarget: {
    access: 'read',
    mutating: false,
    input: { TargetId: req(FIELDS.targetId), Filter: req(FIELDS.policyType), ...PAGE },
    run(ctx, input: PageInput & { TargetId: string; Filter: PolicyTypeName }) {
      const org = organizationOf(ctx);
      const target = requireTarget(ctx, input.TargetId);
      const policies = attachedPolicies(org, target.id, input.Filter);
      const page = paginate('ListPoliciesForTarget', policies, p => `${seqKey(p.seq)}/${p.id}`, input);
      return { Policies: page.items.map(p => policySummaryShape(org, p)), NextToken: page.nextToken };
    },
  },

  ListTargetsForPolicy: {
    access: 'read',
    mutating: false,
    input: { PolicyId: req(FIELDS.policyId), ...PAGE },
    run(ctx, input: PageInput & { PolicyId: string }) {
      const org = organizationOf(ctx);
      const policy = requirePolicy(org, input.PolicyId);
      const targets = (org.attachments[policy.id] ?? []).map(id => findTarget(ctx.state, id)!).filter(t => t);
      const page = paginate('ListTargetsForPolicy', targets.map((t, i) => ({ t, key: seqKey(i) })), x => x.key, input);
      return {
        Targets: page.items.map(({ t }) => ({ TargetId: t.id, Arn: t.arn, Name: t.name, Type: t.type })),
        NextToken: page.nextToken,
      };
    },
  },

  EnablePolicyType: {
    access: 'management',
    mutating: true,
    input: { RootId: req(FIELDS.rootId), PolicyType: req(FIELDS.policyType) },
    run(ctx, input: { RootId: string; PolicyType: PolicyTypeName }) {
      const org = organizationOf(ctx);
      requireRoot(org, input.RootId);
      requireAllFeatures(org, `Cannot enable ${input.PolicyType}`);
      const current = org.root.policyTypes[input.PolicyType]?.status;
      if (current === 'ENABLED' || current === 'PENDING_ENABLE') {
        fail('PolicyTypeAlreadyEnabledException', `The policy type ${input.PolicyType} is already ${current === 'ENABLED' ? 'enabled' : 'being enabled'} in root ${org.root.id}.`);
      }
      if (current === 'PENDING_DISABLE') {
        fail('PolicyChangesInProgressException', `The policy type ${input.PolicyType} is being disabled in root ${org.root.id}; try again when that is done.`);
      }
      org.root.policyTypes[input.PolicyType] = { status: 'PENDING_ENABLE', dueAt: ctx.now + ctx.clock.duration(ctx.timings.policyTypeChangeSeconds) };
      if (ctx.timings.policyTypeChangeSeconds <= 0) completePolicyTypeChange(ctx, org, input.PolicyType);
      return { Root: rootShape(org) };
    },
  },

  DisablePolicyType: {
    access: 'management',
    mutating: true,
    input: { RootId: req(FIELDS.rootId), PolicyType: req(FIELDS.policyType) },
    run(ctx, input: { RootId: string; PolicyType: PolicyTypeName }) {
      const org = organizationOf(ctx);
      requireRoot(org, input.RootId);
      const current = org.root.policyTypes[input.PolicyType]?.status;
      if (current === undefined) fail('PolicyTypeNotEnabledException', `The policy type ${input.PolicyType} is not enabled in root ${org.root.id}.`);
      if (current !== 'ENABLED') {
        fail('PolicyChangesInProgressException', `The policy type ${input.PolicyType} is ${current} in root ${org.root.id}; try again when that is done.`);
      }
      org.root.policyTypes[input.PolicyType] = { status: 'PENDING_DISABLE', dueAt: ctx.now + ctx.clock.duration(ctx.timings.policyTypeChangeSeconds) };
      if (ctx.timings.policyTypeChangeSeconds <= 0) completePolicyTypeChange(ctx, org, input.PolicyType);
      return { Root: rootShape(org) };
    },
  },

  DescribeEffectivePolicy: {
    access: 'member',
    mutating: false,
    input: {
      PolicyType: req({ kind: 'enum', values: EFFECTIVE_POLICY_TYPES, reason: 'INVALID_ENUM_POLICY_TYPE' }),
      TargetId: FIELDS.targetId,
    },
    run(ctx, input: { PolicyType: PolicyTypeName; TargetId?: string }) {
      const org = organizationOf(ctx);
      const targetId = input.TargetId ?? ctx.caller;
      if (!/^\d{12}$/.test(targetId)) {
        invalidInput('TARGET_NOT_SUPPORTED', `DescribeEffectivePolicy describes accounts only; ${targetId} is a root or OU.`);
      }
      const privileged = ctx.caller === org.managementAccountId || isDelegatedAdministrator(org, ctx.caller);
      if (!privileged && targetId !== ctx.caller) {
        fail('AccessDeniedException', `Account ${ctx.caller} can describe only its own effective policy, not that of ${targetId}.`);
      }
      requireTarget(ctx, targetId);
      if (!typeEnabled(org, input.PolicyType)) {
        fail('EffectivePolicyNotFoundException', `The policy type ${input.PolicyType} is not enabled in root ${org.root.id}.`);
      }
      const chain = [...ancestry(ctx.state, targetId), targetId].flatMap(id => attachedPolicies(org, id, input.PolicyType));
      if (chain.length === 0) fail('EffectivePolicyNotFoundException', `Account ${targetId} has no effective ${input.PolicyType}: no policy of that type applies to it.`);
      let merged: Json = {};
      for (const policy of chain) merged = inherit(merged, JSON.parse(policy.content));
      return {
        EffectivePolicy: {
          PolicyContent: JSON.stringify(merged),
          LastUpdatedTimestamp: epochSeconds(Math.max(...chain.map(p => p.updatedAt))),
          TargetId: targetId,
          PolicyType: input.PolicyType,
        },
      };
    },
  },
};
