/**
 * The example landing zone, end to end: synthesized from the real constructs, deployed by the local
 * deployer with the real bundled handlers, against the emulator; every result read back through the
 * AWS SDK, never through the deployer's own state. Run under AWS's real quotas and throttling, and
 * again with throttling and concurrent modification injected on top.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ListAccountsForParentCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  DescribePolicyCommand,
  MoveAccountCommand,
  ListAWSServiceAccessForOrganizationCommand,
  OrganizationsClient,
  PolicyType as SdkPolicyType,
} from '@aws-sdk/client-organizations';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { LandingZone, landingZoneApp, LandingZoneVersion } from '../../examples/landing-zone/app';
import { listAllPages as all } from '../../lambda/shared/call';
import { deploy, destroy, RunResult } from '../../local/deployer';
import { Emulator, FaultSpec } from '../../local/emulator';
import { Policy, PolicyContent, PolicyType } from '../../src';

/** The organization as the API shows it, keyed by names so expectations read like the app. */
interface Snapshot {
  readonly policyTypes: string[];
  readonly trustedServices: string[];
  /** OU path (`Workloads/Prod`) -> the names of the accounts directly in it; `/` is the root. */
  readonly accounts: Record<string, string[]>;
  /** Target (OU path, or account name) -> names of the customer-managed policies attached directly. */
  readonly attachments: Record<string, string[]>;
  /** Customer-managed policy name -> content. */
  readonly policies: Record<string, string>;
  /** Account name -> services it administers. */
  readonly delegated: Record<string, string[]>;
  /** Ids, to check that a rename kept the OU and an update kept the policy. */
  readonly ouIds: Record<string, string>;
  readonly policyIds: Record<string, string>;
}

async function snapshot(org: OrganizationsClient): Promise<Snapshot> {
  const root = (await org.send(new ListRootsCommand({}))).Roots![0];
  const policyTypes = (root.PolicyTypes ?? []).filter(t => t.Status === 'ENABLED').map(t => t.Type!).sort();
  const trustedServices = (await all(async NextToken => {
    const page = await org.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken }));
    return { items: page.EnabledServicePrincipals, next: page.NextToken };
  })).map(s => s.ServicePrincipal!).sort();
  const snap: Snapshot = { policyTypes, trustedServices, accounts: {}, attachments: {}, policies: {}, delegated: {}, ouIds: {}, policyIds: {} };
  const scpAndTags = policyTypes.filter(t => t === 'SERVICE_CONTROL_POLICY' || t === 'TAG_POLICY') as SdkPolicyType[];

  const attached = async (targetId: string, key: string) => {
    const names: string[] = [];
    for (const Filter of scpAndTags) {
      const policies = await all(async NextToken => {
        const page = await org.send(new ListPoliciesForTargetCommand({ TargetId: targetId, Filter, NextToken }));
        return { items: page.Policies, next: page.NextToken };
      });
      names.push(...policies.filter(p => !p.AwsManaged).map(p => p.Name!));
    }
    if (names.length > 0) snap.attachments[key] = names.sort();
  };
  const visit = async (parentId: string, ouPath: string) => {
    await attached(parentId, ouPath);
    const accounts = await all(async NextToken => {
      const page = await org.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken }));
      return { items: page.Accounts, next: page.NextToken };
    });
    snap.accounts[ouPath] = accounts.map(a => a.Name!).sort();
    for (const account of accounts) await attached(account.Id!, account.Name!);
    const ous = await all(async NextToken => {
      const page = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken }));
      return { items: page.OrganizationalUnits, next: page.NextToken };
    });
    for (const ou of ous) {
      const child = ouPath === '/' ? ou.Name! : `${ouPath}/${ou.Name}`;
      snap.ouIds[child] = ou.Id!;
      await visit(ou.Id!, child);
    }
  };
  await visit(root.Id!, '/');

  for (const Filter of scpAndTags) {
    const policies = await all(async NextToken => {
      const page = await org.send(new ListPoliciesCommand({ Filter, NextToken }));
      return { items: page.Policies, next: page.NextToken };
    });
    for (const p of policies.filter(x => !x.AwsManaged)) {
      snap.policies[p.Name!] = (await org.send(new DescribePolicyCommand({ PolicyId: p.Id! }))).Policy!.Content!;
      snap.policyIds[p.Name!] = p.Id!;
    }
  }
  if (trustedServices.length > 0) {
    const admins = await all(async NextToken => {
      const page = await org.send(new ListDelegatedAdministratorsCommand({ NextToken }));
      return { items: page.DelegatedAdministrators, next: page.NextToken };
    });
    for (const admin of admins) {
      const services = await all(async NextToken => {
        const page = await org.send(new ListDelegatedServicesForAccountCommand({ AccountId: admin.Id!, NextToken }));
        return { items: page.DelegatedServices, next: page.NextToken };
      });
      snap.delegated[admin.Name!] = services.map(s => s.ServicePrincipal!).sort();
    }
  }
  return snap;
}

const MUTATING = (operation: string) => !/^(Describe|List|Get)/.test(operation);

describe.each<[string, FaultSpec | undefined]>([
  ['under the real quotas and throttling', undefined],
  ['with throttling and concurrent modification injected', { TooManyRequestsException: 0.15, ConcurrentModificationException: 0.05 }],
])('the example landing zone %s', (_, faults) => {
  let emulator: Emulator;
  let org: OrganizationsClient;
  let workdir: string;

  beforeAll(async () => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'landing-zone-e2e-'));
    emulator = await Emulator.start({ timeScale: 0.001 });
    org = new OrganizationsClient({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' },
      // The assertions read through the same throttled API: retry them patiently.
      retryStrategy: new ConfiguredRetryStrategy(20, () => 20),
    });
  });
  afterAll(async () => {
    org?.destroy();
    await emulator?.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  /** Deploys (or destroys) with the faults on, and returns the result with the mutating calls it made. */
  async function run(action: 'deploy' | 'destroy', app: string): Promise<RunResult & { mutating: string[] }> {
    const since = emulator.callLog.length;
    emulator.setFaults(faults, 42);
    try {
      const options = { endpoint: emulator.endpoint, app, codeCacheDir: path.join(workdir, 'code') };
      const result = action === 'deploy' ? await deploy(options) : await destroy(options);
      return { ...result, mutating: emulator.callLog.slice(since).filter(c => c.outcome === 'OK' && MUTATING(c.operation)).map(c => c.operation) };
    } finally {
      emulator.setFaults(undefined);
    }
  }

  function synth(version: LandingZoneVersion, name: string, extend?: (stack: LandingZone) => void): string {
    const outdir = path.join(workdir, name);
    const app = landingZoneApp(version, outdir);
    extend?.(app.node.findChild('LandingZone') as LandingZone);
    app.synth();
    return outdir;
  }

  let v1: Snapshot;

  test('version 1 creates the organization the app declares', async () => {
    const result = await run('deploy', synth(1, 'v1'));
    expect(result.error).toBeUndefined();
    expect(result.stacks.map(s => s.status)).toEqual(['CREATE_COMPLETE']);

    v1 = await snapshot(org);
    expect(v1.policyTypes).toEqual(['SERVICE_CONTROL_POLICY', 'TAG_POLICY']);
    expect(v1.trustedServices).toEqual(expect.arrayContaining(['guardduty.amazonaws.com', 'securityhub.amazonaws.com']));
    expect(v1.accounts).toEqual({
      '/': ['Management Account'],
      'Infrastructure': ['network'],
      'Sandbox': ['team-sandbox'],
      'Security': ['audit', 'log-archive'],
      'Workloads': [],
      'Workloads/Dev': ['dev-app'],
      'Workloads/Prod': ['prod-app'],
    });
    expect(v1.attachments).toEqual({
      '/': ['cost-center-tags', 'deny-leave-organization'],
      'Sandbox': ['allowed-regions'],
      'Security': ['protect-security-services'],
      'Workloads': ['allowed-regions', 'deny-root-user', 'protect-security-services'],
    });
    expect(Object.keys(v1.policies).sort()).toEqual(['allowed-regions', 'cost-center-tags', 'deny-leave-organization', 'deny-root-user', 'protect-security-services']);
    // The typed IAM statements arrive minified, as the user wrote them.
    expect(JSON.parse(v1.policies['deny-leave-organization'])).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
    });
    expect(v1.policies['deny-leave-organization']).not.toMatch(/\s/);
    expect(v1.delegated).toEqual({ audit: ['guardduty.amazonaws.com', 'securityhub.amazonaws.com'] });
    // Every account exactly once, whatever was throttled or retried.
    expect(emulator.callLog.filter(c => c.operation === 'CreateAccount' && c.outcome === 'OK')).toHaveLength(6);
  });

  test('deploying the same app again makes no mutating call', async () => {
    const result = await run('deploy', synth(1, 'v1-again'));
    expect(result.success).toBe(true);
    expect(result.stacks[0].noChanges).toBe(true);
    expect(result.mutating).toEqual([]);
    expect(await snapshot(org)).toEqual(v1);
  });

  test('a failing update (an SCP over the size quota, slipped past synth) rolls back and leaves the organization exactly as it was', async () => {
    const outdir = synth(2, 'v2-oversized', stack => {
      const oversized = new Policy(stack, 'Oversized', {
        policyName: 'oversized',
        policyType: PolicyType.SERVICE_CONTROL_POLICY,
        // The escape hatch: synth would refuse 20,000 characters against the default 10,240.
        maxContentSize: 100_000,
        content: PolicyContent.fromJson({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: Array.from({ length: 800 }, (__, i) => `ec2:Action${String(i).padStart(8, '0')}`), Resource: '*' }],
        }),
      });
      // After the changes it would undo, so the rollback has work to do and no forward change races it.
      for (const id of ['Sandbox', 'TeamSandbox', 'AllowedRegions']) oversized.node.addDependency(stack.node.findChild(id));
    });
    const result = await run('deploy', outdir);
    expect(result.success).toBe(false);
    expect(result.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.error).toMatch(/Oversized.*POLICY_CONTENT_LIMIT_EXCEEDED/s);
    // The rename, the move and the new content were made, then undone.
    expect(result.mutating).toEqual(expect.arrayContaining(['UpdateOrganizationalUnit', 'MoveAccount', 'UpdatePolicy']));
    expect(await snapshot(org)).toEqual(v1);
  });

  test('version 2 renames an OU, moves an account, rewrites an SCP and removes another, in place', async () => {
    const result = await run('deploy', synth(2, 'v2'));
    expect(result.error).toBeUndefined();
    expect(result.stacks[0].status).toBe('UPDATE_COMPLETE');
    const v2 = await snapshot(org);
    expect(v2.ouIds.Experiments).toBe(v1.ouIds.Sandbox);
    expect(v2.ouIds.Sandbox).toBeUndefined();
    expect(v2.accounts.Experiments).toEqual([]);
    expect(v2.accounts['Workloads/Dev']).toEqual(['dev-app', 'team-sandbox']);
    expect(v2.policyIds['allowed-regions']).toBe(v1.policyIds['allowed-regions']);
    expect(JSON.parse(v2.policies['allowed-regions']).Statement[0].Condition.StringNotEquals['aws:RequestedRegion']).toEqual(['us-east-1', 'eu-west-1', 'eu-central-1']);
    expect(v2.policies['deny-root-user']).toBeUndefined();
    expect(v2.attachments.Workloads).toEqual(['allowed-regions', 'protect-security-services']);
    expect(v2.delegated).toEqual(v1.delegated);
  });

  test('destroy removes what the stack owns, keeps the retained accounts, and refuses to delete an OU that still holds them', async () => {
    const result = await run('destroy', path.join(workdir, 'v2'));
    expect(result.success).toBe(false);
    expect(result.stacks[0].status).toBe('DELETE_FAILED');
    expect(result.error).toMatch(/it still contains account \d{12} "/);
    const after = await snapshot(org);
    // Policies, delegated administrators, the tag policy type and the empty OU are gone.
    expect(after.policies).toEqual({});
    expect(after.delegated).toEqual({});
    expect(after.policyTypes).toEqual(['SERVICE_CONTROL_POLICY']);
    expect(after.ouIds.Experiments).toBeUndefined();
    // Every account is where it was.
    const accounts = (snap: Snapshot) => Object.entries(snap.accounts).flatMap(([ou, names]) => names.map(n => `${ou}:${n}`)).sort();
    expect(accounts(after)).toEqual(accounts(await snapshotOfV2Accounts()));

    // Once the user has moved the accounts out, destroying again completes.
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    for (const [ou, names] of Object.entries(after.accounts)) {
      if (ou === '/') continue;
      const parentId = after.ouIds[ou];
      const accountsInOu = (await org.send(new ListAccountsForParentCommand({ ParentId: parentId }))).Accounts ?? [];
      for (const account of accountsInOu.filter(a => names.includes(a.Name!))) {
        await org.send(new MoveAccountCommand({ AccountId: account.Id!, SourceParentId: parentId, DestinationParentId: root }));
      }
    }
    const again = await run('destroy', path.join(workdir, 'v2'));
    expect(again.error).toBeUndefined();
    expect(again.success).toBe(true);
    const empty = await snapshot(org);
    expect(empty.ouIds).toEqual({});
    expect(empty.accounts['/']).toHaveLength(7);
  });

  /** Where version 2 put the accounts. */
  async function snapshotOfV2Accounts(): Promise<Snapshot> {
    return {
      ...v1,
      accounts: {
        '/': ['Management Account'],
        'Infrastructure': ['network'],
        'Security': ['audit', 'log-archive'],
        'Workloads': [],
        'Workloads/Dev': ['dev-app', 'team-sandbox'],
        'Workloads/Prod': ['prod-app'],
      },
    };
  }
});
