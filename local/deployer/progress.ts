/** Progress lines in the manner of `cdk deploy`: one per stack or resource event, a heartbeat while waiting, the run's time. */
import type { RunResult, RunStage } from './deploy';
import type { StackEvent, StackResult } from './engine';

/** `  1.25s | Stack | CREATE_COMPLETE      | Custom::Organizations_Account | Audit/Resource (AuditResource12AB)` */
export function formatEvent(event: StackEvent): string {
  const elapsed = `${(event.elapsedMs / 1000).toFixed(2)}s`.padStart(8);
  const resource = event.constructPath ? `${event.constructPath} (${event.logicalId})` : event.logicalId;
  const showReason = event.reason && /FAILED|ROLLBACK_IN_PROGRESS/.test(event.status);
  const reason = showReason ? ` | ${event.reason!.replace(/\s*\n\s*/g, ' ').trim()}` : '';
  return `${elapsed} | ${event.stackName} | ${event.status.padEnd(20)} | ${event.resourceType} | ${resource}${reason}`;
}

/** The closing line of a stack, with what happened to its resources. */
export function formatSummary(result: StackResult): string {
  const line = summaryLine(result);
  return result.next ? `${line}\n     ➜  ${result.next}` : line;
}

function summaryLine(result: StackResult): string {
  if (result.operation === 'destroy') {
    if (result.status === undefined && result.success) return ` ✅  ${result.stackName}: does not exist, nothing to destroy`;
    return result.success
      ? ` ✅  ${result.stackName}: destroyed (${result.counts.deleted} deleted, ${result.counts.retained} retained)`
      : ` ❌  ${result.stackName} failed to destroy${result.status ? ` (${result.status})` : ''}: ${flatten(result.error)}`;
  }
  if (!result.success) return ` ❌  ${result.stackName} failed${result.status ? ` (${result.status})` : ''}: ${flatten(result.error)}`;
  if (result.noChanges) return ` ✅  ${result.stackName} (no changes)`;
  const c = result.counts;
  const left = result.error ? `; left behind after a failed delete: ${flatten(result.error)}` : '';
  return ` ✅  ${result.stackName} (${result.status}): ${c.created} created, ${c.updated} updated, ${c.replaced} replaced, `
    + `${c.deleted} deleted, ${c.retained} retained, ${c.unchanged} unchanged${left}`;
}

export function formatOutputs(result: StackResult): string[] {
  return Object.entries(result.outputs).map(([name, value]) => `${result.stackName}.${name} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function flatten(text: string | undefined): string {
  return (text ?? 'unknown error').replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The closing line of a run: its time here, and about how long the stack operations would take on
 * AWS: the waits the rehearsal simulated, at AWS speed, plus the time they took here.
 */
export function formatRunTime(result: Pick<RunResult, 'elapsedMs' | 'synthMs' | 'stacksMs' | 'simulatedMs' | 'awsEstimateMs' | 'timeScale'>): string {
  const synth = result.synthMs > 0 ? ` (synth ${formatDuration(result.synthMs)})` : '';
  return ` ✨  Total time: ${formatDuration(result.elapsedMs)}${synth}. Stack operations: ${formatDuration(result.stacksMs)} here; `
    + `on AWS about ${formatDuration(result.awsEstimateMs)} (${formatDuration(result.simulatedMs)} of waits, simulated at time scale ${result.timeScale})`;
}

/** `850ms`, `12.3s`, `16m 40s`, `2h 05m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export interface HeartbeatOptions {
  /** Prints the heartbeat line. */
  readonly print: (line: string) => void;
  /** Real milliseconds without output after which a line says what the run waits on. */
  readonly intervalMs: number;
  /** When the run started (heartbeat lines show the time since, as event lines do). @default now */
  readonly startTime?: number;
}

/**
 * When nothing has been printed for a while, prints one line saying what the run is waiting on:
 * the app's synthesis, or the resources in progress (the one in progress longest named, with its
 * time at AWS speed). Plain lines, so a log file or CI output reads as a terminal does.
 */
export class Heartbeat {
  private lastOutput = Date.now();
  private readonly startTime: number;
  private stage?: RunStage;
  private stageStart = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: HeartbeatOptions) {
    this.startTime = options.startTime ?? Date.now();
  }

  /** Something was printed: the heartbeat waits a full interval again. */
  output(): void {
    this.lastOutput = Date.now();
  }

  /** The run moved on to another stage. */
  setStage(stage: RunStage): void {
    this.stage = stage;
    this.stageStart = Date.now();
  }

  start(): void {
    if (this.timer || !(this.options.intervalMs > 0)) return;
    this.lastOutput = Date.now();
    // Checked a few times per interval, so a line comes at most a quarter interval late.
    this.timer = setInterval(() => this.tick(), Math.max(10, this.options.intervalMs / 4));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastOutput < this.options.intervalMs) return;
    const elapsed = `${((now - this.startTime) / 1000).toFixed(2)}s`.padStart(8);
    this.options.print(`${elapsed} | waiting: ${this.waitingOn(now)}`);
    this.lastOutput = now;
  }

  /** What the run waits on now. */
  waitingOn(now: number = Date.now()): string {
    const stage = this.stage;
    if (!stage) return 'the run to start (the emulator, the cloud assembly)';
    if (stage.stage === 'synth') return `synthesizing the app (${stage.app}) for ${formatDuration(now - this.stageStart)}`;
    const inProgress = stage.clock.inProgress();
    if (inProgress.length === 0) return 'the stack operations (no resource in progress)';
    const { event, simulatedMs, realMs } = inProgress[0];
    const resource = event.constructPath ? `${event.constructPath} (${event.logicalId})` : event.logicalId;
    return `${inProgress.length} resource${inProgress.length === 1 ? '' : 's'} in progress; the longest: ${event.stackName} ${event.resourceType} `
      + `${resource} ${event.status} for ${formatDuration(simulatedMs)} simulated (${formatDuration(realMs)} here)`;
  }
}
