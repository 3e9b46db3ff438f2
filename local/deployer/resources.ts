/**
 * Resources other than custom resources are recorded as created without any effect: they get the
 * physical names and ARNs CloudFormation would give them, so that `Ref` and `Fn::GetAtt` resolve
 * to plausible values. Lambda functions are the exception that matters: the deployer keeps their
 * configuration and code so that it can run them.
 */
import { createHash } from 'crypto';
import type { FunctionConfiguration } from './lambda';
import type { ResourceRecord } from './store';

export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** Environment variables Lambda reserves: a function may not set them. */
export const RESERVED_LAMBDA_VARIABLES = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_RUNTIME_API', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN', 'AWS_XRAY_CONTEXT_MISSING', 'AWS_XRAY_DAEMON_ADDRESS', 'LAMBDA_RUNTIME_DIR', 'LAMBDA_TASK_ROOT',
];

/** `CDK_ORGANIZATIONS_RETRY_BASE_MS` when the function does not set it (lambda/shared/retry.ts). */
export const HANDLER_DEFAULT_RETRY_BASE_MS = 500;
export const RETRY_BASE_MS_VARIABLE = 'CDK_ORGANIZATIONS_RETRY_BASE_MS';
/** The handlers' HandlerEnv.TIME_SCALE: milliseconds of the rehearsal's clock per simulated millisecond. */
export const TIME_SCALE_VARIABLE = 'CDK_ORGANIZATIONS_TIME_SCALE';

/** The access key the emulator reads as "the default caller", i.e. the management account. */
export const EMULATOR_ACCESS_KEY_ID = 'AKIDEMULATOR';

/** A name like CloudFormation generates: `<stack>-<logicalId>-<SUFFIX>`, stable for one stack instance. */
export function generatedName(stackName: string, stackId: string, logicalId: string, maxLength = 64): string {
  const suffix = createHash('sha256').update(`${stackId}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  const room = maxLength - suffix.length - 2;
  const stackPart = stackName.slice(0, Math.ceil(room / 2));
  const logicalPart = logicalId.slice(0, room - stackPart.length);
  return `${stackPart}-${logicalPart}-${suffix}`;
}

/** Physical id and attributes of a resource recorded without effect. */
export function plainResource(
  type: string,
  logicalId: string,
  properties: Record<string, unknown>,
  stack: { stackName: string; stackId: string },
  env: Environment,
): { physicalId: string; attributes: Record<string, unknown> } {
  const [, service = 'cloudformation', kind = 'Resource'] = type.split('::');
  const explicit = properties[`${kind}Name`];
  const name = typeof explicit === 'string' && explicit ? explicit : generatedName(stack.stackName, stack.stackId, logicalId);
  const { account, region, partition } = env;
  const idHash = createHash('sha256').update(`${stack.stackId}/${logicalId}/id`).digest('hex').slice(0, 17).toUpperCase();
  switch (type) {
    case 'AWS::Lambda::Function': {
      const arn = `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      return { physicalId: name, attributes: { Arn: arn } };
    }
    case 'AWS::IAM::Role':
      return { physicalId: name, attributes: { Arn: `arn:${partition}:iam::${account}:role/${name}`, RoleId: `AROA${idHash}` } };
    case 'AWS::IAM::ManagedPolicy': {
      const arn = `arn:${partition}:iam::${account}:policy/${name}`;
      return { physicalId: arn, attributes: { PolicyArn: arn } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const arn = `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
      return { physicalId: arn, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::Logs::LogGroup':
      return { physicalId: name, attributes: { Arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` } };
    case 'AWS::CDK::Metadata':
      return { physicalId: createHash('sha256').update(`${stack.stackId}/${logicalId}`).digest('hex').slice(0, 32), attributes: {} };
    default: {
      const arn = `arn:${partition}:${service.toLowerCase()}:${region}:${account}:${kind.toLowerCase()}/${name}`;
      return { physicalId: name, attributes: { Arn: arn } };
    }
  }
}

/** `Fn::GetAtt` of a resource recorded without effect: its recorded attribute, else something plausible. */
export function plainAttribute(record: ResourceRecord, attribute: string): unknown {
  if (attribute in record.attributes) return record.attributes[attribute];
  if (/Arn$/.test(attribute) && typeof record.attributes.Arn === 'string') return record.attributes.Arn;
  return record.physicalId;
}

export interface LambdaRuntimeSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly timeScale: number;
}

/**
 * The configuration a deployed function runs with. The template's variables come first; the
 * emulator endpoints, dummy credentials and region are forced, so a handler cannot reach real AWS.
 */
export function functionConfiguration(record: ResourceRecord, codeDirectory: string, settings: LambdaRuntimeSettings): FunctionConfiguration {
  const props = record.properties;
  const functionName = record.physicalId;
  const runtime = String(props.Runtime ?? 'nodejs22.x');
  const handler = String(props.Handler ?? 'index.handler');
  const memorySize = Number(props.MemorySize ?? 128);
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
  const templateVariables = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
  const baseRetryMs = Number(templateVariables[RETRY_BASE_MS_VARIABLE] ?? HANDLER_DEFAULT_RETRY_BASE_MS);
  const environment: Record<string, string> = {
    ...templateVariables,
    // Retries run on the emulator's clock; never below 1 ms so that backoff still spreads calls.
    [RETRY_BASE_MS_VARIABLE]: String(Math.max(1, baseRetryMs * settings.timeScale)),
    // Timeouts and deadlines in simulated time; the rehearsal's clock keeps processing time out of it.
    [TIME_SCALE_VARIABLE]: String(settings.timeScale),
    AWS_REGION: settings.region,
    AWS_DEFAULT_REGION: settings.region,
    AWS_ACCESS_KEY_ID: EMULATOR_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: 'emulator',
    AWS_SESSION_TOKEN: 'emulator',
    AWS_ENDPOINT_URL_ORGANIZATIONS: settings.endpoint,
    AWS_ENDPOINT_URL_ACCOUNT: settings.endpoint,
    // The emulator serves DescribeStacks / DescribeStackResource from the deployer's stack store.
    AWS_ENDPOINT_URL_CLOUDFORMATION: settings.endpoint,
    // Keep the developer's ~/.aws configuration (profiles, endpoints) out of the function.
    AWS_CONFIG_FILE: '/nonexistent/cdk-organizations/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/cdk-organizations/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    LAMBDA_TASK_ROOT: codeDirectory,
    _HANDLER: handler,
  };
  return {
    arn: String(record.attributes.Arn),
    functionName,
    handler,
    runtime,
    timeoutSeconds: Number(props.Timeout ?? 3),
    memorySize,
    codeDirectory,
    environment,
  };
}
