/**
 * Fault injection: before an operation runs, seeded draws decide whether it fails with throttling,
 * a concurrent modification or a service error, and how long it is delayed. The same seed and the
 * same sequence of calls give the same faults, and a faulted call changes nothing.
 */
import { createHash } from 'crypto';

/** Probabilities (0..1) of each fault, and added latency in real milliseconds. */
export interface FaultSpec {
  readonly TooManyRequestsException?: number;
  readonly ConcurrentModificationException?: number;
  readonly ServiceException?: number;
  readonly latencyMs?: number;
  /** Per operation name, overriding the global values. */
  readonly operations?: Readonly<Record<string, Omit<FaultSpec, 'operations'>>>;
}

/** The faults, in the order they are drawn. */
export const FAULTS = ['TooManyRequestsException', 'ConcurrentModificationException', 'ServiceException'] as const;
export type FaultName = typeof FAULTS[number];

const MESSAGES: Record<FaultName, string> = {
  TooManyRequestsException: 'AWS Organizations can\'t complete your request because another request is already in progress. Try again later.',
  ConcurrentModificationException: 'AWS Organizations can\'t complete your request because it conflicts with another attempt to modify the same entity. Try again later.',
  ServiceException: 'AWS Organizations can\'t complete your request because of an internal service error. Try again later.',
};

export interface Fault {
  readonly error?: { readonly name: FaultName; readonly message: string };
  readonly latencyMs: number;
}

export class FaultInjector {
  private draws = 0;

  constructor(private spec: FaultSpec | undefined, private seed: number) {}

  configure(spec: FaultSpec | undefined, seed: number): void {
    this.spec = spec;
    this.seed = seed;
    this.draws = 0;
  }

  get current(): FaultSpec | undefined {
    return this.spec;
  }

  /** Decides the fault of one call to `operation`. */
  next(operation: string): Fault {
    if (!this.spec) return { latencyMs: 0 };
    const effective = { ...this.spec, ...this.spec.operations?.[operation] };
    for (const name of FAULTS) {
      const probability = effective[name] ?? 0;
      if (probability > 0 && this.random() < probability) return { error: { name, message: MESSAGES[name] }, latencyMs: effective.latencyMs ?? 0 };
    }
    return { latencyMs: effective.latencyMs ?? 0 };
  }

  /** A uniform draw in [0, 1) from the seed and the draw count. */
  private random(): number {
    const digest = createHash('sha256').update(`${this.seed}:${this.draws++}`).digest();
    return digest.readUIntBE(0, 6) / 2 ** 48;
  }
}

/**
 * Parses the CLI form `TooManyRequestsException=0.1,latency=20,CreateAccount:ServiceException=0.2`.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const global: Record<string, number> = {};
  const operations: Record<string, Record<string, number>> = {};
  for (const part of text.split(',').map(p => p.trim()).filter(p => p)) {
    const match = /^(?:([A-Za-z]+):)?([A-Za-z]+)=([0-9.]+)$/.exec(part);
    if (!match) throw new Error(`Invalid fault ${JSON.stringify(part)}: expected [Operation:]Name=value, e.g. CreateAccount:ServiceException=0.2`);
    const [, operation, rawName, rawValue] = match;
    const name = rawName === 'latency' || rawName === 'latencyMs' ? 'latencyMs' : rawName;
    if (name !== 'latencyMs' && !(FAULTS as readonly string[]).includes(name)) {
      throw new Error(`Unknown fault ${JSON.stringify(rawName)}: expected one of ${FAULTS.join(', ')} or latency`);
    }
    const value = Number(rawValue);
    if (!Number.isFinite(value) || (name !== 'latencyMs' && value > 1)) throw new Error(`Invalid value for ${rawName}: ${rawValue}`);
    if (operation) (operations[operation] ??= {})[name] = value;
    else global[name] = value;
  }
  return { ...global, ...(Object.keys(operations).length > 0 ? { operations } : {}) };
}
