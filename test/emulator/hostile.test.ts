/**
 * Hostile requests: whatever a buggy or malicious client sends, the emulator answers the right 4xx
 * (never a 500 for bad input), keeps nothing it should not, and its call log and admin endpoints
 * stay readable afterwards.
 */
import * as http from 'http';
import { CreateOrganizationalUnitCommand, CreatePolicyCommand, ListHandshakesForAccountCommand, UpdateOrganizationalUnitCommand, UpdatePolicyCommand } from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, rootIdOf, snapshot, startFixture } from './support';
import { parseFaultSpec } from '../../local/emulator/faults';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from '../../local/emulator/json-body';
import { ACCOUNT_OPERATIONS, ORGANIZATIONS_OPERATIONS } from '../../local/emulator/operations/index';

let f: Fixture;
let root: string;

beforeAll(async () => {
  f = await startFixture();
  root = await rootIdOf(f.org);
});
afterAll(async () => f?.stop());

const TARGET = 'AWSOrganizationsV20161128.';

async function organizations(operation: string, body: string, accessKey?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}${operation}` };
  if (accessKey) headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/20260101/us-east-1/organizations/aws4_request, Signature=x`;
  const response = await fetch(f.emulator.endpoint, { method: 'POST', headers, body });
  return { status: response.status, json: await response.json() as any };
}

async function admin(method: string, path: string, body?: string) {
  const response = await fetch(`${f.emulator.endpoint}/_emulator${path}`, { method, body });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

/** The admin endpoints that must stay readable. */
async function expectAdminReadable(): Promise<void> {
  for (const path of ['/calls', '/state', '/stacks', '/config']) expect({ path, status: (await admin('GET', path)).status }).toEqual({ path, status: 200 });
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('operation names', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('%s is an UnknownOperationException, not a property of every object', async name => {
    const response = await organizations(name, '{}');
    expect(response.status).toBe(400);
    expect(response.json.__type).toBe('UnknownOperationException');
    expect(f.emulator.callLog.at(-1)).toMatchObject({ operation: name, outcome: 'UnknownOperationException' });
  });

  test('a fault spec naming an operation is checked against the operations, not the prototype', async () => {
    const response = await admin('PUT', '/faults', JSON.stringify({ faults: { operations: { constructor: { ServiceException: 1 } } } }));
    expect(response.status).toBe(400);
    expect(response.json.message).toMatch(/Unknown operation "constructor"/);
  });

  test('a service principal named like a property of every object is not recognised', async () => {
    const before = snapshot(f.emulator);
    for (const principal of ['constructor', 'toString']) {
      const response = await organizations('EnableAWSServiceAccess', JSON.stringify({ ServicePrincipal: principal }));
      expect(response).toMatchObject({ status: 400, json: { __type: 'InvalidInputException', Reason: 'UNRECOGNIZED_SERVICE_PRINCIPAL' } });
    }
    expect(snapshot(f.emulator)).toBe(before);
  });
});

describe('bodies nested too deep or too large', () => {
  test('a Name of 200,000 nested [ is a SerializationException, and the call log stays readable', async () => {
    const response = await organizations('CreateOrganizationalUnit', `{"ParentId":"${root}","Name":${nested(200_000)}}`);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ __type: 'SerializationException', Message: expect.stringContaining(`deeper than ${MAX_JSON_DEPTH} levels`) });
    const calls = await admin('GET', `/calls?since=${f.emulator.callLog.length - 1}`);
    expect(calls.status).toBe(200);
    expect(calls.json.calls).toEqual([expect.objectContaining({ operation: 'CreateOrganizationalUnit', outcome: 'SerializationException', request: {} })]);
    await expectAdminReadable();
  });

  test('nesting up to the limit is parsed (and then validated as usual)', async () => {
    const response = await organizations('CreateOrganizationalUnit', `{"ParentId":"${root}","Name":${nested(MAX_JSON_DEPTH - 1)}}`);
    expect(response.json).toMatchObject({ __type: 'SerializationException', Message: expect.stringContaining('Name must be a string') });
    await expectAdminReadable();
  });

  test('a stack document nested 200,000 levels is refused, and GET /_emulator/state keeps answering', async () => {
    const response = await admin('PUT', '/stacks/x', `{"resources":${nested(200_000)}}`);
    expect(response.status).toBe(400);
    expect(response.json.message).toMatch(/deeper than/);
    expect((await admin('GET', '/stacks/x')).status).toBe(404);
    await expectAdminReadable();
  });

  test('a body over the size limit is a 413, for the API and the admin endpoints', async () => {
    const huge = JSON.stringify({ Name: 'x'.repeat(MAX_BODY_BYTES) });
    const response = await organizations('ListRoots', huge);
    expect(response).toMatchObject({ status: 413, json: { __type: 'RequestEntityTooLargeException' } });
    expect(f.emulator.callLog.at(-1)).toMatchObject({ operation: 'ListRoots', outcome: 'RequestEntityTooLargeException', request: {} });
    expect((await admin('PUT', '/stacks/huge', huge)).status).toBe(413);
    await expectAdminReadable();
  });

  test('the call log keeps a bounded copy of what was sent', async () => {
    const description = 'd'.repeat(100_000);
    const tags = Array.from({ length: 1000 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    const response = await organizations('CreatePolicy', JSON.stringify({ Name: 'big', Description: description, Type: 'TAG_POLICY', Content: '{}', Tags: tags }));
    expect(response.status).toBe(400);
    const logged = f.emulator.callLog.at(-1)!.request;
    expect(logged.Name).toBe('big');
    expect(logged.Description).toMatch(/^d+\.\.\. \(100000 characters\)$/);
    expect(logged.Description.length).toBeLessThan(3000);
    expect(logged.Tags).toHaveLength(101);
    expect(logged.Tags.at(-1)).toBe('... (1000 items)');
  });

  test('a "__proto__" member is data in the call log, not a prototype', async () => {
    await organizations('ListRoots', '{"__proto__":{"polluted":true}}');
    const logged = f.emulator.callLog.at(-1)!.request;
    expect(Object.getPrototypeOf(logged)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(logged))).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });
});

describe('names are ASCII, as the reference says', () => {
  test.each(['Équipe', 'チーム', 'Team 🚀'])('an OU or a policy named %j is an InvalidInputException', async name => {
    const before = snapshot(f.emulator);
    await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: name })), 'InvalidInputException', 'INVALID_PATTERN');
    await expectError(f.org.send(new CreatePolicyCommand({ Name: name, Description: '', Type: 'TAG_POLICY', Content: '{}' })), 'InvalidInputException', 'INVALID_PATTERN');
    expect(snapshot(f.emulator)).toBe(before);
  });

  test('renames are checked the same way; ASCII names, punctuation included, are accepted', async () => {
    const ou = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Plain ASCII: (ok) #1' }))).OrganizationalUnit!.Id!;
    await expectError(f.org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: ou, Name: 'Renommée' })), 'InvalidInputException', 'INVALID_PATTERN');
    const policy = (await f.org.send(new CreatePolicyCommand({ Name: 'ascii-policy', Description: '', Type: 'TAG_POLICY', Content: '{}' }))).Policy!.PolicySummary!.Id!;
    await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: policy, Name: 'política' })), 'InvalidInputException', 'INVALID_PATTERN');
  });
});

describe('unknown callers', () => {
  test('twelve-digit callers the emulator never saw leave no account behind', async () => {
    const accounts = Object.keys(f.emulator.state().accounts).sort();
    for (let i = 0; i < 5; i++) {
      const caller = `9${String(i).padStart(11, '0')}`;
      expect((await organizations('DescribeOrganization', '{}', caller)).json.__type).toBe('AWSOrganizationsNotInUseException');
      expect((await organizations('CreateOrganizationalUnit', JSON.stringify({ ParentId: root, Name: 'x' }), caller)).json.__type).toBe('AWSOrganizationsNotInUseException');
      const clients = clientsFor(f.emulator, caller);
      try {
        // An operation any account may call still sees the caller as a standalone account.
        expect((await clients.org.send(new ListHandshakesForAccountCommand({}))).Handshakes).toEqual([]);
      } finally {
        clients.destroy();
      }
    }
    expect(Object.keys(f.emulator.state().accounts).sort()).toEqual(accounts);
  });
});

describe('admin endpoints', () => {
  test('PUT /_emulator/faults refuses what the CLI refuses, with the same message', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ServiceException: 5 }, 'ServiceException=5'],
      [{ latencyMs: -100 }, 'latency=-100'],
      [{ operations: { CreateAcount: { ServiceException: 0.1 } } }, 'CreateAcount:ServiceException=0.1'],
      [{ Boom: 0.1 }, 'Boom=0.1'],
    ];
    for (const [faults, cli] of cases) {
      const response = await admin('PUT', '/faults', JSON.stringify({ faults }));
      expect(response.status).toBe(400);
      expect(response.json.message).toBe((() => {
        try {
          parseFaultSpec(cli);
        } catch (e) {
          return (e as Error).message;
        }
        return 'accepted';
      })());
    }
    expect((await admin('PUT', '/faults', JSON.stringify({ faults: { ServiceException: '0.5' } }))).status).toBe(400);
    expect((await admin('PUT', '/faults', JSON.stringify({ faults: null, seed: 'one' }))).status).toBe(400);
    expect(() => f.emulator.setFaults({ ServiceException: 5 })).toThrow(/between 0 and 1, got 5/);
    // Nothing was turned on.
    await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Faults stayed off' }));
  });

  test('a stack name that is not valid URL encoding is a 400', async () => {
    expect((await admin('GET', '/stacks/%E0%A4%A')).status).toBe(400);
    expect((await admin('PUT', '/stacks/%E0%A4%A', '{}')).status).toBe(400);
    await expectAdminReadable();
  });

  test('a stack named __proto__ is a stack like any other', async () => {
    expect((await admin('PUT', '/stacks/__proto__', '{"resources":{}}')).status).toBe(200);
    expect((await admin('GET', '/stacks/__proto__')).json).toEqual({ resources: {} });
    expect((await admin('GET', '/stacks')).json.stacks).toContain('__proto__');
    expect((await admin('DELETE', '/stacks/__proto__')).json).toEqual({ stack: '__proto__', deleted: true });
    expect((await admin('GET', '/stacks')).json.stacks).not.toContain('__proto__');
  });

  test('POST /_emulator/accounts checks the name', async () => {
    const before = snapshot(f.emulator);
    for (const name of [{}, 42, '', 'x'.repeat(51), 'Ünïcode']) {
      const response = await admin('POST', '/accounts', JSON.stringify({ email: 'named@example.com', name }));
      expect(response.status).toBe(400);
      expect(response.json.message).toMatch(/name must be 1 to 50 printable ASCII characters/);
    }
    expect(snapshot(f.emulator)).toBe(before);
  });
});

/** Values a careless or hostile client puts in any member. */
const HOSTILE_VALUES: unknown[] = [
  'constructor', '__proto__', 'toString', '999999999999', 'r-zzzz', 'ou-zzzz-zzzzzzzz', 'p-zzzzzzzz', 'h-zzzzzzzz', 'car-zzzzzzzz',
  '', 'x'.repeat(200_000), -1, 0, 1e308, 3.5, true, null, [], [null], [{}], {}, { __proto__: null, toString: 1 }, nested(MAX_JSON_DEPTH - 3),
];

/** One request on `agent`: the sweep sends thousands, and node:http on a kept-alive connection does a fraction of fetch's work per request. */
function send(agent: http.Agent, service: 'organizations' | 'account', operation: string, body: string): Promise<number> {
  const url = service === 'organizations' ? f.emulator.endpoint : `${f.emulator.endpoint}/${operation[0].toLowerCase()}${operation.slice(1)}`;
  const headers: http.OutgoingHttpHeaders = service === 'organizations' ? { 'x-amz-target': `${TARGET}${operation}` } : {};
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, response => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const encode = (value: unknown) => (typeof value === 'string' && value.startsWith('[') ? value : JSON.stringify(value));

/** Every operation but DeleteOrganization, which would succeed on the fixture's empty organization and leave nothing to probe. */
const SWEPT = ([['organizations', ORGANIZATIONS_OPERATIONS], ['account', ACCOUNT_OPERATIONS]] as const)
  .flatMap(([service, operations]) => Object.entries(operations).map(([operation, op]) => ({ service, operation, members: Object.keys(op.input) })))
  .filter(({ operation }) => operation !== 'DeleteOrganization');

test('no operation answers a server error for any hostile value in every member, or in one member at a time', async () => {
  const servers: string[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const { service, operation, members } of SWEPT) {
      const bodies = [
        ...HOSTILE_VALUES.map(value => `{${[...members, 'Unknown'].map(m => `${JSON.stringify(m)}:${encode(value)}`).join(',')}}`),
        ...members.flatMap(m => ['constructor', '__proto__', null, {}, [], 1].map(value => `{${JSON.stringify(m)}:${encode(value)}}`)),
      ];
      for (const body of bodies) {
        const status = await send(agent, service, operation, body);
        if (status >= 500) servers.push(`${operation} ${body.slice(0, 80)}: ${status}`);
      }
    }
  } finally {
    agent.destroy();
  }
  expect(servers).toEqual([]);
  await expectAdminReadable();
}, 120_000);
