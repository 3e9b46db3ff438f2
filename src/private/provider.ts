/**
 * The custom-resource providers of a stack: per-stack singletons on aws-cdk-lib's Provider
 * framework, created on first use, so that their cost is fixed whatever the number of constructs.
 *
 * - The synchronous provider serves every resource type whose work ends within one invocation.
 * - The asynchronous provider (a Step Functions waiter that polls `isComplete`) serves the types
 *   that wait on AWS: account creation and closure, and policy type enablement.
 *
 * Both providers invoke the same onEvent function; one role with a fixed inline policy serves
 * both of our functions, one role the framework's onEvent functions of both providers, and one
 * role the framework's isComplete and onTimeout functions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, Duration, Stack, Stage, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { HandlerBundle, MAX_CREATE_TIMEOUT_SECONDS, ResourceType, ResourceTypeName } from './contract';
import { fail } from './validation';
import type { ProviderSettingsProps } from '../provider-settings';

/** The bundled handlers: `<package root>/assets/handlers`, from src/private (ts-jest) and lib/private (the package) alike. */
export const HANDLER_ASSET_PATH = path.join(__dirname, '..', '..', ...HandlerBundle.DIRECTORY.split('/'));

/** The id of the singleton under each stack. */
const PROVIDER_ID = 'OrganizationsProvider';

/** Time between two `isComplete` polls. */
export const QUERY_INTERVAL = Duration.seconds(30);

/**
 * How long the waiter polls. CloudFormation waits at most one hour for a custom resource
 * (ServiceTimeout, 3,600 s at most), and the wait starts after onEvent returned, so the waiter
 * stops 10 minutes before that hour is over (room for onEvent and the polls' own duration).
 */
export const TOTAL_TIMEOUT = Duration.minutes(50);

/**
 * The longest an Account may wait for its creation (or for a closure slot) within one deployment:
 * short enough that the handler's own timeout, whose message says what to do, fires before the
 * waiter gives up with a generic "timed out".
 */
export const MAX_CREATE_TIMEOUT = Duration.seconds(MAX_CREATE_TIMEOUT_SECONDS);

/** onEvent does a few API calls and, for the synchronous types, all of the work (attaching a policy to many targets). */
const ON_EVENT_TIMEOUT = Duration.minutes(5);
/** One poll: a few API calls; a throttled poll simply answers "not yet". */
const IS_COMPLETE_TIMEOUT = Duration.minutes(2);

/** The resource types served by the asynchronous provider: their handlers implement `isComplete`. */
const ASYNC_TYPES: ReadonlySet<ResourceTypeName> = new Set([ResourceType.ACCOUNT, ResourceType.ENABLED_POLICY_TYPE]);

/**
 * Every API action the handlers call (their `...Command` imports in lambda/), and nothing else.
 * Resources are `*`: the ids are only known once created, and the policy must not grow with the
 * number of constructs.
 */
export const ORGANIZATIONS_ACTIONS = [
  'organizations:AcceptHandshake',
  'organizations:AttachPolicy',
  'organizations:CloseAccount',
  'organizations:CreateAccount',
  'organizations:CreateOrganization',
  'organizations:CreateOrganizationalUnit',
  'organizations:CreatePolicy',
  'organizations:DeleteOrganization',
  'organizations:DeleteOrganizationalUnit',
  'organizations:DeletePolicy',
  'organizations:DeregisterDelegatedAdministrator',
  'organizations:DescribeAccount',
  'organizations:DescribeCreateAccountStatus',
  'organizations:DescribeOrganization',
  'organizations:DescribeOrganizationalUnit',
  'organizations:DescribePolicy',
  'organizations:DetachPolicy',
  'organizations:DisableAWSServiceAccess',
  'organizations:DisablePolicyType',
  'organizations:EnableAWSServiceAccess',
  'organizations:EnableAllFeatures',
  'organizations:EnablePolicyType',
  'organizations:ListAWSServiceAccessForOrganization',
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListCreateAccountStatus',
  'organizations:ListDelegatedAdministrators',
  'organizations:ListHandshakesForOrganization',
  'organizations:ListOrganizationalUnitsForParent',
  'organizations:ListParents',
  'organizations:ListPolicies',
  'organizations:ListPoliciesForTarget',
  'organizations:ListRoots',
  'organizations:ListTagsForResource',
  'organizations:ListTargetsForPolicy',
  'organizations:MoveAccount',
  'organizations:RegisterDelegatedAdministrator',
  'organizations:RemoveAccountFromOrganization',
  'organizations:TagResource',
  'organizations:UntagResource',
  'organizations:UpdateOrganizationalUnit',
  'organizations:UpdatePolicy',
];

/** Account Management: renaming accounts (PutAccountName) and finding the caller's account (GetAccountInformation). */
export const ACCOUNT_ACTIONS = ['account:GetAccountInformation', 'account:PutAccountName'];

/**
 * CloudFormation, read only: whether a Delete belongs to a rollback and whether a resource still
 * exists in its stack decide whether what a resource claimed may be destroyed (lambda/shared/cloudformation.ts).
 */
export const CLOUDFORMATION_ACTIONS = ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'];

/** The handlers are bundled for this Node.js version (esbuild's `--target=node22`). */
const MIN_NODE_MAJOR = 22;

/** The settings given to each scope (a stack, stage or app) by `ProviderSettings.configure`. */
const SETTINGS = new WeakMap<IConstruct, { settings: ProviderSettingsProps }>();

/** Records `settings` for `scope`, after checking them; see `ProviderSettings.configure`. */
export function configureProviders(scope: IConstruct, settings: ProviderSettingsProps): void {
  if (!Stack.isStack(scope) && !Stage.isStage(scope)) {
    fail(scope, `ProviderSettings.configure: the scope must be a Stack, a Stage or the App, got ${scope.node.path}.`);
  }
  if (SETTINGS.has(scope)) {
    fail(scope, 'ProviderSettings.configure was already called for this scope: give all the settings in one call (one object per stack or app).');
  }
  const existing = scope.node.findAll().find(c => c instanceof OrganizationsProvider);
  if (existing) {
    fail(scope, `ProviderSettings.configure must come before the first cdk-organizations construct of the scope: the providers already exist at ${existing.node.path}. `
      + 'Call it right after creating the stack (or app).');
  }
  const where = 'ProviderSettings';
  if (settings.logGroup && settings.logRetention !== undefined) {
    fail(scope, `${where}: give either logGroup or logRetention, not both (logRetention creates the log group; set the retention of your own logGroup on it).`);
  }
  if (!settings.vpc && (settings.vpcSubnets || settings.securityGroups)) {
    fail(scope, `${where}: ${settings.vpcSubnets ? 'vpcSubnets' : 'securityGroups'} needs vpc: give the VPC the functions run in.`);
  }
  const reserved = settings.reservedConcurrentExecutions;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
    fail(scope, `${where}: reservedConcurrentExecutions must be an integer of 1 or more (0 would stop every handler), got ${reserved}.`);
  }
  const runtime = settings.runtime;
  if (runtime) {
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime.name)?.[1]);
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || !(major >= MIN_NODE_MAJOR)) {
      fail(scope, `${where}: runtime must be a Node.js runtime of version ${MIN_NODE_MAJOR} or later (the handlers are bundled for Node.js ${MIN_NODE_MAJOR}), got ${runtime.name}.`);
    }
  }
  SETTINGS.set(scope, { settings });
}

/** The settings of the stack: its own, else those of the nearest stage or app that has some. */
function settingsOf(stack: Stack): ProviderSettingsProps {
  for (const scope of [...stack.node.scopes].reverse()) {
    const entry = SETTINGS.get(scope);
    if (entry) return entry.settings;
  }
  return {};
}

/**
 * A cdk-nag rule the providers do not follow, and why: recorded as the `cdk_nag` metadata that
 * cdk-nag reads (the library does not depend on cdk-nag).
 */
interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  /** The findings of the rule this covers (`Resource::*`, ...), or all of them. */
  readonly applies_to?: ReadonlyArray<string | { regex: string }>;
}

/** Adds suppressions to the `cdk_nag` metadata of `resource`, keeping those already there. */
function suppressNag(resource: CfnResource, suppressions: NagSuppression[]): void {
  const metadata = resource.getMetadata('cdk_nag') ?? {};
  const rules: NagSuppression[] = [...(metadata.rules_to_suppress ?? [])];
  for (const suppression of suppressions) {
    if (!rules.some(r => JSON.stringify(r) === JSON.stringify(suppression))) rules.push(suppression);
  }
  resource.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: rules });
}

const BASIC_EXECUTION_ROLE = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
/** The provider framework's grants to invoke our functions' versions and aliases (`<function arn>:*`). */
const INVOKE_VERSIONS = { regex: '/^Resource::<.*\\.Arn>:\\*$/' };

const REASONS = {
  basicExecution: 'AWSLambdaBasicExecutionRole only lets the function write its own logs; it is the policy the Lambda and provider framework documentation give',
  inlinePolicy: 'The policy is the role\'s own (inline): it lives and dies with the role, is attached nowhere else, and costs no separate resource per stack',
  runtime: 'The runtime is pinned so that templates do not change with the CDK version: Node.js 22 for the handlers (ProviderSettings runtime changes it) and the provider framework\'s own choice for its functions',
  concurrency: 'A deployment runs a few invocations at a time; reserved concurrency would take capacity from the account\'s unreserved pool, which Lambda keeps at 100 at least, so it is opt-in (ProviderSettings reservedConcurrentExecutions)',
  dlq: 'CloudFormation and the provider framework report every failure to the stack operation, which fails and rolls back; an event parked in a dead-letter queue would never be replayed',
  vpc: 'The functions call only public AWS APIs (Organizations, Account Management, CloudFormation, Lambda, Step Functions) and hold no data; running them in a VPC is opt-in (ProviderSettings vpc)',
  tracing: 'Each deployment makes a handful of invocations whose outcome CloudFormation reports; X-Ray tracing would add cost and no diagnosis the logs do not give',
  memory: 'The provider framework\'s functions only relay events to ours and to CloudFormation; the framework sizes them itself',
  wildcard: 'AWS Organizations ids are known only once created, and the policy must not grow with the number of constructs: the actions are exactly those the handlers call (see README, Deploying to AWS)',
  stackWildcard: 'Read-only CloudFormation calls on the stacks of this account and region: the handlers ask about the stack of the operation they serve, whose name is known only at deployment',
  frameworkInvoke: 'The provider framework grants itself the invocation of the functions it calls, versions and aliases included (<function arn>:*)',
  logEncryption: 'The handlers log request and resource ids and AWS error messages, no secrets; CloudWatch Logs encrypts every log group at rest, and a KMS key would add a key, its policy and a monthly cost to each stack',
  logDelivery: 'Step Functions log delivery (logs:CreateLogDelivery, logs:PutResourcePolicy and the like) takes no resource but "*"; the provider framework grants it when waiter logging is on',
  waiterLogging: 'The waiter\'s executions stay in the Step Functions history; logging every event is opt-in (ProviderSettings waiterLogging)',
};

/**
 * The providers of one stack. Use {@link OrganizationsProvider.serviceToken}; everything else is
 * created on demand.
 */
export class OrganizationsProvider extends Construct {
  /** The singleton of the stack that `scope` belongs to. */
  public static of(scope: IConstruct): OrganizationsProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return existing instanceof OrganizationsProvider ? existing : new OrganizationsProvider(stack, PROVIDER_ID);
  }

  /** The service token of the provider that serves `resourceType`. */
  public static serviceToken(scope: IConstruct, resourceType: ResourceTypeName): string {
    const providers = OrganizationsProvider.of(scope);
    return ASYNC_TYPES.has(resourceType) ? providers.asyncProvider.serviceToken : providers.syncProvider.serviceToken;
  }

  private _role?: iam.Role;
  private _onEvent?: lambda.Function;
  private _frameworkOnEventRole?: iam.Role;
  private _sync?: cr.Provider;
  private _async?: cr.Provider;
  private _logGroup?: logs.ILogGroup;
  private readonly settings: ProviderSettingsProps;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.settings = settingsOf(scope);
  }

  /** The provider framework's settings that come from ProviderSettings (those it has). */
  private get frameworkSettings(): Partial<cr.ProviderProps> {
    const { vpc, vpcSubnets, securityGroups } = this.settings;
    return {
      logGroup: this.logGroup,
      vpc,
      vpcSubnets,
      securityGroups,
    };
  }

  /** The log group of every function: the user's, one created with the given retention, or none (Lambda's default). */
  private get logGroup(): logs.ILogGroup | undefined {
    if (this.settings.logGroup) return this.settings.logGroup;
    if (this.settings.logRetention === undefined) return undefined;
    this._logGroup ??= new logs.LogGroup(this, 'Logs', { retention: this.settings.logRetention });
    return this._logGroup;
  }

  private get syncProvider(): cr.Provider {
    if (!this._sync) {
      this._sync = new cr.Provider(this, 'Sync', {
        onEventHandler: this.onEventFunction,
        frameworkOnEventRole: this.frameworkOnEventRole,
        ...this.frameworkSettings,
      });
      this.suppressNagFindings();
    }
    return this._sync;
  }

  private get asyncProvider(): cr.Provider {
    if (!this._async) {
      this._async = this.createAsyncProvider();
      this.suppressNagFindings();
    }
    return this._async;
  }

  private createAsyncProvider(): cr.Provider {
    const { waiterLogging } = this.settings;
    return new cr.Provider(this, 'Async', {
      onEventHandler: this.onEventFunction,
      isCompleteHandler: this.handlerFunction('IsComplete', HandlerBundle.IS_COMPLETE, IS_COMPLETE_TIMEOUT,
        'cdk-organizations: polls account creation and closure, and policy type enablement'),
      queryInterval: QUERY_INTERVAL,
      totalTimeout: TOTAL_TIMEOUT,
      frameworkOnEventRole: this.frameworkOnEventRole,
      // One role for the framework's isComplete and onTimeout functions (by default each has its own).
      frameworkCompleteAndTimeoutRole: this.frameworkRole('FrameworkIsCompleteRole', 'the provider framework\'s isComplete and onTimeout functions'),
      ...this.frameworkSettings,
      ...(waiterLogging ? { waiterStateMachineLogOptions: waiterLogging, disableWaiterStateMachineLogging: false } : {}),
    });
  }

  /**
   * What cdk-nag's AwsSolutions, NIST 800-53 R5 and Serverless packs report on the providers with
   * the default settings, and why each is so: suppressed on each resource with its reason. Run after
   * each provider is created (the later one adds resources and grants).
   */
  private suppressNagFindings(): void {
    for (const construct of this.node.findAll()) {
      if (!(construct instanceof CfnResource)) continue;
      switch (construct.cfnResourceType) {
        case 'AWS::IAM::Role': {
          // The roles of our functions and of the framework's functions, not the waiter's own.
          if (construct.node.scope?.node.scope !== this) break;
          suppressNag(construct, [
            { id: 'AwsSolutions-IAM4', reason: REASONS.basicExecution, applies_to: [BASIC_EXECUTION_ROLE] },
            ...(construct.node.scope === this._role ? [
              { id: 'AwsSolutions-IAM5', reason: REASONS.wildcard, applies_to: ['Resource::*'] },
              { id: 'AwsSolutions-IAM5', reason: REASONS.stackWildcard, applies_to: ['Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*'] },
              { id: 'Serverless-LambdaStarPermissions', reason: REASONS.wildcard },
              { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: REASONS.inlinePolicy },
            ] : []),
          ]);
          break;
        }
        case 'AWS::IAM::Policy':
          suppressNag(construct, [
            { id: 'AwsSolutions-IAM5', reason: REASONS.frameworkInvoke, applies_to: [INVOKE_VERSIONS] },
            // The waiter's logging permissions (Step Functions' log delivery).
            ...(this.settings.waiterLogging && construct.node.path.includes('/waiter-state-machine/')
              ? [{ id: 'AwsSolutions-IAM5', reason: REASONS.logDelivery, applies_to: ['Resource::*'] }] : []),
            { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: REASONS.inlinePolicy },
          ]);
          break;
        case 'AWS::Lambda::Function': {
          // Ours: OnEvent and IsComplete, direct children; the framework's are under Sync and Async.
          const ours = construct.node.scope?.node.scope === this;
          suppressNag(construct, [
            { id: 'AwsSolutions-L1', reason: REASONS.runtime },
            { id: 'Serverless-LambdaLatestVersion', reason: REASONS.runtime },
            ...(this.settings.reservedConcurrentExecutions === undefined || !ours
              ? [{ id: 'NIST.800.53.R5-LambdaConcurrency', reason: REASONS.concurrency }] : []),
            { id: 'NIST.800.53.R5-LambdaDLQ', reason: REASONS.dlq },
            { id: 'Serverless-LambdaDLQ', reason: REASONS.dlq },
            ...(this.settings.vpc ? [] : [{ id: 'NIST.800.53.R5-LambdaInsideVPC', reason: REASONS.vpc }]),
            { id: 'Serverless-LambdaTracing', reason: REASONS.tracing },
            ...(ours ? [] : [{ id: 'Serverless-LambdaDefaultMemorySize', reason: REASONS.memory }]),
          ]);
          break;
        }
        case 'AWS::Logs::LogGroup':
          // With the feature flags `cdk init` writes, each function has a CDK-managed log group.
          suppressNag(construct, [{ id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted', reason: REASONS.logEncryption }]);
          break;
        case 'AWS::StepFunctions::StateMachine':
          suppressNag(construct, [
            ...(this.settings.waiterLogging ? [] : [{ id: 'AwsSolutions-SF1', reason: REASONS.waiterLogging }]),
            { id: 'AwsSolutions-SF2', reason: REASONS.tracing },
            { id: 'Serverless-StepFunctionStateMachineXray', reason: REASONS.tracing },
          ]);
          break;
      }
    }
  }

  private get onEventFunction(): lambda.Function {
    this._onEvent ??= this.handlerFunction('OnEvent', HandlerBundle.ON_EVENT, ON_EVENT_TIMEOUT,
      'cdk-organizations: creates, updates and deletes AWS Organizations resources');
    return this._onEvent;
  }

  /** Our functions' role: a fixed inline policy, so no separate policy resource and nothing that grows. */
  private get role(): iam.Role {
    this._role ??= new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'cdk-organizations provider handlers: the AWS Organizations, Account Management and CloudFormation calls they make',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      inlinePolicies: {
        Organizations: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ORGANIZATIONS_ACTIONS, resources: ['*'] }),
            new iam.PolicyStatement({ actions: ACCOUNT_ACTIONS, resources: ['*'] }),
            // The stacks of this account and region: the handlers ask only about their own stack's operation and resources.
            new iam.PolicyStatement({
              actions: CLOUDFORMATION_ACTIONS,
              resources: [Stack.of(this).formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*' })],
            }),
            // CreateOrganization (and enabling all features) create AWSServiceRoleForOrganizations.
            new iam.PolicyStatement({
              actions: ['iam:CreateServiceLinkedRole'],
              resources: ['*'],
              conditions: { StringEquals: { 'iam:AWSServiceName': 'organizations.amazonaws.com' } },
            }),
          ],
        }),
      },
    });
    return this._role;
  }

  /**
   * The framework's onEvent functions of both providers share one role. (The framework's isComplete
   * and onTimeout functions keep their own: sharing it with onEvent would be a dependency cycle.)
   */
  private get frameworkOnEventRole(): iam.Role {
    this._frameworkOnEventRole ??= this.frameworkRole('FrameworkOnEventRole', 'the provider framework\'s onEvent functions');
    return this._frameworkOnEventRole;
  }

  /** A role for framework functions: the framework adds the invoke permissions it needs to its default policy. */
  private frameworkRole(id: string, what: string): iam.Role {
    return new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-organizations: ${what}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
  }

  private handlerFunction(id: string, handler: string, timeout: Duration, description: string): lambda.Function {
    if (!fs.existsSync(path.join(HANDLER_ASSET_PATH, HandlerBundle.FILE))) {
      throw new Error(`cdk-organizations: the bundled provider handlers are missing (${HANDLER_ASSET_PATH}/${HandlerBundle.FILE}). `
        + 'They ship in the npm package; in a checkout of the library, run `npx projen bundle` first.');
    }
    return new lambda.Function(this, id, {
      code: lambda.Code.fromAsset(HANDLER_ASSET_PATH),
      handler,
      // Explicit, so that templates do not depend on region facts or on the CDK version's default.
      runtime: this.settings.runtime ?? lambda.Runtime.NODEJS_22_X,
      timeout,
      memorySize: 256,
      role: this.role,
      description,
      logGroup: this.logGroup,
      vpc: this.settings.vpc,
      vpcSubnets: this.settings.vpcSubnets,
      securityGroups: this.settings.securityGroups,
      reservedConcurrentExecutions: this.settings.reservedConcurrentExecutions,
    });
  }
}
