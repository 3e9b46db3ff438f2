/**
 * The soak runner: seeded lifecycles, each against a fresh emulator (real quotas and throttling,
 * a fast time scale), made of deploys of randomized app versions with faults injected on every
 * call (rollbacks run under the same faults), sometimes things made by hand that the next version
 * adopts, and sometimes a destroy (and a deploy again after it). The invariants are checked after
 * every stack operation through the SDK, with the faults off.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribeCreateAccountStatusCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AppSpec, diffSpecs, generate, mutate, Names, ROOT, Rng } from './generator';
import { Ledger, Finding, declaredViolations, duplicates, lossViolations, rollbackViolations, VIOLATION_CLASSES, ViolationClass } from './invariants';
import { isClosed, organizationsClient, Snapshot, takeSnapshot } from './snapshot';
import { synthesize } from './synth';
import { deploy, DeployOptions, destroy, RunResult } from '../../local/deployer';
import { Emulator, FaultSpec } from '../../local/emulator';

export interface SoakOptions {
  readonly lifecycles: number;
  readonly seed: number;
  /** Run only the lifecycles with these indexes (each lifecycle's seed derives from `seed` and its index). */
  readonly only?: readonly number[];
  /** Deploys per lifecycle before the optional destroy. @default 3 to 6 */
  readonly minSteps?: number;
  readonly maxSteps?: number;
  /** @default 0.002 */
  readonly timeScale?: number;
  /** Probability that a version after the first is designed to fail. @default 0.35 */
  readonly doomProbability?: number;
  /** Probability that a lifecycle ends with a destroy. @default 0.5 */
  readonly destroyProbability?: number;
  /** Inject faults. @default true */
  readonly faults?: boolean;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Where app versions are synthesized. @default a temporary directory, removed at the end */
  readonly workdir?: string;
}

export interface Violation extends Finding {
  readonly seed: number;
  readonly lifecycle: number;
  readonly step: number;
  readonly action: string;
  /** The version that was deployed before the step, and the one the step attempted. */
  readonly before?: AppSpec;
  readonly attempted?: AppSpec;
  /** The app versions' difference, one line per changed thing. */
  readonly versionDiff: readonly string[];
  readonly faults?: FaultSpec;
  readonly faultSeed?: number;
  readonly error?: string;
}

export interface SoakReport {
  readonly seed: number;
  readonly lifecycles: number;
  readonly deploys: number;
  readonly destroys: number;
  readonly stackOperations: number;
  readonly failuresIntended: number;
  readonly failuresUnintended: number;
  readonly handMade: number;
  readonly counts: Record<ViolationClass, number>;
  readonly violations: readonly Violation[];
  readonly durationMs: number;
}

/** The seed of lifecycle `index` of a run seeded `seed`. */
export function lifecycleSeed(seed: number, index: number): number {
  return (seed * 1_000_003 + index * 7919 + 17) % 4_294_967_291;
}

const SLOW_OPERATIONS = ['UpdateOrganizationalUnit', 'CreateOrganizationalUnit', 'AttachPolicy', 'DetachPolicy', 'UpdatePolicy', 'CreatePolicy',
  'TagResource', 'UntagResource', 'MoveAccount', 'PutAccountName', 'RegisterDelegatedAdministrator', 'DeleteOrganizationalUnit', 'DeletePolicy'];

function randomFaults(rng: Rng): FaultSpec {
  const spec: Record<string, unknown> = {
    TooManyRequestsException: rng.pick([0, 0.05, 0.1, 0.2]),
    ConcurrentModificationException: rng.pick([0, 0.05, 0.1]),
    ServiceException: rng.pick([0, 0.03, 0.08]),
    latencyMs: rng.pick([0, 2, 10]),
  };
  // A slow operation makes cancelled operations land after the rollback started.
  if (rng.chance(0.4)) spec.operations = { [rng.pick(SLOW_OPERATIONS)]: { latencyMs: rng.pick([150, 400]) } };
  return spec as FaultSpec;
}

/** One step of a scripted lifecycle: deploy `spec` (or destroy), under `faults`, after making `handMade` keys by hand. */
export interface ScriptStep {
  readonly spec?: AppSpec;
  readonly destroy?: boolean;
  readonly faults?: FaultSpec;
  readonly faultSeed?: number;
  readonly handMade?: readonly string[];
}

/** What a run says that the soak reads. */
type Outcome = Pick<RunResult, 'success' | 'stacks' | 'error'>;

const EMPTY: AppSpec = { stacks: 0, ous: [], accounts: [], policies: [], admins: [] };

/** What stack `upTo` and those before it deploy from `attempted`, the rest still as `deployed`. */
function mix(attempted: AppSpec, deployed: AppSpec | undefined, upTo: number): AppSpec {
  const policies = [...attempted.policies.filter(p => p.stack <= upTo), ...(deployed?.policies.filter(p => p.stack > upTo) ?? [])];
  return {
    stacks: attempted.stacks,
    ous: attempted.ous,
    accounts: attempted.accounts,
    admins: attempted.admins,
    policies,
    organizationPolicyTypes: [...new Set(attempted.policies.map(p => p.type))],
  };
}

function mixOwners(attempted: AppSpec, attemptedOwners: ReadonlyMap<string, string>,
  deployedOwners: ReadonlyMap<string, string>, upTo: number): Map<string, string> {
  const out = new Map(deployedOwners);
  const later = new Set(attempted.policies.filter(p => p.stack > upTo).map(p => p.key));
  for (const [key, owner] of attemptedOwners) if (!later.has(key)) out.set(key, owner);
  return out;
}

class Lifecycle {
  readonly violations: Violation[] = [];
  deploys = 0;
  destroys = 0;
  stackOperations = 0;
  failuresIntended = 0;
  failuresUnintended = 0;
  handMade = 0;

  private deployed: AppSpec | undefined;
  private deployedOwners = new Map<string, string>();
  private snap!: Snapshot;
  private ledger!: Ledger;
  private step = 0;
  private version = 0;
  private scripted?: ScriptStep;
  /** A stack ended in a *_FAILED state: nothing more can be deployed to it, and the lifecycle ends. */
  private stuck = false;
  /** Class and observation of what was reported: a state that persists is reported once, where it appeared. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly emulator: Emulator,
    private readonly client: OrganizationsClient,
    private readonly rng: Rng,
    private readonly names: Names,
    private readonly seed: number,
    private readonly index: number,
    private readonly options: SoakOptions,
    private readonly workdir: string,
  ) {}

  /** With SOAK_TRACE=1, every stack event and handler log line of the deploys (to find a violation's cause). */
  private trace(): Pick<DeployOptions, 'onEvent' | 'onLog'> {
    if (!process.env.SOAK_TRACE) return {};
    return {
      onEvent: event => this.log(`    event ${JSON.stringify(event)}`),
      onLog: (fn, line) => this.log(`    log ${fn}: ${line}`),
    };
  }

  private log(line: string) {
    this.options.log?.(`[lifecycle ${this.index} seed ${this.seed}] ${line}`);
  }

  private async snapshot(): Promise<Snapshot> {
    this.emulator.setFaults(undefined);
    return takeSnapshot(this.client);
  }

  private record(findings: Finding[], context: Omit<Violation, 'class' | 'observation' | 'seed' | 'lifecycle' | 'step'>) {
    for (const f of findings) {
      const key = `${f.class}|${f.observation}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.violations.push({ ...f, seed: this.seed, lifecycle: this.index, step: this.step, ...context });
      this.log(`  VIOLATION ${f.class}: ${f.observation}`);
    }
  }

  /** Faults of the next stack operation: drawn, or the script's. */
  private nextFaults(): { faults?: FaultSpec; faultSeed: number } {
    if (this.scripted) return { faults: this.scripted.faults, faultSeed: this.scripted.faultSeed ?? 1 };
    const faults = this.options.faults === false ? undefined : randomFaults(this.rng);
    return { faults, faultSeed: this.rng.int(1, 1_000_000) };
  }

  /** Runs the steps of a script instead of drawn ones (a reproduction). */
  async runScript(steps: readonly ScriptStep[]): Promise<void> {
    this.snap = await this.snapshot();
    this.ledger = freshLedger(this.snap);
    for (const step of steps) {
      this.step++;
      this.scripted = step;
      if (step.handMade) await this.makeByHand(step.spec ?? EMPTY, step.handMade);
      if (step.destroy) {
        if (!await this.destroyApp()) return;
      } else {
        await this.deployVersion(step.spec!, ['scripted']);
        if (this.stuck) return;
      }
    }
  }

  async run(): Promise<void> {
    this.snap = await this.snapshot();
    this.ledger = freshLedger(this.snap);
    const steps = this.rng.int(this.options.minSteps ?? 3, this.options.maxSteps ?? 6);
    let working = generate(this.rng, this.names);
    const doomFirst = this.rng.chance((this.options.doomProbability ?? 0.35) / 2);
    let attempted: AppSpec = doomFirst ? { ...working, doom: { stack: 0, last: this.rng.chance(0.5) } } : working;
    for (this.step = 1; this.step <= steps; this.step++) {
      let mutations = ['initial version'];
      if (this.step > 1) {
        const next = mutate(working, this.rng, this.names, this.options.doomProbability ?? 0.35, this.deployed);
        attempted = next.spec;
        mutations = next.mutations;
      }
      await this.makeByHand(attempted);
      await this.deployVersion(attempted, mutations);
      if (this.stuck) return;
      working = { ...attempted, doom: undefined };
    }
    this.step = steps;
    if (this.rng.chance(this.options.destroyProbability ?? 0.5)) {
      // Retained and closed accounts stay where they are, and an OU is deleted only when empty: as a
      // user would, the last version first brings the accounts to the root.
      let everyAccount = false;
      // The version deployed last, not a failed one since, says where the accounts are.
      if ([...working.accounts, ...this.deployed?.accounts ?? []].some(a => a.parent !== ROOT)) {
        this.step++;
        working = { ...working, accounts: working.accounts.map(a => ({ ...a, parent: ROOT })) };
        const failed = this.failuresIntended + this.failuresUnintended;
        await this.deployVersion(working, ['every account to the root, before the destroy']);
        if (this.stuck) return;
        // That version failed and rolled back (it may be one the organization refuses): by hand, then.
        everyAccount = this.failuresIntended + this.failuresUnintended > failed;
      }
      await this.moveLeftoversToRoot(working, everyAccount);
      this.step++;
      if (!await this.destroyApp()) return;
      if (this.rng.chance(0.4)) {
        // Deploy the last version again after the destroy: a closed or removed account must not come back as "created".
        this.step++;
        await this.deployVersion(working, ['the same version again after the destroy']);
      }
    }
  }

  /**
   * Accounts a failed deploy created and left (an account cannot be deleted), and accounts an
   * earlier version kept (RETAIN) when it stopped declaring them, keep their OU from being deleted:
   * before a destroy, they are moved to the root by hand, as the library's error message tells a
   * user to.
   */
  private async moveLeftoversToRoot(declared: AppSpec, everyAccount = false): Promise<void> {
    const emails = new Set(declared.accounts.map(a => a.email.toLowerCase()));
    this.emulator.setFaults(undefined);
    for (const a of Object.values(this.snap.accounts)) {
      // Left by a failed deploy, or kept (RETAIN) when an earlier version stopped declaring it; or any
      // account in an OU when the version that was to bring them to the root failed.
      const undeclared = (this.ledger.leftByRollback.has(a.id) || this.ledger.appAccounts.has(a.id)) && !emails.has(a.email.toLowerCase());
      const leftover = everyAccount || undeclared;
      if (!leftover || a.parentId === this.snap.rootId || isClosed(a.status)) continue;
      await this.client.send(new MoveAccountCommand({ AccountId: a.id, SourceParentId: a.parentId, DestinationParentId: this.snap.rootId }));
      this.log(`  moved by hand to the root, before the destroy: account ${a.id} <${a.email}>, which the app no longer declares`);
    }
    this.snap = await this.snapshot();
  }

  /** Things the next version declares, made by hand first: the version adopts them. */
  private async makeByHand(attempted: AppSpec, only?: readonly string[]): Promise<void> {
    const known = new Set([...(this.deployed?.ous ?? []), ...(this.deployed?.accounts ?? []), ...(this.deployed?.policies ?? [])].map(t => t.key));
    const draw = (key: string) => (only ? only.includes(key) : !known.has(key) && this.rng.chance(0.15));
    this.emulator.setFaults(undefined);
    for (const ou of attempted.ous) {
      if (!draw(ou.key) || ou.parent !== ROOT) continue;
      if (Object.values(this.snap.ous).some(o => o.parentId === this.snap.rootId && o.name === ou.name)) continue;
      const made = await this.client.send(new CreateOrganizationalUnitCommand({ ParentId: this.snap.rootId, Name: ou.name }));
      this.ledger.handMade.add(made.OrganizationalUnit!.Id!);
      this.handMade++;
      this.log(`  made by hand: OU ${made.OrganizationalUnit!.Id} "${ou.name}" (declared by ${ou.key})`);
    }
    for (const policy of attempted.policies) {
      if (!draw(policy.key)) continue;
      if (Object.values(this.snap.policies).some(p => p.type === policy.type && p.name === policy.name)) continue;
      const content = policy.type === 'SERVICE_CONTROL_POLICY'
        ? { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*' }] }
        : { tags: { handmade: { tag_key: { '@@assign': 'HandMade' } } } };
      const made = await this.client.send(new CreatePolicyCommand({ Name: policy.name, Type: policy.type, Description: 'made by hand', Content: JSON.stringify(content) }));
      this.ledger.handMade.add(made.Policy!.PolicySummary!.Id!);
      this.handMade++;
      this.log(`  made by hand: policy ${made.Policy!.PolicySummary!.Id} "${policy.name}" (declared by ${policy.key})`);
    }
    for (const account of attempted.accounts) {
      if (!draw(account.key)) continue;
      if (Object.values(this.snap.accounts).some(a => a.email.toLowerCase() === account.email.toLowerCase())) continue;
      const request = await this.client.send(new CreateAccountCommand({ Email: account.email, AccountName: 'hand-made' }));
      const id = await this.waitForAccount(request.CreateAccountStatus!.Id!);
      if (!id) continue;
      this.ledger.handMade.add(id);
      this.handMade++;
      this.log(`  made by hand: account ${id} <${account.email}> (declared by ${account.key})`);
    }
    this.snap = await this.snapshot();
  }

  private async waitForAccount(requestId: string): Promise<string | undefined> {
    for (let i = 0; i < 400; i++) {
      const status = (await this.client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }))).CreateAccountStatus!;
      if (status.State === 'SUCCEEDED') return status.AccountId;
      if (status.State === 'FAILED') return undefined;
      await new Promise(r => setTimeout(r, 20));
    }
    return undefined;
  }

  private async deployVersion(attempted: AppSpec, mutations: string[]): Promise<void> {
    const synth = synthesize(attempted, path.join(this.workdir, `l${this.index}-v${++this.version}`));
    for (const p of [...attempted.policies, ...this.deployed?.policies ?? []]) if (p.stack > 0) this.ledger.otherStackTypes.add(p.type);
    const versionDiff = diffSpecs(this.deployed, attempted);
    const reusesClosedEmail = attempted.accounts.some(a => this.isGoneEmail(a.email));
    this.deploys++;
    for (let i = 0; i < synth.stackNames.length; i++) {
      const stackName = synth.stackNames[i];
      const before = this.snap;
      const { faults, faultSeed } = this.nextFaults();
      const context = { action: `deploy ${stackName}`, before: this.deployed, attempted, versionDiff, faults, faultSeed };
      this.emulator.setFaults(faults, faultSeed);
      let result: Outcome;
      try {
        result = await deploy({ endpoint: this.emulator.endpoint, app: synth.outdir, stacks: [stackName], codeCacheDir: path.join(this.workdir, 'code'), ...this.trace() });
      } catch (error) {
        result = { success: false, stacks: [], error: `deploy threw: ${error instanceof Error ? error.message : error}` };
      } finally {
        this.emulator.setFaults(undefined);
      }
      this.stackOperations++;
      const after = await this.snapshot();
      const stack = result.stacks.find(s => s.stackName === stackName);
      const intended = attempted.doom?.stack === i && synth.doomLogicalId !== undefined && (result.error ?? '').includes(synth.doomLogicalId);
      this.log(`step ${this.step} deploy ${stackName} [${mutations.join(', ')}${attempted.doom ? `, doomed in stack ${attempted.doom.stack}${attempted.doom.last ? ' last' : ''}` : ''}] `
        + `faults ${JSON.stringify(faults)}: ${stack?.status ?? 'no stack'}${result.error ? ` (${result.error.slice(0, 200)})` : ''}`);
      if (result.success) {
        const declared = mix(attempted, this.deployed, i);
        const owners = mixOwners(attempted, synth.owners, this.deployedOwners, i);
        const findings: Finding[] = [];
        if (stack?.error) findings.push({ class: 'unexpected failure', observation: `the deploy succeeded with an error: ${stack.error}` });
        if (attempted.doom?.stack === i) findings.push({ class: 'unexpected failure', observation: 'a version designed to fail deployed successfully' });
        findings.push(...lossViolations(before, after, this.ledger, true, declared));
        // The accounts it made are the app's from now on.
        const active = (email: string) => Object.values(after.accounts)
          .find(s => s.email.toLowerCase() === email.toLowerCase() && !isClosed(s.status))?.id;
        const ids = new Map(declared.accounts.map(a => [a.key, active(a.email)]));
        for (const a of declared.accounts) {
          const id = ids.get(a.key);
          if (id && !this.ledger.handMade.has(id) && !this.ledger.initial.accounts[id]) this.ledger.appAccounts.set(id, a.key);
        }
        findings.push(...declaredViolations(declared, owners, after, this.ledger));
        findings.push(...duplicates(after));
        this.record(findings, context);
        for (const a of declared.accounts) this.ledger.removal.set(a.key, a.removalAction);
        this.deployed = declared;
        this.deployedOwners = owners;
        this.snap = after;
      } else {
        const findings: Finding[] = [];
        if (intended) {this.failuresIntended++;} else if (reusesClosedEmail) {
          // An email of a closed or removed account cannot make a new account: refusing it is right.
          this.failuresIntended++;
        } else {
          this.failuresUnintended++;
          findings.push({ class: 'unexpected failure', observation: result.error ?? 'failed without an error' });
        }
        const attemptedEmails = new Map(attempted.accounts.map(a => [a.email.toLowerCase(), a.key]));
        for (const a of Object.values(after.accounts)) {
          const key = attemptedEmails.get(a.email.toLowerCase());
          if (!before.accounts[a.id] && key) {
            this.ledger.appAccounts.set(a.id, key);
            this.ledger.leftByRollback.add(a.id);
          }
        }
        findings.push(...rollbackViolations(before, after, attempted, stack?.status));
        findings.push(...lossViolations(before, after, this.ledger, false, this.deployed ?? EMPTY));
        findings.push(...duplicates(after));
        this.record(findings, { ...context, error: result.error });
        this.snap = after;
        if (stack?.status?.endsWith('_FAILED')) this.stuck = true;
        return;
      }
    }
  }

  /** An email whose account the app closed or removed. */
  private isGoneEmail(email: string): boolean {
    const state = this.emulator.state() as unknown as { accounts: Record<string, { email: string }> };
    const known = Object.entries(state.accounts ?? {}).filter(([, a]) => a.email?.toLowerCase() === email.toLowerCase()).map(([id]) => id);
    return known.some(id => !this.snap.accounts[id] || isClosed(this.snap.accounts[id].status));
  }

  /** Whether the destroy succeeded. */
  private async destroyApp(): Promise<boolean> {
    const before = this.snap;
    const { faults, faultSeed } = this.nextFaults();
    const outdir = path.join(this.workdir, `l${this.index}-v${this.version}`);
    const context = { action: 'destroy', before: this.deployed, attempted: EMPTY, versionDiff: diffSpecs(this.deployed, undefined), faults, faultSeed };
    this.destroys++;
    this.emulator.setFaults(faults, faultSeed);
    let result: Outcome;
    try {
      result = await destroy({ endpoint: this.emulator.endpoint, app: outdir, codeCacheDir: path.join(this.workdir, 'code'), ...this.trace() });
    } catch (error) {
      result = { success: false, stacks: [], error: `destroy threw: ${error instanceof Error ? error.message : error}` };
    } finally {
      this.emulator.setFaults(undefined);
    }
    this.stackOperations += Math.max(1, result.stacks.length);
    const after = await this.snapshot();
    this.log(`step ${this.step} destroy faults ${JSON.stringify(faults)}: ${result.stacks.map(s => `${s.stackName} ${s.status ?? 'gone'}`).join(', ')}${result.error ? ` (${result.error.slice(0, 200)})` : ''}`);
    const findings: Finding[] = [];
    if (!result.success) {
      this.failuresUnintended++;
      findings.push({ class: 'unexpected failure', observation: `destroy failed: ${result.error}` });
    }
    // A destroy is not rolled back: each Delete that ran did what its resource said, even if another failed.
    findings.push(...lossViolations(before, after, this.ledger, true, EMPTY));
    if (result.success) findings.push(...declaredViolations(EMPTY, new Map(), after, this.ledger));
    findings.push(...duplicates(after));
    this.record(findings, { ...context, error: result.error });
    this.snap = after;
    this.deployed = result.success ? undefined : this.deployed;
    if (result.success) this.deployedOwners = new Map();
    return result.success;
  }
}

function freshLedger(initial: Snapshot): Ledger {
  return {
    initial,
    handMade: new Set(),
    removal: new Map(),
    appAccounts: new Map(),
    leftByRollback: new Set(),
    otherStackTypes: new Set(),
    releasedTags: new Map(),
  };
}

/** Runs a scripted lifecycle (a reproduction) against a fresh emulator; returns its violations. */
export interface ScriptOptions {
  readonly timeScale?: number;
  readonly log?: (line: string) => void;
  /** Seed of the emulator's ids (and of the draws the script does not fix). @default 1 */
  readonly seed?: number;
  /** Called with the emulator at the end, before it stops (its call log, its state). */
  readonly inspect?: (emulator: Emulator) => void;
}

export async function runScript(steps: readonly ScriptStep[], options: ScriptOptions = {}): Promise<Violation[]> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-organizations-soak-'));
  const seed = options.seed ?? 1;
  const emulator = await startEmulator(seed, options.timeScale);
  const client = organizationsClient(emulator.endpoint);
  const lifecycle = new Lifecycle(emulator, client, new Rng(seed), new Names(0), seed, 0, { lifecycles: 1, seed, log: options.log }, workdir);
  try {
    await lifecycle.runScript(steps);
    options.inspect?.(emulator);
  } finally {
    client.destroy();
    await emulator.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  }
  return lifecycle.violations;
}

function startEmulator(seed: number, timeScale: number | undefined): Promise<Emulator> {
  return Emulator.start({
    withOrganization: true,
    timeScale: timeScale ?? 0.002,
    seed,
    // Real quotas, but room for the accounts that retained ones accumulate, and no 4-day wait
    // before an account the app created may leave (REMOVE_FROM_ORGANIZATION would fail by design).
    quotas: { maxAccounts: 100, accountRemovalWaitSeconds: 0 },
  });
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const workdir = options.workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-organizations-soak-'));
  const indexes = options.only ?? Array.from({ length: options.lifecycles }, (_, i) => i);
  const totals = { deploys: 0, destroys: 0, stackOperations: 0, failuresIntended: 0, failuresUnintended: 0, handMade: 0 };
  const violations: Violation[] = [];
  try {
    for (const index of indexes) {
      const seed = lifecycleSeed(options.seed, index);
      const emulator = await startEmulator(seed, options.timeScale);
      const client = organizationsClient(emulator.endpoint);
      const lifecycle = new Lifecycle(emulator, client, new Rng(seed), new Names(index), seed, index, options, workdir);
      try {
        await lifecycle.run();
      } catch (error) {
        violations.push({
          class: 'unexpected failure',
          observation: `the lifecycle stopped: ${error instanceof Error ? error.stack : error}`,
          seed,
          lifecycle: index,
          step: -1,
          action: 'lifecycle',
          versionDiff: [],
        });
      } finally {
        client.destroy();
        await emulator.stop();
      }
      violations.push(...lifecycle.violations);
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += lifecycle[k];
    }
  } finally {
    if (!options.workdir) fs.rmSync(workdir, { recursive: true, force: true });
  }
  const counts = Object.fromEntries(VIOLATION_CLASSES.map(c => [c, violations.filter(v => v.class === c).length])) as Record<ViolationClass, number>;
  return { seed: options.seed, lifecycles: indexes.length, ...totals, counts, violations, durationMs: Date.now() - started };
}

/** The report as text: figures, counts per class, and each violation with what reproduces it. */
export function formatReport(report: SoakReport, options: { readonly details?: boolean } = {}): string {
  const lines = [
    `soak seed ${report.seed}: ${report.lifecycles} lifecycles, ${report.deploys} deploys (${report.stackOperations} stack operations), ${report.destroys} destroys, `
      + `${report.handMade} things made by hand; failed deploys: ${report.failuresIntended} intended, ${report.failuresUnintended} unintended; `
      + `${(report.durationMs / 1000).toFixed(0)} s`,
    ...VIOLATION_CLASSES.map(c => `  ${c.padEnd(38)} ${report.counts[c]}`),
  ];
  if (options.details !== false) {
    for (const v of report.violations) {
      lines.push('', `[${v.class}] seed ${v.seed} lifecycle ${v.lifecycle} step ${v.step} ${v.action}: ${v.observation}`);
      if (v.error) lines.push(`  error: ${v.error.slice(0, 500)}`);
      if (v.faults) lines.push(`  faults: ${JSON.stringify(v.faults)} seed ${v.faultSeed}`);
      for (const d of v.versionDiff) lines.push(`  ${d}`);
    }
  }
  return lines.join('\n');
}
