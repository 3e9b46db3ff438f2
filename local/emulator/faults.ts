/**
 * Fault injection: before an operation runs, seeded draws decide whether it fails with throttling,
 * a concurrent modification or a service error, and how long it is delayed. The same seed and the
 * same sequence of calls give the same faults, and a faulted call changes nothing.
 */
import { createHash } from 'crypto';
import { ACCOUNT_OPERATIONS, ORGANIZATIONS_OPERATIONS } from './operations/index';

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

const describe = (value: unknown) => (JSON.stringify(value) ?? String(value)).slice(0, 80);

/** One level of a spec (global, or one operation's): probabilities in [0, 1], latency in ms >= 0. */
function checkLevel(input: unknown, where: string, allowOperations: boolean): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(`${where} must be an object, got ${describe(input)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if ((FAULTS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`${where}${key} must be a probability between 0 and 1, got ${describe(value)}`);
    } else if (key === 'latencyMs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${where}latencyMs must be a number of milliseconds, 0 or more, got ${describe(value)}`);
    } else if (!(key === 'operations' && allowOperations)) {
      throw new Error(`Unknown fault ${JSON.stringify(key)} in ${where || 'the faults'}: expected one of ${FAULTS.join(', ')}, latencyMs${allowOperations ? ' or operations' : ''}`);
    } else {
      continue;
    }
    out[key] = value;
  }
  return out;
}

/**
 * Checks a fault spec and returns a clean copy: the one check behind `--faults`, `PUT
 * /_emulator/faults`, `Emulator.start({ faults })` and `setFaults`.
 */
export function checkFaultSpec(input: unknown): FaultSpec {
  const spec = checkLevel(input, '', true);
  const operations = (input as { operations?: unknown }).operations;
  if (operations === undefined) return spec;
  if (typeof operations !== 'object' || operations === null || Array.isArray(operations)) {
    throw new Error(`operations must be an object of operation names, got ${describe(operations)}`);
  }
  const checked: Record<string, unknown> = {};
  for (const [operation, level] of Object.entries(operations)) {
    if (!Object.hasOwn(ORGANIZATIONS_OPERATIONS, operation) && !Object.hasOwn(ACCOUNT_OPERATIONS, operation)) {
      throw new Error(`Unknown operation ${JSON.stringify(operation)} in the faults: expected an operation the emulator serves, e.g. CreateAccount`);
    }
    Object.defineProperty(checked, operation, { value: checkLevel(level, `${operation}:`, false), enumerable: true });
  }
  return { ...spec, operations: checked as NonNullable<FaultSpec['operations']> };
}

/**
 * Parses the CLI form `TooManyRequestsException=0.1,latency=20,CreateAccount:ServiceException=0.2`.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const global: Record<string, number> = {};
  const operations: Record<string, Record<string, number>> = {};
  for (const part of text.split(',').map(p => p.trim()).filter(p => p)) {
    const match = /^(?:([A-Za-z]+):)?([A-Za-z]+)=(.+)$/.exec(part);
    if (!match) throw new Error(`Invalid fault ${JSON.stringify(part)}: expected [Operation:]Name=value, e.g. CreateAccount:ServiceException=0.2`);
    const [, operation, rawName, rawValue] = match;
    const name = rawName === 'latency' ? 'latencyMs' : rawName;
    const value = Number(rawValue);
    if (!Number.isFinite(value)) throw new Error(`Invalid value for ${rawName}: ${rawValue}`);
    if (operation) {
      // Plain objects keyed by user input: the check below refuses names that are not operations.
      if (!Object.hasOwn(operations, operation)) Object.defineProperty(operations, operation, { value: {}, enumerable: true });
      operations[operation][name] = value;
    } else {
      global[name] = value;
    }
  }
  return checkFaultSpec({ ...global, ...(Object.keys(operations).length > 0 ? { operations } : {}) });
}
