/**
 * Throttling as AWS does it: one token bucket per operation and calling account, refilled at the
 * documented rate (in simulated time, so a smaller time scale refills faster in real time) up to
 * its burst. An empty bucket answers TooManyRequestsException.
 */
import { Clock } from './clock';
import { ResolvedQuotas } from './quotas';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly quotas: ResolvedQuotas, private readonly clock: Clock) {}

  /** Takes a token for `operation` called by `caller`; false when the bucket is empty. */
  take(operation: string, caller: string): boolean {
    const { rate, burst } = this.quotas.rateLimit(operation);
    const now = this.clock.now();
    const key = `${caller}/${operation}`;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now };
    // `rate` tokens per simulated second, and a simulated second lasts 1000 * timeScale real ms.
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) * rate) / this.clock.duration(1));
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
