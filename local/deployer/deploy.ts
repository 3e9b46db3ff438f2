/**
 * A deploy or destroy run: synthesize (or read) the assembly, select and order its stacks, and
 * run each stack's operation against the emulator, one stack at a time in dependency order (the
 * cdk CLI's default), stopping at the first stack that fails.
 */
import { randomUUID } from 'crypto';
import { setMaxListeners } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AssemblyStack, CloudAssembly, readAssembly, synthesize } from './assembly';
import { RehearsalClock } from './clock';
import { ACTIVE_RUNS, continueUpdateRollback, deployStack, destroyStack, RunContext, STACK_RESOURCE_TYPE, StackEvent, StackResult } from './engine';
import { CodeStore, LambdaService } from './lambda';
import { EmulatorAdmin, StackDocument } from './store';

export interface RunOptions {
  /** The emulator's URL (e.g. `http://127.0.0.1:4566`). */
  readonly endpoint: string;
  /** A cloud assembly directory (cdk.out), or a command that synthesizes one (run with `CDK_OUTDIR`). */
  readonly app?: string;
  /** Stack names (or artifact ids, or display paths; `*` wildcards allowed). @default every stack of the app */
  readonly stacks?: readonly string[];
  /** Working directory of the app command, and where ./cdk.json is read. @default process.cwd() */
  readonly cwd?: string;
  /** Where deployed functions' code is kept. @default $CDK_ORGANIZATIONS_CODE_CACHE or ~/.cache/cdk-organizations/lambda-code */
  readonly codeCacheDir?: string;
  /** Most workers one function runs at once. @default 8 */
  readonly maxSandboxesPerFunction?: number;
  /** Called for every stack and resource event, as it happens. */
  readonly onEvent?: (event: StackEvent) => void;
  /** Called for every line a handler function logs. */
  readonly onLog?: (functionName: string, line: string) => void;
  /** Called with the app command's output. */
  readonly onSynthOutput?: (chunk: string) => void;
  /** Called as the run starts synthesizing the app, and as it starts on the stacks. */
  readonly onStage?: (stage: RunStage) => void;
  /**
   * Abort it to interrupt the run as Ctrl-C does: no new resource operation starts, those in flight
   * finish, an update rolls back (CloudFormation's CancelUpdateStack), a creation or a deletion
   * pauses (the next run carries it on), and no further stack starts.
   */
  readonly interrupt?: AbortSignal;
}

export interface DeployOptions extends RunOptions {
  /** Template parameter values: `{ Name: value }` for every stack, or `{ 'Stack:Name': value }` for one. */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * CloudFormation's ContinueUpdateRollback: stacks in UPDATE_ROLLBACK_FAILED finish their rollback
   * (nothing is deployed). Needs `stacks` or `app`. @default false
   */
  readonly continueRollback?: boolean;
  /** With `continueRollback`: logical ids taken as rolled back as they are (ResourcesToSkip). */
  readonly resourcesToSkip?: readonly string[];
}

export interface DestroyOptions extends RunOptions {
  /**
   * CloudFormation's DeleteStack RetainResources, for a stack in DELETE_FAILED or ROLLBACK_FAILED:
   * these logical ids are kept as they are, and the stack is deleted.
   */
  readonly retainResources?: readonly string[];
}

export interface RunResult {
  readonly success: boolean;
  /** One per stack operated on, in the order they ran. */
  readonly stacks: readonly StackResult[];
  /** The first error of the run. */
  readonly error?: string;
  /** The emulator's time scale the run used for the provider framework's waits and the handlers' retries. */
  readonly timeScale: number;
  /** The run was interrupted (`interrupt` aborted) before it could finish. */
  readonly interrupted: boolean;
  /** Real milliseconds the run took, synthesis included. */
  readonly elapsedMs: number;
  /** Real milliseconds the app command took (0 for a cloud assembly directory or no app). */
  readonly synthMs: number;
  /** Real milliseconds the stack operations took. */
  readonly stacksMs: number;
  /**
   * Simulated milliseconds the stack operations took on the rehearsal's clock: their waits (the
   * provider framework's, the handlers' backoff, account creation) at AWS speed.
   */
  readonly simulatedMs: number;
  /**
   * About how long the stack operations would take on AWS: the simulated waits, plus the time the
   * handlers and the deployer took here (which the rehearsal's clock does not count).
   */
  readonly awsEstimateMs: number;
}

/** What a run is busy with. */
export type RunStage =
  | { readonly stage: 'synth'; readonly app: string }
  | { readonly stage: 'stacks'; readonly clock: RunClock };

/** Deploys the app's stacks (and the stacks they depend on) to the emulator. */
export async function deploy(options: DeployOptions): Promise<RunResult> {
  if (options.continueRollback) return continueRollback(options);
  if (options.resourcesToSkip?.length) throw new Error('--resources-to-skip goes with --continue-rollback');
  if (!options.app) throw new Error('deploy needs an app: a cloud assembly directory or a command that synthesizes one');
  return withRun(options, options.app, async (ctx, assembly) => {
    const selected = selectStacks(assembly!.stacks, options.stacks, 'upstream');
    const results: StackResult[] = [];
    for (const stack of selected) {
      if (ctx.interrupt?.aborted) break;
      const result = await deployStack(ctx, stack, parametersFor(stack.stackName, options.parameters));
      results.push(result);
      if (!result.success) break;
    }
    return results;
  });
}

/**
 * Destroys the app's stacks (and the stacks that depend on them) in reverse dependency order.
 * Without an app, destroys the named stacks as the emulator holds them.
 */
export async function destroy(options: DestroyOptions): Promise<RunResult> {
  if (!options.app && !options.stacks?.length) throw new Error('destroy needs an app, or the names of the stacks to destroy');
  return withRun(options, options.app, async (ctx, assembly) => {
    const selected = namedStacks(assembly, options.stacks, 'downstream').reverse();
    const retain = options.retainResources ?? [];
    if (retain.length > 0) {
      const known = new Set(selected.flatMap(stack => Object.keys(ctx.registry.get(stack.stackName)?.resources ?? {})));
      const unknown = retain.filter(id => !known.has(id));
      if (unknown.length > 0) throw new Error(`--retain-resources: no stack to destroy has a resource [${unknown.join(', ')}]`);
    }
    const results: StackResult[] = [];
    for (const stack of selected) {
      if (ctx.interrupt?.aborted) break;
      const own = retain.filter(id => id in (ctx.registry.get(stack.stackName)?.resources ?? {}));
      const result = await destroyStack(ctx, stack.stackName, stack.constructPaths, { retainResources: own });
      results.push(result);
      if (!result.success) break;
    }
    return results;
  });
}

/** ContinueUpdateRollback for each selected stack in UPDATE_ROLLBACK_FAILED. */
async function continueRollback(options: DeployOptions): Promise<RunResult> {
  if (!options.app && !options.stacks?.length) throw new Error('--continue-rollback needs an app, or the names of the stacks');
  return withRun(options, options.app, async (ctx, assembly) => {
    const selected = namedStacks(assembly, options.stacks, 'upstream');
    const skip = options.resourcesToSkip ?? [];
    const known = new Set(selected.flatMap(stack => Object.keys(ctx.registry.get(stack.stackName)?.resources ?? {})));
    const unknown = skip.filter(id => !known.has(id));
    if (unknown.length > 0) throw new Error(`--resources-to-skip: no selected stack has a resource [${unknown.join(', ')}]`);
    const results: StackResult[] = [];
    for (const stack of selected) {
      if (ctx.interrupt?.aborted || !ctx.registry.has(stack.stackName)) continue;
      const own = skip.filter(id => id in (ctx.registry.get(stack.stackName)?.resources ?? {}));
      const result = await continueUpdateRollback(ctx, stack.stackName, own, stack.constructPaths);
      results.push(result);
      if (!result.success) break;
    }
    return results;
  });
}

/** The app's stacks selected by the patterns, or (without an app) the stacks named. */
function namedStacks(assembly: CloudAssembly | undefined, patterns: readonly string[] | undefined, extend: 'upstream' | 'downstream') {
  const selected: Array<Pick<AssemblyStack, 'stackName'> & Partial<AssemblyStack>> = assembly
    ? selectStacks(assembly.stacks, patterns, extend)
    : (patterns ?? []).map(stackName => ({ stackName }));
  return selected;
}

async function withRun(
  options: RunOptions,
  app: string | undefined,
  body: (ctx: RunContext, assembly: CloudAssembly | undefined) => Promise<StackResult[]>,
): Promise<RunResult> {
  const startTime = Date.now();
  const admin = new EmulatorAdmin(options.endpoint);
  const config = await admin.config();
  // A cloud assembly directory is read, not synthesized.
  const command = app !== undefined && !fs.existsSync(path.join(path.resolve(options.cwd ?? process.cwd(), app), 'manifest.json'));
  if (command) options.onStage?.({ stage: 'synth', app });
  const synthStart = Date.now();
  const synthesized = app ? await synthesize(app, { cwd: options.cwd, output: options.onSynthOutput }) : undefined;
  const synthMs = command ? Date.now() - synthStart : 0;
  // From here on the run holds the emulator's clock: simulated time advances only through waits.
  const rehearsal = await RehearsalClock.drive(options.endpoint, config.timeScale).catch(error => {
    synthesized?.cleanup();
    throw error;
  });
  const lambda = new LambdaService({ maxSandboxesPerFunction: options.maxSandboxesPerFunction, onLog: options.onLog, clock: rehearsal });
  const simulatedSeconds = () => rehearsal.simulatedSeconds(rehearsal.now() - rehearsal.startedAt);
  const clock = new RunClock(config.timeScale, simulatedSeconds);
  const background: Promise<unknown>[] = [];
  const runEnd = new AbortController();
  // Every waiter of the run (one per custom resource in flight: 20 accounts make 20) listens for
  // the run's end; the signal lives for one run only, so there is no leak to warn about.
  setMaxListeners(0, runEnd.signal);
  const runId = randomUUID();
  ACTIVE_RUNS.add(runId);
  try {
    const assembly = synthesized ? readAssembly(synthesized.directory) : undefined;
    const registry = new Map<string, StackDocument>();
    for (const name of await admin.listStacks()) {
      const document = await admin.getStack(name);
      if (document) registry.set(name, document);
    }
    const ctx: RunContext = {
      admin: rehearsal.tracking(admin),
      config,
      endpoint: options.endpoint.replace(/\/+$/, ''),
      lambda,
      codeStore: new CodeStore(options.codeCacheDir ?? defaultCodeCacheDir()),
      assembly,
      registry,
      startTime,
      onEvent: event => {
        clock.event(event);
        options.onEvent?.(event);
      },
      background,
      runEnd: runEnd.signal,
      interrupt: options.interrupt,
      runId,
      clock: rehearsal,
    };
    options.onStage?.({ stage: 'stacks', clock });
    const stacksStart = Date.now();
    const stacks = await body(ctx, assembly);
    const stacksMs = Date.now() - stacksStart;
    const simulatedMs = simulatedSeconds() * 1000;
    const failed = stacks.find(stack => !stack.success);
    return {
      success: !failed,
      stacks,
      ...(failed ? { error: `${failed.stackName}: ${failed.error ?? failed.status}` } : {}),
      timeScale: config.timeScale,
      interrupted: options.interrupt?.aborted ?? false,
      elapsedMs: Date.now() - startTime,
      synthMs,
      stacksMs,
      simulatedMs,
      awsEstimateMs: simulatedMs + stacksMs,
    };
  } finally {
    ACTIVE_RUNS.delete(runId);
    // Invocations CloudFormation stopped waiting for run to their end, as in Lambda, and so do their
    // waiters, as the provider framework's state machine does on AWS (in simulated time, which
    // costs little here): a Create or Update that finishes after its rollback undoes itself then,
    // and the run ends once the organization has settled. An interrupted run stops them at once.
    if (options.interrupt?.aborted) runEnd.abort();
    await Promise.allSettled(background);
    runEnd.abort();
    await lambda.shutdown();
    await rehearsal.release();
    synthesized?.cleanup();
  }
}

/** A resource in progress, as {@link RunClock.inProgress} sees it. */
export interface OperationInProgress {
  /** The event that started it. */
  readonly event: StackEvent;
  /** Real milliseconds since it started. */
  readonly realMs: number;
  /** Simulated milliseconds since it started (the waits, at AWS speed). */
  readonly simulatedMs: number;
}

/**
 * The resources a run has in progress, timed in real time and on the rehearsal's clock, on which
 * simulated time advances only through waits (the provider framework's, the handlers' backoff, the
 * emulator's account creation), at AWS speed whatever the time scale.
 */
export class RunClock {
  private readonly open = new Map<string, { readonly event: StackEvent; readonly start: number; readonly simulatedStart: number }>();

  /**
   * @param timeScale the emulator's time scale
   * @param simulatedSeconds simulated seconds since the run started, now
   */
  constructor(readonly timeScale: number, private readonly simulatedSeconds: () => number, private readonly now: () => number = Date.now) {}

  /** Takes every stack and resource event of the run, in order. */
  event(event: StackEvent): void {
    if (event.resourceType === STACK_RESOURCE_TYPE) return;
    const key = `${event.stackName}\u0000${event.logicalId}`;
    if (!event.status.endsWith('_IN_PROGRESS')) {
      this.open.delete(key);
    } else if (!this.open.has(key)) {
      this.open.set(key, { event, start: Date.parse(event.timestamp), simulatedStart: event.simulatedSeconds ?? this.simulatedSeconds() });
    }
  }

  /** Resource operations in progress, the longest in simulated time first (then in real time). */
  inProgress(): OperationInProgress[] {
    const now = this.now();
    const simulated = this.simulatedSeconds();
    return [...this.open.values()]
      .map(({ event, start, simulatedStart }) => ({
        event,
        realMs: Math.max(0, now - start),
        simulatedMs: Math.max(0, (simulated - simulatedStart) * 1000),
      }))
      .sort((a, b) => b.simulatedMs - a.simulatedMs || b.realMs - a.realMs);
  }
}

function defaultCodeCacheDir(): string {
  if (process.env.CDK_ORGANIZATIONS_CODE_CACHE) return process.env.CDK_ORGANIZATIONS_CODE_CACHE;
  const cacheHome = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'cdk-organizations', 'lambda-code');
}

function parametersFor(stackName: string, parameters: Readonly<Record<string, string>> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    const colon = key.indexOf(':');
    if (colon < 0) values[key] = value;
    else if (key.slice(0, colon) === stackName) values[key.slice(colon + 1)] = value;
  }
  return values;
}

/**
 * The stacks to operate on, in dependency order. Deploy adds what the selected stacks depend on
 * ('upstream'); destroy adds what depends on them ('downstream'), as the cdk CLI does.
 */
export function selectStacks(stacks: readonly AssemblyStack[], patterns: readonly string[] | undefined, extend: 'upstream' | 'downstream'): AssemblyStack[] {
  const byId = new Map(stacks.map(stack => [stack.artifactId, stack]));
  const selected = new Set<string>();
  if (!patterns?.length) {
    for (const stack of stacks) selected.add(stack.artifactId);
  } else {
    for (const pattern of patterns) {
      const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
      const matches = stacks.filter(stack => [stack.stackName, stack.artifactId, stack.displayName].some(name => regex.test(name)));
      if (matches.length === 0) {
        throw new Error(`No stack found matching '${pattern}'. Stacks: ${stacks.map(stack => stack.stackName).join(', ') || '(none)'}`);
      }
      for (const match of matches) selected.add(match.artifactId);
    }
  }
  const grow = () => {
    let changed = false;
    for (const stack of stacks) {
      if (extend === 'upstream' && selected.has(stack.artifactId)) {
        for (const dep of stack.dependencies) if (byId.has(dep) && !selected.has(dep)) { selected.add(dep); changed = true; }
      }
      if (extend === 'downstream' && !selected.has(stack.artifactId) && stack.dependencies.some(dep => selected.has(dep))) {
        selected.add(stack.artifactId);
        changed = true;
      }
    }
    return changed;
  };
  while (grow());
  const ordered: AssemblyStack[] = [];
  const visited = new Set<string>();
  const visit = (id: string) => {
    if (visited.has(id)) return;
    visited.add(id);
    for (const dep of byId.get(id)?.dependencies ?? []) if (selected.has(dep)) visit(dep);
    ordered.push(byId.get(id)!);
  };
  for (const stack of stacks) if (selected.has(stack.artifactId)) visit(stack.artifactId);
  return ordered;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
