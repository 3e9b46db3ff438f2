import { awscdk, javascript } from 'projen';

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
  ],

  jestOptions: {
    // Snapshots are tripwires: a changed snapshot must fail, never be rewritten silently.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 60_000,
      collectCoverage: false,
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda', 'local', 'examples', 'projenrc', '.projenrc.ts'],
  },
  bin: { 'cdk-organizations': 'lib/local/cli.js' },
  gitignore: ['/assets/', '/cdk.out/', '*.cdk.out/', '/.emulator/'],
});

for (const pattern of ['/lambda/', '/local/', '/examples/', '/bench/', '/.ci/', '/cdk.out/', '/test-reports/']) {
  project.addPackageIgnore(pattern);
}

// Handlers are bundled once, at build time, into assets/ which ships in the npm package:
// a user's `cdk synth` needs neither esbuild nor Docker, and asset hashes are the same on every machine.
const bundle = project.addTask('bundle', {
  description: 'Type-check the Lambda handlers and bundle them (with the AWS SDK) into assets/handlers',
  steps: [
    { exec: 'tsc --noEmit -p lambda/tsconfig.json' },
    {
      exec: [
        'esbuild lambda/index.ts --bundle --platform=node --target=node22 --format=cjs --minify',
        '--legal-comments=none --log-level=warning --outfile=assets/handlers/index.js',
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

// The emulator, the local deployer and their CLI are plain TypeScript outside the jsii API.
const compileLocal = project.addTask('compile:local', {
  description: 'Compile the local emulator and deployer (local/) into lib/local',
  exec: 'tsc -p local/tsconfig.json',
});
project.postCompileTask.spawn(compileLocal);

project.addTask('cli', {
  description: 'Run the cdk-organizations CLI from sources (emulator, deploy, destroy, tree)',
  exec: 'ts-node --transpile-only --project local/tsconfig.json local/cli.ts',
  receiveArgs: true,
});

// The README's first command: a landing zone deployed, changed and printed against the local emulator.
const demo = project.addTask('demo', {
  description: 'Deploy the example landing zone to a local emulator, print it, then apply its second version',
});
demo.spawn(bundle);
demo.exec('ts-node --transpile-only --project examples/tsconfig.json examples/landing-zone/demo.ts', { receiveArgs: true });

project.synth();
