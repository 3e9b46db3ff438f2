/**
 * The quick start of the README with the real handlers: its destroy ends DELETE_FAILED (the retained
 * account holds its OU), and the command the failure names gets the stack out; the next deploy adopts
 * what was kept.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { deploy, destroy, EmulatorAdmin, OrganizationsHttpClient } from '../../local/deployer';
import { main } from '../../local/deployer/cli';
import { Emulator } from '../../local/emulator';
import { Account, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType } from '../../src';

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stuck-organization-'));
});
afterAll(async () => {
  await emulator.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function quickStart(): string {
  const outdir = path.join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Organization');
  const organization = new Organization(stack, 'Organization');
  const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
  const prod = new Account(stack, 'Prod', { accountName: 'prod', email: 'aws+prod@example.com', parent: workloads });
  const denyLeave = new Policy(stack, 'DenyLeave', {
    policyName: 'deny-leave-organization',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['organizations:LeaveOrganization'], resources: ['*'] })],
    })),
  });
  denyLeave.attachTo(workloads);
  prod.node.addDependency(denyLeave);
  app.synth();
  return outdir;
}

test('destroy of the quick start ends DELETE_FAILED; destroy --retain-resources as the message says gets it out, and deploy adopts what was kept', async () => {
  const app = quickStart();
  const common = { endpoint: emulator.endpoint, codeCacheDir: path.join(dir, 'code') };
  expect((await deploy({ ...common, app })).success).toBe(true);
  const org = new OrganizationsHttpClient(emulator.endpoint);
  const prodId = (await org.paginate<{ Id: string; Email: string }>('ListAccounts', {}, 'Accounts')).find(a => a.Email === 'aws+prod@example.com')!.Id;

  const failed = await destroy({ ...common, app });

  expect(failed.stacks[0].status).toBe('DELETE_FAILED');
  const doc = (await new EmulatorAdmin(emulator.endpoint).getStack('Organization'))!;
  const stuckIds = Object.entries(doc.resources).filter(([, record]) => record.status === 'DELETE_FAILED').map(([id]) => id);
  expect(stuckIds.length).toBeGreaterThan(0);
  expect(failed.stacks[0].next).toBe(`Run 'cdk-organizations destroy Organization --retain-resources ${stuckIds.join(',')}' to finish deleting the stack `
    + "and keep these resources as they are; a later deploy adopts what the app still declares. Or fix the cause and run 'cdk-organizations destroy Organization' again.");
  const refused = await deploy({ ...common, app });
  expect(refused.error).toBe('Organization: Stack Organization is in DELETE_FAILED state and can not be updated');
  expect(refused.stacks[0].next).toBe(failed.stacks[0].next);

  const command = /'cdk-organizations destroy (.*?)'/.exec(failed.stacks[0].next!)![1].split(' ');
  const out: string[] = [];
  expect(await main('destroy', [...command, '--endpoint', emulator.endpoint, '--code-cache', common.codeCacheDir], { out: l => out.push(l), err: l => out.push(l) })).toBe(0);
  expect(await new EmulatorAdmin(emulator.endpoint).getStack('Organization')).toBeUndefined();

  const again = await deploy({ ...common, app });
  expect(again.success).toBe(true);
  expect(again.stacks[0].status).toBe('CREATE_COMPLETE');
  const accounts = await org.paginate<{ Id: string; Email: string; Status: string }>('ListAccounts', {}, 'Accounts');
  expect(accounts.filter(a => a.Email === 'aws+prod@example.com')).toEqual([expect.objectContaining({ Id: prodId, Status: 'ACTIVE' })]);
  const roots = await org.paginate<{ Id: string }>('ListRoots', {}, 'Roots');
  const ous = await org.paginate<{ Name: string }>('ListOrganizationalUnitsForParent', { ParentId: roots[0].Id }, 'OrganizationalUnits');
  expect(ous.map(ou => ou.Name)).toEqual(['Workloads']);
}, 300_000);
