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
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { ResourceType, ResourceTypeName } from './contract';

/** The bundled handlers: `<package root>/assets/handlers`, from src/private (ts-jest) and lib/private (the package) alike. */
export const HANDLER_ASSET_PATH = path.join(__dirname, '..', '..', 'assets', 'handlers');

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
export const MAX_CREATE_TIMEOUT = Duration.minutes(45);

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

  private constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  private get syncProvider(): cr.Provider {
    this._sync ??= new cr.Provider(this, 'Sync', {
      onEventHandler: this.onEventFunction,
      frameworkOnEventRole: this.frameworkOnEventRole,
    });
    return this._sync;
  }

  private get asyncProvider(): cr.Provider {
    this._async ??= new cr.Provider(this, 'Async', {
      onEventHandler: this.onEventFunction,
      isCompleteHandler: this.handlerFunction('IsComplete', 'index.isComplete', IS_COMPLETE_TIMEOUT,
        'cdk-organizations: polls account creation and closure, and policy type enablement'),
      queryInterval: QUERY_INTERVAL,
      totalTimeout: TOTAL_TIMEOUT,
      frameworkOnEventRole: this.frameworkOnEventRole,
      // One role for the framework's isComplete and onTimeout functions (by default each has its own).
      frameworkCompleteAndTimeoutRole: this.frameworkRole('FrameworkIsCompleteRole', 'the provider framework\'s isComplete and onTimeout functions'),
    });
    return this._async;
  }

  private get onEventFunction(): lambda.Function {
    this._onEvent ??= this.handlerFunction('OnEvent', 'index.onEvent', ON_EVENT_TIMEOUT,
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
    if (!fs.existsSync(path.join(HANDLER_ASSET_PATH, 'index.js'))) {
      throw new Error(`cdk-organizations: the bundled provider handlers are missing (${HANDLER_ASSET_PATH}/index.js). `
        + 'They ship in the npm package; in a checkout of the library, run `npx projen bundle` first.');
    }
    return new lambda.Function(this, id, {
      code: lambda.Code.fromAsset(HANDLER_ASSET_PATH),
      handler,
      // Explicit, so that templates do not depend on region facts or on the CDK version's default.
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout,
      memorySize: 256,
      role: this.role,
      description,
    });
  }
}
