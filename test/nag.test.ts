/**
 * cdk-nag's AwsSolutions, NIST 800-53 R5 and Serverless packs on a user's stack: no unsuppressed
 * finding with the default provider settings, and every suppression the library makes carries its
 * reason and is one that a finding needs (none is stale).
 */
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type { SynthesisMessage } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { Account, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType, ProviderSettings, ProviderSettingsProps } from '../src';

/** The README's quick start: every kind of provider (sync and async) and both kinds of role. */
function quickStart(settings?: (stack: Stack) => ProviderSettingsProps, app = new App()): { app: App; stack: Stack } {
  const stack = new Stack(app, 'Organization');
  if (settings) ProviderSettings.configure(stack, settings(stack));
  const organization = new Organization(stack, 'Organization');
  const workloads = new OrganizationalUnit(stack, 'Workloads', { organizationalUnitName: 'Workloads', parent: organization.root });
  new Account(stack, 'Prod', { accountName: 'prod', email: 'aws+prod@example.com', parent: workloads });
  new Policy(stack, 'DenyLeave', {
    policyName: 'deny-leave-organization',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] }),
  }).attachTo(workloads);
  return { app, stack };
}

/** The context `cdk init` writes into cdk.json: its recommended feature flags (one CDK-managed log group per function, ...). */
const CDK_INIT_CONTEXT = { ...cxapi.NEW_PROJECT_DEFAULT_CONTEXT, ...cxapi.CURRENTLY_RECOMMENDED_FLAGS };

interface Findings { unsuppressed: string[]; suppressed: string[] }

/** `<resource path> <rule>` of each "CdkNagSuppression[finding]: <rule> was triggered but suppressed" annotation. */
function triggered(findings: Findings): Set<string> {
  return new Set(findings.suppressed.map(s => {
    const match = /^(\S+): CdkNagSuppression(?:\[.*\])?: (\S+) was triggered/.exec(s);
    if (!match) throw new Error(`unexpected cdk-nag annotation: ${s}`);
    return `${match[1]} ${match[2]}`;
  }));
}

// aws-cdk-lib's synthesis sets process.exitCode when it reports errors (the user's own function in
// one test has findings on purpose): the test process, whose code jest decides, must not keep it.
afterEach(() => {
  process.exitCode = 0;
});

/** Runs the three packs the way a user adds them (Aspects on the app) and collects their annotations. */
function nag(stack: Stack, app: App): Findings {
  const options = { logIgnores: true };
  for (const pack of [new AwsSolutionsChecks(options), new NIST80053R5Checks(options), new ServerlessChecks(options)]) {
    Aspects.of(app).add(pack);
  }
  app.synth();
  const annotations = Annotations.fromStack(stack);
  const line = (a: SynthesisMessage) => `${a.id}: ${String(a.entry.data).split('\n')[0]}`;
  return {
    unsuppressed: [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())].map(line),
    suppressed: annotations.findInfo('*', Match.stringLikeRegexp('was triggered but suppressed')).map(line),
  };
}

/** Every suppression the library recorded: resource path, rule and reason. */
function suppressions(stack: Stack): Array<{ path: string; id: string; reason: string; applies_to?: unknown[] }> {
  return stack.node.findAll()
    .filter((c): c is CfnResource => c instanceof CfnResource)
    .flatMap(r => (r.getMetadata('cdk_nag')?.rules_to_suppress ?? []).map((s: any) => ({ path: r.node.path, ...s })));
}

describe.each([
  ['an app without feature flags', {}],
  ['an app with the feature flags cdk init writes', CDK_INIT_CONTEXT],
])('with the default provider settings, in %s', (_, context) => {
  const { app, stack } = quickStart(undefined, new App({ context }));
  const findings = nag(stack, app);

  test('AwsSolutions, NIST 800-53 R5 and Serverless report no unsuppressed finding', () => {
    expect(findings.unsuppressed).toEqual([]);
  });

  test('the library does suppress findings (the packs ran and found what the suppressions cover)', () => {
    const rules = [...triggered(findings)].map(t => t.split(' ')[1]);
    for (const pack of ['AwsSolutions-', 'NIST.800.53.R5-', 'Serverless-']) {
      expect(rules.some(r => r.startsWith(pack))).toBe(true);
    }
  });

  test('every suppression has a written reason and sits on a provider resource', () => {
    const all = suppressions(stack);
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) {
      expect(s.path).toMatch(/^Organization\/OrganizationsProvider\//);
      expect(s.reason.length).toBeGreaterThanOrEqual(60);
    }
  });

  test('no suppression is stale: each rule suppressed on a resource was triggered there', () => {
    const seen = triggered(findings);
    const stale = suppressions(stack).map(s => `/${s.path} ${s.id}`).filter(key => !seen.has(key));
    expect(stale).toEqual([]);
  });
});

test('no construct of the user\'s own is suppressed: a user function still gets its findings', () => {
  const { app, stack } = quickStart();
  new lambda.Function(stack, 'Mine', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
  const { unsuppressed } = nag(stack, app);
  expect(unsuppressed.length).toBeGreaterThan(0);
  expect(unsuppressed.every(f => f.startsWith('/Organization/Mine/'))).toBe(true);
});

test('the settings that fix a finding drop its suppression, and nothing new is reported on the providers', () => {
  const { app, stack } = quickStart(s => ({
    logRetention: logs.RetentionDays.ONE_YEAR,
    reservedConcurrentExecutions: 5,
    waiterLogging: { level: sfn.LogLevel.ALL, destination: new logs.LogGroup(s, 'WaiterLogs') },
    vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 }),
    runtime: lambda.Runtime.NODEJS_22_X,
  }), new App({ context: CDK_INIT_CONTEXT }));
  const { unsuppressed } = nag(stack, app);
  // The user's own VPC and log group are theirs to configure; the providers add nothing.
  expect(unsuppressed.filter(f => f.includes('/OrganizationsProvider/'))).toEqual([]);
  const ids = suppressions(stack).map(s => `${s.path.split('/').slice(2, 3)[0]} ${s.id}`);
  expect(ids).not.toContain('OnEvent NIST.800.53.R5-LambdaConcurrency');
  expect(ids).not.toContain('OnEvent NIST.800.53.R5-LambdaInsideVPC');
  expect(ids.some(i => i.endsWith('AwsSolutions-SF1'))).toBe(false);
});
