/**
 * Shapes of the aws-cdk-lib custom-resources Provider framework, as seen by the user handlers:
 * onEvent gets a CloudFormation event (without ResponseURL) and returns a physical id and Data;
 * isComplete gets the same event plus what onEvent returned, and says whether the work is done.
 */
import type { AccountClient } from '@aws-sdk/client-account';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Logger } from './log';

export type Properties = Record<string, unknown>;

interface EventCommon {
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly StackId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Properties;
}

export interface CreateEvent extends EventCommon {
  readonly RequestType: 'Create';
}

export interface UpdateEvent extends EventCommon {
  readonly RequestType: 'Update';
  readonly PhysicalResourceId: string;
  readonly OldResourceProperties: Properties;
}

export interface DeleteEvent extends EventCommon {
  readonly RequestType: 'Delete';
  readonly PhysicalResourceId: string;
}

export type OnEventRequest = CreateEvent | UpdateEvent | DeleteEvent;

export interface OnEventResponse {
  /** The real Organizations id. Returning a different id on Update makes CloudFormation delete the old one. */
  readonly PhysicalResourceId?: string;
  /** Attributes for `Fn::GetAtt`: only the documented ones, under the contract's names. */
  readonly Data?: Record<string, string>;
  readonly NoEcho?: boolean;
}

/** What isComplete receives: the onEvent request merged with the onEvent response. */
export type IsCompleteRequest = OnEventRequest & {
  readonly PhysicalResourceId?: string;
  readonly Data?: Record<string, string>;
};

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  /** Set when the real id is only known once the work is done (account creation). */
  readonly PhysicalResourceId?: string;
  /** Merged over onEvent's Data. */
  readonly Data?: Record<string, string>;
}

/** Everything a resource module needs besides the event: clients, a deadline, a logger. */
export interface HandlerContext {
  readonly organizations: OrganizationsClient;
  readonly account: AccountClient;
  /** The stack's region: asked what the operation a request belongs to is (shared/cloudformation.ts). */
  readonly cloudformation: CloudFormationClient;
  /**
   * CloudFormation's id of the request being handled (the same for onEvent and every isComplete
   * poll of one Create): a thing made by this request is recognised by it on a retry.
   */
  readonly requestId?: string;
  /** Epoch milliseconds by which this invocation must have answered (retries stop before it). */
  readonly deadline: number;
  /**
   * An object that lives as long as the execution environment (index.ts makes one per container):
   * what a handler remembers between invocations is keyed by it. A context without it (one a test
   * builds) remembers nothing.
   */
  readonly memory?: object;
  readonly log: Logger;
}

/** One module per resource type implements this; see lambda/index.ts for the routing. */
export interface ResourceHandler {
  onCreate(event: CreateEvent, ctx: HandlerContext): Promise<OnEventResponse>;
  onUpdate(event: UpdateEvent, ctx: HandlerContext): Promise<OnEventResponse>;
  onDelete(event: DeleteEvent, ctx: HandlerContext): Promise<OnEventResponse>;
  /** Only for resources that wait; the others are complete as soon as onEvent returns. */
  isComplete?(event: IsCompleteRequest, ctx: HandlerContext): Promise<IsCompleteResponse>;
}

