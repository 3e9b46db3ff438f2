/**
 * The constructs end to end: a landing zone declared with the library, synthesized, deployed by
 * the local deployer (which runs the real bundled handlers through the provider framework's
 * lifecycle) against the Organizations emulator, changed, and destroyed; the organization is read
 * back through the SDK after each step.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DescribeAccountCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  PolicyType as SdkPolicyType,
} from '@aws-sdk/client-organizations';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { deploy, destroy, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import { Account, DelegatedAdministrator, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType } from '../../src';
import { HANDLER_ASSET_PATH } from '../../src/private/provider';

interface Version {
  readonly workloadsName: string;
  readonly prodName: string;
  readonly prodIn: 'workloads' | 'sandbox' | 'root';
  readonly deniedAction: string;
}

const V1: Version = { workloadsName: 'Workloads', prodName: 'prod', prodIn: 'workloads', deniedAction: 'organizations:LeaveOrganization' };
const V2: Version = { workloadsName: 'Applications', prodName: 'production', prodIn: 'sandbox', deniedAction: 'account:CloseAccount' };
/** Accounts are retained, and an OU is only deleted when empty: before a destroy, the account leaves its OU. */
const V3: Version = { ...V2, prodIn: 'root' };

let emulator: Emulator;
let client: OrganizationsClient;
let dir: string;

function synth(version: Version, name: string): string {
  const outdir = path.join(dir, name);
  const app = new App({ outdir });
  const stack = new Stack(app, 'LandingZone');
  const organization = new Organization(stack, 'Organization');
  const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: version.workloadsName, parent: organization.root });
  const sandbox = new OrganizationalUnit(stack, 'Sandbox', { organizationalUnitName: 'Sandbox', parent: organization.root, tags: { owner: 'research' } });
  const prod = new Account(stack, 'Prod', {
    accountName: version.prodName,
    email: 'aws+prod@example.com',
    parent: { workloads, sandbox, root: undefined }[version.prodIn],
  });
  const security = new Account(stack, 'Security', { accountName: 'security', email: 'aws+security@example.com', parent: organization.root });
  new DelegatedAdministrator(stack, 'GuardDutyAdministrator', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });

  const guardrail = new Policy(stack, 'Guardrail', {
    policyName: 'guardrail',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: [version.deniedAction], resources: ['*'] })],
    })),
  });
  guardrail.attachTo(workloads);
  prod.node.addDependency(guardrail);

  // A second stack: its policy's attachment to an OU of the first stack is a resource of its own.
  const policies = new Stack(app, 'Policies');
  new Policy(policies, 'CostCenter', {
    policyName: 'cost-center',
    policyType: PolicyType.TAG_POLICY,
    content: PolicyContent.fromJson({ tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } }),
  }).attachTo(sandbox);

  app.synth();
  return outdir;
}

async function run(outdir: string): Promise<RunResult> {
  const result = await deploy({ app: outdir, endpoint: emulator.endpoint, codeCacheDir: path.join(dir, 'code') });
  if (!result.success) throw new Error(`deploy failed: ${result.error}`);
  return result;
}

async function rootId(): Promise<string> {
  return (await client.send(new ListRootsCommand({}))).Roots![0].Id!;
}

async function ousUnder(parentId: string): Promise<Record<string, string>> {
  const ous = (await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId }))).OrganizationalUnits ?? [];
  return Object.fromEntries(ous.map(ou => [ou.Name!, ou.Id!]));
}

async function accountsUnder(parentId: string): Promise<string[]> {
  return ((await client.send(new ListAccountsForParentCommand({ ParentId: parentId }))).Accounts ?? []).map(a => a.Name!).sort();
}

async function policy(type: SdkPolicyType, name: string): Promise<{ content: any; targets: string[] } | undefined> {
  const summary = (await client.send(new ListPoliciesCommand({ Filter: type }))).Policies?.find(p => p.Name === name);
  if (!summary) return undefined;
  const described = await client.send(new DescribePolicyCommand({ PolicyId: summary.Id! }));
  const targets = (await client.send(new ListTargetsForPolicyCommand({ PolicyId: summary.Id! }))).Targets ?? [];
  return { content: JSON.parse(described.Policy!.Content!), targets: targets.map(t => t.Name!).sort() };
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(HANDLER_ASSET_PATH, 'index.js'))) throw new Error(`${HANDLER_ASSET_PATH}/index.js is missing: run 'npx projen bundle' first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-landing-zone-'));
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  client = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' } });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

let prodId: string;

test('version 1 creates the landing zone', async () => {
  const result = await run(synth(V1, 'v1'));

  expect(result.stacks.map(s => [s.stackName, s.status])).toEqual([['LandingZone', 'CREATE_COMPLETE'], ['Policies', 'CREATE_COMPLETE']]);
  // Accounts were created asynchronously: isComplete was polled until it answered with the
  // account (how many polls that took depends on the machine's speed, so it is not asserted).
  for (const account of ['Prod', 'Security']) {
    const polls = result.stacks[0].invocations.filter(i => i.phase === 'isComplete' && i.logicalId.startsWith(account));
    expect(polls[polls.length - 1]?.result).toMatchObject({ ok: true, payload: { IsComplete: true, PhysicalResourceId: expect.stringMatching(/^\d{12}$/) } });
  }
  const root = await rootId();
  const ous = await ousUnder(root);
  expect(Object.keys(ous).sort()).toEqual(['Sandbox', 'Workloads']);
  expect(await accountsUnder(ous.Workloads)).toEqual(['prod']);
  expect(await accountsUnder(root)).toContain('security');
  expect(await policy('SERVICE_CONTROL_POLICY', 'guardrail')).toEqual({
    content: { Statement: [{ Action: 'organizations:LeaveOrganization', Effect: 'Deny', Resource: '*' }], Version: '2012-10-17' },
    targets: ['Workloads'],
  });
  expect(await policy('TAG_POLICY', 'cost-center')).toMatchObject({ targets: ['Sandbox'] });
  const trusted = (await client.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!;
  expect(trusted.map(s => s.ServicePrincipal).sort()).toEqual(['account.amazonaws.com', 'guardduty.amazonaws.com']);
  const admins = (await client.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'guardduty.amazonaws.com' }))).DelegatedAdministrators!;
  expect(admins.map(a => a.Name)).toEqual(['security']);
  prodId = (await client.send(new ListAccountsForParentCommand({ ParentId: ous.Workloads }))).Accounts![0].Id!;
});

test('version 2 renames an OU and an account, moves the account and changes the policy, in place', async () => {
  const result = await run(synth(V2, 'v2'));

  const [landingZone, policies] = result.stacks;
  expect(landingZone).toMatchObject({ stackName: 'LandingZone', status: 'UPDATE_COMPLETE' });
  expect(landingZone.counts).toMatchObject({ replaced: 0 });
  expect(policies).toMatchObject({ stackName: 'Policies', noChanges: true });
  const ous = await ousUnder(await rootId());
  expect(Object.keys(ous).sort()).toEqual(['Applications', 'Sandbox']);
  expect(await accountsUnder(ous.Sandbox)).toEqual(['production']);
  expect((await client.send(new DescribeAccountCommand({ AccountId: prodId }))).Account!.Name).toBe('production');
  expect(await policy('SERVICE_CONTROL_POLICY', 'guardrail')).toMatchObject({
    content: { Statement: [{ Action: 'account:CloseAccount' }] },
    targets: ['Applications'],
  });
});

test('version 3 moves the account back to the root (no parent declared)', async () => {
  await run(synth(V3, 'v3'));

  expect(await accountsUnder(await rootId())).toEqual(expect.arrayContaining(['production', 'security']));
});

test('destroy removes what the stacks own, and keeps the accounts and the organization', async () => {
  const result = await destroy({ app: path.join(dir, 'v3'), endpoint: emulator.endpoint, codeCacheDir: path.join(dir, 'code') });
  if (!result.success) throw new Error(`destroy failed: ${result.error}`);

  const root = await rootId();
  expect(await ousUnder(root)).toEqual({});
  expect(await accountsUnder(root)).toEqual(expect.arrayContaining(['production', 'security']));
  expect(await policy('SERVICE_CONTROL_POLICY', 'guardrail')).toBeUndefined();
  expect(await policy('TAG_POLICY', 'cost-center')).toBeUndefined();
});
