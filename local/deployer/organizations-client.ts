/**
 * A very small AWS Organizations client (JSON 1.1 over fetch) for reading the emulator's
 * organization: the emulator does not verify signatures, so requests carry only the access key id
 * that names the caller, and the deployer needs no SDK at runtime.
 */
import { EMULATOR_ACCESS_KEY_ID } from './resources';
import { unreachable } from './store';

export class OrganizationsApiError extends Error {
  constructor(readonly code: string, message: string, readonly reason?: string) {
    super(`${code}: ${message}`);
    this.name = code;
  }
}

const RETRYABLE = ['TooManyRequestsException', 'ConcurrentModificationException', 'ServiceException'];

export class OrganizationsHttpClient {
  constructor(
    private readonly endpoint: string,
    private readonly options: { accessKeyId?: string; maxAttempts?: number; baseDelayMs?: number } = {},
  ) {}

  async call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown> = {}): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(operation, input);
      } catch (error) {
        if (!(error instanceof OrganizationsApiError) || !RETRYABLE.includes(error.code) || attempt >= maxAttempts) throw error;
        const delay = Math.random() * Math.min(2_000, (this.options.baseDelayMs ?? 50) * 2 ** attempt);
        await new Promise(resolve => setTimeout(resolve, delay));
      }
    }
  }

  /** Every page of a List operation, concatenated. */
  async paginate<T>(operation: string, input: Record<string, unknown>, key: string): Promise<T[]> {
    const items: T[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call<Record<string, unknown>>(operation, { ...input, ...(nextToken ? { NextToken: nextToken } : {}) });
      items.push(...((page[key] as T[] | undefined) ?? []));
      nextToken = page.NextToken as string | undefined;
    } while (nextToken);
    return items;
  }

  private async once<T>(operation: string, input: Record<string, unknown>): Promise<T> {
    const date = new Date().toISOString().replace(/[-:]/g, '').slice(0, 8);
    const accessKeyId = this.options.accessKeyId ?? EMULATOR_ACCESS_KEY_ID;
    const url = `${this.endpoint.replace(/\/+$/, '')}/`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSOrganizationsV20161128.${operation}`,
        'authorization': `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${date}/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-target, Signature=unsigned`,
      },
      body: JSON.stringify(input),
    }).catch(error => { throw unreachable(this.endpoint, error); });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const code = String(body.__type ?? `HTTP${response.status}`).split('#').pop()!;
      throw new OrganizationsApiError(code, String(body.Message ?? body.message ?? text), body.Reason);
    }
    return body as T;
  }
}
