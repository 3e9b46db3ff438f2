/**
 * A local Lambda: functions run in worker threads, one invocation per worker at a time, like Lambda
 * execution environments.
 *
 * Why workers rather than loading the handler module into the deployer's own process:
 * - each worker has its own `process.env` (the function's environment: emulator endpoints, dummy
 *   credentials, the template's variables), so nothing leaks into the caller's process, and two
 *   deploys against two emulators in one process cannot see each other's settings;
 * - each worker has its own module registry, so module-scope state (the handler caches its SDK
 *   clients) starts fresh in every deploy run, as in a new Lambda sandbox;
 * - a function that exceeds its Timeout is stopped for real (the worker is terminated), and a
 *   crashing handler cannot take the deployer down.
 * Warm workers are reused across invocations of the same function configuration within a run, and
 * all are terminated when the run ends.
 *
 * With a rehearsal clock (./clock.ts), a worker's handler finds the clock at
 * `globalThis[Symbol.for('cdk-organizations.clock')]` (read by lambda/shared/clock.ts): `now()`,
 * `sleep(ms)`, `timeScale`, `callLatencyMs`, `random()` (seeded per invocation) and `takeTurns()`
 * (the handler runs only when the clock gives it the turn). Its Timeout runs on that clock, and
 * `getRemainingTimeInMillis()` counts simulated milliseconds.
 */
import { randomUUID, createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { RehearsalClock } from './clock';

export interface FunctionConfiguration {
  readonly arn: string;
  readonly functionName: string;
  /** `index.onEvent`: module `index` in the code directory, export `onEvent`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly codeDirectory: string;
  /** The complete environment of the function's process. */
  readonly environment: Readonly<Record<string, string>>;
}

export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string; readonly trace: readonly string[] };

export interface LambdaServiceOptions {
  /** Most workers one function runs at once; further invocations wait for a free one. @default 8 */
  readonly maxSandboxesPerFunction?: number;
  /** Every line a function writes to stdout/stderr (its CloudWatch log). */
  readonly onLog?: (functionName: string, line: string) => void;
  /** The rehearsal's clock: handlers' time and sleeps, and the functions' Timeout, run on it. */
  readonly clock?: RehearsalClock;
}

/** Runs in the worker: loads the handler like the Node.js Lambda runtime and serves invocations. */
const BOOTSTRAP = `
const { parentPort, workerData } = require('worker_threads');
const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');

async function loadHandler() {
  const { codeDirectory, handler } = workerData;
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot < 0) throw Object.assign(new Error('Bad handler ' + handler), { name: 'Runtime.MalformedHandlerName' });
  const modulePath = path.resolve(codeDirectory, handler.slice(0, dot));
  const functionPath = handler.slice(dot + 1).split('.');
  const candidates = ['.js', '.mjs', '.cjs'].map(ext => modulePath + ext).filter(file => fs.existsSync(file));
  if (candidates.length === 0) {
    throw Object.assign(new Error("Cannot find module '" + handler.slice(0, dot) + "'"), { name: 'Runtime.ImportModuleError' });
  }
  let mod;
  if (candidates[0].endsWith('.mjs')) {
    mod = await import(pathToFileURL(candidates[0]).href);
  } else {
    try {
      mod = require(candidates[0]);
    } catch (error) {
      if (error && error.code === 'ERR_REQUIRE_ESM') mod = await import(pathToFileURL(candidates[0]).href);
      else throw error;
    }
  }
  let fn = mod;
  for (const part of functionPath) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(handler + ' is undefined or not exported'), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

function errorPayload(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: String(error.stack || '').split('\\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// The rehearsal's clock: the time is shared memory the deployer writes; a sleep asks the deployer
// to wake the handler when the clock reaches its end. A handler that takes turns runs only when
// the deployer gives it the turn (no other such handler runs meanwhile), and draws its random
// numbers from a sequence seeded per invocation: the same deploy makes the same calls.
let now = Date.now;
let timeScale = 1;
let takesTurns = false;
let seed = 1;
const waiting = new Map();
if (workerData.clock) {
  const time = new Float64Array(workerData.clock);
  let sleeps = 0;
  now = () => time[0];
  timeScale = workerData.timeScale;
  globalThis[Symbol.for('cdk-organizations.clock')] = {
    timeScale,
    callLatencyMs: workerData.callLatencyMs,
    now,
    sleep: ms => new Promise(resolve => {
      const key = 'sleep-' + ++sleeps;
      waiting.set(key, resolve);
      parentPort.postMessage({ sleep: key, until: time[0] + Math.max(0, Number(ms) || 0) });
    }),
    takeTurns: () => { takesTurns = true; },
    random: () => {
      // mulberry32
      seed = (seed + 0x6D2B79F5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
  parentPort.on('message', message => {
    const go = message && message.go !== undefined ? waiting.get(message.go) : undefined;
    if (go) {
      waiting.delete(message.go);
      go();
    }
  });
}

function turn(id) {
  if (!takesTurns) return undefined;
  return new Promise(resolve => {
    waiting.set(id, resolve);
    parentPort.postMessage({ id, turn: true });
  });
}

const ready = loadHandler();
ready.catch(() => undefined);

parentPort.on('message', async ({ id, event, context }) => {
  if (id === undefined) return;
  try {
    // The init phase (loading the module) does not count against the function's Timeout.
    const fn = await ready;
    await turn(id);
    seed = context.seed | 0;
    const deadline = now() + context.timeoutMs * timeScale;
    parentPort.postMessage({ id, started: true });
    const lambdaContext = {
      ...context.fields,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, Math.floor((deadline - now()) / timeScale)),
    };
    const result = await new Promise((resolve, reject) => {
      const callback = (error, value) => (error ? reject(error) : resolve(value));
      lambdaContext.done = callback;
      lambdaContext.succeed = value => resolve(value);
      lambdaContext.fail = error => reject(error);
      const returned = fn(event, lambdaContext, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (fn.length < 3) resolve(returned);
    });
    parentPort.postMessage({ id, ok: true, payload: JSON.parse(JSON.stringify(result === undefined ? null : result)) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, ...errorPayload(error) });
  }
});
`;

interface Pending {
  readonly resolve: (result: InvokeResult) => void;
  /** Set once the handler started (after the init phase). */
  timer?: NodeJS.Timeout;
  /** The Timeout on the rehearsal's clock, and the handler's sleep on it (cancel functions). */
  clockTimer?: () => void;
  wake?: () => void;
  /** Lets go of the rehearsal's clock (while the handler sleeps on it, or once the invocation ended). */
  release?: () => void;
  /** When the handler may run (on the rehearsal's clock, handlers that take turns run one at a time). */
  ticket: number;
  /** Gives the turn back, or stops waiting for it. */
  endTurn?: () => void;
  startTimer(): void;
  /** Clears every timer and lets go of the clock. */
  end(): void;
}

class Sandbox {
  readonly worker: Worker;
  busy = false;
  dead = false;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly config: FunctionConfiguration,
    onLog: LambdaServiceOptions['onLog'],
    private readonly onDeath: (sandbox: Sandbox) => void,
    private readonly clock?: RehearsalClock,
  ) {
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: { ...config.environment },
      workerData: {
        codeDirectory: config.codeDirectory,
        handler: config.handler,
        ...(clock ? { clock: clock.shared, timeScale: clock.timeScale, callLatencyMs: clock.callLatencyMs } : {}),
      },
      stdout: true,
      stderr: true,
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let buffer = '';
      stream.setEncoding('utf-8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) onLog?.(config.functionName, line);
      });
      stream.on('end', () => { if (buffer) onLog?.(config.functionName, buffer); });
    }
    this.worker.on('message', (message: { id: string; started?: boolean; sleep?: string; until?: number; turn?: boolean } & InvokeResult) => {
      if (message.sleep !== undefined) {
        this.sleep(message.sleep, Number(message.until));
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.turn) {
        this.takeTurn(pending, message.id);
        return;
      }
      if (message.started) {
        pending.startTimer();
        return;
      }
      this.pending.delete(message.id);
      pending.end();
      const { id: _id, ...result } = message;
      pending.resolve(result as InvokeResult);
    });
    this.worker.on('error', (error: Error) => this.die('Runtime.ExitError', `Runtime exited with error: ${error.message}`, error.stack));
    this.worker.on('exit', code => this.die('Runtime.ExitError', `Runtime exited with error: exit status ${code}`));
  }

  invoke(event: unknown): Promise<InvokeResult> {
    const id = randomUUID();
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const clock = this.clock;
    return new Promise<InvokeResult>(resolve => {
      const timedOut = () => {
        this.pending.delete(id);
        pending.end();
        resolve({
          ok: false,
          errorType: 'Sandbox.Timedout',
          errorMessage: `${new Date(clock?.now() ?? Date.now()).toISOString()} ${id} Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        });
        // Lambda stops a timed-out environment: whatever the handler was doing stops with it.
        void this.terminate();
      };
      const pending: Pending = {
        resolve,
        // The handler runs: the rehearsal's clock stands still until it sleeps or ends.
        release: clock?.hold(),
        ticket: clock?.ticket() ?? 0,
        startTimer: () => {
          // On the rehearsal's clock the Timeout is simulated time; a handler busy without sleeping
          // on that clock (its own setTimeout) is stopped after the same number of real seconds.
          if (clock) pending.clockTimer = clock.at(clock.now() + clock.duration(this.config.timeoutSeconds), timedOut);
          pending.timer = setTimeout(timedOut, timeoutMs);
        },
        end: () => {
          clearTimeout(pending.timer);
          pending.clockTimer?.();
          pending.wake?.();
          pending.endTurn?.();
          pending.release?.();
        },
      };
      this.pending.set(id, pending);
      this.worker.postMessage({
        id,
        event,
        context: {
          timeoutMs,
          seed: pending.ticket,
          fields: {
            functionName: this.config.functionName,
            functionVersion: '$LATEST',
            invokedFunctionArn: this.config.arn,
            memoryLimitInMB: String(this.config.memorySize),
            awsRequestId: id,
            logGroupName: `/aws/lambda/${this.config.functionName}`,
            logStreamName: `local/[$LATEST]${id.replace(/-/g, '')}`,
          },
        },
      });
    });
  }

  /** The handler sleeps until the rehearsal's clock reads `until`: the clock may move meanwhile. */
  private sleep(key: string, until: number): void {
    const pending = [...this.pending.values()][0];
    if (!pending || !this.clock) return;
    const clock = this.clock;
    const tookTurn = pending.endTurn !== undefined;
    pending.endTurn?.();
    pending.endTurn = undefined;
    pending.release?.();
    pending.wake = clock.at(until, () => {
      pending.wake = undefined;
      pending.release = clock.hold();
      pending.ticket = clock.ticket();
      if (tookTurn) this.takeTurn(pending, key);
      else this.worker.postMessage({ go: key });
    });
  }

  /** The handler takes turns: it goes on (`key`) once the rehearsal's clock gives it the turn. */
  private takeTurn(pending: Pending, key: string): void {
    if (!this.clock) return;
    const clock = this.clock;
    pending.endTurn = clock.takeTurn(pending.ticket, () => this.worker.postMessage({ go: key }));
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.onDeath(this);
    await this.worker.terminate();
  }

  private die(errorType: string, errorMessage: string, stack?: string): void {
    if (!this.dead) {
      this.dead = true;
      this.onDeath(this);
    }
    for (const [id, pending] of this.pending) {
      pending.end();
      pending.resolve({ ok: false, errorType, errorMessage, trace: stack ? stack.split('\n') : [] });
      this.pending.delete(id);
    }
  }
}

class FunctionPool {
  private readonly sandboxes = new Set<Sandbox>();
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly config: FunctionConfiguration, private readonly options: LambdaServiceOptions) {}

  async invoke(event: unknown): Promise<InvokeResult> {
    const sandbox = await this.acquire();
    try {
      return await sandbox.invoke(event);
    } finally {
      sandbox.busy = false;
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.sandboxes].map(sandbox => sandbox.terminate()));
  }

  private async acquire(): Promise<Sandbox> {
    const limit = this.options.maxSandboxesPerFunction ?? 8;
    for (;;) {
      const idle = [...this.sandboxes].find(sandbox => !sandbox.busy && !sandbox.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.sandboxes.size < limit) {
        const sandbox = new Sandbox(this.config, this.options.onLog, dead => {
          this.sandboxes.delete(dead);
          this.waiting.shift()?.();
        }, this.options.clock);
        sandbox.busy = true;
        this.sandboxes.add(sandbox);
        return sandbox;
      }
      await new Promise<void>(resolve => this.waiting.push(resolve));
    }
  }
}

/** Invokes functions by configuration; one pool of workers per distinct configuration. */
export class LambdaService {
  private readonly pools = new Map<string, FunctionPool>();

  constructor(private readonly options: LambdaServiceOptions = {}) {}

  async invoke(config: FunctionConfiguration, event: unknown): Promise<InvokeResult> {
    if (!config.runtime.startsWith('nodejs')) {
      return {
        ok: false,
        errorType: 'Runtime.InvalidRuntime',
        errorMessage: `The local deployer runs Node.js functions only; ${config.functionName} uses runtime ${config.runtime}`,
        trace: [],
      };
    }
    const key = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new FunctionPool(config, this.options);
      this.pools.set(key, pool);
    }
    // Lambda hands the function a JSON copy of the payload.
    return pool.invoke(JSON.parse(JSON.stringify(event)));
  }

  /** Terminates every worker. */
  async shutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(pool => pool.close()));
  }
}

/**
 * Function code the way Lambda keeps it: once a function is deployed its code no longer depends on
 * the cloud assembly it came from (which may have been a temporary directory), so a later run can
 * still delete the resources it serves. Entries are content-addressed and never change.
 */
export class CodeStore {
  constructor(readonly root: string) {}

  /** Copies an asset directory into the store (once) and returns its key. */
  storeDirectory(hash: string, source: string): string {
    const key = `asset-${hash}`;
    this.install(key, target => fs.cpSync(source, target, { recursive: true }));
    return key;
  }

  /** Stores inline code (`Code.ZipFile`) as the runtime would name it. */
  storeInline(code: string, runtime: string): string {
    const key = `inline-${createHash('sha256').update(runtime).update('\0').update(code).digest('hex')}`;
    const file = runtime.startsWith('python') ? 'index.py' : 'index.js';
    this.install(key, target => {
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, file), code);
    });
    return key;
  }

  directory(key: string): string | undefined {
    const directory = path.join(this.root, key);
    return fs.existsSync(directory) ? directory : undefined;
  }

  private install(key: string, write: (target: string) => void): void {
    const target = path.join(this.root, key);
    if (fs.existsSync(target)) return;
    fs.mkdirSync(this.root, { recursive: true });
    const temporary = `${target}.partial-${process.pid}-${randomUUID()}`;
    write(temporary);
    try {
      fs.renameSync(temporary, target);
    } catch (error) {
      // Another run stored the same content first: identical by construction.
      fs.rmSync(temporary, { recursive: true, force: true });
      if (!fs.existsSync(target)) throw error;
    }
  }
}
