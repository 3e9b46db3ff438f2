import { Aws, CfnCondition, CfnParameter, CfnResource, Fn } from 'aws-cdk-lib';
import { Harness, startHarness } from './support';
import { evaluateConditions, resolve, ResolveContext, ResolveError, stringifyScalars } from '../../local/deployer/intrinsics';
import { TemplateError } from '../../local/deployer/template';

const records: Record<string, { physicalId: string; attributes: Record<string, unknown> }> = {
  Bucket: { physicalId: 'bucket-1', attributes: { Arn: 'arn:aws:s3:::bucket-1', Csv: 'x,y,z' } },
};

function context(overrides: Partial<ResolveContext> = {}): ResolveContext {
  return {
    pseudo: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws', urlSuffix: 'amazonaws.com', stackName: 'St', stackId: 'arn:stack/St/1' },
    parameters: { Env: 'prod', Zones: ['a', 'b'] },
    conditions: { IsProd: true, IsDev: false },
    mappings: { Sizes: { prod: { Count: 3 } } },
    ref: id => {
      if (!records[id]) throw new ResolveError(`no ${id}`);
      return records[id].physicalId;
    },
    getAtt: (id, attribute) => records[id].attributes[attribute],
    importValue: name => {
      if (name !== 'Shared') throw new ResolveError(`No export named ${name} found`);
      return 'shared-value';
    },
    ...overrides,
  };
}

describe('resolve', () => {
  test('Ref of resources, parameters and pseudo parameters', () => {
    expect(resolve({ Ref: 'Bucket' }, context())).toBe('bucket-1');
    expect(resolve({ Ref: 'Env' }, context())).toBe('prod');
    expect(resolve([{ Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::StackName' }, { Ref: 'AWS::URLSuffix' }], context()))
      .toEqual(['111122223333', 'eu-west-1', 'aws', 'St', 'amazonaws.com']);
  });

  test('Fn::GetAtt in both forms', () => {
    expect(resolve({ 'Fn::GetAtt': ['Bucket', 'Arn'] }, context())).toBe('arn:aws:s3:::bucket-1');
    expect(resolve({ 'Fn::GetAtt': 'Bucket.Arn' }, context())).toBe('arn:aws:s3:::bucket-1');
  });

  test('Fn::Join, Fn::Select and Fn::Split compose', () => {
    expect(resolve({ 'Fn::Join': ['/', ['a', { Ref: 'Bucket' }, { 'Fn::Select': [1, { 'Fn::Split': [',', { 'Fn::GetAtt': ['Bucket', 'Csv'] }] }] }]] }, context()))
      .toBe('a/bucket-1/y');
    expect(resolve({ 'Fn::Select': ['0', { Ref: 'Zones' }] }, context())).toBe('a');
    expect(() => resolve({ 'Fn::Select': [5, ['a']] }, context())).toThrow(/Fn::Select cannot select nonexistent value at index 5/);
  });

  test('Fn::Sub with references, attributes, pseudo parameters, a variable map and escapes', () => {
    expect(resolve({ 'Fn::Sub': '${Bucket}|${Bucket.Arn}|${AWS::Region}|${Env}|${!Literal}' }, context()))
      .toBe('bucket-1|arn:aws:s3:::bucket-1|eu-west-1|prod|${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Name}-${AWS::AccountId}', { Name: { Ref: 'Bucket' } }] }, context())).toBe('bucket-1-111122223333');
  });

  test('Fn::If, AWS::NoValue and Fn::FindInMap', () => {
    const value = {
      Kept: { 'Fn::If': ['IsProd', 'yes', 'no'] },
      Dropped: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 'kept'] },
      List: ['a', { 'Fn::If': ['IsDev', 'dev', { Ref: 'AWS::NoValue' }] }, 'c'],
      Count: { 'Fn::FindInMap': ['Sizes', { Ref: 'Env' }, 'Count'] },
    };
    expect(resolve(value, context())).toEqual({ Kept: 'yes', List: ['a', 'c'], Count: 3 });
    expect(() => resolve({ 'Fn::If': ['Unknown', 1, 2] }, context())).toThrow(/Unresolved condition dependency Unknown/);
  });

  test('Fn::ImportValue of a missing export fails the value, not the template', () => {
    expect(resolve({ 'Fn::ImportValue': 'Shared' }, context())).toBe('shared-value');
    expect(() => resolve({ 'Fn::ImportValue': 'Nope' }, context())).toThrow(ResolveError);
  });

  test('an intrinsic the deployer does not know is a template error naming it', () => {
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, context())).toThrow(TemplateError);
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, context())).toThrow(/Fn::Cidr/);
  });

  test('conditions may refer to each other and to parameters', () => {
    const template = {
      Conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        IsEu: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        ProdInEu: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsEu' }] },
        NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
        Either: { 'Fn::Or': [{ Condition: 'NotProd' }, { 'Fn::Equals': ['1', 1] }] },
      },
    };
    const { conditions: _ignored, ...base } = context();
    expect(evaluateConditions(template, base)).toEqual({ IsProd: true, IsEu: true, ProdInEu: true, NotProd: false, Either: true });
  });
});

test('stringifyScalars turns every number and boolean into a string, at any depth', () => {
  expect(stringifyScalars({ n: 1, f: 1.5, t: true, f2: false, s: 'x', nested: [0, { deep: true }], empty: [] }))
    .toEqual({ n: '1', f: '1.5', t: 'true', f2: 'false', s: 'x', nested: ['0', { deep: 'true' }], empty: [] });
});

describe('what a handler receives', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => h.stop());

  test('properties resolved as CloudFormation resolves them, every scalar a string', async () => {
    const app = h.workspace.synth({
      Resolved: (stack, p) => {
        const greeting = new CfnParameter(stack, 'Greeting', { default: 'hello' });
        const inUsEast1 = new CfnCondition(stack, 'InUsEast1', { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') });
        const source = p.resource('Source', { PhysicalId: 'source-1', Data: { Csv: 'x,y,z', Number: 7 } });
        new CfnResource(stack, 'Probe', {
          type: 'Custom::Probe',
          properties: {
            ServiceToken: p.serviceToken,
            Joined: Fn.join('-', ['a', source.ref, Aws.ACCOUNT_ID]),
            Selected: Fn.select(1, Fn.split(',', source.getAttString('Csv'))),
            Sub: Fn.sub('${AWS::StackName}/${AWS::Region}/${AWS::Partition}/${Greeting}/${Source.Number}'),
            IfTrue: Fn.conditionIf(inUsEast1.logicalId, 'yes', 'no'),
            Dropped: Fn.conditionIf(inUsEast1.logicalId, Aws.NO_VALUE, 'kept'),
            List: ['a', Fn.conditionIf(inUsEast1.logicalId, Aws.NO_VALUE, 'b'), 'c'],
            Greeting: greeting.valueAsString,
            Scalars: { n: 1, f: 1.5, t: true, f2: false, nested: [1, { deep: true }], s: 'str' },
          },
        });
      },
    });

    const result = await h.deploy(app);

    expect(result.success).toBe(true);
    const probe = h.workspace.requests().find(r => r.event.LogicalResourceId === 'Probe')!.event;
    const { ServiceToken, ...properties } = probe.ResourceProperties;
    expect(properties).toEqual({
      Joined: `a-source-1-${h.emulator.managementAccountId}`,
      Selected: 'y',
      Sub: 'Resolved/us-east-1/aws/hello/7',
      IfTrue: 'yes',
      List: ['a', 'c'],
      Greeting: 'hello',
      Scalars: { n: '1', f: '1.5', t: 'true', f2: 'false', nested: ['1', { deep: 'true' }], s: 'str' },
    });
    expect(ServiceToken).toMatch(new RegExp(`^arn:aws:lambda:us-east-1:${h.emulator.managementAccountId}:function:Resolved-`));
    expect(probe).toMatchObject({
      RequestType: 'Create',
      ResourceType: 'Custom::Probe',
      LogicalResourceId: 'Probe',
      StackId: expect.stringMatching(new RegExp(`^arn:aws:cloudformation:us-east-1:${h.emulator.managementAccountId}:stack/Resolved/[0-9a-f-]{36}$`)),
    });

    // A parameter value passed to the deploy reaches the handler as an Update.
    const before = h.workspace.calls().length;
    const updated = await h.deploy(app, { parameters: { Greeting: 'hi' } });
    expect(updated.stacks[0].status).toBe('UPDATE_COMPLETE');
    expect(h.workspace.calls().slice(before)).toEqual(['Update Probe(' + probe.RequestId + ')']);
    const update = h.workspace.requests().filter(r => r.event.LogicalResourceId === 'Probe').pop()!.event;
    expect(update.ResourceProperties).toMatchObject({ Greeting: 'hi', Sub: 'Resolved/us-east-1/aws/hi/7' });
    expect(update.OldResourceProperties).toMatchObject({ Greeting: 'hello', Sub: 'Resolved/us-east-1/aws/hello/7' });
  });
});
