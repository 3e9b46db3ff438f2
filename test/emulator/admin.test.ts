/**
 * The admin endpoints under /_emulator/, for other processes.
 */
import { CreateAccountCommand, DescribeOrganizationCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { expectError, Fixture, settle, startFixture } from './support';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => f?.stop());

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${f.emulator.endpoint}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: await response.json() as any };
}

test('GET config and state', async () => {
  expect((await admin('GET', '/config')).json).toEqual({
    timeScale: 0.001, relaxed: true, managementAccountId: f.emulator.managementAccountId, endpoint: f.emulator.endpoint,
  });
  const state = await admin('GET', '/state');
  expect(state.status).toBe(200);
  expect(state.json).toEqual(f.emulator.state());
});

test('GET calls?since=N pages through the call log', async () => {
  const start = (await admin('GET', '/calls')).json.next;
  await f.org.send(new ListRootsCommand({}));
  await f.org.send(new DescribeOrganizationCommand({}));
  const page = await admin('GET', `/calls?since=${start}`);
  expect(page.json.calls.map((c: any) => c.operation)).toEqual(['ListRoots', 'DescribeOrganization']);
  expect(page.json.next).toBe(start + 2);
  expect((await admin('GET', `/calls?since=${page.json.next}`)).json.calls).toEqual([]);
  expect((await admin('GET', '/calls?since=-1')).status).toBe(400);
});

test('PUT faults turns injected faults on and off', async () => {
  expect((await admin('PUT', '/faults', { faults: { ServiceException: 1 }, seed: 3 })).status).toBe(200);
  await expectError(f.org.send(new ListRootsCommand({})), 'ServiceException');
  await admin('PUT', '/faults', { faults: null });
  await f.org.send(new ListRootsCommand({}));
  expect((await admin('PUT', '/faults')).status).toBe(400);
});

test('stack documents: PUT, GET, list, DELETE, 404 when absent', async () => {
  expect((await admin('GET', '/stacks')).json).toEqual({ stacks: [] });
  expect((await admin('GET', '/stacks/core')).status).toBe(404);
  await admin('PUT', '/stacks/core', { resources: { A: 'ou-abcd-12345678' }, version: 1 });
  await admin('PUT', `/stacks/${encodeURIComponent('team/app')}`, { resources: {} });
  expect((await admin('GET', '/stacks/core')).json).toEqual({ resources: { A: 'ou-abcd-12345678' }, version: 1 });
  expect((await admin('GET', '/stacks')).json).toEqual({ stacks: ['core', 'team/app'] });
  expect(f.emulator.state().stacks.core).toEqual({ resources: { A: 'ou-abcd-12345678' }, version: 1 });
  expect((await admin('DELETE', '/stacks/core')).json).toEqual({ stack: 'core', deleted: true });
  expect((await admin('GET', '/stacks/core')).status).toBe(404);
  expect((await admin('DELETE', '/stacks/core')).json.deleted).toBe(false);
  expect((await admin('PUT', '/stacks/empty')).status).toBe(400);
  expect((await admin('POST', '/stacks/core', {})).status).toBe(405);
});

test('POST accounts creates a standalone account whose email is then taken', async () => {
  const created = await admin('POST', '/accounts', { email: 'standalone@example.com', name: 'Standalone' });
  expect(created.json.accountId).toMatch(/^\d{12}$/);
  expect(f.emulator.state().accounts[created.json.accountId]).toMatchObject({ email: 'standalone@example.com', name: 'Standalone' });
  const again = await admin('POST', '/accounts', { email: 'standalone@example.com' });
  expect(again.status).toBe(400);
  expect(again.json.message).toContain(created.json.accountId);
  const started = await f.org.send(new CreateAccountCommand({ AccountName: 'Clash', Email: 'standalone@example.com' }));
  expect(await settle(f.org, started.CreateAccountStatus!.Id!)).toMatchObject({ State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' });
});

test('an unknown admin endpoint is a 404 that lists the known ones', async () => {
  const response = await admin('GET', '/nothing');
  expect(response.status).toBe(404);
  expect(response.json.message).toMatch(/calls\?since=N/);
});
