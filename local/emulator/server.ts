/**
 * The HTTP side: AWS Organizations over AWS JSON 1.1 (`POST /` with `X-Amz-Target`), Account
 * Management over restJson1 (`POST /getAccountInformation`, `POST /putAccountName`), and the admin
 * endpoints under /_emulator/, all on one port. The caller is the access key id of the SigV4
 * `Authorization` header when it is a 12-digit account id, else the default caller; signatures are
 * not verified.
 */
import { randomUUID } from 'crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { ApiResult, Service } from './dispatcher';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const ADMIN_PREFIX = '/_emulator';

/** What the server needs from the emulator. */
export interface RequestHandler {
  /** The account of a caller whose access key is not an account id. */
  defaultCaller(): string;
  call(service: Service, operation: string, body: unknown, caller: string): Promise<ApiResult>;
  /** An admin request: `path` below /_emulator, `body` parsed (undefined when absent or not JSON). */
  admin(method: string, path: string, query: URLSearchParams, body: unknown): AdminResponse;
}

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The caller's account id from `Credential=<AccessKeyId>/...`. */
export function callerOf(authorization: string | undefined, fallback: string): string {
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
  return accessKeyId && /^\d{12}$/.test(accessKeyId) ? accessKeyId : fallback;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The parsed JSON body; `{}` when empty, undefined when it is not JSON. */
function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text).toString(), 'x-amzn-requestid': randomUUID() });
  response.end(text);
}

function sendOrganizations(response: ServerResponse, result: ApiResult): void {
  const headers = { 'content-type': 'application/x-amz-json-1.1' };
  if (result.ok) return send(response, 200, headers, result.body);
  const { error } = result;
  return send(response, error.status('organizations'), headers, { __type: error.code, Message: error.message, Reason: error.reason });
}

function sendAccount(response: ServerResponse, result: ApiResult): void {
  const headers = { 'content-type': 'application/json' };
  if (result.ok) return send(response, 200, headers, result.body);
  const { error } = result;
  return send(response, error.status('account'), { ...headers, 'x-amzn-errortype': error.code }, { message: error.message, reason: error.reason });
}

async function handle(handler: RequestHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://emulator');
  const text = await readBody(request);
  const body = parseJson(text);
  if (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`)) {
    const answer = handler.admin(request.method ?? 'GET', url.pathname.slice(ADMIN_PREFIX.length) || '/', url.searchParams, text === '' ? undefined : body);
    return send(response, answer.status, { 'content-type': 'application/json' }, answer.body);
  }
  const caller = callerOf(request.headers.authorization, handler.defaultCaller());
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith(TARGET_PREFIX)) {
    return sendOrganizations(response, await handler.call('organizations', target.slice(TARGET_PREFIX.length), body, caller));
  }
  const restOperation = /^\/([a-zA-Z]+)$/.exec(url.pathname)?.[1];
  if (request.method === 'POST' && restOperation) {
    const operation = restOperation[0].toUpperCase() + restOperation.slice(1);
    return sendAccount(response, await handler.call('account', operation, body, caller));
  }
  return send(response, 404, { 'content-type': 'application/json' }, {
    message: `Not an AWS Organizations (POST / with X-Amz-Target ${TARGET_PREFIX}<Operation>), Account Management (POST /<operation>) `
      + `or admin (${ADMIN_PREFIX}/...) request: ${request.method} ${url.pathname}`,
  });
}

/** Listens on `host`:`port` (0: a free port); resolves with the server and its URL. */
export async function listen(handler: RequestHandler, host: string, port: number): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((request, response) => {
    handle(handler, request, response).catch(error => {
      if (!response.headersSent) send(response, 500, { 'content-type': 'application/json' }, { message: `Emulator error: ${(error as Error).message}` });
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, endpoint: `http://${hostname}:${address.port}` };
}

/** Stops listening and drops every open connection (SDK clients keep connections alive). */
export function close(server: Server): Promise<void> {
  return new Promise(resolve => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
