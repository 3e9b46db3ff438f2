/**
 * The rehearsal's one clock (local/deployer/clock.ts): simulated time advances only through waits,
 * the emulator's clock follows it, and CloudFormation's hour per custom resource runs on it.
 */
import { Duration } from 'aws-cdk-lib';
import { Harness, logicalId, startHarness } from './support';
import { RehearsalClock } from '../../local/deployer/clock';
import { CUSTOM_RESOURCE_TIMEOUT_REASON } from '../../local/deployer/engine';
import { Emulator } from '../../local/emulator';
import { Clock } from '../../local/emulator/clock';

const realPause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('the clock', () => {
  test('jumps to the earliest timer once nothing holds it, and fires timers in time order', async () => {
    const clock = new RehearsalClock(0.001, 1_000_000);
    const fired: Array<[string, number]> = [];
    const later = clock.sleep(3_600_000).then(() => fired.push(['hour', clock.now()]));
    const sooner = clock.sleep(60_000).then(() => fired.push(['minute', clock.now()]));
    await Promise.all([later, sooner]);
    expect(fired).toEqual([['minute', 1_060_000], ['hour', 4_600_000]]);
  });

  test('stands still while anything holds it: processing costs no simulated time', async () => {
    const clock = new RehearsalClock(0.001, 0);
    const release = clock.hold();
    let woke = false;
    const sleeping = clock.sleep(10).then(() => { woke = true; });
    await realPause(100);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(0);
    release();
    await sleeping;
    expect(clock.now()).toBe(10);
    // A tracked promise holds it too.
    let done = false;
    const tracked = clock.track(realPause(50));
    void clock.sleep(1).then(() => { done = true; });
    await tracked;
    expect(done).toBe(false);
    await realPause(20);
    expect(done).toBe(true);
  });

  test('gives turns one at a time, lowest ticket first, once everything holding it waits for a turn', async () => {
    const clock = new RehearsalClock(1, 0);
    const order: number[] = [];
    const ends: Array<() => void> = [];
    const releases: Array<() => void> = [];
    const tickets = [clock.ticket(), clock.ticket(), clock.ticket()];
    // Everyone holds the clock; the last one to ask is still busy when the others ask.
    for (const _ of tickets) releases.push(clock.hold());
    for (const ticket of [tickets[2], tickets[0]]) ends.push(clock.takeTurn(ticket, () => order.push(ticket)));
    await realPause(20);
    expect(order).toEqual([]);
    ends.push(clock.takeTurn(tickets[1], () => order.push(tickets[1])));
    await realPause(20);
    expect(order).toEqual([tickets[0]]);
    // The holder of the turn gives it back: the next lowest goes.
    ends[1]();
    releases[0]();
    await realPause(20);
    expect(order).toEqual([tickets[0], tickets[1]]);
    ends[2]();
    releases[1]();
    await realPause(20);
    expect(order).toEqual(tickets);
    ends[0]();
    releases[2]();
  });

  test("drives the emulator's clock while it holds it, and lets it run on from there", async () => {
    const emulator = await Emulator.start({ timeScale: 0.001 });
    const read = async () => (await (await fetch(`${emulator.endpoint}/_emulator/clock`)).json()) as { now: number; driven: boolean };
    try {
      const clock = await RehearsalClock.drive(emulator.endpoint, 0.001);
      const start = await read();
      expect(start.driven).toBe(true);
      await realPause(50);
      expect((await read()).now).toBe(start.now);
      await clock.sleep(clock.duration(3600));
      expect((await read()).now).toBe(start.now + 3_600_000 * 0.001);
      await clock.release();
      const after = await read();
      expect(after.driven).toBe(false);
      expect(after.now).toBeGreaterThanOrEqual(start.now + 3600);
      // A driver names itself; the time it sets is epoch milliseconds.
      for (const body of [{}, { driver: 'x', now: 'soon' }, { driver: 'x', leaseMs: 0 }]) {
        const response = await fetch(`${emulator.endpoint}/_emulator/clock`, { method: 'PUT', body: JSON.stringify(body) });
        expect(response.status).toBe(400);
      }
      expect((await read()).driven).toBe(false);
    } finally {
      await emulator.stop();
    }
  });
});

test("the emulator's clock: a driver that dies lets go when its lease runs out, and time never goes back", () => {
  let real = 1_000;
  const clock = new Clock(0.01, () => real);
  expect(clock.drive('deployer', 5_000, 100)).toBe(5_000);
  real += 99;
  expect(clock.driven()).toBe(true);
  expect(clock.now()).toBe(5_000);
  // Moving it back is ignored.
  expect(clock.drive('deployer', 4_000, 100)).toBe(5_000);
  real += 150;
  expect(clock.driven()).toBe(false);
  real += 10;
  expect(clock.now()).toBe(5_010);
  // Let go of on purpose, it runs on from where the driver left it.
  clock.drive('next', 6_000, 100);
  expect(clock.release('next')).toBe(6_000);
  real += 20;
  expect(clock.now()).toBe(6_020);
});

describe('a rehearsed deploy', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => h?.stop());

  test('a custom resource with no answer after one simulated hour fails as CloudFormation fails it, and the stack rolls back', async () => {
    let slow = '';
    let bounded = '';
    const app = h.workspace.synth({
      Hour: (_stack, p) => {
        slow = logicalId(p.resource('Slow', { CompleteAfter: 1_000 }));
        bounded = logicalId(p.resource('Bounded', { CompleteAfter: 1_000, ServiceTimeout: 600 }));
      },
    // The waiter would poll for two hours: CloudFormation gives up first.
    }, { isComplete: true, queryInterval: Duration.minutes(5), totalTimeout: Duration.hours(2) });

    const result = await h.deploy(app);

    expect(result.success).toBe(false);
    expect(result.stacks[0].status).toBe('ROLLBACK_COMPLETE');
    const events = result.stacks[0].events;
    const at = (id: string, status: string) => events.find(e => e.logicalId === id && e.status === status);
    expect(at(bounded, 'CREATE_FAILED')?.reason).toBe(CUSTOM_RESOURCE_TIMEOUT_REASON);
    // The first failure cancels the other resource's wait (CloudFormation does the same).
    expect(at(slow, 'CREATE_FAILED')?.reason).toBe('Resource creation cancelled');
    // ServiceTimeout to the simulated second: the machine's processing time is not simulated time.
    expect(at(bounded, 'CREATE_FAILED')!.simulatedSeconds! - at(bounded, 'CREATE_IN_PROGRESS')!.simulatedSeconds!).toBeCloseTo(600, 3);
    // The rollback sends a Delete for the physical id CloudFormation invented.
    const deletes = h.workspace.requests().filter(r => r.phase === 'onEvent' && r.event.RequestType === 'Delete' && r.event.LogicalResourceId === bounded);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].event.PhysicalResourceId).toMatch(new RegExp(`^Hour-${bounded}-[0-9A-F]{12}$`));
    expect(at(bounded, 'DELETE_COMPLETE')).toBeDefined();
  });

  test('without a ServiceTimeout the limit is one hour', async () => {
    let slow = '';
    const app = h.workspace.synth({
      OneHour: (_stack, p) => { slow = logicalId(p.resource('Slow', { CompleteAfter: 1_000 })); },
    }, { isComplete: true, queryInterval: Duration.minutes(5), totalTimeout: Duration.hours(2) });
    const before = h.workspace.requests().length;

    const result = await h.deploy(app);

    expect(result.stacks[0].status).toBe('ROLLBACK_COMPLETE');
    const events = result.stacks[0].events;
    const failed = events.find(e => e.logicalId === slow && e.status === 'CREATE_FAILED')!;
    const started = events.find(e => e.logicalId === slow && e.status === 'CREATE_IN_PROGRESS')!;
    expect(failed.reason).toBe(CUSTOM_RESOURCE_TIMEOUT_REASON);
    expect(failed.simulatedSeconds! - started.simulatedSeconds!).toBeCloseTo(3600, 3);
    // The failure comes after one hour, not the waiter's two. The waiter itself goes on polling (every
    // 5 minutes, 24 polls in its two hours) after CloudFormation stopped listening, as the provider
    // framework's state machine does on AWS, and the run ends once it has.
    const polls = h.workspace.requests().slice(before).filter(r => r.phase === 'isComplete' && r.event.LogicalResourceId === slow && r.event.RequestType === 'Create');
    expect(polls.length).toBeGreaterThanOrEqual(24);
    expect(polls.length).toBeLessThanOrEqual(25);
  });

  test('a handler busy on the machine for half a real second takes no simulated time', async () => {
    let busy = '';
    const app = h.workspace.synth({ Busy: (_stack, p) => { busy = logicalId(p.resource('Handler', { SleepMs: 500 })); } });

    const result = await h.deploy(app);

    expect(result.stacks[0].status).toBe('CREATE_COMPLETE');
    const events = result.stacks[0].events.filter(e => e.logicalId === busy);
    // At time scale 0.001, half a real second on the emulator's old clock was 500 simulated seconds.
    expect(events.map(e => e.status)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(events[1].simulatedSeconds! - events[0].simulatedSeconds!).toBe(0);
  });
});
