/**
 * What CloudFormation says about the operation a request belongs to. Organizations keeps no record
 * of which deployment made a change; CloudFormation does, and only it can tell a Delete that undoes
 * a Create of the same operation (a rollback) from a Delete that removes what the stack declared
 * until now, or whether the resource a thing was taken over from still exists.
 *
 * Every answer may be `unknown` (no permission, a stack in another region, CloudFormation
 * unreachable): callers then keep what they own, which never loses anything.
 */
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { call } from './call';
import { isError } from './errors';
import type { HandlerContext } from './types';

/** A stack operation as a Delete sees it: undoing this operation's changes, or carrying them out. */
export type StackPhase = 'rollback' | 'forward' | 'unknown';

const ROLLBACK_STATUSES = new Set([
  'ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_ROLLBACK_IN_PROGRESS',
]);
const FORWARD_STATUSES = new Set([
  'CREATE_IN_PROGRESS',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'DELETE_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
]);

/** Statuses of a stack whose last operation was rolled back (or is being rolled back). */
const ROLLED_BACK_STATUSES = new Set([
  ...ROLLBACK_STATUSES,
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
  'IMPORT_ROLLBACK_FAILED',
]);

/** What the stack's current operation is, and when it started (epoch ms), as far as CloudFormation says. */
export interface StackOperation {
  readonly phase: StackPhase;
  readonly startedAt?: number;
  /** The stack is rolling back its last operation, or has rolled it back. */
  readonly rolledBack?: boolean;
}

function describeFailure(ctx: HandlerContext, what: string, error: unknown): void {
  ctx.log('CloudFormation did not answer; keeping what is owned', { what, error: (error as Error).name, message: (error as Error).message });
}

/** The operation of the stack `stackId` (the event's StackId), from its status. */
export async function stackOperation(stackId: string, ctx: HandlerContext): Promise<StackOperation> {
  try {
    const out = await call(ctx, 'cloudformation', new DescribeStacksCommand({ StackName: stackId }));
    const stack = out.Stacks?.[0];
    const status = stack?.StackStatus ?? '';
    const phase: StackPhase = ROLLBACK_STATUSES.has(status) ? 'rollback' : FORWARD_STATUSES.has(status) ? 'forward' : 'unknown';
    const started = stack?.LastUpdatedTime ?? stack?.CreationTime;
    return { phase, startedAt: started ? new Date(started).getTime() : undefined, rolledBack: ROLLED_BACK_STATUSES.has(status) };
  } catch (error) {
    // A stack CloudFormation does not know (a test's event) needs no log line.
    if (!(isError(error, 'ValidationError') && /does not exist/.test((error as Error).message))) describeFailure(ctx, `stack ${stackId}`, error);
    return { phase: 'unknown' };
  }
}

/**
 * Whether the resource `logicalId` of `stackName` (in this function's region) no longer exists:
 * true when CloudFormation says the stack or the resource does not exist, or that it is deleted.
 */
export async function resourceGone(stackName: string, logicalId: string, ctx: HandlerContext): Promise<boolean | undefined> {
  try {
    const command = new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId });
    const out = await call(ctx, 'cloudformation', command);
    return out.StackResourceDetail?.ResourceStatus === 'DELETE_COMPLETE';
  } catch (error) {
    if (isError(error, 'ValidationError') && /does not exist/.test((error as Error).message)) return true;
    describeFailure(ctx, `resource ${logicalId} of stack ${stackName}`, error);
    return undefined;
  }
}
