/**
 * The soak test's quick mode: a few seeded lifecycles of randomized app versions deployed with
 * faults on every call, rollbacks included, checked after every step (see runner.ts). The long
 * run is `test/soak/cli.ts --lifecycles N --seed S`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AppSpec, generate, mutate, Names, Rng } from './generator';
import { Finding, declaredViolations, lossViolations, rollbackViolations } from './invariants';
import { REPROS } from './repros';
import { formatReport, runScript, runSoak } from './runner';
import { Snapshot } from './snapshot';
import { HANDLER_ASSET_PATH } from '../../src/private/provider';

const QUICK = { seed: 7, lifecycles: 3, minSteps: 3, maxSteps: 4 };

test('every scripted reproduction of a defect the soak found ends with no violation (open ones aside)', async () => {
  const found: string[] = [];
  for (const [name, repro] of Object.entries(REPROS).filter(([, r]) => !r.open)) {
    for (const v of await runScript(repro.steps, {})) found.push(`${name}: [${v.class}] step ${v.step} ${v.action}: ${v.observation}`);
  }
  expect(found).toEqual([]);
}, 300_000);

test('a few seeded lifecycles under faults break no invariant: no duplicate, orphan, unasked closure, unclean rollback, drift or unexpected failure', async () => {
  if (!fs.existsSync(path.join(HANDLER_ASSET_PATH, 'index.js'))) throw new Error(`${HANDLER_ASSET_PATH}/index.js is missing: run 'npx projen bundle' first`);
  const report = await runSoak(QUICK);
  expect(report.deploys).toBeGreaterThanOrEqual(QUICK.lifecycles * QUICK.minSteps);
  expect(report.failuresIntended).toBeGreaterThan(0);
  // The report names seed, lifecycle, step, the versions' difference and the observation of each violation.
  expect(report.violations.length === 0 ? 'none' : formatReport(report)).toBe('none');
}, 600_000);

describe('the generator', () => {
  test('the same seed gives the same versions, and every mutation keeps OU names unique under a parent', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      const names = new Names(0);
      const versions: AppSpec[] = [generate(rng, names)];
      for (let i = 0; i < 30; i++) versions.push(mutate(versions[versions.length - 1], rng, names, 0.3).spec);
      return versions;
    };
    const versions = run(3);
    expect(run(3)).toEqual(versions);
    for (const v of versions) {
      const names = v.ous.map(o => `${o.parent}/${o.name}`);
      expect(new Set(names).size).toBe(names.length);
      const emails = v.accounts.map(a => a.email);
      expect(new Set(emails).size).toBe(emails.length);
      for (const p of v.policies) for (const t of p.targets) expect(['root', ...v.ous.map(o => o.key), ...v.accounts.map(a => a.key)]).toContain(t);
    }
    expect(versions.some(v => v.doom)).toBe(true);
  });
});

describe('the invariants catch what they promise to catch', () => {
  const ledger = (initial: Snapshot) => ({
    initial,
    handMade: new Set<string>(),
    removal: new Map(),
    appAccounts: new Map(),
    leftByRollback: new Set<string>(),
    otherStackTypes: new Set<string>(),
    releasedTags: new Map<string, Record<string, string>>(),
  });
  const base: Snapshot = {
    rootId: 'r-1',
    rootTags: {},
    policyTypes: { SERVICE_CONTROL_POLICY: 'ENABLED' },
    trustedAccess: [],
    delegatedAdmins: [],
    ous: { 'ou-1': { id: 'ou-1', name: 'Team', parentId: 'r-1', tags: { 'team': 'x', 'cdk-organizations:owner': 'S/Team' } } },
    accounts: { 111111111111: { id: '111111111111', name: 'a', email: 'a@example.com', status: 'ACTIVE', parentId: 'r-1', tags: {} } },
    policies: {},
  };
  const spec: AppSpec = { stacks: 1, ous: [{ key: 'ou1', id: 'Team', name: 'Team', parent: 'root', tags: { team: 'x' } }], accounts: [], policies: [], admins: [] };
  const classes = (findings: Finding[]) => findings.map(f => f.class);

  test('a declared OU as declared passes; changed tags, a stranger owner and a left-behind OU do not', () => {
    expect(declaredViolations(spec, new Map([['ou1', 'S/Team']]), base, ledger(base))).toEqual([]);
    expect(classes(declaredViolations({ ...spec, ous: [{ ...spec.ous[0], tags: {} }] }, new Map([['ou1', 'S/Team']]), base, ledger(base)))).toEqual(['drift after success']);
    expect(classes(declaredViolations(spec, new Map([['ou1', 'S/TeamOu']]), base, ledger(base)))).toEqual(['drift after success']);
    const empty = { ...base, ous: {} };
    expect(classes(declaredViolations({ ...spec, ous: [] }, new Map(), base, ledger(empty)))).toEqual(['orphan']);
  });

  test('an OU made by hand keeps the tags a removal left on it when adopted again; a tag the app left otherwise is drift', () => {
    const byHand: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { team: 'x' } } } };
    const l = ledger(base);
    l.handMade.add('ou-1');
    // Released (no longer declared) with the tag team=x: that is how the next adoption finds it.
    expect(declaredViolations({ ...spec, ous: [] }, new Map(), byHand, l)).toEqual([]);
    const readopted = { ...spec, ous: [{ ...spec.ous[0], tags: { env: 'dev' } }] };
    const withBoth: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { team: 'x', env: 'dev' } } } };
    expect(declaredViolations(readopted, new Map(), withBoth, l)).toEqual([]);
    // Another value than the one left, or the same OU never released: drift.
    const changed: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { team: 'y', env: 'dev' } } } };
    expect(classes(declaredViolations(readopted, new Map(), changed, l))).toEqual(['drift after success']);
    const fresh = ledger(base);
    fresh.handMade.add('ou-1');
    expect(classes(declaredViolations(readopted, new Map(), withBoth, fresh))).toEqual(['drift after success']);
  });

  test('a closure the app did not declare is a loss; one it declared and removed is not', () => {
    const closed: Snapshot = { ...base, accounts: { 111111111111: { ...base.accounts['111111111111'], status: 'PENDING_CLOSURE' } } };
    const l = ledger(base);
    l.appAccounts.set('111111111111', 'acct1');
    l.removal.set('acct1', 'RETAIN');
    expect(classes(lossViolations(base, closed, l, true, { ...spec, ous: [] }))).toEqual(['unintended closure/removal/deletion']);
    l.removal.set('acct1', 'CLOSE');
    expect(lossViolations(base, closed, l, true, { ...spec, ous: [] })).toEqual([]);
    expect(classes(lossViolations(base, closed, l, false, { ...spec, ous: [] }))).toEqual(['unintended closure/removal/deletion']);
  });

  test('a rollback must restore ownership tags too', () => {
    const retagged: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { 'team': 'x', 'cdk-organizations:owner': 'S/TeamOu' } } } };
    expect(rollbackViolations(base, base, spec, 'UPDATE_ROLLBACK_COMPLETE')).toEqual([]);
    expect(rollbackViolations(base, retagged, spec, 'UPDATE_ROLLBACK_COMPLETE')).toEqual([
      { class: 'unclean rollback', observation: expect.stringContaining('OU ou-1 (Team) ownership tags') },
    ]);
    expect(classes(rollbackViolations(base, base, spec, 'UPDATE_ROLLBACK_FAILED'))).toEqual(['unclean rollback']);
    // A creation marker of an ended request, or a claim from itself, decides nothing: not a difference.
    const marked: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { ...base.ous['ou-1'].tags, 'cdk-organizations:previous-owner': 'created:1:req' } } } };
    expect(rollbackViolations(marked, base, spec, 'UPDATE_ROLLBACK_COMPLETE')).toEqual([]);
    const self: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { ...base.ous['ou-1'].tags, 'cdk-organizations:previous-owner': 'S/Team' } } } };
    expect(rollbackViolations(base, self, spec, 'UPDATE_ROLLBACK_COMPLETE')).toEqual([]);
    const pending: Snapshot = { ...base, ous: { 'ou-1': { ...base.ous['ou-1'], tags: { ...base.ous['ou-1'].tags, 'cdk-organizations:previous-owner': 'S/Old' } } } };
    expect(classes(rollbackViolations(base, pending, spec, 'UPDATE_ROLLBACK_COMPLETE'))).toEqual(['unclean rollback']);
  });
});
