/**
 * One API call, from a parsed request to a result: due state changes first, then the injected
 * fault, throttling, validation, the caller's right to call, and the operation itself, which for a
 * mutating operation runs on a copy of the state that replaces it only on success (so a refused
 * or faulted call changes nothing). Every call is recorded in the call log.
 */
import { Clock, sleep } from './clock';
import { ApiError, fail } from './errors';
import { FaultInjector, FaultName } from './faults';
import { ParsedBody } from './json-body';
import { advance } from './lifecycle';
import { Context, isDelegatedAdministrator, NOT_IN_USE, Operation, Operations, Timings } from './operations/common';
import { ResolvedQuotas } from './quotas';
import { EmulatorState, Ids } from './state';
import { Store, StateFileWriteError } from './state-file';
import { Throttle } from './throttle';
import { validate, withoutNulls } from './validation';

export type Service = 'organizations' | 'account';

/** One call the emulator received, and how it ended. */
export interface CallRecord {
  readonly operation: string;
  readonly service: Service;
  /** The parsed JSON body (`{}` when it was not a JSON object), long strings and lists shortened. */
  readonly request: Record<string, any>;
  /** 'OK' or the exception name, e.g. 'TooManyRequestsException'. */
  readonly outcome: string;
  /** The `Reason` of a ConstraintViolationException, InvalidInputException, ... */
  readonly reason?: string;
  /** The calling account. */
  readonly caller: string;
  /** When it was received (epoch ms). */
  readonly time: number;
}

export interface ApiRequest {
  readonly service: Service;
  readonly operation: string;
  /** The parsed body, or why it was refused (not JSON, too deep, too large). */
  readonly body: ParsedBody;
  readonly caller: string;
}

/** Account Management has its own names for the injected faults. */
const ACCOUNT_SERVICE_FAULTS: Record<FaultName, string> = {
  TooManyRequestsException: 'TooManyRequestsException',
  ConcurrentModificationException: 'ConflictException',
  ServiceException: 'InternalServerException',
};

export type ApiResult = { readonly ok: true; readonly body: object } | { readonly ok: false; readonly error: ApiError };

export interface DispatcherOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly quotas: ResolvedQuotas;
  readonly timings: Timings;
  readonly relaxed: boolean;
  readonly faults: FaultInjector;
  readonly operations: Readonly<Record<Service, Operations>>;
}

/** What the call log keeps of a body: strings, lists and objects beyond these sizes are shortened, so the log stays small. */
const LOG_LIMITS = { string: 2048, list: 100, keys: 100 };

/** A copy of `value` for the call log (its depth is bounded already: see MAX_JSON_DEPTH). */
function forLog(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > LOG_LIMITS.string ? `${value.slice(0, LOG_LIMITS.string)}... (${value.length} characters)` : value;
  }
  if (Array.isArray(value)) {
    const kept = value.slice(0, LOG_LIMITS.list).map(forLog);
    return value.length > LOG_LIMITS.list ? [...kept, `... (${value.length} items)`] : kept;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    // fromEntries defines own properties, so a "__proto__" key stays data.
    const kept = Object.fromEntries(keys.slice(0, LOG_LIMITS.keys).map(key => [key, forLog((value as Record<string, unknown>)[key])]));
    return keys.length > LOG_LIMITS.keys ? { ...kept, '...': `${keys.length} members` } : kept;
  }
  return value;
}

export class Dispatcher {
  readonly callLog: CallRecord[] = [];
  private readonly throttle: Throttle;

  constructor(private readonly options: DispatcherOptions) {
    this.throttle = new Throttle(options.quotas, options.clock);
  }

  async call(request: ApiRequest): Promise<ApiResult> {
    const time = this.options.clock.now();
    let result: ApiResult;
    try {
      result = { ok: true, body: (await this.run(request)) ?? {} };
    } catch (error) {
      result = { ok: false, error: this.asApiError(request, error) };
    }
    const body = request.body.ok && typeof request.body.value === 'object' && request.body.value !== null && !Array.isArray(request.body.value)
      ? forLog(request.body.value) as Record<string, any> : {};
    this.callLog.push({
      operation: request.operation,
      service: request.service,
      request: body,
      outcome: result.ok ? 'OK' : result.error.code,
      reason: result.ok ? undefined : result.error.reason,
      caller: request.caller,
      time,
    });
    return result;
  }

  /**
   * The state as of now, every due change applied. Due changes follow from the saved state and the
   * time alone, so when the file cannot be written now they are simply applied again after a restart.
   */
  current(): EmulatorState {
    const store = this.options.store;
    if (advance(store.state, this.options.clock.now(), at => this.context(store.state, at, store.state.managementAccountId)) > 0) {
      try {
        store.save();
      } catch (error) {
        if (!(error instanceof StateFileWriteError)) throw error;
      }
    }
    return store.state;
  }

  private asApiError(request: ApiRequest, error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    const internal = request.service === 'account' ? 'InternalServerException' : 'ServiceException';
    // Nothing was applied, so the SDK's retry of this server error cannot duplicate the change.
    if (error instanceof StateFileWriteError) return new ApiError(internal, error.message);
    process.stderr.write(`emulator: ${request.operation} failed unexpectedly: ${(error as Error).stack ?? error}\n`);
    return new ApiError(internal, `Emulator error: ${(error as Error).message}`);
  }

  private context(state: EmulatorState, now: number, caller: string): Context {
    return { state, ids: new Ids(state), caller, now, clock: this.options.clock, quotas: this.options.quotas, timings: this.options.timings };
  }

  private async run(request: ApiRequest): Promise<object | void> {
    const { service, operation, caller, body } = request;
    const operations = this.options.operations[service];
    // Own properties only: "constructor" or "__proto__" are not operations.
    const op = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!op) {
      fail('UnknownOperationException', `The emulator does not implement the ${service === 'account' ? 'Account Management' : 'AWS Organizations'} `
        + `operation ${JSON.stringify(operation.slice(0, 100))}.`);
    }
    if (!body.ok) fail(body.code, body.message);
    const fault = this.options.faults.next(operation);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.error) fail(service === 'account' ? ACCOUNT_SERVICE_FAULTS[fault.error.name] : fault.error.name, fault.error.message);
    if (!this.options.relaxed && !this.throttle.take(operation, caller)) {
      fail('TooManyRequestsException', `Rate exceeded: ${operation} is throttled for account ${caller}; try again later.`);
    }
    this.validate(service, op, body.value);
    return this.execute(op, operation, caller, withoutNulls(body.value));
  }

  private validate(service: Service, op: Operation, body: unknown): void {
    try {
      validate(op.input, body);
    } catch (error) {
      // Account Management reports invalid input as its own ValidationException.
      if (service === 'account' && error instanceof ApiError) throw new ApiError('ValidationException', error.message, 'fieldValidationFailed');
      throw error;
    }
  }

  /**
   * Runs `op`. A mutating operation runs on a copy that becomes the state once the state file holds
   * it. An account id the emulator never saw calls as a standalone account met now, added to that
   * copy only: it is kept when the call changes something, and leaves no trace otherwise.
   */
  private execute(op: Operation, operation: string, caller: string, body: unknown): object | void {
    const store = this.options.store;
    const state = this.current();
    const now = this.options.clock.now();
    authorize(state, op, operation, caller);
    const known = Object.hasOwn(state.accounts, caller);
    if (!op.mutating && known) return op.run(this.context(state, now, caller), body);
    const draft = structuredClone(state);
    if (!known) {
      draft.accounts[caller] = { id: caller, email: `account-${caller}@example.com`, name: `Account ${caller}`, createdAt: now, seq: new Ids(draft).next(), state: 'ACTIVE' };
    }
    const result = op.run(this.context(draft, now, caller), body);
    if (op.mutating) store.commit(draft);
    return result;
  }
}

/** Checks `caller` may call `op` (see `Access`). */
function authorize(state: EmulatorState, op: Operation, operation: string, caller: string): void {
  if (op.access === 'any') return;
  const org = state.organization;
  if (!org || state.accounts[caller]?.membership?.organizationId !== org.id) fail('AWSOrganizationsNotInUseException', NOT_IN_USE);
  if (op.access === 'member' || caller === org.managementAccountId) return;
  if (op.access === 'read' && isDelegatedAdministrator(org, caller)) return;
  fail('AccessDeniedException', `You don't have permissions to access this resource: account ${caller} is a member account of ${org.id}, and only the `
    + `management account${op.access === 'read' ? ' or a delegated administrator' : ''} can call ${operation}.`);
}
