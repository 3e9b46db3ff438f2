/**
 * Every operation with a paginator pages with NextToken and MaxResults, so the SDK's paginateXxx
 * helpers collect each item exactly once, even at one item per page.
 */
import {
  AcceptHandshakeCommand,
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  EnableAllFeaturesCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  InviteAccountToOrganizationCommand,
  ListAccountsCommand,
  ListHandshakesForAccountCommand,
  ListRootsCommand,
  MoveAccountCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListAWSServiceAccessForOrganization,
  paginateListChildren,
  paginateListCreateAccountStatus,
  paginateListDelegatedAdministrators,
  paginateListDelegatedServicesForAccount,
  paginateListHandshakesForAccount,
  paginateListHandshakesForOrganization,
  paginateListOrganizationalUnitsForParent,
  paginateListParents,
  paginateListPolicies,
  paginateListPoliciesForTarget,
  paginateListRoots,
  paginateListTagsForResource,
  paginateListTargetsForPolicy,
  RegisterDelegatedAdministratorCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { clientsFor, expectError, Fixture, newAccount, rootIdOf, startFixture } from './support';

let f: Fixture;
let root: string;
let ou: string;
let accounts: string[];
let ous: string[];
let policies: string[];
let guest: string;

async function collect<T>(pages: AsyncIterable<T>, items: (page: T) => unknown[] | undefined): Promise<{ items: unknown[]; pages: number }> {
  const all: unknown[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    all.push(...items(page) ?? []);
  }
  return { items: all, pages: count };
}

beforeAll(async () => {
  // Accounts made in a simulated second: the pages are under test here, not the creation.
  f = await startFixture({ withOrganization: { featureSet: 'CONSOLIDATED_BILLING' }, accountCreationSeconds: 1, quotas: { maxAccounts: 30 } });
  root = await rootIdOf(f.org);
  // Invited first (consolidated billing), so that EnableAllFeatures makes a child handshake for it.
  guest = f.emulator.createExternalAccount('paged-guest@example.com');
  const invitation = await f.org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: guest } }));
  const guestClients = clientsFor(f.emulator, guest);
  await guestClients.org.send(new AcceptHandshakeCommand({ HandshakeId: invitation.Handshake!.Id! }));
  const enable = await f.org.send(new EnableAllFeaturesCommand({}));
  const request = (await guestClients.org.send(new ListHandshakesForAccountCommand({
    Filter: { ActionType: 'ENABLE_ALL_FEATURES' },
  }))).Handshakes![0];
  await guestClients.org.send(new AcceptHandshakeCommand({ HandshakeId: request.Id! }));
  await f.org.send(new AcceptHandshakeCommand({ HandshakeId: enable.Handshake!.Id! }));
  guestClients.destroy();

  ou = (await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Paged' }))).OrganizationalUnit!.Id!;
  ous = [ou];
  for (let i = 0; i < 4; i++) ous.push((await f.org.send(new CreateOrganizationalUnitCommand({ ParentId: ou, Name: `child-${i}` }))).OrganizationalUnit!.Id!);
  accounts = [];
  for (let i = 0; i < 5; i++) accounts.push(await newAccount(f.org, `Paged ${i}`));
  for (const id of accounts.slice(0, 3)) await f.org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: ou }));
  policies = [];
  for (let i = 0; i < 5; i++) {
    policies.push((await f.org.send(new CreatePolicyCommand({
      Name: `paged-${i}`, Description: '', Type: 'SERVICE_CONTROL_POLICY', Content: '{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}',
    }))).Policy!.PolicySummary!.Id!);
  }
  // SCPs are not enabled by EnableAllFeatures: enable them and wait.
  await f.org.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }));
  for (let i = 0; i < 1000; i++) {
    if ((await f.org.send(new ListRootsCommand({}))).Roots![0].PolicyTypes!.some(t => t.Status === 'ENABLED')) break;
    await new Promise(resolve => setTimeout(resolve, 2));
  }
  for (const id of policies) await f.org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ou }));
  for (const target of accounts) await f.org.send(new AttachPolicyCommand({ PolicyId: policies[0], TargetId: target }));
  for (const principal of ['config.amazonaws.com', 'guardduty.amazonaws.com', 'sso.amazonaws.com', 'ram.amazonaws.com']) {
    await f.org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
  }
  for (const id of accounts.slice(0, 3)) await f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: id, ServicePrincipal: 'config.amazonaws.com' }));
  for (const principal of ['guardduty.amazonaws.com', 'sso.amazonaws.com', 'ram.amazonaws.com']) {
    await f.org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accounts[0], ServicePrincipal: principal }));
  }
  await f.org.send(new TagResourceCommand({ ResourceId: ou, Tags: Array.from({ length: 45 }, (_, i) => ({ Key: `key-${String(i).padStart(2, '0')}`, Value: `${i}` })) }));
});
afterAll(async () => f?.stop());

const config = (pageSize: number) => ({ client: f.org, pageSize });

test.each([
  ['ListAccounts', 1, () => collect(paginateListAccounts(config(1), {}), p => p.Accounts?.map(a => a.Id)), () => [f.emulator.managementAccountId, guest, ...accounts]],
  ['ListAccountsForParent', 1, () => collect(paginateListAccountsForParent(config(1), { ParentId: ou }), p => p.Accounts?.map(a => a.Id)), () => accounts.slice(0, 3)],
  ['ListChildren', 1, () => collect(paginateListChildren(config(1), { ParentId: ou, ChildType: 'ORGANIZATIONAL_UNIT' }), p => p.Children?.map(c => c.Id)), () => ous.slice(1)],
  ['ListOrganizationalUnitsForParent', 2, () => collect(paginateListOrganizationalUnitsForParent(config(2), { ParentId: ou }), p => p.OrganizationalUnits?.map(o => o.Id)),
    () => ous.slice(1)],
  ['ListParents', 1, () => collect(paginateListParents(config(1), { ChildId: accounts[0] }), p => p.Parents?.map(o => o.Id)), () => [ou]],
  ['ListRoots', 1, () => collect(paginateListRoots(config(1), {}), p => p.Roots?.map(r => r.Id)), () => [root]],
  ['ListPolicies', 2, () => collect(paginateListPolicies(config(2), { Filter: 'SERVICE_CONTROL_POLICY' }), p => p.Policies?.map(x => x.Id)),
    () => ['p-FullAWSAccess', ...policies]],
  ['ListPoliciesForTarget', 1, () => collect(paginateListPoliciesForTarget(config(1), { TargetId: ou, Filter: 'SERVICE_CONTROL_POLICY' }), p => p.Policies?.map(x => x.Id)),
    () => ['p-FullAWSAccess', ...policies]],
  ['ListTargetsForPolicy', 2, () => collect(paginateListTargetsForPolicy(config(2), { PolicyId: policies[0] }), p => p.Targets?.map(t => t.TargetId)),
    () => [ou, ...accounts]],
  ['ListCreateAccountStatus', 1, () => collect(paginateListCreateAccountStatus(config(1), {}), p => p.CreateAccountStatuses?.map(s => s.AccountId)), () => accounts],
  ['ListAWSServiceAccessForOrganization', 1, () => collect(paginateListAWSServiceAccessForOrganization(config(1), {}), p => p.EnabledServicePrincipals?.map(s => s.ServicePrincipal)),
    () => ['config.amazonaws.com', 'guardduty.amazonaws.com', 'sso.amazonaws.com', 'ram.amazonaws.com']],
  ['ListDelegatedAdministrators', 1, () => collect(paginateListDelegatedAdministrators(config(1), {}), p => p.DelegatedAdministrators?.map(d => d.Id)), () => accounts.slice(0, 3)],
  ['ListDelegatedServicesForAccount', 1, () => collect(paginateListDelegatedServicesForAccount(config(1), { AccountId: accounts[0] }), p => p.DelegatedServices?.map(d => d.ServicePrincipal)),
    () => ['config.amazonaws.com', 'guardduty.amazonaws.com', 'sso.amazonaws.com', 'ram.amazonaws.com']],
  ['ListHandshakesForOrganization', 1, () => collect(paginateListHandshakesForOrganization(config(1), {}), p => p.Handshakes?.map(h => h.Action)),
    () => ['INVITE', 'ENABLE_ALL_FEATURES', 'ENABLE_ALL_FEATURES', 'APPROVE_ALL_FEATURES']],
  ['ListHandshakesForAccount', 1, () => collect(paginateListHandshakesForAccount(config(1), {}), p => p.Handshakes?.map(h => h.Action)), () => ['APPROVE_ALL_FEATURES']],
  ['ListTagsForResource', 20, () => collect(paginateListTagsForResource({ client: f.org }, { ResourceId: ou }), p => p.Tags?.map(t => t.Key)),
    () => Array.from({ length: 45 }, (_, i) => `key-${String(i).padStart(2, '0')}`)],
])('%s pages through every item once, %d per page', async (_, size, list, expected) => {
  const { items, pages } = await list();
  expect(items).toEqual(expected());
  expect(pages).toBe(Math.max(1, Math.ceil(items.length / size)));
});

test('a page boundary survives items added in between, and a token only works for its operation', async () => {
  const first = await f.org.send(new ListAccountsCommand({ MaxResults: 3 }));
  expect(first.NextToken).toBeDefined();
  const late = await newAccount(f.org, 'Late');
  const seen = [...first.Accounts!.map(a => a.Id)];
  let token = first.NextToken;
  while (token) {
    const page = await f.org.send(new ListAccountsCommand({ MaxResults: 3, NextToken: token }));
    seen.push(...page.Accounts!.map(a => a.Id));
    token = page.NextToken;
  }
  expect(seen).toEqual([f.emulator.managementAccountId, guest, ...accounts, late]);
  await expectError(f.org.send(new ListRootsCommand({ NextToken: first.NextToken })), 'InvalidInputException', 'INVALID_NEXT_TOKEN');
});
