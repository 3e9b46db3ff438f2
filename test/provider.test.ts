import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Account, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType, ProviderSettings, ProviderSettingsProps } from '../src';
import { ResourceType } from '../src/private/contract';
import { ACCOUNT_ACTIONS, CLOUDFORMATION_ACTIONS, ORGANIZATIONS_ACTIONS, QUERY_INTERVAL, TOTAL_TIMEOUT } from '../src/private/provider';

/** Resources that are not ours: the providers' fixed overhead. */
function overhead(stack: Stack): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values<any>(Template.fromStack(stack).toJSON().Resources)) {
    if (resource.Type.startsWith('Custom::Organizations_')) continue;
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** A stack with the organization, `ous` OUs with an account each, and an SCP attached to each OU. */
type Settings = (stack: Stack) => ProviderSettingsProps;
function landingZone(ous: number, app = new App(), settings?: Settings, env?: { region?: string; account?: string }): Stack {
  const stack = new Stack(app, 'LandingZone', { env });
  if (settings) ProviderSettings.configure(stack, settings(stack));
  const organization = new Organization(stack, 'Organization');
  const policy = new Policy(stack, 'DenyLeave', {
    policyName: 'deny-leave',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromJson({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] }),
  });
  for (let i = 0; i < ous; i++) {
    const ou = new OrganizationalUnit(stack, `Ou${i}`, { organizationalUnitName: `ou-${i}`, parent: organization.root });
    new Account(stack, `Account${i}`, { accountName: `account-${i}`, email: `account-${i}@example.com`, parent: ou });
    policy.attachTo(ou);
  }
  return stack;
}

/** Every edge (Ref, GetAtt, DependsOn) between the template's resources. */
function edges(template: any): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries<any>(template.Resources)) {
    const targets = new Set<string>(resource.DependsOn ?? []);
    const visit = (value: any): void => {
      if (Array.isArray(value)) { value.forEach(visit); return; }
      if (value === null || typeof value !== 'object') return;
      if (typeof value.Ref === 'string' && template.Resources[value.Ref]) targets.add(value.Ref);
      if (Array.isArray(value['Fn::GetAtt'])) targets.add(value['Fn::GetAtt'][0]);
      Object.values(value).forEach(visit);
    };
    visit(resource.Properties);
    graph.set(id, targets);
  }
  return graph;
}

describe('fixed template overhead', () => {
  test('a stack with every kind of resource pays at most 20 resources for its providers', () => {
    const counts = overhead(landingZone(1));
    expect(total(counts)).toBeLessThanOrEqual(20);
    // Two providers (sync and async) sharing one onEvent function, one role for both of our
    // functions, one for both framework onEvent functions, one for isComplete and onTimeout.
    expect(counts).toEqual({
      'AWS::Lambda::Function': 6,
      'AWS::IAM::Role': 4,
      'AWS::IAM::Policy': 3,
      'AWS::StepFunctions::StateMachine': 1,
    });
  });

  test('the overhead does not grow with the number of constructs', () => {
    expect(overhead(landingZone(50))).toEqual(overhead(landingZone(1)));
  });

  test('a stack without accounts or policy types pays only for the synchronous provider', () => {
    const stack = new Stack(new App(), 'Ous');
    new OrganizationalUnit(stack, 'Ou', {
      organizationalUnitName: 'Workloads',
      parent: OrganizationalUnit.fromOrganizationalUnitId(stack, 'Parent', 'ou-abcd-12345678'),
    });
    expect(overhead(stack)).toEqual({ 'AWS::Lambda::Function': 2, 'AWS::IAM::Role': 2, 'AWS::IAM::Policy': 1 });
  });

  test('the figures README.md gives: 20 resources for the quick start, 118 with 50 OUs and accounts', () => {
    const resources = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources).length;
    expect(resources(landingZone(1))).toBe(20);
    expect(resources(landingZone(50))).toBe(118);
  });

  test('the figures README.md gives with the feature flags cdk init writes: 26 and 124 (a log group per function), 21 with logRetention', () => {
    const cdkInit = () => new App({ context: { ...cxapi.NEW_PROJECT_DEFAULT_CONTEXT, ...cxapi.CURRENTLY_RECOMMENDED_FLAGS } });
    const resources = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources).length;
    expect(resources(landingZone(1, cdkInit()))).toBe(26);
    expect(resources(landingZone(50, cdkInit()))).toBe(124);
    Template.fromStack(landingZone(1, cdkInit())).resourceCountIs('AWS::Logs::LogGroup', 6);
    expect(resources(landingZone(1, cdkInit(), () => ({ logRetention: logs.RetentionDays.ONE_YEAR })))).toBe(21);
    expect(resources(landingZone(1, new App(), () => ({ logRetention: logs.RetentionDays.ONE_YEAR })))).toBe(21);
  });

  test('one CloudFormation resource per organization, OU, account and policy', () => {
    const template = Template.fromStack(landingZone(3));
    template.resourceCountIs(ResourceType.ORGANIZATION, 1);
    template.resourceCountIs(ResourceType.ORGANIZATIONAL_UNIT, 3);
    template.resourceCountIs(ResourceType.ACCOUNT, 3);
    template.resourceCountIs(ResourceType.POLICY, 1);
    template.resourceCountIs(ResourceType.POLICY_ATTACHMENT, 0);
  });

  test('the providers form no dependency cycle', () => {
    const graph = edges(Template.fromStack(landingZone(2)).toJSON());
    const state = new Map<string, 'visiting' | 'done'>();
    const cycleFrom = (id: string, trail: string[]): string[] | undefined => {
      if (state.get(id) === 'done') return undefined;
      if (state.get(id) === 'visiting') return [...trail, id];
      state.set(id, 'visiting');
      for (const next of graph.get(id) ?? []) {
        const cycle = cycleFrom(next, [...trail, id]);
        if (cycle) return cycle;
      }
      state.set(id, 'done');
      return undefined;
    };
    for (const id of graph.keys()) expect(cycleFrom(id, [])).toBeUndefined();
  });
});

describe('provider IAM', () => {
  function handlerRolePolicies(stack: Stack): unknown {
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('provider handlers') },
    });
    expect(Object.keys(roles)).toHaveLength(1);
    return Object.values<any>(roles)[0].Properties.Policies;
  }

  test('the handlers\' policy is the same with 1 and with 50 OUs', () => {
    expect(handlerRolePolicies(landingZone(50))).toEqual(handlerRolePolicies(landingZone(1)));
  });

  test('the handlers\' policy names exactly the Organizations, Account Management and CloudFormation actions they call', () => {
    Template.fromStack(landingZone(1)).hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('provider handlers'),
      Policies: [{
        PolicyName: 'Organizations',
        PolicyDocument: {
          Statement: [
            { Action: ORGANIZATIONS_ACTIONS, Effect: 'Allow', Resource: '*' },
            { Action: ACCOUNT_ACTIONS, Effect: 'Allow', Resource: '*' },
            {
              Action: CLOUDFORMATION_ACTIONS,
              Effect: 'Allow',
              Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stack/*']] },
            },
            {
              Action: 'iam:CreateServiceLinkedRole',
              Condition: { StringEquals: { 'iam:AWSServiceName': 'organizations.amazonaws.com' } },
              Effect: 'Allow',
              Resource: '*',
            },
          ],
        },
      }],
    });
  });

  test('every command the handlers send has its action in the policy', () => {
    // The handlers' `...Command` imports, read from their sources, against the policy's actions.
    const dir = path.join(__dirname, '..', 'lambda');
    const files = [...fs.readdirSync(dir), ...fs.readdirSync(path.join(dir, 'shared')).map(f => `shared/${f}`)].filter(f => f.endsWith('.ts'));
    const sources = files.map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const commands = new Set([...sources.matchAll(/\b([A-Z][A-Za-z]+)Command\b/g)].map(m => m[1]));
    const actions = new Set([...ORGANIZATIONS_ACTIONS, ...ACCOUNT_ACTIONS, ...CLOUDFORMATION_ACTIONS].map(a => a.split(':')[1]));
    expect([...commands].filter(c => !actions.has(c))).toEqual([]);
    expect([...actions].filter(a => !commands.has(a))).toEqual([]);
  });
});

describe('handler functions', () => {
  test('run the bundled handlers on Node.js 22 with explicit handlers and timeouts', () => {
    const template = Template.fromStack(landingZone(1));
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs22.x', Timeout: 300 });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.isComplete', Runtime: 'nodejs22.x', Timeout: 120 });
  });

  test('the waiter polls every 30 seconds for 50 minutes, within CloudFormation\'s hour', () => {
    expect(QUERY_INTERVAL.toSeconds()).toBe(30);
    expect(TOTAL_TIMEOUT.toMinutes()).toBe(50);
    const machines = Template.fromStack(landingZone(1)).findResources('AWS::StepFunctions::StateMachine');
    const definition = JSON.stringify(Object.values<any>(machines)[0].Properties.DefinitionString);
    expect(definition).toContain('\\"IntervalSeconds\\":30');
    expect(definition).toContain('\\"MaxAttempts\\":100');
  });

  test('resources that wait use the asynchronous provider, the others the synchronous one', () => {
    const template = Template.fromStack(landingZone(1)).toJSON();
    const tokenOf = (type: string) => Object.values<any>(template.Resources).find(r => r.Type === type).Properties.ServiceToken['Fn::GetAtt'][0];
    const asyncToken = tokenOf(ResourceType.ACCOUNT);
    const syncToken = tokenOf(ResourceType.ORGANIZATIONAL_UNIT);
    expect(asyncToken).not.toEqual(syncToken);
    expect(tokenOf(ResourceType.ENABLED_POLICY_TYPE)).toEqual(asyncToken);
    for (const type of [ResourceType.ORGANIZATION, ResourceType.POLICY, ResourceType.AWS_SERVICE_ACCESS]) expect(tokenOf(type)).toEqual(syncToken);
  });

  test('two synths of the same app give the same asset hashes', () => {
    const codeOf = (stack: Stack) => {
      const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^index\\.') } });
      return Object.values<any>(functions).map(f => f.Properties.Code);
    };
    const first = codeOf(landingZone(1));
    expect(first).toHaveLength(2);
    expect(first[0].S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(codeOf(landingZone(1))).toEqual(first);
  });
});

describe('provider settings', () => {
  const functions = (stack: Stack) => Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const ours = (stack: Stack) => functions(stack).filter(f => /^index\./.test(f.Properties.Handler));

  test('with none, nothing changes: no log group, no VPC, no reserved concurrency, a waiter that does not log', () => {
    const stack = landingZone(1);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    for (const f of functions(stack)) {
      expect(f.Properties.VpcConfig).toBeUndefined();
      expect(f.Properties.ReservedConcurrentExecutions).toBeUndefined();
      expect(f.Properties.LoggingConfig?.LogGroup).toBeUndefined();
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.absent() });
  });

  test('logRetention: one log group with that retention, used by every provider function', () => {
    const stack = landingZone(1, new App(), () => ({ logRetention: logs.RetentionDays.ONE_YEAR }));
    const template = Template.fromStack(stack);
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.values<any>(groups).map(g => g.Properties.RetentionInDays)).toEqual([365]);
    const [groupId] = Object.keys(groups);
    expect(functions(stack)).toHaveLength(6);
    for (const f of functions(stack)) expect(f.Properties.LoggingConfig.LogGroup).toEqual({ Ref: groupId });
  });

  test('logGroup: the user\'s log group, for every provider function', () => {
    const stack = landingZone(1, new App(), s => ({ logGroup: new logs.LogGroup(s, 'Mine', { logGroupName: 'organizations-provider' }) }));
    Template.fromStack(stack).resourceCountIs('AWS::Logs::LogGroup', 1);
    for (const f of functions(stack)) expect(f.Properties.LoggingConfig.LogGroup.Ref).toMatch(/^Mine/);
  });

  test('runtime: the functions that run our handlers (the framework keeps its own)', () => {
    const stack = landingZone(1, new App(), () => ({ runtime: lambda.Runtime.NODEJS_24_X }));
    expect(ours(stack).map(f => f.Properties.Runtime)).toEqual(['nodejs24.x', 'nodejs24.x']);
  });

  test('vpc, vpcSubnets and securityGroups: every provider function runs in the VPC', () => {
    const stack = landingZone(1, new App(), s => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 });
      return { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [new ec2.SecurityGroup(s, 'Sg', { vpc })] };
    });
    expect(functions(stack)).toHaveLength(6);
    for (const f of functions(stack)) {
      expect(f.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Sg/), 'GroupId'] }]);
      expect(f.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    }
  });

  test('reservedConcurrentExecutions: on the functions that run our handlers', () => {
    const stack = landingZone(1, new App(), () => ({ reservedConcurrentExecutions: 10 }));
    expect(ours(stack).map(f => f.Properties.ReservedConcurrentExecutions)).toEqual([10, 10]);
  });

  test('waiterLogging: the waiter state machine logs with those options', () => {
    const stack = landingZone(1, new App(), s => ({ waiterLogging: { level: sfn.LogLevel.ALL, destination: new logs.LogGroup(s, 'Waiter') } }));
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Waiter'), 'Arn'] } } }] },
    });
  });

  test('settings of the app apply to its stacks; a stack\'s own win', () => {
    const app = new App();
    ProviderSettings.configure(app, { reservedConcurrentExecutions: 3 });
    const inherits = landingZone(1, app);
    const own = new Stack(app, 'Own');
    ProviderSettings.configure(own, { reservedConcurrentExecutions: 7 });
    new OrganizationalUnit(own, 'Ou', { organizationalUnitName: 'Ou', parent: OrganizationalUnit.fromOrganizationalUnitId(own, 'Parent', 'ou-abcd-12345678') });
    expect(ours(inherits).map(f => f.Properties.ReservedConcurrentExecutions)).toEqual([3, 3]);
    expect(ours(own).map(f => f.Properties.ReservedConcurrentExecutions)).toEqual([7]);
  });

  describe('refused, with the prop, the rule and the value', () => {
    const configure = (settings: (stack: Stack) => ProviderSettingsProps) => () => {
      const stack = new Stack(new App(), 'S');
      ProviderSettings.configure(stack, settings(stack));
    };
    test.each<[string, (stack: Stack) => ProviderSettingsProps, RegExp]>([
      ['logGroup and logRetention', s => ({ logGroup: new logs.LogGroup(s, 'L'), logRetention: logs.RetentionDays.ONE_DAY }), /either logGroup or logRetention, not both/],
      ['vpcSubnets without vpc', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), /vpcSubnets needs vpc/],
      ['securityGroups without vpc', s => ({ securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, 'Sg', 'sg-12345678')] }), /securityGroups needs vpc/],
      ['reserved concurrency 0', () => ({ reservedConcurrentExecutions: 0 }), /reservedConcurrentExecutions must be an integer of 1 or more .*got 0/],
      ['reserved concurrency 1.5', () => ({ reservedConcurrentExecutions: 1.5 }), /reservedConcurrentExecutions .*got 1\.5/],
      ['a Node.js runtime older than the bundle', () => ({ runtime: lambda.Runtime.NODEJS_20_X }), /runtime must be a Node\.js runtime of version 22 or later .*got nodejs20\.x/],
      ['a runtime that is not Node.js', () => ({ runtime: lambda.Runtime.PYTHON_3_13 }), /runtime must be a Node\.js runtime .*got python3\.13/],
    ])('%s', (_, settings, message) => {
      expect(configure(settings)).toThrow(message);
    });

    test('settings given after the first construct (the providers exist already)', () => {
      const stack = landingZone(1);
      expect(() => ProviderSettings.configure(stack, { reservedConcurrentExecutions: 2 }))
        .toThrow(/must come before the first cdk-organizations construct .*LandingZone\/OrganizationsProvider/);
    });

    test('two settings objects for one stack', () => {
      const stack = new Stack(new App(), 'S');
      ProviderSettings.configure(stack, {});
      expect(() => ProviderSettings.configure(stack, { reservedConcurrentExecutions: 2 })).toThrow(/already called for this scope/);
    });

    test('a scope that is neither a stack nor an app or stage', () => {
      const stack = new Stack(new App(), 'S');
      expect(() => ProviderSettings.configure(new OrganizationalUnit(stack, 'Ou', { organizationalUnitName: 'x', parent: OrganizationalUnit.fromOrganizationalUnitId(stack, 'P', 'ou-abcd-12345678') }), {}))
        .toThrow(/must be a Stack, a Stage or the App, got S\/Ou/);
    });
  });
});

describe('partitions', () => {
  /** Every string of the template that names an ARN, with the partition literal in it. */
  const literalArns = (stack: Stack) => JSON.stringify(Template.fromStack(stack).toJSON()).match(/arn:aws[a-z-]*:[^"]*/g) ?? [];

  test.each([undefined, 'us-east-1', 'cn-north-1', 'us-gov-west-1'])('no ARN the constructs build hard-codes a partition (stack region %s)', region => {
    const stack = landingZone(1, new App(), () => ({ logRetention: logs.RetentionDays.ONE_MONTH }), region ? { region, account: '111111111111' } : undefined);
    expect(literalArns(stack)).toEqual([]);
  });

  test('ARNs take the partition of the region they deploy to (AWS::Partition)', () => {
    const template = JSON.stringify(Template.fromStack(landingZone(1)).toJSON());
    // The handlers' CloudFormation statement and the managed policy of their roles.
    expect(template).toContain('{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":cloudformation:"');
    expect(template).toContain('{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}');
  });
});
