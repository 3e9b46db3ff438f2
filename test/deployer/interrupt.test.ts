/**
 * Interrupted runs: Ctrl-C (SIGINT) stops starting work, lets what is in flight finish and rolls
 * back; after SIGKILL the next run finishes what CloudFormation would have done, from the
 * checkpoint kept in the emulator's stack store.
 */
import { Harness, spawnCli, stackReads, stackStatuses, startHarness, until } from './support';
import { EmulatorAdmin } from '../../local/deployer';

let h: Harness;
let admin: EmulatorAdmin;
beforeAll(async () => {
  h = await startHarness();
  admin = new EmulatorAdmin(h.emulator.endpoint);
});
afterAll(async () => h.stop());

const cliArgs = (command: string, app: string) => [command, '--app', app, '--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache];
const requestOf = (from: number, id: string, type: string) => h.workspace.requests().slice(from).filter(r => r.phase === 'onEvent' && r.event.LogicalResourceId === id && r.event.RequestType === type);

test('Ctrl-C during an update lets the update in flight finish, starts nothing more and rolls back (exit 130)', async () => {
  const v1 = h.workspace.synth({
    Cancelled: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 1 });
      p.resource('B', { PhysicalId: 'b-1', Value: 1, On: a.ref, ReadStack: true });
    },
  });
  const v2 = h.workspace.synth({
    Cancelled: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 2 });
      const b = p.resource('B', { PhysicalId: 'b-1', Value: 2, On: a.ref, SleepMs: 1500, ReadStack: true });
      p.resource('C', { PhysicalId: 'c-1', On: b.ref });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const cli = spawnCli(cliArgs('deploy', v2));
  await until(() => h.workspace.calls(from).includes('Update B(b-1)'), 'the update of B');
  cli.child.kill('SIGINT');
  const end = await cli.exited;

  expect(end.code).toBe(130);
  expect(end.stderr).toMatch(/Interrupted: no new resource operation starts; those in flight finish, then an update rolls back/);
  expect(end.stdout).toMatch(/\| Cancelled \| UPDATE_ROLLBACK_COMPLETE\s+\| AWS::CloudFormation::Stack/);
  // B's update finished (the rollback sends B back from Value 2); C was never started.
  expect(h.workspace.calls(from)).toEqual(['Update A(a-1)', 'Update B(b-1)', 'Update A(a-1)', 'Update B(b-1)']);
  expect(requestOf(from, 'B', 'Update')[1].event).toMatchObject({ ResourceProperties: { Value: '1' }, OldResourceProperties: { Value: '2' } });
  const doc = (await admin.getStack('Cancelled'))!;
  expect(doc.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(doc.operation).toBeUndefined();
  expect(Object.keys(doc.resources)).not.toContain('C');
  expect(doc.resources.A.properties.Value).toBe('1');
  expect(doc.resources.B.properties.Value).toBe('1');
  // What a handler asking CloudFormation sees in each phase.
  expect(stackReads(h.workspace).filter(read => read.stackName === 'Cancelled' && read.logicalId === 'B').map(read => `${read.requestType} ${read.status}`))
    .toEqual(['Create CREATE_IN_PROGRESS', 'Update UPDATE_IN_PROGRESS', 'Update UPDATE_ROLLBACK_IN_PROGRESS']);
  // As before the interrupted deploy: deploying v1 changes nothing.
  expect((await h.deploy(v1)).stacks[0].noChanges).toBe(true);
});

test('SIGKILL during an update: the next deploy sends the interrupted request again and carries the update on, as CloudFormation would have; nothing done twice or lost', async () => {
  const v1 = h.workspace.synth({
    Killed: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 1 });
      p.resource('B', { PhysicalId: 'b-1', Value: 1, On: a.ref });
    },
  });
  const v2 = h.workspace.synth({
    Killed: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 2 });
      p.resource('Added', { PhysicalId: 'added-1', ReadStack: true });
      const b = p.resource('B', { PhysicalId: 'b-1', Value: 2, On: a.ref, SleepMs: 1500, ReadStack: true });
      p.resource('C', { PhysicalId: 'c-1', On: b.ref, ReadStack: true });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const cli = spawnCli(cliArgs('deploy', v2));
  await until(async () => h.workspace.calls(from).includes('Update B(b-1)') && 'Added' in ((await admin.getStack('Killed'))?.resources ?? {}), 'B in flight, Added created');
  cli.child.kill('SIGKILL');
  expect((await cli.exited).signal).toBe('SIGKILL');

  const stuck = (await admin.getStack('Killed'))!;
  expect(stuck.status).toBe('UPDATE_IN_PROGRESS');
  expect(stuck.operation!.inFlight).toEqual({ B: { requestType: 'Update', requestId: requestOf(from, 'B', 'Update')[0].event.RequestId } });
  const killedAt = h.workspace.requests().length;

  const result = await h.deploy(v2);

  expect(result.success).toBe(true);
  expect(result.stacks[0].status).toBe('UPDATE_COMPLETE');
  expect(stackStatuses(result)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']);
  // The interrupted Update again, with its RequestId, then what was never started; A and Added are not called again.
  expect(h.workspace.calls(killedAt)).toEqual(['Update B(b-1)', 'Create C']);
  const bUpdates = requestOf(from, 'B', 'Update');
  expect(bUpdates.map(r => r.event.RequestId)).toEqual([bUpdates[0].event.RequestId, bUpdates[0].event.RequestId]);
  expect(h.workspace.calls(from).filter(call => call.startsWith('Create') || call.startsWith('Delete')).sort()).toEqual(['Create Added', 'Create C']);
  const doc = (await admin.getStack('Killed'))!;
  expect(Object.keys(doc.resources).filter(id => !id.startsWith('Fixture')).sort()).toEqual(['A', 'Added', 'B', 'C']);
  expect(doc.resources.A.properties.Value).toBe('2');
  expect(doc.operation).toBeUndefined();
  // Deploying v2 again changes nothing.
  expect((await h.deploy(v2)).stacks[0].noChanges).toBe(true);

  // Handlers can ask CloudFormation where the stack is: the status, and what completed, are stored before each request.
  const reads = stackReads(h.workspace).filter(read => read.stackName === 'Killed');
  expect(new Set(reads.map(read => read.status))).toEqual(new Set(['UPDATE_IN_PROGRESS']));
  expect(reads.filter(read => read.requestId === bUpdates[0].event.RequestId).length).toBeGreaterThanOrEqual(1);
  const readByC = reads.find(read => read.logicalId === 'C')!;
  expect(readByC.resources.Added).toEqual({ type: 'Custom::Fixture', physicalId: 'added-1', status: 'CREATE_COMPLETE' });
  expect(readByC.resources.B).toEqual({ type: 'Custom::Fixture', physicalId: 'b-1', status: 'UPDATE_COMPLETE' });
  expect(readByC.resources.C).toBeUndefined();
  expect(h.workspace.requests()[killedAt].env!.AWS_ENDPOINT_URL_CLOUDFORMATION).toBe(h.emulator.endpoint);
});

test('SIGKILL after a Ctrl-C (the user cancelled): the next deploy rolls the update back first, then deploys', async () => {
  const v1 = h.workspace.synth({ Cancelled2: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', Value: 1 }); } });
  const v2 = h.workspace.synth({
    Cancelled2: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 2, SleepMs: 1500 });
      p.resource('C', { PhysicalId: 'c-1', On: a.ref });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;
  const cli = spawnCli(cliArgs('deploy', v2));
  await until(() => h.workspace.calls(from).includes('Update A(a-1)'), 'the update of A');
  cli.child.kill('SIGINT');
  await until(async () => (await admin.getStack('Cancelled2'))?.operation?.cancelled === true, 'the cancel recorded');
  cli.child.kill('SIGKILL');
  await cli.exited;
  const killedAt = h.workspace.requests().length;

  const result = await h.deploy(v2);

  expect(result.success).toBe(true);
  expect(stackStatuses(result)).toEqual([
    'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE',
  ]);
  expect(h.workspace.calls(killedAt)).toEqual(['Update A(a-1)', 'Update A(a-1)', 'Update A(a-1)', 'Create C']);
  const aUpdates = requestOf(killedAt, 'A', 'Update').map(r => r.event);
  expect(aUpdates.map(e => e.ResourceProperties.Value)).toEqual(['2', '1', '2']);
});

test('SIGKILL during a creation: destroy first finishes the rollback, then the stack is gone and every resource created was deleted once', async () => {
  const app = h.workspace.synth({
    KilledCreate: (_stack, p) => {
      const quick = p.resource('Quick', { PhysicalId: 'quick-1' });
      const slow = p.resource('Slow', { PhysicalId: 'slow-1', SleepMs: 1500 });
      p.resource('Last', { PhysicalId: 'last-1', On: quick.ref, Also: slow.ref });
    },
  });
  const from = h.workspace.requests().length;
  const cli = spawnCli(cliArgs('deploy', app));
  await until(async () => h.workspace.calls(from).includes('Create Slow') && 'Quick' in ((await admin.getStack('KilledCreate'))?.resources ?? {}), 'Slow in flight');
  cli.child.kill('SIGKILL');
  await cli.exited;
  expect((await admin.getStack('KilledCreate'))!.status).toBe('CREATE_IN_PROGRESS');

  const result = await h.destroy(app);

  expect(result.success).toBe(true);
  expect(stackStatuses(result)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
  expect(await admin.getStack('KilledCreate')).toBeUndefined();
  const calls = h.workspace.calls(from);
  expect(calls.filter(call => call.startsWith('Create Slow'))).toHaveLength(2);
  expect(requestOf(from, 'Slow', 'Create').map(r => r.event.RequestId)).toEqual([expect.any(String), requestOf(from, 'Slow', 'Create')[0].event.RequestId]);
  expect(calls.filter(call => call.startsWith('Delete')).sort()).toEqual(['Delete Quick(quick-1)', 'Delete Slow(slow-1)']);
  expect(calls).not.toContain('Create Last');
});

test('a run that is still working on a stack is not resumed by another', async () => {
  const app = h.workspace.synth({ Busy: (_stack, p) => { p.resource('Slow', { PhysicalId: 'busy-1', SleepMs: 3000 }); } });
  const from = h.workspace.requests().length;
  const cli = spawnCli(cliArgs('deploy', app));
  await until(() => h.workspace.calls(from).includes('Create Slow'), 'Slow in flight');

  const second = await h.deploy(app);

  expect(second.success).toBe(false);
  expect(second.error).toMatch(new RegExp(`^Busy: Stack Busy is in CREATE_IN_PROGRESS state: the run of process ${cli.child.pid} is working on it\\. Wait for it to end`));
  expect((await cli.exited).code).toBe(0);
  expect(h.workspace.calls(from)).toEqual(['Create Slow']);
});

test('Ctrl-C during a creation pauses it (nothing deleted); the next deploy carries it on', async () => {
  const app = h.workspace.synth({
    Paused: (_stack, p) => {
      const slow = p.resource('Slow', { PhysicalId: 'slow-1', SleepMs: 1500 });
      p.resource('Next', { PhysicalId: 'next-1', On: slow.ref });
    },
  });
  const from = h.workspace.requests().length;
  const cli = spawnCli(cliArgs('deploy', app));
  await until(() => h.workspace.calls(from).includes('Create Slow'), 'the creation of Slow');
  cli.child.kill('SIGINT');
  const end = await cli.exited;

  expect(end.code).toBe(130);
  expect(end.stdout).toMatch(/ ❌ {2}Paused failed \(CREATE_IN_PROGRESS\): Stack creation paused by the user/);
  expect(end.stdout).toContain("➜  Run 'cdk-organizations deploy Paused' again: it first finishes what was left in progress.");
  const paused = (await admin.getStack('Paused'))!;
  expect(paused.status).toBe('CREATE_IN_PROGRESS');
  expect(paused.resources.Slow.physicalId).toBe('slow-1');
  expect(h.workspace.calls(from)).toEqual(['Create Slow']);

  const result = await h.deploy(app);

  expect(result.success).toBe(true);
  expect(stackStatuses(result)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
  expect(h.workspace.calls(from)).toEqual(['Create Slow', 'Create Next']);
});
