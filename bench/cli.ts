/**
 * The benchmark suite: every figure the library is judged by, each with its target, measured in
 * one run. Prints a markdown table (figure, value, target, met), or JSON with `--json`.
 *
 *   npx ts-node --transpile-only --project test/tsconfig.json bench/cli.ts [--quick] [--json]
 *
 * - synth: N accounts, N/10 OUs and 3 SCPs on every OU, with this library and with aws-cdk-lib's
 *   L1 types, each in a fresh process (bench/synth.ts);
 * - the handler bundle: its size and its cold require;
 * - deploys with the local deployer against the emulator with AWS's quotas and throttling
 *   (bench/scenario.ts): simulated time against the quota lower bound, API calls, throttles and
 *   timeouts; then the same app again (nothing to change) and one field changed;
 * - the npm package's size.
 *
 * `--quick` measures small sizes only (seconds, not minutes): test/bench/bench.test.ts runs it so
 * that the suite cannot rot. Figures are printed, never asserted against a time.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_QUOTAS } from '../local/emulator/quotas';
import { HandlerBundle } from '../src/private/contract';
import { runScenario, ScenarioFigures, ScenarioShape } from './scenario';
import { MAX_RESOURCES_PER_STACK, runSynthBench, SynthFigures } from './synth';

const ROOT = path.join(__dirname, '..');
/** What the emulator's CreateAccount request takes (its default, simulated seconds). */
const ACCOUNT_CREATION_SECONDS = 60;
/** IAM's quota for the inline policies of one role, in characters without whitespace. */
const MAX_ROLE_POLICY_SIZE = 10_240;

export interface BenchOptions {
  readonly quick: boolean;
  /** Progress lines (stderr by default). */
  readonly log?: (line: string) => void;
}

/** One row of the table. `met` is undefined for a figure without target. */
export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  /** The value as the table shows it. */
  readonly shown: string;
  readonly target?: string;
  readonly met?: boolean;
}

export interface BenchResult {
  readonly quick: boolean;
  readonly figures: Figure[];
  readonly synth: SynthFigures;
  readonly deploys: Array<{ shape: ScenarioShape; bound: number; runs: ScenarioFigures[] }>;
}

/**
 * The least simulated time a deploy of `shape` can take under the emulator's quotas: the
 * accounts' creations, `maxCreateAccountInProgress` at a time (or CreateAccount's throttle, if
 * that is slower), plus the OUs' creations and the policies' attachments at their throttle rates
 * (what a bucket's burst lets through at once costs nothing).
 */
export function quotaLowerBound(shape: ScenarioShape): number {
  const q = DEFAULT_QUOTAS;
  const throttled = (count: number, operation: string) => {
    const limit = q.throttle[operation] ?? q.defaultThrottle;
    return Math.max(0, count - limit.burst) / limit.rate;
  };
  const accounts = Math.max(Math.ceil(shape.accounts / q.maxCreateAccountInProgress) * ACCOUNT_CREATION_SECONDS,
    throttled(shape.accounts, 'CreateAccount'));
  return accounts + throttled(shape.ous, 'CreateOrganizationalUnit') + throttled(shape.ous * shape.scps, 'AttachPolicy');
}

function bestOf<T>(times: number, run: () => T, value: (t: T) => number): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) best = Math.min(best, value(run()));
  return best;
}

/** Milliseconds `require` of the bundle takes in a fresh node process (what it adds to bare node), best of `times`. */
function coldRequireMs(file: string, times: number): number {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  return bestOf(times, () => execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), Number);
}

/** The package npm would publish: its packed size and files (a dry run, without scripts). */
function packSize(): { size: number; unpackedSize: number; entryCount: number } {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(output);
  return { size: pack.size, unpackedSize: pack.unpackedSize, entryCount: pack.entryCount };
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const figures: Figure[] = [];
  const add = (section: string, name: string, value: number, shown: string, target?: string, met?: boolean) =>
    figures.push({ section, name, value, shown, target, met });

  // Synth.
  log('synth...');
  const synth = runSynthBench({ sizes: options.quick ? [5, 20] : [10, 100, 400], repeats: options.quick ? 1 : 5, largest: !options.quick, log });
  for (const size of synth.sizes) {
    add('synth', `N = ${size.accounts}: CPU ms, ours / L1`, size.ours.cpuTotalMs / size.l1.cpuTotalMs,
      `${fmt(size.ours.cpuTotalMs)} / ${fmt(size.l1.cpuTotalMs)} (${fmt(size.ours.cpuTotalMs / size.l1.cpuTotalMs, 2)}x)`);
    add('synth', `N = ${size.accounts}: max RSS MB, ours / L1`, size.ours.maxRssMb, `${fmt(size.ours.maxRssMb)} / ${fmt(size.l1.maxRssMb)}`);
    add('synth', `N = ${size.accounts}: resources, ours / L1`, size.ours.resources, `${size.ours.resources} / ${size.l1.resources}`,
      `<= ${MAX_RESOURCES_PER_STACK}`, size.ours.resources <= MAX_RESOURCES_PER_STACK);
  }
  const [from, to] = synth.slopeBetween;
  const marginal = synth.marginalMsOurs / synth.marginalMsL1;
  add('synth', `marginal CPU ms per account (N = ${from} to ${to}), ours / L1`, marginal,
    `${fmt(synth.marginalMsOurs, 2)} / ${fmt(synth.marginalMsL1, 2)} (${fmt(marginal, 2)}x)`, '<= 1.3x', marginal <= 1.3);
  const fixed = synth.fixedMsOurs - synth.fixedMsL1;
  add('synth', 'fixed CPU ms over L1', fixed, `${fixed >= 0 ? '+' : ''}${fmt(fixed)} (${fmt(synth.fixedMsOurs)} vs ${fmt(synth.fixedMsL1)})`, '<= +500', fixed <= 500);
  add('synth', 'template bytes per account', synth.bytesPerAccount, `${fmt(synth.bytesPerAccount)} (L1: ${fmt(synth.bytesPerAccountL1)})`, '<= 600',
    synth.bytesPerAccount <= 600);
  add('synth', 'largest IAM role policy (characters)', synth.iamPolicyBytes, fmt(synth.iamPolicyBytes), `<= ${fmt(MAX_ROLE_POLICY_SIZE)}`,
    synth.iamPolicyBytes <= MAX_ROLE_POLICY_SIZE);
  add('synth', 'asset bytes', synth.assetBytes, kb(synth.assetBytes));
  add('synth', 'largest N in one stack', synth.largestAccounts, `${synth.largestAccounts} accounts, ${Math.ceil(synth.largestAccounts / 10)} OUs, 3 SCPs`);

  // The handler bundle.
  log('handler bundle...');
  const bundle = path.join(ROOT, ...HandlerBundle.DIRECTORY.split('/'), HandlerBundle.FILE);
  const bundleBytes = fs.statSync(bundle).size;
  add('handlers', 'bundle size', bundleBytes, kb(bundleBytes));
  const requireMs = coldRequireMs(bundle, options.quick ? 1 : 5);
  add('handlers', 'cold require over bare node (ms)', requireMs, fmt(requireMs), '<= 100', requireMs <= 100);

  // Deploys.
  const deploys: BenchResult['deploys'] = [];
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const regular: ScenarioShape = options.quick ? { accounts: 8, ous: 2, scps: 1 } : { accounts: 100, ous: 10, scps: 3 };
    const scales = options.quick ? [0.05] : [0.005, 0.05];
    const runs: ScenarioFigures[] = [];
    for (const scale of scales) {
      log(`deploy ${regular.accounts} accounts at time scale ${scale}...`);
      runs.push(await runScenario(regular, scale, workdir, scale === scales[0]));
    }
    deploys.push({ shape: regular, bound: quotaLowerBound(regular), runs });
    deployFigures(add, regular, runs);

    if (!options.quick) {
      const largest = { accounts: synth.largestAccounts, ous: Math.ceil(synth.largestAccounts / 10), scps: 3 };
      log(`deploy ${largest.accounts} accounts at time scale 0.005...`);
      const run = await runScenario(largest, 0.005, workdir);
      deploys.push({ shape: largest, bound: quotaLowerBound(largest), runs: [run] });
      deployFigures(add, largest, [run]);
    }
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }

  // The package.
  log('npm pack...');
  const pack = packSize();
  add('package', 'npm pack size (files)', pack.size, `${kb(pack.size)} (${pack.entryCount} files, ${kb(pack.unpackedSize)} unpacked)`);

  return { quick: options.quick, figures, synth, deploys };
}

function deployFigures(add: (section: string, name: string, value: number, shown: string, target?: string, met?: boolean) => void,
  shape: ScenarioShape, runs: ScenarioFigures[]): void {
  const section = `deploy ${shape.accounts} accounts + ${shape.ous} OUs + ${shape.scps} SCPs`;
  const [first] = runs;
  const bound = quotaLowerBound(shape);
  const ratio = first.simulatedSeconds / bound;
  add(section, `outcome (time scale ${first.timeScale})`, first.success ? 1 : 0, first.status ?? first.error ?? 'none', 'one deployment', first.success);
  add(section, 'timeouts', first.timeouts, String(first.timeouts), '0', first.timeouts === 0);
  add(section, 'simulated s / quota lower bound', ratio, `${fmt(first.simulatedSeconds, 1)} / ${fmt(bound, 1)} (${fmt(ratio, 2)}x)`, '<= 1.1x', ratio <= 1.1);
  const perAccount = first.totalCalls / shape.accounts;
  add(section, 'API calls per account (all included)', perAccount, `${fmt(perAccount, 1)} (${fmt(first.totalCalls)} calls)`, '<= 12', perAccount <= 12);
  const throttledBy = Object.entries(first.throttledByOperation ?? {}).sort((a, b) => b[1] - a[1]);
  add(section, 'throttled calls', first.throttled, `${fmt(first.throttled)}${throttledBy.length ? ` (${throttledBy.map(([operation, count]) => `${operation} ${count}`).join(', ')})` : ''}`);
  const top = Object.entries(first.calls).sort((a, b) => b[1] - a[1]);
  add(section, 'calls by operation', top.length, top.map(([operation, count]) => `${operation} ${count}`).join(', '));
  add(section, 'most creations in flight / CreateAccount refused for the quota', first.maxCreationsInFlight,
    `${first.maxCreationsInFlight} / ${first.refusedForQuota}`, '<= 5 / 0', first.maxCreationsInFlight <= 5 && first.refusedForQuota === 0);
  if (runs.length > 1) {
    const [a, b] = runs;
    const spread = (x: number, y: number) => Math.abs(x - y) / Math.max(x, y, 1);
    const worst = Math.max(spread(a.simulatedSeconds, b.simulatedSeconds), spread(a.totalCalls, b.totalCalls));
    add(section, `same figures at time scales ${a.timeScale} and ${b.timeScale}`, worst,
      `${fmt(a.simulatedSeconds, 1)} s vs ${fmt(b.simulatedSeconds, 1)} s, ${a.totalCalls} vs ${b.totalCalls} calls (${fmt(worst * 100, 1)}%)`,
      '±5%', worst <= 0.05);
  }
  if (first.redeploy) {
    const r = first.redeploy;
    add(section, 'redeploy, nothing changed: mutating calls', r.mutatingCalls, `${r.mutatingCalls} (${r.totalCalls} calls, ${fmt(r.simulatedSeconds, 1)} s)`,
      '0', r.success && r.mutatingCalls === 0);
  }
  if (first.oneFieldChange) {
    const c = first.oneFieldChange;
    add(section, 'one account renamed: calls', c.totalCalls,
      `${c.totalCalls} (${c.mutatingCalls} mutating: ${Object.entries(c.calls).map(([operation, count]) => `${operation} ${count}`).join(', ')}; ${fmt(c.simulatedSeconds, 1)} s)`,
      'succeeds', c.success);
  }
}

/** The figures as a markdown table. */
export function markdownTable(figures: readonly Figure[]): string {
  const lines = ['| section | figure | value | target | met |', '|---|---|---|---|---|'];
  for (const f of figures) {
    lines.push(`| ${f.section} | ${f.name} | ${f.shown.replace(/\|/g, '\\|')} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'met' : 'NOT MET'} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter(arg => arg !== '--quick' && arg !== '--json');
  if (unknown.length) throw new Error(`unknown arguments: ${unknown.join(' ')} (usage: bench/cli.ts [--quick] [--json])`);
  const result = await runBench({ quick: args.includes('--quick') });
  if (args.includes('--json')) {
    console.log(JSON.stringify(result, undefined, 1));
  } else {
    console.log(`${result.quick ? 'Quick run' : 'Benchmarks'} on node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')}`);
    console.log();
    console.log(markdownTable(result.figures));
  }
}

if (require.main === module) {
  main().catch(error => {
    console.error(error);
    process.exitCode = 1;
  });
}
