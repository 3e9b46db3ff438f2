/**
 * Every TypeScript snippet of README.md is type-checked against the library's sources, as a user
 * would write it (`import ... from 'cdk-organizations'`), and every shell command of README.md is
 * either run here, offline, as written, or listed with the reason it is not, so the documentation
 * cannot drift.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ACCOUNT_ACTIONS, CLOUDFORMATION_ACTIONS, ORGANIZATIONS_ACTIONS } from '../src/private/provider';

const ROOT = path.join(__dirname, '..');

/** The ```ts blocks of a markdown text, with the line each starts on. */
export function typescriptSnippets(markdown: string): { line: number; code: string }[] {
  const snippets: { line: number; code: string }[] = [];
  const fence = /^```(ts|typescript)\s*$([\s\S]*?)^```\s*$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    snippets.push({ line, code: match[2] });
  }
  return snippets;
}

const PARSED = new Map<string, ts.SourceFile | undefined>();

function diagnosticsOf(snippets: { line: number; code: string }[]): string[] {
  const files = new Map(snippets.map((s, i) => [path.join(ROOT, 'test', `__readme_snippet_${i}__.ts`), s]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    esModuleInterop: true,
    types: ['node', 'jest'],
    paths: {
      'cdk-organizations': [path.join(ROOT, 'src', 'index.ts')],
      'cdk-organizations/lib/local/*': [path.join(ROOT, 'local', '*')],
    },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = name => files.has(name) || ts.sys.fileExists(name);
  host.readFile = name => files.get(name)?.code ?? readFile(name);
  host.getSourceFile = (name, version, onError) => {
    const snippet = files.get(name);
    if (snippet) return ts.createSourceFile(name, snippet.code, version);
    // The library's and its dependencies' files do not change during a run: parse each once.
    if (!PARSED.has(name)) PARSED.set(name, getSourceFile(name, version, onError));
    return PARSED.get(name);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  // Only the snippets' own diagnostics: checking every file of the library would take most of the time.
  return [...files.keys()].flatMap(name => ts.getPreEmitDiagnostics(program, program.getSourceFile(name)))
    .filter(d => d.file && files.has(d.file.fileName))
    .map(d => {
      const snippet = files.get(d.file!.fileName)!;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `README.md:${snippet.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

test('README has TypeScript snippets to check', () => {
  const snippets = typescriptSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(snippets.length).toBeGreaterThan(0);
});

test('every README TypeScript snippet compiles against the library', () => {
  const snippets = typescriptSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(diagnosticsOf(snippets)).toEqual([]);
});

test('a snippet with a type error is reported with its README line', () => {
  const errors = diagnosticsOf([{ line: 10, code: "import { App } from 'aws-cdk-lib';\nconst app: number = new App();\n" }]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^README\.md:12: Type 'App' is not assignable to type 'number'/);
});

/** The commands of the ```sh blocks of a markdown text (comment lines dropped, trailing `  # ...` comments cut), with their line. */
export function shellCommands(markdown: string): { line: number; command: string }[] {
  const commands: { line: number; command: string }[] = [];
  const fence = /^```(sh|bash|shell)\s*$([\s\S]*?)^```\s*$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const first = markdown.slice(0, match.index).split('\n').length + 1;
    match[2].split('\n').slice(1).forEach((text, i) => {
      const command = text.replace(/\s{2,}#.*$/, '').trim();
      if (command && !command.startsWith('#')) commands.push({ line: first + i, command });
    });
  }
  return commands;
}

/**
 * What this test does with each shell command of README.md. `run`: run as written, in README order
 * (`npx cdk-organizations` is the package's command from this checkout's sources; `PORT` is the
 * port of the emulator started before; `server`: a command that serves until stopped). `skip`: why not.
 */
type Plan = { run: 'command' | 'server'; note?: string } | { skip: string };
const COMMANDS: Record<string, Plan> = {
  'npm ci && npm run demo': { skip: 'CI runs `npm ci` (.ci/run), and test/examples/demo.test.ts runs the demo' },
  'npx projen build': { skip: 'the build that runs this test (.ci/run)' },
  'npm install cdk-organizations': { skip: 'needs the npm registry; CI installs this checkout from the lockfile' },
  'npm run demo': { skip: 'test/examples/demo.test.ts runs the demo' },
  'npm run demo -- --time-scale 0.1': { skip: 'the demo at a tenth of its speed (test/examples/demo.test.ts runs it at full speed)' },
  'npx cdk-organizations emulator --port 4566 --with-organization': { run: 'server', note: 'with --port 0: 4566 may be taken on a shared machine' },
  'export AWS_ENDPOINT_URL_ORGANIZATIONS=http://127.0.0.1:4566': { skip: 'environment for the AWS CLI lines that follow' },
  'export AWS_ENDPOINT_URL_ACCOUNT=http://127.0.0.1:4566': { skip: 'environment for the AWS CLI lines that follow' },
  'export AWS_ACCESS_KEY_ID=AKIDEMULATOR AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1': { skip: 'environment for the AWS CLI lines that follow' },
  'aws organizations describe-organization': { skip: 'needs the AWS CLI, which this project does not install; test/emulator drives the same operations with the SDK' },
  'aws organizations create-organizational-unit --parent-id "$(aws organizations list-roots --query \'Roots[0].Id\' --output text)" --name Workloads': { skip: 'needs the AWS CLI, which this project does not install; test/emulator drives the same operations with the SDK' },
  'npx cdk-organizations emulator --time-scale 0.001 --state .emulator/state.json': { run: 'server' },
  "npx cdk-organizations deploy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'": { run: 'command', note: 'bin/org.ts is the quick start' },
  'npx cdk-organizations tree --endpoint http://127.0.0.1:PORT': { run: 'command' },
  "npx cdk-organizations destroy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'": { run: 'command', note: 'fails as documented: the quick start retains its account, so its OU is not empty' },
  'npm ci': { skip: 'CI runs it (.ci/run)' },
  'npx projen test': { skip: 'the test task that runs this test' },
  'npx jest test/lambda': { skip: 'part of the test task that runs this test' },
  'npm run --silent cli -- emulator --port 0': { run: 'server' },
  'npx tsx bench/accounts.ts 20 0.005': { skip: 'a benchmark: it prints figures and asserts nothing' },
  'npx tsx bench/cli.ts': { skip: 'the benchmark suite, minutes long: test/bench/bench.test.ts runs its quick mode' },
  'npx tsx bench/cli.ts --quick': { skip: 'test/bench/bench.test.ts runs it (with --json)' },
  'npx tsx bench/cli.ts --json': { skip: 'the benchmark suite, minutes long: test/bench/bench.test.ts runs its quick mode with --json' },
  'npx tsx bench/synth.ts 10,100,400 5': { skip: 'a benchmark: it prints figures and asserts nothing (the suite runs it)' },
  'npm run soak -- --lifecycles 200 --seed 1': { skip: 'a long run (about 20 s a lifecycle); test/soak/soak.test.ts runs its seeded quick mode' },
  'npm run kill-soak -- --kills 50 --seed 1': { skip: 'a long run (about 15 minutes); test/deployer/kill-soak.test.ts runs its seeded quick mode' },
  'npx cdk-organizations snapshot --profile management --out org.json': { skip: 'needs AWS credentials of a management account: test/live/snapshot.test.ts runs snapshot against the emulator' },
  'npx cdk-organizations emulator --state org.json': { skip: 'needs the snapshot above; test/live/snapshot.test.ts loads a snapshot in the emulator' },
  'npx cdk-organizations plan --profile management --region eu-west-1 --app cdk.out': { skip: 'needs AWS credentials: test/live/plan.test.ts runs plan against the emulator' },
  'npx cdk-organizations drift --profile management --region eu-west-1 --unmanaged': { skip: 'needs AWS credentials: test/live/drift.test.ts runs drift against the emulator' },
  'npx cdk bootstrap aws://111111111111/us-east-1': { skip: 'needs AWS credentials of a management account' },
  'npx cdk deploy Organization': { skip: 'needs AWS credentials of a management account; the local deployer walkthrough deploys the same app to the emulator' },
  'npx projen bindings': { skip: 'test/bindings.test.ts generates the same sources (Python and Java) and checks them' },
  'npx jsii-pacmak --target python --code-only --force-target': { skip: 'test/bindings.test.ts runs it (into a temporary directory) and checks the generated sources' },
};

test('every README shell command is run by this test or skipped with a reason', () => {
  const commands = shellCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(commands.length).toBeGreaterThan(10);
  expect(commands.filter(c => !(c.command in COMMANDS)).map(c => `README.md:${c.line}: ${c.command}`)).toEqual([]);
  const written = new Set(commands.map(c => c.command));
  expect(Object.keys(COMMANDS).filter(c => !written.has(c))).toEqual([]);
});

test('a shell block is read as its commands, without comments', () => {
  expect(shellCommands('a\n```sh\n# comment\nnpm ci   # install\n\nnpx jest\n```\n')).toEqual([
    { line: 4, command: 'npm ci' },
    { line: 6, command: 'npx jest' },
  ]);
});

test('the deploying role\'s policy in README.md is valid JSON and lists exactly the handlers\' actions', () => {
  const markdown = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = markdown.slice(markdown.indexOf('## Deploying to AWS'));
  const json = /^```json\s*$([\s\S]*?)^```\s*$/m.exec(section)?.[1];
  expect(json).toBeDefined();
  const policy = JSON.parse(json!);
  const handlers = policy.Statement.find((s: any) => s.Sid === 'HandlerActions');
  expect(handlers).toMatchObject({ Effect: 'Allow', Resource: '*' });
  expect([...handlers.Action].sort()).toEqual([...ORGANIZATIONS_ACTIONS, ...ACCOUNT_ACTIONS, ...CLOUDFORMATION_ACTIONS, 'iam:CreateServiceLinkedRole'].sort());
  // CloudFormation creates the providers' resource types with the rest.
  const infrastructure: string[] = policy.Statement.find((s: any) => s.Sid === 'ProviderResources').Action;
  for (const action of ['iam:CreateRole', 'iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction', 'states:CreateStateMachine', 'logs:CreateLogGroup']) {
    expect(infrastructure).toContain(action);
  }
});

describe('the README shell commands that run offline', () => {
  const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_ENDPOINT_URL')));
  // Inside the checkout, so that `npx tsx` finds this checkout's tsx and nothing is fetched.
  let work: string;
  const servers: ChildProcess[] = [];

  /** The command as this test runs it: the package's command from sources, PORT filled in. */
  const resolve = (command: string, port?: string) => command
    .replace(/^npx cdk-organizations /, `"${TSX}" "${path.join(ROOT, 'local', 'cli.ts')}" `)
    .replace(/\bPORT\b/g, port ?? 'PORT');

  function run(command: string, cwd: string): Promise<{ code: number; output: string }> {
    return new Promise(done => {
      execFile('sh', ['-c', command], { cwd, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
      });
    });
  }

  /**
   * Starts a server command, waits for the URL it prints first, and returns it with a stop that
   * answers the exit code. `stop` sends SIGTERM to the command, as Ctrl-C or a service manager
   * would, and it passes it on (tsx to the node process it runs); `stop(true)` signals the whole
   * process group, for wrappers (npm, projen) that do not.
   */
  function serve(command: string, cwd: string): Promise<{ url: string; stop: (group?: boolean) => Promise<number | null> }> {
    const child = spawn('sh', ['-c', `exec ${command}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(child);
    const exited = new Promise<number | null>(done => child.on('exit', code => done(code)));
    return new Promise((ready, failed) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /^(http:\/\/\S+)/m.exec(output)?.[1];
        if (url) {
          child.stdout!.off('data', onData);
          ready({ url, stop: (group = false) => { process.kill(group ? -child.pid! : child.pid!, 'SIGTERM'); return exited; } });
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      void exited.then(code => failed(new Error(`${command} exited (${code}) before printing its URL:\n${output}`)));
    });
  }

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(ROOT, '.readme-'));
    // The quick start as a user's bin/org.ts; `cdk-organizations` resolves to this checkout's sources.
    const markdown = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const quickStart = typescriptSnippets(markdown.slice(markdown.indexOf('## Quick start')))[0].code;
    fs.mkdirSync(path.join(work, 'bin'));
    fs.writeFileSync(path.join(work, 'bin', 'org.ts'), quickStart);
    fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { 'cdk-organizations': [path.join(ROOT, 'src', 'index.ts')] } } }));
  });

  afterAll(() => {
    for (const child of servers) {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('the emulator, with the options of "Start it"', async () => {
    const command = 'npx cdk-organizations emulator --port 4566 --with-organization';
    const emulator = await serve(resolve(command).replace('--port 4566', '--port 0'), work);
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSOrganizationsV20161128.DescribeOrganization', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(((await response.json()) as any).Organization.FeatureSet).toBe('ALL');
    expect(await emulator.stop()).toBe(0);
  });

  test('the local deployer\'s walkthrough: emulator with --state in a new directory, deploy with tsx, tree, destroy', async () => {
    const [start, deploy, tree, destroy] = [
      'npx cdk-organizations emulator --time-scale 0.001 --state .emulator/state.json',
      "npx cdk-organizations deploy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'",
      'npx cdk-organizations tree --endpoint http://127.0.0.1:PORT',
      "npx cdk-organizations destroy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'",
    ];
    const emulator = await serve(resolve(start), work);
    const port = new URL(emulator.url).port;

    const deployed = await run(resolve(deploy, port), work);
    expect(deployed.output).toContain('Organization (CREATE_COMPLETE): 20 created');
    expect(deployed.code).toBe(0);

    const printed = await run(resolve(tree, port), work);
    expect(printed.code).toBe(0);
    expect(printed.output).toMatch(/OU Workloads \(ou-[a-z0-9-]+\)[\s\S]*policy: deny-leave-organization[\s\S]*Account prod \(\d{12}\) <aws\+prod@example\.com>/);

    // The quick start keeps its account (AccountRemovalAction.RETAIN, the default), and an OU that
    // still holds an account is never deleted: destroy stops there and says what to do.
    const destroyed = await run(resolve(destroy, port), work);
    expect(destroyed.code).toBe(1);
    expect(destroyed.output).toContain('Cannot delete organizational unit "Workloads"');
    expect(destroyed.output).toMatch(/Run 'cdk-organizations destroy Organization --retain-resources Workloads[0-9A-F]{8}'/);

    expect(await emulator.stop()).toBe(0);
    // --state made its directory, and the state was saved.
    const state = JSON.parse(fs.readFileSync(path.join(work, '.emulator', 'state.json'), 'utf8'));
    expect(JSON.stringify(state)).toContain('aws+prod@example.com');
  }, 180_000);

  test('the development section\'s emulator (npm run cli)', async () => {
    const emulator = await serve('npm run --silent cli -- emulator --port 0', ROOT);
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSOrganizationsV20161128.DescribeOrganization', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    // No --with-organization: CreateOrganization is the first call.
    expect(((await response.json()) as any).__type).toMatch(/AWSOrganizationsNotInUseException/);
    // npm itself receives the SIGTERM too and ends by the signal: no exit code to compare.
    await emulator.stop(true);
  }, 60_000);

  test('every command this test runs is one README.md has, planned as run', () => {
    for (const command of [
      'npx cdk-organizations emulator --port 4566 --with-organization',
      'npx cdk-organizations emulator --time-scale 0.001 --state .emulator/state.json',
      "npx cdk-organizations deploy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'",
      'npx cdk-organizations tree --endpoint http://127.0.0.1:PORT',
      "npx cdk-organizations destroy --endpoint http://127.0.0.1:PORT --app 'npx tsx bin/org.ts'",
      'npm run --silent cli -- emulator --port 0',
    ]) {
      expect(COMMANDS[command]).toHaveProperty('run');
    }
  });
});
