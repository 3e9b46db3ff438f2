import * as fs from 'fs';
import * as path from 'path';
import { App, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { spawnCli, startHarness, Harness } from './support';
import { main } from '../../local/deployer/cli';
import { RunClock } from '../../local/deployer/deploy';
import { StackEvent } from '../../local/deployer/engine';
import { Heartbeat } from '../../local/deployer/progress';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

/** An app command that takes a while to synthesize, then hands over a synthesized assembly. */
function slowApp(assembly: string, delayMs: number): string {
  return `node -e "setTimeout(() => {}, ${delayMs})" && cp -r ${JSON.stringify(`${assembly}/.`)} "$CDK_OUTDIR"`;
}

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

describe('heartbeat', () => {
  test('names the resource in progress longest in simulated time, with its time here', () => {
    let simulated = 0;
    const clock = new RunClock(0.001, () => simulated);
    const lines: string[] = [];
    const heartbeat = new Heartbeat({ print: line => lines.push(line), intervalMs: 10_000 });
    const start = Date.now();
    const event = (logicalId: string, status: string, constructPath?: string): StackEvent => ({
      timestamp: new Date(start).toISOString(),
      elapsedMs: 0,
      simulatedSeconds: simulated,
      stackName: 'Org',
      logicalId,
      resourceType: 'Custom::Organizations_Account',
      status,
      ...(constructPath ? { constructPath } : {}),
    });

    expect(heartbeat.waitingOn()).toBe('the run to start (the emulator, the cloud assembly)');
    heartbeat.setStage({ stage: 'synth', app: 'npx tsx bin/org.ts' });
    expect(heartbeat.waitingOn(Date.now() + 12_000)).toMatch(/^synthesizing the app \(npx tsx bin\/org\.ts\) for 12\.\ds$/);
    heartbeat.setStage({ stage: 'stacks', clock });
    expect(heartbeat.waitingOn()).toBe('the stack operations (no resource in progress)');
    clock.event(event('Audit', 'CREATE_IN_PROGRESS'));
    simulated = 20;
    clock.event(event('Sandbox', 'CREATE_IN_PROGRESS', 'Sandbox/Resource'));
    clock.event(event('Audit', 'CREATE_COMPLETE'));
    simulated = 50;
    clock.event(event('Log', 'CREATE_IN_PROGRESS'));
    simulated = 200;

    expect(heartbeat.waitingOn()).toMatch(
      /^2 resources in progress; the longest: Org Custom::Organizations_Account Sandbox\/Resource \(Sandbox\) CREATE_IN_PROGRESS for 3m 00s simulated \(\d+ms here\)$/,
    );
    expect(lines).toEqual([]);
  });

  test('while the app synthesizes and while a resource waits, a line says what the run is waiting on', async () => {
    // A handler that takes a second here.
    const assembly = h.workspace.synth({
      HeartStack: (_stack, p) => { p.resource('Thing', { PhysicalId: 'thing-1', SleepMs: 1000 }); },
    });
    const run = capture();

    const code = await main('deploy', ['--app', slowApp(assembly, 1000), '--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache], run.io, { heartbeatMs: 100 });

    expect(code).toBe(0);
    const waiting = run.err.filter(line => / \| waiting: /.test(line));
    expect(waiting).toContainEqual(expect.stringMatching(/^\s+\d+\.\d\ds \| waiting: synthesizing the app \(node -e .*\) for \d/));
    expect(waiting).toContainEqual(expect.stringMatching(
      /^\s+\d+\.\d\ds \| waiting: 1 resource in progress; the longest: HeartStack Custom::Fixture Thing\/Default \(Thing\) CREATE_IN_PROGRESS for \S+( \S+)? simulated \(\S+ here\)$/,
    ));
    // Plain lines, no terminal control sequences.
    expect(waiting.join('\n')).not.toMatch(/\u001b|\r/);
  });

  test('no heartbeat line while output comes more often than the interval', async () => {
    const assembly = h.workspace.synth({
      QuietStack: (_stack, p) => { p.resource('Thing', { PhysicalId: 'thing-2' }); },
    });
    const run = capture();

    expect(await main('deploy', ['--app', assembly, '--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache], run.io, { heartbeatMs: 60_000 })).toBe(0);

    expect(run.err.filter(line => /waiting:/.test(line))).toEqual([]);
  });
});

/**
 * An app of `count` resources whose provider waits `polls - 1` times before each completes. The
 * handler counts the polls of each request in a file of its own (the resources poll concurrently).
 */
function waitersApp(dir: string, count: number, polls: number): string {
  const code = path.join(dir, 'waiter-handler');
  fs.mkdirSync(code, { recursive: true });
  fs.writeFileSync(path.join(code, 'index.js'), `
const fs = require('fs');
const path = require('path');
exports.onEvent = async event => ({ PhysicalResourceId: event.PhysicalResourceId || event.LogicalResourceId });
exports.isComplete = async event => {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const file = path.join(process.env.POLLS, event.RequestId);
  fs.appendFileSync(file, '.');
  return { IsComplete: fs.readFileSync(file, 'utf-8').length >= ${polls} };
};
`);
  const pollDir = path.join(dir, 'polls');
  fs.mkdirSync(pollDir, { recursive: true });
  const app = new App({ outdir: path.join(dir, 'cdk.out.waiters') });
  const stack = new Stack(app, 'ManyWaiters');
  const common = { code: lambda.Code.fromAsset(code), runtime: lambda.Runtime.NODEJS_22_X, environment: { POLLS: pollDir } };
  const provider = new cr.Provider(stack, 'Provider', {
    onEventHandler: new lambda.Function(stack, 'OnEvent', { ...common, handler: 'index.onEvent' }),
    isCompleteHandler: new lambda.Function(stack, 'IsComplete', { ...common, handler: 'index.isComplete' }),
    queryInterval: Duration.seconds(30),
    totalTimeout: Duration.hours(1),
  });
  for (let i = 0; i < count; i++) new CustomResource(stack, `Waiter${i}`, { serviceToken: provider.serviceToken, resourceType: 'Custom::Waiter' });
  app.synth();
  return app.outdir;
}

describe('many concurrent waiters', () => {
  // In a child process, as a user runs the command: Node prints its warnings to the real process's
  // stderr (jest's sandboxed `process` never sees them).
  test('twenty resources waiting at once emit no MaxListenersExceededWarning', async () => {
    const assembly = waitersApp(h.workspace.dir, 20, 3);

    const { code, stdout, stderr } = await spawnCli(['deploy', '--app', assembly, '--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache]).exited;

    expect(stdout).toContain(' ✅  ManyWaiters (CREATE_COMPLETE)');
    expect(code).toBe(0);
    // Every resource polled three times, so twenty waiters slept together on the run's signal.
    const polls = fs.readdirSync(path.join(h.workspace.dir, 'polls')).map(file => fs.readFileSync(path.join(h.workspace.dir, 'polls', file), 'utf-8').length);
    expect(polls).toEqual(Array(20).fill(3));
    expect(stderr).not.toMatch(/MaxListenersExceededWarning|memory leak/);
  });
});
