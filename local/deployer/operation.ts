/**
 * One stack operation's state and bookkeeping: the resources as CloudFormation knows them, what the
 * operation touched and has in flight, the event log, the checkpoints saved to the emulator's stack
 * store, and the result. The phases that drive it are in ./forward.ts (create/update),
 * ./rollback.ts, ./deletion.ts and ./engine.ts (the stack operations themselves).
 */
import * as os from 'os';
import type { CloudAssembly } from './assembly';
import type { RehearsalClock } from './clock';
import type { ResolveContext } from './intrinsics';
import type { CodeStore, LambdaService } from './lambda';
import type { Invocation } from './provider';
import type { Environment } from './resources';
import type { EmulatorAdmin, EmulatorConfig, InFlightRequest, OperationRecord, OutputRecord, ResourceRecord, StackDocument, Touch } from './store';
import { wayOut } from './way-out';

export const STACK_RESOURCE_TYPE = 'AWS::CloudFormation::Stack';

/** One line of the stack's event log, as `cdk deploy` prints them. */
export interface StackEvent {
  readonly timestamp: string;
  /** Milliseconds since the deploy or destroy run started. */
  readonly elapsedMs: number;
  /** Simulated seconds since the run started, on the rehearsal's clock. */
  readonly simulatedSeconds?: number;
  readonly stackName: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: string;
  readonly physicalId?: string;
  readonly reason?: string;
  /** The construct path of the resource, when the assembly has it. */
  readonly constructPath?: string;
}

/** One call of a user handler function on behalf of a resource. */
export interface ResourceInvocation extends Invocation {
  readonly stackName: string;
  readonly logicalId: string;
  readonly requestType: string;
}

export interface StackCounts {
  created: number;
  updated: number;
  replaced: number;
  deleted: number;
  /** DELETE_SKIPPED: kept because of DeletionPolicy or UpdateReplacePolicy Retain. */
  retained: number;
  unchanged: number;
  failed: number;
}

export interface StackResult {
  readonly stackName: string;
  readonly operation: 'deploy' | 'destroy';
  /** The stack's status at the end (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, ...); undefined if it does not exist. */
  readonly status?: string;
  readonly success: boolean;
  /** The template and parameters were those already deployed: nothing was done. */
  readonly noChanges: boolean;
  /**
   * The first error, `<logicalId>: <reason>` for a resource. Also set on a successful update whose
   * cleanup could not delete a resource (CloudFormation reports it and leaves that resource behind).
   */
  readonly error?: string;
  readonly events: readonly StackEvent[];
  readonly invocations: readonly ResourceInvocation[];
  readonly counts: Readonly<StackCounts>;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** For a stack left in a state that blocks deploys: the command that gets it out. */
  readonly next?: string;
  /** The run was interrupted (Ctrl-C) before this stack's operation could finish. */
  readonly interrupted?: boolean;
}

/** Shared by every stack operation of one deploy or destroy run. */
export interface RunContext {
  readonly admin: EmulatorAdmin;
  readonly config: EmulatorConfig;
  readonly endpoint: string;
  readonly lambda: LambdaService;
  readonly codeStore: CodeStore;
  readonly assembly?: CloudAssembly;
  /** Every stack the emulator holds, kept current as this run changes them. */
  readonly registry: Map<string, StackDocument>;
  readonly startTime: number;
  readonly onEvent?: (event: StackEvent) => void;
  /** Operations CloudFormation stopped waiting for; awaited before the run ends. */
  readonly background: Promise<unknown>[];
  /**
   * Aborted when the run ends: the waiters of cancelled operations keep polling until then, as the
   * provider's state machine goes on in AWS after CloudFormation stopped waiting (aws-cdk#31541).
   */
  readonly runEnd: AbortSignal;
  /**
   * Aborted when the user interrupts the run (Ctrl-C): no new resource operation starts, those in
   * flight finish, and a deploy rolls back as CloudFormation's CancelUpdateStack does.
   */
  readonly interrupt?: AbortSignal;
  /** Identifies this run in the checkpoints it writes. */
  readonly runId: string;
  /** The rehearsal's one clock (./clock.ts): waits, Lambda's Timeout and CloudFormation's limits run on it. */
  readonly clock?: RehearsalClock;
}

/**
 * Now, as the run's handlers read it: the rehearsal's clock when it holds one. An operation's start
 * (CloudFormation's LastUpdatedTime) is compared with the creation markers the handlers stamp.
 */
export function runNow(ctx: RunContext): string {
  return new Date(ctx.clock ? Math.floor(ctx.clock.now()) : Date.now()).toISOString();
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The state of one stack operation, as CloudFormation keeps it while the operation runs. */
export class StackOperation {
  readonly events: StackEvent[] = [];
  readonly invocations: ResourceInvocation[] = [];
  readonly counts: StackCounts = { created: 0, updated: 0, replaced: 0, deleted: 0, retained: 0, unchanged: 0, failed: 0 };
  firstError?: string;
  live = new Map<string, ResourceRecord>();
  pendingDeletes: Array<ResourceRecord & { logicalId: string }> = [];
  readonly touched = new Map<string, Touch>();
  readonly inFlight = new Map<string, InFlightRequest>();
  readonly imports = new Set<string>();
  status: string;
  /** The operation this run carries out (checkpointed with the document until it ends). */
  operation?: { kind: OperationRecord['kind']; startedAt: string };
  previousResources?: Record<string, ResourceRecord>;
  cleanupIds?: string[];
  /** Deletes: the logical ids kept (RetainResources). */
  retainIds: string[] = [];
  reason?: string;
  target?: OperationRecord['target'];
  cancelled = false;
  /** Document fields that change with the phase (an update's new template in its cleanup phase). */
  overrides: Partial<StackDocument> = {};
  /** The template's context for resolving values, set when the operation is planned (./plan.ts). */
  resolveContext?: ResolveContext;
  private queuedSave?: Promise<void>;
  private saveChain: Promise<void> = Promise.resolve();
  private saveError?: unknown;

  constructor(
    readonly ctx: RunContext,
    readonly doc: StackDocument,
    readonly env: Environment,
    readonly constructPaths: Readonly<Record<string, string>> = {},
  ) {
    this.status = doc.status;
    for (const [id, record] of Object.entries(doc.resources)) this.live.set(id, record);
    this.pendingDeletes = [...doc.pendingDeletes];
    const record = doc.operation;
    if (record) {
      // Take over the operation an earlier run checkpointed.
      this.operation = { kind: record.kind, startedAt: record.startedAt };
      for (const [id, touch] of Object.entries(record.touched)) this.touched.set(id, touch);
      for (const [id, request] of Object.entries(record.inFlight)) this.inFlight.set(id, request);
      this.previousResources = record.previousResources;
      this.cleanupIds = record.cleanup ? [...record.cleanup] : undefined;
      this.retainIds = [...record.retain ?? []];
      this.reason = record.reason;
      this.target = record.target;
      this.cancelled = record.cancelled ?? false;
    }
  }

  begin(kind: OperationRecord['kind'], previousResources?: Record<string, ResourceRecord>): void {
    this.operation = { kind, startedAt: runNow(this.ctx) };
    this.previousResources = previousResources;
    this.touched.clear();
    this.inFlight.clear();
    this.cleanupIds = undefined;
    this.retainIds = [];
    this.reason = undefined;
    this.target = undefined;
    this.cancelled = false;
  }

  interrupted(): boolean {
    return this.ctx.interrupt?.aborted ?? false;
  }

  get stackName(): string {
    return this.doc.stackName;
  }


  emit(logicalId: string, resourceType: string, status: string, extra: { reason?: string; physicalId?: string } = {}): void {
    const now = Date.now();
    const clock = this.ctx.clock;
    const event: StackEvent = {
      timestamp: new Date(now).toISOString(),
      elapsedMs: now - this.ctx.startTime,
      ...(clock ? { simulatedSeconds: clock.simulatedSeconds(clock.now() - clock.startedAt) } : {}),
      stackName: this.stackName,
      logicalId,
      resourceType,
      status,
      ...(extra.physicalId ? { physicalId: extra.physicalId } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(this.constructPaths[logicalId] ? { constructPath: this.constructPaths[logicalId] } : {}),
    };
    this.events.push(event);
    this.ctx.onEvent?.(event);
  }

  /** Enters a phase: the status is saved before any handler of the phase is invoked (handlers may ask CloudFormation). */
  async emitStack(status: string, reason?: string): Promise<void> {
    this.status = status;
    this.emit(this.stackName, STACK_RESOURCE_TYPE, status, { reason, physicalId: this.doc.stackId });
    await this.persist();
  }

  /** Records a resource's failure: counted, the first error kept, the event logged, progress saved. */
  fail(logicalId: string, type: string, status: string, reason: string): false {
    this.counts.failed++;
    this.firstError ??= `${logicalId}: ${reason}`;
    this.emit(logicalId, type, status, { reason });
    this.checkpoint();
    return false;
  }

  snapshot(overrides: Partial<StackDocument> = {}): StackDocument {
    const document: StackDocument = {
      ...this.doc,
      ...this.overrides,
      status: this.status,
      resources: Object.fromEntries(this.live),
      pendingDeletes: [...this.pendingDeletes],
      updatedAt: new Date().toISOString(),
      operation: this.operationRecord(),
      ...overrides,
    };
    if (!document.operation) delete document.operation;
    return document;
  }

  private operationRecord(): OperationRecord | undefined {
    if (!this.operation) return undefined;
    return {
      kind: this.operation.kind,
      pid: process.pid,
      host: os.hostname(),
      runId: this.ctx.runId,
      startedAt: this.operation.startedAt,
      touched: Object.fromEntries(this.touched),
      inFlight: Object.fromEntries(this.inFlight),
      ...(this.previousResources ? { previousResources: this.previousResources } : {}),
      ...(this.cleanupIds ? { cleanup: this.cleanupIds } : {}),
      ...(this.retainIds.length ? { retain: this.retainIds } : {}),
      ...(this.target ? { target: this.target } : {}),
      ...(this.cancelled ? { cancelled: true } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }

  /**
   * Saves the stack document as it is now to the emulator's stack store, after any save already
   * under way: when it resolves, nothing done so far can be forgotten or done twice by a later run.
   */
  persist(): Promise<void> {
    if (!this.queuedSave) {
      const save = this.saveChain.then(() => {
        this.queuedSave = undefined;
        const document = this.snapshot();
        return this.ctx.admin.putStack(document).then(() => { this.ctx.registry.set(document.stackName, document); });
      });
      this.queuedSave = save;
      this.saveChain = save.catch(() => undefined);
    }
    return this.queuedSave;
  }

  /** Saves progress without waiting (after a resource completed). */
  checkpoint(): void {
    this.persist().catch(error => { this.saveError ??= error; });
  }

  /** The final document of the operation. */
  async save(document: StackDocument): Promise<void> {
    await this.saveChain;
    if (this.saveError) throw this.saveError;
    await this.ctx.admin.putStack(document);
    this.ctx.registry.set(document.stackName, document);
  }

  async remove(): Promise<void> {
    await this.saveChain;
    await this.ctx.admin.deleteStack(this.stackName);
    this.ctx.registry.delete(this.stackName);
  }

  /** The operation is over: the final document carries no checkpoint. */
  end(): void {
    this.operation = undefined;
  }

  result(operation: 'deploy' | 'destroy', status: string | undefined, success: boolean, outputs: Record<string, OutputRecord> = {}, noChanges = false): StackResult {
    const next = status ? wayOut(this.snapshot({ status }), operation) : undefined;
    return {
      stackName: this.stackName,
      operation,
      status,
      success,
      noChanges,
      ...(this.firstError ? { error: this.firstError } : {}),
      ...(next ? { next } : {}),
      events: this.events,
      invocations: this.invocations,
      counts: this.counts,
      outputs: Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value])),
    };
  }
}
