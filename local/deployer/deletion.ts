/**
 * Deleting resources: a stack's deletion (DELETE_IN_PROGRESS), and the deletions of rollbacks and
 * cleanup phases; in reverse dependency order, in parallel where independent, DeletionPolicy /
 * UpdateReplacePolicy `Retain` resources skipped (DELETE_SKIPPED).
 */
import { customRequest } from './custom-resource';
import { describeError, RunContext, STACK_RESOURCE_TYPE, StackOperation, StackResult } from './operation';
import { runInOrder } from './scheduler';
import type { ResourceRecord } from './store';
import { isCustomResourceType } from './template';

export interface DeletionItem {
  readonly key: string;
  readonly logicalId: string;
  readonly record: ResourceRecord;
  readonly retain: boolean;
  /** Where the record lives while it exists. */
  readonly location: 'live' | 'pending';
}

export const retainOnDelete = (record: ResourceRecord) => record.deletionPolicy === 'Retain';

/**
 * The cleanup phase of an update or of its rollback (`status`, entered only when there is something
 * to delete): the resources in `op.cleanupIds` and the replaced instances still pending deletion.
 */
export async function cleanUp(op: StackOperation, status: string): Promise<void> {
  const cleanup = [...liveItems(op, op.cleanupIds ?? [], retainOnDelete), ...pendingItems(op)];
  if (cleanup.length === 0) return;
  await op.emitStack(status);
  await deleteAll(op, cleanup, true);
}

/** DELETE_IN_PROGRESS: every resource in reverse dependency order, then DELETE_COMPLETE (or DELETE_FAILED). */
export async function deleteResources(ctx: RunContext, op: StackOperation, operation: 'deploy' | 'destroy'): Promise<StackResult> {
  const retain = new Set(op.retainIds);
  await op.emitStack('DELETE_IN_PROGRESS', 'User Initiated');
  const items = [...liveItems(op, op.live.keys(), (record, id) => retainOnDelete(record) || retain.has(id)), ...pendingItems(op)];
  const notDeleted = await deleteAll(op, items, false, ctx.interrupt);
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

/**
 * Deletes records in reverse dependency order, in parallel where independent. A failed delete
 * blocks only what it depends on. `abandonFailed`: a failed resource is forgotten (cleanup phases).
 */
export async function deleteAll(op: StackOperation, items: DeletionItem[], abandonFailed: boolean, stop?: AbortSignal): Promise<string[]> {
  const byKey = new Map(items.map(item => [item.key, item]));
  // An item waits for every item whose record depends on it.
  const dependents = (key: string) => {
    const item = byKey.get(key)!;
    return items.filter(other => other !== item && other.record.dependsOn.includes(item.logicalId)).map(other => other.key);
  };
  const outcome = await runInOrder(items.map(item => item.key), dependents, key => deleteOne(op, byKey.get(key)!, abandonFailed), {
    mode: 'continue',
    stop,
    onError: (key, error) => op.fail(byKey.get(key)!.logicalId, byKey.get(key)!.record.type, 'DELETE_FAILED', describeError(error)),
  });
  return outcome.failed.map(key => byKey.get(key)!.logicalId);
}

async function deleteOne(op: StackOperation, item: DeletionItem, abandonFailed: boolean): Promise<boolean> {
  const { logicalId, record } = item;
  if (item.retain) {
    forget(op, item);
    op.counts.retained++;
    op.emit(logicalId, record.type, 'DELETE_SKIPPED', { physicalId: record.physicalId });
    op.checkpoint();
    return true;
  }
  op.emit(logicalId, record.type, 'DELETE_IN_PROGRESS', { physicalId: record.physicalId });
  if (isCustomResourceType(record.type)) {
    const response = await customRequest(op, logicalId, {
      RequestType: 'Delete',
      ResourceType: record.type,
      PhysicalResourceId: record.physicalId,
      ResourceProperties: record.properties,
    });
    if (response.Status === 'FAILED') {
      if (abandonFailed) forget(op, item);
      else if (item.location === 'live' && op.live.get(logicalId) === record) op.live.set(logicalId, { ...record, status: 'DELETE_FAILED' });
      return op.fail(logicalId, record.type, 'DELETE_FAILED', response.Reason);
    }
  }
  forget(op, item);
  op.counts.deleted++;
  op.emit(logicalId, record.type, 'DELETE_COMPLETE', { physicalId: record.physicalId });
  op.checkpoint();
  return true;
}

function forget(op: StackOperation, item: DeletionItem): void {
  if (item.location === 'live') {
    if (op.live.get(item.logicalId) === item.record) op.live.delete(item.logicalId);
  } else {
    op.pendingDeletes = op.pendingDeletes.filter(pending => pending !== item.record);
  }
}

export function liveItems(op: StackOperation, ids: Iterable<string>, retain: (record: ResourceRecord, id: string) => boolean): DeletionItem[] {
  return [...ids].filter(id => op.live.has(id)).map(id => {
    const record = op.live.get(id)!;
    return { key: `live:${id}`, logicalId: id, record, retain: retain(record, id), location: 'live' as const };
  });
}

function pendingItems(op: StackOperation): DeletionItem[] {
  return op.pendingDeletes.map((record, index) => ({
    key: `pending:${index}:${record.logicalId}`,
    logicalId: record.logicalId,
    record,
    retain: record.updateReplacePolicy === 'Retain',
    location: 'pending' as const,
  }));
}
