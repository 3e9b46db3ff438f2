/**
 * The benchmark suite's quick mode, run as `npm run bench` runs it (its own process), so that the
 * suite cannot rot. Its figures are checked for shape and sanity only: no time is asserted.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import type { BenchResult } from '../../bench/cli';
import { markdownTable, quotaLowerBound } from '../../bench/cli';

const ROOT = path.join(__dirname, '..', '..');

describe('bench/cli.ts --quick', () => {
  let result: BenchResult;

  beforeAll(() => {
    const output = execFileSync(process.execPath,
      [require.resolve('ts-node/dist/bin'), '--transpile-only', '--project', 'test/tsconfig.json', 'bench/cli.ts', '--quick', '--json'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    result = JSON.parse(output);
  }, 300_000);

  test('every section is measured, every figure is a finite number, and a figure with a target says whether it is met', () => {
    expect(result.quick).toBe(true);
    const sections = new Set(result.figures.map(f => f.section.split(' ')[0]));
    expect([...sections].sort()).toEqual(['deploy', 'handlers', 'package', 'synth']);
    for (const figure of result.figures) {
      expect(Number.isFinite(figure.value)).toBe(true);
      expect(figure.shown).not.toMatch(/NaN|Infinity|undefined/);
      expect(typeof figure.met === 'boolean').toBe(figure.target !== undefined);
    }
    const names = result.figures.map(f => f.name);
    for (const expected of [/marginal CPU ms per account/, /fixed CPU ms over L1/, /template bytes per account/, /largest IAM role policy/,
      /asset bytes/, /cold require/, /bundle size/, /simulated s \/ quota lower bound/, /API calls per account/, /throttled calls/,
      /calls by operation/, /redeploy, nothing changed/, /one account renamed/, /npm pack size/]) {
      expect(names.some(name => expected.test(name))).toBe(true);
    }
  });

  test('the figures that do not depend on the machine: the deploy succeeds, a redeploy changes nothing, one rename is one PutAccountName', () => {
    const [deploy] = result.deploys;
    const [run] = deploy.runs;
    expect(run.success).toBe(true);
    expect(run.timeouts).toBe(0);
    expect(run.simulatedSeconds).toBeGreaterThanOrEqual(deploy.bound);
    expect(run.redeploy?.mutatingCalls).toBe(0);
    expect(run.oneFieldChange?.calls.PutAccountName).toBe(1);
    expect(run.oneFieldChange?.calls.CreateAccount).toBeUndefined();
    const byOperation = Object.values(run.calls).reduce((sum, n) => sum + n, 0);
    expect(byOperation).toBeGreaterThanOrEqual(run.totalCalls);
  });

  test('synth figures: both apps measured at every size, the slope between the last two', () => {
    expect(result.synth.sizes.map(s => s.accounts)).toEqual([5, 20]);
    expect(result.synth.slopeBetween).toEqual([5, 20]);
    for (const size of result.synth.sizes) {
      expect(size.ours.shape).toEqual({ accounts: size.accounts, ous: Math.ceil(size.accounts / 10), scps: 3 });
      expect(size.l1.resources).toBeGreaterThan(size.accounts);
      expect(size.ours.templateBytes).toBeGreaterThan(0);
    }
    expect(result.synth.largestAccounts + Math.ceil(result.synth.largestAccounts / 10)).toBeLessThanOrEqual(500);
  });

  test('the markdown table has a row per figure, five cells each', () => {
    const lines = markdownTable(result.figures).split('\n');
    expect(lines).toHaveLength(result.figures.length + 2);
    for (const line of lines) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });

  test('the quota lower bound: creations 5 at a time, 60 s each, then OUs and attachments at their throttle rates', () => {
    // 436 accounts: 88 rounds of 60 s; 44 OUs at 1/s after a burst of 2; 132 attachments at 2/s after a burst of 3.
    expect(quotaLowerBound({ accounts: 436, ous: 44, scps: 3 })).toBeCloseTo(88 * 60 + 42 + 129 / 2);
    expect(quotaLowerBound({ accounts: 8, ous: 2, scps: 1 })).toBe(120);
  });
});
