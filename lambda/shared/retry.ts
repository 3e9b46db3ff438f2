import { now, random as clockRandom, realMs, sleep as clockSleep } from './clock';
import { isError } from './errors';
import { HandlerEnv } from '../../src/private/contract';

/**
 * Errors that mean "try again shortly", never "failed": Organizations' throttling, conflicts and
 * internal errors, Account Management's (`TooManyRequestsException`, `InternalServerException`,
 * and `ConflictException` for a concurrent change) and CloudFormation's throttling (`Throttling`).
 */
export const RETRYABLE_ERRORS = [
  'TooManyRequestsException',
  'ConcurrentModificationException',
  'ServiceException',
  'ThrottlingException',
  'InternalServerException',
  'ConflictException',
  'Throttling',
];

/** The longest wait between two attempts (simulated time in a rehearsal). */
const MAX_DELAY_MS = 20_000;

export interface RetryOptions {
  /** Epoch ms after which no new attempt starts; the last error is thrown instead. */
  readonly deadline: number;
  /** Base delay in ms; doubled per attempt, capped at 20 s, with full jitter. */
  readonly baseMs?: number;
  /** Extra error names to retry, besides {@link RETRYABLE_ERRORS}. */
  readonly also?: string[];
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export function defaultBaseMs(): number {
  const fromEnv = Number(process.env[HandlerEnv.RETRY_BASE_MS]);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 500;
}

/**
 * Runs `fn` until it succeeds, retrying throttling and concurrent modification with jittered
 * exponential backoff, but never past the deadline (CloudFormation and the provider framework retry
 * the whole request, and every handler is idempotent, so giving up in time is always safe).
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const baseMs = options.baseMs ?? defaultBaseMs();
  const sleep = options.sleep ?? clockSleep;
  const random = options.random ?? clockRandom;
  const retryable = [...RETRYABLE_ERRORS, ...(options.also ?? [])];
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isError(error, ...retryable)) throw error;
      const delay = random() * Math.min(realMs(MAX_DELAY_MS), baseMs * 2 ** attempt);
      if (now() + delay >= options.deadline) throw error;
      await sleep(delay);
    }
  }
}
