/**
 * Synthesizes an app version with the library's real constructs, in this process, and reports the
 * logical id of each thing's custom resource (the owner identity its tags should name).
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { AppSpec, ROOT, STACK_NAMES } from './generator';
import {
  Account,
  AccountRemovalAction,
  DelegatedAdministrator,
  IPolicyTarget,
  Organization,
  OrganizationalUnit,
  Policy,
  PolicyContent,
  PolicyType,
} from '../../src';

export interface Synthesized {
  readonly outdir: string;
  /** The stacks of the app, in deployment order. */
  readonly stackNames: readonly string[];
  /** Key of each thing → `<stackName>/<logicalId>` of its custom resource. */
  readonly owners: ReadonlyMap<string, string>;
  /** The logical id of the doomed OU, when the version has one. */
  readonly doomLogicalId?: string;
}

/** The first custom resource under a construct. */
function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType.startsWith('Custom::Organizations_'));
  if (!resource) throw new Error(`no custom resource under ${construct.node.path}`);
  return Stack.of(resource).getLogicalId(resource);
}

export function synthesize(spec: AppSpec, outdir: string): Synthesized {
  const app = new App({ outdir });
  const stacks = STACK_NAMES.slice(0, spec.stacks).map(name => new Stack(app, name));
  const main = stacks[0];
  const organization = new Organization(main, 'Organization');
  const constructs = new Map<string, Construct>();
  const targets = new Map<string, IPolicyTarget>([[ROOT, organization.root]]);

  // Parents first: the spec lists OUs in any order.
  const ous = new Map<string, OrganizationalUnit>();
  const pending = [...spec.ous];
  while (pending.length > 0) {
    const index = pending.findIndex(o => o.parent === ROOT || ous.has(o.parent));
    if (index < 0) throw new Error(`OUs with no declared parent: ${pending.map(o => o.key).join(', ')}`);
    const [ou] = pending.splice(index, 1);
    const construct = new OrganizationalUnit(main, ou.id, {
      organizationalUnitName: ou.name,
      parent: ou.parent === ROOT ? organization.root : ous.get(ou.parent)!,
      tags: ou.tags,
    });
    ous.set(ou.key, construct);
    constructs.set(ou.key, construct);
    targets.set(ou.key, construct);
  }
  const accounts = new Map<string, Account>();
  for (const account of spec.accounts) {
    const construct = new Account(main, account.id, {
      accountName: account.name,
      email: account.email,
      parent: account.parent === ROOT ? organization.root : ous.get(account.parent)!,
      tags: account.tags,
      removalAction: AccountRemovalAction[account.removalAction],
    });
    accounts.set(account.key, construct);
    constructs.set(account.key, construct);
    targets.set(account.key, construct);
  }
  for (const policy of spec.policies) {
    const construct = new Policy(stacks[policy.stack], policy.id, {
      policyName: policy.name,
      policyType: PolicyType.of(policy.type),
      content: PolicyContent.fromJson(policy.content),
      tags: policy.tags,
    });
    for (const target of policy.targets) construct.attachTo(targets.get(target)!);
    constructs.set(policy.key, construct);
  }
  for (const admin of spec.admins) {
    const account = accounts.get(admin.account)!;
    constructs.set(admin.key, new DelegatedAdministrator(main, admin.id, { account, servicePrincipal: admin.principal }));
  }
  if (stacks.length > 1) {
    // Exported whether or not the second stack uses them now: a detach alone then changes no export
    // (the same names CDK gives the exports it makes for a reference).
    for (const target of targets.values()) main.exportValue(target.targetId);
  }
  let doomLogicalId: string | undefined;
  if (spec.doom) {
    const stack = stacks[spec.doom.stack];
    const missing = OrganizationalUnit.fromOrganizationalUnitId(stack, 'Missing', 'ou-zzzz-zzzzzzzz');
    const doomed = new OrganizationalUnit(stack, 'Doomed', { organizationalUnitName: 'Doomed', parent: missing });
    if (spec.doom.last) {
      for (const c of constructs.values()) if (Stack.of(c) === stack) doomed.node.addDependency(c);
    }
    doomLogicalId = logicalIdOf(doomed);
  }
  app.synth();
  const owners = new Map<string, string>();
  for (const [key, construct] of constructs) owners.set(key, `${Stack.of(construct).stackName}/${logicalIdOf(construct)}`);
  return { outdir, stackNames: stacks.map(s => s.stackName), owners, doomLogicalId };
}
