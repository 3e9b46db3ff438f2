/**
 * CloudFormation's stack operations, for the resources of one stack:
 *
 * - create/update: resources in dependency order, independent ones in parallel; a custom resource
 *   gets Create, or Update with OldResourceProperties when its resolved properties changed, and
 *   nothing when they did not; an Update answered with a new physical id is a replacement whose old
 *   instance is deleted in the cleanup phase, after every resource was updated, together with the
 *   resources the template no longer has (in reverse dependency order);
 * - on failure, running operations are cancelled and the stack rolls back: resources updated in
 *   this operation get an Update back to their old properties, replaced ones return to their old
 *   physical resource, created ones are deleted; the stack ends in ROLLBACK_COMPLETE or
 *   UPDATE_ROLLBACK_COMPLETE with the first error as its reason;
 * - delete: every resource in reverse dependency order;
 * - DeletionPolicy / UpdateReplacePolicy `Retain` resources are skipped (DELETE_SKIPPED), also in
 *   rollbacks (CloudFormation's default, RetainExceptOnCreate=false);
 * - interruption: the stack document is a checkpoint, saved to the emulator with the phase's status
 *   before the phase's first request, with each request in flight, and as each resource completes.
 *   A user's interruption stops starting work and rolls back (CancelUpdateStack). A run that finds
 *   a stack `*_IN_PROGRESS` whose run is gone finishes what CloudFormation would have done, which
 *   goes on when its client goes away: requests in flight are sent again (same RequestId), a create
 *   or update is carried on (rolled back when it was cancelled, had failed, or a destroy asks), a
 *   rollback, cleanup or delete goes on;
 * - ContinueUpdateRollback (with ResourcesToSkip) and DeleteStack's RetainResources get stacks out
 *   of UPDATE_ROLLBACK_FAILED, DELETE_FAILED and ROLLBACK_FAILED.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import type { CloudAssembly, AssemblyStack } from './assembly';
import type { RehearsalClock } from './clock';
import { evaluateCondition, evaluateConditions, resolve, ResolveContext, ResolveError, stringifyScalars } from './intrinsics';
import type { CodeStore, LambdaService } from './lambda';
import { CustomResourceRequest, CustomResourceResponse, Invocation, ProviderFunctions, runProvider, waiterPolicyFromDefinition } from './provider';
import { Environment, functionConfiguration, plainAttribute, plainResource, RESERVED_LAMBDA_VARIABLES } from './resources';
import { runInOrder, CancellationToken } from './scheduler';
import type { EmulatorAdmin, EmulatorConfig, InFlightRequest, OperationRecord, OutputRecord, ResourceRecord, StackDocument, Touch } from './store';
import {
  allReferencedNames, dependencyGraph, dependsOnList, isCustomResourceType, isObject, PSEUDO_PARAMETERS, sameJson,
  Template, TemplateError, TemplateResource, topologicalOrder,
} from './template';

export const DEFAULT_REGION = 'us-east-1';
export const STACK_RESOURCE_TYPE = 'AWS::CloudFormation::Stack';

/** The value the deployer gives CDK's `BootstrapVersion` parameter (its SSM parameter): any version >= 6 passes the template's rule. */
export const LOCAL_BOOTSTRAP_VERSION = '30';

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

/** CloudFormation's limit on waiting for a custom resource's answer: ServiceTimeout, at most (and by default) one hour. */
export const CUSTOM_RESOURCE_TIMEOUT_SECONDS = 3600;
/** What CloudFormation reports for a custom resource that did not answer within its ServiceTimeout. */
export const CUSTOM_RESOURCE_TIMEOUT_REASON = 'Custom Resource failed to stabilize in expected time';

/** Runs of this process, to tell an operation of a live run from one a dead run left behind. */
export const ACTIVE_RUNS = new Set<string>();

/** How CloudFormation's stack operations can be continued or cleaned up. */
export interface StackOperationOptions {
  /** DeleteStack's RetainResources: logical ids kept (DELETE_SKIPPED); the stack must be DELETE_FAILED or ROLLBACK_FAILED. */
  readonly retainResources?: readonly string[];
}

/** The library's account resource, and the removal actions that close or remove an account. */
const ACCOUNT_TYPE = 'Custom::Organizations_Account';
const REMOVAL_ACTION_PROPERTY = 'RemovalAction';
const DESTRUCTIVE_REMOVAL_ACTIONS = ['CLOSE', 'REMOVE_FROM_ORGANIZATION'];

/** The command prefix the messages suggest. */
export const CLI = 'cdk-organizations';

const STATUSES_BLOCKING_UPDATE = ['UPDATE_ROLLBACK_FAILED', 'DELETE_FAILED', 'ROLLBACK_FAILED'];
const STATUSES_RECREATED = ['ROLLBACK_COMPLETE'];
const STATUSES_UNCHANGED_IF_SAME = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'];

interface Plan {
  readonly template: Template;
  readonly parameters: Record<string, unknown>;
  readonly conditions: Record<string, boolean>;
  readonly resources: Record<string, TemplateResource>;
  readonly graph: Map<string, Set<string>>;
  readonly order: string[];
}

interface DeletionItem {
  readonly key: string;
  readonly logicalId: string;
  readonly record: ResourceRecord;
  readonly retain: boolean;
  /** Where the record lives while it exists. */
  readonly location: 'live' | 'pending';
}

class StackOperation {
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
  private resolveContext?: ResolveContext;
  private queuedSave?: Promise<void>;
  private saveChain: Promise<void> = Promise.resolve();
  private saveError?: unknown;

  constructor(
    private readonly ctx: RunContext,
    readonly doc: StackDocument,
    private readonly env: Environment,
    private readonly constructPaths: Readonly<Record<string, string>> = {},
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

  // ---- planning -------------------------------------------------------------------------------

  plan(template: Template, overrides: Record<string, string>, previousParameters: Record<string, unknown> = {}): Plan {
    if (template.Transform !== undefined) {
      throw new TemplateError(`the local deployer does not run template transforms (${JSON.stringify(template.Transform)}); CDK apps need none unless they add one`);
    }
    const parameters = resolveParameters(template, overrides, previousParameters);
    const base = this.baseContext(template, parameters);
    const conditions = evaluateConditions(template, base);
    const withConditions = { ...base, conditions };
    checkRules(template, withConditions);
    const resources: Record<string, TemplateResource> = {};
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (!resource || typeof resource.Type !== 'string') throw new TemplateError(`resource ${id} has no Type`);
      if (resource.Condition !== undefined && !conditionValue(conditions, resource.Condition)) continue;
      resources[id] = resource;
    }
    const known = new Set<string>([...Object.keys(resources), ...Object.keys(parameters), ...PSEUDO_PARAMETERS]);
    const unresolved = new Set<string>();
    const isTrue = (name: string) => conditionValue(conditions, name);
    for (const resource of Object.values(resources)) {
      for (const name of allReferencedNames(resource.Properties ?? {}, isTrue)) if (!known.has(name)) unresolved.add(name);
      for (const name of dependsOnList(resource)) if (!(name in resources)) unresolved.add(name);
    }
    if (unresolved.size > 0) throw new TemplateError(`Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`);
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition !== undefined && !isTrue(output.Condition)) continue;
      for (const ref of allReferencedNames(output, isTrue)) {
        if (!known.has(ref)) throw new TemplateError(`Unresolved resource dependencies [${ref}] in the Outputs block of the template (output ${name})`);
      }
    }
    const graph = dependencyGraph(resources, isTrue);
    const order = topologicalOrder(graph);
    const retyped = Object.keys(resources).filter(id => this.live.has(id) && this.live.get(id)!.type !== resources[id].Type);
    if (retyped.length > 0) {
      throw new TemplateError(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${retyped.join(', ')}]`);
    }
    this.resolveContext = withConditions;
    return { template, parameters, conditions, resources, graph, order };
  }

  private baseContext(template: Template, parameters: Record<string, unknown>): Omit<ResolveContext, 'conditions'> {
    return {
      pseudo: {
        accountId: this.env.account,
        region: this.env.region,
        partition: this.env.partition,
        urlSuffix: 'amazonaws.com',
        stackName: this.stackName,
        stackId: this.doc.stackId,
      },
      parameters,
      mappings: template.Mappings,
      ref: logicalId => {
        const record = this.live.get(logicalId);
        if (!record) throw new ResolveError(`Resource ${logicalId} does not exist yet`);
        return record.physicalId;
      },
      getAtt: (logicalId, attribute) => {
        const record = this.live.get(logicalId);
        if (!record) throw new ResolveError(`Resource ${logicalId} does not exist yet`);
        if (!isCustomResourceType(record.type)) return plainAttribute(record, attribute);
        const value = customAttribute(record.attributes, attribute);
        if (value === undefined) {
          throw new ResolveError(`CustomResource attribute error: Vendor response doesn't contain ${attribute} attribute in object ${this.doc.stackId}|${logicalId}`);
        }
        return value;
      },
      importValue: name => {
        for (const doc of this.ctx.registry.values()) {
          if (doc.stackName === this.stackName) continue;
          for (const output of Object.values(doc.outputs)) {
            if (output.exportName === name) {
              this.imports.add(name);
              return output.value;
            }
          }
        }
        throw new ResolveError(`No export named ${name} found`);
      },
    };
  }

  // ---- events and checkpoints -----------------------------------------------------------------

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

  private fail(logicalId: string, type: string, status: string, reason: string): false {
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

  // ---- custom resources -----------------------------------------------------------------------

  /** Sends one request to the custom resource's provider and waits for its answer. */
  async customRequest(
    logicalId: string,
    fields: Pick<CustomResourceRequest, 'RequestType' | 'ResourceType' | 'ResourceProperties'> & Partial<Pick<CustomResourceRequest, 'OldResourceProperties' | 'PhysicalResourceId' | 'RequestId'>>,
    signal?: AbortSignal,
  ): Promise<CustomResourceResponse> {
    const requestId = fields.RequestId ?? randomUUID();
    const serviceToken = String(fields.ResourceProperties.ServiceToken ?? '');
    const request: CustomResourceRequest = {
      RequestType: fields.RequestType,
      ServiceToken: serviceToken,
      ResponseURL: `http://127.0.0.1/local-deployer/custom-resource-response/${requestId}`,
      StackId: this.doc.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: fields.ResourceType,
      ...(fields.PhysicalResourceId !== undefined ? { PhysicalResourceId: fields.PhysicalResourceId } : {}),
      ResourceProperties: fields.ResourceProperties,
      ...(fields.OldResourceProperties ? { OldResourceProperties: fields.OldResourceProperties } : {}),
    };
    let provider: ProviderFunctions;
    try {
      provider = this.providerFor(serviceToken);
    } catch (error) {
      return { Status: 'FAILED', Reason: (error as Error).message, PhysicalResourceId: fields.PhysicalResourceId ?? '' };
    }
    // The checkpoint (phase status, the request in flight) is durable before the handler runs.
    await this.persist();
    const running = runProvider(request, provider, {
      lambda: this.ctx.lambda,
      timeScale: this.ctx.config.timeScale,
      clock: this.ctx.clock,
      signal,
      onInvocation: invocation => this.invocations.push({ ...invocation, stackName: this.stackName, logicalId, requestType: request.RequestType }),
    });
    const response = await this.withinServiceTimeout(running, fields.ResourceProperties);
    if (!response) {
      // The provider goes on (its waiter polls until the run ends); CloudFormation no longer listens.
      this.ctx.background.push(running.catch(() => undefined));
      const physicalId = request.RequestType === 'Create' ? this.inventedPhysicalId(logicalId) : fields.PhysicalResourceId ?? '';
      return { Status: 'FAILED', Reason: CUSTOM_RESOURCE_TIMEOUT_REASON, PhysicalResourceId: physicalId };
    }
    if (response.Status === 'FAILED') {
      return {
        ...response,
        Reason: `Received response status [FAILED] from custom resource. Message returned: ${response.Reason.trim()} (RequestId: ${requestId})`,
      };
    }
    return response;
  }

  /**
   * The provider's answer, or undefined when it did not come within the resource's ServiceTimeout
   * (one hour by default) on the rehearsal's clock. Without that clock the deployer waits as long as it takes.
   */
  private async withinServiceTimeout(
    running: Promise<CustomResourceResponse>,
    properties: Record<string, unknown>,
  ): Promise<CustomResourceResponse | undefined> {
    const clock = this.ctx.clock;
    if (!clock) return running;
    const declared = Number(properties.ServiceTimeout);
    const seconds = declared >= 1 && declared <= CUSTOM_RESOURCE_TIMEOUT_SECONDS ? declared : CUSTOM_RESOURCE_TIMEOUT_SECONDS;
    let cancel = () => {};
    const expired = new Promise<undefined>(done => { cancel = clock.at(clock.now() + clock.duration(seconds), () => done(undefined)); });
    try {
      return await Promise.race([running, expired]);
    } finally {
      cancel();
    }
  }

  /** CloudFormation never learnt the physical id of a create, so it invents one for the Delete it sends. */
  private inventedPhysicalId(logicalId: string): string {
    return `${this.stackName}-${logicalId}-${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
  }

  /** The provider framework behind a ServiceToken, and the user functions it calls. */
  private providerFor(serviceToken: string): ProviderFunctions {
    const framework = this.findRecord('AWS::Lambda::Function', record => record.attributes.Arn === serviceToken);
    if (!framework) throw new Error(`ServiceToken ${serviceToken || '(empty)'} is not a Lambda function of any deployed stack`);
    const variables = (framework.properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const onEventArn = variables.USER_ON_EVENT_FUNCTION_ARN;
    if (typeof onEventArn !== 'string') {
      throw new Error(`ServiceToken ${serviceToken} is not a custom_resources.Provider framework function: the local deployer runs custom resources served by a Provider only`);
    }
    const onEvent = this.functionByArn(onEventArn);
    const isCompleteArn = variables.USER_IS_COMPLETE_FUNCTION_ARN;
    if (typeof isCompleteArn !== 'string') return { onEvent };
    const waiterArn = variables.WAITER_STATE_MACHINE_ARN;
    const stateMachine = this.findRecord('AWS::StepFunctions::StateMachine', record => record.physicalId === waiterArn);
    if (!stateMachine) throw new Error(`The waiter state machine ${String(waiterArn)} of provider ${serviceToken} is not deployed`);
    const definition = stateMachine.properties.DefinitionString ?? stateMachine.properties.Definition;
    return { onEvent, isComplete: this.functionByArn(isCompleteArn), waiter: waiterPolicyFromDefinition(definition) };
  }

  private functionByArn(arn: string) {
    const record = this.findRecord('AWS::Lambda::Function', candidate => candidate.attributes.Arn === arn);
    if (!record) throw new Error(`Function ${arn} is not deployed`);
    let directory = record.codeKey ? this.ctx.codeStore.directory(record.codeKey) : undefined;
    if (!directory) {
      const key = this.storeCode(record.properties, true);
      directory = key ? this.ctx.codeStore.directory(key) : undefined;
    }
    if (!directory) {
      throw new Error(`The code of function ${record.physicalId} is no longer available locally: run with --app pointing at an app or cloud assembly that contains it`);
    }
    return functionConfiguration(record, directory, { endpoint: this.ctx.endpoint, region: this.env.region, timeScale: this.ctx.config.timeScale });
  }

  /** A resource record of this stack (current or awaiting deletion) or of any other deployed stack. */
  private findRecord(type: string, match: (record: ResourceRecord) => boolean): ResourceRecord | undefined {
    const candidates: ResourceRecord[] = [...this.live.values(), ...this.pendingDeletes];
    for (const doc of this.ctx.registry.values()) {
      if (doc.stackName !== this.stackName) candidates.push(...Object.values(doc.resources), ...doc.pendingDeletes);
    }
    return candidates.find(record => record.type === type && match(record));
  }

  /** Keeps a function's code as Lambda would; returns the code key (undefined for code the deployer cannot run). */
  private storeCode(props: Record<string, unknown>, lenient = false): string | undefined {
    const code = (props.Code ?? {}) as { S3Key?: unknown; ZipFile?: unknown; ImageUri?: unknown };
    const runtime = String(props.Runtime ?? '');
    if (typeof code.ZipFile === 'string') return this.ctx.codeStore.storeInline(code.ZipFile, runtime);
    if (typeof code.S3Key !== 'string') return undefined;
    const asset = this.ctx.assembly?.findAsset(code.S3Key);
    if (!asset) {
      if (lenient) return undefined;
      throw new Error(`Error occurred while GetObject. S3 Error Code: NoSuchKey. The cloud assembly has no asset ${code.S3Key}`);
    }
    if (asset.packaging === 'zip' && isDirectory(asset.path)) return this.ctx.codeStore.storeDirectory(asset.hash, asset.path);
    if (lenient || !runtime.startsWith('nodejs')) return undefined;
    throw new Error(`The code asset ${code.S3Key} is a file (${asset.path}); the local deployer runs functions whose code is a directory asset (lambda.Code.fromAsset(directory))`);
  }

  // ---- create / update ------------------------------------------------------------------------

  /** The forward phase: returns the ids that failed (empty on success). */
  async forward(plan: Plan, cancellable = true): Promise<string[]> {
    // A user's cancel is recorded at once: a run that takes over after a second Ctrl-C rolls back.
    const onInterrupt = () => {
      if (!cancellable) return;
      this.cancelled = true;
      this.checkpoint();
    };
    if (this.ctx.interrupt?.aborted) onInterrupt();
    else this.ctx.interrupt?.addEventListener('abort', onInterrupt);
    const outcome = await runInOrder(plan.order, id => plan.graph.get(id) ?? [], (id, token) => this.forwardResource(plan, id, token), {
      mode: 'cancel',
      stop: this.ctx.interrupt,
      onCancel: id => this.cancel(plan, id),
      onError: (id, error) => this.fail(id, plan.resources[id].Type, this.live.has(id) ? 'UPDATE_FAILED' : 'CREATE_FAILED', describeError(error)),
    });
    this.ctx.interrupt?.removeEventListener('abort', onInterrupt);
    this.ctx.background.push(...outcome.background);
    return [...outcome.failed];
  }

  private async forwardResource(plan: Plan, id: string, token: CancellationToken): Promise<boolean> {
    const definition = plan.resources[id];
    const previous = this.live.get(id);
    const custom = isCustomResourceType(definition.Type);
    let properties: Record<string, unknown>;
    try {
      const resolved = resolve(definition.Properties ?? {}, this.resolveContext!);
      properties = (custom ? stringifyScalars(resolved) : resolved) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof ResolveError || error instanceof TemplateError)) throw error;
      return this.fail(id, definition.Type, previous ? 'UPDATE_FAILED' : 'CREATE_FAILED', error.message);
    }
    const base = {
      type: definition.Type,
      properties,
      dependsOn: [...plan.graph.get(id) ?? []],
      deletionPolicy: definition.DeletionPolicy,
      updateReplacePolicy: definition.UpdateReplacePolicy,
    };
    if (!previous) return this.create(id, base, token);
    if (sameJson(previous.properties, properties)) {
      this.live.set(id, { ...previous, ...base });
      this.counts.unchanged++;
      return true;
    }
    return this.update(id, previous, base, token);
  }

  private async create(id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, token: CancellationToken): Promise<boolean> {
    this.emit(id, base.type, 'CREATE_IN_PROGRESS');
    let record: ResourceRecord;
    if (isCustomResourceType(base.type)) {
      const requestId = randomUUID();
      this.touched.set(id, { kind: 'creating', record: base });
      this.inFlight.set(id, { requestType: 'Create', requestId });
      const response = await this.customRequest(id, {
        RequestType: 'Create', RequestId: requestId, ResourceType: base.type, ResourceProperties: base.properties,
      }, this.ctx.runEnd);
      if (token.cancelled) return false;
      return this.created(id, base, response);
    } else {
      try {
        record = { ...base, ...this.plainRecord(id, base), status: 'CREATE_COMPLETE' };
      } catch (error) {
        return this.fail(id, base.type, 'CREATE_FAILED', describeError(error));
      }
      this.touched.set(id, { kind: 'created' });
    }
    this.live.set(id, record);
    this.counts.created++;
    this.emit(id, base.type, 'CREATE_COMPLETE', { physicalId: record.physicalId });
    this.checkpoint();
    return true;
  }

  /** Records the provider's answer to a Create. */
  private created(id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, response: CustomResourceResponse): boolean {
    this.inFlight.delete(id);
    this.touched.set(id, { kind: 'created' });
    if (response.Status === 'FAILED') {
      // CloudFormation keeps the physical id of a failed create for the Delete of the rollback.
      this.live.set(id, { ...base, physicalId: response.PhysicalResourceId, attributes: {}, status: 'CREATE_FAILED' });
      return this.fail(id, base.type, 'CREATE_FAILED', response.Reason);
    }
    const record: ResourceRecord = { ...base, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {}, status: 'CREATE_COMPLETE' };
    this.live.set(id, record);
    this.counts.created++;
    this.emit(id, base.type, 'CREATE_COMPLETE', { physicalId: record.physicalId });
    this.checkpoint();
    return true;
  }

  /** Records the provider's answer to a forward Update. */
  private updated(id: string, previous: ResourceRecord, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, response: CustomResourceResponse): boolean {
    this.inFlight.delete(id);
    if (response.Status === 'FAILED') return this.fail(id, base.type, 'UPDATE_FAILED', response.Reason);
    const record: ResourceRecord = { ...base, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {}, status: 'UPDATE_COMPLETE' };
    if (record.physicalId !== previous.physicalId) {
      // A replacement: the old instance goes in the cleanup phase, once every dependent was updated.
      this.pendingDeletes.push({ ...previous, updateReplacePolicy: base.updateReplacePolicy, logicalId: id });
      this.touched.set(id, { kind: 'replaced', previous });
      this.counts.replaced++;
    } else {
      this.touched.set(id, { kind: 'updated', previous, attempted: base.properties });
      this.counts.updated++;
    }
    this.live.set(id, record);
    this.emit(id, base.type, 'UPDATE_COMPLETE', { physicalId: record.physicalId });
    this.checkpoint();
    return true;
  }

  /**
   * Sends again, with the same RequestId, the Creates and Updates an interrupted run was waiting
   * for (CloudFormation would have had their answers), and records the answers.
   */
  async finishInFlight(): Promise<void> {
    await Promise.all([...this.inFlight.entries()].map(async ([id, request]) => {
      const touch = this.touched.get(id);
      if (touch?.kind === 'creating') {
        const base = touch.record;
        this.emit(id, base.type, 'CREATE_IN_PROGRESS', { reason: 'Resumed: the interrupted request is sent again' });
        const response = await this.customRequest(id, {
          RequestType: 'Create', RequestId: request.requestId, ResourceType: base.type, ResourceProperties: base.properties,
        });
        this.created(id, base, response);
      } else if (touch?.kind === 'updating') {
        const { previous, attempted } = touch;
        this.emit(id, previous.type, 'UPDATE_IN_PROGRESS', { reason: 'Resumed: the interrupted request is sent again' });
        const response = await this.customRequest(id, {
          RequestType: 'Update',
          RequestId: request.requestId,
          ResourceType: previous.type,
          PhysicalResourceId: previous.physicalId,
          ResourceProperties: attempted,
          OldResourceProperties: previous.properties,
        });
        this.updated(id, previous, { ...previous, properties: attempted }, response);
      } else {
        this.inFlight.delete(id);
      }
    }));
  }

  private plainRecord(id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, previous?: ResourceRecord) {
    const stack = { stackName: this.stackName, stackId: this.doc.stackId };
    const { physicalId, attributes } = previous ?? plainResource(base.type, id, base.properties, stack, this.env);
    if (base.type === STACK_RESOURCE_TYPE) {
      throw new Error('Nested stacks (AWS::CloudFormation::Stack) are not supported by the local deployer: deploy their resources in a top-level stack');
    }
    let codeKey: string | undefined;
    if (base.type === 'AWS::Lambda::Function') {
      const variables = Object.keys((base.properties.Environment as { Variables?: object } | undefined)?.Variables ?? {});
      const reserved = variables.filter(name => RESERVED_LAMBDA_VARIABLES.includes(name));
      if (reserved.length > 0) {
        throw new Error('Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. '
          + `Reserved keys used in this request: ${reserved.join(', ')}`);
      }
      codeKey = this.storeCode(base.properties);
    }
    return { physicalId, attributes, ...(codeKey ? { codeKey } : {}) };
  }

  private async update(id: string, previous: ResourceRecord, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, token: CancellationToken): Promise<boolean> {
    let record: ResourceRecord;
    if (isCustomResourceType(base.type)) {
      if (base.properties.ServiceToken !== previous.properties.ServiceToken) {
        return this.fail(id, base.type, 'UPDATE_FAILED', 'Modifying service token is not allowed.');
      }
      this.emit(id, base.type, 'UPDATE_IN_PROGRESS');
      const requestId = randomUUID();
      this.touched.set(id, { kind: 'updating', previous, attempted: base.properties });
      this.inFlight.set(id, { requestType: 'Update', requestId });
      const response = await this.customRequest(id, {
        RequestType: 'Update',
        RequestId: requestId,
        ResourceType: base.type,
        PhysicalResourceId: previous.physicalId,
        ResourceProperties: base.properties,
        OldResourceProperties: previous.properties,
      }, this.ctx.runEnd);
      if (token.cancelled) return false;
      return this.updated(id, previous, base, response);
    } else {
      this.emit(id, base.type, 'UPDATE_IN_PROGRESS');
      try {
        record = { ...previous, ...base, ...this.plainRecord(id, base, previous), status: 'UPDATE_COMPLETE' };
      } catch (error) {
        return this.fail(id, base.type, 'UPDATE_FAILED', describeError(error));
      }
      this.touched.set(id, { kind: 'updated', previous, attempted: base.properties });
      this.counts.updated++;
    }
    this.live.set(id, record);
    this.emit(id, base.type, 'UPDATE_COMPLETE', { physicalId: record.physicalId });
    this.checkpoint();
    return true;
  }

  /** CloudFormation stopped waiting for this operation because another one failed. */
  private cancel(plan: Plan, id: string): void {
    // Its answer no longer counts: the rollback works from what CloudFormation knew.
    this.inFlight.delete(id);
    const touch = this.touched.get(id);
    const type = plan.resources[id].Type;
    if (touch?.kind === 'creating') {
      this.live.set(id, { ...touch.record, physicalId: this.inventedPhysicalId(id), attributes: {}, status: 'CREATE_FAILED' });
      this.touched.set(id, { kind: 'created' });
      this.emit(id, type, 'CREATE_FAILED', { reason: 'Resource creation cancelled' });
    } else if (touch?.kind === 'updating') {
      this.emit(id, type, 'UPDATE_FAILED', { reason: 'Resource update cancelled' });
    }
    this.checkpoint();
  }

  /** Resolves the outputs and checks the exports against the other stacks; returns an error message when they conflict. */
  outputs(plan: Plan, previous?: StackDocument): { outputs: Record<string, OutputRecord>; error?: string } {
    const outputs: Record<string, OutputRecord> = {};
    try {
      for (const [name, output] of Object.entries(plan.template.Outputs ?? {})) {
        if (output.Condition !== undefined && !conditionValue(plan.conditions, output.Condition)) continue;
        const value = resolve(output.Value, this.resolveContext!);
        const exportName = output.Export ? String(resolve(output.Export.Name, this.resolveContext!)) : undefined;
        outputs[name] = { value, ...(exportName ? { exportName } : {}), ...(output.Description ? { description: output.Description } : {}) };
      }
    } catch (error) {
      if (error instanceof ResolveError || error instanceof TemplateError) return { outputs, error: error.message };
      throw error;
    }
    const exported = new Map(Object.values(outputs).filter(o => o.exportName).map(o => [o.exportName!, o.value]));
    for (const doc of this.ctx.registry.values()) {
      if (doc.stackName === this.stackName) continue;
      for (const output of Object.values(doc.outputs)) {
        if (output.exportName && exported.has(output.exportName)) {
          return { outputs, error: `Export with name ${output.exportName} is already exported by stack ${doc.stackName}` };
        }
      }
    }
    for (const output of Object.values(previous?.outputs ?? {})) {
      if (!output.exportName) continue;
      const importer = this.importerOf(output.exportName);
      if (!importer) continue;
      if (!exported.has(output.exportName)) return { outputs, error: `Export ${output.exportName} cannot be deleted as it is in use by ${importer}` };
      if (!sameJson(exported.get(output.exportName), output.value)) {
        return { outputs, error: `Cannot update export ${output.exportName} as it is in use by ${importer}` };
      }
    }
    return { outputs };
  }

  importerOf(exportName: string): string | undefined {
    for (const doc of this.ctx.registry.values()) {
      if (doc.stackName !== this.stackName && doc.imports.includes(exportName)) return doc.stackName;
    }
    return undefined;
  }

  // ---- rollback of an update ------------------------------------------------------------------

  /** Returns the previous state to every resource this operation updated; false if a rollback update failed. */
  async rollbackUpdates(skip: readonly string[] = []): Promise<boolean> {
    for (const [id, record] of this.live) if (record.status === 'UPDATE_FAILED') this.live.set(id, { ...record, status: 'UPDATE_COMPLETE' });
    for (const id of skip) {
      // ContinueUpdateRollback's ResourcesToSkip: the stack takes the resource as rolled back, as it is.
      const touch = this.touched.get(id) as Extract<Touch, { previous: ResourceRecord }>;
      this.live.set(id, touch.previous);
      this.touched.set(id, { kind: 'rolledBack' });
      this.emit(id, touch.previous.type, 'UPDATE_COMPLETE', { physicalId: touch.previous.physicalId, reason: 'Skipped (--resources-to-skip)' });
    }
    const ids = this.rollbackRemaining();
    const previous = new Map(ids.map(id => [id, (this.touched.get(id) as { previous: ResourceRecord }).previous]));
    const previousOf = (id: string) => previous.get(id)!;
    const order = topologicalOrder(new Map(ids.map(id => [id, new Set(previousOf(id).dependsOn)])));
    const outcome = await runInOrder(order, id => previousOf(id).dependsOn, id => this.rollbackResource(id), {
      mode: 'stop',
      onError: (id, error) => this.fail(id, previousOf(id).type, 'UPDATE_FAILED', describeError(error)),
    });
    return outcome.failed.length === 0;
  }

  /** The resources this update changed that the rollback has not returned to their previous state yet. */
  rollbackRemaining(): string[] {
    return [...this.touched.keys()].filter(id => ['updating', 'updated', 'replaced'].includes(this.touched.get(id)!.kind));
  }

  private async rollbackResource(id: string): Promise<boolean> {
    const touch = this.touched.get(id) as Extract<Touch, { previous: ResourceRecord }>;
    const previous = touch.previous;
    const current = this.live.get(id)!;
    this.emit(id, previous.type, 'UPDATE_IN_PROGRESS');
    if (touch.kind === 'replaced') {
      // The old physical resource was never deleted: it is simply the resource again, and the
      // replacement goes in the rollback's cleanup phase.
      this.pendingDeletes = this.pendingDeletes.filter(pending => !(pending.logicalId === id && pending.physicalId === previous.physicalId));
      this.pendingDeletes.push({ ...current, logicalId: id });
      this.live.set(id, previous);
    } else if (isCustomResourceType(previous.type)) {
      const response = await this.customRequest(id, {
        RequestType: 'Update',
        ResourceType: previous.type,
        PhysicalResourceId: previous.physicalId,
        ResourceProperties: previous.properties,
        OldResourceProperties: touch.attempted,
      });
      if (response.Status === 'FAILED') {
        // Marked for the way out: these are the resources --resources-to-skip may name.
        this.live.set(id, { ...current, status: 'UPDATE_FAILED' });
        return this.fail(id, previous.type, 'UPDATE_FAILED', response.Reason);
      }
      if (response.PhysicalResourceId !== previous.physicalId) {
        this.pendingDeletes.push({ ...previous, logicalId: id });
      }
      this.live.set(id, { ...previous, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {} });
    } else {
      this.live.set(id, previous);
    }
    this.touched.set(id, { kind: 'rolledBack' });
    this.emit(id, previous.type, 'UPDATE_COMPLETE', { physicalId: this.live.get(id)!.physicalId });
    this.checkpoint();
    return true;
  }

  // ---- deletion -------------------------------------------------------------------------------

  /**
   * Deletes records in reverse dependency order, in parallel where independent. A failed delete
   * blocks only what it depends on. `abandonFailed`: a failed resource is forgotten (cleanup phases).
   */
  async deleteAll(items: DeletionItem[], abandonFailed: boolean, stop?: AbortSignal): Promise<string[]> {
    const byKey = new Map(items.map(item => [item.key, item]));
    // An item waits for every item whose record depends on it.
    const dependents = (key: string) => {
      const item = byKey.get(key)!;
      return items.filter(other => other !== item && other.record.dependsOn.includes(item.logicalId)).map(other => other.key);
    };
    const outcome = await runInOrder(items.map(item => item.key), dependents, key => this.deleteOne(byKey.get(key)!, abandonFailed), {
      mode: 'continue',
      stop,
      onError: (key, error) => this.fail(byKey.get(key)!.logicalId, byKey.get(key)!.record.type, 'DELETE_FAILED', describeError(error)),
    });
    return outcome.failed.map(key => byKey.get(key)!.logicalId);
  }

  private async deleteOne(item: DeletionItem, abandonFailed: boolean): Promise<boolean> {
    const { logicalId, record } = item;
    if (item.retain) {
      this.forget(item);
      this.counts.retained++;
      this.emit(logicalId, record.type, 'DELETE_SKIPPED', { physicalId: record.physicalId });
      this.checkpoint();
      return true;
    }
    this.emit(logicalId, record.type, 'DELETE_IN_PROGRESS', { physicalId: record.physicalId });
    if (isCustomResourceType(record.type)) {
      const response = await this.customRequest(logicalId, {
        RequestType: 'Delete',
        ResourceType: record.type,
        PhysicalResourceId: record.physicalId,
        ResourceProperties: record.properties,
      });
      if (response.Status === 'FAILED') {
        if (abandonFailed) this.forget(item);
        else if (item.location === 'live' && this.live.get(logicalId) === record) this.live.set(logicalId, { ...record, status: 'DELETE_FAILED' });
        return this.fail(logicalId, record.type, 'DELETE_FAILED', response.Reason);
      }
    }
    this.forget(item);
    this.counts.deleted++;
    this.emit(logicalId, record.type, 'DELETE_COMPLETE', { physicalId: record.physicalId });
    this.checkpoint();
    return true;
  }

  private forget(item: DeletionItem): void {
    if (item.location === 'live') {
      if (this.live.get(item.logicalId) === item.record) this.live.delete(item.logicalId);
    } else {
      this.pendingDeletes = this.pendingDeletes.filter(pending => pending !== item.record);
    }
  }

  liveItems(ids: Iterable<string>, retain: (record: ResourceRecord, id: string) => boolean): DeletionItem[] {
    return [...ids].filter(id => this.live.has(id)).map(id => {
      const record = this.live.get(id)!;
      return { key: `live:${id}`, logicalId: id, record, retain: retain(record, id), location: 'live' as const };
    });
  }

  pendingItems(): DeletionItem[] {
    return this.pendingDeletes.map((record, index) => ({
      key: `pending:${index}:${record.logicalId}`,
      logicalId: record.logicalId,
      record,
      retain: record.updateReplacePolicy === 'Retain',
      location: 'pending' as const,
    }));
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

const retainOnDelete = (record: ResourceRecord) => record.deletionPolicy === 'Retain';

function environmentOf(ctx: RunContext, doc: StackDocument): Environment {
  const [, , , region = DEFAULT_REGION, account = ctx.config.managementAccountId] = doc.stackId.split(':');
  return { account, region, partition: 'aws' };
}

/** Creates or updates one stack of the assembly. */
export async function deployStack(ctx: RunContext, stack: AssemblyStack, parameterOverrides: Record<string, string> = {}): Promise<StackResult> {
  const env: Environment = { account: stack.account ?? ctx.config.managementAccountId, region: stack.region ?? DEFAULT_REGION, partition: 'aws' };
  let previous = ctx.registry.get(stack.stackName);
  const earlier: StackResult[] = [];
  if (previous?.status.endsWith('_IN_PROGRESS')) {
    // CloudFormation goes on when its client goes away: finish what it would have done first.
    const resumed = await resumeStack(ctx, previous, stack.constructPaths, 'deploy');
    earlier.push(resumed);
    previous = ctx.registry.get(stack.stackName);
    if (!resumed.success || previous?.status.endsWith('_IN_PROGRESS') || ctx.interrupt?.aborted) return mergeResults(resumed, earlier.slice(0, -1));
  }
  if (previous && STATUSES_BLOCKING_UPDATE.includes(previous.status)) {
    return mergeResults(refused(stack.stackName, previous.status, `Stack ${stack.stackName} is in ${previous.status} state and can not be updated`, 'deploy', wayOut(previous, 'deploy')), earlier);
  }
  if (previous && STATUSES_RECREATED.includes(previous.status)) {
    // Like the cdk CLI: a stack whose creation failed is deleted before it is created again.
    const deletion = await destroyDocument(ctx, previous, stack.constructPaths);
    if (!deletion.success) return mergeResults(deletion, earlier);
    earlier.push(deletion);
    previous = undefined;
  }
  const now = new Date().toISOString();
  const doc: StackDocument = previous ?? {
    format: 'cdk-organizations/local-stack@1',
    stackName: stack.stackName,
    stackId: `arn:aws:cloudformation:${env.region}:${env.account}:stack/${stack.stackName}/${randomUUID()}`,
    status: 'REVIEW_IN_PROGRESS',
    template: {},
    parameters: {},
    resources: {},
    pendingDeletes: [],
    outputs: {},
    imports: [],
    createdAt: now,
    updatedAt: now,
  };
  const op = new StackOperation(ctx, doc, env, stack.constructPaths);
  let plan: Plan;
  try {
    plan = op.plan(stack.template, parameterOverrides, previous?.parameters);
  } catch (error) {
    if (!(error instanceof TemplateError || error instanceof ResolveError)) throw error;
    return mergeResults(refused(stack.stackName, previous?.status, error.message), earlier);
  }
  if (previous && STATUSES_UNCHANGED_IF_SAME.includes(previous.status) && previous.pendingDeletes.length === 0
    && sameJson(previous.template, stack.template) && sameJson(previous.parameters, plan.parameters)) {
    return mergeResults(op.result('deploy', previous.status, true, previous.outputs, true), earlier);
  }
  if (ctx.interrupt?.aborted) return mergeResults({ ...refused(stack.stackName, previous?.status, 'Interrupted before the stack operation started'), interrupted: true }, earlier);
  const result = previous ? await updateStack(op, plan, previous) : await createStack(op, plan);
  return mergeResults(result, earlier);
}

async function createStack(op: StackOperation, plan: Plan, resumed = false): Promise<StackResult> {
  if (resumed) {
    await op.persist();
  } else {
    op.begin('create');
    op.target = { template: plan.template, parameters: plan.parameters };
    op.overrides = { template: plan.template, parameters: plan.parameters };
    await op.emitStack('CREATE_IN_PROGRESS', 'User Initiated');
  }
  // CloudFormation cannot cancel a creation (CancelUpdateStack is for updates), and rolling one
  // back would close the accounts it just made: a user's interruption pauses it instead.
  const failed = await op.forward(plan, false);
  const paused = op.interrupted() && plan.order.some(id => !op.live.has(id));
  if (failed.length === 0 && paused) {
    op.firstError ??= 'Stack creation paused by the user (interrupted): no new resource operation started, those in flight finished';
    await op.persist();
    return { ...op.result('deploy', 'CREATE_IN_PROGRESS', false), interrupted: true };
  }
  let outputs: Record<string, OutputRecord> = {};
  let error: string | undefined;
  if (failed.length === 0) {
    ({ outputs, error } = op.outputs(plan));
    if (!error) {
      op.status = 'CREATE_COMPLETE';
      op.end();
      op.emit(op.stackName, STACK_RESOURCE_TYPE, 'CREATE_COMPLETE', { physicalId: op.doc.stackId });
      await op.save(op.snapshot({ outputs, imports: [...op.imports] }));
      return op.result('deploy', 'CREATE_COMPLETE', true, outputs);
    }
    op.firstError ??= error;
  }
  op.overrides.imports = [...op.imports];
  const reason = error ?? `The following resource(s) failed to create: [${failed.join(', ')}]. Rollback requested by user.`;
  const result = await createRollback(op, 'deploy', reason, false);
  return op.interrupted() ? { ...result, interrupted: true } : result;
}

/** The rollback of a failed creation: every resource deleted (Retain ones kept). */
async function createRollback(op: StackOperation, operation: 'deploy' | 'destroy', reason: string, resumed: boolean): Promise<StackResult> {
  op.reason = reason;
  await op.emitStack('ROLLBACK_IN_PROGRESS', reason);
  const notDeleted = await op.deleteAll(op.liveItems(op.live.keys(), retainOnDelete), false);
  const status = notDeleted.length === 0 ? 'ROLLBACK_COMPLETE' : 'ROLLBACK_FAILED';
  op.status = status;
  op.end();
  op.emit(op.stackName, STACK_RESOURCE_TYPE, status, {
    physicalId: op.doc.stackId,
    ...(notDeleted.length ? { reason: `The following resource(s) failed to delete: [${notDeleted.join(', ')}].` } : {}),
  });
  await op.save(op.snapshot({ outputs: {}, statusReason: op.firstError ?? reason }));
  return op.result(operation, status, resumed && notDeleted.length === 0);
}

async function updateStack(op: StackOperation, plan: Plan, previous: StackDocument, resumed = false): Promise<StackResult> {
  if (resumed) {
    await op.persist();
  } else {
    op.begin('update', previous.resources);
    op.target = { template: plan.template, parameters: plan.parameters };
    await op.emitStack('UPDATE_IN_PROGRESS', 'User Initiated');
  }
  const failed = await op.forward(plan);
  const cancelled = op.interrupted();
  let error: string | undefined;
  if (failed.length === 0 && !cancelled) {
    const { outputs, error: outputError } = op.outputs(plan, previous);
    error = outputError;
    if (!error) {
      // From here on the stack is at the new template; the cleanup cannot fail the update.
      op.overrides = { template: plan.template, parameters: plan.parameters, outputs, imports: [...op.imports], statusReason: undefined };
      op.cleanupIds = Object.keys(previous.resources).filter(id => !(id in plan.resources));
      return updateCleanup(op, 'deploy');
    }
    op.firstError ??= error;
  }
  if (failed.length === 0 && cancelled) op.firstError ??= 'Stack update cancelled by the user (interrupted)';
  const failedCreates = failed.filter(id => !(id in previous.resources));
  const reason = error ?? (failed.length === 0
    ? 'Stack update cancelled by the user (interrupted)'
    : failedCreates.length === failed.length
      ? `The following resource(s) failed to create: [${failed.join(', ')}].`
      : `The following resource(s) failed to update: [${failed.filter(id => id in previous.resources).join(', ')}].`);
  const result = await updateRollback(op, 'deploy', reason, [], false);
  return cancelled ? { ...result, interrupted: true } : result;
}

/**
 * The cleanup phase of an update or of its rollback (`status`, entered only when there is something
 * to delete): the resources in `op.cleanupIds` and the replaced instances still pending deletion.
 */
async function cleanUp(op: StackOperation, status: string): Promise<void> {
  const cleanup = [...op.liveItems(op.cleanupIds ?? [], retainOnDelete), ...op.pendingItems()];
  if (cleanup.length === 0) return;
  await op.emitStack(status);
  await op.deleteAll(cleanup, true);
}

/** UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: removed resources and replaced instances deleted, then UPDATE_COMPLETE. */
async function updateCleanup(op: StackOperation, operation: 'deploy' | 'destroy'): Promise<StackResult> {
  await cleanUp(op, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
  op.status = 'UPDATE_COMPLETE';
  op.end();
  op.emit(op.stackName, STACK_RESOURCE_TYPE, 'UPDATE_COMPLETE', { physicalId: op.doc.stackId });
  const document = op.snapshot({ statusReason: undefined });
  await op.save(document);
  return op.result(operation, 'UPDATE_COMPLETE', true, document.outputs);
}

/**
 * The rollback of an update: changed resources back to their previous state, then the resources
 * this update created (and replacements) deleted. Also ContinueUpdateRollback, with `skip`.
 */
async function updateRollback(op: StackOperation, operation: 'deploy' | 'destroy', reason: string, skip: readonly string[], resumed: boolean): Promise<StackResult> {
  op.reason = reason;
  await op.emitStack('UPDATE_ROLLBACK_IN_PROGRESS', reason);
  if (!(await op.rollbackUpdates(skip))) {
    op.status = 'UPDATE_ROLLBACK_FAILED';
    op.emit(op.stackName, STACK_RESOURCE_TYPE, 'UPDATE_ROLLBACK_FAILED', { physicalId: op.doc.stackId });
    // The checkpoint stays: --continue-rollback carries on from it.
    await op.save(op.snapshot({ statusReason: op.firstError }));
    return op.result(operation, 'UPDATE_ROLLBACK_FAILED', false);
  }
  // Untouched resources are exactly as the previous template left them.
  for (const [id, record] of Object.entries(op.previousResources ?? {})) if (!op.touched.has(id)) op.live.set(id, record);
  op.cleanupIds = [...op.touched.entries()].filter(([, touch]) => touch.kind === 'created').map(([id]) => id);
  return updateRollbackComplete(op, operation, resumed);
}

async function updateRollbackComplete(op: StackOperation, operation: 'deploy' | 'destroy', resumed: boolean): Promise<StackResult> {
  await cleanUp(op, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  op.status = 'UPDATE_ROLLBACK_COMPLETE';
  op.end();
  op.emit(op.stackName, STACK_RESOURCE_TYPE, 'UPDATE_ROLLBACK_COMPLETE', { physicalId: op.doc.stackId });
  await op.save(op.snapshot({ statusReason: op.firstError ?? op.reason }));
  return op.result(operation, 'UPDATE_ROLLBACK_COMPLETE', resumed, op.doc.outputs);
}

/** A resumed operation that ended in a settled state lets the run go on. */
function resumedResult(result: StackResult): StackResult {
  return result.status && !result.status.endsWith('_FAILED') ? { ...result, success: true } : result;
}

/**
 * Now, as the run's handlers read it: the rehearsal's clock when it holds one. An operation's start
 * (CloudFormation's LastUpdatedTime) is compared with the creation markers the handlers stamp.
 */
function runNow(ctx: RunContext): string {
  return new Date(ctx.clock ? Math.floor(ctx.clock.now()) : Date.now()).toISOString();
}

/** Another live run is working on the stack: who, else undefined (its run died: the operation can be resumed). */
function runningOperation(record: OperationRecord | undefined): string | undefined {
  if (!record || record.host !== os.hostname()) return undefined;
  if (record.pid === process.pid) return ACTIVE_RUNS.has(record.runId) ? 'another run of this process' : undefined;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return `the run of process ${record.pid}`;
}

/**
 * Finishes what CloudFormation would have done with an operation a run left `*_IN_PROGRESS` (the
 * deployer was killed): requests in flight are sent again and answered, an interrupted create or
 * update rolls back, an interrupted rollback, cleanup or delete goes on from its checkpoint.
 */
async function resumeStack(ctx: RunContext, doc: StackDocument, constructPaths: Readonly<Record<string, string>> = {}, operation: 'deploy' | 'destroy'): Promise<StackResult> {
  const holder = runningOperation(doc.operation);
  if (holder) {
    return refused(doc.stackName, doc.status, `Stack ${doc.stackName} is in ${doc.status} state: ${holder} is working on it. `
      + 'Wait for it to end, or interrupt it (Ctrl-C); the next deploy or destroy finishes whatever it leaves in progress', operation);
  }
  const op = new StackOperation(ctx, doc, environmentOf(ctx, doc), constructPaths);
  const kind = doc.status.startsWith('CREATE') || doc.status.startsWith('ROLLBACK') ? 'create' : doc.status.startsWith('DELETE') ? 'delete' : 'update';
  op.operation ??= { kind, startedAt: runNow(ctx) };
  op.emit(op.stackName, STACK_RESOURCE_TYPE, doc.status, { physicalId: doc.stackId, reason: 'Resuming the operation an interrupted run left in progress' });
  await op.persist();
  await op.finishInFlight();
  const failedBefore = Object.values(op.snapshot().resources).some(record => record.status.endsWith('_FAILED'));
  if (operation === 'deploy' && op.target && !op.cancelled && !failedBefore && ['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'].includes(doc.status)) {
    // The run went away, nothing failed and nobody cancelled: CloudFormation would have carried on.
    let plan: Plan | undefined;
    try {
      plan = op.plan(op.target.template, {}, op.target.parameters);
    } catch (error) {
      if (!(error instanceof TemplateError || error instanceof ResolveError)) throw error;
      op.firstError = error.message;
    }
    if (plan) {
      return doc.status === 'CREATE_IN_PROGRESS'
        ? resumedResult(await createStack(op, plan, true))
        : resumedResult(await updateStack(op, plan, { ...doc, resources: op.previousResources ?? {} }, true));
    }
  }
  switch (doc.status) {
    case 'CREATE_IN_PROGRESS':
      return createRollback(op, operation, 'The stack creation was interrupted. Rollback requested by user.', true);
    case 'ROLLBACK_IN_PROGRESS':
      return createRollback(op, operation, op.reason ?? 'Rollback resumed', true);
    case 'UPDATE_IN_PROGRESS':
      return updateRollback(op, operation, 'The stack update was interrupted. Rollback requested by user.', [], true);
    case 'UPDATE_ROLLBACK_IN_PROGRESS':
      return updateRollback(op, operation, op.reason ?? 'Rollback resumed', [], true);
    case 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS':
      return updateRollbackComplete(op, operation, true);
    case 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS':
      return updateCleanup(op, operation);
    case 'DELETE_IN_PROGRESS':
      return deleteResources(ctx, op, operation);
    default:
      // REVIEW_IN_PROGRESS: nothing was done yet.
      await op.remove();
      return op.result(operation, undefined, true);
  }
}

/**
 * ContinueUpdateRollback: a stack in UPDATE_ROLLBACK_FAILED finishes its rollback, taking
 * `resourcesToSkip` as rolled back as they are. Other stacks are left as they are.
 */
export async function continueUpdateRollback(
  ctx: RunContext,
  stackName: string,
  resourcesToSkip: readonly string[] = [],
  constructPaths: Readonly<Record<string, string>> = {},
): Promise<StackResult> {
  const doc = ctx.registry.get(stackName);
  if (!doc) return refused(stackName, undefined, `Stack ${stackName} does not exist: there is no rollback to continue`);
  if (doc.status.endsWith('_IN_PROGRESS')) return resumeStack(ctx, doc, constructPaths, 'deploy');
  if (doc.status !== 'UPDATE_ROLLBACK_FAILED') return { ...refused(stackName, doc.status, undefined), next: wayOut(doc, 'deploy') };
  const op = new StackOperation(ctx, doc, environmentOf(ctx, doc), constructPaths);
  if (!doc.operation) {
    return refused(stackName, doc.status, `Stack ${stackName} keeps no record of the rollback to continue (it was deployed by an older deployer)`, 'deploy',
      `Run '${CLI} destroy ${stackName} --retain-resources ${retainSuggestion(doc).join(',') || 'ID,...'}' to remove the stack and keep its resources; the next deploy adopts them.`);
  }
  const remaining = op.rollbackRemaining();
  const notSkippable = resourcesToSkip.filter(id => id in doc.resources && !remaining.includes(id));
  if (notSkippable.length > 0) {
    return refused(stackName, doc.status, `--resources-to-skip: [${notSkippable.join(', ')}] of ${stackName} are not resources whose rollback is still to be done`
      + ` (those are: [${remaining.join(', ')}])`);
  }
  return updateRollback(op, 'deploy', 'Continue update rollback requested by user', resourcesToSkip.filter(id => remaining.includes(id)), true);
}

/** Deletes a deployed stack (CloudFormation DeleteStack). */
export async function destroyStack(
  ctx: RunContext,
  stackName: string,
  constructPaths: Readonly<Record<string, string>> = {},
  options: StackOperationOptions = {},
): Promise<StackResult> {
  const doc = ctx.registry.get(stackName);
  if (!doc) return refused(stackName, undefined, undefined, 'destroy');
  return destroyDocument(ctx, doc, constructPaths, options);
}

async function destroyDocument(
  ctx: RunContext,
  doc: StackDocument,
  constructPaths: Readonly<Record<string, string>>,
  options: StackOperationOptions = {},
): Promise<StackResult> {
  const earlier: StackResult[] = [];
  let current: StackDocument | undefined = doc;
  if (doc.status.endsWith('_IN_PROGRESS')) {
    const resumed = await resumeStack(ctx, doc, constructPaths, 'destroy');
    earlier.push(resumed);
    current = ctx.registry.get(doc.stackName);
    if (!current || !resumed.success || current.status.endsWith('_IN_PROGRESS') || ctx.interrupt?.aborted) return mergeResults(resumed, earlier.slice(0, -1));
  }
  const retain = new Set(options.retainResources ?? []);
  if (retain.size > 0) {
    if (!['DELETE_FAILED', 'ROLLBACK_FAILED'].includes(current.status)) {
      return mergeResults(refused(doc.stackName, current.status,
        `--retain-resources applies to a stack in DELETE_FAILED or ROLLBACK_FAILED state, as CloudFormation's DeleteStack; ${doc.stackName} is in ${current.status} state`, 'destroy'), earlier);
    }
    const unknown = [...retain].filter(id => !(id in current!.resources));
    if (unknown.length > 0) {
      return mergeResults(refused(doc.stackName, current.status,
        `--retain-resources: ${doc.stackName} has no resource [${unknown.join(', ')}] (it has: [${Object.keys(current.resources).join(', ')}])`, 'destroy'), earlier);
    }
  }
  const op = new StackOperation(ctx, current, environmentOf(ctx, current), constructPaths);
  for (const output of Object.values(current.outputs)) {
    const importer = output.exportName ? op.importerOf(output.exportName) : undefined;
    if (importer) {
      op.firstError = `Export ${output.exportName} cannot be deleted as it is in use by ${importer}`;
      return mergeResults(op.result('destroy', current.status, false), earlier);
    }
  }
  op.begin('delete');
  op.retainIds = [...retain];
  return mergeResults(await deleteResources(ctx, op, 'destroy'), earlier);
}

/** DELETE_IN_PROGRESS: every resource in reverse dependency order, then DELETE_COMPLETE (or DELETE_FAILED). */
async function deleteResources(ctx: RunContext, op: StackOperation, operation: 'deploy' | 'destroy'): Promise<StackResult> {
  const retain = new Set(op.retainIds);
  await op.emitStack('DELETE_IN_PROGRESS', 'User Initiated');
  const items = [...op.liveItems(op.live.keys(), (record, id) => retainOnDelete(record) || retain.has(id)), ...op.pendingItems()];
  const notDeleted = await op.deleteAll(items, false, ctx.interrupt);
  if (notDeleted.length === 0 && op.interrupted() && (op.live.size > 0 || op.pendingDeletes.length > 0)) {
    // Interrupted: no new deletion started, those under way finished; the next run goes on.
    op.firstError ??= 'Stack deletion interrupted by the user';
    await op.persist();
    return { ...op.result(operation, 'DELETE_IN_PROGRESS', false), interrupted: true };
  }
  if (notDeleted.length > 0) {
    const reason = `The following resource(s) failed to delete: [${notDeleted.join(', ')}].`;
    op.status = 'DELETE_FAILED';
    op.end();
    op.emit(op.stackName, STACK_RESOURCE_TYPE, 'DELETE_FAILED', { physicalId: op.doc.stackId, reason });
    await op.save(op.snapshot({ statusReason: reason }));
    return op.result(operation, 'DELETE_FAILED', false);
  }
  op.status = 'DELETE_COMPLETE';
  op.end();
  op.emit(op.stackName, STACK_RESOURCE_TYPE, 'DELETE_COMPLETE', { physicalId: op.doc.stackId });
  await op.remove();
  return op.result(operation, 'DELETE_COMPLETE', true);
}

/** Remaining resources to keep when deleting a stuck stack: the failed ones, and every account that deletion would close or remove. */
function retainSuggestion(doc: StackDocument): string[] {
  return Object.entries(doc.resources)
    .filter(([, record]) => record.status === 'DELETE_FAILED' || record.status === 'UPDATE_FAILED' || closesAccount(record))
    .map(([id]) => id);
}

function closesAccount(record: ResourceRecord): boolean {
  return record.type === ACCOUNT_TYPE && DESTRUCTIVE_REMOVAL_ACTIONS.includes(String(record.properties[REMOVAL_ACTION_PROPERTY]));
}

/**
 * The command that gets a stack out of a state that blocks deploys. It never suggests deleting
 * resources the stack still declares with a removal action that closes or removes an account.
 */
export function wayOut(doc: StackDocument, operation: 'deploy' | 'destroy'): string | undefined {
  const name = doc.stackName;
  switch (doc.status) {
    case 'UPDATE_ROLLBACK_FAILED': {
      const remaining = Object.entries(doc.operation?.touched ?? {}).filter(([, touch]) => ['updating', 'updated', 'replaced'].includes(touch.kind)).map(([id]) => id);
      const failed = remaining.filter(id => doc.resources[id]?.status === 'UPDATE_FAILED');
      return `Fix what made the rollback fail, then run '${CLI} deploy ${name} --continue-rollback' to finish it; `
        + `to leave resources as they are and finish it anyway, add '--resources-to-skip ${(failed.length ? failed : remaining).join(',') || 'ID,...'}'.`
        + ' Then deploy again.';
    }
    case 'DELETE_FAILED':
    case 'ROLLBACK_FAILED': {
      const keep = retainSuggestion(doc);
      const accounts = Object.values(doc.resources).some(closesAccount);
      return `Run '${CLI} destroy ${name} --retain-resources ${keep.join(',') || 'ID,...'}' to finish deleting the stack and keep these resources as they are`
        + `${accounts ? ' (accounts included: deleting them would close or remove them)' : ''}; a later deploy adopts what the app still declares.`
        + (accounts ? '' : ` Or fix the cause and run '${CLI} destroy ${name}' again.`);
    }
    default:
      if (doc.status.endsWith('_IN_PROGRESS')) return `Run '${CLI} ${operation} ${name}' again: it first finishes what was left in progress.`;
      return undefined;
  }
}

function refused(stackName: string, status: string | undefined, error: string | undefined, operation: 'deploy' | 'destroy' = 'deploy', next?: string): StackResult {
  return {
    stackName,
    operation,
    status,
    success: error === undefined,
    noChanges: error === undefined,
    ...(error ? { error } : {}),
    ...(next ? { next } : {}),
    events: [],
    invocations: [],
    counts: { created: 0, updated: 0, replaced: 0, deleted: 0, retained: 0, unchanged: 0, failed: 0 },
    outputs: {},
  };
}

function mergeResults(result: StackResult, earlier: StackResult[]): StackResult {
  if (earlier.length === 0) return result;
  const all = [...earlier, result];
  const counts = { ...result.counts };
  for (const other of earlier) {
    for (const key of Object.keys(counts) as Array<keyof StackCounts>) counts[key] += other.counts[key];
  }
  return {
    ...result,
    events: all.flatMap(r => r.events),
    invocations: all.flatMap(r => r.invocations),
    counts,
  };
}

/** Parameter values: overrides, then the values of the previous deployment, then defaults. */
function resolveParameters(template: Template, overrides: Record<string, string>, previous: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const override = overrides[name];
    const isSsm = parameter.Type.startsWith('AWS::SSM::Parameter::Value<');
    let value: unknown;
    if (override !== undefined) {
      value = override;
    } else if (isSsm) {
      value = ssmParameter(name, String(parameter.Default ?? ''));
    } else if (name in previous) {
      value = previous[name];
    } else if (parameter.Default !== undefined) {
      value = parameter.Default;
    } else {
      missing.push(name);
      continue;
    }
    if (parameter.Type.startsWith('List<') || parameter.Type === 'CommaDelimitedList') {
      value = Array.isArray(value) ? value : String(value).split(',').map(item => item.trim());
    } else {
      value = String(value);
    }
    if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(String(value))) {
      throw new TemplateError(`Parameter '${name}' must be one of AllowedValues`);
    }
    values[name] = value;
  }
  if (missing.length > 0) throw new TemplateError(`Parameters: [${missing.join(', ')}] must have values (pass them with --parameters NAME=VALUE)`);
  for (const name of Object.keys(overrides)) {
    if (!(name in (template.Parameters ?? {}))) throw new TemplateError(`Parameters: [${name}] do not exist in the template`);
  }
  return values;
}

function ssmParameter(name: string, parameterName: string): string {
  if (/^\/cdk-bootstrap\/[^/]+\/version$/.test(parameterName)) return LOCAL_BOOTSTRAP_VERSION;
  throw new TemplateError(`Parameter ${name} reads the SSM parameter ${parameterName || '(none)'}, and the local deployer has no Parameter Store: pass its value with --parameters ${name}=VALUE`);
}

/** `Rules` assertions, as CloudFormation checks them before any change. */
function checkRules(template: Template, ctx: ResolveContext): void {
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !evaluateCondition(rule.RuleCondition, ctx)) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (!evaluateCondition(assertion.Assert, ctx)) {
        throw new TemplateError(`Rule ${name} failed: ${assertion.AssertDescription ?? 'assertion failed'}`);
      }
    }
  }
}

function conditionValue(conditions: Record<string, boolean>, name: string): boolean {
  if (!(name in conditions)) throw new TemplateError(`Unresolved condition dependency ${name}`);
  return conditions[name];
}

/** A custom resource attribute: a Data key, or a dotted path into nested Data. */
function customAttribute(data: Record<string, unknown>, attribute: string): unknown {
  if (attribute in data) return data[attribute];
  let value: unknown = data;
  for (const part of attribute.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

function isDirectory(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isDirectory();
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
