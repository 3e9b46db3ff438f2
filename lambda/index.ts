/**
 * The entrypoints of the provider's two functions. They only route: each resource type has its
 * own module with the same stem as its construct (lambda/account.ts <-> src/account.ts).
 */
import { account } from './account';
import { awsServiceAccess } from './aws-service-access';
import { delegatedAdministrator } from './delegated-administrator';
import { enabledPolicyType } from './enabled-policy-type';
import { organization } from './organization';
import { organizationalUnit } from './organizational-unit';
import { policy } from './policy';
import { policyAttachment } from './policy-attachment';
import { createClients } from './shared/clients';
import { now, realMs } from './shared/clock';
import { UserError } from './shared/errors';
import { createLogger } from './shared/log';
import type { HandlerContext, IsCompleteRequest, IsCompleteResponse, OnEventRequest, OnEventResponse, ResourceHandler } from './shared/types';
import { ResourceType, ResourceTypeName } from '../src/private/contract';

export const handlers: Record<ResourceTypeName, ResourceHandler> = {
  [ResourceType.ORGANIZATION]: organization,
  [ResourceType.ORGANIZATIONAL_UNIT]: organizationalUnit,
  [ResourceType.ACCOUNT]: account,
  [ResourceType.POLICY]: policy,
  [ResourceType.POLICY_ATTACHMENT]: policyAttachment,
  [ResourceType.ENABLED_POLICY_TYPE]: enabledPolicyType,
  [ResourceType.AWS_SERVICE_ACCESS]: awsServiceAccess,
  [ResourceType.DELEGATED_ADMINISTRATOR]: delegatedAdministrator,
};

/** Leave this much of the Lambda's time for answering the framework after the last retry. */
const SAFETY_MARGIN_MS = 5_000;

interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

let clients: ReturnType<typeof createClients> | undefined;
/** What this execution environment remembers between invocations (HandlerContext.memory). */
const memory = {};

function contextFor(event: OnEventRequest, lambdaContext: LambdaContextLike | undefined, phase: string): HandlerContext {
  clients ??= createClients();
  const remaining = lambdaContext?.getRemainingTimeInMillis?.() ?? 60_000;
  const log = createLogger({
    phase,
    requestType: event.RequestType,
    resourceType: event.ResourceType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
    requestId: event.RequestId,
  });
  return { ...clients, memory, requestId: event.RequestId, deadline: now() + realMs(remaining - SAFETY_MARGIN_MS), log };
}

function handlerFor(resourceType: string): ResourceHandler {
  const handler = handlers[resourceType as ResourceTypeName];
  if (!handler) throw new UserError(`Unsupported resource type ${resourceType}: this provider handles ${Object.keys(handlers).join(', ')}`);
  return handler;
}

/** Routes one request to its module; exported with explicit context for tests and the local deployer. */
export async function dispatchOnEvent(event: OnEventRequest, ctx: HandlerContext): Promise<OnEventResponse> {
  const handler = handlerFor(event.ResourceType);
  ctx.log('request');
  switch (event.RequestType) {
    case 'Create': return handler.onCreate(event, ctx);
    case 'Update': return handler.onUpdate(event, ctx);
    case 'Delete': return handler.onDelete(event, ctx);
    default: throw new Error(`Unknown RequestType ${(event as { RequestType: string }).RequestType}`);
  }
}

export async function dispatchIsComplete(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse> {
  const handler = handlerFor(event.ResourceType);
  if (!handler.isComplete) return { IsComplete: true };
  return handler.isComplete(event, ctx);
}

export async function onEvent(event: OnEventRequest, lambdaContext?: LambdaContextLike): Promise<OnEventResponse> {
  return dispatchOnEvent(event, contextFor(event, lambdaContext, 'onEvent'));
}

export async function isComplete(event: IsCompleteRequest, lambdaContext?: LambdaContextLike): Promise<IsCompleteResponse> {
  return dispatchIsComplete(event, contextFor(event, lambdaContext, 'isComplete'));
}
