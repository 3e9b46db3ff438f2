/**
 * Test support for the local deployer: small CDK apps whose custom resources are served by a
 * Provider running the fixture handler (fixtures/handler), and the log of what that handler received.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { deploy, destroy, DeployOptions, DestroyOptions, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';

export const FIXTURE_HANDLER = path.join(__dirname, 'fixtures', 'handler');

export interface LoggedRequest {
  readonly phase: 'onEvent' | 'isComplete';
  readonly event: {
    readonly RequestType: 'Create' | 'Update' | 'Delete';
    readonly RequestId: string;
    readonly LogicalResourceId: string;
    readonly PhysicalResourceId?: string;
    readonly ResourceType: string;
    readonly ResourceProperties: Record<string, any>;
    readonly OldResourceProperties?: Record<string, any>;
    readonly StackId: string;
    readonly Data?: Record<string, unknown>;
  };
  readonly env?: Record<string, string | undefined>;
  readonly remainingMs?: number;
}

export interface ProviderOptions {
  readonly isComplete?: boolean;
  readonly queryInterval?: Duration;
  readonly totalTimeout?: Duration;
  readonly timeout?: Duration;
}

/** A scratch directory with an event log and synthesized assemblies; `cleanup()` removes it. */
export class Workspace {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployer-test-'));
  readonly logFile = path.join(this.dir, 'events.jsonl');
  readonly codeCache = path.join(this.dir, 'code');
  private synths = 0;

  /** Synthesizes an app with one stack per entry of `stacks` and returns the assembly directory. */
  synth(stacks: Record<string, (stack: Stack, provider: FixtureProvider) => void>, options: ProviderOptions = {}): string {
    const outdir = path.join(this.dir, `cdk.out.${++this.synths}`);
    const app = new App({ outdir });
    for (const [name, define] of Object.entries(stacks)) {
      const stack = new Stack(app, name);
      define(stack, new FixtureProvider(stack, 'Fixture', this.logFile, options));
    }
    app.synth();
    return outdir;
  }

  /**
   * The fixture handler's log entries so far. A handler may be appending one while this reads:
   * only lines that end with a newline are whole.
   */
  private entries(): any[] {
    if (!fs.existsSync(this.logFile)) return [];
    const lines = fs.readFileSync(this.logFile, 'utf-8').split('\n');
    lines.pop();
    return lines.filter(Boolean).map(line => JSON.parse(line));
  }

  /** What the fixture handler received, in order. */
  requests(): LoggedRequest[] {
    return this.entries().filter((entry: { phase: string }) => entry.phase === 'onEvent' || entry.phase === 'isComplete');
  }

  /** Whether each `WaitFor` saw what it waited for, by logical id. */
  waits(): Record<string, boolean> {
    const entries = this.entries();
    return Object.fromEntries(entries.filter(e => e.phase === 'waited').map(e => [`${e.logicalId}:${e.requestType}`, e.seen]));
  }

  /** onEvent requests as compact strings: `Create A`, `Update B`, `Delete C(physical-id)`. */
  calls(from = 0): string[] {
    return this.requests().slice(from).filter(r => r.phase === 'onEvent').map(r => {
      const { RequestType, LogicalResourceId, PhysicalResourceId } = r.event;
      return RequestType === 'Create' ? `Create ${LogicalResourceId}` : `${RequestType} ${LogicalResourceId}(${PhysicalResourceId})`;
    });
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Provider whose onEvent (and optionally isComplete) is the fixture handler. */
export class FixtureProvider {
  readonly serviceToken: string;

  constructor(readonly stack: Stack, id: string, logFile: string, options: ProviderOptions) {
    const common = {
      code: lambda.Code.fromAsset(FIXTURE_HANDLER),
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: options.timeout ?? Duration.seconds(30),
      environment: { EVENT_LOG: logFile, FIXTURE_SETTING: 'from-template' },
    };
    const onEvent = new lambda.Function(stack, `${id}OnEvent`, { ...common, handler: 'index.onEvent' });
    const isComplete = options.isComplete ? new lambda.Function(stack, `${id}IsComplete`, { ...common, handler: 'index.isComplete' }) : undefined;
    const provider = new cr.Provider(stack, `${id}Provider`, {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: isComplete ? options.queryInterval : undefined,
      totalTimeout: isComplete ? options.totalTimeout : undefined,
    });
    this.serviceToken = provider.serviceToken;
  }

  resource(id: string, properties: Record<string, unknown> = {}, type = 'Custom::Fixture'): CustomResource {
    return new CustomResource(this.stack, id, { serviceToken: this.serviceToken, resourceType: type, properties });
  }
}

/** The logical id of a construct's CloudFormation resource (tests name resources at the stack's top level). */
export function logicalId(resource: CustomResource): string {
  return Stack.of(resource).getLogicalId(resource.node.defaultChild as any);
}

export interface Harness {
  readonly emulator: Emulator;
  readonly workspace: Workspace;
  deploy(app: string, options?: Partial<DeployOptions>): Promise<RunResult>;
  destroy(app: string | undefined, options?: Partial<DestroyOptions>): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  const workspace = new Workspace();
  const common = { endpoint: emulator.endpoint, codeCacheDir: workspace.codeCache };
  return {
    emulator,
    workspace,
    deploy: (app, options = {}) => deploy({ ...common, app, ...options }),
    destroy: (app, options = {}) => destroy({ ...common, app, ...options }),
    stop: async () => {
      await emulator.stop();
      workspace.cleanup();
    },
  };
}

/** `[logicalId, status]` pairs of a run's resource events (stack-level events left out). */
export function statuses(result: RunResult, stackName?: string): Array<[string, string]> {
  return result.stacks
    .filter(stack => !stackName || stack.stackName === stackName)
    .flatMap(stack => stack.events)
    .filter(event => event.resourceType !== 'AWS::CloudFormation::Stack')
    .map(event => [event.logicalId, event.status]);
}

/** Stack-level statuses of a run, in order. */
export function stackStatuses(result: RunResult): string[] {
  return result.stacks.flatMap(stack => stack.events).filter(event => event.resourceType === 'AWS::CloudFormation::Stack').map(event => event.status);
}

/** The stack-store snapshots the fixture handler logged (`ReadStack`), in order. */
export interface StackRead {
  readonly stackName: string;
  readonly logicalId: string;
  readonly requestType: string;
  readonly requestId: string;
  readonly status: string;
  readonly resources: Record<string, { type: string; physicalId: string; status: string }>;
}

export function stackReads(workspace: Workspace): StackRead[] {
  if (!fs.existsSync(workspace.logFile)) return [];
  return fs.readFileSync(workspace.logFile, 'utf-8').split('\n').filter(Boolean).map(line => JSON.parse(line)).filter(entry => entry.phase === 'stack');
}

const REPO = path.join(__dirname, '..', '..');

/** The `cdk-organizations` command run from sources in a child process, as a user runs it. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal that ended it) and everything printed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function spawnCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(REPO, 'local', 'cli.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'local', 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf-8').on('data', chunk => { stdout += chunk; });
  child.stderr!.setEncoding('utf-8').on('data', chunk => { stderr += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(resolve => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited };
}

/** Waits until `condition` holds (polling), or fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
