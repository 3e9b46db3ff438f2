/**
 * A local AWS Organizations (and Account Management) emulator that the real AWS SDK and CLI talk
 * to over HTTP: the organization, its OUs, accounts, policies, handshakes and delegated
 * administrators, with AWS's rules, quotas, throttling and asynchronous account creation, a time
 * scale to make simulated minutes pass in milliseconds, seeded fault injection, a call log and a
 * state file.
 */
import { Server } from 'http';
import { handleAdmin } from './admin';
import { Clock } from './clock';
import { handleCloudFormation } from './cloudformation';
import { CallRecord, Dispatcher, Service } from './dispatcher';
import { checkFaultSpec, FaultInjector, FaultSpec } from './faults';
import { createStandaloneAccount } from './operations/accounts';
import { Timings } from './operations/common';
import { ACCOUNT_OPERATIONS, ORGANIZATIONS_OPERATIONS } from './operations/index';
import { createOrganization } from './operations/organization';
import { Quotas, ResolvedQuotas } from './quotas';
import { close, listen } from './server';
import { EmulatorState, FeatureSet, Ids, initialState } from './state';
import { readStateFile, savedClockOf, Store } from './state-file';

export type { CallRecord } from './dispatcher';
export type { FaultSpec } from './faults';
export type { Quotas, RateLimit } from './quotas';
export type { EmulatorState } from './state';

export interface EmulatorOptions {
  /** Port to listen on. @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Throttling (token buckets) off; every other rule and quota stays. @default false */
  readonly relaxed?: boolean;
  /** Multiplies every simulated duration and every throttle refill period. @default 1 */
  readonly timeScale?: number;
  /** Start with an organization of the default caller. @default false (CreateOrganization is the first step) */
  readonly withOrganization?: boolean | { readonly featureSet?: FeatureSet };
  /** Overrides of the documented quotas. */
  readonly quotas?: Partial<Quotas>;
  /** Simulated seconds a CreateAccount request stays IN_PROGRESS. @default 60 */
  readonly accountCreationSeconds?: number;
  /** Simulated seconds a closed account stays PENDING_CLOSURE before it is SUSPENDED. @default 60 */
  readonly accountClosureSeconds?: number;
  /** Simulated seconds a policy type stays PENDING_ENABLE or PENDING_DISABLE. @default 5 */
  readonly policyTypeChangeSeconds?: number;
  /** Faults to inject from the start. */
  readonly faults?: FaultSpec;
  /** Seed of the ids and of the fault draws. @default 1 (or the seed of the state file) */
  readonly seed?: number;
  /**
   * State file: loaded at start when it exists (and refused, naming the field, when it is not a
   * complete state), saved before every change is answered and on stop. Its directory is created.
   */
  readonly stateFile?: string;
}

const DEFAULT_SEED = 1;

export class Emulator {
  /** Starts an emulator and resolves once it listens. */
  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const clock = new Clock(options.timeScale ?? 1);
    const faults = options.faults && checkFaultSpec(options.faults);
    const loaded = options.stateFile ? readStateFile(options.stateFile) : undefined;
    if (loaded) clock.resume(savedClockOf(loaded));
    const state = loaded ?? initialState(options.seed ?? DEFAULT_SEED, clock.now());
    const store = new Store(state, options.stateFile, clock);
    const emulator = new Emulator({ ...options, faults }, clock, store);
    if (options.withOrganization && !state.organization) {
      const featureSet = typeof options.withOrganization === 'object' ? options.withOrganization.featureSet ?? 'ALL' : 'ALL';
      emulator.createOrganization(featureSet);
    }
    store.prepare();
    store.save();
    const { server, endpoint } = await listen({
      defaultCaller: () => emulator.managementAccountId,
      call: (service, operation, body, caller) => emulator.dispatcher.call({ service, operation, body, caller }),
      admin: (method, path, query, body) => handleAdmin({
        config: () => emulator.config(),
        state: () => emulator.state(),
        callLog: emulator.callLog,
        setFaults: (spec, seed) => emulator.setFaults(spec, seed),
        createExternalAccount: (email, name) => emulator.createExternalAccount(email, name),
        stacks: () => emulator.store.state.stacks,
        setStack: (name, document) => emulator.setStack(name, document),
        clock,
      }, method, path, query, body),
      cloudformation: params => handleCloudFormation(emulator.store.state.stacks, params),
    }, options.host ?? '127.0.0.1', options.port ?? 0);
    emulator.server = server;
    emulator.url = endpoint;
    return emulator;
  }

  readonly timeScale: number;
  private server?: Server;
  private url = '';
  private readonly faults: FaultInjector;
  private readonly dispatcher: Dispatcher;
  private readonly quotas: ResolvedQuotas;
  private readonly timings: Timings;

  private constructor(private readonly options: EmulatorOptions, private readonly clock: Clock, private readonly store: Store) {
    this.timeScale = clock.timeScale;
    this.quotas = new ResolvedQuotas(options.quotas);
    this.timings = {
      accountCreationSeconds: options.accountCreationSeconds ?? 60,
      accountClosureSeconds: options.accountClosureSeconds ?? 60,
      policyTypeChangeSeconds: options.policyTypeChangeSeconds ?? 5,
    };
    this.faults = new FaultInjector(options.faults, options.seed ?? store.state.seed);
    this.dispatcher = new Dispatcher({
      store,
      clock,
      quotas: this.quotas,
      timings: this.timings,
      relaxed: options.relaxed ?? false,
      faults: this.faults,
      operations: { organizations: ORGANIZATIONS_OPERATIONS, account: ACCOUNT_OPERATIONS } satisfies Record<Service, unknown>,
    });
  }

  /** The URL to point the SDK at, e.g. 'http://127.0.0.1:41371'. */
  get endpoint(): string {
    return this.url;
  }

  /** The default caller's account: the management account once the organization exists. */
  get managementAccountId(): string {
    return this.store.state.managementAccountId;
  }

  /** Every call received, in order, with its outcome. */
  get callLog(): readonly CallRecord[] {
    return this.dispatcher.callLog;
  }

  /** Replaces the injected faults (undefined: none); draws restart from `seed`. Throws on a spec the CLI would refuse. */
  setFaults(spec: FaultSpec | undefined, seed?: number): void {
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${JSON.stringify(seed)}`);
    this.faults.configure(spec && checkFaultSpec(spec), seed ?? this.options.seed ?? this.store.state.seed);
  }

  /** Creates a standalone AWS account outside any organization; returns its id. */
  createExternalAccount(email: string, name?: string): string {
    const draft = structuredClone(this.dispatcher.current());
    const account = createStandaloneAccount(draft, email, name ?? email.split('@')[0], this.clock.now());
    this.store.commit(draft);
    return account.id;
  }

  /** Stores (or with undefined, deletes) the document of stack `name`, once the state file holds it. */
  private setStack(name: string, document: unknown): void {
    const state = this.store.state;
    const stacks = { ...state.stacks };
    if (document === undefined) delete stacks[name];
    // defineProperty: a stack named "__proto__" is a stack like any other.
    else Object.defineProperty(stacks, name, { value: document, enumerable: true, writable: true, configurable: true });
    this.store.commit({ ...state, stacks });
  }

  /** A JSON-serialisable copy of the whole state. */
  state(): EmulatorState {
    return structuredClone(this.dispatcher.current());
  }

  /** Stops listening (closing open connections) and saves the state file. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await close(server);
    this.store.save();
  }

  private config(): object {
    const relaxed = this.options.relaxed ?? false;
    return { timeScale: this.timeScale, relaxed, managementAccountId: this.managementAccountId, endpoint: this.endpoint };
  }

  private createOrganization(featureSet: FeatureSet): void {
    const state = this.store.state;
    const { clock, quotas, timings } = this;
    createOrganization({ state, ids: new Ids(state), caller: state.managementAccountId, now: clock.now(), clock, quotas, timings }, featureSet);
  }
}
