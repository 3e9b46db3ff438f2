import { RemovalPolicy } from 'aws-cdk-lib';
import { Harness, stackStatuses, startHarness, statuses } from './support';
import { EmulatorAdmin } from '../../local/deployer';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => h.stop());

test('an update sends Update with the old properties to changed resources only; an unchanged redeploy sends nothing', async () => {
  const v1 = h.workspace.synth({
    Updates: (_stack, p) => {
      p.resource('Changed', { PhysicalId: 'changed-1', Value: 1 });
      p.resource('Same', { PhysicalId: 'same-1', Value: 'same' });
    },
  });
  // The same app synthesized again, into another directory: the stack is known by its name.
  const v1Again = h.workspace.synth({
    Updates: (_stack, p) => {
      p.resource('Changed', { PhysicalId: 'changed-1', Value: 1 });
      p.resource('Same', { PhysicalId: 'same-1', Value: 'same' });
    },
  });
  const v2 = h.workspace.synth({
    Updates: (_stack, p) => {
      p.resource('Changed', { PhysicalId: 'changed-1', Value: 2 });
      p.resource('Same', { PhysicalId: 'same-1', Value: 'same' });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const unchanged = await h.deploy(v1Again);
  expect(unchanged.stacks[0]).toMatchObject({ status: 'CREATE_COMPLETE', success: true, noChanges: true, events: [] });
  expect(h.workspace.requests().length).toBe(from);

  const updated = await h.deploy(v2);
  expect(updated.stacks[0].status).toBe('UPDATE_COMPLETE');
  expect(h.workspace.calls(from)).toEqual(['Update Changed(changed-1)']);
  const update = h.workspace.requests().slice(from)[0].event;
  expect(update.ResourceProperties).toMatchObject({ Value: '2' });
  expect(update.OldResourceProperties).toMatchObject({ Value: '1' });
  expect(statuses(updated)).toEqual([['Changed', 'UPDATE_IN_PROGRESS'], ['Changed', 'UPDATE_COMPLETE']]);
  expect(updated.stacks[0].counts).toMatchObject({ updated: 1, created: 0, deleted: 0 });

  const again = await h.deploy(v2);
  expect(again.stacks[0].noChanges).toBe(true);
  expect(h.workspace.requests().length).toBe(from + 1);
});

test('a replacement deletes the old instance in the cleanup phase, after its dependents were updated; removed resources go in reverse order', async () => {
  const v1 = h.workspace.synth({
    Replace: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1' });
      p.resource('Dependent', { Target: a.ref });
      const base = p.resource('Base', { PhysicalId: 'base-1' });
      p.resource('OnBase', { PhysicalId: 'on-base-1', Base: base.ref });
    },
  });
  const v2 = h.workspace.synth({
    Replace: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-2' });
      p.resource('Dependent', { Target: a.ref });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const result = await h.deploy(v2);

  expect(result.stacks[0].status).toBe('UPDATE_COMPLETE');
  const calls = h.workspace.calls(from);
  expect(calls).toHaveLength(5);
  expect(calls.slice(0, 2)).toEqual(['Update A(a-1)', expect.stringMatching(/^Update Dependent\(/)]);
  expect(new Set(calls.slice(2))).toEqual(new Set(['Delete A(a-1)', 'Delete OnBase(on-base-1)', 'Delete Base(base-1)']));
  expect(calls.indexOf('Delete OnBase(on-base-1)')).toBeLessThan(calls.indexOf('Delete Base(base-1)'));
  const requests = h.workspace.requests().slice(from);
  expect(requests[1].event.ResourceProperties.Target).toBe('a-2');
  // The old instance is deleted with the properties it was created with.
  expect(requests.find(r => r.event.RequestType === 'Delete' && r.event.LogicalResourceId === 'A')!.event.ResourceProperties.PhysicalId).toBe('a-1');
  const stack = stackStatuses(result);
  expect(stack).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
  expect(result.stacks[0].counts).toMatchObject({ replaced: 1, updated: 1, deleted: 3 });
  const doc = await new EmulatorAdmin(h.emulator.endpoint).getStack('Replace');
  expect(doc!.resources.A.physicalId).toBe('a-2');
  expect(Object.keys(doc!.resources)).not.toContain('Base');
});

test('Retain resources are never deleted: not when removed, not when replaced, not on destroy', async () => {
  const v1 = h.workspace.synth({
    Retained: (_stack, p) => {
      p.resource('Kept', { PhysicalId: 'kept-1' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
      p.resource('Replaced', { PhysicalId: 'replaced-1' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
      p.resource('Ordinary', { PhysicalId: 'ordinary-1' });
    },
  });
  const v2 = h.workspace.synth({
    Retained: (_stack, p) => {
      p.resource('Replaced', { PhysicalId: 'replaced-2' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
      p.resource('Ordinary', { PhysicalId: 'ordinary-1' });
    },
  });
  await h.deploy(v1);
  const from = h.workspace.requests().length;

  const updated = await h.deploy(v2);
  expect(h.workspace.calls(from)).toEqual(['Update Replaced(replaced-1)']);
  expect(statuses(updated).filter(([, status]) => status.startsWith('DELETE'))).toEqual(expect.arrayContaining([['Kept', 'DELETE_SKIPPED'], ['Replaced', 'DELETE_SKIPPED']]));
  expect(updated.stacks[0].counts).toMatchObject({ retained: 2, deleted: 0 });

  const destroyed = await h.destroy(v2);
  expect(destroyed.stacks[0].status).toBe('DELETE_COMPLETE');
  expect(h.workspace.calls(from)).toEqual(['Update Replaced(replaced-1)', 'Delete Ordinary(ordinary-1)']);
  expect(statuses(destroyed)).toEqual(expect.arrayContaining([['Replaced', 'DELETE_SKIPPED'], ['Ordinary', 'DELETE_COMPLETE']]));
  expect(await new EmulatorAdmin(h.emulator.endpoint).getStack('Retained')).toBeUndefined();
});

test('destroy deletes dependents first, and a stack that does not exist is nothing to destroy', async () => {
  const app = h.workspace.synth({
    Destroyed: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1' });
      const b = p.resource('B', { PhysicalId: 'b-1', On: a.ref });
      p.resource('C', { PhysicalId: 'c-1', On: b.ref });
    },
  });
  await h.deploy(app);
  const from = h.workspace.requests().length;

  const destroyed = await h.destroy(app);
  const again = await h.destroy(app);

  expect(h.workspace.calls(from)).toEqual(['Delete C(c-1)', 'Delete B(b-1)', 'Delete A(a-1)']);
  expect(destroyed.stacks[0]).toMatchObject({ status: 'DELETE_COMPLETE', success: true });
  expect(again.stacks[0]).toMatchObject({ status: undefined, success: true });
  expect(h.workspace.requests().length).toBe(from + 3);
});

test('a resource that fails to delete in the cleanup phase is left behind; the update still completes', async () => {
  const v1 = h.workspace.synth({
    Abandons: (_stack, p) => {
      p.resource('Stays', { PhysicalId: 'stays-1' });
      p.resource('Stubborn', { PhysicalId: 'stubborn-1', FailOn: 'Delete' });
    },
  });
  const v2 = h.workspace.synth({ Abandons: (_stack, p) => { p.resource('Stays', { PhysicalId: 'stays-1' }); } });
  await h.deploy(v1);

  const result = await h.deploy(v2);

  expect(result.success).toBe(true);
  expect(result.stacks[0].status).toBe('UPDATE_COMPLETE');
  expect(result.stacks[0].error).toMatch(/^Stubborn: .*fixture failure: Stubborn Delete/);
  expect(statuses(result)).toEqual(expect.arrayContaining([['Stubborn', 'DELETE_FAILED']]));
  const doc = await new EmulatorAdmin(h.emulator.endpoint).getStack('Abandons');
  expect(Object.keys(doc!.resources)).not.toContain('Stubborn');
});

test('destroy goes on past a resource that fails to delete, except for what that resource depends on', async () => {
  const app = h.workspace.synth({
    DeleteFails: (_stack, p) => {
      const base = p.resource('Base', { PhysicalId: 'base-1' });
      p.resource('Stubborn', { PhysicalId: 'stubborn-1', On: base.ref, FailOn: 'Delete' });
      p.resource('Free', { PhysicalId: 'free-1' });
    },
  });
  await h.deploy(app);
  const from = h.workspace.requests().length;

  const result = await h.destroy(app);

  expect(result.success).toBe(false);
  expect(result.stacks[0].status).toBe('DELETE_FAILED');
  expect(new Set(h.workspace.calls(from))).toEqual(new Set(['Delete Stubborn(stubborn-1)', 'Delete Free(free-1)']));
  const doc = await new EmulatorAdmin(h.emulator.endpoint).getStack('DeleteFails');
  expect(doc!.status).toBe('DELETE_FAILED');
  expect(doc!.statusReason).toBe('The following resource(s) failed to delete: [Stubborn].');
  expect(Object.keys(doc!.resources)).toEqual(expect.arrayContaining(['Base', 'Stubborn']));
  expect(Object.keys(doc!.resources)).not.toContain('Free');
});
