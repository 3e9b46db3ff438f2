/**
 * Time in the emulator. Every simulated duration (account creation, closure, expiry, throttle
 * refill) is multiplied by the time scale, so 60 simulated seconds at 0.01 last 600 ms of this
 * clock. Left to itself the clock reads real wall-clock time, so timestamps compare with the
 * callers' own `Date.now()`.
 *
 * A rehearsal drives it instead (the local deployer, see local/deployer/clock.ts): while a driver
 * holds it, the clock stands still except when the driver moves it forward, so the time the
 * machine spends processing is not simulated time, and a loaded machine gets the same outcome as
 * an idle one. A driver holds the clock for a lease it renews; a driver that died without letting
 * go (a killed deployer) lets go when its lease runs out. Once no driver holds it, the clock runs
 * on in real time from where it was left (it never goes back).
 * Nothing here holds a timer: state changes that are due are applied when the next request looks.
 */
/** Where a clock was, as the state file keeps it: its time (epoch ms) when the file was written. */
export interface ClockSnapshot {
  readonly now: number;
}

export class Clock {
  /** Driver -> real epoch ms at which its lease runs out. */
  private readonly drivers = new Map<string, number>();
  /** While driven: the time. Otherwise the time when the last driver let go (undefined: never driven). */
  private held?: number;
  /** Real epoch ms when the last driver let go. */
  private releasedAt = 0;

  constructor(readonly timeScale: number, private readonly source: () => number = Date.now) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  }

  /** Epoch milliseconds, now. */
  now(): number {
    if (this.driven()) return this.held!;
    return this.held === undefined ? this.source() : this.held + Math.max(0, this.source() - this.releasedAt);
  }

  /** The time now, for the state file. */
  snapshot(): ClockSnapshot {
    return { now: this.now() };
  }

  /**
   * Carries on from a time saved in the state file: a rehearsal moves the clock ahead of real time,
   * and the state's due times (creations, closures, expiries) are on it. The clock never goes back:
   * a saved time behind this clock (an emulator that ran on real time) changes nothing.
   */
  resume(saved: ClockSnapshot | undefined): void {
    if (saved === undefined || saved.now <= this.now()) return;
    this.held = saved.now;
    this.releasedAt = this.source();
  }

  /** Real milliseconds that `seconds` simulated seconds last (milliseconds of this clock). */
  duration(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }

  /** Whether a driver holds the clock. */
  driven(): boolean {
    const real = this.source();
    const before = this.drivers.size;
    for (const [driver, expiry] of this.drivers) if (expiry <= real) this.drivers.delete(driver);
    if (before > 0 && this.drivers.size === 0) this.releasedAt = real;
    return this.drivers.size > 0;
  }

  /**
   * `driver` holds the clock (or renews its lease) for `leaseMs` real milliseconds and moves it to
   * `to` when that is later than now. Returns the time now.
   */
  drive(driver: string, to: number | undefined, leaseMs: number): number {
    const now = this.now();
    this.drivers.set(driver, this.source() + leaseMs);
    this.held = Math.max(now, to ?? now);
    return this.held;
  }

  /** `driver` lets go of the clock. Returns the time now. */
  release(driver: string): number {
    const now = this.now();
    if (this.drivers.delete(driver) && this.drivers.size === 0) {
      this.held = now;
      this.releasedAt = this.source();
    }
    return now;
  }
}

/** Waits `ms` real milliseconds without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
