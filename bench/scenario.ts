/**
 * A deploy scenario for the rehearsal's clock: one stack of N accounts spread over OUs, with SCPs
 * attached to every OU, synthesized from the real constructs and deployed by the local deployer
 * (real bundled handlers) against an emulator with AWS's real quotas and throttling. Reports what
 * a deploy's fidelity is judged by: the outcome, the simulated duration, the API calls by
 * operation, and how CreateAccount met the in-progress quota.
 *
 *   npx ts-node --transpile-only bench/scenario.ts [accounts=8] [ous=2] [scps=1] [timeScale=0.05,0.005]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { deploy, StackEvent } from '../local/deployer';
import { Emulator } from '../local/emulator';
import { Account, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType } from '../src';

export interface ScenarioShape {
  readonly accounts: number;
  readonly ous: number;
  readonly scps: number;
}

export interface ScenarioFigures {
  readonly timeScale: number;
  readonly success: boolean;
  readonly status?: string;
  readonly error?: string;
  /** Simulated seconds from the stack's first event to its last. */
  readonly simulatedSeconds: number;
  /** Real seconds the deploy took. */
  readonly realSeconds: number;
  /** Calls the emulator received, by operation (throttled and refused ones included). */
  readonly calls: Readonly<Record<string, number>>;
  readonly totalCalls: number;
  readonly throttled: number;
  /** Throttled calls by operation (each was retried, and the retry is counted in `calls` too). */
  readonly throttledByOperation: Readonly<Record<string, number>>;
  /** The most CreateAccount requests in progress at once. */
  readonly maxCreationsInFlight: number;
  /** CreateAccount calls refused because 5 creations were already in progress. */
  readonly refusedForQuota: number;
  /** Resources that failed for a timeout (CloudFormation's limit, the waiter's or the handler's create timeout). */
  readonly timeouts: number;
  /** The organization at the end: OU name -> account names, policy name -> attached OU names. */
  readonly organization: { readonly ous: Record<string, string[]>; readonly policies: Record<string, string[]> };
  /** With `followUps`: the same app deployed again, then with one field changed (the name of the first account). */
  readonly redeploy?: FollowUpFigures;
  readonly oneFieldChange?: FollowUpFigures;
}

/** A deploy of the stack once deployed. */
export interface FollowUpFigures {
  readonly success: boolean;
  readonly status?: string;
  readonly simulatedSeconds: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly totalCalls: number;
  /** Calls that change something (not Describe, List or Get). */
  readonly mutatingCalls: number;
}

/** The name of account `i` in the scenario; `renamed` is the one-field change. */
function accountName(i: number, renamed: boolean): string {
  return renamed && i === 0 ? 'account-0-renamed' : `account-${i}`;
}

/** Synthesizes the scenario's app into `outdir` (with `renamed`, the first account has another name). */
export function scenarioApp(shape: ScenarioShape, outdir: string, renamed = false): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Scenario');
  const organization = new Organization(stack, 'Organization');
  const ous = Array.from({ length: shape.ous }, (_, i) =>
    new OrganizationalUnit(stack, `Ou${i}`, { organizationalUnitName: `ou-${i}`, parent: organization.root }));
  for (let i = 0; i < shape.accounts; i++) {
    new Account(stack, `Account${i}`, { accountName: accountName(i, renamed), email: `aws+account-${i}@example.com`, parent: ous[i % ous.length] ?? organization.root });
  }
  for (let i = 0; i < shape.scps; i++) {
    const policy = new Policy(stack, `Scp${i}`, {
      policyName: `scp-${i}`,
      policyType: PolicyType.SERVICE_CONTROL_POLICY,
      content: PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: [`service${i}:Delete*`], Resource: '*' }] }),
    });
    for (const ou of ous) policy.attachTo(ou);
  }
  app.synth();
}

/** Simulated seconds from a run's first event to its last. */
function simulatedSpan(result: { stacks: ReadonlyArray<{ events: ReadonlyArray<StackEvent> }> }, timeScale: number): number {
  const events = result.stacks.flatMap(stack => stack.events);
  // Without the rehearsal's clock (an older deployer), simulated time was real time over the scale.
  const simulated = events.map(event => event.simulatedSeconds ?? Date.parse(event.timestamp) / 1000 / timeScale);
  return simulated.length ? Math.max(...simulated) - Math.min(...simulated) : 0;
}

function byOperation(calls: ReadonlyArray<{ operation: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}

const READ_ONLY = /^(Describe|List|Get)/;

/**
 * Deploys the scenario to a fresh emulator at `timeScale` and measures it; with `followUps`, then
 * deploys the same app again (nothing should change) and the app with one field changed.
 */
export async function runScenario(shape: ScenarioShape, timeScale: number, workdir?: string, followUps = false): Promise<ScenarioFigures> {
  const dir = workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-'));
  const outdir = path.join(dir, `cdk.out-${shape.accounts}-${shape.ous}-${shape.scps}`);
  if (!fs.existsSync(outdir)) scenarioApp(shape, outdir);
  const emulator = await Emulator.start({ timeScale, quotas: { maxAccounts: shape.accounts + 10 } });
  try {
    const started = Date.now();
    const codeCacheDir = path.join(dir, 'code');
    const result = await deploy({ endpoint: emulator.endpoint, app: outdir, codeCacheDir });
    const realSeconds = (Date.now() - started) / 1000;
    const firstCalls = emulator.callLog.length;
    const calls = byOperation(emulator.callLog);
    const events = result.stacks.flatMap(stack => stack.events);
    const state = emulator.state();
    const org = state.organization;
    const requests = Object.values(org?.createAccountRequests ?? {});
    const ous: Record<string, string[]> = {};
    const policies: Record<string, string[]> = {};
    if (org) {
      const ouName = (id: string) => org.ous[id]?.name ?? (id === org.root.id ? '/' : id);
      for (const account of Object.values(state.accounts)) {
        if (!account.membership || account.id === org.managementAccountId) continue;
        (ous[ouName(account.membership.parentId)] ??= []).push(account.name);
      }
      for (const names of Object.values(ous)) names.sort();
      for (const policy of Object.values(org.policies)) {
        if (policy.awsManaged) continue;
        policies[policy.name] = (org.attachments[policy.id] ?? []).map(ouName).sort();
      }
    }
    const log = emulator.callLog.slice(0, firstCalls);
    // For a closer look at who called what when: SCENARIO_CALL_LOG=file.json writes every call of the deploy.
    if (process.env.SCENARIO_CALL_LOG) fs.writeFileSync(process.env.SCENARIO_CALL_LOG, JSON.stringify(log));
    const followUp = async (app: string): Promise<FollowUpFigures> => {
      const before = emulator.callLog.length;
      const run = await deploy({ endpoint: emulator.endpoint, app, codeCacheDir });
      const made = emulator.callLog.slice(before);
      return {
        success: run.success,
        status: run.stacks[0]?.status,
        simulatedSeconds: simulatedSpan(run, timeScale),
        calls: byOperation(made),
        totalCalls: made.length,
        mutatingCalls: made.filter(call => !READ_ONLY.test(call.operation)).length,
      };
    };
    let redeploy: FollowUpFigures | undefined;
    let oneFieldChange: FollowUpFigures | undefined;
    if (followUps && result.success) {
      redeploy = await followUp(outdir);
      const changed = `${outdir}-renamed`;
      if (!fs.existsSync(changed)) scenarioApp(shape, changed, true);
      oneFieldChange = await followUp(changed);
    }
    return {
      timeScale,
      success: result.success,
      status: result.stacks[0]?.status,
      error: result.error,
      simulatedSeconds: simulatedSpan(result, timeScale),
      realSeconds,
      calls,
      totalCalls: log.length,
      throttled: log.filter(call => call.outcome === 'TooManyRequestsException').length,
      throttledByOperation: byOperation(log.filter(call => call.outcome === 'TooManyRequestsException')),
      maxCreationsInFlight: maxOverlap(requests.map(request => [request.requestedAt, request.completedAt ?? request.dueAt])),
      refusedForQuota: log.filter(call => call.operation === 'CreateAccount' && call.reason === 'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED').length,
      timeouts: events.filter(event => event.status.endsWith('_FAILED') && /stabilize|timed out|timeout/i.test(event.reason ?? '')).length,
      organization: { ous, policies },
      redeploy,
      oneFieldChange,
    };
  } finally {
    await emulator.stop();
    if (!workdir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The most intervals [start, end) that overlap at one instant. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1], [end, -1]] as Array<[number, number]>)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) max = Math.max(max, current += delta);
  return max;
}

async function main(): Promise<void> {
  const [accounts = 8, ous = 2, scps = 1] = process.argv.slice(2, 5).map(Number);
  const scales = (process.argv[5] ?? '0.05,0.005').split(',').map(Number);
  const shape = { accounts, ous, scps };
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-'));
  try {
    console.log(`${accounts} accounts, ${ous} OUs, ${scps} SCPs on every OU; real quotas and throttling`);
    console.log('| time scale | outcome | simulated s | real s | API calls | throttled | max creations in flight | CreateAccount refused (quota) |');
    console.log('|---|---|---|---|---|---|---|---|');
    const all: ScenarioFigures[] = [];
    for (const scale of scales) {
      const f = await runScenario(shape, scale, workdir);
      all.push(f);
      console.log(`| ${scale} | ${f.status} | ${f.simulatedSeconds.toFixed(1)} | ${f.realSeconds.toFixed(1)} | ${f.totalCalls} | ${f.throttled} | ${f.maxCreationsInFlight} | ${f.refusedForQuota} |`);
    }
    console.log(JSON.stringify(all.map(({ organization: _, ...f }) => f), undefined, 1));
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch(error => {
    console.error(error);
    process.exitCode = 1;
  });
}
