/**
 * Throttling: real token buckets per operation and calling account, refilled in simulated time,
 * answered with TooManyRequestsException that the SDK's retry strategy classifies as throttling.
 */
import { AccountClient, PutAccountNameCommand, TooManyRequestsException as AccountTooManyRequests } from '@aws-sdk/client-account';
import {
  CreateOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListRootsCommand,
  OrganizationsClient,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { clientsFor, expectError } from './support';
import { Emulator, EmulatorOptions } from '../../local/emulator';
import { ResolvedQuotas } from '../../local/emulator/quotas';

/** A retry strategy that records how the SDK classified each error it retried. */
class RecordingRetryStrategy extends ConfiguredRetryStrategy {
  readonly errorTypes: string[] = [];

  async refreshRetryTokenForRetry(token: any, errorInfo: any) {
    this.errorTypes.push(errorInfo.errorType);
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

async function withEmulator(options: EmulatorOptions, run: (emulator: Emulator) => Promise<void>): Promise<void> {
  const emulator = await Emulator.start({ withOrganization: true, ...options });
  try {
    await run(emulator);
  } finally {
    await emulator.stop();
  }
}

const ouName = (() => {
  let n = 0;
  return () => `throttled-${++n}`;
})();

test('the documented rates are the defaults', () => {
  const quotas = new ResolvedQuotas();
  expect(quotas.rateLimit('CreateOrganizationalUnit')).toEqual({ rate: 1, burst: 2 });
  expect(quotas.rateLimit('CreateAccount')).toEqual({ rate: 0.1, burst: 3 });
  expect(quotas.rateLimit('CloseAccount')).toEqual({ rate: 0.05, burst: 1 });
  expect(quotas.rateLimit('ListRoots')).toEqual({ rate: 1, burst: 2 });
  expect(quotas.rateLimit('ListAccounts')).toEqual({ rate: 10, burst: 20 });
});

test('a bucket empties after its burst: TooManyRequestsException, classified as throttling by the SDK', async () => {
  // The documented burst of 2, refilled slowly enough that no token comes back during the test.
  await withEmulator({ timeScale: 1, quotas: { throttle: { CreateOrganizationalUnit: { rate: 0.01, burst: 2 } } } }, async emulator => {
    const strategy = new RecordingRetryStrategy(2, () => 1);
    const org = new OrganizationsClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, retryStrategy: strategy });
    try {
      const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
      await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: ouName() }));
      await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: ouName() }));
      const error = await expectError(org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: ouName() })), 'TooManyRequestsException');
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error.$metadata.attempts).toBe(2);
      expect(strategy.errorTypes.length).toBeGreaterThan(0);
      expect(new Set(strategy.errorTypes)).toEqual(new Set(['THROTTLING']));
      expect(emulator.callLog.filter(c => c.operation === 'CreateOrganizationalUnit').map(c => c.outcome))
        .toEqual(['OK', 'OK', 'TooManyRequestsException', 'TooManyRequestsException']);
      expect(Object.keys(emulator.state().organization!.ous)).toHaveLength(2);
    } finally {
      org.destroy();
    }
  });
});

test('buckets refill in simulated time: at a small time scale the SDK\'s retries get through', async () => {
  // A token every 100 ms (1/s at 0.1): six requests sent at once cannot all arrive that far apart,
  // however loaded the machine, so some are throttled; the SDK's retries then get through.
  await withEmulator({ timeScale: 0.1 }, async emulator => {
    // 20 attempts 50 ms apart: a 1 s window, for the 4 refills (400 ms) the last requests need.
    const clients = clientsFor(emulator, 'AKID', 20, 50);
    try {
      const root = (await clients.org.send(new ListRootsCommand({}))).Roots![0].Id!;
      const create = () => clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: ouName() }));
      const results = await Promise.all(Array.from({ length: 6 }, create));
      expect(results.every(r => r.OrganizationalUnit!.Id)).toBe(true);
      expect(Math.max(...results.map(r => r.$metadata.attempts!))).toBeGreaterThan(1);
      const outcomes = emulator.callLog.filter(c => c.operation === 'CreateOrganizationalUnit').map(c => c.outcome);
      expect(outcomes.filter(o => o === 'OK')).toHaveLength(6);
      expect(outcomes).toContain('TooManyRequestsException');
    } finally {
      clients.destroy();
    }
  });
});

test('each account has its own buckets', async () => {
  await withEmulator({ timeScale: 1, quotas: { defaultThrottle: { rate: 0.001, burst: 3 } } }, async emulator => {
    const management = clientsFor(emulator);
    const other = clientsFor(emulator, '123412341234');
    try {
      for (let i = 0; i < 3; i++) await management.org.send(new DescribeOrganizationCommand({}));
      await expectError(management.org.send(new DescribeOrganizationCommand({})), 'TooManyRequestsException');
      // Another account's bucket is full: it gets past throttling (and is not in this organization).
      await expectError(other.org.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
    } finally {
      management.destroy();
      other.destroy();
    }
  });
});

test('rates are quotas: per operation, and a default for the others', async () => {
  const quotas = { throttle: { ListRoots: { rate: 0.001, burst: 4 } }, defaultThrottle: { rate: 0.001, burst: 1 } };
  await withEmulator({ timeScale: 1, quotas }, async emulator => {
    const clients = clientsFor(emulator);
    try {
      for (let i = 0; i < 4; i++) await clients.org.send(new ListRootsCommand({}));
      await expectError(clients.org.send(new ListRootsCommand({})), 'TooManyRequestsException');
      await clients.org.send(new DescribeOrganizationCommand({}));
      await expectError(clients.org.send(new DescribeOrganizationCommand({})), 'TooManyRequestsException');
    } finally {
      clients.destroy();
    }
  });
});

test('Account Management is throttled too, with its own TooManyRequestsException (429)', async () => {
  await withEmulator({ timeScale: 1, quotas: { defaultThrottle: { rate: 0.001, burst: 1 } } }, async emulator => {
    const account = new AccountClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, maxAttempts: 1 });
    try {
      await account.send(new PutAccountNameCommand({ AccountName: 'One' }));
      const error = await expectError(account.send(new PutAccountNameCommand({ AccountName: 'Two' })), 'TooManyRequestsException');
      expect(error).toBeInstanceOf(AccountTooManyRequests);
      expect(error.$metadata.httpStatusCode).toBe(429);
    } finally {
      account.destroy();
    }
  });
});

test('relaxed turns throttling off, and nothing else', async () => {
  await withEmulator({ timeScale: 1, relaxed: true, quotas: { maxOuDepth: 1 } }, async emulator => {
    const clients = clientsFor(emulator);
    try {
      for (let i = 0; i < 30; i++) await clients.org.send(new ListRootsCommand({}));
      const root = (await clients.org.send(new ListRootsCommand({}))).Roots![0].Id!;
      const ou = (await clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'top' }))).OrganizationalUnit!.Id!;
      await expectError(clients.org.send(new CreateOrganizationalUnitCommand({ ParentId: ou, Name: 'deeper' })), 'ConstraintViolationException', 'OU_DEPTH_LIMIT_EXCEEDED');
      expect(emulator.callLog.some(c => c.outcome === 'TooManyRequestsException')).toBe(false);
    } finally {
      clients.destroy();
    }
  });
});
