/**
 * Drives the Account handler the way the provider framework does: onEvent once, then isComplete
 * with the onEvent result merged into the event until it says complete.
 */
import { createEvent, Harness } from './harness';
import { account } from '../../lambda/account';
import type { CreateEvent, HandlerContext, OnEventResponse } from '../../lambda/shared/types';
import { ResourceType } from '../../src/private/contract';

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Wire properties of an Account, as the construct renders them (every scalar a string). */
export function accountProps(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { AccountName: name, Email: `${name.toLowerCase().replace(/[^a-z0-9]/g, '-')}@example.com`, ...extra };
}

export function accountCreateEvent(props: Record<string, unknown>): CreateEvent {
  return createEvent(ResourceType.ACCOUNT, props);
}

export interface CreateOutcome {
  readonly PhysicalResourceId: string;
  readonly Data: Record<string, string>;
  readonly onEvent: OnEventResponse;
  readonly polls: number;
}

/** How {@link runCreate} polls. */
export interface RunOptions {
  readonly maxPolls?: number;
  readonly sleepMs?: number;
  readonly context?: () => HandlerContext;
}

/**
 * onCreate, then isComplete until complete, as the framework's waiter would (it refuses Data on an
 * incomplete answer, so this does too). `maxPolls` bounds the loop instead of a wall-clock timeout.
 */
export async function runCreate(h: Harness, event: CreateEvent, options: RunOptions = {}): Promise<CreateOutcome> {
  const context = options.context ?? (() => h.context());
  const onEvent = await account.onCreate(event, context());
  const physicalId = onEvent.PhysicalResourceId ?? event.RequestId;
  const waiting = { ...event, ...onEvent, PhysicalResourceId: physicalId };
  const maxPolls = options.maxPolls ?? 5_000;
  for (let poll = 1; poll <= maxPolls; poll++) {
    const answer = await account.isComplete!(waiting, context());
    if (answer.IsComplete) {
      return {
        PhysicalResourceId: answer.PhysicalResourceId ?? physicalId,
        Data: { ...onEvent.Data, ...answer.Data },
        onEvent,
        polls: poll,
      };
    }
    if (answer.Data && Object.keys(answer.Data).length > 0) throw new Error('"Data" is not allowed if "IsComplete" is "False"');
    await sleep(options.sleepMs ?? 5);
  }
  throw new Error(`isComplete still false after ${maxPolls} polls`);
}
