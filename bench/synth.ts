/**
 * Synth benchmark: the app of N accounts, N/10 OUs and 3 SCPs attached to every OU, written with
 * this library's constructs and with aws-cdk-lib's L1 types (bench/synth-app.ts), each synthesized
 * in a fresh node process (module loading included, as `cdk synth` pays it), alternating the two
 * so that both see the same machine load; the best of the repeats (least CPU time) counts.
 *
 * Time is CPU time (user and system) from the process start to the end of the synth: on a shared
 * machine it varies far less than wall time, which is also reported. Marginal time per account is
 * the slope between the two largest regular sizes (100 and 400); fixed overhead is the time at
 * N = 0 that slope extrapolates to, ours minus L1's.
 *
 *   npx ts-node --transpile-only bench/synth.ts [sizes=10,100,400] [repeats=3]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
/** CloudFormation's quota of resources per template. */
export const MAX_RESOURCES_PER_STACK = 500;

export interface SynthRun {
  readonly mode: 'ours' | 'l1';
  readonly shape: { accounts: number; ous: number; scps: number };
  /** Milliseconds from the process start to the first line of the app (node's own start). */
  readonly startMs: number;
  readonly buildMs: number;
  readonly synthMs: number;
  /** Milliseconds from the process start to the end of the synth. */
  readonly totalMs: number;
  /** CPU milliseconds (user and system, every thread) from the process start to the end of the synth: what the figures use. */
  readonly cpuTotalMs: number;
  readonly cpuBuildMs: number;
  readonly cpuSynthMs: number;
  readonly maxRssMb: number;
  readonly heapMb: number;
  readonly resources: number;
  readonly templateBytes: number;
}

export interface SynthSize {
  readonly accounts: number;
  readonly ours: SynthRun;
  readonly l1: SynthRun;
}

export interface SynthFigures {
  readonly sizes: SynthSize[];
  /** The two sizes the slope is measured between. */
  readonly slopeBetween: [number, number];
  /** Milliseconds per account, ours and L1's. */
  readonly marginalMsOurs: number;
  readonly marginalMsL1: number;
  /** Extrapolated milliseconds at N = 0, ours and L1's. */
  readonly fixedMsOurs: number;
  readonly fixedMsL1: number;
  /** Template bytes per added account (its share of OUs and attachments included). */
  readonly bytesPerAccount: number;
  readonly bytesPerAccountL1: number;
  /** The largest inline IAM policy text of one role (IAM counts it without whitespace; its quota is 10,240). */
  readonly iamPolicyBytes: number;
  /** Bytes of the stack's assets (the handler bundle and the provider framework's code). */
  readonly assetBytes: number;
  /** The most accounts that fit in one stack of this shape. */
  readonly largestAccounts: number;
}

/**
 * Compiles src/ and the bench app to plain JavaScript (esbuild, file by file, no bundling) in a
 * temporary directory that sees the repository's assets and node_modules.
 */
function compile(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const sources = [path.join(ROOT, 'bench', 'synth-app.ts'), ...listTs(path.join(ROOT, 'src'))];
  esbuild.buildSync({
    entryPoints: sources,
    outbase: ROOT,
    outdir: dir,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    logLevel: 'warning',
  });
  fs.symlinkSync(path.join(ROOT, 'assets'), path.join(dir, 'assets'));
  return path.join(dir, 'bench', 'synth-app.js');
}

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function runOne(script: string, mode: 'ours' | 'l1', accounts: number, outdir: string): SynthRun {
  fs.rmSync(outdir, { recursive: true, force: true });
  const output = execFileSync(process.execPath, [script, mode, String(accounts), outdir], {
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), CDK_DISABLE_VERSION_CHECK: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(output.trim().split('\n').pop()!);
}

/** The run least disturbed by the rest of the machine: the least CPU time. */
function best(runs: SynthRun[]): SynthRun {
  return runs.reduce((a, b) => (b.cpuTotalMs < a.cpuTotalMs ? b : a));
}

/** The largest inline policy text of one role: its own policies and the AWS::IAM::Policy resources attached to it. */
export function largestRolePolicy(template: any): number {
  const perRole: Record<string, number> = {};
  const size = (document: unknown) => JSON.stringify(document).length;
  for (const [id, resource] of Object.entries<any>(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      perRole[id] = (perRole[id] ?? 0) + (resource.Properties?.Policies ?? []).reduce((sum: number, p: any) => sum + size(p.PolicyDocument), 0);
    }
    if (resource.Type === 'AWS::IAM::Policy') {
      for (const role of resource.Properties?.Roles ?? []) {
        const roleId = role.Ref ?? JSON.stringify(role);
        perRole[roleId] = (perRole[roleId] ?? 0) + size(resource.Properties.PolicyDocument);
      }
    }
  }
  return Math.max(0, ...Object.values(perRole));
}

function directoryBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    return sum + (entry.isDirectory() ? directoryBytes(full) : fs.statSync(full).size);
  }, 0);
}

export interface SynthOptions {
  /** Accounts per measured size; the slope is measured between the last two. */
  readonly sizes: number[];
  readonly repeats: number;
  /** Also measure the largest stack of the shape. */
  readonly largest: boolean;
  /** Progress lines go here. */
  readonly log?: (line: string) => void;
}

export function runSynthBench(options: SynthOptions): SynthFigures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const log = options.log ?? (() => undefined);
  try {
    const script = compile(path.join(dir, 'build'));
    const outdir = path.join(dir, 'cdk.out');
    // One warm-up of each, so that the first measured run does not pay for cold disk caches.
    runOne(script, 'l1', options.sizes[0], outdir);
    runOne(script, 'ours', options.sizes[0], outdir);
    const measure = (accounts: number): SynthSize => {
      const ours: SynthRun[] = [];
      const l1: SynthRun[] = [];
      for (let i = 0; i < options.repeats; i++) {
        l1.push(runOne(script, 'l1', accounts, outdir));
        ours.push(runOne(script, 'ours', accounts, outdir));
      }
      const size = { accounts, ours: best(ours), l1: best(l1) };
      log(`synth ${accounts} accounts: ours ${size.ours.cpuTotalMs.toFixed(0)} ms, L1 ${size.l1.cpuTotalMs.toFixed(0)} ms (CPU)`);
      return size;
    };
    const sizes = options.sizes.map(measure);
    const [a, b] = sizes.slice(-2);
    const slope = (mode: 'ours' | 'l1') => (b[mode].cpuTotalMs - a[mode].cpuTotalMs) / (b.accounts - a.accounts);
    const fixed = (mode: 'ours' | 'l1') => a[mode].cpuTotalMs - slope(mode) * a.accounts;
    const bytes = (mode: 'ours' | 'l1') => (b[mode].templateBytes - a[mode].templateBytes) / (b.accounts - a.accounts);

    // The largest N whose stack stays within CloudFormation's quota: resources grow by one per
    // account, one per OU (N/10) and not at all per attachment.
    const first = sizes[0].ours;
    const fixedResources = first.resources - first.shape.accounts - first.shape.ous;
    let largestAccounts = 0;
    for (let n = 1; n + Math.ceil(n / 10) + fixedResources <= MAX_RESOURCES_PER_STACK; n++) largestAccounts = n;
    if (options.largest && !sizes.some(s => s.accounts === largestAccounts)) sizes.push(measure(largestAccounts));

    // IAM policy and assets: from one more synth of ours, kept.
    runOne(script, 'ours', options.sizes[0], outdir);
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Bench.template.json'), 'utf8'));
    const assetBytes = fs.readdirSync(outdir).filter(name => name.startsWith('asset.'))
      .reduce((sum, name) => sum + directoryBytes(path.join(outdir, name)), 0);

    return {
      sizes,
      slopeBetween: [a.accounts, b.accounts],
      marginalMsOurs: slope('ours'),
      marginalMsL1: slope('l1'),
      fixedMsOurs: fixed('ours'),
      fixedMsL1: fixed('l1'),
      bytesPerAccount: bytes('ours'),
      bytesPerAccountL1: bytes('l1'),
      iamPolicyBytes: largestRolePolicy(template),
      assetBytes,
      largestAccounts,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const sizes = (process.argv[2] ?? '10,100,400').split(',').map(Number);
  const repeats = Number(process.argv[3] ?? 3);
  const f = runSynthBench({ sizes, repeats, largest: true, log: line => console.error(line) });
  console.log('| accounts | resources | ours CPU ms | L1 CPU ms | ratio | ours wall ms | L1 wall ms | ours max RSS MB | L1 max RSS MB | ours bytes | L1 bytes |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of f.sizes) {
    console.log(`| ${s.accounts} | ${s.ours.resources} | ${s.ours.cpuTotalMs.toFixed(0)} | ${s.l1.cpuTotalMs.toFixed(0)} | ${(s.ours.cpuTotalMs / s.l1.cpuTotalMs).toFixed(2)} `
      + `| ${s.ours.totalMs.toFixed(0)} | ${s.l1.totalMs.toFixed(0)} `
      + `| ${s.ours.maxRssMb.toFixed(0)} | ${s.l1.maxRssMb.toFixed(0)} | ${s.ours.templateBytes} | ${s.l1.templateBytes} |`);
  }
  console.log(`marginal ms/account: ours ${f.marginalMsOurs.toFixed(3)}, L1 ${f.marginalMsL1.toFixed(3)} (${(f.marginalMsOurs / f.marginalMsL1).toFixed(2)}x); `
    + `fixed ms: ours ${f.fixedMsOurs.toFixed(0)}, L1 ${f.fixedMsL1.toFixed(0)} (+${(f.fixedMsOurs - f.fixedMsL1).toFixed(0)}); `
    + `bytes/account: ours ${f.bytesPerAccount.toFixed(0)}, L1 ${f.bytesPerAccountL1.toFixed(0)}; IAM ${f.iamPolicyBytes}; assets ${f.assetBytes}; largest N ${f.largestAccounts}`);
}

if (require.main === module) main();
