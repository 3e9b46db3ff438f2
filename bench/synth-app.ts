/**
 * One synth, measured in a process of its own (run by bench/synth.ts, compiled to plain
 * JavaScript first so that no TypeScript compiler is timed): the benchmark's app of N accounts,
 * N/10 OUs and 3 SCPs attached to every OU, written either with this library's constructs
 * (`ours`) or with aws-cdk-lib's L1 types alone (`l1`: the same custom resources as `CfnResource`s,
 * served by one L1 function), the floor a construct library can reach.
 *
 *   node synth-app.js ours|l1 <accounts> <outdir>
 *
 * Prints one line of JSON: milliseconds from the process start to each phase's end, and what
 * was written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** Where the bundled handlers are, from bench/ (source) and from the compiled copy alike. */
const HANDLERS = process.env.BENCH_HANDLERS ?? path.join(__dirname, '..', 'assets', 'handlers');

export interface SynthShape {
  readonly accounts: number;
  readonly ous: number;
  readonly scps: number;
}

/** The benchmark's shape for N accounts: N/10 OUs (at least one), 3 SCPs. */
export function shapeOf(accounts: number): SynthShape {
  return { accounts, ous: Math.max(1, Math.ceil(accounts / 10)), scps: 3 };
}

/** The SCP of index `i`, the same in both apps. */
export function scpDocument(i: number): object {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: [`service${i}:Delete*`], Resource: '*' }] };
}

/** The app with this library's constructs. */
function synthOurs(shape: SynthShape, outdir: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { App, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const lib = require('../src') as typeof import('../src');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench');
  const organization = new lib.Organization(stack, 'Organization');
  const ous = Array.from({ length: shape.ous }, (_, i) =>
    new lib.OrganizationalUnit(stack, `Ou${i}`, { organizationalUnitName: `ou-${i}`, parent: organization.root }));
  for (let i = 0; i < shape.accounts; i++) {
    new lib.Account(stack, `Account${i}`, { accountName: `account-${i}`, email: `aws+account-${i}@example.com`, parent: ous[i % ous.length] });
  }
  for (let i = 0; i < shape.scps; i++) {
    const policy = new lib.Policy(stack, `Scp${i}`, {
      policyName: `scp-${i}`,
      policyType: lib.PolicyType.SERVICE_CONTROL_POLICY,
      content: lib.PolicyContent.fromJson(scpDocument(i)),
    });
    for (const ou of ous) policy.attachTo(ou);
  }
  mark('build');
  app.synth();
}

/**
 * The same resources with aws-cdk-lib's L1 types: the same custom resource types, properties and
 * DependsOn (the organization, trusted access, the SCP type, lanes of 5 accounts), one role and
 * one function with the same handler asset as their service token. No validation, no provider
 * framework: the floor.
 */
function synthL1(shape: SynthShape, outdir: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { CfnRole } = require('aws-cdk-lib/aws-iam') as typeof import('aws-cdk-lib/aws-iam');
  const { CfnFunction } = require('aws-cdk-lib/aws-lambda') as typeof import('aws-cdk-lib/aws-lambda');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = new cdk.App({ outdir });
  const stack = new cdk.Stack(app, 'Bench');
  const role = new CfnRole(stack, 'HandlerRole', {
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    managedPolicyArns: [`arn:${cdk.Aws.PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`],
    policies: [{ policyName: 'Organizations', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'organizations:*', Resource: '*' }] } }],
  });
  const asset = stack.synthesizer.addFileAsset({
    sourceHash: 'handlers',
    fileName: HANDLERS,
    packaging: cdk.FileAssetPackaging.ZIP_DIRECTORY,
  });
  const handler = new CfnFunction(stack, 'Handler', {
    code: { s3Bucket: asset.bucketName, s3Key: asset.objectKey },
    handler: 'index.onEvent',
    runtime: 'nodejs22.x',
    role: role.attrArn,
  });
  const serviceToken = handler.attrArn;
  const resource = (id: string, type: string, properties: Record<string, unknown>) =>
    new cdk.CfnResource(stack, id, { type, properties: { ServiceToken: serviceToken, ...properties } });
  const organization = resource('Organization', 'Custom::Organizations_Organization', { FeatureSet: 'ALL' });
  const access = resource('AwsServiceAccess', 'Custom::Organizations_AwsServiceAccess', { ServicePrincipal: 'account.amazonaws.com' });
  access.addDependency(organization);
  const scpType = resource('EnabledScp', 'Custom::Organizations_EnabledPolicyType',
    { RootId: organization.getAtt('RootId'), PolicyType: 'SERVICE_CONTROL_POLICY' });
  const ous = Array.from({ length: shape.ous }, (_, i) =>
    resource(`Ou${i}`, 'Custom::Organizations_OrganizationalUnit', { Name: `ou-${i}`, ParentId: organization.getAtt('RootId') }));
  const accounts: import('aws-cdk-lib').CfnResource[] = [];
  for (let i = 0; i < shape.accounts; i++) {
    const account = resource(`Account${i}`, 'Custom::Organizations_Account', {
      AccountName: `account-${i}`,
      Email: `aws+account-${i}@example.com`,
      ParentId: ous[i % ous.length].ref,
      AdoptExisting: 'true',
      RemovalAction: 'RETAIN',
      CreateTimeoutSeconds: '2700',
    });
    if (i >= 5) account.addDependency(accounts[i - 5]);
    account.addDependency(access);
    account.addDependency(organization);
    accounts.push(account);
  }
  for (let i = 0; i < shape.scps; i++) {
    const policy = resource(`Scp${i}`, 'Custom::Organizations_Policy', {
      Name: `scp-${i}`,
      Type: 'SERVICE_CONTROL_POLICY',
      Content: JSON.stringify(scpDocument(i)),
      TargetIds: ous.map(ou => ou.ref),
    });
    policy.addDependency(organization);
    policy.addDependency(scpType);
  }
  mark('build');
  app.synth();
}

const marks: Record<string, number> = {};
const cpu: Record<string, number> = {};
/** Wall and CPU (user + system, every thread) milliseconds since the process started. */
function mark(phase: string): void {
  marks[phase] = performance.now();
  const usage = process.cpuUsage();
  cpu[phase] = (usage.user + usage.system) / 1000;
}

function main(): void {
  const [mode, accounts, outdir] = process.argv.slice(2);
  mark('start');
  const shape = shapeOf(Number(accounts));
  if (mode === 'ours') synthOurs(shape, outdir);
  else if (mode === 'l1') synthL1(shape, outdir);
  else throw new Error(`mode must be ours or l1, got ${mode}`);
  mark('synth');
  const usage = process.resourceUsage();
  const template = fs.readFileSync(path.join(outdir, 'Bench.template.json'), 'utf8');
  process.stdout.write(JSON.stringify({
    mode,
    shape,
    startMs: marks.start,
    buildMs: marks.build - marks.start,
    synthMs: marks.synth - marks.build,
    totalMs: marks.synth,
    cpuStartMs: cpu.start,
    cpuBuildMs: cpu.build - cpu.start,
    cpuSynthMs: cpu.synth - cpu.build,
    cpuTotalMs: cpu.synth,
    maxRssMb: usage.maxRSS / 1024,
    heapMb: process.memoryUsage().heapUsed / 1024 / 1024,
    resources: Object.keys(JSON.parse(template).Resources).length,
    templateBytes: Buffer.byteLength(template),
  }) + '\n');
}

if (require.main === module) main();
