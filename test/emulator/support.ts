/**
 * Shared by the emulator tests: real SDK clients pointed at an emulator (fast retries), error
 * assertions, and waits bounded by a number of polls, never by the clock.
 */
import { AccountClient } from '@aws-sdk/client-account';
import {
  CreateAccountCommand,
  CreateAccountStatus,
  DescribeCreateAccountStatusCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { Emulator, EmulatorOptions } from '../../local/emulator';

export const DEFAULT_KEY = 'AKIDEMULATOR';

export interface Clients {
  readonly org: OrganizationsClient;
  readonly account: AccountClient;
  destroy(): void;
}

/** SDK clients calling as `accessKeyId` (a 12-digit account id, or any other key for the default caller). `attempts` 1: no SDK retry. */
export function clientsFor(emulator: Emulator, accessKeyId = DEFAULT_KEY, attempts = 1, retryDelayMs = 10): Clients {
  const config = {
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId, secretAccessKey: 'emulator' },
    retryStrategy: new ConfiguredRetryStrategy(attempts, () => retryDelayMs),
  };
  const org = new OrganizationsClient(config);
  const account = new AccountClient(config);
  return { org, account, destroy: () => { org.destroy(); account.destroy(); } };
}

export interface Fixture extends Clients {
  readonly emulator: Emulator;
  stop(): Promise<void>;
}

/** An emulator with an organization, throttling off and a fast clock, unless `options` say otherwise. */
export async function startFixture(options: EmulatorOptions = {}): Promise<Fixture> {
  const emulator = await Emulator.start({ relaxed: true, timeScale: 0.001, withOrganization: true, ...options });
  const clients = clientsFor(emulator);
  return {
    emulator,
    ...clients,
    stop: async () => {
      clients.destroy();
      await emulator.stop();
    },
  };
}

/** The error `promise` rejects with; fails the test unless it is `name` (and has `Reason` `reason`, when given). */
export async function expectError(promise: Promise<unknown>, name: string, reason?: string): Promise<Error & { Reason?: string; $metadata: any }> {
  let error: any;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (!error) throw new Error(`expected ${name}${reason ? ` (${reason})` : ''}, but the call succeeded`);
  expect({ name: error.name, Reason: error.Reason }).toEqual({ name, Reason: reason });
  return error;
}

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Calls `read` until `done` holds, at most `polls` times; returns the last value. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, polls = 2000): Promise<T> {
  for (let i = 0; i < polls; i++) {
    const value = await read();
    if (done(value)) return value;
    await pause(2);
  }
  throw new Error(`condition not met after ${polls} polls`);
}

export async function rootIdOf(org: OrganizationsClient): Promise<string> {
  return (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
}

/** Waits for a CreateAccount request to leave IN_PROGRESS. */
export function settle(org: OrganizationsClient, requestId: string): Promise<CreateAccountStatus> {
  return pollUntil(
    async () => (await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }))).CreateAccountStatus!,
    status => status.State !== 'IN_PROGRESS',
  );
}

let accountCounter = 0;

/** Creates an account and waits for it; returns its id (fails the test if the creation FAILED). */
export async function newAccount(org: OrganizationsClient, name = `Member ${++accountCounter}`, email?: string): Promise<string> {
  const started = await org.send(new CreateAccountCommand({
    AccountName: name,
    Email: email ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++accountCounter}@example.com`,
  }));
  const status = await settle(org, started.CreateAccountStatus!.Id!);
  if (status.State !== 'SUCCEEDED') throw new Error(`CreateAccount ${name} ${status.State}: ${status.FailureReason}`);
  return status.AccountId!;
}

/**
 * Holds the emulator's clock as a rehearsal does (local/emulator/clock.ts): simulated time stands
 * still, however long a busy machine takes, until the returned function lets go of it.
 */
export async function holdClock(emulator: Emulator): Promise<() => Promise<void>> {
  const url = `${emulator.endpoint}/_emulator/clock`;
  const driver = 'test';
  const held = await fetch(url, { method: 'PUT', body: JSON.stringify({ driver, leaseMs: 60_000 }) });
  if (!held.ok) throw new Error(`PUT /_emulator/clock: ${held.status} ${await held.text()}`);
  return async () => {
    const released = await fetch(`${url}?driver=${driver}`, { method: 'DELETE' });
    if (!released.ok) throw new Error(`DELETE /_emulator/clock: ${released.status} ${await released.text()}`);
  };
}

/** The state as JSON, to show that a refused call changed nothing. */
export function snapshot(emulator: Emulator): string {
  return JSON.stringify(emulator.state());
}
