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
import { deploy } from '../local/deployer';
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
  /** The most CreateAccount requests in progress at once. */
  readonly maxCreationsInFlight: number;
  /** CreateAccount calls refused because 5 creations were already in progress. */
  readonly refusedForQuota: number;
  /** The organization at the end: OU name -> account names, policy name -> attached OU names. */
  readonly organization: { readonly ous: Record<string, string[]>; readonly policies: Record<string, string[]> };
}

/** Synthesizes the scenario's app into `outdir`. */
export function scenarioApp(shape: ScenarioShape, outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Scenario');
  const organization = new Organization(stack, 'Organization');
  const ous = Array.from({ length: shape.ous }, (_, i) =>
    new OrganizationalUnit(stack, `Ou${i}`, { organizationalUnitName: `ou-${i}`, parent: organization.root }));
  for (let i = 0; i < shape.accounts; i++) {
    new Account(stack, `Account${i}`, { accountName: `account-${i}`, email: `aws+account-${i}@example.com`, parent: ous[i % ous.length] ?? organization.root });
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

/** Deploys the scenario to a fresh emulator at `timeScale` and measures it. */
export async function runScenario(shape: ScenarioShape, timeScale: number, workdir?: string): Promise<ScenarioFigures> {
  const dir = workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-'));
  const outdir = path.join(dir, `cdk.out-${shape.accounts}-${shape.ous}-${shape.scps}`);
  if (!fs.existsSync(outdir)) scenarioApp(shape, outdir);
  const emulator = await Emulator.start({ timeScale, quotas: { maxAccounts: shape.accounts + 10 } });
  try {
    const started = Date.now();
    const result = await deploy({ endpoint: emulator.endpoint, app: outdir, codeCacheDir: path.join(dir, 'code') });
    const realSeconds = (Date.now() - started) / 1000;
    const events = result.stacks.flatMap(stack => stack.events);
    // Without the rehearsal's clock (an older deployer), simulated time was real time over the scale.
    const simulated = events.map(event => event.simulatedSeconds ?? Date.parse(event.timestamp) / 1000 / timeScale);
    const calls: Record<string, number> = {};
    for (const call of emulator.callLog) calls[call.operation] = (calls[call.operation] ?? 0) + 1;
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
    return {
      timeScale,
      success: result.success,
      status: result.stacks[0]?.status,
      error: result.error,
      simulatedSeconds: simulated.length ? Math.max(...simulated) - Math.min(...simulated) : 0,
      realSeconds,
      calls,
      totalCalls: emulator.callLog.length,
      throttled: emulator.callLog.filter(call => call.outcome === 'TooManyRequestsException').length,
      maxCreationsInFlight: maxOverlap(requests.map(request => [request.requestedAt, request.completedAt ?? request.dueAt])),
      refusedForQuota: emulator.callLog.filter(call => call.operation === 'CreateAccount' && call.reason === 'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED').length,
      organization: { ous, policies },
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
