/**
 * CloudFormation's read operations over the real wire protocol (awsQuery, XML), served from the
 * stack documents the local deployer keeps: what the handlers and `@aws-sdk/client-cloudformation` read.
 */
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { Emulator } from '../../local/emulator';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111111111111:stack/Org/11111111-2222-3333-4444-555555555555';

let emulator: Emulator;
let cfn: CloudFormationClient;

beforeAll(async () => {
  emulator = await Emulator.start({ relaxed: true, withOrganization: true });
  cfn = new CloudFormationClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' },
    retryStrategy: new ConfiguredRetryStrategy(1, () => 10),
  });
  const response = await fetch(`${emulator.endpoint}/_emulator/stacks/Org`, {
    method: 'PUT',
    body: JSON.stringify({
      format: 'cdk-organizations/local-stack@1',
      stackName: 'Org',
      stackId: STACK_ID,
      status: 'UPDATE_ROLLBACK_IN_PROGRESS',
      template: { Resources: { Ou: { Type: 'Custom::Organizations_OrganizationalUnit', Properties: { Name: 'A & <B>' } } } },
      resources: {
        Ou: { type: 'Custom::Organizations_OrganizationalUnit', physicalId: 'ou-ab12-cdefgh12', status: 'UPDATE_COMPLETE' },
        Other: { type: 'AWS::IAM::Role', physicalId: 'role', status: 'CREATE_COMPLETE' },
      },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T00:00:00.000Z',
    }),
  });
  expect(response.status).toBe(200);
});

afterAll(async () => {
  cfn.destroy();
  await emulator.stop();
});

test('DescribeStacks by name and by stack id answers the stack status the deployer recorded', async () => {
  for (const name of ['Org', STACK_ID]) {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    expect(out.Stacks).toHaveLength(1);
    expect(out.Stacks![0]).toMatchObject({ StackName: 'Org', StackId: STACK_ID, StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
    expect(out.Stacks![0].LastUpdatedTime).toEqual(new Date('2026-01-02T00:00:00.000Z'));
  }
});

test('a stack that does not exist is a ValidationError, as in CloudFormation', async () => {
  await expect(cfn.send(new DescribeStacksCommand({ StackName: 'Nope' }))).rejects.toMatchObject({
    name: 'ValidationError',
    message: 'Stack with id Nope does not exist',
  });
});

test('DescribeStackResource finds a resource by logical id, and says when it does not exist', async () => {
  const out = await cfn.send(new DescribeStackResourceCommand({ StackName: 'Org', LogicalResourceId: 'Ou' }));
  expect(out.StackResourceDetail).toMatchObject({
    LogicalResourceId: 'Ou', PhysicalResourceId: 'ou-ab12-cdefgh12', ResourceStatus: 'UPDATE_COMPLETE', ResourceType: 'Custom::Organizations_OrganizationalUnit',
  });
  await expect(cfn.send(new DescribeStackResourceCommand({ StackName: 'Org', LogicalResourceId: 'Gone' }))).rejects.toMatchObject({
    name: 'ValidationError', message: 'Resource Gone does not exist for stack Org',
  });
});

test('DescribeStackResources, ListStackResources and GetTemplate read the same document', async () => {
  const described = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'Org' }));
  expect(described.StackResources?.map(r => r.LogicalResourceId).sort()).toEqual(['Other', 'Ou']);
  const listed = await cfn.send(new ListStackResourcesCommand({ StackName: STACK_ID }));
  expect(listed.StackResourceSummaries?.map(r => r.PhysicalResourceId).sort()).toEqual(['ou-ab12-cdefgh12', 'role']);
  const template = await cfn.send(new GetTemplateCommand({ StackName: 'Org' }));
  expect(JSON.parse(template.TemplateBody!).Resources.Ou.Properties.Name).toBe('A & <B>');
});

test('while an operation is under way, LastUpdatedTime is when it started', async () => {
  const response = await fetch(`${emulator.endpoint}/_emulator/stacks/Busy`, {
    method: 'PUT',
    body: JSON.stringify({
      stackName: 'Busy',
      stackId: `${STACK_ID}-busy`,
      status: 'UPDATE_ROLLBACK_IN_PROGRESS',
      resources: {},
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-03T00:00:05.000Z',
      operation: { kind: 'update', startedAt: '2026-01-03T00:00:00.000Z' },
    }),
  });
  expect(response.status).toBe(200);
  const out = await cfn.send(new DescribeStacksCommand({ StackName: 'Busy' }));
  expect(out.Stacks![0].LastUpdatedTime).toEqual(new Date('2026-01-03T00:00:00.000Z'));
});
