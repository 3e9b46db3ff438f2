/**
 * The real handler bundle (assets/handlers, built by `npx projen bundle`) deployed by the local
 * deployer against the emulator, with raw CustomResources of the contract's types served by a
 * custom_resources.Provider; the resulting organization is read back through the SDK.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  DescribePolicyCommand, ListAccountsForParentCommand, ListAWSServiceAccessForOrganizationCommand, ListDelegatedAdministratorsCommand,
  ListOrganizationalUnitsForParentCommand, ListPoliciesCommand, ListRootsCommand, ListTargetsForPolicyCommand, OrganizationsClient,
  DescribeOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { App, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Workspace } from './support';
import { deploy, destroy, EmulatorAdmin, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import {
  AccountProperty, AwsServiceAccessProperty, DelegatedAdministratorProperty, EnabledPolicyTypeProperty, OrganizationAttrs, OrganizationalUnitProperty,
  OrganizationProperty, PolicyProperty, ResourceType,
} from '../../src/private/contract';

const HANDLERS = path.join(__dirname, '..', '..', 'assets', 'handlers');
const STACK = 'Landing';

interface Version {
  readonly workloadsName: string;
  readonly workloadsUnderSecurity: boolean;
  readonly securityName: string;
  readonly auditIn: 'workloads' | 'root';
  readonly policyAction: string;
  readonly policyOn: 'security' | 'workloads';
  readonly brokenOu?: boolean;
}

const V1: Version = { workloadsName: 'Workloads', workloadsUnderSecurity: false, securityName: 'Security', auditIn: 'workloads', policyAction: 'organizations:LeaveOrganization', policyOn: 'security' };
const V2: Version = { ...V1, workloadsName: 'Apps', workloadsUnderSecurity: true, policyAction: 'account:CloseAccount', policyOn: 'workloads' };
const V3: Version = { ...V2, securityName: 'SecOps', brokenOu: true };
const V4: Version = { ...V2, auditIn: 'root' };

function synth(workspace: Workspace, version: Version, name: string): string {
  const outdir = path.join(workspace.dir, name);
  const app = new App({ outdir });
  const stack = new Stack(app, STACK);
  const common = { code: lambda.Code.fromAsset(HANDLERS), runtime: lambda.Runtime.NODEJS_22_X, timeout: Duration.minutes(5) };
  const provider = new cr.Provider(stack, 'Provider', {
    onEventHandler: new lambda.Function(stack, 'OnEvent', { ...common, handler: 'index.onEvent' }),
    isCompleteHandler: new lambda.Function(stack, 'IsComplete', { ...common, handler: 'index.isComplete' }),
    queryInterval: Duration.seconds(5),
    totalTimeout: Duration.minutes(30),
  });
  const resource = (id: string, resourceType: string, properties: Record<string, unknown>) =>
    new CustomResource(stack, id, { serviceToken: provider.serviceToken, resourceType, properties });

  const organization = resource('Organization', ResourceType.ORGANIZATION, { [OrganizationProperty.FEATURE_SET]: 'ALL' });
  organization.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const root = organization.getAttString(OrganizationAttrs.ROOT_ID);
  const scp = resource('ScpEnabled', ResourceType.ENABLED_POLICY_TYPE, { [EnabledPolicyTypeProperty.ROOT_ID]: root, [EnabledPolicyTypeProperty.POLICY_TYPE]: 'SERVICE_CONTROL_POLICY' });
  const security = resource('Security', ResourceType.ORGANIZATIONAL_UNIT, { [OrganizationalUnitProperty.NAME]: version.securityName, [OrganizationalUnitProperty.PARENT_ID]: root });
  const workloads = resource('Workloads', ResourceType.ORGANIZATIONAL_UNIT, {
    [OrganizationalUnitProperty.NAME]: version.workloadsName,
    [OrganizationalUnitProperty.PARENT_ID]: version.workloadsUnderSecurity ? security.ref : root,
  });
  const audit = resource('Audit', ResourceType.ACCOUNT, {
    [AccountProperty.ACCOUNT_NAME]: 'Audit',
    [AccountProperty.EMAIL]: 'audit@example.com',
    [AccountProperty.PARENT_ID]: version.auditIn === 'root' ? root : workloads.ref,
  });
  audit.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const policy = resource('Guardrail', ResourceType.POLICY, {
    [PolicyProperty.NAME]: 'Guardrail',
    [PolicyProperty.TYPE]: 'SERVICE_CONTROL_POLICY',
    [PolicyProperty.CONTENT]: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: version.policyAction, Resource: '*' }] }),
    [PolicyProperty.TARGET_IDS]: [version.policyOn === 'security' ? security.ref : workloads.ref],
  });
  policy.node.addDependency(scp);
  const access = resource('ConfigAccess', ResourceType.AWS_SERVICE_ACCESS, { [AwsServiceAccessProperty.SERVICE_PRINCIPAL]: 'config.amazonaws.com' });
  access.node.addDependency(organization);
  const admin = resource('ConfigAdmin', ResourceType.DELEGATED_ADMINISTRATOR, {
    [DelegatedAdministratorProperty.ACCOUNT_ID]: audit.ref,
    [DelegatedAdministratorProperty.SERVICE_PRINCIPAL]: 'config.amazonaws.com',
  });
  admin.node.addDependency(access);
  if (version.brokenOu) {
    // After the rename: had it still been running when Broken failed, CloudFormation would have sent
    // the rollback Update while the forward one ran (it stops waiting), and either could land last.
    resource('Broken', ResourceType.ORGANIZATIONAL_UNIT, { [OrganizationalUnitProperty.NAME]: 'Broken', [OrganizationalUnitProperty.PARENT_ID]: 'ou-zzzz-zzzzzzzz' })
      .node.addDependency(security);
  }
  app.synth();
  return outdir;
}

let emulator: Emulator;
let workspace: Workspace;
let client: OrganizationsClient;

beforeAll(async () => {
  if (!fs.existsSync(path.join(HANDLERS, 'index.js'))) throw new Error(`${HANDLERS}/index.js is missing: run 'npx projen bundle' first`);
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  workspace = new Workspace();
  client = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' } });
});
afterAll(async () => {
  client.destroy();
  await emulator.stop();
  workspace?.cleanup();
});

const run = (app: string) => deploy({ app, endpoint: emulator.endpoint, codeCacheDir: workspace.codeCache });

async function rootId(): Promise<string> {
  return (await client.send(new ListRootsCommand({}))).Roots![0].Id!;
}
async function ous(parentId: string) {
  return (await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId }))).OrganizationalUnits!
    .map(ou => ({ id: ou.Id!, name: ou.Name! })).sort((a, b) => a.name.localeCompare(b.name));
}
async function accountNames(parentId: string) {
  return (await client.send(new ListAccountsForParentCommand({ ParentId: parentId }))).Accounts!.map(a => a.Name).sort();
}
async function guardrail() {
  const summary = (await client.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies!.find(p => p.Name === 'Guardrail');
  if (!summary) return undefined;
  const content = JSON.parse((await client.send(new DescribePolicyCommand({ PolicyId: summary.Id! }))).Policy!.Content!);
  const targets = (await client.send(new ListTargetsForPolicyCommand({ PolicyId: summary.Id! }))).Targets!.map(t => t.Name);
  return { id: summary.Id!, action: content.Statement[0].Action, targets };
}
function expectSuccess(result: RunResult) {
  if (!result.success) throw new Error(`deploy failed: ${result.error}`);
}

let workloadsV1: string;

test('v1 creates the organization, OUs, an account, a policy, trusted access and a delegated administrator', async () => {
  const result = await run(synth(workspace, V1, 'v1'));

  expectSuccess(result);
  expect(result.stacks[0].status).toBe('CREATE_COMPLETE');
  const root = await rootId();
  const top = await ous(root);
  expect(top.map(ou => ou.name)).toEqual(['Security', 'Workloads']);
  workloadsV1 = top[1].id;
  expect(await accountNames(workloadsV1)).toEqual(['Audit']);
  expect(await guardrail()).toMatchObject({ action: 'organizations:LeaveOrganization', targets: ['Security'] });
  expect((await client.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals!.map(s => s.ServicePrincipal)).toEqual(['config.amazonaws.com']);
  expect((await client.send(new ListDelegatedAdministratorsCommand({}))).DelegatedAdministrators!.map(a => a.Name)).toEqual(['Audit']);
  // The account was created asynchronously: onEvent returned with the request in progress (no
  // account yet), and isComplete was polled until it answered with the account. (How many polls
  // that took depends on the machine's speed, so it is not asserted.)
  const audit = result.stacks[0].invocations.filter(i => i.logicalId === 'Audit');
  const onEvent = audit.find(i => i.phase === 'onEvent')!;
  expect(onEvent.result).toMatchObject({ ok: true, payload: { Data: { CreateAccountRequestId: expect.stringMatching(/^car-/) } } });
  expect((onEvent.result as { payload: { PhysicalResourceId?: string } }).payload.PhysicalResourceId).toBeUndefined();
  const polls = audit.filter(i => i.phase === 'isComplete');
  expect(polls.length).toBeGreaterThanOrEqual(1);
  expect(polls.every(i => i.result.ok)).toBe(true);
  expect(polls[polls.length - 1].result).toMatchObject({ ok: true, payload: { IsComplete: true, PhysicalResourceId: expect.stringMatching(/^\d{12}$/) } });
});

test('v2 renames and moves an OU (a replacement), the account follows it, the policy changes; the old OU goes in the cleanup', async () => {
  const result = await run(synth(workspace, V2, 'v2'));

  expectSuccess(result);
  expect(result.stacks[0].status).toBe('UPDATE_COMPLETE');
  expect(result.stacks[0].counts).toMatchObject({ replaced: 1 });
  const root = await rootId();
  expect((await ous(root)).map(ou => ou.name)).toEqual(['Security']);
  const security = (await ous(root))[0];
  const [apps] = await ous(security.id);
  expect(apps.name).toBe('Apps');
  expect(apps.id).not.toBe(workloadsV1);
  expect(await accountNames(apps.id)).toEqual(['Audit']);
  expect(await guardrail()).toMatchObject({ action: 'account:CloseAccount', targets: ['Apps'] });
  const events = result.stacks[0].events;
  const cleanup = events.findIndex(e => e.status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
  const deleteOldOu = events.findIndex(e => e.logicalId === 'Workloads' && e.status === 'DELETE_COMPLETE');
  expect(cleanup).toBeGreaterThan(events.findIndex(e => e.logicalId === 'Audit' && e.status === 'UPDATE_COMPLETE'));
  expect(deleteOldOu).toBeGreaterThan(cleanup);
  expect(events[deleteOldOu].physicalId).toBe(workloadsV1);
});

test('v3 fails on an OU under a parent that does not exist, and rolls the rename back', async () => {
  const result = await run(synth(workspace, V3, 'v3'));

  expect(result.success).toBe(false);
  expect(result.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(result.error).toMatch(/^Landing: Broken: .*ou-zzzz-zzzzzzzz does not exist/);
  const root = await rootId();
  expect((await ous(root)).map(ou => ou.name)).toEqual(['Security']);
  expect((await ous((await ous(root))[0].id)).map(ou => ou.name)).toEqual(['Apps']);
  const doc = await new EmulatorAdmin(emulator.endpoint).getStack(STACK);
  expect(doc!.resources.Security.properties[OrganizationalUnitProperty.NAME]).toBe('Security');
});

test('v4 moves the account to the root; destroy removes what the stack owns and keeps the retained account and organization', async () => {
  expectSuccess(await run(synth(workspace, V4, 'v4')));
  const root = await rootId();
  expect(await accountNames(root)).toContain('Audit');

  const destroyed = await destroy({ app: path.join(workspace.dir, 'v4'), endpoint: emulator.endpoint, codeCacheDir: workspace.codeCache });

  if (!destroyed.success) throw new Error(`destroy failed: ${destroyed.error}`);
  expect(destroyed.stacks[0].events.filter(e => e.status === 'DELETE_SKIPPED').map(e => e.logicalId).sort()).toEqual(['Audit', 'Organization']);
  expect(await ous(root)).toEqual([]);
  expect(await guardrail()).toBeUndefined();
  expect((await client.send(new ListDelegatedAdministratorsCommand({}))).DelegatedAdministrators).toEqual([]);
  expect((await client.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals).toEqual([]);
  expect(await accountNames(root)).toContain('Audit');
  expect((await client.send(new DescribeOrganizationCommand({}))).Organization!.Id).toMatch(/^o-/);
  expect(await new EmulatorAdmin(emulator.endpoint).getStack(STACK)).toBeUndefined();
});
