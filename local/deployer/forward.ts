/**
 * The forward phase of a create or an update: resources in dependency order, independent ones in
 * parallel. A custom resource gets Create, or Update with OldResourceProperties when its resolved
 * properties changed, and nothing when they did not; an Update answered with a new physical id is a
 * replacement whose old instance waits for the cleanup phase. On a failure the operations still
 * running are cancelled (CloudFormation stops waiting for them).
 */
import { randomUUID } from 'crypto';
import { customRequest, inventedPhysicalId, storeCode } from './custom-resource';
import { resolve, ResolveError, stringifyScalars } from './intrinsics';
import { describeError, STACK_RESOURCE_TYPE, StackOperation } from './operation';
import type { Plan } from './plan';
import type { CustomResourceResponse } from './provider';
import { plainResource, RESERVED_LAMBDA_VARIABLES } from './resources';
import { runInOrder, CancellationToken } from './scheduler';
import type { ResourceRecord } from './store';
import { isCustomResourceType, sameJson, TemplateError } from './template';

/** The forward phase: returns the ids that failed (empty on success). */
export async function forward(op: StackOperation, plan: Plan, cancellable = true): Promise<string[]> {
  // A user's cancel is recorded at once: a run that takes over after a second Ctrl-C rolls back.
  const onInterrupt = () => {
    if (!cancellable) return;
    op.cancelled = true;
    op.checkpoint();
  };
  if (op.ctx.interrupt?.aborted) onInterrupt();
  else op.ctx.interrupt?.addEventListener('abort', onInterrupt);
  const outcome = await runInOrder(plan.order, id => plan.graph.get(id) ?? [], (id, token) => forwardResource(op, plan, id, token), {
    mode: 'cancel',
    stop: op.ctx.interrupt,
    onCancel: id => cancel(op, plan, id),
    onError: (id, error) => op.fail(id, plan.resources[id].Type, op.live.has(id) ? 'UPDATE_FAILED' : 'CREATE_FAILED', describeError(error)),
  });
  op.ctx.interrupt?.removeEventListener('abort', onInterrupt);
  op.ctx.background.push(...outcome.background);
  return [...outcome.failed];
}

async function forwardResource(op: StackOperation, plan: Plan, id: string, token: CancellationToken): Promise<boolean> {
  const definition = plan.resources[id];
  const previous = op.live.get(id);
  const custom = isCustomResourceType(definition.Type);
  let properties: Record<string, unknown>;
  try {
    const resolved = resolve(definition.Properties ?? {}, op.resolveContext!);
    properties = (custom ? stringifyScalars(resolved) : resolved) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof ResolveError || error instanceof TemplateError)) throw error;
    return op.fail(id, definition.Type, previous ? 'UPDATE_FAILED' : 'CREATE_FAILED', error.message);
  }
  const base = {
    type: definition.Type,
    properties,
    dependsOn: [...plan.graph.get(id) ?? []],
    deletionPolicy: definition.DeletionPolicy,
    updateReplacePolicy: definition.UpdateReplacePolicy,
  };
  if (!previous) return create(op, id, base, token);
  if (sameJson(previous.properties, properties)) {
    op.live.set(id, { ...previous, ...base });
    op.counts.unchanged++;
    return true;
  }
  return update(op, id, previous, base, token);
}

async function create(op: StackOperation, id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, token: CancellationToken): Promise<boolean> {
  op.emit(id, base.type, 'CREATE_IN_PROGRESS');
  let record: ResourceRecord;
  if (isCustomResourceType(base.type)) {
    const requestId = randomUUID();
    op.touched.set(id, { kind: 'creating', record: base });
    op.inFlight.set(id, { requestType: 'Create', requestId });
    const response = await customRequest(op, id, {
      RequestType: 'Create', RequestId: requestId, ResourceType: base.type, ResourceProperties: base.properties,
    }, op.ctx.runEnd);
    if (token.cancelled) return false;
    return created(op, id, base, response);
  } else {
    try {
      record = { ...base, ...plainRecord(op, id, base), status: 'CREATE_COMPLETE' };
    } catch (error) {
      return op.fail(id, base.type, 'CREATE_FAILED', describeError(error));
    }
    op.touched.set(id, { kind: 'created' });
  }
  op.live.set(id, record);
  op.counts.created++;
  op.emit(id, base.type, 'CREATE_COMPLETE', { physicalId: record.physicalId });
  op.checkpoint();
  return true;
}

/** Records the provider's answer to a Create. */
function created(op: StackOperation, id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, response: CustomResourceResponse): boolean {
  op.inFlight.delete(id);
  op.touched.set(id, { kind: 'created' });
  if (response.Status === 'FAILED') {
    // CloudFormation keeps the physical id of a failed create for the Delete of the rollback.
    op.live.set(id, { ...base, physicalId: response.PhysicalResourceId, attributes: {}, status: 'CREATE_FAILED' });
    return op.fail(id, base.type, 'CREATE_FAILED', response.Reason);
  }
  const record: ResourceRecord = { ...base, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {}, status: 'CREATE_COMPLETE' };
  op.live.set(id, record);
  op.counts.created++;
  op.emit(id, base.type, 'CREATE_COMPLETE', { physicalId: record.physicalId });
  op.checkpoint();
  return true;
}

/** Records the provider's answer to a forward Update. */
function updated(op: StackOperation, id: string, previous: ResourceRecord, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, response: CustomResourceResponse): boolean {
  op.inFlight.delete(id);
  if (response.Status === 'FAILED') return op.fail(id, base.type, 'UPDATE_FAILED', response.Reason);
  const record: ResourceRecord = { ...base, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {}, status: 'UPDATE_COMPLETE' };
  if (record.physicalId !== previous.physicalId) {
    // A replacement: the old instance goes in the cleanup phase, once every dependent was updated.
    op.pendingDeletes.push({ ...previous, updateReplacePolicy: base.updateReplacePolicy, logicalId: id });
    op.touched.set(id, { kind: 'replaced', previous });
    op.counts.replaced++;
  } else {
    op.touched.set(id, { kind: 'updated', previous, attempted: base.properties });
    op.counts.updated++;
  }
  op.live.set(id, record);
  op.emit(id, base.type, 'UPDATE_COMPLETE', { physicalId: record.physicalId });
  op.checkpoint();
  return true;
}

/**
 * Sends again, with the same RequestId, the Creates and Updates an interrupted run was waiting
 * for (CloudFormation would have had their answers), and records the answers.
 */
export async function finishInFlight(op: StackOperation): Promise<void> {
  await Promise.all([...op.inFlight.entries()].map(async ([id, request]) => {
    const touch = op.touched.get(id);
    if (touch?.kind === 'creating') {
      const base = touch.record;
      op.emit(id, base.type, 'CREATE_IN_PROGRESS', { reason: 'Resumed: the interrupted request is sent again' });
      const response = await customRequest(op, id, {
        RequestType: 'Create', RequestId: request.requestId, ResourceType: base.type, ResourceProperties: base.properties,
      });
      created(op, id, base, response);
    } else if (touch?.kind === 'updating') {
      const { previous, attempted } = touch;
      op.emit(id, previous.type, 'UPDATE_IN_PROGRESS', { reason: 'Resumed: the interrupted request is sent again' });
      const response = await customRequest(op, id, {
        RequestType: 'Update',
        RequestId: request.requestId,
        ResourceType: previous.type,
        PhysicalResourceId: previous.physicalId,
        ResourceProperties: attempted,
        OldResourceProperties: previous.properties,
      });
      updated(op, id, previous, { ...previous, properties: attempted }, response);
    } else {
      op.inFlight.delete(id);
    }
  }));
}

function plainRecord(op: StackOperation, id: string, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, previous?: ResourceRecord) {
  const stack = { stackName: op.stackName, stackId: op.doc.stackId };
  const { physicalId, attributes } = previous ?? plainResource(base.type, id, base.properties, stack, op.env);
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
    codeKey = storeCode(op, base.properties);
  }
  return { physicalId, attributes, ...(codeKey ? { codeKey } : {}) };
}

async function update(op: StackOperation, id: string, previous: ResourceRecord, base: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'>, token: CancellationToken): Promise<boolean> {
  let record: ResourceRecord;
  if (isCustomResourceType(base.type)) {
    if (base.properties.ServiceToken !== previous.properties.ServiceToken) {
      return op.fail(id, base.type, 'UPDATE_FAILED', 'Modifying service token is not allowed.');
    }
    op.emit(id, base.type, 'UPDATE_IN_PROGRESS');
    const requestId = randomUUID();
    op.touched.set(id, { kind: 'updating', previous, attempted: base.properties });
    op.inFlight.set(id, { requestType: 'Update', requestId });
    const response = await customRequest(op, id, {
      RequestType: 'Update',
      RequestId: requestId,
      ResourceType: base.type,
      PhysicalResourceId: previous.physicalId,
      ResourceProperties: base.properties,
      OldResourceProperties: previous.properties,
    }, op.ctx.runEnd);
    if (token.cancelled) return false;
    return updated(op, id, previous, base, response);
  } else {
    op.emit(id, base.type, 'UPDATE_IN_PROGRESS');
    try {
      record = { ...previous, ...base, ...plainRecord(op, id, base, previous), status: 'UPDATE_COMPLETE' };
    } catch (error) {
      return op.fail(id, base.type, 'UPDATE_FAILED', describeError(error));
    }
    op.touched.set(id, { kind: 'updated', previous, attempted: base.properties });
    op.counts.updated++;
  }
  op.live.set(id, record);
  op.emit(id, base.type, 'UPDATE_COMPLETE', { physicalId: record.physicalId });
  op.checkpoint();
  return true;
}

/** CloudFormation stopped waiting for this operation because another one failed. */
function cancel(op: StackOperation, plan: Plan, id: string): void {
  // Its answer no longer counts: the rollback works from what CloudFormation knew.
  op.inFlight.delete(id);
  const touch = op.touched.get(id);
  const type = plan.resources[id].Type;
  if (touch?.kind === 'creating') {
    op.live.set(id, { ...touch.record, physicalId: inventedPhysicalId(op, id), attributes: {}, status: 'CREATE_FAILED' });
    op.touched.set(id, { kind: 'created' });
    op.emit(id, type, 'CREATE_FAILED', { reason: 'Resource creation cancelled' });
  } else if (touch?.kind === 'updating') {
    op.emit(id, type, 'UPDATE_FAILED', { reason: 'Resource update cancelled' });
  }
  op.checkpoint();
}
