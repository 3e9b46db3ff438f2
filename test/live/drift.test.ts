/**
 * `drift`: an app deployed by the local deployer, the organization changed out of band through the
 * real SDK (one change of each kind), and every change reported; an untouched organization
 * reports nothing. CloudFormation is read with @aws-sdk/client-cloudformation from the emulator.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AttachPolicyCommand,
  CloseAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeregisterDelegatedAdministratorCommand,
  DetachPolicyCommand,
  DisableAWSServiceAccessCommand,
  DisablePolicyTypeCommand,
  MoveAccountCommand,
  OrganizationsClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateOrganizationalUnitCommand,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { App, Stack } from 'aws-cdk-lib';
import { clientsOf, mutatingCalls } from './support';
import { deploy } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import { main } from '../../local/live/cli';
import { drift, DriftReport } from '../../local/live/drift';
import { Account, DelegatedAdministrator, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType } from '../../src';
import { HANDLER_ASSET_PATH } from '../../src/private/provider';

jest.setTimeout(180_000);

let emulator: Emulator;
let org: OrganizationsClient;
let dir: string;

const SCP = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });

function synth(): string {
  const outdir = path.join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'OrgStack');
  const organization = new Organization(stack, 'Organization', {
    enabledPolicyTypes: [PolicyType.TAG_POLICY],
    awsServiceAccessPrincipals: ['guardduty.amazonaws.com', 'config.amazonaws.com'],
  });
  const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root, tags: { tier: 'apps', team: 'platform' } });
  const prod = new OrganizationalUnit(stack, 'Prod', { organizationalUnitName: 'Prod', parent: workloads });
  new Account(stack, 'App', { accountName: 'app', email: 'aws+app@example.com', parent: prod, tags: { CostCenter: '42' } });
  const security = new Account(stack, 'Security', { accountName: 'security', email: 'aws+security@example.com', parent: organization.root });
  new Account(stack, 'Sandbox', { accountName: 'sandbox', email: 'aws+sandbox@example.com', parent: workloads });
  new DelegatedAdministrator(stack, 'GuardDutyAdmin', { account: security, servicePrincipal: 'guardduty.amazonaws.com' });
  new Policy(stack, 'Guardrail', {
    policyName: 'guardrail',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromJson(SCP('organizations:LeaveOrganization')),
  }).attachTo(workloads);
  // A second stack: its attachment to an OU of the first stack is a PolicyAttachment resource.
  const policies = new Stack(app, 'PolicyStack');
  new Policy(policies, 'CostCenter', {
    policyName: 'cost-center',
    policyType: PolicyType.TAG_POLICY,
    content: PolicyContent.fromJson({ tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } }),
  }).attachTo(prod);
  app.synth();
  return outdir;
}

async function driftNow(options: { unmanaged?: boolean } = {}): Promise<DriftReport> {
  const clients = clientsOf(emulator);
  try {
    return await drift(clients, { ...options, snapshot: { pacing: false } });
  } finally {
    clients.destroy();
  }
}

function physicalIds(stackName: string): Record<string, string> {
  const doc = emulator.state().stacks[stackName] as { resources: Record<string, { physicalId: string; type: string }> };
  const ids: Record<string, string> = {};
  for (const [logicalId, r] of Object.entries(doc.resources)) if (r.type.startsWith('Custom::Organizations_')) ids[logicalId.replace(/[0-9A-F]{8}$/, '')] = r.physicalId;
  return ids;
}

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args[0] as 'drift', args.slice(1), { out: text => { out += `${text}\n`; }, err: text => { err += `${text}\n`; } });
  return { code, out, err };
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(HANDLER_ASSET_PATH, 'index.js'))) throw new Error(`${HANDLER_ASSET_PATH}/index.js is missing: run 'npx projen bundle' first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-drift-'));
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  org = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' } });
  const result = await deploy({ app: synth(), endpoint: emulator.endpoint, codeCacheDir: path.join(dir, 'code') });
  if (!result.success) throw new Error(`deploy failed: ${result.error}`);
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
  process.env.AWS_SECRET_ACCESS_KEY = 'emulator';
  process.env.AWS_REGION = 'us-east-1';
});

afterAll(async () => {
  org?.destroy();
  await emulator?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the emulator serves ListStacks, and DescribeStacks with outputs (exports) and parameters, to the real CloudFormation client', async () => {
  const cfn = new CloudFormationClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' } });
  try {
    const all = await cfn.send(new ListStacksCommand({}));
    expect(all.StackSummaries!.map(s => [s.StackName, s.StackStatus]).sort()).toEqual([['OrgStack', 'CREATE_COMPLETE'], ['PolicyStack', 'CREATE_COMPLETE']]);
    expect((await cfn.send(new ListStacksCommand({ StackStatusFilter: ['UPDATE_COMPLETE'] }))).StackSummaries ?? []).toEqual([]);
    const orgStack = (await cfn.send(new DescribeStacksCommand({ StackName: 'OrgStack' }))).Stacks![0];
    const prodId = physicalIds('OrgStack').Prod;
    expect(orgStack.Outputs).toContainEqual(expect.objectContaining({ OutputValue: prodId, ExportName: expect.stringMatching(/^OrgStack:ExportsOutputRefProd/) }));
    expect(orgStack.Parameters).toContainEqual(expect.objectContaining({ ParameterKey: 'BootstrapVersion' }));
  } finally {
    cfn.destroy();
  }
});

test('an untouched organization has no drift: exit 0, and no mutating call', async () => {
  const before = emulator.callLog.length;
  const report = await driftNow();
  expect([...report.stacks].sort()).toEqual(['OrgStack', 'PolicyStack']);
  expect(report.warnings).toEqual([]);
  expect(report.drifts).toEqual([]);
  const cli = await runCli(['drift', '--endpoint', emulator.endpoint]);
  expect(cli.err).toBe('');
  expect(cli.out).toMatch(/^No drift: /);
  expect(cli.code).toBe(0);
  expect(mutatingCalls(emulator.callLog.slice(before))).toEqual([]);
});

test('every change made out of band is reported, on the resource that declares it; exit 2', async () => {
  const ids = { ...physicalIds('OrgStack'), ...physicalIds('PolicyStack') };
  const rootId = emulator.state().organization!.root.id;
  await org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: ids.Prod, Name: 'Production' }));
  await org.send(new MoveAccountCommand({ AccountId: ids.App, SourceParentId: ids.Prod, DestinationParentId: rootId }));
  await org.send(new CloseAccountCommand({ AccountId: ids.Sandbox }));
  await org.send(new UpdatePolicyCommand({ PolicyId: ids.Guardrail, Content: JSON.stringify(SCP('ec2:*')) }));
  await org.send(new DetachPolicyCommand({ PolicyId: ids.Guardrail, TargetId: ids.Workloads }));
  const handMade = (await org.send(new CreatePolicyCommand({ Name: 'by-hand', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: JSON.stringify(SCP('s3:*')) }))).Policy!.PolicySummary!.Id!;
  await org.send(new AttachPolicyCommand({ PolicyId: handMade, TargetId: ids.Workloads }));
  await org.send(new TagResourceCommand({ ResourceId: ids.App, Tags: [{ Key: 'CostCenter', Value: '7' }] }));
  await org.send(new UntagResourceCommand({ ResourceId: ids.Workloads, TagKeys: ['team'] }));
  await org.send(new DeregisterDelegatedAdministratorCommand({ AccountId: ids.Security, ServicePrincipal: 'guardduty.amazonaws.com' }));
  await org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: 'config.amazonaws.com' }));
  await org.send(new DetachPolicyCommand({ PolicyId: ids.CostCenter, TargetId: ids.Prod }));
  await org.send(new DisablePolicyTypeCommand({ RootId: rootId, PolicyType: 'TAG_POLICY' }));
  const handOu = (await org.send(new CreateOrganizationalUnitCommand({ Name: 'Hand made', ParentId: rootId }))).OrganizationalUnit!.Id!;

  const before = emulator.callLog.length;
  const report = await driftNow({ unmanaged: true });
  const seen = report.drifts.map(d => `${d.stackName}/${d.logicalId.replace(/[0-9A-F]{8}$/, '')} ${d.kind}`).sort();
  expect(seen).toEqual([
    'OrgStack/App moved',
    'OrgStack/App tags',
    'OrgStack/GuardDutyAdmin deregistered',
    'OrgStack/Guardrail content',
    'OrgStack/Guardrail detached',
    'OrgStack/OrganizationAwsServiceAccessconfigamazonawscom disabled',
    'OrgStack/OrganizationEnabledPolicyTypeTAGPOLICY disabled',
    'OrgStack/Prod renamed',
    'OrgStack/Sandbox closed',
    'OrgStack/Workloads attached',
    'OrgStack/Workloads tags',
    'PolicyStack/CostCenterAttachedToOrgStackProdDFBA8C36 detached',
  ].sort());
  const message = (kind: string) => report.drifts.find(d => d.kind === kind)!.message;
  expect(message('renamed')).toBe(`OU ${ids.Prod} was renamed from "Prod" to "Production"`);
  expect(message('attached')).toBe(`policy by-hand (${handMade}) was attached to OU Workloads (${ids.Workloads}) outside the stacks`);
  expect(report.drifts.filter(d => d.kind === 'tags').map(d => d.message).sort()).toEqual(['tag CostCenter changed from "42" to "7"', 'tag team removed']);
  expect(report.unmanaged).toEqual([{ kind: 'organizational-unit', id: handOu, name: 'Hand made' }, { kind: 'policy', id: handMade, name: 'by-hand' }]);
  expect(mutatingCalls(emulator.callLog.slice(before))).toEqual([]);

  const cli = await runCli(['drift', '--endpoint', emulator.endpoint, '--stack', 'PolicyStack', '--json']);
  expect(cli.code).toBe(2);
  expect(JSON.parse(cli.out).drifts.map((d: { kind: string }) => d.kind)).toEqual(['detached']);
});
