/**
 * Durations as the handlers measure them. On AWS a second is a second; in a rehearsal the local
 * deployer runs the handlers against an emulator whose simulated time passes faster (or slower)
 * than real time, and sets {@link HandlerEnv.TIME_SCALE}: a create timeout of 45 minutes then
 * lasts 45 simulated minutes, as it would on AWS, whatever the time scale.
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
