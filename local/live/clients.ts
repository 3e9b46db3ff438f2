/**
 * AWS SDK v3 clients for a live organization: signed requests, the standard credential chain
 * (environment, `--profile`, SSO, instance roles), the partition's Organizations endpoint, and
 * adaptive retry for throttling. `endpoint` points every client at one URL (the local emulator
 * serves Organizations, Account Management and CloudFormation's reads on one port).
 */
import { AccountClient } from '@aws-sdk/client-account';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';

export interface LiveClientOptions {
  /** A profile of ~/.aws/config and ~/.aws/credentials. @default $AWS_PROFILE, else the default chain */
  readonly profile?: string;
  /** The region of the stacks (Organizations answers in its partition's one region whatever this says). @default $AWS_REGION, the profile's region */
  readonly region?: string;
  /** One URL for every service (tests and the local emulator). @default the AWS endpoints */
  readonly endpoint?: string;
  /** Attempts per call, adaptive retry included. @default 10 */
  readonly maxAttempts?: number;
  /** Explicit credentials (tests). @default the standard credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

export interface LiveClients {
  readonly organizations: OrganizationsClient;
  readonly account: AccountClient;
  readonly cloudformation: CloudFormationClient;
  /** The same, retrying little: the first calls, which tell bad input (nothing answering, no credentials) quickly. */
  readonly probe: { readonly organizations: OrganizationsClient; readonly account: AccountClient };
  readonly options: LiveClientOptions;
  destroy(): void;
}

/** The region when nothing says one: Organizations' home region of the commercial partition. */
export const DEFAULT_REGION = 'us-east-1';

/** The clients, configured once; nothing is called yet. */
export function liveClients(options: LiveClientOptions = {}): LiveClients {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const config = {
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 10,
  };
  // Organizations and Account Management are global: without a region they answer from us-east-1.
  const organizations = new OrganizationsClient({ region: DEFAULT_REGION, ...config });
  const account = new AccountClient({ region: DEFAULT_REGION, ...config });
  const cloudformation = new CloudFormationClient(config);
  const probe = {
    organizations: new OrganizationsClient({ region: DEFAULT_REGION, ...config, maxAttempts: 2 }),
    account: new AccountClient({ region: DEFAULT_REGION, ...config, maxAttempts: 2 }),
  };
  return {
    organizations,
    account,
    cloudformation,
    probe,
    options,
    destroy: () => {
      for (const client of [organizations, account, cloudformation, probe.organizations, probe.account]) client.destroy();
    },
  };
}
