/**
 * What every resource type's handler does around its own work, whoever calls it (the entrypoints
 * or the tests): the request id in its context, and the undoing of an Update that CloudFormation
 * abandoned.
 *
 * When one resource fails, CloudFormation stops waiting for the others and rolls the stack back,
 * but a provider's invocation still running goes on (the framework's state machine too), and its
 * calls can land after the rollback's own Update of the same resource: a rename, a move or a new
 * policy content would then win over the rollback for good. An Update that started while the stack
 * went forward and finds it rolling back when its work is done therefore applies the previous
 * properties again, exactly as the rollback's Update does; both converge on the state from before.
 */
import { stackOperation } from './cloudformation';
import type { HandlerContext, ResourceHandler, UpdateEvent } from './types';

function withRequestId<E extends { readonly RequestId: string }>(event: E, ctx: HandlerContext): HandlerContext {
  return ctx.requestId === event.RequestId ? ctx : { ...ctx, requestId: event.RequestId };
}

async function updateUnlessAbandoned(handler: ResourceHandler, event: UpdateEvent, ctx: HandlerContext) {
  const before = await stackOperation(event.StackId, ctx);
  const response = await handler.onUpdate(event, ctx);
  if (before.phase !== 'forward') return response;
  const after = await stackOperation(event.StackId, ctx);
  const inPlace = (response.PhysicalResourceId ?? event.PhysicalResourceId) === event.PhysicalResourceId;
  if (after.phase !== 'rollback' || !inPlace) return response;
  ctx.log('undoing an update the stack\'s rollback abandoned', { logicalResourceId: event.LogicalResourceId });
  await handler.onUpdate({ ...event, ResourceProperties: event.OldResourceProperties, OldResourceProperties: event.ResourceProperties }, ctx);
  return response;
}

/** A resource type's handler, wrapped as described above. */
export function resourceHandler(handler: ResourceHandler): ResourceHandler {
  return {
    onCreate: (event, ctx) => handler.onCreate(event, withRequestId(event, ctx)),
    onUpdate: (event, ctx) => updateUnlessAbandoned(handler, event, withRequestId(event, ctx)),
    onDelete: (event, ctx) => handler.onDelete(event, withRequestId(event, ctx)),
    isComplete: handler.isComplete && ((event, ctx) => handler.isComplete!(event, withRequestId(event, ctx))),
  };
}
