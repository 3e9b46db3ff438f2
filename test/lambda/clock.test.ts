/**
 * One clock: in a rehearsal the handlers measure their timeouts and waits in the emulator's
 * simulated time (HandlerEnv.TIME_SCALE, and the clock the local deployer's workers offer), so
 * what would time out on AWS times out locally too.
 */
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { Harness, startHarness } from './harness';
import { now, random, realMs, sdkRetryStrategy, sleep, timeScale, withCallLatency } from '../../lambda/shared/clock';
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
    // 45 simulated minutes are 1.08 real seconds: room for onCreate's calls on a busy machine.
    process.env[HandlerEnv.TIME_SCALE] = '0.0004';
    const props = accountProps('Slow To Create', { CreateTimeoutSeconds: '2700' });
    const started = Date.now();
    await expect(runCreate(h, accountCreateEvent(props), { maxPolls: 100_000, sleepMs: 5 }))
      .rejects.toThrow(/CreateAccount request car-\S+ is still IN_PROGRESS after 2700 s \(CreateTimeoutSeconds\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_700_000 * 0.0004);
  });
});

/** A rehearsal's clock as the local deployer's workers offer it: time moves only through sleeps. */
class FakeRehearsal {
  time = 1_000_000.75;
  readonly slept: number[] = [];
  readonly timeScale = 0.01;
  readonly callLatencyMs = 100;
  now = () => this.time;
  sleep = async (ms: number) => {
    this.slept.push(ms);
    this.time += ms;
  };
  random = () => 0.5;
}

describe('on a rehearsal\'s clock', () => {
  const KEY = Symbol.for('cdk-organizations.clock');
  let rehearsal: FakeRehearsal;
  beforeEach(() => {
    rehearsal = new FakeRehearsal();
    (globalThis as any)[KEY] = rehearsal;
  });
  afterEach(() => { delete (globalThis as any)[KEY]; });

  test('time, sleeps, the time scale and random numbers are the rehearsal\'s', async () => {
    process.env[HandlerEnv.TIME_SCALE] = '0.5';
    expect(timeScale()).toBe(0.01);
    expect(realMs(20_000)).toBe(200);
    expect(now()).toBe(1_000_000);
    const real = Date.now();
    await sleep(3_600_000);
    expect(Date.now() - real).toBeLessThan(1_000);
    expect(now()).toBe(4_600_000);
    expect(random()).toBe(0.5);
  });

  test('withRetry backs off and gives up on that clock, not the machine\'s', async () => {
    let calls = 0;
    const deadline = now() + realMs(60_000);
    await expect(withRetry(async () => {
      calls++;
      throw Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' });
    }, { deadline, baseMs: realMs(500) })).rejects.toThrow('slow down');
    // Half of 0.5, 1, 2, 4, 8, 16, 20, 20... simulated seconds, until the next wait would pass the deadline.
    expect(rehearsal.slept.slice(0, 4)).toEqual([2.5, 5, 10, 20]);
    expect(now()).toBeLessThanOrEqual(deadline);
    expect(now() + rehearsal.slept[rehearsal.slept.length - 1]).toBeGreaterThan(deadline - realMs(10_000));
    expect(calls).toBe(rehearsal.slept.length + 1);
  });

  test('the SDK\'s own retries back off on that clock, up to maxAttempts, and never for a client error', async () => {
    const strategy = sdkRetryStrategy(3)!;
    const first = await strategy.acquireInitialRetryToken('organizations');
    const second = await strategy.refreshRetryTokenForRetry(first, { errorType: 'THROTTLING' });
    expect(second.getRetryCount()).toBe(1);
    expect(second.getRetryDelay()).toBe(0);
    // Full jitter (0.5 here) of 500 ms after throttling, in the rehearsal's milliseconds.
    expect(rehearsal.slept).toEqual([2.5]);
    const third = await strategy.refreshRetryTokenForRetry(second, { errorType: 'TRANSIENT' });
    expect(rehearsal.slept).toEqual([2.5, 1]);
    await expect(strategy.refreshRetryTokenForRetry(third, { errorType: 'THROTTLING' })).rejects.toThrow('No retry token available');
    await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'CLIENT_ERROR' })).rejects.toThrow('No retry token available');
  });

  test('every attempt of a call takes the rehearsal\'s call latency, failed ones too', async () => {
    const added: Array<(next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>> = [];
    withCallLatency({ middlewareStack: { add: (middleware: any) => { added.push(middleware); } } });
    expect(added).toHaveLength(1);
    await expect(added[0](async () => 'answer')({})).resolves.toBe('answer');
    await expect(added[0](async () => { throw new Error('throttled'); })({})).rejects.toThrow('throttled');
    expect(rehearsal.slept).toEqual([1, 1]);
  });
});

test('on AWS the SDK keeps its own retry strategy and no latency is added', () => {
  expect(sdkRetryStrategy(2)).toBeUndefined();
  const added: unknown[] = [];
  withCallLatency({ middlewareStack: { add: (middleware: any) => { added.push(middleware); } } });
  expect(added).toEqual([]);
});
