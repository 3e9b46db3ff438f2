/**
 * Many accounts in one stack: the provider creates them all at once, and the handler must turn
 * Organizations' limits (5 creations in progress, CreateAccount throttled at 0.1/s burst 3) and
 * injected throttling into waiting, never into a failed resource or a duplicate account.
 */
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { accountCreateEvent, accountProps, runCreate } from './account-support';
import { Harness, startHarness } from './harness';
import { HandlerEnv } from '../../src/private/contract';

const COUNT = 20;

async function memberEmails(h: Harness): Promise<string[]> {
  const emails: string[] = [];
  let token: string | undefined;
  do {
    const page = await h.organizations.send(new ListAccountsCommand({ NextToken: token }));
    emails.push(...(page.Accounts ?? []).map(a => a.Email!.toLowerCase()));
    token = page.NextToken;
  } while (token);
  return emails;
}

async function createMany(h: Harness, prefix: string) {
  const props = Array.from({ length: COUNT }, (_, i) => accountProps(`${prefix} ${i}`));
  const outcomes = await Promise.all(props.map(p => runCreate(h, accountCreateEvent(p), { maxPolls: 20_000, sleepMs: 2 })));
  return { props, outcomes };
}

describe(`${COUNT} accounts created at once`, () => {
  const previousBase = process.env[HandlerEnv.RETRY_BASE_MS];
  beforeAll(() => { process.env[HandlerEnv.RETRY_BASE_MS] = '2'; });
  afterAll(() => {
    if (previousBase === undefined) delete process.env[HandlerEnv.RETRY_BASE_MS];
    else process.env[HandlerEnv.RETRY_BASE_MS] = previousBase;
  });

  test('under the real quotas: all succeed, one account each, never more than 5 in progress', async () => {
    // A creation (2,000 simulated s = 1 real s) outlasts the submission of all 20, so the limit of 5
    // in progress and the CreateAccount throttle are certain to refuse some, however loaded the machine.
    const h = await startHarness({ relaxed: false, timeScale: 0.0005, accountCreationSeconds: 2_000, quotas: { maxAccounts: 100 } });
    try {
      const { props, outcomes } = await createMany(h, 'Quota');
      const ids = outcomes.map(o => o.PhysicalResourceId);
      expect(new Set(ids).size).toBe(COUNT);
      const emails = await memberEmails(h);
      for (const p of props) expect(emails.filter(e => e === (p.Email as string))).toHaveLength(1);
      const creates = h.emulator.callLog.filter(c => c.operation === 'CreateAccount');
      const accepted = creates.filter(c => c.outcome === 'OK');
      // Refusals happened (the limits were real) and each resource had exactly one request accepted.
      expect(creates.length).toBeGreaterThan(COUNT);
      expect(accepted).toHaveLength(COUNT);
    } finally {
      await h.stop();
    }
  });

  test('with injected throttling and concurrent modification: all succeed, one account each', async () => {
    const h = await startHarness({ relaxed: false, timeScale: 0.0005, quotas: { maxAccounts: 100 } });
    try {
      h.emulator.setFaults({ TooManyRequestsException: 0.3, ConcurrentModificationException: 0.1 }, 7);
      const { props, outcomes } = await createMany(h, 'Throttled');
      // The faults are for the handlers; the test reads the result back without them.
      h.emulator.setFaults(undefined);
      expect(new Set(outcomes.map(o => o.PhysicalResourceId)).size).toBe(COUNT);
      const emails = await memberEmails(h);
      for (const p of props) expect(emails.filter(e => e === (p.Email as string))).toHaveLength(1);
      expect(h.emulator.callLog.some(c => /TooManyRequests/.test(String(c.outcome)))).toBe(true);
    } finally {
      await h.stop();
    }
  });
});
