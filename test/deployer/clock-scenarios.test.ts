/**
 * Rehearsals on one clock, with the real constructs, the bundled handlers and AWS's real quotas
 * and throttling (bench/scenario.ts): the time scale changes nothing but how fast the emulator's
 * clock would run on its own, and one stack's accounts never meet the in-progress quota.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScenario, ScenarioFigures } from '../../bench/scenario';

/** ACCOUNT_CREATION_SECONDS of the emulator (its default): one creation lasts a simulated minute. */
const CREATION_SECONDS = 60;

let workdir: string;
beforeAll(() => { workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'clock-scenarios-')); });
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

test('8 accounts, 2 OUs and an SCP: the same outcome, calls and simulated duration at time scales 0.05 and 0.005', async () => {
  const shape = { accounts: 8, ous: 2, scps: 1 };
  const slow = await runScenario(shape, 0.05, workdir);
  const fast = await runScenario(shape, 0.005, workdir);

  for (const figures of [slow, fast]) {
    expect(figures.error).toBeUndefined();
    expect(figures.status).toBe('CREATE_COMPLETE');
    // Two rounds of five creations (the in-progress quota) at least.
    expect(figures.simulatedSeconds).toBeGreaterThanOrEqual(2 * CREATION_SECONDS);
  }
  expect(fast.organization).toEqual(slow.organization);
  expect(Object.values(fast.organization.ous).flat()).toHaveLength(8);
  expect(fast.organization.policies).toEqual({ 'scp-0': ['ou-0', 'ou-1'] });
  expect(Object.keys(fast.calls).sort()).toEqual(Object.keys(slow.calls).sort());
  for (const [operation, count] of Object.entries(slow.calls)) {
    expect([operation, fast.calls[operation]]).toEqual([operation, expect.toBeWithin(count, 0.05)]);
  }
  expect(fast.simulatedSeconds).toBeWithin(slow.simulatedSeconds, 0.05);
}, 300_000);

test('30 accounts in one stack: at most 5 creations in flight, and no CreateAccount refused for the in-progress quota', async () => {
  const figures: ScenarioFigures = await runScenario({ accounts: 30, ous: 3, scps: 1 }, 0.005, workdir);

  expect(figures.error).toBeUndefined();
  expect(figures.status).toBe('CREATE_COMPLETE');
  expect(Object.values(figures.organization.ous).flat()).toHaveLength(30);
  expect(figures.maxCreationsInFlight).toBe(5);
  expect(figures.refusedForQuota).toBe(0);
  expect(figures.calls.CreateAccount).toBeGreaterThanOrEqual(30);
  // Six rounds of five creations at least; the lanes keep the quota busy.
  expect(figures.simulatedSeconds).toBeGreaterThanOrEqual(6 * CREATION_SECONDS);
}, 600_000);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** Within ±`fraction` of `expected` (relative). */
      toBeWithin(expected: number, fraction: number): R;
    }
    interface Expect {
      toBeWithin(expected: number, fraction: number): unknown;
    }
  }
}

expect.extend({
  toBeWithin(received: number, expected: number, fraction: number) {
    const pass = typeof received === 'number' && Math.abs(received - expected) <= Math.abs(expected) * fraction;
    return {
      pass,
      message: () => `expected ${received} ${pass ? 'not ' : ''}to be within ±${fraction * 100}% of ${expected}`,
    };
  },
});
