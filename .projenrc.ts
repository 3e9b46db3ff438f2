import { awscdk, javascript } from 'projen';
import { HandlerBundle } from './src/private/contract';

const project = new awscdk.AwsCdkConstructLibrary({
  author: 'cdk-organizations developers',
  authorAddress: 'maintainers@cdk-organizations.dev',
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  name: 'cdk-organizations',
  description: 'Declare your whole AWS Organization (OUs, accounts, policies, delegated administrators) in a CDK app, and rehearse it locally against an emulator.',
  keywords: ['cdk', 'aws-cdk', 'awscdk', 'organizations', 'aws-organizations', 'landing-zone'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/cdk-organizations/cdk-organizations.git',
  github: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  devDeps: [
    '@aws-sdk/client-organizations@3.1175.0',
    '@aws-sdk/client-account@3.1169.0',
    '@aws-sdk/client-cloudformation@3.1169.0',
    '@smithy/util-retry',
    '@types/aws-lambda',
    'esbuild@0.28.2',
    'aws-sdk-client-mock@4.1.0',
    'aws-sdk-client-mock-jest@4.1.0',
    // test/nag.test.ts: 2.38.x is the line that runs on aws-cdk-lib 2.257 (3.x fails at run time).
    'cdk-nag@2.38.2',
    // The TypeScript runner README.md shows (ts-node fails with TypeScript 7; cdk init writes tsx).
    'tsx@4.23.15',
  ],

  // The other languages' package names. Nothing is published (release: false): jsii-pacmak needs
  // these to generate the bindings (`npx projen bindings`).
  publishToPypi: { distName: 'cdk-organizations', module: 'cdk_organizations' },
  publishToMaven: {
    javaPackage: 'dev.cdkorganizations',
    mavenGroupId: 'dev.cdk-organizations',
    mavenArtifactId: 'cdk-organizations',
  },
  publishToNuget: { dotNetNamespace: 'CdkOrganizations', packageId: 'CdkOrganizations' },
  publishToGo: { moduleName: 'github.com/cdk-organizations/cdk-organizations-go', packageName: 'cdkorganizations' },

  jestOptions: {
    // Snapshots are tripwires: a changed snapshot must fail, never be rewritten silently.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // Which files run: the jest projects below.
      testTimeout: 60_000,
      collectCoverage: false,
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda', 'local', 'examples', 'projenrc', '.projenrc.ts'],
  },
  bin: { 'cdk-organizations': 'lib/local/cli.js' },
  // test/readme.test.ts runs the README's commands in .readme-*/ (removed after the run).
  gitignore: ['/assets/', '/cdk.out/', '*.cdk.out/', '/.emulator/', '/.readme-*/'],
});

// The boundaries CONTRIBUTING.md describes: the handlers share only the contract with the
// constructs, and the local tools reach neither except through the built assets.
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      { target: './lambda', from: './src', except: ['./private/contract.ts'], message: 'lambda/ imports only src/private/contract.ts from src/.' },
      { target: './local', from: './src', message: 'local/ loads what it needs from the built assets, not from src/.' },
      { target: './local', from: './lambda', message: 'local/ runs the bundled handlers (assets/handlers), not lambda/.' },
    ],
  }],
});

// One way to call AWS from a handler (lambda/shared/call.ts): retried within the deadline, mutating calls logged.
project.eslint?.addOverride({
  files: ['lambda/**/*.ts'],
  excludedFiles: ['lambda/shared/call.ts'],
  rules: {
    'no-restricted-syntax': ['error', {
      selector: "CallExpression[callee.property.name='send']",
      message: 'Call AWS through call() or callAllPages() of lambda/shared/call.ts: they retry within the deadline and log every mutating call.',
    }],
  },
});

for (const pattern of ['/lambda/', '/local/', '/examples/', '/bench/', '/.ci/', '/cdk.out/', '/test-reports/']) {
  project.addPackageIgnore(pattern);
}

// Handlers are bundled once, at build time, into assets/ which ships in the npm package:
// a user's `cdk synth` needs neither esbuild nor Docker, and asset hashes are the same on every machine.
const bundle = project.addTask('bundle', {
  description: 'Type-check the Lambda handlers and bundle them (with the AWS SDK) into assets/handlers, and the policy syntax rules into assets/policy-rules',
  steps: [
    { exec: 'tsc --noEmit -p lambda/tsconfig.json' },
    {
      // The SDK's ES module builds: a third smaller than its CommonJS ones, and about half the cold require.
      exec: [
        'esbuild lambda/index.ts --bundle --platform=node --target=node22 --format=cjs --minify --main-fields=module,main',
        `--legal-comments=none --log-level=warning --outfile=${HandlerBundle.DIRECTORY}/${HandlerBundle.FILE}`,
      ].join(' '),
    },
    // The policy syntax rules, one table for the constructs and the emulator: local/ cannot import src/,
    // so the emulator loads this bundle at run time.
    {
      exec: [
        'esbuild src/private/policy-rules.ts --bundle --platform=node --target=node22 --format=cjs',
        '--legal-comments=none --log-level=warning --outfile=assets/policy-rules/index.js',
      ].join(' '),
    },
  ],
});
project.preCompileTask.spawn(bundle);
// ts-jest transpiles each file on its own (isolatedModules) and reports no type errors: check the
// tests, and through them the emulator, the deployer and the example, with the compiler first.
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the tests and the examples (jest only transpiles them)',
  steps: [
    { exec: 'tsc --noEmit -p test/tsconfig.json' },
    { exec: 'tsc --noEmit -p examples/tsconfig.json' },
  ],
});
// Construct tests synthesize the real asset, so `npx projen test` alone must bundle first too.
project.testTask.prependSpawn(typecheck);
project.testTask.prependSpawn(bundle);

// Three jest projects, so that the inner loop can leave out what deploys or runs commands
// (CONTRIBUTING.md, "The inner loop"). `npx projen test` runs all three in one jest run, with the
// root's reporters and coverage settings. Jest reads only the projects' testMatch once projects are
// set: the root's (projen's defaults, which also match *spec.ts anywhere under test/) is removed so
// that nobody reads it as live. Every test file belongs to exactly one project, and a file in a new
// folder of test/ to e2e, so that none is left out of `npx projen test`.
const jest = project.jest!;
/** Test files of the unit and handler folders that run commands in child processes or generate packages. */
const SLOW_FILES = ['test/readme.test.ts', 'test/bindings.test.ts', 'test/emulator/cli.test.ts'];
const slow = SLOW_FILES.map(file => file.replace(/[.]/g, '\\.') + '$');
const jestProject = (displayName: string, testMatch: string[], ignore: string[]) => ({
  displayName,
  testMatch: testMatch.map(pattern => `<rootDir>/${pattern}`),
  testPathIgnorePatterns: ['/node_modules/', ...ignore.map(pattern => `<rootDir>/${pattern}`)],
  coveragePathIgnorePatterns: ['/node_modules/'],
  transform: jest.config.transform,
  clearMocks: true,
});
jest.config.projects = [
  // The constructs: synth only.
  jestProject('unit', ['test/*.test.ts'], slow),
  // The handlers and the emulator, in process, against the emulator over HTTP: no deploys.
  jestProject('handler', ['test/lambda/**/*.test.ts', 'test/emulator/**/*.test.ts'], slow),
  // The rest: e2e, deployer, soak, examples, and the slow files above.
  jestProject('e2e', ['test/**/*.test.ts'], [`test/(?!${slow.map(s => s.slice('test/'.length)).join('|')})(lambda/|emulator/|[^/]+\\.test\\.ts$)`]),
];
jest.config.testMatch = undefined;
// Two workers: jest's default on 2 cores is one (cores - 1), which runs the files one after the other.
project.addTask('test:fast', {
  description: 'The unit and handler jest projects (no deploys, no bundle, no type-check): the inner loop',
  // --ci as in the test task: a missing snapshot fails instead of being written.
  exec: 'jest --ci --selectProjects unit handler --maxWorkers=2',
  receiveArgs: true,
});

// The emulator, the local deployer and their CLI are plain TypeScript outside the jsii API.
const compileLocal = project.addTask('compile:local', {
  description: 'Compile the local emulator and deployer (local/) into lib/local',
  exec: 'tsc -p local/tsconfig.json',
});
project.postCompileTask.spawn(compileLocal);
// The bin, bundled with the AWS SDK over tsc's lib/local/cli.js: installing the library adds no
// dependency (jsii consumers in other languages get none), yet snapshot/plan/drift reach real AWS.
const bundleCli = project.addTask('bundle:cli', {
  description: 'Bundle the cdk-organizations CLI (local/, with the AWS SDK) into lib/local/cli.js',
  exec: 'esbuild local/cli.ts --bundle --platform=node --target=node20 --format=cjs --legal-comments=none --log-level=warning --outfile=lib/local/cli.js',
});
project.postCompileTask.spawn(bundleCli);

project.addTask('cli', {
  description: 'Run the cdk-organizations CLI from sources (emulator, deploy, destroy, tree)',
  exec: 'ts-node --transpile-only --project local/tsconfig.json local/cli.ts',
  receiveArgs: true,
});

// Long runs of their own, not part of the test command (a seeded quick mode of each runs in the tests):
// randomized lifecycles of app versions under faults, and the local deployer killed at random points.
project.addTask('soak', {
  description: 'Randomized app versions and deploy sequences with faults against the emulator (--lifecycles N --seed S)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json test/soak/cli.ts',
  receiveArgs: true,
}).prependSpawn(bundle);
project.addTask('bench', {
  description: 'The benchmark suite: synth against L1, the handler bundle, deploys against the emulator, the package (--quick, --json); prints figures, asserts no times',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/cli.ts',
  receiveArgs: true,
}).prependSpawn(bundle);
project.addTask('kill-soak', {
  description: 'Kill the local deployer at random points of creations, updates and rollbacks, then recover (--kills N --seed S)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json test/deployer/kill-soak.ts',
  receiveArgs: true,
}).prependSpawn(bundle);

// The README's first command: a landing zone deployed, changed and printed against the local emulator.
const demo = project.addTask('demo', {
  description: 'Deploy the example landing zone to a local emulator, print it, then apply its second version',
});
demo.spawn(bundle);
demo.exec('ts-node --transpile-only --project examples/tsconfig.json examples/landing-zone/demo.ts', { receiveArgs: true });

// Packaging Python, Java, .NET and Go needs their registries (PyPI, Maven Central, NuGet), which
// build machines do not reach: the build packages js only, and `bindings` generates every
// language's sources offline (test/bindings.test.ts checks the Python ones name the API).
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);
project.addTask('bindings', {
  description: 'Generate the Python, Java, .NET and Go bindings\' sources into dist/bindings (offline; after compile)',
  exec: 'jsii-pacmak --code-only --force-target --target python --target java --target dotnet --target go --outdir dist/bindings',
});

project.synth();
