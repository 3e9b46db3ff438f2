/**
 * Bad input to snapshot, plan and drift: one line that names the problem and the fix. The CLI
 * exits with {@link EXIT_BAD_INPUT} and writes nothing.
 */

/** Exit status of a command refused for bad input (no profile, no endpoint, not the management account, ...). */
export const EXIT_BAD_INPUT = 4;

export class LiveInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveInputError';
  }
}

interface SdkErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly cause?: { readonly code?: string };
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];

/**
 * The error a failed first call means for the user, when it is bad input (credentials, region,
 * endpoint, permissions); undefined when it is something else.
 */
export function explainAccessError(error: unknown, where: { readonly profile?: string; readonly endpoint?: string }): LiveInputError | undefined {
  if (error instanceof LiveInputError) return error;
  const e = (error ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  const message = (e.message ?? String(error)).split('\n')[0];
  const code = e.code ?? e.cause?.code ?? NETWORK_CODES.find(c => message.includes(c));
  if (name === 'CredentialsProviderError' || /Could not load credentials|Could not resolve credentials/.test(message)) {
    const profile = where.profile ?? process.env.AWS_PROFILE;
    return new LiveInputError(profile
      ? `No credentials for profile '${profile}' (${message}): check the profile's name in ~/.aws/config, or sign in with 'aws sso login --profile ${profile}'.`
      : `No AWS credentials found (${message}): pass --profile NAME, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`);
  }
  if (/Region is missing/i.test(message)) {
    return new LiveInputError('No AWS region: pass --region REGION (the region the stacks are deployed to), or set AWS_REGION.');
  }
  if (code && NETWORK_CODES.includes(code)) {
    return new LiveInputError(where.endpoint
      ? `Nothing answers at ${where.endpoint} (${code}): check --endpoint (an emulator prints its URL when it starts), or leave it out to reach AWS.`
      : `Cannot reach AWS (${code}): check the network, a proxy (HTTPS_PROXY), or --region.`);
  }
  if (['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'InvalidSignatureException', 'SignatureDoesNotMatch'].includes(name)) {
    return new LiveInputError(`AWS refused the credentials (${name}: ${message}): refresh them (for SSO: 'aws sso login'), or pass another --profile.`);
  }
  if (name === 'AWSOrganizationsNotInUseException') {
    return new LiveInputError(`The caller's account is in no organization (${message}): use the credentials of the organization's management account (--profile).`);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new LiveInputError(`Access denied (${message}): use the management account's credentials with the read-only policy of README "Before you deploy".`);
  }
  return undefined;
}
