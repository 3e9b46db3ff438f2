/**
 * Kill soak of the local deployer: the real constructs and the real handler bundle deployed against
 * the emulator by the `cdk-organizations deploy` command in a child process, killed (SIGKILL, or
 * Ctrl-C once or twice) at random points of creations, updates and rollbacks; after each kill the
 * documented recovery runs (deploy again; for a stack left in a failed state, the command its
 * message names, then deploy again), and the organization is checked: every stack deployable,
 * no duplicate, no orphan, no account closed or removed that a stack still declares.
 *
 *   npx ts-node --transpile-only test/deployer/kill-soak.ts --kills 50 --seed 1
 *
 * Prints its figures as JSON (and `--verbose` one line per kill); exits non-zero on any violation.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { spawnCli } from './support';
import { deploy, EmulatorAdmin, OrganizationsHttpClient, RunResult, StackDocument } from '../../local/deployer';
import { main as cli } from '../../local/deployer/cli';
import { Emulator } from '../../local/emulator';
import { Account, AccountRemovalAction, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType, Root } from '../../src';
import { Rng } from '../soak/generator';

export interface SoakOptions {
  readonly kills: number;
  readonly seed: number;
  readonly verbose?: (line: string) => void;
}

export interface SoakFigures {
  readonly kills: number;
  readonly bySignal: Record<string, number>;
  readonly byScenario: Record<string, number>;
  /** The stack status the kill left (what the next run had to finish). */
  readonly leftInStatus: Record<string, number>;
  /** Runs that ended before the chosen kill point (not counted as kills). */
  readonly finishedBeforeKill: number;
  /** Recoveries that needed the command a stuck state's message names, before deploying again. */
  readonly wayOutCommands: Record<string, number>;
  readonly recovered: number;
  readonly notDeployable: number;
  readonly duplicates: number;
  readonly orphans: number;
  readonly declaredAccountsClosedOrRemoved: number;
  readonly violations: readonly string[];
  readonly seconds: number;
}

type Scenario = 'create' | 'update' | 'rollback';
const MAIN = 'Org';

type Version = 'v1' | 'v2' | 'v3';

/**
 * The organization stack: v2 renames, moves, adds and changes; v3 changes v2 again and adds an
 * account whose email an account outside the organization holds: it fails, and the update rolls back.
 */
function mainApp(outdir: string, version: Version): string {
  const app = new App({ outdir });
  const stack = new Stack(app, MAIN);
  const organization = new Organization(stack, 'Organization');
  const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
  const sandbox = new OrganizationalUnit(stack, 'Sandbox', { organizationalUnitName: { v1: 'Sandbox', v2: 'Experiments', v3: 'Playground' }[version], parent: organization.root });
  new Account(stack, 'Prod', { accountName: 'prod', email: 'prod@example.com', parent: workloads, removalAction: AccountRemovalAction.CLOSE });
  new Account(stack, 'Dev', {
    accountName: 'dev', email: 'dev@example.com', parent: version === 'v2' ? workloads : sandbox, removalAction: AccountRemovalAction.REMOVE_FROM_ORGANIZATION,
  });
  const denied = { v1: 'organizations:LeaveOrganization', v2: 'account:CloseAccount', v3: 'iam:CreateUser' }[version];
  const guardrail = new Policy(stack, 'Guardrail', {
    policyName: 'guardrail',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: [denied], resources: ['*'] })],
    })),
  });
  guardrail.attachTo(workloads);
  if (version !== 'v1') {
    guardrail.attachTo(sandbox);
    new OrganizationalUnit(stack, 'Shared', { organizationalUnitName: 'Shared', parent: organization.root });
  }
  if (version === 'v3') new Account(stack, 'Clash', { accountName: 'clash', email: 'outside@example.com', parent: sandbox, removalAction: AccountRemovalAction.CLOSE });
  app.synth();
  return outdir;
}

/** A new stack of its own for each creation: an OU and two accounts with removal actions, under the root. */
function createApp(outdir: string, name: string, rootId: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, name);
  const root = Root.fromRootId(stack, 'Root', rootId);
  const team = new OrganizationalUnit(stack, 'Team', { organizationalUnitName: name, parent: root });
  new Account(stack, 'Member', { accountName: `${name}-member`, email: `${name.toLowerCase()}-member@example.com`, parent: team, removalAction: AccountRemovalAction.CLOSE });
  new Account(stack, 'Guest', { accountName: `${name}-guest`, email: `${name.toLowerCase()}-guest@example.com`, parent: team, removalAction: AccountRemovalAction.REMOVE_FROM_ORGANIZATION });
  app.synth();
  return outdir;
}

interface OrgAccount { Id: string; Name: string; Email: string; Status: string }

/** Duplicates, orphans and declared accounts closed or removed, read through the Organizations API. */
interface Findings {
  readonly duplicates: string[];
  readonly orphans: string[];
  readonly closed: string[];
}

/** `declared`: the emails of the accounts the apps deployed so far declare. */
async function inspect(endpoint: string, admin: EmulatorAdmin, managementAccountId: string, declared: ReadonlySet<string>): Promise<Findings> {
  const org = new OrganizationsHttpClient(endpoint);
  const accounts = await org.paginate<OrgAccount>('ListAccounts', {}, 'Accounts');
  const roots = await org.paginate<{ Id: string }>('ListRoots', {}, 'Roots');
  const ous: Array<{ Id: string; Name: string; parent: string }> = [];
  const visit = async (parent: string): Promise<void> => {
    for (const ou of await org.paginate<{ Id: string; Name: string }>('ListOrganizationalUnitsForParent', { ParentId: parent }, 'OrganizationalUnits')) {
      ous.push({ ...ou, parent });
      await visit(ou.Id);
    }
  };
  for (const root of roots) await visit(root.Id);
  const policies = (await org.paginate<{ Id: string; Name: string; AwsManaged: boolean }>('ListPolicies', { Filter: 'SERVICE_CONTROL_POLICY' }, 'Policies')).filter(p => !p.AwsManaged);

  const docs: StackDocument[] = [];
  for (const name of await admin.listStacks()) docs.push((await admin.getStack(name))!);
  const referenced = new Set(docs.flatMap(doc => Object.values(doc.resources).map(record => record.physicalId)));
  const declaredAccounts = docs.flatMap(doc => Object.entries(doc.resources)
    .filter(([, record]) => record.type === 'Custom::Organizations_Account')
    .map(([id, record]) => ({ stack: doc.stackName, id, accountId: record.physicalId, email: String(record.properties.Email) })));

  const duplicates: string[] = [];
  const count = <T>(items: T[], key: (item: T) => string, what: string) => {
    const seen = new Map<string, number>();
    for (const item of items) seen.set(key(item), (seen.get(key(item)) ?? 0) + 1);
    for (const [k, n] of seen) if (n > 1) duplicates.push(`${n} ${what} ${k}`);
  };
  count(accounts, a => a.Email, 'accounts with email');
  count(accounts.filter(a => a.Status === 'ACTIVE'), a => a.Name, 'active accounts named');
  count(ous, ou => `${ou.parent}/${ou.Name}`, 'OUs');
  count(policies, p => p.Name, 'policies named');

  const orphans = [
    ...accounts.filter(a => a.Status === 'ACTIVE' && a.Id !== managementAccountId && !referenced.has(a.Id)).map(a => `account ${a.Name} (${a.Id})`),
    ...ous.filter(ou => !referenced.has(ou.Id)).map(ou => `OU ${ou.Name} (${ou.Id})`),
    ...policies.filter(p => !referenced.has(p.Id)).map(p => `policy ${p.Name} (${p.Id})`),
  ];
  const byId = new Map(accounts.map(a => [a.Id, a]));
  const closed = declaredAccounts
    .filter(account => byId.get(account.accountId)?.Status !== 'ACTIVE')
    .map(account => `${account.stack}/${account.id} ${account.email}: ${byId.get(account.accountId)?.Status ?? 'not in the organization'}`);
  // Also what the apps declare, whatever the stacks say.
  for (const email of declared) {
    const account = accounts.find(a => a.Email === email);
    if (account?.Status !== 'ACTIVE' && !closed.some(text => text.includes(` ${email}:`))) closed.push(`${email}: ${account?.Status ?? 'not in the organization'}`);
  }
  return { duplicates, orphans, closed };
}

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const started = Date.now();
  const log = options.verbose ?? (() => undefined);
  const rng = new Rng(options.seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-soak-'));
  const codeCache = path.join(dir, 'code');
  const emulator = await Emulator.start({
    timeScale: 0.001,
    relaxed: true,
    seed: options.seed,
    // Accounts created by the soak may be removed from the organization at once.
    quotas: { accountRemovalWaitSeconds: 0, maxAccounts: 1000 },
  });
  const endpoint = emulator.endpoint;
  const admin = new EmulatorAdmin(endpoint);
  const common = { endpoint, codeCacheDir: codeCache };
  const figures = {
    kills: 0,
    bySignal: {} as Record<string, number>,
    byScenario: {} as Record<string, number>,
    leftInStatus: {} as Record<string, number>,
    finishedBeforeKill: 0,
    wayOutCommands: {} as Record<string, number>,
    recovered: 0,
    notDeployable: 0,
    duplicates: 0,
    orphans: 0,
    declaredAccountsClosedOrRemoved: 0,
    violations: [] as string[],
  };
  const bump = (table: Record<string, number>, key: string) => { table[key] = (table[key] ?? 0) + 1; };
  try {
    // An account outside the organization holds the email v3 declares: v3 fails and rolls back.
    emulator.createExternalAccount('outside@example.com', 'outside');
    const apps: Record<Version, string> = {
      v1: mainApp(path.join(dir, 'v1'), 'v1'),
      v2: mainApp(path.join(dir, 'v2'), 'v2'),
      v3: mainApp(path.join(dir, 'v3'), 'v3'),
    };
    const must = async (run: Promise<RunResult>, what: string) => {
      const result = await run;
      if (!result.success) throw new Error(`${what} failed: ${result.error}`);
      return result;
    };
    // Calibration: how long each kind of operation takes, to spread the kill points over it.
    const phaseMs = (result: RunResult, phase: string) => {
      const events = result.stacks.flatMap(stack => stack.events);
      const start = events.find(event => event.status === phase && event.resourceType === 'AWS::CloudFormation::Stack');
      return start ? Math.max(50, events[events.length - 1].elapsedMs - start.elapsedMs) : 1000;
    };
    const durations: Record<Scenario, number> = { create: 0, update: 0, rollback: 0 };
    durations.create = phaseMs(await must(deploy({ ...common, app: apps.v1 }), 'deploy v1'), 'CREATE_IN_PROGRESS');
    durations.update = phaseMs(await must(deploy({ ...common, app: apps.v2 }), 'deploy v2'), 'UPDATE_IN_PROGRESS');
    const failing = await deploy({ ...common, app: apps.v3 });
    if (failing.stacks[0]?.status !== 'UPDATE_ROLLBACK_COMPLETE') throw new Error(`v3 should roll back, got ${failing.stacks[0]?.status}: ${failing.error}`);
    durations.rollback = phaseMs(failing, 'UPDATE_ROLLBACK_IN_PROGRESS');
    const rootId = (await new OrganizationsHttpClient(endpoint).call<{ Roots: Array<{ Id: string }> }>('ListRoots')).Roots[0].Id;
    log(`calibration (ms): ${JSON.stringify(durations)}`);
    let current: Version = 'v2';
    const declared = new Set(['prod@example.com', 'dev@example.com']);
    const seen = new Set<string>();
    let cycle = 0;

    while (figures.kills < options.kills) {
      cycle++;
      const scenario: Scenario = (['create', 'update', 'rollback'] as const)[Math.floor(rng.next() * 3)];
      const draw = rng.next();
      const signal = draw < 0.6 ? 'SIGKILL' : draw < 0.8 ? 'SIGINT' : 'SIGINT twice';
      let stackName = MAIN;
      let app: string;
      let good: string;
      let phase: string;
      if (scenario === 'create') {
        stackName = `Team${cycle}`;
        app = good = createApp(path.join(dir, `create-${cycle}`), stackName, rootId);
        for (const kind of ['member', 'guest']) declared.add(`${stackName.toLowerCase()}-${kind}@example.com`);
        phase = 'CREATE_IN_PROGRESS';
      } else if (scenario === 'update') {
        const target: Version = current === 'v1' ? 'v2' : 'v1';
        app = good = apps[target];
        current = target;
        phase = 'UPDATE_IN_PROGRESS';
      } else {
        if (current !== 'v2') {
          await must(deploy({ ...common, app: apps.v2 }), 'deploy v2 before a rollback');
          current = 'v2';
        }
        app = apps.v3;
        good = apps.v2;
        phase = 'UPDATE_ROLLBACK_IN_PROGRESS';
      }
      // The run in a child process is faster than the first (cold) calibration run: aim within most of it.
      const delay = Math.floor(rng.next() * durations[scenario] * 0.7);
      const child = spawnCli(['deploy', '--app', app, '--endpoint', endpoint, '--code-cache', codeCache]);
      let exited = false;
      void child.exited.then(() => { exited = true; });
      const statusNow = async () => (await admin.getStack(stackName).catch(() => undefined))?.status;
      while (!exited && await statusNow() !== phase) await new Promise(resolve => setTimeout(resolve, 5));
      if (!exited) await new Promise(resolve => setTimeout(resolve, delay));
      const killed = !exited;
      if (!killed) {
        figures.finishedBeforeKill++;
        log(`#${cycle} ${scenario}: the run ended before the kill point`);
      } else {
        child.child.kill(signal === 'SIGKILL' ? 'SIGKILL' : 'SIGINT');
        if (signal === 'SIGINT twice') {
          await new Promise(resolve => setTimeout(resolve, Math.floor(rng.next() * 200)));
          child.child.kill('SIGINT');
        }
      }
      const end = await child.exited;
      if (killed) {
        figures.kills++;
        bump(figures.bySignal, signal);
        bump(figures.byScenario, scenario);
      }
      const left = (await admin.getStack(stackName))?.status ?? 'none';
      if (killed) bump(figures.leftInStatus, left);

      // The documented recovery: deploy again; a stuck state names its way out.
      let recovery = await deploy({ ...common, app });
      for (let attempt = 0; attempt < 3 && recovery.stacks.some(stack => stack.next && !stack.status?.endsWith('_IN_PROGRESS')); attempt++) {
        const next = recovery.stacks.find(stack => stack.next)!.next!;
        const command = /'cdk-organizations (deploy|destroy) ([^']*)'/.exec(next);
        if (!command) break;
        const words = command[2].split(' ');
        bump(figures.wayOutCommands, `${command[1]} ${words.filter(word => word.startsWith('--')).join(' ')}`);
        const lines: string[] = [];
        await cli(command[1] as 'deploy' | 'destroy', [...words, '--endpoint', endpoint, '--code-cache', codeCache], { out: line => lines.push(line), err: line => lines.push(line) });
        recovery = await deploy({ ...common, app });
      }
      // Deployable: the good version deploys.
      const check = await deploy({ ...common, app: good });
      if (check.success) {figures.recovered++;} else {
        figures.notDeployable++;
        figures.violations.push(`#${cycle} ${scenario} ${signal}: not deployable after recovery: ${check.error}`);
      }
      const found = await inspect(endpoint, admin, emulator.managementAccountId, declared);
      // Each finding counts once, in the cycle that first showed it.
      const fresh = (kind: string, items: string[]) => items.filter(item => !seen.has(`${kind}: ${item}`)).map(item => {
        seen.add(`${kind}: ${item}`);
        figures.violations.push(`#${cycle} ${scenario} ${signal}: ${kind}: ${item}`);
        return item;
      });
      figures.duplicates += fresh('duplicate', found.duplicates).length;
      figures.orphans += fresh('orphan', found.orphans).length;
      figures.declaredAccountsClosedOrRemoved += fresh('closed or removed', found.closed).length;
      log(`#${cycle} ${scenario} ${killed ? `${signal} ${delay} ms into ${phase}` : '(not killed)'}: exit ${end.code ?? end.signal}, left ${left}; `
        + `recovery: ${recovery.stacks.map(stack => stack.status).join(', ')}; deployable ${check.success}; `
        + `${found.duplicates.length} duplicates, ${found.orphans.length} orphans, ${found.closed.length} declared accounts closed/removed`);
    }
  } finally {
    await emulator.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ...figures, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { kills: { type: 'string', default: '50' }, seed: { type: 'string', default: '1' }, verbose: { type: 'boolean' } },
    strict: true,
  });
  const kills = Number(values.kills);
  const seed = Number(values.seed);
  if (!Number.isInteger(kills) || kills < 1 || !Number.isInteger(seed)) {
    process.stderr.write('Usage: kill-soak.ts [--kills N] [--seed S] [--verbose]\n');
    process.exit(1);
  }
  runSoak({ kills, seed, verbose: values.verbose ? line => process.stderr.write(`${line}\n`) : undefined }).then(
    result => {
      process.stdout.write(`${JSON.stringify(result, undefined, 2)}\n`);
      process.exitCode = result.violations.length === 0 ? 0 : 1;
    },
    error => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
