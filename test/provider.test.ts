import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Account, Organization, OrganizationalUnit, Policy, PolicyContent, PolicyType } from '../src';
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
function landingZone(ous: number, app = new App()): Stack {
  const stack = new Stack(app, 'LandingZone');
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
