/**
 * The simulated clock in the state file: a rehearsal moves the clock ahead of real time, and the
 * state's due times (account creations, closures, expiries) are on that clock, so a restarted
 * emulator carries on from the time it saved, never before it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CreateAccountCommand, DescribeCreateAccountStatusCommand } from '@aws-sdk/client-organizations';
import { clientsFor } from './support';
import { Emulator } from '../../local/emulator';
import { Clock } from '../../local/emulator/clock';

const DAY_MS = 24 * 3600 * 1000;

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'emulator-clock-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const admin = (emulator: Emulator, method: string, path: string, body?: unknown) =>
  fetch(`${emulator.endpoint}/_emulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(r => r.json() as Promise<any>);

test('a restarted emulator carries on from the simulated time it saved: a creation due then completes then, not a day later', async () => {
  const file = join(dir, 'ahead.json');
  // A rehearsal drives the clock a simulated day ahead of real time, then asks for an account.
  const first = await Emulator.start({ stateFile: file, withOrganization: true, timeScale: 0.001 });
  let clients = clientsFor(first);
  const ahead = Date.now() + DAY_MS;
  await admin(first, 'PUT', 'clock', { driver: 'rehearsal', now: ahead, leaseMs: 60_000 });
  const request = (await clients.org.send(new CreateAccountCommand({ AccountName: 'Later', Email: 'later@example.com' }))).CreateAccountStatus!.Id!;
  const dueAt = first.state().organization!.createAccountRequests[request].dueAt;
  expect(dueAt).toBeGreaterThanOrEqual(ahead);
  await admin(first, 'DELETE', 'clock?driver=rehearsal');
  clients.destroy();
  await first.stop();
  expect(JSON.parse(readFileSync(file, 'utf8')).clock.now).toBeGreaterThanOrEqual(ahead);

  const second = await Emulator.start({ stateFile: file, timeScale: 0.001 });
  clients = clientsFor(second);
  try {
    const { now } = await admin(second, 'GET', 'clock');
    expect(now).toBeGreaterThanOrEqual(ahead);
    expect(now).toBeLessThan(ahead + DAY_MS / 2);
    // The clock is not part of the state the emulator serves.
    expect(second.state()).not.toHaveProperty('clock');
    // 60 simulated seconds last 60 real ms at this scale: the creation is due within a second of real time.
    let state: string | undefined;
    for (let i = 0; i < 50 && state !== 'SUCCEEDED'; i++) {
      await new Promise(resolve => setTimeout(resolve, 20));
      state = (await clients.org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: request }))).CreateAccountStatus!.State;
    }
    expect(state).toBe('SUCCEEDED');
  } finally {
    clients.destroy();
    await second.stop();
  }
});

test('a state file without a clock loads (the clock reads real time); a saved time behind real time never moves the clock back', async () => {
  const file = join(dir, 'older.json');
  const emulator = await Emulator.start({ stateFile: file, timeScale: 0.001 });
  await emulator.stop();
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  const { clock: _, ...withoutClock } = saved;
  writeFileSync(file, JSON.stringify(withoutClock));
  const before = Date.now();
  const restarted = await Emulator.start({ stateFile: file, timeScale: 0.001 });
  try {
    const { now } = await admin(restarted, 'GET', 'clock');
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  } finally {
    await restarted.stop();
  }
  expect(JSON.parse(readFileSync(file, 'utf8')).clock.now).toBeGreaterThanOrEqual(before);

  const clock = new Clock(1, () => 5_000);
  clock.resume({ now: 1_000 });
  expect(clock.now()).toBe(5_000);
  clock.resume({ now: 9_000 });
  expect(clock.now()).toBe(9_000);
});

test('a clock field that is not a time is refused, naming it', async () => {
  const file = join(dir, 'bad.json');
  const emulator = await Emulator.start({ stateFile: file, timeScale: 0.001 });
  await emulator.stop();
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), clock: { now: 'soon' } }));
  await expect(Emulator.start({ stateFile: file })).rejects.toThrow(/clock\.now must be a number, got "soon"/);
});
