/**
 * The handlers reach Organizations, Account Management and CloudFormation in the partition their
 * function runs in. Each request is built and signed by the real SDK and stopped just before it
 * would leave the machine, so what is asserted is the host and the signing scope AWS would see.
 */
import { GetAccountInformationCommand } from '@aws-sdk/client-account';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { createClients, organizationsRegion, partitionOf } from '../../lambda/shared/clients';

/** Where a client's request would go, and the region in its signature's credential scope. */
interface AnyClient { middlewareStack: any; send(command: any): Promise<any> }
async function destination(client: AnyClient, command: unknown): Promise<{ host: string; signedFor: string }> {
  const sent = Symbol('sent');
  client.middlewareStack.add((_next: unknown) => async (args: any) => {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(args.request.headers.authorization ?? '')?.[1] ?? '';
    throw Object.assign(new Error('stopped before sending'), { [sent]: { host: args.request.hostname, signedFor: scope } });
  }, { step: 'deserialize', name: 'stopBeforeSending' });
  const error = await client.send(command).catch((e: any) => e);
  if (!error?.[sent]) throw error;
  return error[sent];
}

const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_ORGANIZATIONS', 'AWS_ENDPOINT_URL_ACCOUNT', 'AWS_ENDPOINT_URL_CLOUDFORMATION'];
const saved = { ...process.env };
beforeAll(() => {
  for (const name of ENDPOINT_VARIABLES) delete process.env[name];
  process.env.AWS_ACCESS_KEY_ID = 'AKIDPARTITIONTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
});
afterAll(() => {
  process.env = saved;
});

const CASES = [
  // function region, partition, Organizations region and host, CloudFormation host
  { region: 'eu-west-1', partition: 'aws', global: 'us-east-1', organizations: 'organizations.us-east-1.amazonaws.com', account: 'account.us-east-1.amazonaws.com', cloudformation: 'cloudformation.eu-west-1.amazonaws.com' },
  { region: 'us-east-1', partition: 'aws', global: 'us-east-1', organizations: 'organizations.us-east-1.amazonaws.com', account: 'account.us-east-1.amazonaws.com', cloudformation: 'cloudformation.us-east-1.amazonaws.com' },
  { region: 'cn-north-1', partition: 'aws-cn', global: 'cn-northwest-1', organizations: 'organizations.cn-northwest-1.amazonaws.com.cn', account: 'account.cn-northwest-1.amazonaws.com.cn', cloudformation: 'cloudformation.cn-north-1.amazonaws.com.cn' },
  { region: 'cn-northwest-1', partition: 'aws-cn', global: 'cn-northwest-1', organizations: 'organizations.cn-northwest-1.amazonaws.com.cn', account: 'account.cn-northwest-1.amazonaws.com.cn', cloudformation: 'cloudformation.cn-northwest-1.amazonaws.com.cn' },
  { region: 'us-gov-east-1', partition: 'aws-us-gov', global: 'us-gov-west-1', organizations: 'organizations.us-gov-west-1.amazonaws.com', account: 'account.us-gov-west-1.amazonaws.com', cloudformation: 'cloudformation.us-gov-east-1.amazonaws.com' },
] as const;

describe.each(CASES)('a function in $region ($partition)', c => {
  test(`finds Organizations in ${c.global}`, () => {
    expect(partitionOf(c.region)).toBe(c.partition);
    expect(organizationsRegion(c.region)).toBe(c.global);
  });

  test(`calls Organizations at ${c.organizations}, signed for ${c.global}`, async () => {
    const { organizations } = createClients({ AWS_REGION: c.region });
    expect(await destination(organizations, new DescribeOrganizationCommand({}))).toEqual({ host: c.organizations, signedFor: c.global });
  });

  test(`calls Account Management at ${c.account}, signed for ${c.global}`, async () => {
    const { account } = createClients({ AWS_REGION: c.region });
    expect(await destination(account, new GetAccountInformationCommand({}))).toEqual({ host: c.account, signedFor: c.global });
  });

  test(`asks CloudFormation in its own region (${c.cloudformation})`, async () => {
    const { cloudformation } = createClients({ AWS_REGION: c.region });
    expect(await destination(cloudformation, new DescribeStacksCommand({ StackName: 'Organization' }))).toEqual({ host: c.cloudformation, signedFor: c.region });
  });
});

test('the isolated partitions have their own home regions', () => {
  expect(organizationsRegion('us-iso-west-1')).toBe('us-iso-east-1');
  expect(organizationsRegion('us-isob-east-1')).toBe('us-isob-east-1');
});

test('without AWS_REGION (never the case in Lambda) the commercial partition is assumed', async () => {
  const { organizations, cloudformation } = createClients({});
  expect(await organizations.config.region()).toBe('us-east-1');
  expect(await cloudformation.config.region()).toBe('us-east-1');
});

test('the emulator endpoint variables still win over the partition\'s endpoint', async () => {
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = 'http://127.0.0.1:4566';
  try {
    const { organizations } = createClients({ AWS_REGION: 'cn-north-1' });
    expect(await destination(organizations, new DescribeOrganizationCommand({}))).toEqual({ host: '127.0.0.1', signedFor: 'cn-northwest-1' });
  } finally {
    delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
  }
});
