/**
 * Rollbacks: of a failed creation (every resource deleted, Retain ones kept), and of an update
 * (changed resources back to their previous state, replaced ones back to their old physical
 * resource, then what the update created deleted in a cleanup phase). ContinueUpdateRollback
 * carries on an update's rollback, skipping the resources it is told to.
 */
import { customRequest } from './custom-resource';
import { cleanUp, deleteAll, liveItems, retainOnDelete } from './deletion';
import { describeError, STACK_RESOURCE_TYPE, StackOperation, StackResult } from './operation';
import { runInOrder } from './scheduler';
import type { ResourceRecord, Touch } from './store';
import { isCustomResourceType, topologicalOrder } from './template';

/** The rollback of a failed creation: every resource deleted (Retain ones kept). */
export async function createRollback(op: StackOperation, operation: 'deploy' | 'destroy', reason: string, resumed: boolean): Promise<StackResult> {
  op.reason = reason;
  await op.emitStack('ROLLBACK_IN_PROGRESS', reason);
  const notDeleted = await deleteAll(op, liveItems(op, op.live.keys(), retainOnDelete), false);
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

/**
 * The rollback of an update: changed resources back to their previous state, then the resources
 * this update created (and replacements) deleted. Also ContinueUpdateRollback, with `skip`.
 */
export async function updateRollback(op: StackOperation, operation: 'deploy' | 'destroy', reason: string, skip: readonly string[], resumed: boolean): Promise<StackResult> {
  op.reason = reason;
  await op.emitStack('UPDATE_ROLLBACK_IN_PROGRESS', reason);
  if (!(await rollbackUpdates(op, skip))) {
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

export async function updateRollbackComplete(op: StackOperation, operation: 'deploy' | 'destroy', resumed: boolean): Promise<StackResult> {
  await cleanUp(op, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  op.status = 'UPDATE_ROLLBACK_COMPLETE';
  op.end();
  op.emit(op.stackName, STACK_RESOURCE_TYPE, 'UPDATE_ROLLBACK_COMPLETE', { physicalId: op.doc.stackId });
  await op.save(op.snapshot({ statusReason: op.firstError ?? op.reason }));
  return op.result(operation, 'UPDATE_ROLLBACK_COMPLETE', resumed, op.doc.outputs);
}

/** Returns the previous state to every resource this operation updated; false if a rollback update failed. */
async function rollbackUpdates(op: StackOperation, skip: readonly string[] = []): Promise<boolean> {
  for (const [id, record] of op.live) if (record.status === 'UPDATE_FAILED') op.live.set(id, { ...record, status: 'UPDATE_COMPLETE' });
  for (const id of skip) {
    // ContinueUpdateRollback's ResourcesToSkip: the stack takes the resource as rolled back, as it is.
    const touch = op.touched.get(id) as Extract<Touch, { previous: ResourceRecord }>;
    op.live.set(id, touch.previous);
    op.touched.set(id, { kind: 'rolledBack' });
    op.emit(id, touch.previous.type, 'UPDATE_COMPLETE', { physicalId: touch.previous.physicalId, reason: 'Skipped (--resources-to-skip)' });
  }
  const ids = rollbackRemaining(op);
  const previous = new Map(ids.map(id => [id, (op.touched.get(id) as { previous: ResourceRecord }).previous]));
  const previousOf = (id: string) => previous.get(id)!;
  const order = topologicalOrder(new Map(ids.map(id => [id, new Set(previousOf(id).dependsOn)])));
  const outcome = await runInOrder(order, id => previousOf(id).dependsOn, id => rollbackResource(op, id), {
    mode: 'stop',
    onError: (id, error) => op.fail(id, previousOf(id).type, 'UPDATE_FAILED', describeError(error)),
  });
  return outcome.failed.length === 0;
}

/** The resources this update changed that the rollback has not returned to their previous state yet. */
export function rollbackRemaining(op: StackOperation): string[] {
  return [...op.touched.keys()].filter(id => ['updating', 'updated', 'replaced'].includes(op.touched.get(id)!.kind));
}

async function rollbackResource(op: StackOperation, id: string): Promise<boolean> {
  const touch = op.touched.get(id) as Extract<Touch, { previous: ResourceRecord }>;
  const previous = touch.previous;
  const current = op.live.get(id)!;
  op.emit(id, previous.type, 'UPDATE_IN_PROGRESS');
  if (touch.kind === 'replaced') {
    // The old physical resource was never deleted: it is simply the resource again, and the
    // replacement goes in the rollback's cleanup phase.
    op.pendingDeletes = op.pendingDeletes.filter(pending => !(pending.logicalId === id && pending.physicalId === previous.physicalId));
    op.pendingDeletes.push({ ...current, logicalId: id });
    op.live.set(id, previous);
  } else if (isCustomResourceType(previous.type)) {
    const response = await customRequest(op, id, {
      RequestType: 'Update',
      ResourceType: previous.type,
      PhysicalResourceId: previous.physicalId,
      ResourceProperties: previous.properties,
      OldResourceProperties: touch.attempted,
    });
    if (response.Status === 'FAILED') {
      // Marked for the way out: these are the resources --resources-to-skip may name.
      op.live.set(id, { ...current, status: 'UPDATE_FAILED' });
      return op.fail(id, previous.type, 'UPDATE_FAILED', response.Reason);
    }
    if (response.PhysicalResourceId !== previous.physicalId) {
      op.pendingDeletes.push({ ...previous, logicalId: id });
    }
    op.live.set(id, { ...previous, physicalId: response.PhysicalResourceId, attributes: response.Data ?? {} });
  } else {
    op.live.set(id, previous);
  }
  op.touched.set(id, { kind: 'rolledBack' });
  op.emit(id, previous.type, 'UPDATE_COMPLETE', { physicalId: op.live.get(id)!.physicalId });
  op.checkpoint();
  return true;
}
