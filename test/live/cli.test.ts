/**
 * The snapshot and drift commands from the CLI, with the standard credential chain: what they write,
 * and bad input (no credentials for a profile, nothing answering, not the management account, no
 * organization, a stack that does not exist, a malformed endpoint), each a one-line error naming the
 * problem and the fix, exit status 4, and nothing written.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { clientsOf } from './support';
import { Emulator } from '../../local/emulator';
import { readStateFile } from '../../local/emulator/state-file';
import { main } from '../../local/live/cli';
import { spawnCli } from '../deployer/support';
import { newAccount } from '../emulator/support';

jest.setTimeout(60_000);

let emulator: Emulator;
let dir: string;
let member: string;
const savedEnv = { ...process.env };

async function run(command: 'snapshot' | 'drift' | 'plan', args: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  for (const [key, value] of Object.entries({ AWS_ACCESS_KEY_ID: 'AKIDEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator', AWS_REGION: 'us-east-1', ...env })) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    const code = await main(command, args, { out: text => { out += `${text}\n`; }, err: text => { err += `${text}\n`; } });
    return { code, out, err };
  } finally {
    process.env = { ...savedEnv };
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise(resolve => server.close(resolve));
  return port;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-cli-'));
  emulator = await Emulator.start({ timeScale: 0.001, relaxed: true, withOrganization: true });
  const clients = clientsOf(emulator);
  member = await newAccount(clients.organizations, 'Member');
  clients.destroy();
});

afterAll(async () => {
  await emulator?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('snapshot writes a state file the emulator loads; the top-level CLI routes to it', async () => {
  const file = path.join(dir, 'org.json');
  const result = await run('snapshot', ['--endpoint', emulator.endpoint, '--out', file]);
  // Off a terminal, progress is one line per phase.
  expect(result.err).toMatch(/^snapshot: accounts \(\d+ calls\)\n(.*\n)*snapshot: done \d+\/\d+ \(\d+ calls\)\n$/);
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/^Wrote .*org\.json: organization o-\w+, 2 accounts, 0 OUs, 2 policies; \d+ read calls/);
  expect(Object.keys(readStateFile(file)!.accounts).sort()).toEqual([emulator.managementAccountId, member].sort());
  // The package's command routes to it, as a user runs it.
  const cli = await spawnCli(['snapshot', '--help']).exited;
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/^Usage:\n {2}cdk-organizations snapshot --out FILE/);
});

describe('bad input: one line naming the problem and the fix, exit 4, nothing written', () => {
  const cases: Array<[string, () => Promise<{ args: string[]; env?: Record<string, string | undefined>; command?: 'snapshot' | 'drift' }>, RegExp]> = [
    ['a profile with no credentials', async () => {
      const empty = path.join(dir, 'empty-config');
      fs.writeFileSync(empty, '');
      return {
        args: ['--endpoint', emulator.endpoint, '--profile', 'nope'],
        env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, AWS_EC2_METADATA_DISABLED: 'true' },
      };
    }, /No credentials for profile 'nope' .*: check the profile's name in ~\/\.aws\/config, or sign in with 'aws sso login --profile nope'\./],
    ['an endpoint that does not answer', async () => ({ args: ['--endpoint', `http://127.0.0.1:${await closedPort()}`] }),
      /Nothing answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check --endpoint/],
    ['a malformed endpoint', async () => ({ args: ['--endpoint', 'localhost:4566'] }), /--endpoint takes a URL .*got 'localhost:4566'/],
    ['a caller that is not the management account', async () => ({ args: ['--endpoint', emulator.endpoint], env: { AWS_ACCESS_KEY_ID: member } }),
      /The caller's account \d{12} is not the management account of o-\w+ \(\d{12}\): use the management account's credentials/],
    ['a caller in no organization', async () => ({ args: ['--endpoint', emulator.endpoint], env: { AWS_ACCESS_KEY_ID: emulator.createExternalAccount('standalone@example.com') } }),
      /The caller's account is in no organization .*: use the credentials of the organization's management account/],
    ['a stack that does not exist', async () => ({ command: 'drift', args: ['--endpoint', emulator.endpoint, '--stack', 'NoSuchStack'] }),
      /Stack NoSuchStack does not exist in this account and region: check --stack, and --region/],
  ];

  test.each(cases)('%s', async (_name, setup, message) => {
    const { args, env, command = 'snapshot' } = await setup();
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    const result = await run(command, command === 'snapshot' ? [...args, '--out', file] : args, env);
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('snapshot without --out', async () => {
    const result = await run('snapshot', ['--endpoint', emulator.endpoint]);
    expect(result.code).toBe(4);
    expect(result.err).toMatch(/snapshot needs --out FILE/);
  });
});
