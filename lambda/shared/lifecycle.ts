/**
 * What every resource type's handler does around its own work, whoever calls it (the entrypoints
 * or the tests): the request id in its context, and the undoing of a Create or Update that
 * CloudFormation abandoned.
 *
 * When one resource fails, CloudFormation stops waiting for the others and rolls the stack back,
 * but a provider's invocation still running goes on (the framework's state machine too), and its
 * calls can land after the rollback's own Update or Delete of the same resource: a rename, a move
 * or a new policy content would then win over the rollback for good, and a creation would be left
 * behind. So a request that starts when its operation is already rolled back does nothing, and one
 * that started while the stack went forward and finds the operation rolled back (or rolling back)
 * when its work is done undoes it: an Update applies the previous properties again, exactly as the
 * rollback's Update does (both converge on the state from before); a Create deletes what it made
 * (by the ownership rules: only what this request made).
 *
 * The provider framework's waiter goes on calling isComplete after an abandoned onEvent, and a
 * wait can outlast the rollback too: so an undone request tells its waiter (a key in Data, which
 * the framework hands to isComplete) that there is nothing to wait for, and a Create whose wait
 * ends after its operation was rolled back is undone then.
 */
import { stackOperation, StackOperation } from './cloudformation';
import { UserError } from './errors';
import type { CreateEvent, HandlerContext, IsCompleteRequest, IsCompleteResponse, OnEventResponse, ResourceHandler, UpdateEvent } from './types';

/** The key of onEvent's Data that tells isComplete the request was undone (an abandoned request's Data reaches nobody else). */
export const UNDONE_DATA_KEY = 'CdkOrganizationsUndone';

/** An undo's failure is logged: nobody else hears of it (CloudFormation no longer listens to this request). */
async function undo(ctx: HandlerContext, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    ctx.log('the undo failed', { error: (error as Error).name, message: (error as Error).message });
    throw error;
  }
}

function undone(response: OnEventResponse): OnEventResponse {
  return { ...response, Data: { ...response.Data, [UNDONE_DATA_KEY]: 'true' } };
}

function withRequestId<E extends { readonly RequestId: string }>(event: E, ctx: HandlerContext): HandlerContext {
  return ctx.requestId === event.RequestId ? ctx : { ...ctx, requestId: event.RequestId };
}

/** CloudFormation sends Create and Update requests while it goes forward or rolls back, never after. */
function abandonedBeforeItBegan(operation: StackOperation): boolean {
  return operation.rolledBack === true && operation.phase !== 'rollback';
}

function refuseStale(event: CreateEvent | UpdateEvent, ctx: HandlerContext): never {
  ctx.log('not starting: the stack rolled this operation back before the request began', { logicalResourceId: event.LogicalResourceId });
  throw new UserError(`${event.RequestType} of ${event.LogicalResourceId} abandoned: the stack rolled this operation back before the request began.`);
}

/**
 * Runs `work`; if it fails after its operation was rolled back (or began rolling back) while it
 * worked, what it did before failing is undone by `undoFailed` first: the rollback's own request
 * for this resource may have come and gone before those changes landed.
 */
async function unlessAbandonedWhenFailed<T>(event: CreateEvent | UpdateEvent, before: StackOperation, ctx: HandlerContext,
  work: () => Promise<T>, undoFailed: () => Promise<unknown>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (before.phase === 'forward' && (await stackOperation(event.StackId, ctx)).rolledBack) {
      ctx.log(`undoing a failed ${event.RequestType.toLowerCase()} the stack's rollback abandoned`, {
        logicalResourceId: event.LogicalResourceId, error: (error as Error).name,
      });
      await undo(ctx, undoFailed).catch(() => undefined);
    }
    throw error;
  }
}

async function createUnlessAbandoned(handler: ResourceHandler, event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const before = await stackOperation(event.StackId, ctx);
  if (abandonedBeforeItBegan(before)) refuseStale(event, ctx);
  // A failed Create has no physical id: its undo is the rollback's Delete of a cancelled Create
  // (the provider framework's id is the request id), which finds what it claimed by its natural key.
  const response = await unlessAbandonedWhenFailed(event, before, ctx, () => handler.onCreate(event, ctx),
    () => handler.onDelete({ ...event, RequestType: 'Delete', PhysicalResourceId: event.RequestId }, ctx));
  // Only a finished Create is undone here (one still waiting in isComplete is the rollback Delete's).
  if (before.phase !== 'forward' || !response.PhysicalResourceId) return response;
  const after = await stackOperation(event.StackId, ctx);
  if (!after.rolledBack) return response;
  ctx.log('undoing a create the stack\'s rollback abandoned', { logicalResourceId: event.LogicalResourceId, physicalResourceId: response.PhysicalResourceId });
  await undo(ctx, () => handler.onDelete({ ...event, RequestType: 'Delete', PhysicalResourceId: response.PhysicalResourceId! }, ctx));
  return undone(response);
}

async function updateUnlessAbandoned(handler: ResourceHandler, event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse> {
  const before = await stackOperation(event.StackId, ctx);
  if (abandonedBeforeItBegan(before)) refuseStale(event, ctx);
  const back: UpdateEvent = { ...event, ResourceProperties: event.OldResourceProperties, OldResourceProperties: event.ResourceProperties };
  const response = await unlessAbandonedWhenFailed(event, before, ctx, () => handler.onUpdate(event, ctx), () => handler.onUpdate(back, ctx));
  if (before.phase !== 'forward') return response;
  const after = await stackOperation(event.StackId, ctx);
  const inPlace = (response.PhysicalResourceId ?? event.PhysicalResourceId) === event.PhysicalResourceId;
  // Rolled back (or rolling back) since this request started, while it worked: it was abandoned.
  if (!after.rolledBack) return response;
  if (!inPlace) {
    // A replacement CloudFormation never learnt of: the new thing goes as a cancelled Create's would; the old one was never touched.
    ctx.log('undoing a replacement the stack\'s rollback abandoned', { logicalResourceId: event.LogicalResourceId, physicalResourceId: response.PhysicalResourceId });
    await undo(ctx, () => handler.onDelete({ ...event, RequestType: 'Delete', PhysicalResourceId: response.PhysicalResourceId! }, ctx));
    return undone(response);
  }
  ctx.log('undoing an update the stack\'s rollback abandoned', { logicalResourceId: event.LogicalResourceId });
  await undo(ctx, () => handler.onUpdate(back, ctx));
  return undone(response);
}

async function completeUnlessAbandoned(handler: ResourceHandler, event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  if (event.RequestType !== 'Delete' && event.Data?.[UNDONE_DATA_KEY] === 'true') {
    ctx.log('nothing to wait for: the request was undone', { logicalResourceId: event.LogicalResourceId });
    return { IsComplete: true };
  }
  const result = await handler.isComplete!(event, ctx);
  // CloudFormation sends a Create only while it goes forward: rolled back by now, it was abandoned.
  const physicalId = result.PhysicalResourceId ?? event.PhysicalResourceId;
  if (!result.IsComplete || event.RequestType !== 'Create' || !physicalId) return result;
  const after = await stackOperation(event.StackId, ctx);
  if (!after.rolledBack) return result;
  ctx.log('undoing a create the stack\'s rollback abandoned while it waited', { logicalResourceId: event.LogicalResourceId, physicalResourceId: physicalId });
  await undo(ctx, () => handler.onDelete({ ...event, RequestType: 'Delete', PhysicalResourceId: physicalId }, ctx));
  return result;
}

/** A resource type's handler, wrapped as described above. */
export function resourceHandler(handler: ResourceHandler): ResourceHandler {
  return {
    onCreate: (event, ctx) => createUnlessAbandoned(handler, event, withRequestId(event, ctx)),
    onUpdate: (event, ctx) => updateUnlessAbandoned(handler, event, withRequestId(event, ctx)),
    onDelete: (event, ctx) => handler.onDelete(event, withRequestId(event, ctx)),
    isComplete: handler.isComplete && ((event, ctx) => completeUnlessAbandoned(handler, event, withRequestId(event, ctx))),
  };
}
