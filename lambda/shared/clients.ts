import { AccountClient } from '@aws-sdk/client-account';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { sdkRetryStrategy, withCallLatency } from './clock';

/** An AWS partition the handlers can run in. */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b';

/**
 * The partition of a region, by its name's prefix: `cn-` is China, `us-gov-` GovCloud (US),
 * `us-iso-` and `us-isob-` the isolated regions; everything else is the commercial partition.
 */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/**
 * Organizations and Account Management are global services with one endpoint per partition, in
 * that partition's home region (the SDK's `implicitGlobalRegion`): signing for any other region
 * of the partition is refused.
 */
const GLOBAL_REGION: Record<Partition, string> = {
  'aws': 'us-east-1',
  'aws-cn': 'cn-northwest-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-iso': 'us-iso-east-1',
  'aws-iso-b': 'us-isob-east-1',
};

/** The region that serves Organizations (and Account Management) for a function running in `region`. */
export function organizationsRegion(region: string): string {
  return GLOBAL_REGION[partitionOf(region)];
}

/**
 * The clients, for the partition of the region the function runs in (`AWS_REGION`, which Lambda
 * always sets; us-east-1 without it). The endpoint comes from the standard
 * `AWS_ENDPOINT_URL_ORGANIZATIONS` / `AWS_ENDPOINT_URL_ACCOUNT` / `AWS_ENDPOINT_URL_CLOUDFORMATION`
 * variables when set (the local emulator).
 * Our own retry (shared/retry.ts) handles throttling within the deadline, so the SDK retries little.
 */
export function createClients(env: NodeJS.ProcessEnv = process.env): {
  organizations: OrganizationsClient; account: AccountClient; cloudformation: CloudFormationClient;
} {
  const region = env.AWS_REGION || 'us-east-1';
  const retries = { maxAttempts: 2, retryStrategy: sdkRetryStrategy(2) };
  const global = { region: organizationsRegion(region), ...retries };
  return {
    organizations: withCallLatency(new OrganizationsClient(global)),
    account: withCallLatency(new AccountClient(global)),
    // CloudFormation is regional: the stack lives where its provider function runs.
    cloudformation: withCallLatency(new CloudFormationClient({ region, ...retries })),
  };
}
