/**
 * The admin endpoints under /_emulator/, for other processes (the local deployer, the CLI, the
 * demo): configuration, the state dump, the call log, fault injection, external accounts, and the
 * per-stack documents the local deployer keeps with the emulator's state.
 */
import { Clock } from './clock';
import { CallRecord } from './dispatcher';
import { checkFaultSpec, FaultSpec } from './faults';
import { AdminResponse } from './server';
import { EmulatorState } from './state';
import { StateFileWriteError } from './state-file';
import { PATTERNS } from './validation';

/** What the admin endpoints read and change. */
export interface AdminTarget {
  readonly callLog: readonly CallRecord[];
  /** The emulator's clock, which a rehearsal drives (see clock.ts). */
  readonly clock: Clock;
  config(): object;
  state(): EmulatorState;
  setFaults(spec: FaultSpec | undefined, seed?: number): void;
  createExternalAccount(email: string, name?: string): string;
  /** The stack documents (read only: change them with `setStack`). */
  stacks(): Readonly<Record<string, unknown>>;
  /** Stores a stack document, or deletes it (undefined), once the state file holds the change. */
  setStack(name: string, document: unknown): void;
}

const ok = (body: unknown): AdminResponse => ({ status: 200, body });
const error = (status: number, message: string): AdminResponse => ({ status, body: { message } });

/** Runs a change; a state file that cannot be written is a server error, and the change was not applied. */
function change(run: () => AdminResponse): AdminResponse {
  try {
    return run();
  } catch (e) {
    if (e instanceof StateFileWriteError) return error(500, e.message);
    throw e;
  }
}

function stackRoute(target: AdminTarget, method: string, name: string, body: unknown): AdminResponse {
  const stacks = target.stacks();
  const exists = Object.hasOwn(stacks, name);
  switch (method) {
    case 'GET':
      return exists ? ok(stacks[name]) : error(404, `No stack named ${JSON.stringify(name)}.`);
    case 'PUT':
      if (body === undefined) return error(400, 'PUT a JSON document.');
      return change(() => {
        target.setStack(name, body);
        return ok({ stack: name });
      });
    case 'DELETE':
      return change(() => {
        if (exists) target.setStack(name, undefined);
        return ok({ stack: name, deleted: exists });
      });
    default:
      return error(405, `${method} is not supported on /_emulator/stacks/<name>; use GET, PUT or DELETE.`);
  }
}

function putFaults(target: AdminTarget, body: unknown): AdminResponse {
  const usage = 'PUT {"faults": {"ServiceException": 0.1, "latencyMs": 20, "operations": {"CreateAccount": {...}}} | null, "seed": 1}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return error(400, `${usage}.`);
  const { faults, seed, ...others } = body as { faults?: unknown; seed?: unknown };
  const unknown = Object.keys(others);
  if (unknown.length > 0) return error(400, `Unknown member ${JSON.stringify(unknown[0])}: ${usage}.`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) return error(400, `seed must be an integer, got ${JSON.stringify(seed)}.`);
  let spec: FaultSpec | undefined;
  try {
    // The CLI's --faults goes through the same check.
    spec = faults === undefined || faults === null ? undefined : checkFaultSpec(faults);
  } catch (e) {
    return error(400, (e as Error).message);
  }
  target.setFaults(spec, seed as number | undefined);
  return ok({ faults: spec ?? null });
}

function putClock(clock: Clock, body: unknown): AdminResponse {
  const usage = 'PUT {"driver": "<id>", "now": <epoch ms, optional>, "leaseMs": <real ms, optional>} to hold the clock (and move it forward)';
  const { driver, now, leaseMs = 30_000 } = (body ?? {}) as { driver?: unknown; now?: unknown; leaseMs?: unknown };
  if (typeof driver !== 'string' || driver === '') return error(400, `${usage}.`);
  if (now !== undefined && !Number.isFinite(now)) return error(400, `now must be epoch milliseconds, got ${JSON.stringify(now)}: ${usage}.`);
  if (typeof leaseMs !== 'number' || !(leaseMs > 0)) return error(400, `leaseMs must be a positive number, got ${JSON.stringify(leaseMs)}: ${usage}.`);
  return ok({ now: clock.drive(driver, now as number | undefined, leaseMs) });
}

function postAccount(target: AdminTarget, body: unknown): AdminResponse {
  const request = body as { email?: unknown; name?: unknown } | undefined;
  const usage = 'POST {"email": "...", "name": "..."} to create a standalone account';
  if (typeof request?.email !== 'string') return error(400, `${usage}.`);
  if (request.name !== undefined && (typeof request.name !== 'string' || request.name.length > 50 || !PATTERNS.accountName.test(request.name))) {
    return error(400, `name must be 1 to 50 printable ASCII characters, got ${JSON.stringify(request.name).slice(0, 80)}: ${usage}.`);
  }
  return change(() => {
    try {
      return ok({ accountId: target.createExternalAccount(request.email as string, request.name as string | undefined) });
    } catch (e) {
      if (e instanceof StateFileWriteError) throw e;
      return error(400, (e as Error).message);
    }
  });
}

/** Answers `method` `path` (below /_emulator). */
export function handleAdmin(target: AdminTarget, method: string, path: string, query: URLSearchParams, body: unknown): AdminResponse {
  const stack = /^\/stacks\/(.+)$/.exec(path);
  if (stack) {
    let name: string;
    try {
      name = decodeURIComponent(stack[1]);
    } catch {
      return error(400, `The stack name in ${JSON.stringify(path).slice(0, 200)} is not a valid URL encoding.`);
    }
    return stackRoute(target, method, name, body);
  }
  const route = `${method} ${path.replace(/\/$/, '')}`;
  switch (route) {
    case 'GET /config':
      return ok(target.config());
    case 'GET /state':
      return ok(target.state());
    case 'GET /calls': {
      const since = Number(query.get('since') ?? 0);
      if (!Number.isInteger(since) || since < 0) return error(400, `since must be a call index (a non-negative integer), got ${query.get('since')}.`);
      return ok({ calls: target.callLog.slice(since), next: target.callLog.length });
    }
    case 'PUT /faults':
      return putFaults(target, body);
    case 'GET /stacks':
      return ok({ stacks: Object.keys(target.stacks()).sort() });
    case 'POST /accounts':
      return postAccount(target, body);
    case 'GET /clock':
      return ok({ now: target.clock.now(), driven: target.clock.driven(), timeScale: target.clock.timeScale });
    case 'PUT /clock':
      return putClock(target.clock, body);
    case 'DELETE /clock':
      return ok({ now: target.clock.release(query.get('driver') ?? '') });
    default:
      return error(404, `Unknown admin endpoint ${method} /_emulator${path.slice(0, 200)}. Known: GET config, state, calls?since=N, stacks, stacks/<name>, clock; `
        + 'PUT faults, stacks/<name>, clock; DELETE stacks/<name>, clock?driver=ID; POST accounts.');
  }
}
