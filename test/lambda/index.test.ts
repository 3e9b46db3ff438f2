import { dispatchIsComplete, dispatchOnEvent, handlers, isComplete, onEvent } from '../../lambda/index';
import { UserError } from '../../lambda/shared/errors';
import { memoryLogger } from '../../lambda/shared/log';
import type { HandlerContext, IsCompleteRequest, OnEventRequest, ResourceHandler } from '../../lambda/shared/types';
import { ResourceType, ResourceTypeName } from '../../src/private/contract';

const OU = ResourceType.ORGANIZATIONAL_UNIT;

/** A context whose clients fail loudly if anything calls AWS: routing alone must not. */
function offlineContext(): HandlerContext & { log: ReturnType<typeof memoryLogger> } {
  const refuse = { send: () => Promise.reject(new Error('no AWS call expected')) };
  return { organizations: refuse as any, account: refuse as any, cloudformation: refuse as any, deadline: Date.now() + 30_000, log: memoryLogger() };
}

function event(requestType: 'Create' | 'Update' | 'Delete', resourceType: string = OU, props: Record<string, unknown> = {}): OnEventRequest {
  const common = {
    RequestId: 'req-1',
    LogicalResourceId: 'MyOu',
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/test/1',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...props },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: 'ou-ab12-abcdefgh', OldResourceProperties: {} };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'ou-ab12-abcdefgh' };
}

/** Replaces the OU module with one that records what reaches it; restored after each test. */
const original = handlers[OU];
let seen: Array<{ method: string; ctx: HandlerContext; event: unknown }>;
function recordingHandler(withIsComplete: boolean): ResourceHandler {
  const record = (method: string) => async (e: unknown, ctx: HandlerContext) => {
    seen.push({ method, ctx, event: e });
    return method === 'isComplete' ? { IsComplete: false } : { PhysicalResourceId: `from-${method}` };
  };
  return {
    onCreate: record('onCreate') as any,
    onUpdate: record('onUpdate') as any,
    onDelete: record('onDelete') as any,
    ...(withIsComplete ? { isComplete: record('isComplete') as any } : {}),
  };
}

beforeEach(() => {
  seen = [];
});

afterEach(() => {
  (handlers as Record<ResourceTypeName, ResourceHandler>)[OU] = original;
  jest.restoreAllMocks();
});

describe('routing', () => {
  test('every resource type of the contract has a module', () => {
    expect(Object.keys(handlers).sort()).toEqual(Object.values(ResourceType).sort());
  });

  test('an unknown resource type is an error that names it and the supported ones', async () => {
    const error = await dispatchOnEvent(event('Create', 'Custom::Nope'), offlineContext()).catch(e => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/^Unsupported resource type Custom::Nope: this provider handles .*Custom::Organizations_OrganizationalUnit/);
    await expect(dispatchIsComplete(event('Create', 'Custom::Nope') as IsCompleteRequest, offlineContext())).rejects.toThrow(/Unsupported resource type Custom::Nope/);
  });

  test.each([['Create', 'onCreate'], ['Update', 'onUpdate'], ['Delete', 'onDelete']] as const)('%s goes to %s of the module, with one log line', async (requestType, method) => {
    handlers[OU] = recordingHandler(false);
    const ctx = offlineContext();
    const out = await dispatchOnEvent(event(requestType), ctx);
    expect(out).toEqual({ PhysicalResourceId: `from-${method}` });
    expect(seen.map(s => s.method)).toEqual([method]);
    expect(ctx.log.lines).toEqual([{ message: 'request' }]);
  });

  test('an unknown RequestType is an error', async () => {
    handlers[OU] = recordingHandler(false);
    const bad = { ...event('Create'), RequestType: 'Rename' } as unknown as OnEventRequest;
    await expect(dispatchOnEvent(bad, offlineContext())).rejects.toThrow(/Unknown RequestType Rename/);
    expect(seen).toEqual([]);
  });

  test('isComplete of a type that does not wait is complete at once, without any call', async () => {
    for (const type of [ResourceType.ORGANIZATION, ResourceType.ORGANIZATIONAL_UNIT, ResourceType.AWS_SERVICE_ACCESS, ResourceType.POLICY]) {
      await expect(dispatchIsComplete(event('Create', type) as IsCompleteRequest, offlineContext())).resolves.toEqual({ IsComplete: true });
    }
  });

  test('isComplete of a type that waits goes to its module', async () => {
    handlers[OU] = recordingHandler(true);
    await expect(dispatchIsComplete(event('Create') as IsCompleteRequest, offlineContext())).resolves.toEqual({ IsComplete: false });
    expect(seen.map(s => s.method)).toEqual(['isComplete']);
  });
});

describe('entrypoints', () => {
  test('onEvent derives the deadline from the Lambda\'s remaining time, less a safety margin', async () => {
    handlers[OU] = recordingHandler(false);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const before = Date.now();
    await onEvent(event('Create'), { getRemainingTimeInMillis: () => 120_000 });
    const after = Date.now();
    const { deadline } = seen[0].ctx;
    expect(deadline).toBeGreaterThanOrEqual(before + 115_000);
    expect(deadline).toBeLessThanOrEqual(after + 115_000);
  });

  test('without a Lambda context the deadline is 60 s less the margin', async () => {
    handlers[OU] = recordingHandler(true);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const before = Date.now();
    await isComplete(event('Delete') as IsCompleteRequest);
    const after = Date.now();
    const { deadline } = seen[0].ctx;
    expect(deadline).toBeGreaterThanOrEqual(before + 55_000);
    expect(deadline).toBeLessThanOrEqual(after + 55_000);
  });

  test('the request log line identifies the request and never carries the properties', async () => {
    handlers[OU] = recordingHandler(false);
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
    });
    await onEvent(event('Update', OU, { Name: 'secret-name@example.com' }));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      level: 'info',
      message: 'request',
      phase: 'onEvent',
      requestType: 'Update',
      resourceType: OU,
      logicalResourceId: 'MyOu',
      physicalResourceId: 'ou-ab12-abcdefgh',
      requestId: 'req-1',
    });
    expect(lines[0]).not.toContain('secret-name');
  });

  test('the clients the entrypoints build are real SDK clients for us-east-1', async () => {
    handlers[OU] = recordingHandler(false);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await onEvent(event('Create'));
    const ctx = seen[0].ctx;
    await expect(ctx.organizations.config.region()).resolves.toBe('us-east-1');
    await expect(ctx.account.config.region()).resolves.toBe('us-east-1');
  });
});
