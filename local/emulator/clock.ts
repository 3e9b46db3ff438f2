/**
 * Time in the emulator. Timestamps are real wall-clock time, so they compare with the callers'
 * own `Date.now()`; every simulated duration (account creation, closure, expiry, throttle refill)
 * is multiplied by the time scale, so 60 simulated seconds at 0.01 last 0.6 real seconds.
 * Nothing here holds a timer: state changes that are due are applied when the next request looks.
 */
export class Clock {
  constructor(readonly timeScale: number, private readonly source: () => number = Date.now) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  }

  /** Epoch milliseconds, now. */
  now(): number {
    return this.source();
  }

  /** Real milliseconds that `seconds` simulated seconds last. */
  duration(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }
}

/** Waits `ms` real milliseconds without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
