import { CustomResource, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FIXTURE_HANDLER, FixtureProvider, Harness, startHarness } from './support';
import { EmulatorAdmin } from '../../local/deployer';
import { waiterPolicyFromDefinition } from '../../local/deployer/provider';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => h.stop());

const onEventsOf = (stack: string, id: string) => h.workspace.requests()
  .filter(r => r.phase === 'onEvent' && r.event.LogicalResourceId === id && r.event.StackId.includes(`:stack/${stack}/`));
const isCompletesOf = (requestId: string) => h.workspace.requests().filter(r => r.phase === 'isComplete' && r.event.RequestId === requestId);

test('without a PhysicalResourceId, Create gets the RequestId, and Ref resolves to it', async () => {
  const app = h.workspace.synth({
    DefaultId: (_stack, p) => {
      const a = p.resource('A');
      p.resource('B', { On: a.ref });
    },
  });

  await h.deploy(app);

  const [create] = onEventsOf('DefaultId', 'A');
  expect(onEventsOf('DefaultId', 'B')[0].event.ResourceProperties.On).toBe(create.event.RequestId);
});

test('isComplete is called until it says complete, and its Data is merged over onEvent Data', async () => {
  const app = h.workspace.synth({
    Waits: (_stack, p) => {
      const a = p.resource('A', { PhysicalId: 'a-1', CompleteAfter: 3, Data: { X: 'on-event', Y: 'on-event' }, CompleteData: { Y: 'is-complete' } });
      p.resource('B', { X: a.getAttString('X'), Y: a.getAttString('Y') });
    },
  }, { isComplete: true, queryInterval: Duration.seconds(10), totalTimeout: Duration.minutes(10) });

  const result = await h.deploy(app);

  expect(result.success).toBe(true);
  const [create] = onEventsOf('Waits', 'A');
  const polls = isCompletesOf(create.event.RequestId);
  expect(polls).toHaveLength(3);
  // isComplete receives the request merged with what onEvent answered.
  expect(polls[0].event).toMatchObject({ RequestType: 'Create', PhysicalResourceId: 'a-1', Data: { X: 'on-event', Y: 'on-event' } });
  expect(onEventsOf('Waits', 'B')[0].event.ResourceProperties).toMatchObject({ X: 'on-event', Y: 'is-complete' });
  expect(result.timeScale).toBe(0.001);
});

test('the waiter gives up after MaxAttempts retries with "Operation timed out"; the rollback Deletes the id onEvent gave', async () => {
  const app = h.workspace.synth({
    TimesOut: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', CompleteAfter: 1000 }); },
  }, { isComplete: true, queryInterval: Duration.seconds(1), totalTimeout: Duration.seconds(5) });

  const result = await h.deploy(app);

  expect(result.stacks[0].status).toBe('ROLLBACK_COMPLETE');
  expect(result.error).toMatch(/^TimesOut: A: Received response status \[FAILED\] from custom resource\. Message returned: Operation timed out/);
  const [create, remove] = onEventsOf('TimesOut', 'A');
  // The first call, then MaxAttempts (totalTimeout / queryInterval = 5) retries.
  expect(isCompletesOf(create.event.RequestId)).toHaveLength(6);
  expect(remove.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'a-1' });
});

test('Data while incomplete is refused, as the framework refuses it', async () => {
  const app = h.workspace.synth({
    PartialData: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', CompleteAfter: 2, IncompleteData: 'true' }); },
  }, { isComplete: true });

  const result = await h.deploy(app);

  expect(result.error).toMatch(/"Data" is not allowed if "IsComplete" is "False"/);
});

test('the waiter policy is read from the state machine the Provider synthesized', () => {
  const definition = '{"StartAt":"framework-isComplete-task","States":{"framework-isComplete-task":{"End":true,"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":10,"MaxAttempts":30,"BackoffRate":1.5}],"Type":"Task","Resource":"arn"}}}';
  expect(waiterPolicyFromDefinition(definition)).toEqual({ intervalSeconds: 10, maxAttempts: 30, backoffRate: 1.5, maxDelaySeconds: undefined });
  expect(() => waiterPolicyFromDefinition('{"States":{}}')).toThrow(/no Task with a Retry policy/);
});

test('a Delete may not change the physical id: the stack ends DELETE_FAILED and keeps the resource', async () => {
  const app = h.workspace.synth({ ChangesId: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1', DeletePhysicalId: 'other' }); } });
  await h.deploy(app);

  const result = await h.destroy(app);

  expect(result.stacks[0].status).toBe('DELETE_FAILED');
  expect(result.error).toMatch(/DELETE: cannot change the physical resource ID from "a-1" to "other" during deletion/);
  const doc = await new EmulatorAdmin(h.emulator.endpoint).getStack('ChangesId');
  expect(doc!.status).toBe('DELETE_FAILED');
  expect(doc!.resources.A.physicalId).toBe('a-1');
  // A stack that failed to delete cannot be updated.
  const refused = await h.deploy(app);
  expect(refused.error).toMatch(/Stack ChangesId is in DELETE_FAILED state and can not be updated/);
});

test('handlers run with the emulator endpoints, scaled retries, the template environment and a Lambda context', async () => {
  const app = h.workspace.synth({ Environment: (_stack, p) => { p.resource('A'); } }, { timeout: Duration.seconds(20) });

  await h.deploy(app);

  const [create] = onEventsOf('Environment', 'A');
  expect(create.env).toEqual({
    AWS_ENDPOINT_URL_ORGANIZATIONS: h.emulator.endpoint,
    AWS_ENDPOINT_URL_ACCOUNT: h.emulator.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: h.emulator.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    // lambda/shared/retry.ts's 500 ms base on the emulator's clock (time scale 0.001).
    CDK_ORGANIZATIONS_RETRY_BASE_MS: '1',
    FIXTURE_SETTING: 'from-template',
  });
  expect(create.remainingMs).toBeGreaterThan(0);
  expect(create.remainingMs).toBeLessThanOrEqual(20_000);
});

test('a handler still running at its Timeout is stopped and fails the resource', async () => {
  const app = h.workspace.synth({ Slow: (_stack, p) => { p.resource('A', { SleepMs: 10_000 }); } }, { timeout: Duration.seconds(1) });

  const result = await h.deploy(app);

  expect(result.error).toMatch(/Task timed out after 1\.00 seconds/);
  expect(result.stacks[0].status).toBe('ROLLBACK_COMPLETE');
});

test('custom resources served by anything but a Provider fail with a clear reason, as do oversized responses and new service tokens', async () => {
  const notProvider = h.workspace.synth({
    NotProvider: stack => {
      const fn = new lambda.Function(stack, 'Direct', { code: lambda.Code.fromAsset(FIXTURE_HANDLER), handler: 'index.onEvent', runtime: lambda.Runtime.NODEJS_22_X });
      new CustomResource(stack, 'A', { serviceToken: fn.functionArn });
    },
  });
  const oversized = h.workspace.synth({ Oversized: (_stack, p) => { p.resource('A', { Data: { Big: 'x'.repeat(5000) } }); } });
  const v1 = h.workspace.synth({ NewToken: (_stack, p) => { p.resource('A', { PhysicalId: 'a-1' }); } });
  const v2 = h.workspace.synth({
    NewToken: (stack, p) => {
      const other = new FixtureProvider(stack, 'Other', h.workspace.logFile, {});
      void p;
      new CustomResource(stack, 'A', { serviceToken: other.serviceToken, resourceType: 'Custom::Fixture', properties: { PhysicalId: 'a-1' } });
    },
  });

  expect((await h.deploy(notProvider)).error).toMatch(/is not a custom_resources\.Provider framework function/);
  expect((await h.deploy(oversized)).error).toMatch(/^Oversized: A: .*Response object is too long\./);
  await h.deploy(v1);
  const changed = await h.deploy(v2);
  expect(changed.stacks[0].status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(changed.error).toBe('NewToken: A: Modifying service token is not allowed.');
});
