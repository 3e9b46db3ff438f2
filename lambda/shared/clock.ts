/**
 * Durations as the handlers measure them. On AWS a second is a second. A rehearsal whose emulator
 * runs simulated time at another pace sets {@link HandlerEnv.TIME_SCALE}: a create timeout of 45
 * minutes then lasts 45 simulated minutes, as it would on AWS, whatever the time scale. (The local
 * deployer does not set it yet: at small time scales the machine's own processing time, which the
 * emulator's clock does not simulate, would make every timeout fire.)
 */
import { HandlerEnv } from '../../src/private/contract';

/** Real milliseconds per simulated millisecond: 1 on AWS. */
export function timeScale(): number {
  const scale = Number(process.env[HandlerEnv.TIME_SCALE]);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** The real milliseconds that `ms` milliseconds of (simulated) time last. */
export function realMs(ms: number): number {
  return ms * timeScale();
}
