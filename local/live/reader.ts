/**
 * Read calls to a live organization, paced below the documented throttling rates (one token
 * bucket per operation, as AWS throttles), retried by the SDK's adaptive retry when throttled all
 * the same (other callers share the buckets), and counted. Only commands whose name starts with
 * Describe, List or Get are sent: the reader cannot send a mutating call.
 */
import { DEFAULT_QUOTAS, RateLimit } from '../emulator/quotas';

/** A command of any SDK v3 client. */
interface Command {
  readonly input: object;
}

interface Client {
  send(command: any, options?: any): Promise<any>;
}

export interface Pacing {
  /** Part of each documented rate to use (leave room for other callers). @default 0.8 */
  readonly share?: number;
  /**
   * Real seconds per simulated second of the endpoint (an emulator's time scale refills its buckets
   * that much faster). @default 1 (AWS)
   */
  readonly timeScale?: number;
}

const READ_PREFIXES = ['Describe', 'List', 'Get'];

function operationOf(command: Command): string {
  return command.constructor.name.replace(/Command$/, '');
}

class Bucket {
  private tokens: number;
  private updatedAt = Date.now();

  constructor(private readonly limit: RateLimit, private readonly perMs: number) {
    this.tokens = Math.max(1, Math.floor(limit.burst / 2));
  }

  /** Milliseconds to wait before a call may go, and takes its token. */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.updatedAt) * this.perMs);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.perMs);
  }
}

export class Reader {
  /** Calls sent, by operation (retries made by the SDK are not counted here; see `attempts`). */
  readonly calls = new Map<string, number>();
  /** Attempts the SDK made in all (a throttled call retried counts twice). */
  attempts = 0;
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly pacing: Pacing | false = {}) {}

  get callCount(): number {
    let total = 0;
    for (const n of this.calls.values()) total += n;
    return total;
  }

  async send<T>(client: Client, command: Command): Promise<T> {
    const operation = operationOf(command);
    if (!READ_PREFIXES.some(prefix => operation.startsWith(prefix))) {
      throw new Error(`${operation} is not a read operation: snapshot, plan and drift never send one`);
    }
    await this.pace(operation);
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    const output = await client.send(command);
    this.attempts += output?.$metadata?.attempts ?? 1;
    return output as T;
  }

  /** Every page of a List call: `make(nextToken)` builds the command, `key` names the list. */
  async pages<T>(client: Client, make: (nextToken: string | undefined) => Command, key: string): Promise<T[]> {
    const items: T[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send<Record<string, unknown>>(client, make(nextToken));
      items.push(...((page[key] as T[] | undefined) ?? []));
      nextToken = page.NextToken as string | undefined;
    } while (nextToken);
    return items;
  }

  private async pace(operation: string): Promise<void> {
    if (this.pacing === false) return;
    let bucket = this.buckets.get(operation);
    if (!bucket) {
      const limit = DEFAULT_QUOTAS.throttle[operation] ?? DEFAULT_QUOTAS.defaultThrottle;
      const share = this.pacing.share ?? 0.8;
      const perMs = (limit.rate * share) / (1000 * (this.pacing.timeScale ?? 1));
      bucket = new Bucket(limit, perMs);
      this.buckets.set(operation, bucket);
    }
    const wait = bucket.take();
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
  }
}
