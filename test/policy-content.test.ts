import { App, Aws, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DOCUMENTED_EXAMPLES, DOCUMENTED_REFUSALS } from './policy-examples';
import { landingZoneApp } from '../examples/landing-zone/app';
import { Policy, PolicyContent, PolicyType } from '../src';
import { ResourceType } from '../src/private/contract';
import { checkPolicy, checkPolicyText, parseJson, POLICY_RULES, SOURCES } from '../src/private/policy-rules';

const SCP = PolicyType.SERVICE_CONTROL_POLICY;
const RCP = PolicyType.RESOURCE_CONTROL_POLICY;

function newStack(): Stack {
  return new Stack(new App(), 'Policies');
}

function policy(stack: Stack, policyType: PolicyType, content: PolicyContent, maxContentSize?: number): Policy {
  return new Policy(stack, 'P', { policyName: 'p', policyType, content, maxContentSize });
}

/** The Content property the policy synthesizes to. */
function synthesizedContent(stack: Stack): unknown {
  const resources = Template.fromStack(stack).findResources(ResourceType.POLICY);
  return Object.values(resources)[0].Properties.Content;
}

describe('the documented examples of every type are accepted and sent unchanged', () => {
  test('there are examples of every type whose syntax AWS documents with examples', () => {
    const types = new Set(DOCUMENTED_EXAMPLES.map(e => e.type));
    expect([...types].sort()).toEqual([
      'AISERVICES_OPT_OUT_POLICY', 'BACKUP_POLICY', 'BEDROCK_POLICY', 'DECLARATIVE_POLICY_EC2', 'INSPECTOR_POLICY',
      'RESOURCE_CONTROL_POLICY', 'S3_POLICY', 'SECURITYHUB_POLICY', 'SERVICE_CONTROL_POLICY', 'TAG_POLICY',
    ]);
    expect(DOCUMENTED_EXAMPLES.length).toBeGreaterThanOrEqual(70);
  });

  test.each(DOCUMENTED_EXAMPLES.map((e, i) => [i, e.type, e.source, e.content]))('#%d %s (%s)', (_, type, __, content) => {
    const policyType = PolicyType.of(type as string);
    const fromString = newStack();
    policy(fromString, policyType, PolicyContent.fromString(JSON.stringify(JSON.parse(content as string), undefined, 2)));
    expect(synthesizedContent(fromString)).toBe(content);
    const fromJson = newStack();
    policy(fromJson, policyType, PolicyContent.fromJson(JSON.parse(content as string)));
    expect(synthesizedContent(fromJson)).toBe(content);
  });

  test('the example landing zone synthesizes, both versions', () => {
    for (const version of [1, 2] as const) expect(() => landingZoneApp(version).synth()).not.toThrow();
  });
});

describe('nothing is dropped', () => {
  const breakGlass = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",'
    + '"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}},'
    + '"Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}';

  test('a repeated key is refused, naming the key and where it is, instead of keeping the last one', () => {
    expect(() => policy(newStack(), SCP, PolicyContent.fromString(breakGlass))).toThrow(
      /Policies\/P: content \(PolicyContent.fromString\) is not a valid service control policy \(SERVICE_CONTROL_POLICY\)[\s\S]*- Statement\[0\], element Condition: the key "Condition" appears more than once in the same object[\s\S]*Fix: merge the "Condition" entries into one/,
    );
  });

  test('the merged document is accepted and keeps both conditions', () => {
    const merged = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":'
      + '{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"},"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}';
    const stack = newStack();
    policy(stack, SCP, PolicyContent.fromString(merged));
    expect(synthesizedContent(stack)).toBe(merged);
  });

  test('repeated keys are named with their path at any depth', () => {
    const parsed = parseJson('{"tags":{"a":{"tag_key":{"@@assign":"A","@@assign":"B"}},"a":{}}}');
    expect(parsed.duplicates).toEqual([{ key: '@@assign', path: 'tags.a.tag_key' }, { key: 'a', path: 'tags' }]);
    expect(parseJson('{"x":1,"x":2,"y":{"aws:Key":{"k":1,"k":1}}}').duplicates).toEqual([{ key: 'x', path: '' }, { key: 'k', path: 'y["aws:Key"]' }]);
  });

  test('a "__proto__" key is data, as with JSON.parse', () => {
    const parsed = parseJson('{"__proto__":{"polluted":true}}').value as object;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as any).polluted).toBeUndefined();
  });

  test('an integer a JSON number cannot keep is refused in fromString (its digits would change)', () => {
    const text = '{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":12345678901234567890}}}}';
    expect(() => policy(newStack(), SCP, PolicyContent.fromString(text)))
      .toThrow(/Statement.Condition.NumericEquals\["s3:max-keys"\]: the number is larger than a JSON number keeps exactly.*got 12345678901234567890. Fix: write the number as a string/);
  });

  test.each([
    ['a function', { Statement: { Effect: 'Deny', Action: () => 's3:*', Resource: '*' } }, /Statement.Action: a function cannot be written in JSON/],
    ['NaN', { Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: { NumericEquals: { 's3:max-keys': NaN } } } }, /a non-finite number cannot be written in JSON/],
    ['undefined in an array', { Statement: { Effect: 'Deny', Action: ['s3:GetObject', undefined], Resource: '*' } }, /Statement.Action\[1\]: undefined in an array cannot be written in JSON/],
  ])('fromJson refuses %s, which JSON would change or drop', (_, json, message) => {
    expect(() => policy(newStack(), SCP, PolicyContent.fromJson(json))).toThrow(message);
  });

  test('the documented single-object Statement is accepted and sent as written (not wrapped in an array)', () => {
    const doc = { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: 's3:*', Resource: '*' } };
    const stack = newStack();
    policy(stack, SCP, PolicyContent.fromJson(doc));
    expect(synthesizedContent(stack)).toBe(JSON.stringify(doc));
    // aws-cdk-lib refuses that document itself, before this library sees it: fromJson above is the way.
    expect(() => iam.PolicyDocument.fromJson(doc)).toThrow(/Statement must be an array/);
  });

  test('an empty iam.PolicyDocument is refused at synth (it would render no Content at all)', () => {
    const stack = newStack();
    policy(stack, SCP, PolicyContent.fromPolicyDocument(new iam.PolicyDocument()));
    expect(() => Template.fromStack(stack)).toThrow(
      /\[Policies\/P\] content \(PolicyContent.fromPolicyDocument\): the IAM policy document has no statement, and a service control policy needs at least one[\s\S]*Fix: add statements/,
    );
  });
});

describe('what AWS refuses is refused at synth, with the policy, the statement, the element, the rule, the value and the fix', () => {
  test.each(DOCUMENTED_REFUSALS)('%s (fromJson and fromString)', (_, type, doc, problem) => {
    const policyType = PolicyType.of(type);
    const header = new RegExp(`Policies/P: content \\(PolicyContent.fromJson\\) is not a valid ${POLICY_RULES[policyType.value].label} \\(${policyType.value}\\): `
      + 'AWS Organizations would refuse it \\(MalformedPolicyDocumentException\\)');
    expect(() => policy(newStack(), policyType, PolicyContent.fromJson(doc))).toThrow(header);
    expect(() => policy(newStack(), policyType, PolicyContent.fromJson(doc))).toThrow(problem);
    expect(() => policy(newStack(), policyType, PolicyContent.fromString(JSON.stringify(doc)))).toThrow(problem);
  });

  test('each problem line names the documentation of its rule', () => {
    expect(() => policy(newStack(), RCP, PolicyContent.fromJson({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] })))
      .toThrow(`(${SOURCES.RCP})`);
  });

  test('every problem is listed, one line each', () => {
    const doc = { Statement: [{ Effect: 'deny', Principal: '*', Action: 3, Resource: '*' }] };
    let message = '';
    try {
      policy(newStack(), SCP, PolicyContent.fromJson(doc));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').slice(1).map(line => /element (\w+)/.exec(line)?.[1])).toEqual(['Principal', 'Effect', 'Action']);
  });

  test('fromPolicyDocument: an RCP statement that Allows or names NotPrincipal is refused at synth', () => {
    const stack = newStack();
    policy(stack, RCP, PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({ effect: iam.Effect.ALLOW, principals: [new iam.StarPrincipal()], actions: ['s3:*'], resources: ['*'] }),
        new iam.PolicyStatement({ effect: iam.Effect.DENY, notPrincipals: [new iam.AccountPrincipal('111122223333')], actions: ['s3:*'], resources: ['*'] }),
      ],
    })));
    expect(() => Template.fromStack(stack)).toThrow(/Statement\[0\], element Effect: the Effect of a resource control policy statement must be "Deny", got "Allow"/);
    expect(() => Template.fromStack(stack)).toThrow(/Statement\[1\], element NotPrincipal: a resource control policy does not support NotPrincipal/);
  });

  test('fromPolicyDocument: statements added after the policy are checked too', () => {
    const stack = newStack();
    const document = new iam.PolicyDocument();
    policy(stack, SCP, PolicyContent.fromPolicyDocument(document));
    document.addStatements(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:*'], resources: ['*'], conditions: { StringEqual: { 'aws:RequestedRegion': 'x' } } }));
    expect(() => Template.fromStack(stack)).toThrow(/element Condition.StringEqual: unknown condition operator/);
  });
});

describe('values known only at deployment are not judged', () => {
  test('tokens in fromJson and fromPolicyDocument are accepted and joined by CloudFormation', () => {
    const json = newStack();
    policy(json, SCP, PolicyContent.fromJson({
      Statement: [{ Effect: 'Deny', Action: Lazy.list({ produce: () => ['s3:*'] }), Resource: `arn:${Aws.PARTITION}:s3:::logs/*` }],
    }));
    expect(synthesizedContent(json)).toEqual({ 'Fn::Join': ['', expect.any(Array)] });
    const document = newStack();
    policy(document, RCP, PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['s3:*'],
        resources: [`arn:${Aws.PARTITION}:s3:::logs/*`],
        conditions: { StringNotEqualsIfExists: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      })],
    })));
    expect(synthesizedContent(document)).toEqual({ 'Fn::Join': ['', expect.any(Array)] });
  });

  test('a whole statement list that is a token is left to AWS', () => {
    const stack = newStack();
    policy(stack, SCP, PolicyContent.fromJson({ Version: '2012-10-17', Statement: Lazy.any({ produce: () => [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) }));
    expect(synthesizedContent(stack)).toBe('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}');
  });

  test('checkPolicy skips what isUnresolved says is unresolved, and nothing else', () => {
    const doc = { Statement: { Effect: 'TOKEN', Action: 'TOKEN', Resource: 'TOKEN' } };
    expect(checkPolicy('SERVICE_CONTROL_POLICY', doc, { isUnresolved: v => v === 'TOKEN' })).toEqual([]);
    expect(checkPolicy('SERVICE_CONTROL_POLICY', doc).map(p => p.element)).toEqual(['Effect', 'Action', 'Resource']);
  });
});

describe('types without documented rules', () => {
  test('a type newer than this library is checked only for being a JSON object', () => {
    const stack = newStack();
    policy(stack, PolicyType.of('SOME_NEWER_POLICY'), PolicyContent.fromJson({ anything: { '@@whatever': 1 } }));
    expect(synthesizedContent(stack)).toBe('{"anything":{"@@whatever":1}}');
    expect(checkPolicyText('SOME_NEWER_POLICY', '[]').map(p => p.rule)).toEqual(['a policy document must be a JSON object']);
  });

  test('management types without a documented fixed key get the inheritance operator rules', () => {
    const stack = newStack();
    policy(stack, PolicyType.GUARDDUTY_POLICY, PolicyContent.fromJson({ guardduty: { enabled: { '@@assign': true } } }));
    expect(() => Template.fromStack(stack)).not.toThrow();
    expect(() => policy(newStack(), PolicyType.GUARDDUTY_POLICY, PolicyContent.fromJson({ guardduty: { '@@set': true } })))
      .toThrow(/guardduty, element @@set: unknown inheritance operator/);
  });

  test('an empty management document is accepted (AWS documents no refusal of it)', () => {
    const stack = newStack();
    policy(stack, PolicyType.TAG_POLICY, PolicyContent.fromJson({}));
    expect(synthesizedContent(stack)).toBe('{}');
  });
});

describe('size messages speak the type\'s own terms', () => {
  test.each([
    [SCP, { Statement: [{ Sid: 'x'.repeat(200), Effect: 'Deny', Action: '*', Resource: '*' }] }, /Split the statements into several service control policies and attach them all/],
    [PolicyType.TAG_POLICY, { tags: { t: { tag_key: { '@@assign': 'x'.repeat(200) } } } }, /Split the tags into several tag policies attached to the same targets \(their effective policy merges them\)/],
    [PolicyType.BACKUP_POLICY, { plans: { ['x'.repeat(200)]: {} } }, /Split the backup plans into several backup policies/],
    [PolicyType.AISERVICES_OPT_OUT_POLICY, { services: { ['x'.repeat(200)]: { opt_out_policy: { '@@assign': 'optOut' } } } }, /Split the services into several AI services opt-out policies.*or set "default" once/],
  ])('%s', (policyType, doc, advice) => {
    const stack = newStack();
    policy(stack, policyType, PolicyContent.fromJson(doc), 100);
    expect(() => Template.fromStack(stack)).toThrow(advice);
    expect(() => Template.fromStack(stack)).not.toThrow(policyType === SCP ? /tags/ : /statements/);
  });
});
