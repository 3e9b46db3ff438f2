/**
 * `plan`: the deploy of an app rehearsed on a private, in-process copy of the live organization.
 * The organization is snapshotted, each stack's current state is read from CloudFormation (its
 * template, parameters, outputs and physical ids; a stack never deployed starts empty), and the
 * local deployer runs the real handlers against an emulator started on that copy. The mutating
 * calls they make there are the calls the deploy would make to AWS. Nothing is written to AWS.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { deploy, readAssembly, selectStacks, synthesize } from '../deployer';
import type { ResourceRecord, RunResult, StackDocument } from '../deployer';
import { CallRecord, Emulator, EmulatorState } from '../emulator';
import type { Io, Values } from './cli';
import { liveClients, LiveClientOptions, LiveClients } from './clients';
import { explainAccessError, LiveInputError } from './errors';
import { Reader } from './reader';
import { SnapshotOptions, takeSnapshot } from './snapshot';
import { DeployedStack, describeDeployedStack, readExports } from './stacks';
import { ACCOUNT_OPERATIONS, ORGANIZATIONS_OPERATIONS } from '../emulator/operations/index';
import { PolicyTypeName, Quotas, ResolvedQuotas } from '../emulator/quotas';
import { memberAccounts } from '../emulator/state';

/** Exit statuses of `plan`. */
export const PLAN_EXIT = { NO_CHANGES: 0, CHANGES: 1, DESTRUCTIVE: 2, WOULD_FAIL: 3 } as const;

/** What a call does to the organization, in the order the plan prints them. */
export const PLAN_KINDS = [
  'create', 'rename', 'move', 'update content', 'tag', 'attach', 'detach', 'enable', 'disable',
  'register', 'deregister', 'invite', 'remove', 'close', 'delete', 'other',
] as const;
export type PlanKind = typeof PLAN_KINDS[number];

const DESTRUCTIVE_KINDS: readonly PlanKind[] = ['close', 'remove', 'delete', 'detach', 'disable', 'deregister'];

const KIND_OF: Record<string, PlanKind> = {
  CreateOrganization: 'create',
  CreateOrganizationalUnit: 'create',
  CreateAccount: 'create',
  CreatePolicy: 'create',
  CreateGovCloudAccount: 'create',
  UpdateOrganizationalUnit: 'rename',
  PutAccountName: 'rename',
  MoveAccount: 'move',
  TagResource: 'tag',
  UntagResource: 'tag',
  AttachPolicy: 'attach',
  DetachPolicy: 'detach',
  EnablePolicyType: 'enable',
  EnableAWSServiceAccess: 'enable',
  EnableAllFeatures: 'enable',
  DisablePolicyType: 'disable',
  DisableAWSServiceAccess: 'disable',
  RegisterDelegatedAdministrator: 'register',
  DeregisterDelegatedAdministrator: 'deregister',
  InviteAccountToOrganization: 'invite',
  RemoveAccountFromOrganization: 'remove',
  LeaveOrganization: 'remove',
  CloseAccount: 'close',
  DeleteOrganizationalUnit: 'delete',
  DeletePolicy: 'delete',
  DeleteOrganization: 'delete',
};

export interface PlannedCall {
  readonly kind: PlanKind;
  readonly operation: string;
  readonly destructive: boolean;
  /** The call's main arguments, in a few words. */
  readonly subject: string;
  /** The request as the emulator logged it (long strings shortened). */
  readonly request: Record<string, unknown>;
}

export interface QuotaEffects {
  /** Accounts closed in the last 30 days (as far as the API shows: those still closing) plus the plan's closures, and the quota. */
  readonly closures: { readonly count: number; readonly max: number };
  /** Member accounts after the deploy, and the quota when known (`maxAccounts`). */
  readonly accounts: { readonly count: number; readonly max?: number };
  /** The deepest OU after the deploy (levels below the root), and the quota. */
  readonly ouDepth: { readonly depth: number; readonly max: number };
  /** Targets at or over their quota of directly attached policies of a type, after the deploy. */
  readonly fullTargets: ReadonlyArray<{ readonly targetId: string; readonly policyType: string; readonly attached: number; readonly max: number }>;
}

export interface PlanFailure {
  readonly message: string;
  /** The resources that failed, and why. */
  readonly resources: ReadonlyArray<{ readonly stackName: string; readonly logicalId: string; readonly status: string; readonly reason?: string }>;
  /** `<stack> <status>` of each stack at the end (after the rollback). */
  readonly finalStatuses: readonly string[];
}

export interface PlanResult {
  readonly organizationId: string;
  readonly stacks: ReadonlyArray<{ readonly stackName: string; readonly deployed: boolean; readonly status?: string }>;
  /** The mutating calls the deploy makes, in the order it makes them. */
  readonly calls: readonly PlannedCall[];
  readonly destructive: number;
  /** The deploy fails (and rolls back) as AWS would make it fail. */
  readonly failure?: PlanFailure;
  readonly quotas: QuotaEffects;
  /** About how long the deploy takes on AWS (the waits of the quota model at AWS speed, plus handler time). */
  readonly awsEstimateMs: number;
  readonly exitCode: number;
}

export interface PlanOptions {
  /** A cloud assembly directory (cdk.out), or a command that synthesizes one. */
  readonly app: string;
  /** Stack names or patterns (`*`); the stacks they depend on are planned too. @default every stack of the app */
  readonly stacks?: readonly string[];
  readonly cwd?: string;
  readonly codeCacheDir?: string;
  /** The organization's accounts quota (the API does not show it). @default not checked */
  readonly maxAccounts?: number;
  /** Destructive calls do not make the exit status 2. @default false */
  readonly allowDestructive?: boolean;
  readonly snapshot?: SnapshotOptions;
  /** Quotas of the organization where they differ from AWS's defaults (the API shows none). @default AWS's defaults */
  readonly quotas?: Partial<Quotas>;
  /** Time scale of the private emulator (its waits are at AWS speed in simulated time whatever it is). @default 0.001 */
  readonly timeScale?: number;
}

function isMutating(call: CallRecord): boolean {
  const operations = call.service === 'account' ? ACCOUNT_OPERATIONS : ORGANIZATIONS_OPERATIONS;
  return Object.hasOwn(operations, call.operation) && operations[call.operation].mutating;
}

function kindOf(call: CallRecord): PlanKind {
  if (call.operation === 'UpdatePolicy') return call.request.Content !== undefined ? 'update content' : 'rename';
  return KIND_OF[call.operation] ?? 'other';
}

function subjectOf(request: Record<string, any>): string {
  const parts: string[] = [];
  for (const key of ['Name', 'AccountName', 'Email', 'Type', 'PolicyId', 'TargetId', 'ResourceId', 'AccountId', 'OrganizationalUnitId', 'ParentId',
    'SourceParentId', 'DestinationParentId', 'RootId', 'PolicyType', 'ServicePrincipal']) {
    if (request[key] !== undefined) parts.push(`${key}=${String(request[key])}`);
  }
  if (Array.isArray(request.Tags)) parts.push(`Tags=${request.Tags.map((t: { Key: string; Value: string }) => `${t.Key}=${t.Value}`).join(',')}`);
  if (Array.isArray(request.TagKeys)) parts.push(`TagKeys=${request.TagKeys.join(',')}`);
  if (request.Content !== undefined) parts.push('Content=(new content)');
  return parts.join(' ');
}

/** Fn::ImportValue names of a template (literal ones). */
function importsOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {value.forEach(item => importsOf(item, found));} else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'Fn::ImportValue' && typeof item === 'string') found.add(item);
      else importsOf(item, found);
    }
  }
  return found;
}

/** The deployer's document of a stack as CloudFormation reports it. */
export function stackDocumentOf(stack: DeployedStack): StackDocument {
  const resources: Record<string, ResourceRecord> = {};
  for (const r of stack.resources) {
    resources[r.logicalId] = {
      type: r.type,
      physicalId: r.physicalId ?? '',
      properties: r.resolved ?? {},
      attributes: r.attributes,
      dependsOn: r.dependsOn,
      ...(r.deletionPolicy ? { deletionPolicy: r.deletionPolicy } : {}),
      ...(r.updateReplacePolicy ? { updateReplacePolicy: r.updateReplacePolicy } : {}),
      status: r.status,
    };
  }
  return {
    format: 'cdk-organizations/local-stack@1',
    stackName: stack.stackName,
    stackId: stack.stackId,
    status: stack.status,
    template: stack.template,
    parameters: stack.parameters,
    resources,
    pendingDeletes: [],
    outputs: stack.outputs,
    imports: [...importsOf(stack.template)],
    createdAt: stack.createdAt,
    updatedAt: stack.updatedAt,
  };
}

function quotaEffects(before: EmulatorState, after: EmulatorState, closes: number, maxAccounts: number | undefined): QuotaEffects {
  const quotas = new ResolvedQuotas(maxAccounts !== undefined ? { maxAccounts } : {});
  const org = after.organization ?? before.organization!;
  const members = memberAccounts(after).length;
  const depthOf = (id: string) => {
    let depth = 0;
    for (let at: string | undefined = id; at && at !== org.root.id; at = org.ous[at]?.parentId) depth++;
    return depth;
  };
  const fullTargets: Array<{ targetId: string; policyType: string; attached: number; max: number }> = [];
  const counts = new Map<string, number>();
  for (const [policyId, targets] of Object.entries(org.attachments)) {
    const type = org.policies[policyId]?.type;
    if (!type) continue;
    for (const target of targets) counts.set(`${target}|${type}`, (counts.get(`${target}|${type}`) ?? 0) + 1);
  }
  for (const [key, attached] of counts) {
    const [targetId, policyType] = key.split('|');
    const max = quotas.attachmentsPerTarget(policyType as PolicyTypeName);
    if (attached >= max) fullTargets.push({ targetId, policyType, attached, max });
  }
  return {
    closures: { count: (before.organization?.closures.length ?? 0) + closes, max: quotas.closuresPer30Days(members) },
    accounts: { count: members, ...(maxAccounts !== undefined ? { max: maxAccounts } : {}) },
    ouDepth: { depth: Math.max(0, ...Object.keys(org.ous).map(depthOf)), max: quotas.values.maxOuDepth },
    fullTargets,
  };
}

/** Reads the stacks' current state from CloudFormation: undefined for a stack never deployed. */
async function currentStack(clients: LiveClients, reader: Reader, stackName: string): Promise<Stack | undefined> {
  try {
    return (await reader.send<any>(clients.cloudformation, new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) return undefined;
    throw explainAccessError(error, { profile: clients.options.profile, endpoint: clients.options.endpoint }) ?? error;
  }
}

/** Plans the deploy of `options.app` against the organization `clients` reach. Read-only. */
export async function plan(clients: LiveClients, options: PlanOptions): Promise<PlanResult> {
  let synthesized: Awaited<ReturnType<typeof synthesize>>;
  try {
    synthesized = await synthesize(options.app, { cwd: options.cwd });
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new LiveInputError(`The app does not synthesize (${first}): fix the app (run it alone to see the whole error), or pass --app a cdk.out directory.`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-organizations-plan-'));
  let rehearsal: Emulator | undefined;
  try {
    const assembly = readAssembly(synthesized.directory);
    let selected;
    try {
      selected = selectStacks(assembly.stacks, options.stacks, 'upstream');
    } catch (error) {
      throw new LiveInputError(`${(error as Error).message}: check --stack.`);
    }
    const snapshot = await takeSnapshot(clients, { ...options.snapshot, allowNoOrganization: true });
    const reader = new Reader(options.snapshot?.pacing ?? {});
    const exported = await readExports(clients, reader);
    const stacks: PlanResult['stacks'][number][] = [];
    const documents: Record<string, unknown> = {};
    for (const stack of selected) {
      const current = await currentStack(clients, reader, stack.stackName);
      if (!current || current.StackStatus === 'DELETE_COMPLETE') {
        stacks.push({ stackName: stack.stackName, deployed: false });
        continue;
      }
      if (current.StackStatus?.endsWith('_IN_PROGRESS')) {
        throw new LiveInputError(`Stack ${stack.stackName} is ${current.StackStatus}: wait until CloudFormation finishes it, then plan again.`);
      }
      const deployed = await describeDeployedStack(clients, reader, current, snapshot.state, exported);
      documents[stack.stackName] = stackDocumentOf(deployed);
      stacks.push({ stackName: stack.stackName, deployed: true, status: current.StackStatus });
    }

    // The private copy: the organization and the stacks, in an emulator of this process only.
    const stateFile = path.join(work, 'state.json');
    // What the API shows without its time, dated in the copy's time.
    const now = Date.now();
    const live = snapshot.state.organization;
    const organization = live && {
      ...live,
      // The accounts still closing count as closed within the 30-day window (as the plan reports them).
      closures: live.closures.map(() => now),
      root: {
        ...live.root,
        // A type PENDING_ENABLE or PENDING_DISABLE ends its change at once, as it does within seconds in AWS
        // (undated, it would never end in the copy, and the deploy would be planned to time out).
        policyTypes: Object.fromEntries(Object.entries(live.root.policyTypes)
          .map(([type, entry]) => [type, entry && entry.status !== 'ENABLED' ? { ...entry, dueAt: now } : entry])),
      },
    };
    fs.writeFileSync(stateFile, JSON.stringify({ ...snapshot.state, ...(organization ? { organization } : {}), stacks: documents }));
    rehearsal = await Emulator.start({
      stateFile,
      relaxed: true,
      timeScale: options.timeScale ?? 0.001,
      quotas: { maxAccounts: options.maxAccounts ?? Number.MAX_SAFE_INTEGER, ...options.quotas },
    });
    const result: RunResult = await deploy({
      endpoint: rehearsal.endpoint,
      app: synthesized.directory,
      stacks: options.stacks,
      codeCacheDir: options.codeCacheDir ?? path.join(work, 'code'),
    });
    const mutating = rehearsal.callLog.filter(call => isMutating(call) && call.outcome === 'OK');
    const calls: PlannedCall[] = mutating.map(call => {
      const kind = kindOf(call);
      const destructive = DESTRUCTIVE_KINDS.includes(kind);
      return { kind, operation: call.operation, destructive, subject: subjectOf(call.request), request: call.request };
    });
    const destructiveCount = calls.filter(call => call.destructive).length;
    const failure = result.success ? undefined : {
      message: result.error ?? 'the deploy failed',
      resources: result.stacks.flatMap(s => s.events).filter(e => /_FAILED$/.test(e.status) && e.resourceType !== 'AWS::CloudFormation::Stack')
        .map(e => ({ stackName: e.stackName, logicalId: e.logicalId, status: e.status, ...(e.reason ? { reason: e.reason } : {}) })),
      finalStatuses: result.stacks.map(s => `${s.stackName} ${s.status ?? 'DELETED'}`),
    };
    const after = rehearsal.state();
    const exitCode = failure ? PLAN_EXIT.WOULD_FAIL
      : destructiveCount > 0 && !options.allowDestructive ? PLAN_EXIT.DESTRUCTIVE
        : calls.length > 0 ? PLAN_EXIT.CHANGES : PLAN_EXIT.NO_CHANGES;
    return {
      organizationId: snapshot.state.organization?.id ?? '',
      stacks,
      calls,
      destructive: destructiveCount,
      ...(failure ? { failure } : {}),
      quotas: quotaEffects(snapshot.state, after, calls.filter(c => c.operation === 'CloseAccount').length, options.maxAccounts),
      awsEstimateMs: result.awsEstimateMs,
      exitCode,
    };
  } finally {
    await rehearsal?.stop();
    synthesized.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The plan for a reader: the calls grouped by what they do, destructive ones flagged, then quotas, time and outcome. */
export function formatPlan(result: PlanResult): string {
  const lines: string[] = [];
  const stacks = result.stacks.map(s => `${s.stackName}${s.deployed ? '' : ' (new)'}`).join(', ');
  lines.push(`Plan of ${stacks} against organization ${result.organizationId}:`);
  if (result.calls.length === 0) lines.push('  no change to the organization');
  for (const kind of PLAN_KINDS) {
    const calls = result.calls.filter(call => call.kind === kind);
    if (calls.length === 0) continue;
    lines.push(`  ${kind} (${calls.length})${DESTRUCTIVE_KINDS.includes(kind) ? '  DESTRUCTIVE' : ''}`);
    for (const call of calls) lines.push(`    ${call.destructive ? '! ' : '  '}${call.operation} ${call.subject}`);
  }
  const q = result.quotas;
  lines.push('Quotas after the deploy:');
  lines.push(`  account closures in the 30-day window: ${q.closures.count} of ${q.closures.max}`);
  lines.push(`  accounts in the organization: ${q.accounts.count}${q.accounts.max !== undefined ? ` of ${q.accounts.max} (${q.accounts.max - q.accounts.count} left)` : ' (pass --max-accounts N to check the quota)'}`);
  lines.push(`  deepest OU: ${q.ouDepth.depth} of ${q.ouDepth.max} levels`);
  for (const t of q.fullTargets) lines.push(`  ${t.targetId}: ${t.attached} of ${t.max} ${t.policyType} policies attached directly (full)`);
  lines.push(`Estimated duration on AWS: ${duration(result.awsEstimateMs)}`);
  if (result.failure) {
    lines.push(`The deploy would FAIL and roll back: ${result.failure.message}`);
    for (const r of result.failure.resources) lines.push(`  ${r.stackName}/${r.logicalId} ${r.status}${r.reason ? `: ${r.reason}` : ''}`);
    lines.push(`  stacks end as: ${result.failure.finalStatuses.join(', ')}`);
  }
  lines.push(`${result.calls.length} call${result.calls.length === 1 ? '' : 's'} that change the organization, ${result.destructive} destructive.`);
  return lines.join('\n');
}

export async function planCommand(values: Values, connection: LiveClientOptions, io: Io): Promise<number> {
  const app = values.app as string | undefined;
  if (!app) throw new LiveInputError('plan needs --app: a cdk.out directory, or the command that synthesizes the app (as in cdk.json).');
  const maxAccounts = values['max-accounts'] === undefined ? undefined : Number(values['max-accounts']);
  if (maxAccounts !== undefined && !(Number.isSafeInteger(maxAccounts) && maxAccounts > 0)) {
    throw new LiveInputError(`--max-accounts takes a positive integer (the organization's accounts quota), got '${values['max-accounts']}'.`);
  }
  const clients = liveClients(connection);
  try {
    const result = await plan(clients, {
      app,
      stacks: (values.stack as string[] | undefined) ?? [],
      allowDestructive: values['allow-destructive'] === true,
      codeCacheDir: values['code-cache'] as string | undefined,
      maxAccounts,
    });
    io.out(values.json ? JSON.stringify(result, undefined, 2) : formatPlan(result));
    return result.exitCode;
  } finally {
    clients.destroy();
  }
}
