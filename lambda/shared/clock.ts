/**
 * Time as the handlers measure it. On AWS a second is a second and the clock is the machine's.
 *
 * A rehearsal runs the handlers on its own clock. The local deployer's workers offer it at
 * `globalThis[Symbol.for('cdk-organizations.clock')]` (local/deployer/lambda.ts): the emulator's
 * simulated time, which stands still while anything is being processed and moves only through
 * waits, so a deadline, a create timeout or a backoff lasts what it would on AWS whatever the
 * machine's load. {@link HandlerEnv.TIME_SCALE} (or the hook's `timeScale`) says how many of that
 * clock's milliseconds a simulated millisecond lasts: the durations below convert with it.
 */
import { HandlerEnv } from '../../src/private/contract';

/** What a rehearsal offers; absent on AWS. */
interface RehearsalClock {
  readonly timeScale: number;
  /** Simulated milliseconds an API call takes (the network and the service, on AWS). */
  readonly callLatencyMs?: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** These handlers run one at a time, in an order the rehearsal decides. */
  takeTurns?(): void;
  /** A random number in [0, 1) from a sequence seeded per invocation. */
  random?(): number;
}

/** The key the local deployer's workers install their clock under (local/deployer/lambda.ts). */
const CLOCK_KEY = Symbol.for('cdk-organizations.clock');

function rehearsal(): RehearsalClock | undefined {
  return (globalThis as Record<symbol, RehearsalClock | undefined>)[CLOCK_KEY];
}

// Rehearsed, these handlers take turns and draw seeded random numbers: the same deploy then sends
// the same calls in the same order whatever the machine's load (they never wait on each other
// except through the clock, so one at a time loses nothing but parallel processing).
rehearsal()?.takeTurns?.();

/** A random number in [0, 1): seeded per invocation in a rehearsal, `Math.random()` on AWS. */
export function random(): number {
  return rehearsal()?.random?.() ?? Math.random();
}

/** Milliseconds of the clock per simulated millisecond: 1 on AWS. */
export function timeScale(): number {
  const hooked = rehearsal()?.timeScale;
  if (hooked !== undefined && Number.isFinite(hooked) && hooked > 0) return hooked;
  const scale = Number(process.env[HandlerEnv.TIME_SCALE]);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** The clock's milliseconds that `ms` milliseconds of (simulated) time last. */
export function realMs(ms: number): number {
  return ms * timeScale();
}

/** Epoch milliseconds, now, on the clock (whole milliseconds, as `Date.now()`). */
export function now(): number {
  const clock = rehearsal();
  return clock ? Math.floor(clock.now()) : Date.now();
}

/** Waits `ms` of the clock's milliseconds (already converted with {@link realMs}). */
export function sleep(ms: number): Promise<void> {
  const clock = rehearsal();
  if (clock) return clock.sleep(ms);
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** What the SDK's retry middleware asks of a retry strategy (RetryStrategyV2, structurally). */
interface SdkRetryStrategy {
  readonly mode: string;
  acquireInitialRetryToken(scope: string): Promise<SdkRetryToken>;
  refreshRetryTokenForRetry(token: SdkRetryToken, error: { readonly errorType: string }): Promise<SdkRetryToken>;
  recordSuccess(token: SdkRetryToken): void;
}
interface SdkRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK's own retries in a rehearsal: its standard strategy (up to `maxAttempts` attempts,
 * full-jitter backoff from 100 ms, 500 ms after throttling, capped at 20 s) with the backoff slept
 * on the rehearsal's clock, since the SDK would sleep on the machine's. Undefined on AWS: the
 * SDK's default strategy with `maxAttempts`.
 */
export function sdkRetryStrategy(maxAttempts: number): SdkRetryStrategy | undefined {
  const clock = rehearsal();
  if (!clock) return undefined;
  const token = (count: number): SdkRetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous, error) => {
      const count = previous.getRetryCount();
      if (count + 1 >= maxAttempts || error.errorType === 'CLIENT_ERROR') throw new Error('No retry token available');
      const base = error.errorType === 'THROTTLING' ? 500 : 100;
      await clock.sleep(realMs(random() * Math.min(20_000, base * 2 ** count)));
      return token(count + 1);
    },
    recordSuccess: () => undefined,
  };
}

/** The part of an SDK client this module touches (its middleware stack), structurally. */
interface SdkClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly middlewareStack: { add(...args: any[]): void };
}

/**
 * In a rehearsal, every attempt of every call of `client` takes the rehearsal's call latency of
 * simulated time (on AWS it takes what the network and the service take). Without it, calls would
 * cost no simulated time at all, and handlers that start together would reach the throttles in
 * one instant, more bunched than they ever are on AWS. Returns `client`.
 */
export function withCallLatency<C extends SdkClient>(client: C): C {
  const clock = rehearsal();
  const latency = clock?.callLatencyMs ?? 0;
  if (!clock || !(latency > 0)) return client;
  client.middlewareStack.add((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    try {
      return await next(args);
    } finally {
      await clock.sleep(realMs(latency));
    }
  }, { step: 'deserialize', name: 'rehearsalCallLatency' });
  return client;
}
