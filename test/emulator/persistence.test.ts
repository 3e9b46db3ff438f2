/**
 * State: the dump, the state file (saved after every change and on stop, loaded at start), and
 * ids that are deterministic from the seed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, newAccount, rootIdOf, settle } from './support';
import { Emulator, EmulatorState } from '../../local/emulator';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function session<T>(options: Parameters<typeof Emulator.start>[0], run: (emulator: Emulator, org: ReturnType<typeof clientsFor>['org']) => Promise<T>): Promise<T> {
  const emulator = await Emulator.start({ relaxed: true, timeScale: 0.001, ...options });
  const clients = clientsFor(emulator);
  try {
    return await run(emulator, clients.org);
  } finally {
    clients.destroy();
    await emulator.stop();
  }
}

test('the state file is written after every change and reloaded at start, stack documents included', async () => {
  const file = join(dir, 'round-trip.json');
  const first = await session({ stateFile: file, withOrganization: true }, async (emulator, org) => {
    const root = await rootIdOf(org);
    const ou = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Persisted' }))).OrganizationalUnit!.Id!;
    // Saved already, before stop.
    expect((JSON.parse(readFileSync(file, 'utf8')) as EmulatorState).organization!.ous[ou].name).toBe('Persisted');
    const account = await newAccount(org, 'Persisted member');
    const policy = (await org.send(new CreatePolicyCommand({ Name: 'kept', Description: 'd', Type: 'TAG_POLICY', Content: '{}' }))).Policy!.PolicySummary!.Id!;
    await fetch(`${emulator.endpoint}/_emulator/stacks/landing-zone`, { method: 'PUT', body: JSON.stringify({ resources: { Ou: ou } }) });
    return { ou, account, policy, management: emulator.managementAccountId, orgId: emulator.state().organization!.id };
  });

  await session({ stateFile: file, withOrganization: true }, async (emulator, org) => {
    expect(emulator.managementAccountId).toBe(first.management);
    expect(emulator.callLog).toEqual([]);
    expect((await org.send(new DescribeOrganizationCommand({}))).Organization!.Id).toBe(first.orgId);
    const root = await rootIdOf(org);
    expect((await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))).OrganizationalUnits!.map(o => o.Id)).toEqual([first.ou]);
    expect((await org.send(new ListAccountsCommand({}))).Accounts!.map(a => a.Id)).toEqual([first.management, first.account]);
    expect(emulator.state().organization!.policies[first.policy].name).toBe('kept');
    expect(await (await fetch(`${emulator.endpoint}/_emulator/stacks/landing-zone`)).json()).toEqual({ resources: { Ou: first.ou } });
    const next = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'After reload' }))).OrganizationalUnit!.Id!;
    expect(next).not.toBe(first.ou);
  });
});

test('work in progress continues after a restart', async () => {
  const file = join(dir, 'in-progress.json');
  const requestId = await session({ stateFile: file, withOrganization: true, accountCreationSeconds: 100 }, async (_, org) =>
    (await org.send(new CreateAccountCommand({ AccountName: 'Across restarts', Email: 'restart@example.com' }))).CreateAccountStatus!.Id!);
  await session({ stateFile: file }, async (_, org) => {
    expect(await settle(org, requestId)).toMatchObject({ State: 'SUCCEEDED', AccountName: 'Across restarts' });
  });
});

test('ids are deterministic from the seed', async () => {
  const ids = (seed: number) => session({ seed, withOrganization: true }, async (emulator, org) => {
    const root = await rootIdOf(org);
    const ou = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Same' }))).OrganizationalUnit!.Id!;
    const account = await newAccount(org, 'Same', 'same@example.com');
    return [emulator.managementAccountId, emulator.state().organization!.id, root, ou, account];
  });
  const [a, b, c] = [await ids(7), await ids(7), await ids(8)];
  expect(b).toEqual(a);
  expect(c.every((id, i) => id !== a[i])).toBe(true);
  expect(a[0]).toMatch(/^[1-9]\d{11}$/);
});

test('state() is a JSON-serialisable copy', async () => {
  await session({ withOrganization: true }, async emulator => {
    const dump = emulator.state();
    expect(JSON.parse(JSON.stringify(dump))).toEqual(dump);
    dump.organization!.featureSet = 'CONSOLIDATED_BILLING';
    expect(emulator.state().organization!.featureSet).toBe('ALL');
  });
});

test('a file that is not an emulator state is refused at start', async () => {
  const file = join(dir, 'foreign.json');
  writeFileSync(file, JSON.stringify({ hello: 'world' }));
  await expect(Emulator.start({ stateFile: file })).rejects.toThrow(/not an emulator state file/);
});
