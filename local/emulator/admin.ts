/**
 * The admin endpoints under /_emulator/, for other processes (the local deployer, the CLI, the
 * demo): configuration, the state dump, the call log, fault injection, external accounts, and the
 * per-stack documents the local deployer keeps with the emulator's state.
 */
import { CallRecord } from './dispatcher';
import { FaultSpec } from './faults';
import { AdminResponse } from './server';
import { EmulatorState } from './state';

/** What the admin endpoints read and change. */
export interface AdminTarget {
  readonly callLog: readonly CallRecord[];
  config(): object;
  state(): EmulatorState;
  setFaults(spec: FaultSpec | undefined, seed?: number): void;
  createExternalAccount(email: string, name?: string): string;
  /** The live stack documents; `saveStacks` persists them. */
  stacks(): Record<string, unknown>;
  saveStacks(): void;
}

const ok = (body: unknown): AdminResponse => ({ status: 200, body });
const error = (status: number, message: string): AdminResponse => ({ status, body: { message } });

function stackRoute(target: AdminTarget, method: string, name: string, body: unknown): AdminResponse {
  const stacks = target.stacks();
  switch (method) {
    case 'GET':
      return Object.prototype.hasOwnProperty.call(stacks, name) ? ok(stacks[name]) : error(404, `No stack named ${JSON.stringify(name)}.`);
    case 'PUT':
      if (body === undefined) return error(400, 'PUT a JSON document.');
      stacks[name] = body;
      target.saveStacks();
      return ok({ stack: name });
    case 'DELETE': {
      const existed = Object.prototype.hasOwnProperty.call(stacks, name);
      delete stacks[name];
      target.saveStacks();
      return ok({ stack: name, deleted: existed });
    }
    default:
      return error(405, `${method} is not supported on /_emulator/stacks/<name>; use GET, PUT or DELETE.`);
  }
}

/** Answers `method` `path` (below /_emulator). */
export function handleAdmin(target: AdminTarget, method: string, path: string, query: URLSearchParams, body: unknown): AdminResponse {
  const stack = /^\/stacks\/(.+)$/.exec(path);
  if (stack) return stackRoute(target, method, decodeURIComponent(stack[1]), body);
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
    case 'PUT /faults': {
      const request = body as { faults?: FaultSpec | null; seed?: number } | undefined;
      if (!request || typeof request !== 'object') return error(400, 'PUT {"faults": {...} | null, "seed": 1}.');
      target.setFaults(request.faults ?? undefined, request.seed);
      return ok({ faults: request.faults ?? null });
    }
    case 'GET /stacks':
      return ok({ stacks: Object.keys(target.stacks()).sort() });
    case 'POST /accounts': {
      const request = body as { email?: string; name?: string } | undefined;
      if (typeof request?.email !== 'string') return error(400, 'POST {"email": "...", "name": "..."} to create a standalone account.');
      try {
        return ok({ accountId: target.createExternalAccount(request.email, request.name) });
      } catch (e) {
        return error(400, (e as Error).message);
      }
    }
    default:
      return error(404, `Unknown admin endpoint ${method} /_emulator${path}. Known: GET config, state, calls?since=N, stacks, stacks/<name>; `
        + 'PUT faults, stacks/<name>; DELETE stacks/<name>; POST accounts.');
  }
}
