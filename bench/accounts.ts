/**
 * Benchmark: creating N accounts through the Account handler, driven as the provider framework
 * drives it (onEvent, then isComplete every query interval), against the emulator with AWS's real
 * quotas (5 creations in progress, CreateAccount throttled at 0.1/s with a burst of 3).
 *
 * Two strategies, measured in the same run on the same emulator settings:
 *  - parallel: every account's lifecycle runs at once, as this library's stacks do;
 *  - serial (baseline): one account after the other, the stack-wide DependsOn chain that
 *    CloudFormation's docs and the nearest existing library impose.
 *
 * Prints simulated seconds (wall time divided by the emulator's time scale), API calls and
 * throttled calls per strategy, and the ratio. Usage:
 *   npx ts-node --transpile-only bench/accounts.ts [accounts=20] [timeScale=0.005]
 */
import { dispatchIsComplete, dispatchOnEvent } from '../lambda/index';
import { memoryLogger } from '../lambda/shared/log';
import type { HandlerContext, IsCompleteRequest } from '../lambda/shared/types';
import { Emulator } from '../local/emulator';
import { AccountProperty, HandlerEnv, ResourceType } from '../src/private/contract';
import { clientsFor, createEvent } from '../test/lambda/harness';

const QUERY_INTERVAL_SECONDS = 30; // the provider's queryInterval (src/private/provider.ts)

interface Figures {
  readonly simulatedSeconds: number;
  readonly calls: number;
  readonly throttled: number;
  readonly accounts: number;
}

async function createOne(index: number, run: string, ctx: () => HandlerContext, scale: number): Promise<string> {
  const event = createEvent(ResourceType.ACCOUNT, {
    [AccountProperty.ACCOUNT_NAME]: `${run}-${index}`,
    [AccountProperty.EMAIL]: `${run}-${index}@example.com`,
  }, `Account${index}`);
  const started = await dispatchOnEvent(event, ctx());
  const request = { ...event, ...started } as IsCompleteRequest;
  for (;;) {
    const poll = await dispatchIsComplete(request, ctx());
    if (poll.IsComplete) return poll.PhysicalResourceId ?? started.PhysicalResourceId!;
    await new Promise(resolve => setTimeout(resolve, QUERY_INTERVAL_SECONDS * 1000 * scale));
  }
}

async function measure(strategy: 'parallel' | 'serial', count: number, scale: number): Promise<Figures> {
  const emulator = await Emulator.start({ withOrganization: true, timeScale: scale, quotas: { maxAccounts: count + 10 } });
  const clients = clientsFor(emulator.endpoint);
  const ctx = () => ({ ...clients, deadline: Date.now() + 60_000 * scale + 5_000, log: memoryLogger() }) as HandlerContext;
  const started = Date.now();
  const ids: string[] = [];
  if (strategy === 'parallel') {
    ids.push(...await Promise.all(Array.from({ length: count }, (_, i) => createOne(i, strategy, ctx, scale))));
  } else {
    for (let i = 0; i < count; i++) ids.push(await createOne(i, strategy, ctx, scale));
  }
  const wall = Date.now() - started;
  const figures = {
    simulatedSeconds: wall / 1000 / scale,
    calls: emulator.callLog.length,
    throttled: emulator.callLog.filter(c => c.outcome === 'TooManyRequestsException').length,
    accounts: new Set(ids).size,
  };
  clients.organizations.destroy();
  clients.account.destroy();
  await emulator.stop();
  return figures;
}

async function main() {
  const count = Number(process.argv[2] ?? 20);
  const scale = Number(process.argv[3] ?? 0.005);
  process.env[HandlerEnv.RETRY_BASE_MS] = String(Math.max(1, Math.round(500 * scale)));
  const serial = await measure('serial', count, scale);
  const parallel = await measure('parallel', count, scale);
  const row = (name: string, f: Figures) =>
    `${name.padEnd(10)} ${String(f.accounts).padStart(8)} ${f.simulatedSeconds.toFixed(0).padStart(12)} ${String(f.calls).padStart(9)} ${String(f.throttled).padStart(10)}`;
  console.log(`${count} accounts, real quotas, time scale ${scale}, provider query interval ${QUERY_INTERVAL_SECONDS}s`);
  console.log(`${'strategy'.padEnd(10)} ${'accounts'.padStart(8)} ${'simulated s'.padStart(12)} ${'API calls'.padStart(9)} ${'throttled'.padStart(10)}`);
  console.log(row('serial', serial));
  console.log(row('parallel', parallel));
  console.log(`parallel is ${(serial.simulatedSeconds / parallel.simulatedSeconds).toFixed(1)}x faster than the serial baseline`);
  if (serial.accounts !== count || parallel.accounts !== count) {
    console.error('FAILED: not every account was created exactly once');
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
