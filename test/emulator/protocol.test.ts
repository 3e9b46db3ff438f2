/**
 * The wire: AWS JSON 1.1 and restJson1 exactly as the SDK expects them, errors that become the
 * modelled exception classes, epoch-second timestamps, caller identity from the access key id.
 */
import { AccessDeniedException as AccountAccessDenied, GetAccountInformationCommand, ValidationException } from '@aws-sdk/client-account';
import {
  AttachPolicyCommand,
  ConstraintViolationException,
  CreateOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListInboundResponsibilityTransfersCommand,
  DetachPolicyCommand,
  DuplicateOrganizationalUnitException,
  ListAccountsCommand,
  ListRootsCommand,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, newAccount, rootIdOf, startFixture } from './support';

let f: Fixture;
let rootId: string;

beforeAll(async () => {
  f = await startFixture();
  rootId = await rootIdOf(f.org);
});
afterAll(async () => f?.stop());

async function raw(path: string, init: { target?: string; body?: string; accessKey?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (init.target) headers['x-amz-target'] = init.target;
  if (init.accessKey) headers.authorization = `AWS4-HMAC-SHA256 Credential=${init.accessKey}/20260101/us-east-1/organizations/aws4_request, Signature=x`;
  const response = await fetch(`${f.emulator.endpoint}${path}`, { method: 'POST', headers, body: init.body ?? '{}' });
  return { status: response.status, headers: response.headers, json: await response.json() as any };
}

describe('AWS JSON 1.1', () => {
  test('responses are JSON 1.1 with epoch-second timestamps, which the SDK reads as Dates', async () => {
    const response = await raw('/', { target: 'AWSOrganizationsV20161128.ListAccounts' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const joined = response.json.Accounts[0].JoinedTimestamp;
    expect(typeof joined).toBe('number');
    expect(Math.abs(joined * 1000 - Date.now())).toBeLessThan(3_600_000);

    const out = await f.org.send(new ListAccountsCommand({}));
    expect(out.Accounts![0].JoinedTimestamp).toBeInstanceOf(Date);
    expect(out.Accounts![0].JoinedTimestamp!.getTime()).toBe(joined * 1000);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('an error becomes the modelled exception class, with its Reason', async () => {
    const error = await expectError(
      f.org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: rootId })),
      'ConstraintViolationException', 'MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
    expect(error).toBeInstanceOf(ConstraintViolationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/only service control policy attached to r-/);

    const name = 'Protocol';
    await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name }));
    const duplicate = await expectError(f.org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name })), 'DuplicateOrganizationalUnitException');
    expect(duplicate).toBeInstanceOf(DuplicateOrganizationalUnitException);
  });

  test('the error body carries __type, Message and Reason', async () => {
    const response = await raw('/', { target: 'AWSOrganizationsV20161128.AttachPolicy', body: JSON.stringify({ PolicyId: 'p-FullAWSAccess', TargetId: rootId }) });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ __type: 'DuplicatePolicyAttachmentException', Message: expect.stringContaining('already attached') });
  });

  test('an unknown operation is an error that names it', async () => {
    const response = await raw('/', { target: 'AWSOrganizationsV20161128.MakeCoffee' });
    expect(response.status).toBe(400);
    expect(response.json.__type).toBe('UnknownOperationException');
    expect(response.json.Message).toContain('"MakeCoffee"');
    expect(f.emulator.callLog.at(-1)).toMatchObject({ operation: 'MakeCoffee', outcome: 'UnknownOperationException' });
  });

  test('an operation the emulator does not implement is refused by name through the SDK too', async () => {
    const error = await expectError(f.org.send(new ListInboundResponsibilityTransfersCommand({ Type: 'BILLING' })), 'UnknownOperationException');
    expect(error).toBeInstanceOf(OrganizationsServiceException);
    expect(error.message).toContain('ListInboundResponsibilityTransfers');
  });

  test('a body that is not JSON is a SerializationException, and a request that is no API call a 404', async () => {
    const bad = await raw('/', { target: 'AWSOrganizationsV20161128.ListRoots', body: '{not json' });
    expect(bad.json.__type).toBe('SerializationException');
    const response = await fetch(`${f.emulator.endpoint}/nowhere`, { method: 'GET' });
    expect(response.status).toBe(404);
    expect((await response.json() as any).message).toContain('GET /nowhere');
  });
});

describe('caller identity', () => {
  test('a 12-digit access key id calls as that account; any other key as the management account', async () => {
    const memberId = await newAccount(f.org, 'Identity');
    const member = clientsFor(f.emulator, memberId);
    try {
      const denied = await expectError(member.org.send(new ListRootsCommand({})), 'AccessDeniedException');
      expect(denied.message).toContain(memberId);
      expect((await member.org.send(new DescribeOrganizationCommand({}))).Organization!.MasterAccountId).toBe(f.emulator.managementAccountId);
      expect(f.emulator.callLog.at(-1)!.caller).toBe(memberId);
      await f.org.send(new ListRootsCommand({}));
      expect(f.emulator.callLog.at(-1)!.caller).toBe(f.emulator.managementAccountId);
    } finally {
      member.destroy();
    }
  });

  test('an unknown account id is a standalone account, outside any organization', async () => {
    const stranger = clientsFor(f.emulator, '999988887777');
    try {
      await expectError(stranger.org.send(new DescribeOrganizationCommand({})), 'AWSOrganizationsNotInUseException');
      expect((await stranger.account.send(new GetAccountInformationCommand({}))).AccountId).toBe('999988887777');
    } finally {
      stranger.destroy();
    }
  });
});

describe('restJson1 (Account Management)', () => {
  test('errors carry x-amzn-errortype and their own status, and become the Account Management classes', async () => {
    const denied = await expectError(
      f.account.send(new GetAccountInformationCommand({ AccountId: f.emulator.managementAccountId })), 'AccessDeniedException');
    expect(denied).toBeInstanceOf(AccountAccessDenied);
    expect(denied.$metadata.httpStatusCode).toBe(403);
    const invalid = await expectError(f.account.send(new GetAccountInformationCommand({ AccountId: 'abc' })), 'ValidationException');
    expect(invalid).toBeInstanceOf(ValidationException);
    expect(invalid.$metadata.httpStatusCode).toBe(400);
    expect((invalid as any).reason).toBe('fieldValidationFailed');
  });

  test('a date-time in the answer is an ISO string, read back as a Date', async () => {
    const response = await fetch(`${f.emulator.endpoint}/getAccountInformation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const json = await response.json() as any;
    expect(json.AccountCreatedDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    const out = await f.account.send(new GetAccountInformationCommand({}));
    expect(out.AccountCreatedDate!.toISOString()).toBe(json.AccountCreatedDate);
  });

  test('an unknown Account Management operation names itself', async () => {
    const response = await fetch(`${f.emulator.endpoint}/getContactInformation`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect((await response.json() as any).message).toContain('"GetContactInformation"');
  });
});

test('the call log records every call with its operation, service, request, outcome, reason, caller and time', async () => {
  const since = f.emulator.callLog.length;
  const before = Date.now();
  await expectError(f.org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: rootId })), 'DuplicatePolicyAttachmentException');
  await f.account.send(new GetAccountInformationCommand({}));
  const calls = f.emulator.callLog.slice(since);
  expect(calls).toEqual([
    {
      operation: 'AttachPolicy',
      service: 'organizations',
      request: { PolicyId: 'p-FullAWSAccess', TargetId: rootId },
      outcome: 'DuplicatePolicyAttachmentException',
      reason: undefined,
      caller: f.emulator.managementAccountId,
      time: expect.any(Number),
    },
    { operation: 'GetAccountInformation', service: 'account', request: {}, outcome: 'OK', reason: undefined, caller: f.emulator.managementAccountId, time: expect.any(Number) },
  ]);
  expect(calls[0].time).toBeGreaterThanOrEqual(before);
});
