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
 *
 * This file holds the stack operations (deploy, destroy, resume, continue a rollback); one
 * operation's state, events and checkpoints are in ./operation.ts, its plan in ./plan.ts, the
 * forward phase in ./forward.ts, rollbacks in ./rollback.ts, deletions in ./deletion.ts, and a
 * custom resource's request and answer in ./custom-resource.ts.
 */
import { randomUUID } from 'crypto';
import * as os from 'os';
import type { AssemblyStack } from './assembly';
import { cleanUp, deleteResources } from './deletion';
import { finishInFlight, forward } from './forward';
import { ResolveError } from './intrinsics';
import { runNow, RunContext, STACK_RESOURCE_TYPE, StackCounts, StackOperation, StackResult } from './operation';
import { importerOf, Plan, planOperation, resolveOutputs } from './plan';
import type { Environment } from './resources';
import { createRollback, rollbackRemaining, updateRollback, updateRollbackComplete } from './rollback';
import type { OperationRecord, OutputRecord, StackDocument } from './store';
import { sameJson, TemplateError } from './template';
import { CLI, retainSuggestion, wayOut } from './way-out';

// Where these moved, for the importers of this module.
export { CUSTOM_RESOURCE_TIMEOUT_REASON, CUSTOM_RESOURCE_TIMEOUT_SECONDS } from './custom-resource';
export { STACK_RESOURCE_TYPE } from './operation';
export type { ResourceInvocation, RunContext, StackCounts, StackEvent, StackResult } from './operation';
export { LOCAL_BOOTSTRAP_VERSION } from './plan';
export { CLI, wayOut } from './way-out';

export const DEFAULT_REGION = 'us-east-1';

/** Runs of this process, to tell an operation of a live run from one a dead run left behind. */
export const ACTIVE_RUNS = new Set<string>();

/** How CloudFormation's stack operations can be continued or cleaned up. */
export interface StackOperationOptions {
  /** DeleteStack's RetainResources: logical ids kept (DELETE_SKIPPED); the stack must be DELETE_FAILED or ROLLBACK_FAILED. */
  readonly retainResources?: readonly string[];
}

const STATUSES_BLOCKING_UPDATE = ['UPDATE_ROLLBACK_FAILED', 'DELETE_FAILED', 'ROLLBACK_FAILED'];
const STATUSES_RECREATED = ['ROLLBACK_COMPLETE'];
const STATUSES_UNCHANGED_IF_SAME = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'];

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
    plan = planOperation(op, stack.template, parameterOverrides, previous?.parameters);
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
  const failed = await forward(op, plan, false);
  const paused = op.interrupted() && plan.order.some(id => !op.live.has(id));
  if (failed.length === 0 && paused) {
    op.firstError ??= 'Stack creation paused by the user (interrupted): no new resource operation started, those in flight finished';
    await op.persist();
    return { ...op.result('deploy', 'CREATE_IN_PROGRESS', false), interrupted: true };
  }
  let outputs: Record<string, OutputRecord> = {};
  let error: string | undefined;
  if (failed.length === 0) {
    ({ outputs, error } = resolveOutputs(op, plan));
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

async function updateStack(op: StackOperation, plan: Plan, previous: StackDocument, resumed = false): Promise<StackResult> {
  if (resumed) {
    await op.persist();
  } else {
    op.begin('update', previous.resources);
    op.target = { template: plan.template, parameters: plan.parameters };
    await op.emitStack('UPDATE_IN_PROGRESS', 'User Initiated');
  }
  const failed = await forward(op, plan);
  const cancelled = op.interrupted();
  let error: string | undefined;
  if (failed.length === 0 && !cancelled) {
    const { outputs, error: outputError } = resolveOutputs(op, plan, previous);
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


/** A resumed operation that ended in a settled state lets the run go on. */
function resumedResult(result: StackResult): StackResult {
  return result.status && !result.status.endsWith('_FAILED') ? { ...result, success: true } : result;
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
  await finishInFlight(op);
  const failedBefore = Object.values(op.snapshot().resources).some(record => record.status.endsWith('_FAILED'));
  if (operation === 'deploy' && op.target && !op.cancelled && !failedBefore && ['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'].includes(doc.status)) {
    // The run went away, nothing failed and nobody cancelled: CloudFormation would have carried on.
    let plan: Plan | undefined;
    try {
      plan = planOperation(op, op.target.template, {}, op.target.parameters);
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
  const remaining = rollbackRemaining(op);
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
    const importer = output.exportName ? importerOf(op, output.exportName) : undefined;
    if (importer) {
      op.firstError = `Export ${output.exportName} cannot be deleted as it is in use by ${importer}`;
      return mergeResults(op.result('destroy', current.status, false), earlier);
    }
  }
  op.begin('delete');
  op.retainIds = [...retain];
  return mergeResults(await deleteResources(ctx, op, 'destroy'), earlier);
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

