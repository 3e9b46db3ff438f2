/**
 * The CLI, run the way `npm run --silent cli -- emulator ...` runs it (ts-node on local/cli.ts): the
 * first stdout line is the endpoint, it serves until SIGTERM, and it saves its state file.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createInterface } from 'readline';
import { DescribeOrganizationCommand, ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { expectError } from './support';
import { parseArgs } from '../../local/emulator/cli';

const ROOT = join(__dirname, '..', '..');

function runCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', 'local/tsconfig.json', 'local/cli.ts', 'emulator', ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', line => resolve(line));
    child.once('exit', code => reject(new Error(`exited with ${code} before printing a line`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', chunk => { stdout += chunk; });
  child.stderr?.on('data', chunk => { stderr += chunk; });
  return new Promise(resolve => child.once('exit', code => resolve({ code, stdout, stderr })));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('prints its endpoint first, serves the API with the options given, and saves its state on SIGTERM', async () => {
  // In a directory that does not exist yet, as with `--state .emulator/state.json` in a fresh checkout.
  const stateFile = join(dir, '.emulator', 'nested', 'cli-state.json');
  const child = runCli(['--port', '0', '--with-organization', '--relaxed', '--time-scale=0.001', '--seed', '9', '--state', stateFile,
    '--faults', 'ListRoots:ServiceException=1']);
  const done = exited(child);
  try {
    const endpoint = await firstLine(child);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const org = new OrganizationsClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const organization = (await org.send(new DescribeOrganizationCommand({}))).Organization!;
      expect(organization.FeatureSet).toBe('ALL');
      await expectError(org.send(new ListRootsCommand({})), 'ServiceException');
    } finally {
      org.destroy();
    }
    expect(await (await fetch(`${endpoint}/_emulator/config`)).json()).toMatchObject({ timeScale: 0.001, relaxed: true, endpoint });
  } finally {
    child.kill('SIGTERM');
  }
  const { code, stderr } = await done;
  expect(code).toBe(0);
  expect(stderr).toMatch(/stopped \(SIGTERM\), state saved/);
  expect(existsSync(stateFile)).toBe(true);
  expect(JSON.parse(readFileSync(stateFile, 'utf8')).organization.featureSet).toBe('ALL');
});

test('--help prints the usage and exits 0; an unknown option or a value given to a flag exits 1 with the usage', async () => {
  const help = await exited(runCli(['--help']));
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: cdk-organizations emulator/);
  expect(help.stdout).toContain('AWS_ENDPOINT_URL_ORGANIZATIONS');
  const bad = await exited(runCli(['--colour']));
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("Unknown option '--colour'");
  expect(bad.stderr).toContain('Usage: cdk-organizations emulator');
  const flag = await exited(runCli(['--relaxed=false']));
  expect(flag.code).toBe(1);
  expect(flag.stderr).toContain("Option '--relaxed' does not take an argument");
  expect(flag.stderr).toContain('Usage: cdk-organizations emulator');
});

describe('parseArgs', () => {
  test('every option, in both --flag value and --flag=value forms', () => {
    expect(parseArgs(['--port', '4566', '--host=0.0.0.0', '--state', 's.json', '--time-scale', '0.01', '--relaxed', '--seed=3',
      '--account-creation-seconds', '5', '--with-organization=CONSOLIDATED_BILLING', '--quotas', 'maxAccounts=100,maxOuDepth=3',
      '--faults', 'TooManyRequestsException=0.1,latency=5'])).toEqual({
      port: 4566,
      host: '0.0.0.0',
      stateFile: 's.json',
      timeScale: 0.01,
      relaxed: true,
      seed: 3,
      accountCreationSeconds: 5,
      withOrganization: { featureSet: 'CONSOLIDATED_BILLING' },
      quotas: { maxAccounts: 100, maxOuDepth: 3 },
      faults: { TooManyRequestsException: 0.1, latencyMs: 5 },
    });
    expect(parseArgs(['--with-organization'])).toEqual({ withOrganization: { featureSet: 'ALL' } });
    expect(parseArgs(['-h'])).toBeUndefined();
  });

  test.each([
    [['--port', 'abc'], /--port needs a port number \(0 to 65535\), got "abc"/],
    [['--port', '70000'], /--port needs a port number \(0 to 65535\), got "70000"/],
    [['--time-scale', '0'], /--time-scale needs a positive number, got "0"/],
    [['--seed', '1.5'], /--seed needs an integer, got "1.5"/],
    [['--colour'], /Unknown option '--colour'/],
    [['--state'], /Option '--state <value>' argument missing/],
    [['--host'], /Option '--host <value>' argument missing/],
    [['--host', '--relaxed'], /argument is ambiguous/],
    [['--relaxed=false'], /Option '--relaxed' does not take an argument/],
    [['--with-organization', 'ALL'], /Unexpected argument 'ALL'/],
    [['--quotas', 'toString=3'], /Unknown numeric quota "toString"/],
    [['--with-organization=SOME'], /--with-organization takes ALL or CONSOLIDATED_BILLING, got SOME/],
    [['--quotas', 'maxCats=3'], /Unknown numeric quota "maxCats"; known: maxAccounts/],
    [['--faults', 'Boom=1'], /Unknown fault "Boom"/],
  ])('%j is refused with a clear message', (args, message) => {
    expect(() => parseArgs(args)).toThrow(message);
  });
});
