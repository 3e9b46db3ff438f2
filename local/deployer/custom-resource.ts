/**
 * CloudFormation's side of a custom resource: the request it sends to the provider behind the
 * ServiceToken (found among the deployed functions, their code kept as Lambda keeps it), the
 * ServiceTimeout it waits for the answer, and the physical id it invents when none came. The
 * provider framework itself is emulated in ./provider.ts.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import type { StackOperation } from './operation';
import { CustomResourceRequest, CustomResourceResponse, ProviderFunctions, runProvider, waiterPolicyFromDefinition } from './provider';
import { functionConfiguration } from './resources';
import type { ResourceRecord } from './store';

/** CloudFormation's limit on waiting for a custom resource's answer: ServiceTimeout, at most (and by default) one hour. */
export const CUSTOM_RESOURCE_TIMEOUT_SECONDS = 3600;
/** What CloudFormation reports for a custom resource that did not answer within its ServiceTimeout. */
export const CUSTOM_RESOURCE_TIMEOUT_REASON = 'Custom Resource failed to stabilize in expected time';

/** Sends one request to the custom resource's provider and waits for its answer. */
export async function customRequest(
  op: StackOperation,
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
    StackId: op.doc.stackId,
    RequestId: requestId,
    LogicalResourceId: logicalId,
    ResourceType: fields.ResourceType,
    ...(fields.PhysicalResourceId !== undefined ? { PhysicalResourceId: fields.PhysicalResourceId } : {}),
    ResourceProperties: fields.ResourceProperties,
    ...(fields.OldResourceProperties ? { OldResourceProperties: fields.OldResourceProperties } : {}),
  };
  let provider: ProviderFunctions;
  try {
    provider = providerFor(op, serviceToken);
  } catch (error) {
    return { Status: 'FAILED', Reason: (error as Error).message, PhysicalResourceId: fields.PhysicalResourceId ?? '' };
  }
  // The checkpoint (phase status, the request in flight) is durable before the handler runs.
  await op.persist();
  const running = runProvider(request, provider, {
    lambda: op.ctx.lambda,
    timeScale: op.ctx.config.timeScale,
    clock: op.ctx.clock,
    signal,
    onInvocation: invocation => op.invocations.push({ ...invocation, stackName: op.stackName, logicalId, requestType: request.RequestType }),
  });
  const response = await withinServiceTimeout(op, running, fields.ResourceProperties);
  if (!response) {
    // The provider goes on (its waiter polls until the run ends); CloudFormation no longer listens.
    op.ctx.background.push(running.catch(() => undefined));
    const physicalId = request.RequestType === 'Create' ? inventedPhysicalId(op, logicalId) : fields.PhysicalResourceId ?? '';
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
async function withinServiceTimeout(
  op: StackOperation,
  running: Promise<CustomResourceResponse>,
  properties: Record<string, unknown>,
): Promise<CustomResourceResponse | undefined> {
  const clock = op.ctx.clock;
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
export function inventedPhysicalId(op: StackOperation, logicalId: string): string {
  return `${op.stackName}-${logicalId}-${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
}

/** The provider framework behind a ServiceToken, and the user functions it calls. */
function providerFor(op: StackOperation, serviceToken: string): ProviderFunctions {
  const framework = findRecord(op, 'AWS::Lambda::Function', record => record.attributes.Arn === serviceToken);
  if (!framework) throw new Error(`ServiceToken ${serviceToken || '(empty)'} is not a Lambda function of any deployed stack`);
  const variables = (framework.properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const onEventArn = variables.USER_ON_EVENT_FUNCTION_ARN;
  if (typeof onEventArn !== 'string') {
    throw new Error(`ServiceToken ${serviceToken} is not a custom_resources.Provider framework function: the local deployer runs custom resources served by a Provider only`);
  }
  const onEvent = functionByArn(op, onEventArn);
  const isCompleteArn = variables.USER_IS_COMPLETE_FUNCTION_ARN;
  if (typeof isCompleteArn !== 'string') return { onEvent };
  const waiterArn = variables.WAITER_STATE_MACHINE_ARN;
  const stateMachine = findRecord(op, 'AWS::StepFunctions::StateMachine', record => record.physicalId === waiterArn);
  if (!stateMachine) throw new Error(`The waiter state machine ${String(waiterArn)} of provider ${serviceToken} is not deployed`);
  const definition = stateMachine.properties.DefinitionString ?? stateMachine.properties.Definition;
  return { onEvent, isComplete: functionByArn(op, isCompleteArn), waiter: waiterPolicyFromDefinition(definition) };
}

function functionByArn(op: StackOperation, arn: string) {
  const record = findRecord(op, 'AWS::Lambda::Function', candidate => candidate.attributes.Arn === arn);
  if (!record) throw new Error(`Function ${arn} is not deployed`);
  let directory = record.codeKey ? op.ctx.codeStore.directory(record.codeKey) : undefined;
  if (!directory) {
    const key = storeCode(op, record.properties, true);
    directory = key ? op.ctx.codeStore.directory(key) : undefined;
  }
  if (!directory) {
    throw new Error(`The code of function ${record.physicalId} is no longer available locally: run with --app pointing at an app or cloud assembly that contains it`);
  }
  return functionConfiguration(record, directory, { endpoint: op.ctx.endpoint, region: op.env.region, timeScale: op.ctx.config.timeScale });
}

/** A resource record of this stack (current or awaiting deletion) or of any other deployed stack. */
function findRecord(op: StackOperation, type: string, match: (record: ResourceRecord) => boolean): ResourceRecord | undefined {
  const candidates: ResourceRecord[] = [...op.live.values(), ...op.pendingDeletes];
  for (const doc of op.ctx.registry.values()) {
    if (doc.stackName !== op.stackName) candidates.push(...Object.values(doc.resources), ...doc.pendingDeletes);
  }
  return candidates.find(record => record.type === type && match(record));
}

/** Keeps a function's code as Lambda would; returns the code key (undefined for code the deployer cannot run). */
export function storeCode(op: StackOperation, props: Record<string, unknown>, lenient = false): string | undefined {
  const code = (props.Code ?? {}) as { S3Key?: unknown; ZipFile?: unknown; ImageUri?: unknown };
  const runtime = String(props.Runtime ?? '');
  if (typeof code.ZipFile === 'string') return op.ctx.codeStore.storeInline(code.ZipFile, runtime);
  if (typeof code.S3Key !== 'string') return undefined;
  const asset = op.ctx.assembly?.findAsset(code.S3Key);
  if (!asset) {
    if (lenient) return undefined;
    throw new Error(`Error occurred while GetObject. S3 Error Code: NoSuchKey. The cloud assembly has no asset ${code.S3Key}`);
  }
  if (asset.packaging === 'zip' && isDirectory(asset.path)) return op.ctx.codeStore.storeDirectory(asset.hash, asset.path);
  if (lenient || !runtime.startsWith('nodejs')) return undefined;
  throw new Error(`The code asset ${code.S3Key} is a file (${asset.path}); the local deployer runs functions whose code is a directory asset (lambda.Code.fromAsset(directory))`);
}

function isDirectory(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isDirectory();
}
