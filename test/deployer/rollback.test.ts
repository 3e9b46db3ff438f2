import { CfnOutput, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { Harness, stackStatuses, startHarness, statuses } from './support';
import { EmulatorAdmin } from '../../local/deployer';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => h.stop());

test('a failed create rolls the new stack back: what was created is deleted, the failed resource gets no Delete', async () => {
  const failing = h.workspace.synth({
    CreateFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1' });
      p.resource('Kept', { PhysicalId: 'kept-1' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
      p.resource('B', { On: a.ref, FailOn: 'Create' });
    },
  });
  const fixed = h.workspace.synth({
    CreateFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1' });
      p.resource('B', { On: a.ref });
    },
  });
  const from = h.workspace.requests().length;

  const failed = await h.deploy(failing);

  expect(failed.success).toBe(false);
  expect(failed.stacks[0].status).toBe('ROLLBACK_COMPLETE');
  expect(failed.error).toMatch(/^CreateFails: B: Received response status \[FAILED\] from custom resource\. Message returned: fixture failure: B Create\s+Logs: \/aws\/lambda\/CreateFails-/);
  const calls = h.workspace.calls(from);
  expect(calls.filter(call => call.startsWith('Create'))).toEqual(expect.arrayContaining(['Create A', 'Create Kept', 'Create B']));
  expect(calls.filter(call => call.startsWith('Delete'))).toEqual(['Delete A(a-1)']);
  expect(statuses(failed)).toEqual(expect.arrayContaining([['B', 'CREATE_FAILED'], ['Kept', 'DELETE_SKIPPED'], ['A', 'DELETE_COMPLETE'], ['B', 'DELETE_COMPLETE']]));
  expect(stackStatuses(failed)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
  expect((await new EmulatorAdmin(h.emulator.endpoint).getStack('CreateFails'))!.status).toBe('ROLLBACK_COMPLETE');

  // Like the cdk CLI, the next deploy deletes the rolled-back stack and creates it again.
  const next = h.workspace.requests().length;
  const recreated = await h.deploy(fixed);
  expect(recreated.stacks[0].status).toBe('CREATE_COMPLETE');
  expect(stackStatuses(recreated)).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
  expect(h.workspace.calls(next)).toEqual(['Create A', 'Create B']);
});

test('a failed update rolls back: updated resources get their old properties back, created ones are deleted', async () => {
  const v1 = h.workspace.synth({
    UpdateFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 1 });
      p.resource('B', { PhysicalId: 'b-1', Value: 1, On: a.ref });
    },
  });
  const v2 = h.workspace.synth({
    UpdateFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 2 });
      const added = p.resource('Added', { PhysicalId: 'added-1' });
      p.resource('B', { PhysicalId: 'b-1', Value: 2, On: a.ref, Also: added.ref, FailOn: 'Update' });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const result = await h.deploy(v2);

  expect(result.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(result.error).toMatch(/^UpdateFails: B: .*fixture failure: B Update/);
  const calls = h.workspace.calls(from);
  expect(new Set(calls.slice(0, 2))).toEqual(new Set(['Update A(a-1)', 'Create Added']));
  expect(calls.slice(2)).toEqual(['Update B(b-1)', 'Update A(a-1)', 'Update B(b-1)', 'Delete Added(added-1)']);
  const requestsOf = (id: string) => h.workspace.requests().slice(from).map(r => r.event).filter(event => event.LogicalResourceId === id);
  const [forwardA, rollbackA] = requestsOf('A');
  const [, rollbackB] = requestsOf('B');
  expect(forwardA).toMatchObject({ ResourceProperties: { Value: '2' }, OldResourceProperties: { Value: '1' } });
  // Rollback updates swap the two: the previous properties are the new ones again.
  expect(rollbackA).toMatchObject({ LogicalResourceId: 'A', ResourceProperties: { Value: '1' }, OldResourceProperties: { Value: '2' } });
  expect(rollbackB).toMatchObject({ LogicalResourceId: 'B', ResourceProperties: { Value: '1' }, OldResourceProperties: { Value: '2', FailOn: 'Update' } });
  expect(stackStatuses(result)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);

  // The stack is at v1 again: deploying v1 changes nothing.
  const again = await h.deploy(v1);
  expect(again.stacks[0].noChanges).toBe(true);
});

test('a rolled-back replacement deletes the new instance and keeps the old one, without calling it', async () => {
  const v1 = h.workspace.synth({ ReplaceFails: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1' }); } });
  const v2 = h.workspace.synth({
    ReplaceFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-2' });
      p.resource('Broken', { On: a.ref, FailOn: 'Create' });
    },
  });
  const v3 = h.workspace.synth({ ReplaceFails: (_stack, p) => { p.resource('A', { PhysicalId: 'a-3' }); } });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const result = await h.deploy(v2);

  expect(result.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(h.workspace.calls(from)).toEqual(['Update A(a-1)', 'Create Broken', 'Delete A(a-2)']);
  const deleted = h.workspace.requests().slice(from)[2].event;
  expect(deleted.ResourceProperties.PhysicalId).toBe('a-2');
  expect((await new EmulatorAdmin(h.emulator.endpoint).getStack('ReplaceFails'))!.resources.A.physicalId).toBe('a-1');

  const next = h.workspace.requests().length;
  await h.deploy(v3);
  expect(h.workspace.calls(next)).toEqual(['Update A(a-1)', 'Delete A(a-1)']);
});

test('operations still running when another fails are cancelled, and deleted under an id CloudFormation invents', async () => {
  const app = h.workspace.synth({
    Cancelled: (_stack, p) => {
      // Slow answers only once it has seen its own Delete, which the rollback sends.
      p.resource('Slow', { PhysicalId: 'slow-1', WaitFor: 'Slow:Delete' });
      p.resource('Fails', { FailOn: 'Create' });
    },
  });
  const from = h.workspace.requests().length;

  const result = await h.deploy(app);

  expect(result.stacks[0].status).toBe('ROLLBACK_COMPLETE');
  expect(result.error).toMatch(/^Cancelled: Fails: /);
  expect(statuses(result)).toEqual(expect.arrayContaining([['Fails', 'CREATE_FAILED'], ['Slow', 'CREATE_FAILED'], ['Slow', 'DELETE_COMPLETE']]));
  expect(result.stacks[0].events.find(e => e.logicalId === 'Slow' && e.status === 'CREATE_FAILED')!.reason).toBe('Resource creation cancelled');
  const deleteSlow = h.workspace.requests().slice(from).find(r => r.event.RequestType === 'Delete' && r.event.LogicalResourceId === 'Slow')!;
  expect(deleteSlow.event.PhysicalResourceId).toMatch(/^Cancelled-Slow-[0-9A-F]{12}$/);
  // The cancelled create went on to its end, as a Lambda invocation does.
  expect(h.workspace.waits()['Slow:Create']).toBe(true);
});

test('an export another stack imports can be neither removed nor changed; the update rolls back', async () => {
  const v1 = h.workspace.synth({
    Exporter: (stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 1 });
      new CfnOutput(stack, 'Out', { value: a.ref, exportName: 'ExporterA' });
    },
    Importer: (_stack, p) => { p.resource('User', { A: Fn.importValue('ExporterA') }); },
  });
  const withoutExport = h.workspace.synth({
    Exporter: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', Value: 2 }); },
    Importer: (_stack, p) => { p.resource('User', { A: Fn.importValue('ExporterA') }); },
  });
  const changedExport = h.workspace.synth({
    Exporter: (stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-2', Value: 1 });
      new CfnOutput(stack, 'Out', { value: a.ref, exportName: 'ExporterA' });
    },
    Importer: (_stack, p) => { p.resource('User', { A: Fn.importValue('ExporterA') }); },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const removed = await h.deploy(withoutExport, { stacks: ['Exporter'] });
  const changed = await h.deploy(changedExport, { stacks: ['Exporter'] });

  expect(removed.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(removed.error).toBe('Exporter: Export ExporterA cannot be deleted as it is in use by Importer');
  expect(changed.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(changed.error).toBe('Exporter: Cannot update export ExporterA as it is in use by Importer');
  expect(h.workspace.calls(from)).toEqual(['Update A(a-1)', 'Update A(a-1)', 'Update A(a-1)', 'Delete A(a-2)']);
  expect((await new EmulatorAdmin(h.emulator.endpoint).getStack('Exporter'))!.outputs.Out.value).toBe('a-1');
});
