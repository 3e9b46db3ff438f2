/**
 * Fault injection: seeded and reproducible, per operation or for all, and a faulted call changes
 * nothing.
 */
import { GetAccountInformationCommand, PutAccountNameCommand } from '@aws-sdk/client-account';
import { CreateOrganizationalUnitCommand, DescribeOrganizationCommand, ListRootsCommand, OrganizationsClient, ServiceException } from '@aws-sdk/client-organizations';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { clientsFor, expectError, Fixture, rootIdOf, snapshot, startFixture } from './support';
import { Emulator } from '../../local/emulator';
import { FaultSpec, parseFaultSpec } from '../../local/emulator/faults';

let f: Fixture;
let root: string;

beforeAll(async () => {
  f = await startFixture();
  root = await rootIdOf(f.org);
});
afterEach(() => f.emulator.setFaults(undefined));
afterAll(async () => f?.stop());

async function outcomes(spec: FaultSpec, seed: number, calls = 40): Promise<string[]> {
  f.emulator.setFaults(spec, seed);
  const since = f.emulator.callLog.length;
  for (let i = 0; i < calls; i++) await f.org.send(new DescribeOrganizationCommand({})).catch(() => undefined);
  return f.emulator.callLog.slice(since).map(c => c.outcome);
}

test('the same seed gives the same faults; another seed others', async () => {
  const spec = { TooManyRequestsException: 0.3, ConcurrentModificationException: 0.2 };
  const first = await outcomes(spec, 42);
  const again = await outcomes(spec, 42);
  const other = await outcomes(spec, 43);
  expect(again).toEqual(first);
  expect(other).not.toEqual(first);
  expect(new Set(first)).toEqual(new Set(['OK', 'TooManyRequestsException', 'ConcurrentModificationException']));
  const throttled = first.filter(o => o === 'TooManyRequestsException').length / first.length;
  expect(throttled).toBeGreaterThan(0.1);
  expect(throttled).toBeLessThan(0.6);
});

test('faults set at start, for all operations', async () => {
  const emulator = await Emulator.start({ withOrganization: true, relaxed: true, faults: { ServiceException: 1 }, seed: 5 });
  const clients = clientsFor(emulator);
  try {
    await expectError(clients.org.send(new ListRootsCommand({})), 'ServiceException');
  } finally {
    clients.destroy();
    await emulator.stop();
  }
});

test('a faulted call changes nothing', async () => {
  f.emulator.setFaults({ ConcurrentModificationException: 1 }, 1);
  const before = snapshot(f.emulator);
  await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Never' })), 'ConcurrentModificationException');
  expect(snapshot(f.emulator)).toBe(before);
  expect(f.emulator.callLog.at(-1)).toMatchObject({ operation: 'CreateOrganizationalUnit', outcome: 'ConcurrentModificationException' });
});

test('per-operation values override the global ones', async () => {
  const operations = { DescribeOrganization: { ServiceException: 0 }, ListRoots: { TooManyRequestsException: 1 } };
  f.emulator.setFaults({ ServiceException: 1, operations }, 1);
  await f.org.send(new DescribeOrganizationCommand({}));
  await expectError(f.org.send(new ListRootsCommand({})), 'TooManyRequestsException');
  await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'x' })), 'ServiceException');
  f.emulator.setFaults(undefined);
  await f.org.send(new ListRootsCommand({}));
});

test('ServiceException is a 500 the SDK retries; ConcurrentModificationException is left to the caller', async () => {
  f.emulator.setFaults({ operations: { DescribeOrganization: { ServiceException: 1 }, ListRoots: { ConcurrentModificationException: 1 } } }, 1);
  const clients = clientsFor(f.emulator, 'AKID', 3);
  try {
    const error = await expectError(clients.org.send(new DescribeOrganizationCommand({})), 'ServiceException');
    expect(error).toBeInstanceOf(ServiceException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 });
    const conflict = await expectError(clients.org.send(new ListRootsCommand({})), 'ConcurrentModificationException');
    expect(conflict.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
  } finally {
    clients.destroy();
  }
});

test('Account Management answers injected faults with its own exceptions', async () => {
  f.emulator.setFaults({ operations: { PutAccountName: { ServiceException: 1 }, GetAccountInformation: { ConcurrentModificationException: 1 } } }, 1);
  const internal = await expectError(f.account.send(new PutAccountNameCommand({ AccountName: 'x' })), 'InternalServerException');
  expect(internal.$metadata.httpStatusCode).toBe(500);
  const conflict = await expectError(f.account.send(new GetAccountInformationCommand({})), 'ConflictException');
  expect(conflict.$metadata.httpStatusCode).toBe(409);
});

test('added latency delays the answer by at least that much', async () => {
  f.emulator.setFaults({ operations: { ListRoots: { latencyMs: 40 } } }, 1);
  const started = Date.now();
  await f.org.send(new ListRootsCommand({}));
  expect(Date.now() - started).toBeGreaterThanOrEqual(39);
});

test('the SDK retry strategy sees injected throttling as throttling and gets through', async () => {
  f.emulator.setFaults({ TooManyRequestsException: 0.5 }, 3);
  const types: string[] = [];
  const strategy = new (class extends ConfiguredRetryStrategy {
    async refreshRetryTokenForRetry(token: any, info: any) {
      types.push(info.errorType);
      return super.refreshRetryTokenForRetry(token, info);
    }
  })(10, () => 1);
  const org = new OrganizationsClient({
    region: 'us-east-1', endpoint: f.emulator.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, retryStrategy: strategy,
  });
  try {
    for (let i = 0; i < 10; i++) await org.send(new DescribeOrganizationCommand({}));
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['THROTTLING']));
  } finally {
    org.destroy();
  }
});

describe('parseFaultSpec (the CLI form)', () => {
  test('global values, latency and per-operation values', () => {
    expect(parseFaultSpec('TooManyRequestsException=0.1,ConcurrentModificationException=0.05,latency=20,CreateAccount:ServiceException=0.2')).toEqual({
      TooManyRequestsException: 0.1,
      ConcurrentModificationException: 0.05,
      latencyMs: 20,
      operations: { CreateAccount: { ServiceException: 0.2 } },
    });
  });

  test.each([
    ['Nope=0.1', /Unknown fault "Nope"/],
    ['ServiceException=2', /ServiceException must be a probability between 0 and 1, got 2/],
    ['latency=-100', /latencyMs must be a number of milliseconds, 0 or more, got -100/],
    ['latency=abc', /Invalid value for latency: abc/],
    ['CreateAcount:ServiceException=0.5', /Unknown operation "CreateAcount"/],
    // A name that is a property of every object is not an operation.
    ['constructor:ServiceException=0.5', /Unknown operation "constructor"/],
    ['ServiceException', /expected \[Operation:\]Name=value/],
  ])('%s is refused with a clear message', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});
