/**
 * The rehearsal's one clock. Everything a deploy run measures (the provider framework's waits,
 * Lambda's Timeout, CloudFormation's hour per custom resource, and through the worker hook the
 * handlers' own deadlines, timeouts and backoff) reads this clock, and so does the emulator,
 * which this clock drives (local/emulator/clock.ts).
 *
 * Simulated time advances only through waits, discrete-event style: while anything is busy (a
 * handler running, a request to the emulator in flight, the deployer's own work between them) the
 * clock stands still; once everything is waiting, it jumps to the earliest timer and fires it. So
 * the machine's processing time costs no simulated time, a loaded machine gets the outcome of an
 * idle one, and the time scale changes nothing but the units: like the emulator's clock, this one
 * counts in milliseconds of which a simulated second lasts `1000 * timeScale`.
 *
 * Busy is counted, not guessed: an invocation holds the clock from the moment it is asked for until
 * its result is handled, except while its handler sleeps on this clock; a tracked request holds it
 * until it settles. A wait that is not on this clock (a handler's own `setTimeout`) keeps its
 * invocation busy, so it costs real time and no simulated time; Lambda's Timeout still stops such
 * a handler after that many real seconds.
 *
 * Handlers that take turns (this library's, lambda/shared/clock.ts) run one at a time, in ticket
 * order, and draw seeded random numbers; each API call of theirs takes CALL_LATENCY_MS of simulated
 * time. So the same deploy sends the same calls in the same order at every time scale and on every
 * machine: the rehearsal is deterministic, not merely fast.
 */
import { randomUUID } from 'crypto';

/**
 * Simulated milliseconds an API call of a handler takes, request and response (offered to the
 * handlers, lambda/shared/clock.ts): about what a call to Organizations takes from a Lambda
 * function, so that calls that start together reach the throttles spread as they would on AWS.
 */
export const CALL_LATENCY_MS = 100;

/** Renews the emulator's lease this often (real ms); the lease lasts LEASE_MS. */
const HEARTBEAT_MS = 5_000;
const LEASE_MS = 30_000;

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

interface TurnRequest {
  readonly ticket: number;
  readonly grant: () => void;
}

/** Moves the emulator's clock to `to` (undefined: only renews the lease) and returns its time. */
export type ClockDriver = (to: number | undefined) => Promise<number>;

export class RehearsalClock {
  /**
   * Holds, drives and renews the clock of the emulator at `endpoint` until {@link release}.
   * An emulator that does not know the clock endpoint cannot be rehearsed on one clock: refused.
   */
  static async drive(endpoint: string, timeScale: number): Promise<RehearsalClock> {
    const base = endpoint.replace(/\/+$/, '');
    const driver = randomUUID();
    const put = async (to: number | undefined): Promise<number> => {
      const response = await fetch(`${base}/_emulator/clock`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ driver, leaseMs: LEASE_MS, ...(to !== undefined ? { now: to } : {}) }),
      });
      if (!response.ok) throw new Error(`PUT /_emulator/clock answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
      return (await response.json() as { now: number }).now;
    };
    const clock = new RehearsalClock(timeScale, await put(undefined), put);
    const heartbeat = setInterval(() => { put(undefined).catch(() => undefined); }, HEARTBEAT_MS);
    heartbeat.unref();
    clock.onRelease = async () => {
      clearInterval(heartbeat);
      await fetch(`${base}/_emulator/clock?driver=${encodeURIComponent(driver)}`, { method: 'DELETE' }).catch(() => undefined);
    };
    return clock;
  }

  /** The time, shared with the workers that run handlers (they read it synchronously). */
  readonly shared = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  private readonly time = new Float64Array(this.shared);
  private readonly timers: Timer[] = [];
  private seq = 0;
  private busy = 0;
  private tickets = 0;
  private readonly turns: TurnRequest[] = [];
  private turnTaken = false;
  private advancing = false;
  private checkQueued = false;
  private released = false;
  private onRelease?: () => Promise<void>;
  /** Simulated milliseconds each API call of a handler takes. */
  readonly callLatencyMs = CALL_LATENCY_MS;

  /**
   * @param timeScale milliseconds of this clock per simulated millisecond (the emulator's time scale)
   * @param startedAt the time to start at (epoch ms)
   * @param driver moves the emulator's clock along (none: this clock alone, for tests)
   */
  constructor(readonly timeScale: number, readonly startedAt: number, private readonly driver?: ClockDriver) {
    this.time[0] = startedAt;
  }

  /** Epoch milliseconds, now. */
  now(): number {
    return this.time[0];
  }

  /** Milliseconds of this clock that `seconds` simulated seconds last. */
  duration(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }

  /** Simulated seconds that `ms` milliseconds of this clock are. */
  simulatedSeconds(ms: number): number {
    return ms / 1000 / this.timeScale;
  }

  /** Calls `fire` once the clock reads `at`. Returns a function that cancels it. */
  at(at: number, fire: () => void): () => void {
    const timer: Timer = { at, seq: this.seq++, fire };
    let index = this.timers.findIndex(other => other.at > at);
    if (index < 0) index = this.timers.length;
    this.timers.splice(index, 0, timer);
    this.idle();
    return () => {
      const position = this.timers.indexOf(timer);
      if (position >= 0) this.timers.splice(position, 1);
    };
  }

  /** Waits `ms` of this clock; resolves false (at once) when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise(resolve => {
      const onAbort = () => {
        cancel();
        resolve(false);
      };
      const cancel = this.at(this.now() + Math.max(0, ms), () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The clock stands still until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    this.busy++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.busy--;
      this.idle();
    };
  }

  /** Holds the clock until `promise` settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    const release = this.hold();
    return promise.finally(release);
  }

  /** `target` with every method that returns a promise holding the clock until it settles. */
  tracking<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, key, receiver) => {
        const value = Reflect.get(object, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const release = this.hold();
          try {
            const result = value.apply(object, args);
            if (result instanceof Promise) return result.finally(release);
            release();
            return result;
          } catch (error) {
            release();
            throw error;
          }
        };
      },
    });
  }

  /** The next ticket: the order in which actors that became ready at once take their turns. */
  ticket(): number {
    return ++this.tickets;
  }

  /**
   * Calls `grant` when it is the turn of `ticket` to run alone: once everything that holds the
   * clock is waiting for a turn (nothing else runs, nothing is in flight), the lowest ticket goes.
   * The caller holds the clock meanwhile. Returns the function that gives the turn back (or stops
   * waiting for it). Who goes first then depends on the order things happened in, never on how
   * fast the machine ran them, so a rehearsal makes the same calls in the same order every time.
   */
  takeTurn(ticket: number, grant: () => void): () => void {
    const request: TurnRequest = { ticket, grant };
    let index = this.turns.findIndex(other => other.ticket > ticket);
    if (index < 0) index = this.turns.length;
    this.turns.splice(index, 0, request);
    let state: 'waiting' | 'running' | 'done' = 'waiting';
    const granted = () => {
      state = 'running';
      grant();
    };
    (request as { grant: () => void }).grant = granted;
    this.idle();
    return () => {
      if (state === 'waiting') {
        const position = this.turns.indexOf(request);
        if (position >= 0) this.turns.splice(position, 1);
      } else if (state === 'running') {
        this.turnTaken = false;
      }
      state = 'done';
      this.idle();
    };
  }

  /** Lets go of the emulator's clock (it runs on in real time from here). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.onRelease?.();
  }

  /**
   * Once nothing holds the clock, after the current turn of the event loop (so that whatever the
   * last release set off has registered its own holds and timers), jumps to the earliest timer.
   */
  private idle(): void {
    if (this.advancing || this.checkQueued || (!this.canGrant() && !this.canAdvance())) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      if (this.advancing) return;
      if (this.canGrant()) {
        this.turnTaken = true;
        this.turns.shift()!.grant();
        this.idle();
      } else if (this.canAdvance()) {
        void this.advance();
      }
    });
  }

  /** Everything that holds the clock waits for a turn, and nobody has it. */
  private canGrant(): boolean {
    return !this.turnTaken && this.turns.length > 0 && this.busy === this.turns.length;
  }

  private canAdvance(): boolean {
    return this.busy === 0 && this.timers.length > 0;
  }

  private async advance(): Promise<void> {
    this.advancing = true;
    const target = Math.max(this.now(), this.timers[0].at);
    let reached = target;
    if (this.driver && !this.released) {
      try {
        reached = Math.max(target, await this.driver(target));
      } catch {
        // The emulator is gone (the run fails on its next request anyway): time goes on here.
      }
    }
    this.time[0] = Math.max(this.now(), reached);
    this.advancing = false;
    while (this.timers.length > 0 && this.timers[0].at <= this.now()) this.timers.shift()!.fire();
    this.idle();
  }
}
