/**
 * Shared by the live-organization tests: an emulator seeded with a non-trivial organization through
 * the real SDK, the battery of read calls an emulator started on a snapshot must answer as the
 * source did, and the mutating calls of a call log.
 */
import {
  AttachPolicyCommand,
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  InviteAccountToOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  PutResourcePolicyCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { OrganizationsHttpClient } from '../../local/deployer';
import { CallRecord, Emulator } from '../../local/emulator';
import { ACCOUNT_OPERATIONS, ORGANIZATIONS_OPERATIONS } from '../../local/emulator/operations/index';
import { LiveClients, liveClients } from '../../local/live/clients';
import { newAccount, pollUntil, rootIdOf, settle } from '../emulator/support';

/** Live clients for an emulator, calling as `accessKeyId` (the management account unless an account id). */
export function clientsOf(emulator: Emulator, accessKeyId = 'AKIDEMULATOR', maxAttempts = 10): LiveClients {
  return liveClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'emulator' }, maxAttempts });
}

/** The calls of `log` that change something. */
export function mutatingCalls(log: readonly CallRecord[]): CallRecord[] {
  return log.filter(call => {
    const operations = call.service === 'account' ? ACCOUNT_OPERATIONS : ORGANIZATIONS_OPERATIONS;
    return !Object.hasOwn(operations, call.operation) || operations[call.operation].mutating;
  });
}

export interface SeededOrganization {
  readonly rootId: string;
  readonly ous: Record<string, string>;
  readonly accounts: Record<string, string>;
  readonly policies: Record<string, string>;
}

const SCP = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });

/**
 * OUs three levels deep, accounts in each (one closing, one from a failed request's sibling),
 * service control, resource control, tag, backup and AI opt-out policies attached to the root,
 * OUs and accounts, tags on all four kinds, trusted access, delegated administrators (one account
 * for two services), an open invitation and a failed account creation.
 */
export async function seedOrganization(emulator: Emulator, org: OrganizationsClient): Promise<SeededOrganization> {
  const rootId = await rootIdOf(org);
  const ou = async (name: string, parentId: string) =>
    (await org.send(new CreateOrganizationalUnitCommand({ Name: name, ParentId: parentId }))).OrganizationalUnit!.Id!;
  const ous: Record<string, string> = {};
  ous.workloads = await ou('Workloads', rootId);
  ous.security = await ou('Security', rootId);
  ous.prod = await ou('Prod', ous.workloads);
  ous.dev = await ou('Dev', ous.workloads);
  ous.prodEu = await ou('Prod EU', ous.prod);

  const accounts: Record<string, string> = {};
  for (const [name, parent] of [['audit', 'security'], ['logs', 'security'], ['app1', 'prod'], ['app2', 'prodEu'], ['sandbox', 'dev'], ['leaving', 'dev'], ['loose', '']] as const) {
    accounts[name] = await newAccount(org, name);
    if (parent) await org.send(new MoveAccountCommand({ AccountId: accounts[name], SourceParentId: rootId, DestinationParentId: ous[parent] }));
  }
  await org.send(new CloseAccountCommand({ AccountId: accounts.leaving }));

  for (const type of ['RESOURCE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY'] as const) {
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: type }));
    await pollUntil(async () => (await org.send(new ListRootsCommand({}))).Roots![0].PolicyTypes!,
      types => types.some(t => t.Type === type && t.Status === 'ENABLED'));
  }
  const policy = async (name: string, type: string, content: string, tags?: Array<{ Key: string; Value: string }>) =>
    (await org.send(new CreatePolicyCommand({ Name: name, Description: `${name} policy`, Type: type as any, Content: content, Tags: tags }))).Policy!.PolicySummary!.Id!;
  const policies: Record<string, string> = {};
  policies.denyLeave = await policy('DenyLeave', 'SERVICE_CONTROL_POLICY', SCP('organizations:LeaveOrganization'), [{ Key: 'team', Value: 'platform' }]);
  policies.denyRegions = await policy('DenyRegions', 'SERVICE_CONTROL_POLICY', SCP('ec2:RunInstances'));
  policies.rcp = await policy('DenyExternal', 'RESOURCE_CONTROL_POLICY', JSON.stringify({
    Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
  }));
  policies.tags = await policy('CostCenter', 'TAG_POLICY', JSON.stringify({ tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' } } } }));
  policies.backup = await policy('DailyBackup', 'BACKUP_POLICY', JSON.stringify({
    plans: { daily: { regions: { '@@assign': ['eu-west-1'] }, rules: { r: { target_backup_vault_name: { '@@assign': 'Default' } } } } },
  }));
  policies.optOut = await policy('OptOut', 'AISERVICES_OPT_OUT_POLICY', JSON.stringify({ services: { default: { opt_out_policy: { '@@assign': 'optOut' } } } }));
  const attach = (p: string, target: string) => org.send(new AttachPolicyCommand({ PolicyId: policies[p], TargetId: target }));
  await attach('denyLeave', rootId);
  await attach('denyRegions', ous.workloads);
  await attach('denyRegions', accounts.sandbox);
  await attach('denyLeave', ous.prodEu);
  await attach('rcp', ous.prod);
  await attach('tags', rootId);
  await attach('tags', accounts.app1);
  await attach('backup', ous.prod);
  await attach('optOut', rootId);

  const tag = (id: string, tags: Record<string, string>) =>
    org.send(new TagResourceCommand({ ResourceId: id, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  await tag(rootId, { 'cdk-organizations:organization': 'OrgStack/Org', 'owner': 'platform' });
  await tag(ous.prod, { env: 'prod', tier: '1' });
  await tag(accounts.app1, { CostCenter: '42' });
  await tag(policies.tags, { managed: 'yes' });

  for (const service of ['guardduty.amazonaws.com', 'config.amazonaws.com', 'account.amazonaws.com']) {
    await org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: service }));
  }
  await org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accounts.audit, ServicePrincipal: 'guardduty.amazonaws.com' }));
  await org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accounts.audit, ServicePrincipal: 'config.amazonaws.com' }));
  await org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accounts.logs, ServicePrincipal: 'config.amazonaws.com' }));
  await org.send(new PutResourcePolicyCommand({
    Content: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accounts.audit}:root` }, Action: 'organizations:Describe*', Resource: '*' }],
    }),
    Tags: [{ Key: 'team', Value: 'security' }],
  }));

  const external = emulator.createExternalAccount('outsider@example.com', 'Outsider');
  await org.send(new InviteAccountToOrganizationCommand({ Target: { Id: external, Type: 'ACCOUNT' } }));
  const failed = await org.send(new CreateAccountCommand({ AccountName: 'dup', Email: 'outsider@example.com' }));
  await settle(org, failed.CreateAccountStatus!.Id!);
  return { rootId, ous, accounts, policies };
}

type Answer = { ok: true; body: unknown } | { ok: false; code: string };

async function ask(client: OrganizationsHttpClient, operation: string, input: Record<string, unknown>): Promise<Answer> {
  try {
    return { ok: true, body: await client.call(operation, input) };
  } catch (error) {
    return { ok: false, code: (error as Error).name };
  }
}

/** Every page of a List call, or its error. */
async function askAll(client: OrganizationsHttpClient, operation: string, input: Record<string, unknown>, key: string): Promise<Answer> {
  // Small pages, so that paging is compared too (ListTagsForResource takes no MaxResults).
  const pageSize = operation === 'ListTagsForResource' ? {} : { MaxResults: 3 };
  try {
    return { ok: true, body: await client.paginate(operation, { ...input, ...pageSize }, key) };
  } catch (error) {
    return { ok: false, code: (error as Error).name };
  }
}

/**
 * The answers of the read calls, as raw JSON over HTTP, for every root, OU, account and policy of
 * the organization `endpoint` serves. DescribeEffectivePolicy's LastUpdatedTimestamp is left out:
 * the API shows no policy's update time, so a snapshot cannot know it.
 */
export async function readEverything(endpoint: string): Promise<Record<string, Answer>> {
  const client = new OrganizationsHttpClient(endpoint, { maxAttempts: 1 });
  const answers: Record<string, Answer> = {};
  const put = async (key: string, answer: Promise<Answer>) => { answers[key] = await answer; };
  await put('DescribeOrganization', ask(client, 'DescribeOrganization', {}));
  await put('ListRoots', askAll(client, 'ListRoots', {}, 'Roots'));
  const rootId = (answers.ListRoots as any).body[0].Id as string;
  await put('ListAccounts', askAll(client, 'ListAccounts', {}, 'Accounts'));
  const accountIds = ((answers.ListAccounts as any).body as Array<{ Id: string }>).map(a => a.Id);
  const ouIds: string[] = [];
  for (let level = [rootId]; level.length > 0;) {
    const nextLevel: string[] = [];
    for (const parent of level) {
      await put(`ListOrganizationalUnitsForParent ${parent}`, askAll(client, 'ListOrganizationalUnitsForParent', { ParentId: parent }, 'OrganizationalUnits'));
      const children = ((answers[`ListOrganizationalUnitsForParent ${parent}`] as any).body as Array<{ Id: string }>).map(o => o.Id);
      nextLevel.push(...children);
      ouIds.push(...children);
      await put(`ListAccountsForParent ${parent}`, askAll(client, 'ListAccountsForParent', { ParentId: parent }, 'Accounts'));
      for (const type of ['ACCOUNT', 'ORGANIZATIONAL_UNIT']) {
        await put(`ListChildren ${parent} ${type}`, askAll(client, 'ListChildren', { ParentId: parent, ChildType: type }, 'Children'));
      }
    }
    level = nextLevel;
  }
  for (const id of ouIds) {
    await put(`DescribeOrganizationalUnit ${id}`, ask(client, 'DescribeOrganizationalUnit', { OrganizationalUnitId: id }));
    await put(`ListParents ${id}`, askAll(client, 'ListParents', { ChildId: id }, 'Parents'));
  }
  for (const id of accountIds) {
    await put(`DescribeAccount ${id}`, ask(client, 'DescribeAccount', { AccountId: id }));
    await put(`ListParents ${id}`, askAll(client, 'ListParents', { ChildId: id }, 'Parents'));
    await put(`ListDelegatedServicesForAccount ${id}`, askAll(client, 'ListDelegatedServicesForAccount', { AccountId: id }, 'DelegatedServices'));
  }
  const types = ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY', 'CHATBOT_POLICY'];
  const policyIds: string[] = [];
  for (const type of types) {
    await put(`ListPolicies ${type}`, askAll(client, 'ListPolicies', { Filter: type }, 'Policies'));
    policyIds.push(...((answers[`ListPolicies ${type}`] as any).body as Array<{ Id: string }>).map(p => p.Id));
    for (const target of [rootId, ...ouIds, ...accountIds]) {
      await put(`ListPoliciesForTarget ${target} ${type}`, askAll(client, 'ListPoliciesForTarget', { TargetId: target, Filter: type }, 'Policies'));
    }
    for (const id of accountIds) {
      const answer = await ask(client, 'DescribeEffectivePolicy', { PolicyType: type, TargetId: id });
      if (answer.ok) delete (answer.body as any).EffectivePolicy.LastUpdatedTimestamp;
      answers[`DescribeEffectivePolicy ${type} ${id}`] = answer;
    }
  }
  for (const id of policyIds) {
    await put(`DescribePolicy ${id}`, ask(client, 'DescribePolicy', { PolicyId: id }));
    await put(`ListTargetsForPolicy ${id}`, askAll(client, 'ListTargetsForPolicy', { PolicyId: id }, 'Targets'));
  }
  await put('DescribeResourcePolicy', ask(client, 'DescribeResourcePolicy', {}));
  const described = answers.DescribeResourcePolicy;
  const resourcePolicy = described.ok ? [(described.body as any).ResourcePolicy.ResourcePolicySummary.Id as string] : [];
  for (const id of [rootId, ...ouIds, ...accountIds, ...policyIds, ...resourcePolicy]) {
    await put(`ListTagsForResource ${id}`, askAll(client, 'ListTagsForResource', { ResourceId: id }, 'Tags'));
  }
  await put('ListAWSServiceAccessForOrganization', askAll(client, 'ListAWSServiceAccessForOrganization', {}, 'EnabledServicePrincipals'));
  await put('ListDelegatedAdministrators', askAll(client, 'ListDelegatedAdministrators', {}, 'DelegatedAdministrators'));
  for (const service of ['guardduty.amazonaws.com', 'config.amazonaws.com']) {
    await put(`ListDelegatedAdministrators ${service}`, askAll(client, 'ListDelegatedAdministrators', { ServicePrincipal: service }, 'DelegatedAdministrators'));
  }
  await put('ListCreateAccountStatus', askAll(client, 'ListCreateAccountStatus', {}, 'CreateAccountStatuses'));
  await put('ListHandshakesForOrganization', askAll(client, 'ListHandshakesForOrganization', {}, 'Handshakes'));
  for (const h of ((answers.ListHandshakesForOrganization as any).body as Array<{ Id: string }>)) {
    await put(`DescribeHandshake ${h.Id}`, ask(client, 'DescribeHandshake', { HandshakeId: h.Id }));
  }
  return answers;
}
