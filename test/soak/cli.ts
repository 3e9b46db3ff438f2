/**
 * The soak test, long: randomized lifecycles of app versions deployed with faults against the
 * emulator, checked after every step (see runner.ts).
 *
 *   npx ts-node --transpile-only --project test/tsconfig.json test/soak/cli.ts --lifecycles 20 --seed 1
 *
 * Options: --lifecycles N (default 20), --seed S (default 1), --only I[,J...] (lifecycle indexes,
 * to reproduce one), --steps MIN-MAX (deploys per lifecycle, default 3-6), --time-scale X
 * (default 0.002), --no-faults, --json FILE (the full report, with both app versions of every
 * violation), --quiet, --repro NAME|all (run the scripted reproductions of repros.ts). Exits 1
 * when a violation was found.
 */
import * as fs from 'fs';
import { REPROS } from './repros';
import { formatReport, runScript, runSoak, SoakOptions } from './runner';

function parseArgs(argv: readonly string[]): SoakOptions & { json?: string; quiet: boolean; repro?: string } {
  const options: Record<string, unknown> = { lifecycles: 20, seed: 1, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--lifecycles': options.lifecycles = Number(value()); break;
      case '--seed': options.seed = Number(value()); break;
      case '--only': options.only = value().split(',').map(Number); break;
      case '--steps': {
        const [min, max] = value().split('-').map(Number);
        options.minSteps = min;
        options.maxSteps = max ?? min;
        break;
      }
      case '--time-scale': options.timeScale = Number(value()); break;
      case '--no-faults': options.faults = false; break;
      case '--json': options.json = value(); break;
      case '--quiet': options.quiet = true; break;
      case '--repro': options.repro = value(); break;
      default: throw new Error(`Unknown option ${argv[i]}. Usage: cli.ts [--lifecycles N] [--seed S] [--only I,J] [--steps MIN-MAX] [--time-scale X] [--no-faults] [--json FILE] [--quiet] [--repro NAME|all]`);
    }
  }
  for (const key of ['lifecycles', 'seed', 'timeScale', 'minSteps', 'maxSteps']) {
    if (options[key] !== undefined && !Number.isFinite(options[key] as number)) throw new Error(`--${key} must be a number`);
  }
  return options as unknown as SoakOptions & { json?: string; quiet: boolean; repro?: string };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.repro) {
    const names = options.repro === 'all' ? Object.keys(REPROS) : options.repro.split(',');
    let found = 0;
    for (const name of names) {
      const repro = REPROS[name];
      if (!repro) throw new Error(`Unknown reproduction ${name}: one of ${Object.keys(REPROS).join(', ')}, or all`);
      console.log(`== ${name}: ${repro.description}`);
      const violations = await runScript(repro.steps, { timeScale: options.timeScale, log: options.quiet ? undefined : line => console.log(line) });
      for (const v of violations) console.log(`  [${v.class}] step ${v.step} ${v.action}: ${v.observation}`);
      console.log(`  ${violations.length} violations\n`);
      found += violations.length;
    }
    if (found > 0) process.exitCode = 1;
    return;
  }
  const report = await runSoak({ ...options, log: options.quiet ? undefined : line => console.log(line) });
  if (options.json) fs.writeFileSync(options.json, JSON.stringify(report, null, 2));
  console.log(`\n${formatReport(report)}`);
  if (report.violations.length > 0) process.exitCode = 1;
}

main().catch(error => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 2;
});
