/**
 * A deploy or destroy run: synthesize (or read) the assembly, select and order its stacks, and
 * run each stack's operation against the emulator, one stack at a time in dependency order (the
 * cdk CLI's default), stopping at the first stack that fails.
 */
import * as os from 'os';
import * as path from 'path';
import { AssemblyStack, CloudAssembly, readAssembly, synthesize } from './assembly';
import { deployStack, destroyStack, RunContext, StackEvent, StackResult } from './engine';
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
}

export interface DeployOptions extends RunOptions {
  /** Template parameter values: `{ Name: value }` for every stack, or `{ 'Stack:Name': value }` for one. */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly success: boolean;
  /** One per stack operated on, in the order they ran. */
  readonly stacks: readonly StackResult[];
  /** The first error of the run. */
  readonly error?: string;
  /** The emulator's time scale the run used for the provider framework's waits and the handlers' retries. */
  readonly timeScale: number;
}

/** Deploys the app's stacks (and the stacks they depend on) to the emulator. */
export async function deploy(options: DeployOptions): Promise<RunResult> {
  if (!options.app) throw new Error('deploy needs an app: a cloud assembly directory or a command that synthesizes one');
  return withRun(options, options.app, async (ctx, assembly) => {
    const selected = selectStacks(assembly!.stacks, options.stacks, 'upstream');
    const results: StackResult[] = [];
    for (const stack of selected) {
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
export async function destroy(options: RunOptions): Promise<RunResult> {
  if (!options.app && !options.stacks?.length) throw new Error('destroy needs an app, or the names of the stacks to destroy');
  return withRun(options, options.app, async (ctx, assembly) => {
    const selected: Array<Pick<AssemblyStack, 'stackName'> & Partial<AssemblyStack>> = assembly
      ? selectStacks(assembly.stacks, options.stacks, 'downstream').reverse()
      : options.stacks!.map(stackName => ({ stackName }));
    const results: StackResult[] = [];
    for (const stack of selected) {
      const result = await destroyStack(ctx, stack.stackName, stack.constructPaths);
      results.push(result);
      if (!result.success) break;
    }
    return results;
  });
}

async function withRun(
  options: RunOptions,
  app: string | undefined,
  body: (ctx: RunContext, assembly: CloudAssembly | undefined) => Promise<StackResult[]>,
): Promise<RunResult> {
  const startTime = Date.now();
  const admin = new EmulatorAdmin(options.endpoint);
  const config = await admin.config();
  const synthesized = app ? await synthesize(app, { cwd: options.cwd, output: options.onSynthOutput }) : undefined;
  const lambda = new LambdaService({ maxSandboxesPerFunction: options.maxSandboxesPerFunction, onLog: options.onLog });
  const background: Promise<unknown>[] = [];
  const runEnd = new AbortController();
  try {
    const assembly = synthesized ? readAssembly(synthesized.directory) : undefined;
    const registry = new Map<string, StackDocument>();
    for (const name of await admin.listStacks()) {
      const document = await admin.getStack(name);
      if (document) registry.set(name, document);
    }
    const ctx: RunContext = {
      admin,
      config,
      endpoint: options.endpoint.replace(/\/+$/, ''),
      lambda,
      codeStore: new CodeStore(options.codeCacheDir ?? defaultCodeCacheDir()),
      assembly,
      registry,
      startTime,
      onEvent: options.onEvent,
      background,
      runEnd: runEnd.signal,
    };
    const stacks = await body(ctx, assembly);
    const failed = stacks.find(stack => !stack.success);
    return {
      success: !failed,
      stacks,
      ...(failed ? { error: `${failed.stackName}: ${failed.error ?? failed.status}` } : {}),
      timeScale: config.timeScale,
    };
  } finally {
    // Invocations CloudFormation stopped waiting for run to their end, as in Lambda; their waiters
    // stop polling now that nobody is left to care.
    runEnd.abort();
    await Promise.allSettled(background);
    await lambda.shutdown();
    synthesized?.cleanup();
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
