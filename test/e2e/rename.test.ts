/**
 * Moving constructs in the tree changes their logical ids: CloudFormation creates the new resources
 * and deletes the old ones. With the real constructs, the local deployer and the emulator, this
 * checks that such a refactoring loses nothing (the account with RemovalAction CLOSE is not closed,
 * the OU, the policy, its attachment, the policy type and the delegated administrator all stay),
 * that a refactoring which rolls back loses nothing either, and that the new resources then own
 * what they took over: destroying the stack removes it as the app asked.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  ListDelegatedServicesForAccountCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { deploy, destroy, RunResult } from '../../local/deployer';
import { Emulator } from '../../local/emulator';
import {
  Account,
  AccountRemovalAction,
  DelegatedAdministrator,
  Organization,
  OrganizationalUnit,
  Policy,
  PolicyContent,
  PolicyType,
} from '../../src';

let emulator: Emulator;
let org: OrganizationsClient;
let workdir: string;

beforeAll(async () => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rename-e2e-'));
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  org = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' } });
});
afterAll(async () => {
  org?.destroy();
  await emulator?.stop();
  fs.rmSync(workdir, { recursive: true, force: true });
});

/**
 * The same organization, with its constructs under `scope` (so every logical id depends on it);
 * `broken` adds an OU under a parent that does not exist, after everything else, to fail the deployment.
 */
function synth(name: string, scopeId: string | undefined, broken = false): string {
  const outdir = path.join(workdir, name);
  const app = new App({ outdir });
  const stack = new Stack(app, 'Refactored');
  const organization = new Organization(stack, 'Organization');
  const scope = scopeId ? new Construct(stack, scopeId) : stack;
  const prod = new OrganizationalUnit(scope, 'Prod', { organizationalUnitName: 'Prod', parent: organization.root });
  const app1 = new Account(scope, 'App', { accountName: 'app', email: 'app@example.com', removalAction: AccountRemovalAction.CLOSE });
  const guardrail = new Policy(scope, 'Guardrail', {
    policyName: 'guardrail',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] }),
  });
  guardrail.attachTo(prod);
  const tags = new Policy(scope, 'CostCenter', {
    policyName: 'cost-center',
    policyType: PolicyType.TAG_POLICY,
    content: PolicyContent.fromJson({ tags: { 'cost-center': { tag_key: { '@@assign': 'cost-center' } } } }),
  });
  tags.attachTo(organization.root);
  const admin = new DelegatedAdministrator(scope, 'GuardDuty', { account: app1, servicePrincipal: 'guardduty.amazonaws.com' });
  if (broken) {
    const missing = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Missing', 'ou-zzzz-zzzzzzzz');
    const doomed = new OrganizationalUnit(stack, 'Doomed', { organizationalUnitName: 'Doomed', parent: missing });
    for (const c of [prod, app1, guardrail, tags, admin]) doomed.node.addDependency(c);
  }
  app.synth();
  return outdir;
}

const run = (action: typeof deploy | typeof destroy, app: string): Promise<RunResult> =>
  action({ endpoint: emulator.endpoint, app, codeCacheDir: path.join(workdir, 'code') });

function physicalId(result: RunResult, pathPrefix: string): string {
  const event = result.stacks[0].events.find(e => e.constructPath?.startsWith(pathPrefix) && e.status === 'CREATE_COMPLETE' && e.physicalId);
  if (!event) throw new Error(`no resource created under ${pathPrefix}`);
  return event.physicalId!;
}

async function tagsOf(id: string): Promise<Record<string, string>> {
  const tags = (await org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags ?? [];
  return Object.fromEntries(tags.map(t => [t.Key!, t.Value!]));
}

/** What the organization holds, as the API reports it. */
async function state(ids: { ou: string; account: string; guardrail: string; costCenter: string }) {
  const root = (await org.send(new ListRootsCommand({}))).Roots![0];
  const exists = (p: Promise<unknown>) => p.then(() => true, () => false);
  return {
    ouExists: await exists(org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ids.ou }))),
    accountState: (await org.send(new DescribeAccountCommand({ AccountId: ids.account }))).Account!.State,
    guardrailTargets: await org.send(new ListTargetsForPolicyCommand({ PolicyId: ids.guardrail }))
      .then(o => (o.Targets ?? []).map(t => t.TargetId), () => undefined),
    costCenterExists: await exists(org.send(new DescribePolicyCommand({ PolicyId: ids.costCenter }))),
    tagPolicyEnabled: (root.PolicyTypes ?? []).some(t => t.Type === 'TAG_POLICY' && t.Status === 'ENABLED'),
    delegated: await org.send(new ListDelegatedServicesForAccountCommand({ AccountId: ids.account }))
      .then(o => (o.DelegatedServices ?? []).map(s => s.ServicePrincipal), () => []),
  };
}

test('moving every construct in the tree loses nothing, a moved deployment that rolls back loses nothing, and the new resources own what they took over', async () => {
  const v1 = await run(deploy, synth('v1', undefined));
  expect(v1.error).toBeUndefined();
  const ids = {
    ou: physicalId(v1, 'Prod/'),
    account: physicalId(v1, 'App/'),
    guardrail: physicalId(v1, 'Guardrail/'),
    costCenter: physicalId(v1, 'CostCenter/'),
  };
  const intact = {
    ouExists: true,
    accountState: 'ACTIVE',
    guardrailTargets: [ids.ou],
    costCenterExists: true,
    tagPolicyEnabled: true,
    delegated: ['guardduty.amazonaws.com'],
  };
  expect(await state(ids)).toEqual(intact);

  // Every construct but the organization moves under a new scope: new logical ids for all of them.
  const v2 = await run(deploy, synth('v2', 'Workloads'));
  expect(v2.error).toBeUndefined();
  const deleted = v2.stacks[0].events.filter(e => e.status === 'DELETE_COMPLETE').map(e => e.logicalId);
  expect(deleted.length).toBeGreaterThanOrEqual(5); // the old resources really were deleted...
  expect(await state(ids)).toEqual(intact); // ...and nothing was lost
  const ownerV2 = (await tagsOf(ids.ou))['cdk-organizations:owner'];
  expect(ownerV2).toMatch(/^Refactored\/WorkloadsProd[0-9A-F]{8}$/);
  expect(await tagsOf(ids.ou)).not.toHaveProperty(['cdk-organizations:previous-owner']);

  // Moved again, and the deployment fails: the rollback gives everything back to the v2 resources.
  const v3 = await run(deploy, synth('v3', 'Moved', true));
  expect(v3.success).toBe(false);
  expect(v3.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(await state(ids)).toEqual(intact);
  expect((await tagsOf(ids.ou))['cdk-organizations:owner']).toBe(ownerV2);
  expect((await tagsOf(ids.account))['cdk-organizations:owner']).toMatch(/^Refactored\/WorkloadsApp[0-9A-F]{8}$/);

  // The v2 resources own what they took over: destroying the stack removes it as the app declared.
  const gone = await run(destroy, path.join(workdir, 'v2'));
  expect(gone.error).toBeUndefined();
  expect(await state(ids)).toEqual({
    ouExists: false,
    accountState: expect.stringMatching(/^(PENDING_CLOSURE|SUSPENDED)$/),
    guardrailTargets: undefined,
    costCenterExists: false,
    tagPolicyEnabled: false,
    delegated: [],
  });
});
