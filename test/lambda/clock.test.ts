/**
 * One clock: in a rehearsal the handlers measure their timeouts and waits in the emulator's
 * simulated time (HandlerEnv.TIME_SCALE), so what would time out on AWS times out locally too.
 */
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { Harness, startHarness } from './harness';
import { realMs, timeScale } from '../../lambda/shared/clock';
import { withRetry } from '../../lambda/shared/retry';
import { HandlerEnv } from '../../src/private/contract';

const SCALE = 0.0001;
let saved: string | undefined;

beforeEach(() => {
  saved = process.env[HandlerEnv.TIME_SCALE];
});

afterEach(() => {
  if (saved === undefined) delete process.env[HandlerEnv.TIME_SCALE];
  else process.env[HandlerEnv.TIME_SCALE] = saved;
});

test('without the variable (on AWS) a second is a second; a bad value counts as absent', () => {
  delete process.env[HandlerEnv.TIME_SCALE];
  expect(timeScale()).toBe(1);
  expect(realMs(45 * 60_000)).toBe(2_700_000);
  process.env[HandlerEnv.TIME_SCALE] = 'fast';
  expect(timeScale()).toBe(1);
  process.env[HandlerEnv.TIME_SCALE] = '0';
  expect(timeScale()).toBe(1);
});

test('a rehearsal scales every duration the handlers measure', () => {
  process.env[HandlerEnv.TIME_SCALE] = String(SCALE);
  expect(realMs(45 * 60_000)).toBeCloseTo(270, 6);
});

test('the backoff between retries is capped at 20 simulated seconds', async () => {
  process.env[HandlerEnv.TIME_SCALE] = '0.01';
  const delays: number[] = [];
  let calls = 0;
  await withRetry(async () => {
    if (++calls < 12) throw Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' });
  }, { deadline: Date.now() + 60_000, baseMs: 1_000, random: () => 0.999, sleep: async ms => { delays.push(ms); } });
  expect(Math.max(...delays)).toBeLessThanOrEqual(realMs(20_000));
  expect(delays[delays.length - 1]).toBeGreaterThan(realMs(19_000));
});

describe('an account creation that outlasts its create timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    // 10 simulated hours to create an account: the request stays IN_PROGRESS.
    h = await startHarness({ accountCreationSeconds: 36_000 });
  });
  afterAll(async () => h?.stop());

  test('times out after CreateTimeoutSeconds of simulated time, with the message AWS would give', async () => {
    // 45 simulated minutes are 2.7 real seconds: room for onCreate's calls on a busy machine.
    process.env[HandlerEnv.TIME_SCALE] = '0.001';
    const props = accountProps('Slow To Create', { CreateTimeoutSeconds: '2700' });
    const started = Date.now();
    await expect(runCreate(h, accountCreateEvent(props), { maxPolls: 100_000, sleepMs: 5 }))
      .rejects.toThrow(/CreateAccount request car-\S+ is still IN_PROGRESS after 2700 s \(CreateTimeoutSeconds\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_700);
  });
});
