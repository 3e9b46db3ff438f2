/**
 * The minimal apps that lost things, deployed with the local deployer against the emulator: the
 * real constructs, the real handler bundle, CloudFormation's lifecycle (rollbacks, abandoned
 * operations) and CloudFormation's answers to the handlers (the deployer's stack store).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { App, Stack } from 'aws-cdk-lib';
import { deploy, destroy, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import { Account, AccountRemovalAction, Organization, OrganizationalUnit } from '../../src';

let emulator: Emulator;
let org: OrganizationsClient;
let workdir: string;

beforeAll(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nothing-lost-e2e-'));
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true, withOrganization: true });
  org = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' } });
});
afterAll(async () => {
  org?.destroy();
  await emulator?.stop();
  fs.rmSync(workdir, { recursive: true, force: true });
});

const run = (action: typeof deploy | typeof destroy, app: string): Promise<RunResult> =>
  action({ endpoint: emulator.endpoint, app, codeCacheDir: path.join(workdir, 'code') });

interface Version {
  readonly ouName?: string;
  readonly account?: { readonly name: string; readonly removalAction: AccountRemovalAction };
  /**
   * An OU under a parent that does not exist: the deployment fails. `after`: once everything else
   * is done; `alongside`: at the same time as the rest, so that CloudFormation abandons what is in flight.
   */
  readonly doomed?: 'after' | 'alongside';
}

function synth(stackName: string, name: string, version: Version): string {
  const outdir = path.join(workdir, `${stackName}-${name}`);
  const app = new App({ outdir });
  const stack = new Stack(app, stackName);
  const organization = new Organization(stack, 'Organization');
  const declared = [];
  if (version.ouName) declared.push(new OrganizationalUnit(stack, 'Team', { organizationalUnitName: version.ouName, parent: organization.root }));
  if (version.account) {
    declared.push(new Account(stack, 'Sandbox', {
      accountName: version.account.name, email: `${stackName.toLowerCase()}-sandbox@example.com`, removalAction: version.account.removalAction,
    }));
  }
  if (version.doomed) {
    const missing = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Missing', 'ou-zzzz-zzzzzzzz');
    const doomed = new OrganizationalUnit(stack, 'Doomed', { organizationalUnitName: 'Doomed', parent: missing });
    if (version.doomed === 'after') for (const c of declared) doomed.node.addDependency(c);
  }
  app.synth();
  return outdir;
}

async function accountsWithEmail(email: string) {
  const accounts = (await org.send(new ListAccountsCommand({}))).Accounts ?? [];
  return accounts.filter(a => a.Email === email);
}

test('an account kept by a failed deployment is not closed by the rollback of the next failed one that declares CLOSE; once deployed, destroy closes it', async () => {
  const email = 'closing-sandbox@example.com';
  expect((await run(deploy, synth('Closing', 'v1', {}))).error).toBeUndefined();
  // v2 creates the account (RETAIN) and fails after it: the account stays.
  const v2 = await run(deploy, synth('Closing', 'v2', { account: { name: 'sandbox', removalAction: AccountRemovalAction.RETAIN }, doomed: 'after' }));
  expect(v2.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  const [kept] = await accountsWithEmail(email);
  expect(kept.State).toBe('ACTIVE');
  // v3 declares the same construct with CLOSE and fails again: its rollback must not close it.
  const v3 = await run(deploy, synth('Closing', 'v3', { account: { name: 'sandbox', removalAction: AccountRemovalAction.CLOSE }, doomed: 'after' }));
  expect(v3.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect((await org.send(new DescribeAccountCommand({ AccountId: kept.Id }))).Account!.State).toBe('ACTIVE');
  // v4 succeeds with it, and destroying the stack closes it, as declared; one account all along.
  const v4 = await run(deploy, synth('Closing', 'v4', { account: { name: 'sandbox', removalAction: AccountRemovalAction.CLOSE } }));
  expect(v4.error).toBeUndefined();
  expect(await accountsWithEmail(email)).toHaveLength(1);
  expect((await run(destroy, synth('Closing', 'v4', { account: { name: 'sandbox', removalAction: AccountRemovalAction.CLOSE } }))).error).toBeUndefined();
  expect((await org.send(new DescribeAccountCommand({ AccountId: kept.Id }))).Account!.State).toMatch(/^(PENDING_CLOSURE|SUSPENDED)$/);
  // Declared again: a closed account is never "created" again.
  const v5 = await run(deploy, synth('Closing', 'v5', { account: { name: 'sandbox', removalAction: AccountRemovalAction.CLOSE } }));
  expect(v5.success).toBe(false);
  expect(v5.error).toMatch(/is closed \((PENDING_CLOSURE|SUSPENDED)\).*Use another Email/);
});

test('a rename that lands after the rollback of its deployment is undone: the OU keeps its old name, and a redeploy of the new name renames it', async () => {
  const v1 = await run(deploy, synth('Renaming', 'v1', { ouName: 'Alpha' }));
  expect(v1.error).toBeUndefined();
  const ouId = v1.stacks[0].events.find(e => e.logicalId.startsWith('Team') && e.status === 'CREATE_COMPLETE')!.physicalId!;
  // The rename is slow; the doomed OU fails meanwhile, and CloudFormation rolls back without waiting for it.
  emulator.setFaults({ operations: { UpdateOrganizationalUnit: { latencyMs: 400 } } });
  try {
    const v2 = await run(deploy, synth('Renaming', 'v2', { ouName: 'Beta', doomed: 'alongside' }));
    expect(v2.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  } finally {
    emulator.setFaults(undefined);
  }
  expect((await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }))).OrganizationalUnit!.Name).toBe('Alpha');
  const v3 = await run(deploy, synth('Renaming', 'v3', { ouName: 'Beta' }));
  expect(v3.error).toBeUndefined();
  expect((await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }))).OrganizationalUnit!.Name).toBe('Beta');
});

test('an OU whose creation CloudFormation abandoned is not left behind: the rollback ends with the organization as before', async () => {
  expect((await run(deploy, synth('Creating', 'v1', {}))).error).toBeUndefined();
  const before = await ousUnderRoot();
  emulator.setFaults({ operations: { CreateOrganizationalUnit: { latencyMs: 400 } } });
  try {
    const v2 = await run(deploy, synth('Creating', 'v2', { ouName: 'Late', doomed: 'alongside' }));
    expect(v2.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  } finally {
    emulator.setFaults(undefined);
  }
  expect(await ousUnderRoot()).toEqual(before);
});

async function ousUnderRoot(): Promise<string[]> {
  const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
  return ((await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))).OrganizationalUnits ?? []).map(o => o.Name!).sort();
}
