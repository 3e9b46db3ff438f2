import { AccountClient } from '@aws-sdk/client-account';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';

/**
 * Organizations is a global service served from us-east-1. The endpoint comes from the standard
 * `AWS_ENDPOINT_URL_ORGANIZATIONS` / `AWS_ENDPOINT_URL_ACCOUNT` / `AWS_ENDPOINT_URL_CLOUDFORMATION` variables when
 * set (the local emulator).
 * Our own retry (shared/retry.ts) handles throttling within the deadline, so the SDK retries little.
 */
export function createClients(): { organizations: OrganizationsClient; account: AccountClient; cloudformation: CloudFormationClient } {
  const common = { region: 'us-east-1', maxAttempts: 2 };
  return {
    organizations: new OrganizationsClient(common),
    account: new AccountClient(common),
    // CloudFormation is regional: the stack lives where its provider function runs.
    cloudformation: new CloudFormationClient({ region: process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 2 }),
  };
}
