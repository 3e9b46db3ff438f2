/**
 * Bad requests: every one gets the documented InvalidInputException reason (never a crash), and
 * none changes the state.
 */
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeEffectivePolicyCommand,
  DescribeHandshakeCommand,
  EnableAWSServiceAccessCommand,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListChildrenCommand,
  ListCreateAccountStatusCommand,
  ListHandshakesForAccountCommand,
  ListPoliciesCommand,
  MoveAccountCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import { expectError, Fixture, rootIdOf, snapshot, startFixture } from './support';

let f: Fixture;
let root: string;

beforeAll(async () => {
  f = await startFixture();
  root = await rootIdOf(f.org);
});
afterAll(async () => f?.stop());

const a = (n: number) => 'a'.repeat(n);
const account = '123456789012';

// Each case: what is wrong, the request, the documented reason.
const cases: Array<[string, () => any, string]> = [
  ['a missing required member', () => new DescribeAccountCommand({} as any), 'INPUT_REQUIRED'],
  ['an account id that is not 12 digits', () => new DescribeAccountCommand({ AccountId: '12345' }), 'INVALID_PATTERN'],
  ['an account id longer than 12', () => new DescribeAccountCommand({ AccountId: '1234567890123' }), 'MAX_LENGTH_EXCEEDED'],
  ['an empty OU name', () => new CreateOrganizationalUnitCommand({ ParentId: root, Name: '' }), 'MIN_LENGTH_EXCEEDED'],
  ['an OU name of 129 characters', () => new CreateOrganizationalUnitCommand({ ParentId: root, Name: a(129) }), 'MAX_LENGTH_EXCEEDED'],
  ['a parent id of neither a root nor an OU', () => new CreateOrganizationalUnitCommand({ ParentId: 'root', Name: 'x' }), 'INVALID_PATTERN'],
  ['an OU id with uppercase letters', () => new MoveAccountCommand({ AccountId: account, SourceParentId: root, DestinationParentId: 'ou-AB12-abcdefgh' }), 'INVALID_PATTERN'],
  ['a missing destination', () => new MoveAccountCommand({ AccountId: account, SourceParentId: root } as any), 'INPUT_REQUIRED'],
  ['a policy id too short', () => new AttachPolicyCommand({ PolicyId: 'p-short', TargetId: root }), 'INVALID_SYNTAX_POLICY_ID'],
  ['a target id of no kind', () => new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: 'x-12345678' }), 'INVALID_PATTERN_TARGET_ID'],
  ['MaxResults 0', () => new ListAccountsCommand({ MaxResults: 0 }), 'MIN_VALUE_EXCEEDED'],
  ['MaxResults 21', () => new ListAccountsCommand({ MaxResults: 21 }), 'MAX_VALUE_EXCEEDED'],
  ['a NextToken no call returned', () => new ListAccountsCommand({ NextToken: 'garbage' }), 'INVALID_NEXT_TOKEN'],
  ['an unknown policy type', () => new ListPoliciesCommand({ Filter: 'NOT_A_TYPE' as any }), 'INVALID_ENUM_POLICY_TYPE'],
  ['an unknown child type', () => new ListChildrenCommand({ ParentId: root, ChildType: 'USER' as any }), 'INVALID_ENUM'],
  ['an unknown state in a list', () => new ListCreateAccountStatusCommand({ States: ['DONE' as any] }), 'INVALID_LIST_MEMBER'],
  ['an email that is not one', () => new CreateAccountCommand({ Email: 'not-an-email', AccountName: 'x' }), 'INVALID_PATTERN'],
  ['an email shorter than 6', () => new CreateAccountCommand({ Email: 'a@b.c', AccountName: 'x' }), 'MIN_LENGTH_EXCEEDED'],
  ['an email longer than 64', () => new CreateAccountCommand({ Email: `${a(60)}@example.com`, AccountName: 'x' }), 'MAX_LENGTH_EXCEEDED'],
  ['an account name longer than 50', () => new CreateAccountCommand({ Email: 'x@example.com', AccountName: a(51) }), 'MAX_LENGTH_EXCEEDED'],
  ['an account name outside printable ASCII', () => new CreateAccountCommand({ Email: 'x@example.com', AccountName: 'Prod\u2713' }), 'INVALID_PATTERN'],
  ['a role name with a space', () => new CreateAccountCommand({ Email: 'x@example.com', AccountName: 'x', RoleName: 'bad role' }), 'INVALID_PATTERN'],
  ['a reserved role name', () => new CreateAccountCommand({ Email: 'x@example.com', AccountName: 'x', RoleName: 'AWSServiceRoleForX' }), 'INVALID_ROLE_NAME'],
  ['an unknown billing access', () => new CreateAccountCommand({ Email: 'x@example.com', AccountName: 'x', IamUserAccessToBilling: 'MAYBE' as any }), 'INVALID_ENUM'],
  ['an empty tag key', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: '', Value: 'v' }] }), 'MIN_LENGTH_EXCEEDED'],
  ['a tag key with #', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: 'a#b', Value: 'v' }] }), 'INVALID_PATTERN'],
  ['a tag value of 257 characters', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: 'k', Value: a(257) }] }), 'MAX_LENGTH_EXCEEDED'],
  ['a tag without value', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: 'k' } as any] }), 'INPUT_REQUIRED'],
  ['a system tag key', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: 'aws:owner', Value: 'v' }] }), 'INVALID_SYSTEM_TAGS_PARAMETER'],
  ['a tag key twice', () => new TagResourceCommand({ ResourceId: root, Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] }), 'DUPLICATE_TAG_KEY'],
  ['untagging without keys', () => new UntagResourceCommand({ ResourceId: root } as any), 'INPUT_REQUIRED'],
  ['a handshake id too short', () => new DescribeHandshakeCommand({ HandshakeId: 'h-1' }), 'INVALID_PATTERN'],
  ['a request id with uppercase', () => new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: 'car-ABCDEFGH' }), 'INVALID_PATTERN'],
  ['a service principal with a space', () => new EnableAWSServiceAccessCommand({ ServicePrincipal: 'bad principal' }), 'INVALID_PATTERN'],
  ['a policy without description', () => new CreatePolicyCommand({ Name: 'n', Type: 'SERVICE_CONTROL_POLICY', Content: '{}' } as any), 'INPUT_REQUIRED'],
  ['a description of 513 characters', () => new CreatePolicyCommand({ Name: 'n', Description: a(513), Type: 'TAG_POLICY', Content: '{}' }), 'MAX_LENGTH_EXCEEDED'],
  ['both filters', () => new ListHandshakesForAccountCommand({ Filter: { ActionType: 'INVITE', ParentHandshakeId: 'h-1234567890' } }), 'MAX_LIMIT_EXCEEDED_FILTER'],
  ['an organization as invitee', () => new InviteAccountToOrganizationCommand({ Target: { Type: 'ORGANIZATION', Id: 'o-1234567890' } }), 'INVALID_PARTY_TYPE_TARGET'],
  ['an invitee email that is not one', () => new InviteAccountToOrganizationCommand({ Target: { Type: 'EMAIL', Id: 'nope' } }), 'INVALID_EMAIL_ADDRESS_TARGET'],
  ['an invitee account id that is not one', () => new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: '12' } }), 'INVALID_PATTERN'],
  ['an effective policy of an authorization type', () => new DescribeEffectivePolicyCommand({ PolicyType: 'SERVICE_CONTROL_POLICY' as any }), 'INVALID_ENUM_POLICY_TYPE'],
  ['an effective policy of a root', () => new DescribeEffectivePolicyCommand({ PolicyType: 'TAG_POLICY', TargetId: root }), 'TARGET_NOT_SUPPORTED'],
];

test.each(cases)('%s: InvalidInputException %s, and nothing changes', async (_, command, reason) => {
  const before = snapshot(f.emulator);
  const error = await expectError(f.org.send(command()), 'InvalidInputException', reason);
  expect(error.message.length).toBeGreaterThan(10);
  expect(f.emulator.callLog.at(-1)).toMatchObject({ outcome: 'InvalidInputException', reason });
  expect(snapshot(f.emulator)).toBe(before);
});

test.each([
  ['a string where a number goes', 'ListAccounts', { MaxResults: '5' }],
  ['a number where a string goes', 'DescribeAccount', { AccountId: 123456789012 }],
  ['an object where a list goes', 'TagResource', { ResourceId: '123456789012', Tags: { Key: 'k' } }],
  ['a body that is an array', 'ListRoots', []],
])('%s is a SerializationException', async (_, operation, body) => {
  const response = await fetch(f.emulator.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSOrganizationsV20161128.${operation}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(400);
  expect((await response.json() as any).__type).toBe('SerializationException');
});
