/**
 * One API call, from a parsed request to a result: due state changes first, then the injected
 * fault, throttling, validation, the caller's right to call, and the operation itself, which for a
 * mutating operation runs on a copy of the state that replaces it only on success (so a refused
 * or faulted call changes nothing). Every call is recorded in the call log.
 */
import { writeFileSync, renameSync } from 'fs';
import { Clock, sleep } from './clock';
import { ApiError, fail } from './errors';
import { FaultInjector, FaultName } from './faults';
import { advance } from './lifecycle';
import { Context, isDelegatedAdministrator, NOT_IN_USE, Operation, Operations, Timings } from './operations/common';
import { ResolvedQuotas } from './quotas';
import { EmulatorState, Ids } from './state';
import { Throttle } from './throttle';
import { validate } from './validation';

export type Service = 'organizations' | 'account';

/** One call the emulator received, and how it ended. */
export interface CallRecord {
  readonly operation: string;
  readonly service: Service;
  /** The parsed JSON body. */
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
  /** The parsed body, or undefined when it was not JSON. */
  readonly body: unknown;
  readonly caller: string;
}

/** Account Management has its own names for the injected faults. */
const ACCOUNT_SERVICE_FAULTS: Record<FaultName, string> = {
  TooManyRequestsException: 'TooManyRequestsException',
  ConcurrentModificationException: 'ConflictException',
  ServiceException: 'InternalServerException',
};

export type ApiResult = { readonly ok: true; readonly body: object } | { readonly ok: false; readonly error: ApiError };

/** The state, and where it is saved. */
export class Store {
  constructor(public state: EmulatorState, private readonly file?: string) {}

  /** Writes the state file (atomically: a reader never sees half a file). */
  save(): void {
    if (!this.file) return;
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state, null, 2));
    renameSync(temporary, this.file);
  }
}

export interface DispatcherOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly quotas: ResolvedQuotas;
  readonly timings: Timings;
  readonly relaxed: boolean;
  readonly faults: FaultInjector;
  readonly operations: Readonly<Record<Service, Operations>>;
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
      if (!(error instanceof ApiError)) process.stderr.write(`emulator: ${request.operation} failed unexpectedly: ${(error as Error).stack ?? error}\n`);
      const apiError = error instanceof ApiError ? error
        : new ApiError(request.service === 'account' ? 'InternalServerException' : 'ServiceException', `Emulator error: ${(error as Error).message}`);
      result = { ok: false, error: apiError };
    }
    const body = typeof request.body === 'object' && request.body !== null ? request.body as Record<string, any> : {};
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

  /** The state as of now, every due change applied. */
  current(): EmulatorState {
    const store = this.options.store;
    if (advance(store.state, this.options.clock.now(), at => this.context(store.state, at, store.state.managementAccountId)) > 0) store.save();
    return store.state;
  }

  private context(state: EmulatorState, now: number, caller: string): Context {
    return { state, ids: new Ids(state), caller, now, clock: this.options.clock, quotas: this.options.quotas, timings: this.options.timings };
  }

  private async run(request: ApiRequest): Promise<object | void> {
    const { service, operation, caller } = request;
    const op = this.options.operations[service][operation];
    if (!op) {
      fail('UnknownOperationException', `The emulator does not implement the ${service === 'account' ? 'Account Management' : 'AWS Organizations'} `
        + `operation ${JSON.stringify(operation)}.`);
    }
    if (request.body === undefined) fail('SerializationException', 'The request body is not valid JSON.');
    const fault = this.options.faults.next(operation);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.error) fail(service === 'account' ? ACCOUNT_SERVICE_FAULTS[fault.error.name] : fault.error.name, fault.error.message);
    if (!this.options.relaxed && !this.throttle.take(operation, caller)) {
      fail('TooManyRequestsException', `Rate exceeded: ${operation} is throttled for account ${caller}; try again later.`);
    }
    this.validate(service, op, request.body);
    return this.execute(op, operation, caller, request.body);
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

  private execute(op: Operation, operation: string, caller: string, body: unknown): object | void {
    const store = this.options.store;
    this.current();
    const now = this.options.clock.now();
    if (!store.state.accounts[caller]) {
      // An access key that is an account id the emulator never saw: a standalone account, met now.
      const state = store.state;
      state.accounts[caller] = { id: caller, email: `account-${caller}@example.com`, name: `Account ${caller}`, createdAt: now, seq: new Ids(state).next(), state: 'ACTIVE' };
      store.save();
    }
    authorize(store.state, op, operation, caller);
    if (!op.mutating) return op.run(this.context(store.state, now, caller), body);
    const draft = structuredClone(store.state);
    const result = op.run(this.context(draft, now, caller), body);
    store.state = draft;
    store.save();
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
