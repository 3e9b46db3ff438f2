import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import {
  AttachPolicyCommand, CreateAccountCommand, CreateOrganizationalUnitCommand, CreatePolicyCommand, DescribeCreateAccountStatusCommand,
  EnableAWSServiceAccessCommand, EnablePolicyTypeCommand, ListRootsCommand, MoveAccountCommand, OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import { FIXTURE_HANDLER, Workspace } from './support';
import { renderOrganizationTree } from '../../local/deployer';
import { main } from '../../local/deployer/cli';
import { Emulator } from '../../local/emulator';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

/** A CDK app file that `node` runs, as a user's `--app` command. */
function writeApp(workspace: Workspace, name: string, properties: Record<string, string>): string {
  const cdk = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const file = path.join(workspace.dir, `${name}.js`);
  fs.writeFileSync(file, `
const cdk = require(${JSON.stringify(cdk)});
const lambda = require(${JSON.stringify(path.join(cdk, 'aws-lambda'))});
const cr = require(${JSON.stringify(path.join(cdk, 'custom-resources'))});
const app = new cdk.App();
const stack = new cdk.Stack(app, 'CliStack');
const onEvent = new lambda.Function(stack, 'OnEvent', {
  code: lambda.Code.fromAsset(${JSON.stringify(FIXTURE_HANDLER)}), handler: 'index.onEvent', runtime: lambda.Runtime.NODEJS_22_X,
  timeout: cdk.Duration.seconds(30), environment: { EVENT_LOG: ${JSON.stringify(workspace.logFile)} },
});
const provider = new cr.Provider(stack, 'Provider', { onEventHandler: onEvent });
new cdk.CustomResource(stack, 'Thing', { serviceToken: provider.serviceToken, resourceType: 'Custom::Fixture', properties: ${JSON.stringify(properties)} });
app.synth();
`);
  return `node ${JSON.stringify(file)}`;
}

describe('deploy and destroy commands', () => {
  let emulator: Emulator;
  let workspace: Workspace;
  beforeAll(async () => {
    emulator = await Emulator.start({ timeScale: 0.001, relaxed: true });
    workspace = new Workspace();
  });
  afterAll(async () => {
    await emulator.stop();
    workspace.cleanup();
  });

  test('deploy runs the app command and prints one line per event, then a summary; destroy removes the stack', async () => {
    const app = writeApp(workspace, 'good', { PhysicalId: 'thing-1' });
    const common = ['--app', app, '--endpoint', emulator.endpoint, '--code-cache', workspace.codeCache];
    const deployed = capture();

    expect(await main('deploy', common, deployed.io)).toBe(0);

    expect(deployed.out).toContainEqual(expect.stringMatching(/^\s+\d+\.\d\ds \| CliStack \| CREATE_IN_PROGRESS\s+\| Custom::Fixture \| Thing\/Default \(Thing\)$/));
    expect(deployed.out).toContainEqual(expect.stringMatching(/\| CliStack \| CREATE_COMPLETE\s+\| Custom::Fixture \| Thing\/Default \(Thing\)$/));
    expect(deployed.out).toContain(' ✅  CliStack (CREATE_COMPLETE): 6 created, 0 updated, 0 replaced, 0 deleted, 0 retained, 0 unchanged');
    expect(workspace.calls()).toEqual(['Create Thing']);

    const again = capture();
    expect(await main('deploy', ['CliStack', ...common], again.io)).toBe(0);
    expect(again.out).toContain(' ✅  CliStack (no changes)');

    const destroyed = capture();
    expect(await main('destroy', common, destroyed.io)).toBe(0);
    expect(destroyed.out).toContain(' ✅  CliStack: destroyed (6 deleted, 0 retained)');
    expect(workspace.calls()).toEqual(['Create Thing', 'Delete Thing(thing-1)']);
  });

  test('a failed deploy prints the failure with its reason and exits non-zero', async () => {
    const app = writeApp(workspace, 'bad', { FailOn: 'Create' });
    const failed = capture();

    expect(await main('deploy', ['--app', app, '--endpoint', emulator.endpoint, '--code-cache', workspace.codeCache], failed.io)).toBe(1);

    expect(failed.out).toContainEqual(expect.stringMatching(
      /\| CliStack \| CREATE_FAILED\s+\| Custom::Fixture \| Thing\/Default \(Thing\) \| Received response status \[FAILED\] from custom resource\. Message returned: fixture failure: Thing Create Logs: \/aws\/lambda\/CliStack-/));
    expect(failed.out).toContainEqual(expect.stringMatching(/\| CliStack \| ROLLBACK_COMPLETE\s+\| AWS::CloudFormation::Stack \| CliStack$/));
    expect(failed.out).toContainEqual(expect.stringMatching(/^ ❌ {2}CliStack failed \(ROLLBACK_COMPLETE\): Thing: Received response status \[FAILED\]/));
  });

  test('usage errors name what is missing', async () => {
    const noEndpoint = capture();
    const previous = process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    try {
      expect(await main('tree', [], noEndpoint.io)).toBe(1);
    } finally {
      if (previous !== undefined) process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = previous;
    }
    expect(noEndpoint.err.join('\n')).toMatch(/needs the emulator's URL: pass --endpoint URL/);

    const unknown = capture();
    expect(await main('deploy', ['--bogus'], unknown.io)).toBe(1);
    expect(unknown.err.join('\n')).toMatch(/^cdk-organizations deploy: Unknown option '--bogus'[^]*\n\nUsage:\n {2}cdk-organizations deploy /);

    const unreachable = capture();
    expect(await main('deploy', ['--app', workspace.dir, '--endpoint', 'http://127.0.0.1:9'], unreachable.io)).toBe(1);
    expect(unreachable.err.join('\n')).toMatch(/Cannot reach the emulator at http:\/\/127\.0\.0\.1:9/);

    const notAssembly = capture();
    expect(await main('deploy', ['--app', workspace.dir, '--endpoint', emulator.endpoint], notAssembly.io)).toBe(1);
    expect(notAssembly.err.join('\n')).toMatch(/is not a cloud assembly: it has no manifest\.json/);
  });
});

describe('strict arguments', () => {
  const refusals: Array<[string, 'deploy' | 'destroy' | 'tree', string[], RegExp]> = [
    ['an unknown option', 'destroy', ['--endpoint', 'http://127.0.0.1:1', '--force'], /Unknown option '--force'/],
    ['an option of another command', 'tree', ['--endpoint', 'http://127.0.0.1:1', '--app', 'cdk.out'], /Unknown option '--app'/],
    ['--retain-resources on deploy', 'deploy', ['--endpoint', 'http://127.0.0.1:1', '--retain-resources', 'A'], /Unknown option '--retain-resources'/],
    ['a missing value at the end', 'deploy', ['--app', 'cdk.out', '--endpoint'], /Option '--endpoint <value>' argument missing/],
    ['an option taken as a missing value', 'deploy', ['--endpoint', '--app', 'cdk.out'], /Option '--endpoint' argument is ambiguous/],
    ['a value given to a flag', 'deploy', ['--endpoint', 'http://127.0.0.1:1', '--logs=yes'], /Option '--logs' does not take an argument/],
    ['a value given to --json', 'tree', ['--endpoint', 'http://127.0.0.1:1', '--json=false'], /Option '--json' does not take an argument/],
    ['a positional argument to tree', 'tree', ['--endpoint', 'http://127.0.0.1:1', 'extra'], /Unexpected argument 'extra'/],
    ['an endpoint that is not a URL', 'tree', ['--endpoint', '127.0.0.1:4566'], /--endpoint takes the emulator's URL \(http:\/\/HOST:PORT\), got '127\.0\.0\.1:4566'/],
    ['--resources-to-skip alone', 'deploy', ['--endpoint', 'http://127.0.0.1:1', '--resources-to-skip', 'A'], /--resources-to-skip goes with --continue-rollback/],
  ];
  test.each(refusals)('%s is refused with the usage and a non-zero exit', async (_name, command, args, message) => {
    const io = capture();
    expect(await main(command, args, io.io)).toBe(1);
    const text = io.err.join('\n');
    expect(text).toMatch(message);
    expect(text).toMatch(new RegExp(`^cdk-organizations ${command}: [^]*\n\nUsage:\n`));
    expect(io.out).toEqual([]);
  });

  test('tree against an endpoint where nothing answers says which endpoint, that nothing answers and how to start the emulator', async () => {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise(resolve => server.close(resolve));
    const io = capture();

    expect(await main('tree', ['--endpoint', `http://127.0.0.1:${port}`], io.io)).toBe(1);

    expect(io.err).toEqual([`Cannot reach the emulator at http://127.0.0.1:${port}: nothing answers there (ECONNREFUSED). `
      + "Start one with 'cdk-organizations emulator' (in a checkout: 'npm run --silent cli -- emulator'); it prints its URL first: pass that URL with --endpoint"]);
  });

  test('the top-level command refuses unknown options and commands with its usage', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(__dirname, '..', '..', 'local', 'cli.ts'), ...args], {
      encoding: 'utf-8', env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'local', 'tsconfig.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    const bogus = run('--bogus');
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toMatch(/^cdk-organizations: Unknown option '--bogus'[^]*Usage: cdk-organizations <command>/);
    const unknown = run('deplyo');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^Unknown command 'deplyo'\.\n\nUsage: cdk-organizations <command>/);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cdk-organizations <command>/);
    const strictDeploy = run('deploy', '--logs=1', '--endpoint', 'http://127.0.0.1:1');
    expect(strictDeploy.status).toBe(1);
    expect(strictDeploy.stderr).toMatch(/Option '--logs' does not take an argument/);
  });
});

describe('tree', () => {
  let emulator: Emulator;
  let client: OrganizationsClient;
  beforeAll(async () => {
    emulator = await Emulator.start({ timeScale: 0.001, relaxed: true, withOrganization: true });
    client = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'x' } });
  });
  afterAll(async () => {
    client.destroy();
    await emulator.stop();
  });

  test('prints the root with its policy types, OUs, accounts, policies per target, delegated administrators and trusted services', async () => {
    const root = (await client.send(new ListRootsCommand({}))).Roots![0];
    const rootId = root.Id!;
    if (!root.PolicyTypes?.some(type => type.Type === 'SERVICE_CONTROL_POLICY' && type.Status === 'ENABLED')) {
      await client.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    }
    const security = (await client.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Security' }))).OrganizationalUnit!;
    await client.send(new CreateOrganizationalUnitCommand({ ParentId: security.Id!, Name: 'Forensics' }));
    await client.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Workloads' }));
    const request = (await client.send(new CreateAccountCommand({ AccountName: 'Audit', Email: 'audit@example.com' }))).CreateAccountStatus!;
    let auditId: string | undefined;
    for (let i = 0; i < 200 && !auditId; i++) {
      const status = (await client.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: request.Id! }))).CreateAccountStatus!;
      auditId = status.State === 'SUCCEEDED' ? status.AccountId : undefined;
      if (!auditId) await new Promise(resolve => setTimeout(resolve, 20));
    }
    await client.send(new MoveAccountCommand({ AccountId: auditId!, SourceParentId: rootId, DestinationParentId: security.Id! }));
    const content = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] });
    const policy = (await client.send(new CreatePolicyCommand({ Name: 'DenyLeave', Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: content }))).Policy!.PolicySummary!;
    await client.send(new AttachPolicyCommand({ PolicyId: policy.Id!, TargetId: security.Id! }));
    await client.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'config.amazonaws.com' }));
    await client.send(new RegisterDelegatedAdministratorCommand({ AccountId: auditId!, ServicePrincipal: 'config.amazonaws.com' }));
    const printed = capture();

    expect(await main('tree', ['--endpoint', emulator.endpoint], printed.io)).toBe(0);

    const management = emulator.managementAccountId;
    const text = printed.out.join('\n');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Organization o-[a-z0-9]+ \\(all features\\), management account ${management} <.+>$`));
    expect(lines[1]).toBe('Trusted services: config.amazonaws.com');
    expect(lines.slice(2).map(line => line.replace(/\(ou-[^)]+\)/g, '(ou)').replace(/\(p-[^,]+,/g, '(p,').replace(/<[^>]+>/g, '<email>').replace(management, 'MGMT').replace(auditId!, 'AUDIT')))
      .toEqual([
        `Root ${rootId}  policy types: SERVICE_CONTROL_POLICY`,
        '│   policy: FullAWSAccess (p, SCP, AWS managed)',
        '├── OU Security (ou)',
        '│   │   policy: DenyLeave (p, SCP)',
        '│   │   policy: FullAWSAccess (p, SCP, AWS managed)',
        '│   ├── OU Forensics (ou)',
        '│   │       policy: FullAWSAccess (p, SCP, AWS managed)',
        '│   └── Account Audit (AUDIT) <email>',
        '│           policy: FullAWSAccess (p, SCP, AWS managed)',
        '│           delegated administrator for: config.amazonaws.com',
        '├── OU Workloads (ou)',
        '│       policy: FullAWSAccess (p, SCP, AWS managed)',
        expect.stringMatching(/^└── Account .+ \(MGMT\) <email> \[management account\]$/),
        '        policy: FullAWSAccess (p, SCP, AWS managed)',
      ]);

    const json = capture();
    expect(await main('tree', ['--endpoint', emulator.endpoint, '--json'], json.io)).toBe(0);
    const tree = JSON.parse(json.out.join('\n'));
    expect(tree.roots[0].children.map((child: { name: string }) => child.name)).toEqual(['Security', 'Workloads', expect.any(String)]);
    expect(renderOrganizationTree(tree)).toBe(`${text}\n`);
  });

  test('says so when there is no organization', () => {
    expect(renderOrganizationTree({ roots: [], trustedServices: [] })).toMatch(/^No organization/);
  });
});
