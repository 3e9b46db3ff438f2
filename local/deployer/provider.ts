/**
 * What the aws-cdk-lib custom-resources Provider framework does between CloudFormation and the
 * user's handlers (runtime/framework.ts, runtime/cfn-response.ts, waiter-state-machine.ts):
 *
 * - onEvent gets the CloudFormation request; its answer is merged over the request. Without a
 *   PhysicalResourceId, Create defaults to the RequestId and Update/Delete keep the current id;
 *   Delete may not change it.
 * - With an isComplete handler, the waiter state machine calls it at once and then after every
 *   interval (IntervalSeconds x BackoffRate^n, MaxAttempts retries) until IsComplete; `Data` is not
 *   allowed while incomplete; the final Data is isComplete's merged over onEvent's; running out of
 *   attempts fails with "Operation timed out".
 * - A failed Create answers with a marker physical id, and the framework ignores the Delete that
 *   CloudFormation sends for it.
 */
import type { RehearsalClock } from './clock';
import type { FunctionConfiguration, InvokeResult, LambdaService } from './lambda';

export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
export const MISSING_PHYSICAL_ID_MARKER = 'AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID';

/** CloudFormation refuses a custom resource response larger than this. */
export const MAX_RESPONSE_BYTES = 4096;

export interface CustomResourceRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly ResponseURL: string;
  readonly ResourceType: string;
  readonly LogicalResourceId: string;
  readonly StackId: string;
  readonly ServiceToken: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, unknown>;
  readonly NoEcho?: boolean;
}

/** The waiter's retry policy, as the provider wrote it into the state machine definition. */
export interface WaiterPolicy {
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds?: number;
}

export interface ProviderFunctions {
  readonly onEvent: FunctionConfiguration;
  readonly isComplete?: FunctionConfiguration;
  readonly waiter?: WaiterPolicy;
}

/** One call of a user handler, for the run's record. */
export interface Invocation {
  readonly functionName: string;
  readonly phase: 'onEvent' | 'isComplete';
  readonly request: Record<string, unknown>;
  readonly result: InvokeResult;
}

export interface ProviderRuntime {
  readonly lambda: LambdaService;
  /** Multiplies every waiter interval (the emulator's time scale). */
  readonly timeScale: number;
  /** The rehearsal's clock, which the waiter's intervals run on. @default real time */
  readonly clock?: RehearsalClock;
  /** Aborted when the deploy run ends: a waiter still polling then (for an operation CloudFormation stopped waiting for) stops. */
  readonly signal?: AbortSignal;
  readonly onInvocation?: (invocation: Invocation) => void;
}

/** Reads the waiter's Retry policy from the state machine definition the Provider synthesized. */
export function waiterPolicyFromDefinition(definition: unknown): WaiterPolicy {
  const parsed = typeof definition === 'string' ? JSON.parse(definition) : definition;
  const states = Object.values((parsed as { States?: Record<string, any> })?.States ?? {});
  for (const state of states) {
    const retry = (state?.Retry ?? []).find((entry: any) => (entry.ErrorEquals ?? []).includes('States.ALL')) ?? state?.Retry?.[0];
    if (state?.Type === 'Task' && retry) {
      return {
        intervalSeconds: Number(retry.IntervalSeconds ?? 1),
        maxAttempts: Number(retry.MaxAttempts ?? 3),
        backoffRate: Number(retry.BackoffRate ?? 2),
        maxDelaySeconds: retry.MaxDelaySeconds === undefined ? undefined : Number(retry.MaxDelaySeconds),
      };
    }
  }
  throw new Error('The waiter state machine definition has no Task with a Retry policy');
}

/** Runs one CloudFormation request through the framework and returns what it would answer CloudFormation. */
export async function runProvider(
  request: CustomResourceRequest,
  provider: ProviderFunctions,
  runtime: ProviderRuntime,
): Promise<CustomResourceResponse> {
  // safeHandler: the Delete that follows a failed Create is answered without calling the user.
  if (request.RequestType === 'Delete' && request.PhysicalResourceId === CREATE_FAILED_MARKER) {
    return { Status: 'SUCCESS', Reason: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_MARKER };
  }
  let event: Record<string, unknown> = { ...request };
  try {
    const onEventResult = (await invokeUser(provider.onEvent, 'onEvent', { ...request }, runtime) ?? {}) as Record<string, unknown>;
    event = responseEvent(request, onEventResult);
    if (!provider.isComplete) return respond('SUCCESS', event);
    return await waitForCompletion(event, provider.isComplete, provider.waiter ?? { intervalSeconds: 5, maxAttempts: 360, backoffRate: 1 }, runtime);
  } catch (error) {
    let physicalId = event.PhysicalResourceId as string | undefined;
    if (!physicalId && request.RequestType === 'Create') physicalId = CREATE_FAILED_MARKER;
    return respond('FAILED', { ...event, PhysicalResourceId: physicalId, Data: undefined }, error instanceof Error ? error.message : String(error));
  }
}

async function waitForCompletion(
  event: Record<string, unknown>,
  isComplete: FunctionConfiguration,
  policy: WaiterPolicy,
  runtime: ProviderRuntime,
): Promise<CustomResourceResponse> {
  for (let retry = 0; ; retry++) {
    const result = (await invokeUser(isComplete, 'isComplete', event, runtime) ?? {}) as { IsComplete?: boolean; Data?: Record<string, unknown> };
    if (result.IsComplete) {
      return respond('SUCCESS', {
        ...event,
        ...result,
        Data: { ...event.Data as Record<string, unknown> | undefined, ...result.Data },
      });
    }
    if (result.Data && Object.keys(result.Data).length > 0) throw new Error('"Data" is not allowed if "IsComplete" is "False"');
    if (retry >= policy.maxAttempts) return respond('FAILED', event, 'Operation timed out');
    let delaySeconds = policy.intervalSeconds * policy.backoffRate ** retry;
    if (policy.maxDelaySeconds !== undefined) delaySeconds = Math.min(delaySeconds, policy.maxDelaySeconds);
    const waitMs = delaySeconds * 1000 * runtime.timeScale;
    if (!(await (runtime.clock ? runtime.clock.sleep(waitMs, runtime.signal) : sleep(waitMs, runtime.signal)))) {
      return respond('FAILED', event, 'The deploy run ended before the operation completed');
    }
  }
}

async function invokeUser(fn: FunctionConfiguration, phase: Invocation['phase'], payload: Record<string, unknown>, runtime: ProviderRuntime): Promise<unknown> {
  const result = await runtime.lambda.invoke(fn, payload);
  runtime.onInvocation?.({ functionName: fn.functionName, phase, request: payload, result });
  if (!result.ok) {
    // framework.ts: the error message, plus where to find the logs.
    throw new Error(`${result.errorMessage || 'error'}\n\nLogs: /aws/lambda/${fn.functionName}\n`);
  }
  return result.payload;
}

function responseEvent(request: CustomResourceRequest, result: Record<string, unknown>): Record<string, unknown> {
  const physicalId = (result.PhysicalResourceId as string | undefined) || defaultPhysicalId(request);
  if (request.RequestType === 'Delete' && physicalId !== request.PhysicalResourceId) {
    throw new Error(`DELETE: cannot change the physical resource ID from "${request.PhysicalResourceId}" to "${String(result.PhysicalResourceId)}" during deletion`);
  }
  return { ...request, ...result, PhysicalResourceId: physicalId };
}

function defaultPhysicalId(request: CustomResourceRequest): string {
  return request.RequestType === 'Create' ? request.RequestId : request.PhysicalResourceId!;
}

/** cfn-response.ts submitResponse, then CloudFormation's own check of the response size (Data is what makes it grow). */
function respond(status: 'SUCCESS' | 'FAILED', event: Record<string, unknown>, reason?: string): CustomResourceResponse {
  const response: CustomResourceResponse = {
    Status: status,
    Reason: reason || status,
    PhysicalResourceId: (event.PhysicalResourceId as string | undefined) || MISSING_PHYSICAL_ID_MARKER,
    Data: event.Data as Record<string, unknown> | undefined,
    NoEcho: event.NoEcho as boolean | undefined,
  };
  const body = JSON.stringify({ ...response, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
  if (status === 'SUCCESS' && Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    return { Status: 'FAILED', Reason: 'Response object is too long.', PhysicalResourceId: response.PhysicalResourceId };
  }
  return response;
}

/** Resolves false when aborted. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
