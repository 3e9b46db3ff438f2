import { CfnOutput, CfnResource, CustomResource, Fn } from 'aws-cdk-lib';
import { Harness, startHarness, statuses } from './support';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => h.stop());

test('creates every resource after what it references, and independent resources at the same time', async () => {
  const from = h.workspace.requests().length;
  const app = h.workspace.synth({
    Ordering: (stack, p) => {
      // A and E each wait until the other has started: the deploy only finishes if they run in parallel.
      const a = p.resource('A', { PhysicalId: 'a-1', Data: { Value: 'va' }, WaitFor: 'E:Create' });
      p.resource('E', { WaitFor: 'A:Create' });
      p.resource('B', { Ref: a.ref });
      const c = new CfnResource(stack, 'C', {
        type: 'Custom::Fixture',
        properties: { ServiceToken: p.serviceToken, Sub: { 'Fn::Sub': '${A.Value}-and-${A}' } },
      });
      p.resource('D').node.addDependency(c);
    },
  });

  const result = await h.deploy(app);

  expect(result.success).toBe(true);
  expect(h.workspace.waits()).toMatchObject({ 'A:Create': true, 'E:Create': true });
  const creates = h.workspace.requests().slice(from).filter(r => r.phase === 'onEvent').map(r => r.event);
  const position = (id: string) => creates.findIndex(event => event.LogicalResourceId === id);
  expect(creates.map(event => event.RequestType)).toEqual(['Create', 'Create', 'Create', 'Create', 'Create']);
  expect(new Set([creates[0].LogicalResourceId, creates[1].LogicalResourceId])).toEqual(new Set(['A', 'E']));
  expect(position('B')).toBeGreaterThan(position('A'));
  expect(position('C')).toBeGreaterThan(position('A'));
  expect(position('D')).toBeGreaterThan(position('C'));
  expect(creates[position('B')].ResourceProperties.Ref).toBe('a-1');
  expect(creates[position('C')].ResourceProperties.Sub).toBe('va-and-a-1');
  // The stack's own resources (functions, roles, policies) were recorded, each once.
  const created = statuses(result).filter(([, status]) => status === 'CREATE_COMPLETE').map(([id]) => id);
  expect(created).toEqual(expect.arrayContaining(['A', 'B', 'C', 'D', 'E']));
  expect(new Set(created).size).toBe(created.length);
  expect(result.stacks[0].counts).toMatchObject({ created: created.length, failed: 0 });
});

test('deploys stacks after the stacks whose exports they import, and destroys them first', async () => {
  let shared: CustomResource;
  const app = h.workspace.synth({
    Producer: (_stack, p) => {
      shared = p.resource('Shared', { PhysicalId: 'shared-1' });
      new CfnOutput(_stack, 'SharedId', { value: shared.ref, exportName: 'SharedId' });
    },
    Consumer: (_stack, p) => {
      // An automatic cross-stack reference (CDK exports it) and an explicit import.
      p.resource('User', { Automatic: shared.ref, Explicit: Fn.importValue('SharedId') });
    },
  });
  const from = h.workspace.calls().length;

  // Selecting the consumer brings in the stack it depends on, as `cdk deploy` does.
  const deployed = await h.deploy(app, { stacks: ['Consumer'] });

  expect(deployed.stacks.map(stack => [stack.stackName, stack.status])).toEqual([['Producer', 'CREATE_COMPLETE'], ['Consumer', 'CREATE_COMPLETE']]);
  expect(deployed.stacks[0].outputs.SharedId).toBe('shared-1');
  const user = h.workspace.requests().find(r => r.event.LogicalResourceId === 'User')!;
  expect(user.event.ResourceProperties).toMatchObject({ Automatic: 'shared-1', Explicit: 'shared-1' });

  // The producer cannot go while the consumer imports its exports.
  const refused = await h.destroy(undefined, { stacks: ['Producer'] });
  expect(refused.success).toBe(false);
  expect(refused.error).toMatch(/Export .* cannot be deleted as it is in use by Consumer/);
  expect(h.workspace.calls().slice(from)).toEqual(['Create Shared', 'Create User']);

  // Destroying the producer from the app takes the consumer first.
  const destroyed = await h.destroy(app, { stacks: ['Producer'] });
  expect(destroyed.stacks.map(stack => [stack.stackName, stack.status])).toEqual([['Consumer', 'DELETE_COMPLETE'], ['Producer', 'DELETE_COMPLETE']]);
  expect(h.workspace.calls().slice(from + 2)).toEqual(['Delete User(' + user.event.RequestId + ')', 'Delete Shared(shared-1)']);
});

test('refuses a template with a dependency cycle or an unknown reference before touching anything', async () => {
  const cyclic = h.workspace.synth({
    Cyclic: (stack, p) => {
      new CfnResource(stack, 'X', { type: 'Custom::Fixture', properties: { ServiceToken: p.serviceToken, Other: { Ref: 'Y' } } });
      new CfnResource(stack, 'Y', { type: 'Custom::Fixture', properties: { ServiceToken: p.serviceToken, Other: { 'Fn::GetAtt': ['X', 'Value'] } } });
    },
  });
  const dangling = h.workspace.synth({
    Dangling: (stack, p) => {
      new CfnResource(stack, 'X', { type: 'Custom::Fixture', properties: { ServiceToken: p.serviceToken, Other: { 'Fn::Sub': '${Missing}' } } });
    },
  });
  const from = h.workspace.requests().length;

  const cycle = await h.deploy(cyclic);
  const unresolved = await h.deploy(dangling);

  expect(cycle.success).toBe(false);
  expect(cycle.error).toMatch(/Template format error: Circular dependency between resources: \[(X, Y|Y, X)/);
  expect(unresolved.error).toMatch(/Unresolved resource dependencies \[Missing\]/);
  expect(h.workspace.requests().length).toBe(from);
  expect(cycle.stacks[0].events).toEqual([]);
  for (const name of ['Cyclic', 'Dangling']) {
    expect((await fetch(`${h.emulator.endpoint}/_emulator/stacks/${name}`)).status).toBe(404);
  }
});
