import { PolicyType as SdkPolicyType } from '@aws-sdk/client-organizations';
import { App, Aws, Lazy, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Organization, Policy, PolicyContent, PolicyType } from '../src';
import { ResourceType } from '../src/private/contract';

const denyLeave = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] };
const denyLeaveMinified = JSON.stringify(denyLeave);

function newStack(): Stack {
  return new Stack(new App(), 'Policies');
}

function scp(stack: Stack, props: Partial<ConstructorParameters<typeof Policy>[2]> = {}): Policy {
  return new Policy(stack, 'Scp', {
    policyName: 'deny-leave',
    policyType: PolicyType.SERVICE_CONTROL_POLICY,
    content: PolicyContent.fromJson(denyLeave),
    ...props,
  });
}

/** A valid document of `policyType` with PAD where the padding goes. */
const SIZED: Record<string, object> = {
  SERVICE_CONTROL_POLICY: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*', Sid: 'PAD' }] },
  RESOURCE_CONTROL_POLICY: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Sid: 'PAD' }] },
  AISERVICES_OPT_OUT_POLICY: { services: { PAD: { opt_out_policy: { '@@assign': 'optOut' } } } },
  TAG_POLICY: { tags: { costcenter: { tag_key: { '@@assign': 'PAD' } } } },
  BACKUP_POLICY: { plans: { PAD: {} } },
  CHATBOT_POLICY: { chatbot: { PAD: {} } },
  DECLARATIVE_POLICY_EC2: { ec2_attributes: { exception_message: { '@@assign': 'PAD' } } },
  SECURITYHUB_POLICY: { securityhub: { enable_in_regions: { '@@append': ['PAD'] }, disable_in_regions: { '@@append': [] } } },
  BEDROCK_POLICY: { bedrock: { PAD: {} } },
};

/** A document of `size` characters once minified. */
function documentOfSize(size: number, policyType = 'SERVICE_CONTROL_POLICY'): { [key: string]: any } {
  const text = JSON.stringify(SIZED[policyType]);
  return JSON.parse(text.replace('PAD', 'x'.repeat(size - text.length + 3)));
}

describe('Policy', () => {
  test('defaults: name, type, minified content; no description, tags or targets; deleted on removal', () => {
    const stack = newStack();
    scp(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs(ResourceType.POLICY, 1);
    template.hasResource(ResourceType.POLICY, {
      Properties: {
        Name: 'deny-leave',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: denyLeaveMinified,
        Description: Match.absent(),
        Tags: Match.absent(),
        TargetIds: Match.absent(),
      },
      DeletionPolicy: 'Delete',
    });
  });

  test('description', () => {
    const stack = newStack();
    scp(stack, { description: 'No account leaves the organization' });
    Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, { Description: 'No account leaves the organization' });
  });

  test('tags, from props and from Tags.of', () => {
    const stack = newStack();
    const policy = scp(stack, { tags: { owner: 'security' } });
    Tags.of(policy).add('tier', 'guardrail');
    Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, {
      Tags: [{ Key: 'owner', Value: 'security' }, { Key: 'tier', Value: 'guardrail' }],
    });
  });

  test('removalPolicy RETAIN', () => {
    const stack = newStack();
    scp(stack, { removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource(ResourceType.POLICY, { DeletionPolicy: 'Retain' });
  });

  test('applyRemovalPolicy', () => {
    const stack = newStack();
    scp(stack).applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(ResourceType.POLICY, { DeletionPolicy: 'Retain' });
  });

  test('a policy comes after the Organization of the app', () => {
    const stack = newStack();
    new Organization(stack, 'Organization');
    scp(stack);
    const template = Template.fromStack(stack);
    const organizationId = Object.keys(template.findResources(ResourceType.ORGANIZATION))[0];
    template.hasResource(ResourceType.POLICY, { DependsOn: [organizationId] });
  });

  test('attributes', () => {
    const stack = newStack();
    const policy = scp(stack);
    const id = stack.getLogicalId(policy.node.defaultChild!.node.defaultChild as any);
    expect(stack.resolve(policy.policyId)).toEqual({ Ref: id });
    expect(stack.resolve(policy.policyArn)).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
    expect(policy.policyName).toBe('deny-leave');
    expect(policy.policyType).toBe(PolicyType.SERVICE_CONTROL_POLICY);
  });

  test('a new type is a new Type property (the handler replaces the policy)', () => {
    const stack = newStack();
    scp(stack, { policyType: PolicyType.RESOURCE_CONTROL_POLICY, content: PolicyContent.fromJson(documentOfSize(200, 'RESOURCE_CONTROL_POLICY')) });
    Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, { Type: 'RESOURCE_CONTROL_POLICY' });
  });

  describe('content', () => {
    test('fromString is parsed and minified', () => {
      const stack = newStack();
      scp(stack, { content: PolicyContent.fromString(JSON.stringify(denyLeave, undefined, 4)) });
      Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, { Content: denyLeaveMinified });
    });

    test('fromString that does not parse', () => {
      expect(() => scp(newStack(), { content: PolicyContent.fromString('{ "Version": ') }))
        .toThrow(/Policies\/Scp: content \(PolicyContent.fromString\) must be a JSON document, but it does not parse/);
    });

    test('fromString that is not an object', () => {
      expect(() => scp(newStack(), { content: PolicyContent.fromString('["a"]') }))
        .toThrow(/content \(PolicyContent.fromString\) must be a JSON object/);
    });

    test('fromJson of a tag policy', () => {
      const stack = newStack();
      const tagPolicy = { tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } };
      new Policy(stack, 'Tags', { policyName: 'tags', policyType: PolicyType.TAG_POLICY, content: PolicyContent.fromJson(tagPolicy) });
      Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, { Type: 'TAG_POLICY', Content: JSON.stringify(tagPolicy) });
    });

    test('fromPolicyDocument of an SCP, rendered with the statements added later', () => {
      const stack = newStack();
      const document = new iam.PolicyDocument();
      scp(stack, { content: PolicyContent.fromPolicyDocument(document) });
      document.addStatements(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['organizations:LeaveOrganization'], resources: ['*'] }));
      Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, {
        Content: '{"Statement":[{"Action":"organizations:LeaveOrganization","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}',
      });
    });

    test('fromPolicyDocument of an RCP', () => {
      const stack = newStack();
      new Policy(stack, 'Rcp', {
        policyName: 'tls-only',
        policyType: PolicyType.RESOURCE_CONTROL_POLICY,
        content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.StarPrincipal()],
            actions: ['s3:*'],
            resources: ['*'],
            conditions: { Bool: { 'aws:SecureTransport': 'false' } },
          })],
        })),
      });
      Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, {
        Type: 'RESOURCE_CONTROL_POLICY',
        Content: Match.stringLikeRegexp('"Principal":"\\*"'),
      });
    });

    test('fromPolicyDocument with tokens is joined by CloudFormation', () => {
      const stack = newStack();
      scp(stack, {
        content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:*'], resources: [`arn:${Aws.PARTITION}:s3:::logs/*`] })],
        })),
      });
      Template.fromStack(stack).hasResourceProperties(ResourceType.POLICY, { Content: { 'Fn::Join': ['', Match.anyValue()] } });
    });

    test('fromPolicyDocument is refused for other types', () => {
      expect(() => new Policy(newStack(), 'Tags', {
        policyName: 'tags', policyType: PolicyType.TAG_POLICY, content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument()),
      })).toThrow(/content: PolicyContent.fromPolicyDocument is only for SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY .*not TAG_POLICY/);
    });

    test('an SCP statement with a principal is refused at synth', () => {
      const stack = newStack();
      scp(stack, {
        content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'], principals: [new iam.AccountRootPrincipal()] })],
        })),
      });
      expect(() => Template.fromStack(stack)).toThrow(/content \(PolicyContent.fromPolicyDocument\) is not a valid service control policy .*\n.*Principal: a service control policy cannot specify any IAM principals/);
    });

    test('an RCP statement without a principal is refused at synth', () => {
      const stack = newStack();
      new Policy(stack, 'Rcp', {
        policyName: 'rcp',
        policyType: PolicyType.RESOURCE_CONTROL_POLICY,
        content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })] })),
      });
      expect(() => Template.fromStack(stack)).toThrow(/content \(PolicyContent.fromPolicyDocument\) is not a valid resource control policy [\s\S]*Principal: each resource control policy statement must have "Principal": "\*"/);
    });
  });

  describe('size quotas, after minification', () => {
    test('an SCP of 10,240 characters is accepted', () => {
      const stack = newStack();
      scp(stack, { content: PolicyContent.fromJson(documentOfSize(10_240)) });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test('an SCP of 10,241 characters is refused', () => {
      const stack = newStack();
      scp(stack, { content: PolicyContent.fromJson(documentOfSize(10_241)) });
      expect(() => Template.fromStack(stack))
        .toThrow(/Policies\/Scp.*content is 10241 characters after minification, more than the SERVICE_CONTROL_POLICY quota allows \(10240\)/);
    });

    test('whitespace does not count', () => {
      const stack = newStack();
      scp(stack, { content: PolicyContent.fromString(JSON.stringify(documentOfSize(10_000), undefined, 8)) });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test('maxContentSize for organizations with the older SCP quota', () => {
      const stack = newStack();
      scp(stack, { content: PolicyContent.fromJson(documentOfSize(5_121)), maxContentSize: 5_120 });
      expect(() => Template.fromStack(stack)).toThrow(/content is 5121 characters after minification, more than maxContentSize allows \(5120\)/);
    });

    test('maxContentSize must be a positive whole number', () => {
      expect(() => scp(newStack(), { maxContentSize: 0 })).toThrow(/maxContentSize must be a positive whole number of characters, got 0/);
    });

    test.each([
      [PolicyType.RESOURCE_CONTROL_POLICY, 5_120],
      [PolicyType.AISERVICES_OPT_OUT_POLICY, 2_500],
      [PolicyType.TAG_POLICY, 10_000],
      [PolicyType.BACKUP_POLICY, 10_000],
      [PolicyType.CHATBOT_POLICY, 10_000],
      [PolicyType.DECLARATIVE_POLICY_EC2, 10_000],
      [PolicyType.SECURITYHUB_POLICY, 10_000],
    ])('%s: at most %d characters', (policyType, max) => {
      const ok = newStack();
      new Policy(ok, 'P', { policyName: 'p', policyType, content: PolicyContent.fromJson(documentOfSize(max, policyType.value)) });
      expect(() => Template.fromStack(ok)).not.toThrow();
      const tooBig = newStack();
      new Policy(tooBig, 'P', { policyName: 'p', policyType, content: PolicyContent.fromJson(documentOfSize(max + 1, policyType.value)) });
      expect(() => Template.fromStack(tooBig)).toThrow(new RegExp(`content is ${max + 1} characters after minification, more than the ${policyType.value} quota allows \\(${max}\\)`));
    });

    test('types without a published quota are not checked', () => {
      const stack = newStack();
      new Policy(stack, 'P', { policyName: 'p', policyType: PolicyType.BEDROCK_POLICY, content: PolicyContent.fromJson(documentOfSize(20_000, 'BEDROCK_POLICY')) });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  describe('one name per type in an organization', () => {
    test('two policies with one name and type in one stack are refused, naming both, the name and the type', () => {
      const stack = newStack();
      new Policy(stack, 'DenyS3', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      expect(() => new Policy(stack, 'DenyEc2', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) }))
        .toThrow(/^Policies\/DenyEc2: policyName "guard" of type SERVICE_CONTROL_POLICY is already the name of Policies\/DenyS3: policy names are unique per type in an organization/);
    });

    test('across the stacks of the app that deploy to one account', () => {
      const app = new App();
      const env = { account: '111111111111', region: 'us-east-1' };
      new Policy(new Stack(app, 'A', { env }), 'DenyS3', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      expect(() => new Policy(new Stack(app, 'B', { env }), 'DenyEc2', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) }))
        .toThrow(/^B\/DenyEc2: policyName "guard" of type SERVICE_CONTROL_POLICY is already the name of A\/DenyS3/);
      const agnostic = new App();
      new Policy(new Stack(agnostic, 'A'), 'DenyS3', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      expect(() => new Policy(new Stack(agnostic, 'B'), 'DenyEc2', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) }))
        .toThrow(/already the name of A\/DenyS3/);
    });

    test('a name resolved at synth (Lazy) is checked too', () => {
      const stack = newStack();
      new Policy(stack, 'DenyS3', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      new Policy(stack, 'DenyEc2', {
        policyName: Lazy.string({ produce: () => 'guard' }),
        policyType: PolicyType.SERVICE_CONTROL_POLICY,
        content: PolicyContent.fromJson(denyLeave),
      });
      expect(() => Template.fromStack(stack)).toThrow(/\[Policies\/DenyEc2\] policyName "guard" of type SERVICE_CONTROL_POLICY is already the name of Policies\/DenyS3/);
    });

    test('the same name for two types, or in stacks of two accounts, is fine', () => {
      const stack = newStack();
      new Policy(stack, 'Scp', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      expect(() => new Policy(stack, 'Tags', {
        policyName: 'guard',
        policyType: PolicyType.TAG_POLICY,
        content: PolicyContent.fromJson({ tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } }),
      })).not.toThrow();
      const app = new App();
      new Policy(new Stack(app, 'A', { env: { account: '111111111111' } }), 'Scp', { policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave) });
      expect(() => new Policy(new Stack(app, 'B', { env: { account: '222222222222' } }), 'Scp', {
        policyName: 'guard', policyType: PolicyType.SERVICE_CONTROL_POLICY, content: PolicyContent.fromJson(denyLeave),
      })).not.toThrow();
    });
  });

  describe('values resolved at synth (Lazy) are checked', () => {
    test('a name', () => {
      const stack = newStack();
      scp(stack, { policyName: Lazy.string({ produce: () => 'r\u00e8gles' }) });
      expect(() => Template.fromStack(stack)).toThrow(/\[Policies\/Scp\] policyName must be ASCII characters .*got "r\u00e8gles"/);
    });

    test('a tag value', () => {
      const stack = newStack();
      scp(stack, { tags: { owner: Lazy.string({ produce: () => 'a|b' }) } });
      expect(() => Template.fromStack(stack)).toThrow(/\[Policies\/Scp\] tags: the value of tag "owner" must be Unicode letters, digits, spaces and the characters _.:\/=\+-@ \(pattern .*\), got "a\|b"/);
    });

    test('a value known only at deployment is not', () => {
      const stack = newStack();
      scp(stack, { policyName: Lazy.string({ produce: () => Aws.STACK_NAME }) });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  describe('validation', () => {
    test('an empty name', () => {
      expect(() => scp(newStack(), { policyName: '' })).toThrow(/Policies\/Scp: policyName must be at least 1 character long, got "" \(0\)/);
    });

    test('a name longer than 128 characters', () => {
      expect(() => scp(newStack(), { policyName: 'p'.repeat(129) })).toThrow(/policyName must be at most 128 characters long, got 129 characters/);
    });

    test('a name with characters outside ASCII', () => {
      expect(() => scp(newStack(), { policyName: 'r\u00e8gles' })).toThrow(/policyName must be ASCII characters .*got "r\u00e8gles"/);
    });

    test('a description longer than 512 characters', () => {
      expect(() => scp(newStack(), { description: 'd'.repeat(513) })).toThrow(/description must be at most 512 characters long, got 513 characters/);
    });
  });

  describe('importers', () => {
    test('fromPolicyId knows its id only', () => {
      const policy = Policy.fromPolicyId(new Stack(), 'P', 'p-abcd1234');
      expect(policy.policyId).toBe('p-abcd1234');
      expect(() => policy.policyType).toThrow(/policyType of the imported policy p-abcd1234 is unknown, and attaching a policy needs it/);
      expect(() => policy.policyArn).toThrow(/policyArn of the imported policy p-abcd1234 is unknown/);
    });

    test('fromPolicyAttributes', () => {
      const policy = Policy.fromPolicyAttributes(new Stack(), 'P', {
        policyId: 'p-abcd1234',
        policyType: PolicyType.TAG_POLICY,
        policyArn: 'arn:aws:organizations::111111111111:policy/o-abcdefghij/tag_policy/p-abcd1234',
      });
      expect(policy.policyType).toBe(PolicyType.TAG_POLICY);
      expect(policy.policyArn).toBe('arn:aws:organizations::111111111111:policy/o-abcdefghij/tag_policy/p-abcd1234');
    });

    test('a malformed id is refused', () => {
      expect(() => Policy.fromPolicyId(new Stack(), 'P', 'policy-1')).toThrow(/policyId must be "p-" followed by 8 to 128 letters, digits or underscores .*got "policy-1"/);
    });

    test('fullAwsAccess: the AWS-managed SCP, one import per stack', () => {
      const stack = new Stack();
      const policy = Policy.fullAwsAccess(stack);
      expect(policy.policyId).toBe('p-FullAWSAccess');
      expect(policy.policyType).toBe(PolicyType.SERVICE_CONTROL_POLICY);
      expect(stack.resolve(policy.policyArn)).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::aws:policy/service_control_policy/p-FullAWSAccess']],
      });
      expect(Policy.fullAwsAccess(stack)).toBe(policy);
    });

    test('rcpFullAwsAccess: the AWS-managed RCP', () => {
      const policy = Policy.rcpFullAwsAccess(new Stack());
      expect(policy.policyId).toBe('p-RCPFullAWSAccess');
      expect(policy.policyType).toBe(PolicyType.RESOURCE_CONTROL_POLICY);
    });
  });
});

describe('PolicyType', () => {
  test('every type the API has, under its API name', () => {
    const names = [
      'SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY', 'CHATBOT_POLICY',
      'DECLARATIVE_POLICY_EC2', 'SECURITYHUB_POLICY', 'SECURITYHUB_CSPM_POLICY', 'INSPECTOR_POLICY', 'GUARDDUTY_POLICY', 'BEDROCK_POLICY',
      'S3_POLICY', 'UPGRADE_ROLLOUT_POLICY', 'NETWORK_SECURITY_DIRECTOR_POLICY',
    ];
    for (const name of names) expect((PolicyType as any)[name].value).toBe(name);
    // And nothing the SDK knows is missing.
    expect(Object.values(SdkPolicyType).filter(t => !(PolicyType as any)[t])).toEqual([]);
  });

  test('of() names a type this version does not know', () => {
    expect(PolicyType.of('FUTURE_POLICY').value).toBe('FUTURE_POLICY');
    expect(PolicyType.of('FUTURE_POLICY').toString()).toBe('FUTURE_POLICY');
  });
});
