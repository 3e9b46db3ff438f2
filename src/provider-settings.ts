import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { configureProviders } from './private/provider';

/**
 * Settings of the custom-resource providers that serve this library's constructs: the Lambda
 * functions that call AWS Organizations and the Step Functions waiter that polls them.
 */
export interface ProviderSettingsProps {
  /**
   * How long the provider functions' log lines are kept: a log group with this retention is
   * created in the stack and every provider function (ours and the provider framework's) logs to it.
   * Give either this or `logGroup`.
   *
   * @default - the library creates no log group: each function logs to `/aws/lambda/<function name>`,
   * which Lambda creates and keeps forever, or which the CDK creates, keeping two years, with the
   * `@aws-cdk/aws-lambda:useCdkManagedLogGroup` feature flag that `cdk init` writes
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The log group every provider function (ours and the provider framework's) logs to.
   * Give either this or `logRetention`.
   *
   * @default - see `logRetention`
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * The runtime of the functions that run this library's handlers (the provider framework's own
   * functions use the framework's runtime). The handlers are bundled for Node.js 22: a Node.js
   * runtime of version 22 or later.
   *
   * @default lambda.Runtime.NODEJS_22_X
   */
  readonly runtime?: lambda.Runtime;

  /**
   * The VPC to run every provider function in. The functions call only AWS APIs
   * (Organizations, Account Management, CloudFormation, Lambda and Step Functions): the subnets
   * need a route to them (a NAT gateway, or interface endpoints where the region has them).
   *
   * @default - the functions do not run in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc` to run the functions in. Only with `vpc`.
   *
   * @default - the VPC's default selection (its private subnets)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the functions. Only with `vpc`.
   *
   * @default - with `vpc`, one security group per function that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Logging of the waiter state machine (which polls account creation and closure, and policy
   * type enablement). `{ level: sfn.LogLevel.ALL }` logs every event to a log group the provider
   * framework creates; give `destination` to choose the log group.
   *
   * @default - the waiter does not log (its executions stay in the Step Functions history)
   */
  readonly waiterLogging?: sfn.LogOptions;

  /**
   * Reserved concurrency of each function that runs this library's handlers. A deployment
   * invokes them once per resource operation and poll, a few at a time; reserving concurrency
   * takes it from the account's unreserved pool, which Lambda keeps at 100 at least.
   *
   * @default - no reserved concurrency: the functions use the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The provider settings of a stack, or of every stack of an app or stage: one object per stack
 * or app, given before the first construct of this library in it.
 *
 * @example
 * ProviderSettings.configure(stack, { logRetention: logs.RetentionDays.ONE_YEAR });
 */
export class ProviderSettings {
  /**
   * Applies `settings` to the providers of `scope`: a stack, or an app or stage (every stack in it
   * that has no settings of its own). Call it once per scope, before declaring the first construct
   * of this library in it.
   *
   * @param scope a Stack, Stage or App
   * @param settings the providers' settings
   */
  public static configure(scope: IConstruct, settings: ProviderSettingsProps): void {
    configureProviders(scope, settings);
  }

  private constructor() {}
}
