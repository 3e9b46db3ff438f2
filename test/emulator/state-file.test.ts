/**
 * The state file under bad conditions: a file that is not a complete state is refused at start with
 * its name and the field, a change is answered only once the file holds it (and not applied at all
 * when it cannot be written), its directory is created, and callers it never saw are not saved.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CreateOrganizationalUnitCommand, DescribeOrganizationCommand, ListOrganizationalUnitsForParentCommand } from '@aws-sdk/client-organizations';
import { clientsFor, DEFAULT_KEY, expectError, newAccount, rootIdOf, snapshot } from './support';
import { Emulator, EmulatorState } from '../../local/emulator';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-state-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid state file with an organization, an OU, a member and a policy, as JSON to break. */
let valid: EmulatorState;
beforeAll(async () => {
  const file = join(dir, 'valid.json');
  const emulator = await Emulator.start({ stateFile: file, withOrganization: true, relaxed: true, timeScale: 0.001 });
  const clients = clientsFor(emulator);
  try {
    const root = await rootIdOf(clients.org);
    await clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Kept' }));
    await newAccount(clients.org, 'Kept member');
  } finally {
    clients.destroy();
    await emulator.stop();
  }
  valid = JSON.parse(readFileSync(file, 'utf8'));
});

let counter = 0;
function stateFile(content: string): string {
  const file = join(dir, `case-${++counter}.json`);
  writeFileSync(file, content);
  return file;
}

function broken(change: (state: any) => void): string {
  const state = structuredClone(valid) as any;
  change(state);
  return stateFile(JSON.stringify(state));
}

describe('a state file is checked completely at start', () => {
  test('the valid one loads', async () => {
    const emulator = await Emulator.start({ stateFile: broken(() => undefined) });
    await emulator.stop();
  });

  const anyKey = (record: Record<string, unknown>) => Object.keys(record)[0];

  test.each<[string, (state: any) => void, RegExp]>([
    ['an organization that is a string', s => { s.organization = 'oops'; }, /organization must be an object, got "oops"/],
    ['an organization without a root', s => { delete s.organization.root; }, /organization\.root must be an object, got undefined/],
    ['an account entry null', s => { s.accounts['123456789012'] = null; }, /accounts\["123456789012"\] must be an object, got null/],
    ['an account without an email', s => { delete s.accounts[s.managementAccountId].email; }, /accounts\["\d{12}"\]\.email must be a string, got undefined/],
    ['an account under a parent that does not exist', s => {
      const member = Object.values(s.accounts).find((a: any) => a.id !== s.managementAccountId) as any;
      member.membership.parentId = 'ou-zzzz-zzzzzzzz';
    }, /membership\.parentId must be the root or an OU of the organization, got "ou-zzzz-zzzzzzzz"/],
    ['an OU entry that is a number', s => { s.organization.ous[anyKey(s.organization.ous)] = 7; }, /organization\.ous\["ou-[^"]+"\] must be an object, got 7/],
    ['an OU whose parent is itself', s => {
      const ou = s.organization.ous[anyKey(s.organization.ous)];
      ou.parentId = ou.id;
    }, /organization\.ous\["ou-[^"]+"\]\.parentId must lead to the root through existing OUs/],
    ['a policy without content', s => { delete s.organization.policies[anyKey(s.organization.policies)].content; }, /organization\.policies\["p-[^"]+"\]\.content must be a string, got undefined/],
    ['a policy of an unknown type', s => { s.organization.policies[anyKey(s.organization.policies)].type = 'NOPE'; }, /\.type must be one of SERVICE_CONTROL_POLICY/],
    ['attachments of a policy that does not exist', s => { s.organization.attachments['p-zzzzzzzz'] = []; }, /organization\.attachments\["p-zzzzzzzz"\] must be the attachments of one of the policies/],
    ['a management account that is not an account', s => { s.managementAccountId = '999999999999'; }, /managementAccountId must be one of the accounts, got "999999999999"/],
    ['a sequence that is not a number', s => { s.sequence = '12'; }, /sequence must be a non-negative integer, got "12"/],
    ['a handshake entry null', s => { s.handshakes['h-zzzzzzzz'] = null; }, /handshakes\["h-zzzzzzzz"\] must be an object, got null/],
    ['another version', s => { s.version = 2; }, /version must be 1 \(not an emulator state file of this version\), got 2/],
  ])('%s is refused, naming the file and the field', async (_, change, message) => {
    const file = broken(change);
    const start = Emulator.start({ stateFile: file });
    await expect(start).rejects.toThrow(message);
    await expect(start).rejects.toThrow(file);
  });

  test('a file that is not JSON is refused, naming the file', async () => {
    const file = stateFile('{"version": 1, ');
    await expect(Emulator.start({ stateFile: file })).rejects.toThrow(new RegExp(`The state file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON`));
  });

  test('a file nested too deep is refused, naming the file', async () => {
    const file = stateFile(`{"version":1,"stacks":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    await expect(Emulator.start({ stateFile: file })).rejects.toThrow(`The state file ${file} nests deeper than`);
  });

  test('the file is left as it was', async () => {
    const file = broken(s => { s.organization = 'oops'; });
    const before = readFileSync(file, 'utf8');
    await expect(Emulator.start({ stateFile: file })).rejects.toThrow();
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

test('the directories of the state file are created', async () => {
  const file = join(dir, 'does', 'not', 'exist', 'state.json');
  const emulator = await Emulator.start({ stateFile: file, withOrganization: true });
  await emulator.stop();
  expect((JSON.parse(readFileSync(file, 'utf8')) as EmulatorState).organization).toBeDefined();
});

describe('a change is acknowledged only once the file holds it', () => {
  test('when the file cannot be written, the change is not applied, and the retry creates it once', async () => {
    const folder = join(dir, 'vanishing');
    const file = join(folder, 'state.json');
    const emulator = await Emulator.start({ stateFile: file, withOrganization: true, relaxed: true, timeScale: 0.001 });
    // The SDK's own retries (3 attempts) retry the server error, as a real client would.
    const clients = clientsFor(emulator, DEFAULT_KEY, 3);
    try {
      const root = await rootIdOf(clients.org);
      const before = snapshot(emulator);
      rmSync(folder, { recursive: true });
      const error = await expectError(clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Durable' })), 'ServiceException');
      expect(error.message).toContain(`Cannot write the state file ${file}`);
      expect(error.$metadata.attempts).toBe(3);
      expect(snapshot(emulator)).toBe(before);
      // Admin changes too.
      const put = await fetch(`${emulator.endpoint}/_emulator/stacks/s`, { method: 'PUT', body: '{}' });
      expect(put.status).toBe(500);
      expect(((await put.json()) as any).message).toMatch(/the change was not applied/);
      expect((await fetch(`${emulator.endpoint}/_emulator/stacks/s`)).status).toBe(404);
      expect((await fetch(`${emulator.endpoint}/_emulator/accounts`, { method: 'POST', body: '{"email":"x@example.com"}' })).status).toBe(500);
      // Reads still answer.
      await clients.org.send(new DescribeOrganizationCommand({}));

      mkdirSync(folder);
      await clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Durable' }));
      const ous = (await clients.org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))).OrganizationalUnits!;
      expect(ous.map(ou => ou.Name)).toEqual(['Durable']);
      expect(Object.values((JSON.parse(readFileSync(file, 'utf8')) as EmulatorState).organization!.ous).map(ou => ou.name)).toEqual(['Durable']);
    } finally {
      clients.destroy();
      if (!existsSync(folder)) mkdirSync(folder);
      await emulator.stop();
    }
  });
});

test('callers the emulator never saw do not grow the state file', async () => {
  const file = join(dir, 'callers.json');
  const emulator = await Emulator.start({ stateFile: file, withOrganization: true, relaxed: true, timeScale: 0.001 });
  try {
    const accounts = () => Object.keys((JSON.parse(readFileSync(file, 'utf8')) as EmulatorState).accounts).length;
    const before = accounts();
    for (let i = 0; i < 10; i++) {
      const clients = clientsFor(emulator, `8${String(i).padStart(11, '0')}`);
      try {
        await expectError(clients.org.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
      } finally {
        clients.destroy();
      }
      // A change by someone else saves the state again.
      await fetch(`${emulator.endpoint}/_emulator/stacks/s${i}`, { method: 'PUT', body: '{}' });
    }
    expect(accounts()).toBe(before);
  } finally {
    await emulator.stop();
  }
});
