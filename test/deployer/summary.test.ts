import { Duration } from 'aws-cdk-lib';
import { startHarness, Harness } from './support';
import { deploy } from '../../local/deployer';
import { main } from '../../local/deployer/cli';
import { RunClock } from '../../local/deployer/deploy';
import { StackEvent, STACK_RESOURCE_TYPE } from '../../local/deployer/engine';
import { formatDuration, formatRunTime } from '../../local/deployer/progress';
import { Emulator } from '../../local/emulator';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function event(at: number, simulatedSeconds: number, logicalId: string, status: string, resourceType = 'Custom::Thing'): StackEvent {
  return { timestamp: new Date(T0 + at).toISOString(), elapsedMs: at, simulatedSeconds, stackName: 'S', logicalId, resourceType, status };
}

describe('timing a run', () => {
  test('resources in progress are timed here and in simulated time, the longest first; finished ones are gone', () => {
    let now = T0;
    let simulated = 0;
    const clock = new RunClock(0.001, () => simulated, () => now);
    clock.event(event(0, 0, 'S', 'CREATE_IN_PROGRESS', STACK_RESOURCE_TYPE));
    clock.event(event(0, 0, 'Quick', 'CREATE_IN_PROGRESS'));
    clock.event(event(10, 0, 'Account', 'CREATE_IN_PROGRESS'));
    clock.event(event(20, 0, 'Policy', 'CREATE_IN_PROGRESS'));
    simulated = 60;
    clock.event(event(400, 60, 'Quick', 'CREATE_COMPLETE'));
    clock.event(event(400, 60, 'Later', 'UPDATE_IN_PROGRESS'));
    now = T0 + 1000;
    simulated = 240;

    expect(clock.inProgress().map(op => [op.event.logicalId, op.realMs, op.simulatedMs])).toEqual([
      ['Account', 990, 240_000],
      ['Policy', 980, 240_000],
      ['Later', 600, 180_000],
    ]);
  });

  test('the closing line gives the time here, the simulated waits and the AWS-speed estimate', () => {
    expect(formatRunTime({ elapsedMs: 4_230, synthMs: 2_100, stacksMs: 2_050, simulatedMs: 1_000_000, awsEstimateMs: 1_002_050, timeScale: 0.001 }))
      .toBe(' ✨  Total time: 4.2s (synth 2.1s). Stack operations: 2.0s here; on AWS about 16m 42s (16m 40s of waits, simulated at time scale 0.001)');
    expect([formatDuration(850), formatDuration(59_940), formatDuration(60_000), formatDuration(7_500_000)]).toEqual(['850ms', '59.9s', '1m 00s', '2h 05m']);
  });
});

describe('the run summary', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  /** One resource whose provider waits three times 5 minutes before it completes. */
  function waitingApp(stackName: string): string {
    return h.workspace.synth({
      [stackName]: (_stack, p) => { p.resource('Thing', { PhysicalId: `${stackName}-thing`, CompleteAfter: 4 }); },
    }, { isComplete: true, queryInterval: Duration.minutes(5), totalTimeout: Duration.hours(1) });
  }

  test('deploy ends with the time here, the simulated waits and the AWS-speed estimate', async () => {
    const run = capture();

    expect(await main('deploy', ['--app', waitingApp('Estimated'), '--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache], run.io, { heartbeatMs: 0 })).toBe(0);

    const last = run.out[run.out.length - 1];
    const match = /^ ✨ {2}Total time: \S+\. Stack operations: (\S+) here; on AWS about 15m (\d\d)s \(15m 00s of waits, simulated at time scale 0\.001\)$/.exec(last);
    expect({ last, matched: match !== null }).toEqual({ last, matched: true });
    // The estimate is the waits plus the time here (each rounded for display).
    const here = /ms$/.test(match![1]) ? Number(match![1].slice(0, -2)) : Number(match![1].slice(0, -1)) * 1000;
    expect(Math.abs(Number(match![2]) - here / 1000)).toBeLessThanOrEqual(1);
  });

  test('the simulated waits are the same whatever the emulator\'s time scale; only their unit changes', async () => {
    const results = [];
    for (const timeScale of [0.001, 0.1]) {
      const emulator = await Emulator.start({ timeScale, relaxed: true });
      try {
        results.push(await deploy({ endpoint: emulator.endpoint, app: waitingApp(`Scale${String(timeScale).replace('.', '')}`), codeCacheDir: h.workspace.codeCache }));
      } finally {
        await emulator.stop();
      }
    }

    expect(results.map(result => [result.success, result.timeScale, Math.round(result.simulatedMs)])).toEqual([
      [true, 0.001, 15 * 60_000],
      [true, 0.1, 15 * 60_000],
    ]);
    for (const result of results) {
      expect(result.awsEstimateMs).toBe(result.simulatedMs + result.stacksMs);
      expect(result.elapsedMs).toBeGreaterThanOrEqual(result.stacksMs);
      expect(result.synthMs).toBe(0); // a cloud assembly directory is read, not synthesized
    }
  });
});
