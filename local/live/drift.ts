/**
 * `drift`: each deployed stack's resources of this library, their declared properties and what
 * they own, compared with the live organization; what changed outside the code is reported, and
 * with `unmanaged` the OUs, accounts and policies no stack declares.
 */
import type { Io, Values } from './cli';
import { liveClients, LiveClientOptions, LiveClients } from './clients';
import { Reader } from './reader';
import { takeSnapshot } from './snapshot';
import { DeployedResource, DeployedStack, describeDeployedStack, LIBRARY_TYPE_PREFIX, readDeployedStacks, readExports } from './stacks';
import { sameJson } from '../deployer/template';
import type { PolicyTypeName } from '../emulator/quotas';
import type { EmulatorState, Tag } from '../emulator/state';

/** Exit status of `drift` when something drifted. */
export const EXIT_DRIFT = 2;

/** Tag keys the handlers own (ownership records, see README "What a stack owns"): never declared, never drift. */
const OWNERSHIP_TAG_PREFIX = 'cdk-organizations:';
/** AWS attaches these to every root, OU and account while their policy type is enabled. */
const DEFAULT_POLICIES = ['p-FullAWSAccess', 'p-RCPFullAWSAccess'];

export type DriftKind =
  | 'deleted' | 'renamed' | 'moved' | 'closed' | 'removed' | 'email' | 'content' | 'description'
  | 'tags' | 'detached' | 'attached' | 'disabled' | 'deregistered' | 'feature-set';

export interface DriftItem {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId?: string;
  readonly kind: DriftKind;
  /** One sentence: what changed. */
  readonly message: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export interface UnmanagedItem {
  readonly kind: 'organizational-unit' | 'account' | 'policy';
  readonly id: string;
  readonly name: string;
}

export interface DriftReport {
  readonly drifts: readonly DriftItem[];
  /** With `unmanaged` only. */
  readonly unmanaged: readonly UnmanagedItem[];
  /** Resources that could not be compared, and why. */
  readonly warnings: readonly string[];
  readonly stacks: readonly string[];
}

const shortType = (type: string) => type.slice(LIBRARY_TYPE_PREFIX.length);

function tagsOf(value: unknown): Tag[] {
  return Array.isArray(value) ? value.filter(t => t && typeof t.Key === 'string').map(t => ({ Key: t.Key, Value: String(t.Value ?? '') })) : [];
}

/** The differences between declared tags and the live ones (ownership tags left out). */
function tagChanges(declared: readonly Tag[], live: readonly Tag[]): string[] {
  const want = new Map(declared.map(t => [t.Key, t.Value]));
  const have = new Map(live.filter(t => !t.Key.startsWith(OWNERSHIP_TAG_PREFIX)).map(t => [t.Key, t.Value]));
  const changes: string[] = [];
  for (const [key, value] of want) {
    if (!have.has(key)) changes.push(`tag ${key} removed`);
    else if (have.get(key) !== value) changes.push(`tag ${key} changed from ${JSON.stringify(value)} to ${JSON.stringify(have.get(key))}`);
  }
  for (const [key, value] of have) if (!want.has(key)) changes.push(`tag ${key}=${JSON.stringify(value)} added`);
  return changes;
}

function sameContent(declared: string, live: string): boolean {
  try {
    return sameJson(JSON.parse(declared), JSON.parse(live));
  } catch {
    return declared === live;
  }
}

/** Compares the stacks' declarations with the organization `state` (a snapshot). */
export function detectDrift(state: EmulatorState, stacks: readonly DeployedStack[], options: { unmanaged?: boolean } = {}): DriftReport {
  const org = state.organization;
  const drifts: DriftItem[] = [];
  const warnings: string[] = [];
  if (!org) return { drifts, unmanaged: [], warnings: ['the caller is in no organization'], stacks: stacks.map(s => s.stackName) };
  const liveTags = (id: string) => org.tags[id] ?? [];
  const isMember = (id: string) => state.accounts[id]?.membership?.organizationId === org.id;
  const nameOf = (id: string) => (id === org.root.id ? 'the root' : org.ous[id] ? `OU ${org.ous[id].name} (${id})` : state.accounts[id] ? `account ${state.accounts[id].name} (${id})` : id);

  // What the stacks declare: the things they manage, and every attachment.
  const managedTargets = new Set<string>();
  const managedPolicies = new Set<string>();
  const declaredAttachments = new Set<string>();
  const managedIds = new Set<string>();
  for (const stack of stacks) {
    for (const r of stack.resources) {
      if (!r.physicalId || !r.type.startsWith(LIBRARY_TYPE_PREFIX)) continue;
      const p = r.properties ?? {};
      switch (shortType(r.type)) {
        case 'Organization': managedTargets.add(org.root.id); break;
        case 'OrganizationalUnit': case 'Account': managedTargets.add(r.physicalId); managedIds.add(r.physicalId); break;
        case 'Policy':
          managedPolicies.add(r.physicalId);
          managedIds.add(r.physicalId);
          for (const target of Array.isArray(p.TargetIds) ? p.TargetIds : []) declaredAttachments.add(`${r.physicalId}|${target}`);
          break;
        case 'PolicyAttachment': declaredAttachments.add(`${p.PolicyId}|${p.TargetId}`); break;
      }
    }
  }

  for (const stack of stacks) {
    for (const r of stack.resources) {
      if (!r.type.startsWith(LIBRARY_TYPE_PREFIX)) continue;
      const report = (kind: DriftKind, message: string, expected?: unknown, actual?: unknown) =>
        drifts.push({
          stackName: stack.stackName, logicalId: r.logicalId, type: shortType(r.type), physicalId: r.physicalId, kind, message, expected, actual,
        });
      if (!r.properties) {
        warnings.push(`${stack.stackName}/${r.logicalId}: not compared (${r.unresolved ?? 'no properties'})`);
        continue;
      }
      if (!r.physicalId || /_FAILED$|^CREATE_IN_PROGRESS$/.test(r.status) && !r.physicalId) continue;
      compareResource(r, report);
    }
  }

  // Attachments made outside the stacks, on what they manage or of a policy they manage.
  const reportedAttachments = new Set<string>();
  for (const [policyId, targets] of Object.entries(org.attachments)) {
    if (DEFAULT_POLICIES.includes(policyId)) continue;
    for (const target of targets) {
      const key = `${policyId}|${target}`;
      if (declaredAttachments.has(key) || reportedAttachments.has(key)) continue;
      if (!managedPolicies.has(policyId) && !managedTargets.has(target)) continue;
      reportedAttachments.add(key);
      const owner = findOwner(stacks, policyId, target);
      drifts.push({
        stackName: owner.stackName,
        logicalId: owner.logicalId,
        type: owner.type,
        physicalId: owner.physicalId,
        kind: 'attached',
        message: `policy ${org.policies[policyId]?.name ?? policyId} (${policyId}) was attached to ${nameOf(target)} outside the stacks`,
        actual: { policyId, targetId: target },
      });
    }
  }

  const unmanaged: UnmanagedItem[] = [];
  if (options.unmanaged) {
    for (const ou of Object.values(org.ous)) if (!managedIds.has(ou.id)) unmanaged.push({ kind: 'organizational-unit', id: ou.id, name: ou.name });
    for (const account of Object.values(state.accounts)) {
      // The management account holds the organization: no stack declares it.
      if (isMember(account.id) && account.id !== org.managementAccountId && !managedIds.has(account.id)) unmanaged.push({ kind: 'account', id: account.id, name: account.name });
    }
    for (const policy of Object.values(org.policies)) if (!policy.awsManaged && !managedIds.has(policy.id)) unmanaged.push({ kind: 'policy', id: policy.id, name: policy.name });
  }
  return { drifts, unmanaged, warnings, stacks: stacks.map(s => s.stackName) };

  function compareResource(r: DeployedResource, report: (kind: DriftKind, message: string, expected?: unknown, actual?: unknown) => void): void {
    const p = r.properties!;
    const id = r.physicalId!;
    const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const tags = (declared: unknown, liveId: string) => {
      const changes = tagChanges(tagsOf(declared), liveTags(liveId));
      if (changes.length > 0) report('tags', `${changes.join('; ')}`, tagsOf(declared), liveTags(liveId).filter(t => !t.Key.startsWith(OWNERSHIP_TAG_PREFIX)));
    };
    switch (shortType(r.type)) {
      case 'Organization': {
        if (org!.id !== id) return report('deleted', `organization ${id} no longer exists (the caller's organization is ${org!.id})`, id, org!.id);
        const featureSet = str(p.FeatureSet) ?? 'ALL';
        if (org!.featureSet !== featureSet) report('feature-set', `feature set is ${org!.featureSet}, declared ${featureSet}`, featureSet, org!.featureSet);
        if (p.RootTags !== undefined) {
          // Tags set on the root outside the stack stay (the stack sets only its own): only declared ones drift.
          const changes = tagChanges(tagsOf(p.RootTags), liveTags(org!.root.id)).filter(c => !c.endsWith(' added'));
          if (changes.length > 0) report('tags', `root: ${changes.join('; ')}`, tagsOf(p.RootTags), liveTags(org!.root.id));
        }
        return;
      }
      case 'OrganizationalUnit': {
        const ou = org!.ous[id];
        if (!ou) return report('deleted', `OU ${str(p.Name)} (${id}) was deleted`);
        if (str(p.Name) !== undefined && ou.name !== p.Name) report('renamed', `OU ${id} was renamed from ${JSON.stringify(p.Name)} to ${JSON.stringify(ou.name)}`, p.Name, ou.name);
        if (str(p.ParentId) !== undefined && ou.parentId !== p.ParentId) {
          report('moved', `OU ${ou.name} (${id}) was moved from ${nameOf(p.ParentId as string)} to ${nameOf(ou.parentId)}`, p.ParentId, ou.parentId);
        }
        return tags(p.Tags, id);
      }
      case 'Account': {
        const account = state.accounts[id];
        if (!account || !isMember(id)) return report('removed', `account ${str(p.AccountName)} (${id}) is no longer in the organization`);
        if (account.state !== 'ACTIVE') report('closed', `account ${account.name} (${id}) is ${account.state}`, 'ACTIVE', account.state);
        if (str(p.AccountName) !== undefined && account.name !== p.AccountName) report('renamed', `account ${id} was renamed from ${JSON.stringify(p.AccountName)} to ${JSON.stringify(account.name)}`, p.AccountName, account.name);
        if (str(p.Email) !== undefined && account.email.toLowerCase() !== (p.Email as string).toLowerCase()) report('email', `account ${id} has the email ${account.email}, declared ${p.Email}`, p.Email, account.email);
        const parentId = str(p.ParentId);
        if (parentId !== undefined && account.membership!.parentId !== parentId) {
          report('moved', `account ${account.name} (${id}) was moved from ${nameOf(parentId)} to ${nameOf(account.membership!.parentId)}`, parentId, account.membership!.parentId);
        }
        return tags(p.Tags, id);
      }
      case 'Policy': {
        const policy = org!.policies[id];
        if (!policy) return report('deleted', `policy ${str(p.Name)} (${id}) was deleted`);
        if (str(p.Name) !== undefined && policy.name !== p.Name) report('renamed', `policy ${id} was renamed from ${JSON.stringify(p.Name)} to ${JSON.stringify(policy.name)}`, p.Name, policy.name);
        if (str(p.Content) !== undefined && !sameContent(p.Content as string, policy.content)) report('content', `the content of policy ${policy.name} (${id}) was edited`, p.Content, policy.content);
        if (str(p.Description) !== undefined && policy.description !== p.Description) {
          report('description', `the description of policy ${policy.name} (${id}) was changed`, p.Description, policy.description);
        }
        const live = org!.attachments[id] ?? [];
        for (const target of Array.isArray(p.TargetIds) ? p.TargetIds as string[] : []) {
          if (!live.includes(target)) report('detached', `policy ${policy.name} (${id}) was detached from ${nameOf(target)}`, target);
        }
        return tags(p.Tags, id);
      }
      case 'PolicyAttachment': {
        const policyId = str(p.PolicyId)!;
        const targetId = str(p.TargetId)!;
        if (!(org!.attachments[policyId] ?? []).includes(targetId)) {
          report('detached', `policy ${org!.policies[policyId]?.name ?? policyId} (${policyId}) was detached from ${nameOf(targetId)}`, { policyId, targetId });
        }
        return;
      }
      case 'EnabledPolicyType': {
        const type = str(p.PolicyType)!;
        const status = org!.root.policyTypes[type as PolicyTypeName]?.status;
        if (status !== 'ENABLED' && status !== 'PENDING_ENABLE') report('disabled', `policy type ${type} is ${status ?? 'disabled'} in the root`, 'ENABLED', status ?? 'DISABLED');
        return;
      }
      case 'AwsServiceAccess': {
        const principal = str(p.ServicePrincipal)!;
        if (!org!.services[principal]) report('disabled', `trusted access for ${principal} was disabled`, 'ENABLED', 'DISABLED');
        return;
      }
      case 'DelegatedAdministrator': {
        const accountId = str(p.AccountId)!;
        const principal = str(p.ServicePrincipal)!;
        if (!org!.delegatedAdministrators.some(d => d.accountId === accountId && d.servicePrincipal === principal)) {
          report('deregistered', `${nameOf(accountId)} is no longer a delegated administrator for ${principal}`);
        }
        return;
      }
      default:
        warnings.push(`${r.logicalId}: resource type ${r.type} is not compared`);
    }
  }
}

/** The resource an attachment made outside the stacks is reported on: the policy's, else the target's. */
type Owner = { stackName: string; logicalId: string; type: string; physicalId?: string };

function findOwner(stacks: readonly DeployedStack[], policyId: string, targetId: string): Owner {
  for (const wanted of [policyId, targetId]) {
    for (const stack of stacks) {
      for (const r of stack.resources) {
        if (r.type.startsWith(LIBRARY_TYPE_PREFIX) && r.physicalId === wanted && ['Policy', 'OrganizationalUnit', 'Account'].includes(shortType(r.type))) {
          return { stackName: stack.stackName, logicalId: r.logicalId, type: shortType(r.type), physicalId: r.physicalId };
        }
      }
    }
  }
  const organization = stacks.flatMap(s => s.resources.map(r => ({ s, r }))).find(({ r }) => r.type === `${LIBRARY_TYPE_PREFIX}Organization`);
  return organization
    ? { stackName: organization.s.stackName, logicalId: organization.r.logicalId, type: 'Organization', physicalId: organization.r.physicalId }
    : { stackName: '', logicalId: '', type: '' };
}

export interface DriftOptions {
  /** Stack names; every stack with a resource of this library when empty. */
  readonly stacks?: readonly string[];
  readonly unmanaged?: boolean;
  readonly snapshot?: Parameters<typeof takeSnapshot>[1];
}

/** Snapshots the organization, reads the stacks from CloudFormation and compares them. Read-only. */
export async function drift(clients: LiveClients, options: DriftOptions = {}): Promise<DriftReport> {
  const snapshot = await takeSnapshot(clients, options.snapshot);
  const reader = new Reader(options.snapshot?.pacing ?? {});
  const stacks = await readDeployedStacks(clients, reader, options.stacks);
  const exported = await readExports(clients, reader);
  const deployed: DeployedStack[] = [];
  for (const stack of stacks) deployed.push(await describeDeployedStack(clients, reader, stack, snapshot.state, exported));
  return detectDrift(snapshot.state, deployed, { unmanaged: options.unmanaged });
}

/** The report as a table, one line per change. */
export function formatDrift(report: DriftReport): string {
  const lines: string[] = [];
  if (report.drifts.length === 0) {
    lines.push(`No drift: ${report.stacks.length === 0 ? 'no stack of this library is deployed' : `${report.stacks.join(', ')} match the organization`}.`);
  } else {
    const rows = report.drifts.map(d => [`${d.stackName}/${d.logicalId}`, d.type, d.kind, d.message]);
    const widths = [0, 1, 2].map(i => Math.max(...rows.map(row => row[i].length), ['RESOURCE', 'TYPE', 'DRIFT'][i].length));
    const line = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ');
    lines.push(line(['RESOURCE', 'TYPE', 'DRIFT', 'WHAT CHANGED']), ...rows.map(line));
    lines.push(`${report.drifts.length} change${report.drifts.length === 1 ? '' : 's'} made outside the code. Deploy to put back what the stacks declare, or change the app to keep them.`);
  }
  if (report.unmanaged.length > 0) {
    lines.push('', 'Not declared by any stack:');
    for (const item of report.unmanaged) lines.push(`  ${item.kind.padEnd(19)} ${item.id.padEnd(24)} ${item.name}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

export async function driftCommand(values: Values, connection: LiveClientOptions, io: Io): Promise<number> {
  const clients = liveClients(connection);
  try {
    const report = await drift(clients, { stacks: (values.stack as string[] | undefined) ?? [], unmanaged: values.unmanaged === true });
    io.out(values.json ? JSON.stringify(report, undefined, 2) : formatDrift(report));
    return report.drifts.length > 0 ? EXIT_DRIFT : 0;
  } finally {
    clients.destroy();
  }
}
