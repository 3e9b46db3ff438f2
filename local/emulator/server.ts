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
import { CloudFormationAnswer, isCloudFormationRequest } from './cloudformation';
import { ApiResult, Service } from './dispatcher';
import { MAX_BODY_BYTES, parseBody, ParsedBody, tooLarge } from './json-body';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const ADMIN_PREFIX = '/_emulator';

/** What the server needs from the emulator. */
export interface RequestHandler {
  /** The account of a caller whose access key is not an account id. */
  defaultCaller(): string;
  call(service: Service, operation: string, body: ParsedBody, caller: string): Promise<ApiResult>;
  /** An admin request: `path` below /_emulator, `body` parsed (undefined when empty; a body that is not JSON never gets here). */
  admin(method: string, path: string, query: URLSearchParams, body: unknown): AdminResponse;
  /** A CloudFormation query-protocol request (the read operations over the deployer's stacks). */
  cloudformation(params: URLSearchParams): CloudFormationAnswer;
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

/** The body as text, or only its size once it passes MAX_BODY_BYTES (the rest is read and dropped). */
function readBody(request: IncomingMessage): Promise<{ readonly text?: string; readonly bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on('end', () => resolve(bytes <= MAX_BODY_BYTES ? { text: Buffer.concat(chunks).toString('utf8'), bytes } : { bytes }));
    request.on('error', reject);
  });
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

/** The path and query of the request target, or undefined when it is not a URL. */
function urlOf(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://emulator');
  } catch {
    return undefined;
  }
}

async function handle(handler: RequestHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = urlOf(request);
  const raw = await readBody(request);
  const json = (): ParsedBody => (raw.text === undefined ? tooLarge(raw.bytes) : parseBody(raw.text));
  if (!url) return send(response, 400, { 'content-type': 'application/json' }, { message: `Not a valid request target: ${JSON.stringify(request.url).slice(0, 200)}` });
  if (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`)) {
    const body = json();
    if (!body.ok) return send(response, body.code === 'RequestEntityTooLargeException' ? 413 : 400, { 'content-type': 'application/json' }, { message: body.message });
    const answer = handler.admin(request.method ?? 'GET', url.pathname.slice(ADMIN_PREFIX.length) || '/', url.searchParams, body.empty ? undefined : body.value);
    return send(response, answer.status, { 'content-type': 'application/json' }, answer.body);
  }
  // CloudFormation's read operations (awsQuery): the handlers ask what a Delete is part of.
  if (request.method === 'POST' && raw.text !== undefined && isCloudFormationRequest(request.headers['content-type'], raw.text)) {
    const answer = handler.cloudformation(new URLSearchParams(raw.text));
    response.writeHead(answer.status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(answer.body).toString(), 'x-amzn-requestid': randomUUID() });
    return void response.end(answer.body);
  }
  const caller = callerOf(request.headers.authorization, handler.defaultCaller());
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith(TARGET_PREFIX)) {
    return sendOrganizations(response, await handler.call('organizations', target.slice(TARGET_PREFIX.length), json(), caller));
  }
  const restOperation = /^\/([a-zA-Z]+)$/.exec(url.pathname)?.[1];
  if (request.method === 'POST' && restOperation) {
    const operation = restOperation[0].toUpperCase() + restOperation.slice(1);
    return sendAccount(response, await handler.call('account', operation, json(), caller));
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
