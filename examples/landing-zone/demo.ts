/**
 * `npm run demo`: the example landing zone deployed to a local AWS Organizations emulator with the
 * library's real handlers, printed as a tree, then changed by its second version, which is first
 * planned against the organization (`cdk-organizations plan`, read-only) as a user would before a
 * deploy to a real management account.
 *
 * No AWS account, credentials or network: the emulator runs in this process, with AWS's real
 * quotas and throttling, its clock sped up by the time scale (default 0.01: a 60 s account creation
 * takes 0.6 s).
 *
 *   npm run demo [-- --time-scale 0.01] [-- --quiet]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { landingZoneApp, LandingZoneVersion } from './app';
import { organizationChanges, PolicyContents } from './changes';
import { deploy, formatEvent, OrganizationsHttpClient, OrganizationTree, readOrganizationTree, renderOrganizationTree, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import { liveClients } from '../../local/live/clients';
import { formatPlan, plan } from '../../local/live/plan';

interface DemoOptions {
  readonly timeScale: number;
  readonly quiet: boolean;
}

function parseArgs(argv: readonly string[]): DemoOptions {
  let timeScale = 0.01;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quiet') quiet = true;
    else if (arg === '--time-scale') timeScale = Number(argv[++i]);
    else if (arg.startsWith('--time-scale=')) timeScale = Number(arg.slice('--time-scale='.length));
    else throw new Error(`Unknown option ${arg}. Usage: npm run demo -- [--time-scale X] [--quiet]`);
  }
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, got ${timeScale}`);
  return { timeScale, quiet };
}

/** The content of every customer-managed policy of the organization, read through the API. */
async function policyContents(endpoint: string): Promise<PolicyContents> {
  const client = new OrganizationsHttpClient(endpoint);
  const contents = new Map<string, string>();
  const roots = await client.paginate<{ PolicyTypes?: Array<{ Type: string; Status: string }> }>('ListRoots', {}, 'Roots');
  const types = new Set(roots.flatMap(r => (r.PolicyTypes ?? []).filter(t => t.Status === 'ENABLED').map(t => t.Type)));
  for (const type of types) {
    for (const policy of await client.paginate<{ Id: string; AwsManaged: boolean }>('ListPolicies', { Filter: type }, 'Policies')) {
      if (policy.AwsManaged) continue;
      const { Policy } = await client.call<{ Policy: { Content: string } }>('DescribePolicy', { PolicyId: policy.Id });
      contents.set(policy.Id, Policy.Content);
    }
  }
  return contents;
}

/** The organization as the API shows it: its tree and its policies' contents. */
async function readOrganization(endpoint: string): Promise<{ tree: OrganizationTree; contents: PolicyContents }> {
  return { tree: await readOrganizationTree(endpoint), contents: await policyContents(endpoint) };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function summary(result: RunResult, emulator: Emulator, since: number, wallMs: number, timeScale: number): string[] {
  const stack = result.stacks[0];
  const calls = emulator.callLog.slice(since);
  const mutating = calls.filter(c => !/^(Describe|List|Get)/.test(c.operation));
  const throttled = calls.filter(c => c.outcome === 'TooManyRequestsException').length;
  const c = stack.counts;
  return [
    `  resources   ${c.created} created, ${c.updated} updated, ${c.replaced} replaced, ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.retained} retained`,
    `  API calls   ${calls.length} (${mutating.length} mutating, ${throttled} throttled and retried)`,
    `  time        ${seconds(wallMs)} wall at time scale ${timeScale}; at most ${(wallMs / timeScale / 60_000).toFixed(0)} min at AWS speed (wall time / time scale)`,
  ];
}

async function deployVersion(version: LandingZoneVersion, emulator: Emulator, options: DemoOptions, workdir: string): Promise<RunResult> {
  const outdir = path.join(workdir, `v${version}.cdk.out`);
  landingZoneApp(version, outdir).synth();
  const since = emulator.callLog.length;
  const started = Date.now();
  const result = await deploy({
    endpoint: emulator.endpoint,
    app: outdir,
    codeCacheDir: path.join(workdir, 'code'),
    onEvent: options.quiet ? undefined : event => console.log(formatEvent(event)),
  });
  const wallMs = Date.now() - started;
  if (!result.success) throw new Error(`Deploying version ${version} failed: ${result.error}`);
  console.log(`\nLandingZone v${version}: ${result.stacks[0].status}`);
  for (const line of summary(result, emulator, since, wallMs, options.timeScale)) console.log(line);
  return result;
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseArgs(argv);
  const started = Date.now();
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-organizations-demo-'));
  // AWS's real quotas and throttling; the caller's account is not in an organization yet.
  const emulator = await Emulator.start({ timeScale: options.timeScale });
  try {
    console.log(`AWS Organizations emulator at ${emulator.endpoint} (time scale ${options.timeScale}, real quotas and throttling)\n`);
    console.log('== Deploying the landing zone (examples/landing-zone/app.ts, version 1)');
    await deployVersion(1, emulator, options, workdir);
    const before = await readOrganization(emulator.endpoint);
    console.log(`\n${renderOrganizationTree(before.tree)}\n`);

    console.log('== Planning version 2 against the organization (cdk-organizations plan: read-only, rehearsed on a private copy)');
    const v2 = path.join(workdir, 'v2.cdk.out');
    landingZoneApp(2, v2).synth();
    const beforePlan = emulator.callLog.length;
    // The real SDK clients plan uses against AWS, pointed at the emulator (any credentials will do).
    const clients = liveClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDDEMO', secretAccessKey: 'demo' } });
    try {
      console.log(formatPlan(await plan(clients, { app: v2, codeCacheDir: path.join(workdir, 'code'), snapshot: { pacing: false } })));
    } finally {
      clients.destroy();
    }
    const planMutating = emulator.callLog.slice(beforePlan).filter(c => !/^(Describe|List|Get)/.test(c.operation)).length;
    console.log(`  (the plan made ${planMutating} mutating calls to the organization)\n`);

    console.log('== Applying version 2: Sandbox renamed to Experiments, team-sandbox moved to Dev, allowed-regions changed, deny-root-user removed');
    await deployVersion(2, emulator, options, workdir);
    const after = await readOrganization(emulator.endpoint);
    console.log('\nWhat changed in the organization (read through the Organizations API):');
    for (const line of organizationChanges(before.tree, after.tree, { before: before.contents, after: after.contents })) console.log(`  ${line}`);

    console.log('\n== Deploying version 2 again: nothing to do');
    const since = emulator.callLog.length;
    const again = await deploy({ endpoint: emulator.endpoint, app: path.join(workdir, 'v2.cdk.out'), codeCacheDir: path.join(workdir, 'code') });
    const mutating = emulator.callLog.slice(since).filter(c => !/^(Describe|List|Get)/.test(c.operation)).length;
    console.log(`  ${again.stacks[0].noChanges ? 'no changes' : 'changes'}, ${mutating} mutating API calls`);
    console.log(`\nDone in ${seconds(Date.now() - started)}.`);
  } finally {
    await emulator.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch(error => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
