/**
 * `snapshot`: an emulator started on the snapshot of an organization answers every read call as
 * the organization did; snapshot → emulator → snapshot is identical; no mutating call is sent.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clientsOf, mutatingCalls, readEverything, seedOrganization, SeededOrganization } from './support';
import { Emulator, EmulatorState } from '../../local/emulator';
import { takeSnapshot, writeSnapshot } from '../../local/live/snapshot';
import { startFixture } from '../emulator/support';

jest.setTimeout(120_000);

const QUOTAS = { maxAccounts: 1000 };

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-snapshot-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function snapshotOf(emulator: Emulator, pacing: Parameters<typeof takeSnapshot>[1] = { pacing: false }) {
  const clients = clientsOf(emulator);
  try {
    return await takeSnapshot(clients, pacing);
  } finally {
    clients.destroy();
  }
}

describe('snapshot of a seeded organization', () => {
  let source: Awaited<ReturnType<typeof startFixture>>;
  let seeded: SeededOrganization;
  let copy: Emulator;
  let state: EmulatorState;
  let logBefore: number;
  let calls: number;

  beforeAll(async () => {
    source = await startFixture({ quotas: QUOTAS, accountClosureSeconds: 1e6 });
    seeded = await seedOrganization(source.emulator, source.org);
    logBefore = source.emulator.callLog.length;
    const snapshot = await snapshotOf(source.emulator);
    state = snapshot.state;
    calls = snapshot.callCount;
    const file = path.join(dir, 'seeded.json');
    writeSnapshot(file, state);
    copy = await Emulator.start({ stateFile: file, relaxed: true, quotas: QUOTAS });
  });

  afterAll(async () => {
    await copy?.stop();
    await source?.stop();
  });

  test('sends read calls only, each once', () => {
    const log = source.emulator.callLog.slice(logBefore);
    expect(log.length).toBe(calls);
    expect(mutatingCalls(log)).toEqual([]);
    expect(log.every(call => call.outcome === 'OK')).toBe(true);
  });

  test('holds what was seeded', () => {
    const org = state.organization!;
    expect(Object.keys(org.ous).sort()).toEqual(Object.values(seeded.ous).sort());
    expect(state.accounts[seeded.accounts.leaving].state).toBe('PENDING_CLOSURE');
    expect(state.accounts[seeded.accounts.app2].membership!.parentId).toBe(seeded.ous.prodEu);
    expect(org.attachments[seeded.policies.denyRegions]).toEqual([seeded.ous.workloads, seeded.accounts.sandbox]);
    expect(Object.keys(org.root.policyTypes).sort()).toEqual(['AISERVICES_OPT_OUT_POLICY', 'BACKUP_POLICY', 'RESOURCE_CONTROL_POLICY', 'SERVICE_CONTROL_POLICY', 'TAG_POLICY']);
    expect(org.tags[seeded.ous.prod]).toEqual([{ Key: 'env', Value: 'prod' }, { Key: 'tier', Value: '1' }]);
    expect(org.delegatedAdministrators.map(d => `${d.accountId} ${d.servicePrincipal}`).sort()).toEqual([
      `${seeded.accounts.audit} config.amazonaws.com`, `${seeded.accounts.audit} guardduty.amazonaws.com`, `${seeded.accounts.logs} config.amazonaws.com`,
    ].sort());
    expect(Object.keys(org.services).sort()).toEqual(['account.amazonaws.com', 'config.amazonaws.com', 'guardduty.amazonaws.com']);
    expect(Object.values(state.handshakes).map(h => [h.action, h.state])).toEqual([['INVITE', 'OPEN']]);
    expect(Object.values(org.createAccountRequests).filter(r => r.state === 'FAILED').map(r => r.failureReason)).toEqual(['EMAIL_ALREADY_EXISTS']);
    expect(JSON.parse(org.resourcePolicy!.content).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${seeded.accounts.audit}:root`);
    expect(org.tags[org.resourcePolicy!.id]).toEqual([{ Key: 'team', Value: 'security' }]);
  });

  test('an emulator started on it answers every read call as the source did', async () => {
    const expected = await readEverything(source.emulator.endpoint);
    const actual = await readEverything(copy.endpoint);
    expect(Object.keys(actual).length).toBeGreaterThan(200);
    expect(actual).toEqual(expected);
  });

  test('snapshot → emulator → snapshot is identical', async () => {
    const again = await snapshotOf(copy);
    expect(JSON.stringify(again.state)).toEqual(JSON.stringify(state));
    expect(mutatingCalls(copy.callLog)).toEqual([]);
  });
});

describe('pacing and retries', () => {
  test('under AWS throttling and injected throttling faults the snapshot completes, identical, with no call refused for good', async () => {
    const f = await startFixture({ quotas: QUOTAS });
    try {
      await seedOrganization(f.emulator, f.org);
      const calm = await snapshotOf(f.emulator);
      // Throttling on, refilled 50 times faster than AWS (the pacing knows), and 5% throttling faults besides.
      writeSnapshot(path.join(dir, 'paced-source.json'), calm.state);
      const throttled = await Emulator.start({ stateFile: path.join(dir, 'paced-source.json'), timeScale: 0.02, faults: { TooManyRequestsException: 0.05 }, quotas: QUOTAS, seed: 7 });
      try {
        const paced = await snapshotOf(throttled, { pacing: { timeScale: 0.02 } });
        expect(JSON.stringify(paced.state)).toEqual(JSON.stringify(calm.state));
        const refused = throttled.callLog.filter(call => call.outcome !== 'OK');
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.every(call => call.outcome === 'TooManyRequestsException')).toBe(true);
        expect(paced.attempts).toBe(paced.callCount + refused.length);
        expect(mutatingCalls(throttled.callLog)).toEqual([]);
      } finally {
        await throttled.stop();
      }
    } finally {
      await f.stop();
    }
  });
});

describe('400 accounts', () => {
  test('round trip is identical; calls and time printed', async () => {
    const f = await startFixture({ quotas: QUOTAS });
    let big: Emulator | undefined;
    let copy: Emulator | undefined;
    try {
      await seedOrganization(f.emulator, f.org);
      // 400 accounts spread over 20 OUs, each with a tag, written straight into a state file.
      const state = f.emulator.state();
      const org = state.organization!;
      const ouIds = Object.keys(org.ous);
      const base = state.sequence;
      for (let i = 0; i < 20; i++) {
        const id = `ou-${org.root.id.slice(2)}-bulk${String(i).padStart(4, '0')}`;
        org.ous[id] = { id, name: `Bulk ${i}`, parentId: ouIds[i % ouIds.length], seq: base + 1 + i };
        org.attachments['p-FullAWSAccess'].push(id);
        ouIds.push(id);
      }
      const now = Date.now();
      for (let i = 0; Object.values(state.accounts).filter(a => a.membership).length < 400; i++) {
        const id = String(300000000000 + i);
        const seq = base + 100 + i;
        state.accounts[id] = {
          id,
          email: `bulk-${i}@example.com`,
          name: `Bulk ${i}`,
          createdAt: now,
          seq,
          state: 'ACTIVE',
          membership: { organizationId: org.id, joinedMethod: 'CREATED', joinedAt: now + i, seq, parentId: ouIds[i % ouIds.length] },
        };
        org.attachments['p-FullAWSAccess'].push(id);
        org.tags[id] = [{ Key: 'n', Value: String(i) }];
      }
      state.sequence = base + 1000;
      const file = path.join(dir, 'big.json');
      writeSnapshot(file, state);
      big = await Emulator.start({ stateFile: file, relaxed: true, quotas: QUOTAS });
      const first = await snapshotOf(big);
      expect(Object.values(first.state.accounts).filter(a => a.membership)).toHaveLength(400);
      writeSnapshot(path.join(dir, 'big-snapshot.json'), first.state);
      copy = await Emulator.start({ stateFile: path.join(dir, 'big-snapshot.json'), relaxed: true, quotas: QUOTAS });
      const second = await snapshotOf(copy);
      expect(JSON.stringify(second.state)).toEqual(JSON.stringify(first.state));
      expect(mutatingCalls(big.callLog)).toEqual([]);
      expect(mutatingCalls(copy.callLog)).toEqual([]);
      // Each operation has its own bucket: the slowest one bounds the paced time at AWS's rates.
      const pacedSeconds = Math.max(...Object.entries(first.calls).map(([operation, n]) => n / (operation === 'ListRoots' ? 0.8 : 8)));
      process.stdout.write(`snapshot of 400 accounts, ${Object.keys(first.state.organization!.ous).length} OUs, ${Object.keys(first.state.organization!.policies).length} policies: `
        + `${first.callCount} read calls (${JSON.stringify(first.calls)}) in ${first.elapsedMs} ms here, unpaced; `
        + `paced at 80% of AWS's rates, at least ${Math.ceil(pacedSeconds)} s\n`);
    } finally {
      await copy?.stop();
      await big?.stop();
      await f.stop();
    }
  });
});
