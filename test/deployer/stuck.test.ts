/**
 * Stacks stuck in a failed state, and the commands that get them out, as CloudFormation offers
 * them: DeleteStack with RetainResources, ContinueUpdateRollback with ResourcesToSkip.
 */
import { Harness, stackStatuses, startHarness, until } from './support';
import { EmulatorAdmin, StackDocument, wayOut } from '../../local/deployer';
import { main } from '../../local/deployer/cli';

let h: Harness;
let admin: EmulatorAdmin;
beforeAll(async () => {
  h = await startHarness();
  admin = new EmulatorAdmin(h.emulator.endpoint);
});
afterAll(async () => h.stop());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}
const common = () => ['--endpoint', h.emulator.endpoint, '--code-cache', h.workspace.codeCache];

test('DELETE_FAILED: deploy and destroy name --retain-resources, which deletes the stack and keeps the resource untouched', async () => {
  const app = h.workspace.synth({
    Stuck: (_stack, p) => {
      const parent = p.resource('Parent', { PhysicalId: 'parent-1', FailOn: 'Delete' });
      p.resource('Child', { PhysicalId: 'child-1', On: parent.ref });
    },
  });
  await h.deploy(app);

  const failed = await h.destroy(app);
  expect(failed.stacks[0].status).toBe('DELETE_FAILED');
  expect(failed.stacks[0].next).toBe("Run 'cdk-organizations destroy Stuck --retain-resources Parent' to finish deleting the stack and keep these resources as they are; "
    + "a later deploy adopts what the app still declares. Or fix the cause and run 'cdk-organizations destroy Stuck' again.");

  const refused = capture();
  expect(await main('deploy', ['--app', app, ...common()], refused.io)).toBe(1);
  expect(refused.out).toContain(` ❌  Stuck failed (DELETE_FAILED): Stack Stuck is in DELETE_FAILED state and can not be updated\n     ➜  ${failed.stacks[0].next}`);

  const wrong = capture();
  expect(await main('destroy', ['--app', app, '--retain-resources', 'Nope', ...common()], wrong.io)).toBe(1);
  expect(wrong.err.join('\n')).toMatch(/--retain-resources: no stack to destroy has a resource \[Nope\]/);

  const from = h.workspace.requests().length;
  const retained = capture();
  expect(await main('destroy', ['--app', app, '--retain-resources', 'Parent', ...common()], retained.io)).toBe(0);
  expect(retained.out).toContainEqual(expect.stringMatching(/\| Stuck \| DELETE_SKIPPED\s+\| Custom::Fixture \| Parent/));
  expect(h.workspace.calls(from)).toEqual([]);
  expect(await admin.getStack('Stuck')).toBeUndefined();

  const again = await h.deploy(app);
  expect(again.stacks[0].status).toBe('CREATE_COMPLETE');
});

test('--retain-resources is refused for a stack that is not stuck', async () => {
  const app = h.workspace.synth({ Fine: (_stack, p) => { p.resource('A', { PhysicalId: 'fine-1' }); } });
  await h.deploy(app);
  const result = await h.destroy(app, { retainResources: ['A'] });
  expect(result.success).toBe(false);
  expect(result.error).toBe("Fine: --retain-resources applies to a stack in DELETE_FAILED or ROLLBACK_FAILED state, as CloudFormation's DeleteStack; Fine is in CREATE_COMPLETE state");
  expect((await admin.getStack('Fine'))!.status).toBe('CREATE_COMPLETE');
});

test('ROLLBACK_FAILED is not deleted by the next deploy: the message names --retain-resources', async () => {
  const app = h.workspace.synth({
    NoRollback: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', FailOn: 'Delete' });
      p.resource('B', { On: a.ref, FailOn: 'Create' });
    },
  });
  const failed = await h.deploy(app);
  expect(failed.stacks[0].status).toBe('ROLLBACK_FAILED');
  expect(failed.stacks[0].next).toMatch(/^Run 'cdk-organizations destroy NoRollback --retain-resources A' to finish deleting the stack/);
  const from = h.workspace.requests().length;

  const again = await h.deploy(app);

  expect(again.error).toBe('NoRollback: Stack NoRollback is in ROLLBACK_FAILED state and can not be updated');
  expect(h.workspace.calls(from)).toEqual([]);
  expect((await h.destroy(app, { retainResources: ['A'] })).success).toBe(true);
});

test('UPDATE_ROLLBACK_FAILED: deploy --continue-rollback --resources-to-skip finishes the rollback without calling the skipped resource', async () => {
  // The rollback sends A back its v1 properties, which fail any Update.
  const v1 = h.workspace.synth({ RollbackFails: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', Value: 1, FailOn: 'Update' }); } });
  const v2 = h.workspace.synth({
    RollbackFails: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', Value: 2 });
      p.resource('Added', { PhysicalId: 'added-1', On: a.ref });
      p.resource('Broken', { On: a.ref, FailOn: 'Create' });
    },
  });
  await h.deploy(v1);
  const failed = await h.deploy(v2);
  expect(failed.stacks[0].status).toBe('UPDATE_ROLLBACK_FAILED');
  const next = "Fix what made the rollback fail, then run 'cdk-organizations deploy RollbackFails --continue-rollback' to finish it; "
    + "to leave resources as they are and finish it anyway, add '--resources-to-skip A'. Then deploy again.";
  expect(failed.stacks[0].next).toBe(next);
  expect((await h.deploy(v2)).stacks[0].next).toBe(next);

  const notStuck = capture();
  expect(await main('deploy', ['--app', v2, '--continue-rollback', '--resources-to-skip', 'Added', ...common()], notStuck.io)).toBe(1);
  expect(notStuck.out.join('\n')).toMatch(/--resources-to-skip: \[Added\] of RollbackFails are not resources whose rollback is still to be done \(those are: \[A\]\)/);

  const from = h.workspace.requests().length;
  const continued = capture();
  expect(await main('deploy', ['RollbackFails', '--continue-rollback', '--resources-to-skip', 'A', ...common()], continued.io)).toBe(0);
  expect(continued.out).toContainEqual(expect.stringMatching(/\| RollbackFails \| UPDATE_ROLLBACK_COMPLETE\s+\| AWS::CloudFormation::Stack/));
  // A is not called; what the update created is deleted.
  expect(h.workspace.calls(from).sort()).toEqual(['Delete Added(added-1)']);
  const doc = (await admin.getStack('RollbackFails'))!;
  expect(doc.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(doc.resources.A.properties.Value).toBe('1');
  expect(doc.operation).toBeUndefined();

  const v3 = h.workspace.synth({ RollbackFails: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', Value: 3 }); } });
  expect((await h.deploy(v3)).stacks[0].status).toBe('UPDATE_COMPLETE');
});

test('messages never suggest deleting accounts the stack declares with a removal action that closes or removes them', () => {
  const record = (type: string, properties: Record<string, unknown>, status: string) => ({ type, physicalId: 'x', properties, attributes: {}, dependsOn: [], status });
  const doc: StackDocument = {
    format: 'cdk-organizations/local-stack@1',
    stackName: 'Org',
    stackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Org/1',
    status: 'DELETE_FAILED',
    template: {},
    parameters: {},
    pendingDeletes: [],
    outputs: {},
    imports: [],
    createdAt: '',
    updatedAt: '',
    resources: {
      Ou: record('Custom::Organizations_OrganizationalUnit', { Name: 'Workloads' }, 'DELETE_FAILED'),
      Closed: record('Custom::Organizations_Account', { RemovalAction: 'CLOSE' }, 'CREATE_COMPLETE'),
      Removed: record('Custom::Organizations_Account', { RemovalAction: 'REMOVE_FROM_ORGANIZATION' }, 'CREATE_COMPLETE'),
      Kept: record('Custom::Organizations_Account', { RemovalAction: 'RETAIN' }, 'CREATE_COMPLETE'),
    },
  };
  for (const status of ['DELETE_FAILED', 'ROLLBACK_FAILED']) {
    const text = wayOut({ ...doc, status }, 'deploy')!;
    expect(text).toBe("Run 'cdk-organizations destroy Org --retain-resources Ou,Closed,Removed' to finish deleting the stack and keep these resources as they are "
      + '(accounts included: deleting them would close or remove them); a later deploy adopts what the app still declares.');
    expect(text).not.toMatch(/destroy Org'/);
  }
  expect(wayOut({ ...doc, status: 'UPDATE_COMPLETE' }, 'deploy')).toBeUndefined();
});

test('an interrupted destroy (Ctrl-C) starts no new deletion and is finished by the next destroy', async () => {
  const app = h.workspace.synth({
    HalfDestroyed: (_stack, p) => {
      const base = p.resource('Base', { PhysicalId: 'base-1' });
      p.resource('Top', { PhysicalId: 'top-1', On: base.ref, SleepMs: 500 });
    },
  });
  await h.deploy(app);
  const from = h.workspace.requests().length;
  const interrupt = new AbortController();

  const pending = h.destroy(app, { interrupt: interrupt.signal });
  await until(() => h.workspace.calls(from).includes('Delete Top(top-1)'), 'the deletion of Top');
  interrupt.abort();
  const interrupted = await pending;

  expect(interrupted.interrupted).toBe(true);
  expect(interrupted.stacks[0].status).toBe('DELETE_IN_PROGRESS');
  expect(interrupted.stacks[0].next).toBe("Run 'cdk-organizations destroy HalfDestroyed' again: it first finishes what was left in progress.");
  expect(h.workspace.calls(from)).toEqual(['Delete Top(top-1)']);
  expect(Object.keys((await admin.getStack('HalfDestroyed'))!.resources)).toContain('Base');

  const finished = await h.destroy(app);
  expect(finished.success).toBe(true);
  expect(stackStatuses(finished)).toEqual(['DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
  expect(h.workspace.calls(from)).toEqual(['Delete Top(top-1)', 'Delete Base(base-1)']);
  expect(await admin.getStack('HalfDestroyed')).toBeUndefined();
});
