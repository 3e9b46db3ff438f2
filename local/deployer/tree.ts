/**
 * `cdk-organizations tree`: the organization as the Organizations API shows it, printed as a tree
 * (root with its enabled policy types, OUs, accounts, the policies attached to each target,
 * delegated administrators, trusted services).
 */
import { OrganizationsApiError, OrganizationsHttpClient } from './organizations-client';

export interface AttachedPolicy {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly awsManaged: boolean;
}

export interface OrganizationNode {
  readonly kind: 'root' | 'organizationalUnit' | 'account';
  readonly id: string;
  readonly name: string;
  /** Accounts only. */
  readonly email?: string;
  readonly status?: string;
  /** Roots only: the policy types enabled on the root. */
  readonly policyTypes?: readonly string[];
  readonly policies: readonly AttachedPolicy[];
  /** Accounts only: the services this account is a delegated administrator for. */
  readonly delegatedServices?: readonly string[];
  readonly children: readonly OrganizationNode[];
}

export interface OrganizationTree {
  /** Undefined when the caller's account belongs to no organization. */
  readonly organization?: {
    readonly id: string;
    readonly featureSet: string;
    readonly managementAccountId: string;
    readonly managementAccountEmail?: string;
  };
  readonly roots: readonly OrganizationNode[];
  readonly trustedServices: readonly string[];
}

/** Reads the whole organization through the Organizations API. */
export async function readOrganizationTree(endpoint: string): Promise<OrganizationTree> {
  const client = new OrganizationsHttpClient(endpoint);
  let organization: Record<string, any>;
  try {
    organization = (await client.call<{ Organization: Record<string, any> }>('DescribeOrganization')).Organization;
  } catch (error) {
    if (error instanceof OrganizationsApiError && error.code === 'AWSOrganizationsNotInUseException') return { roots: [], trustedServices: [] };
    throw error;
  }
  const allFeatures = organization.FeatureSet === 'ALL';
  const trustedServices = allFeatures
    ? (await client.paginate<{ ServicePrincipal: string }>('ListAWSServiceAccessForOrganization', {}, 'EnabledServicePrincipals')).map(s => s.ServicePrincipal).sort()
    : [];
  const delegated = new Map<string, string[]>();
  if (allFeatures) {
    for (const admin of await client.paginate<{ Id: string }>('ListDelegatedAdministrators', {}, 'DelegatedAdministrators')) {
      const services = await client.paginate<{ ServicePrincipal: string }>('ListDelegatedServicesForAccount', { AccountId: admin.Id }, 'DelegatedServices');
      delegated.set(admin.Id, services.map(s => s.ServicePrincipal).sort());
    }
  }
  const roots: OrganizationNode[] = [];
  for (const root of await client.paginate<Record<string, any>>('ListRoots', {}, 'Roots')) {
    const policyTypes = ((root.PolicyTypes ?? []) as Array<{ Type: string; Status: string }>)
      .filter(type => type.Status === 'ENABLED').map(type => type.Type).sort();
    const policiesOf = async (targetId: string): Promise<AttachedPolicy[]> => {
      const policies: AttachedPolicy[] = [];
      for (const type of policyTypes) {
        const page = await client.paginate<Record<string, any>>('ListPoliciesForTarget', { TargetId: targetId, Filter: type }, 'Policies');
        policies.push(...page.map(p => ({ id: p.Id, name: p.Name, type: p.Type, awsManaged: Boolean(p.AwsManaged) })));
      }
      return policies.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
    };
    const childrenOf = async (parentId: string): Promise<OrganizationNode[]> => {
      const units = await client.paginate<Record<string, any>>('ListOrganizationalUnitsForParent', { ParentId: parentId }, 'OrganizationalUnits');
      const accounts = await client.paginate<Record<string, any>>('ListAccountsForParent', { ParentId: parentId }, 'Accounts');
      // One call at a time: the emulator throttles like Organizations does (TPS quotas).
      const unitNodes: OrganizationNode[] = [];
      for (const unit of units) {
        unitNodes.push({ kind: 'organizationalUnit', id: unit.Id, name: unit.Name, policies: await policiesOf(unit.Id), children: await childrenOf(unit.Id) });
      }
      const accountNodes: OrganizationNode[] = [];
      for (const account of accounts) {
        accountNodes.push({
          kind: 'account',
          id: account.Id,
          name: account.Name,
          email: account.Email,
          status: account.Status ?? account.State,
          policies: await policiesOf(account.Id),
          delegatedServices: delegated.get(account.Id) ?? [],
          children: [],
        });
      }
      const byName = (a: OrganizationNode, b: OrganizationNode) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
      return [...unitNodes.sort(byName), ...accountNodes.sort(byName)];
    };
    roots.push({ kind: 'root', id: root.Id, name: root.Name, policyTypes, policies: await policiesOf(root.Id), children: await childrenOf(root.Id) });
  }
  return {
    organization: {
      id: organization.Id,
      featureSet: organization.FeatureSet,
      managementAccountId: organization.MasterAccountId,
      managementAccountEmail: organization.MasterAccountEmail,
    },
    roots,
    trustedServices,
  };
}

const POLICY_TYPE_LABELS: Record<string, string> = {
  SERVICE_CONTROL_POLICY: 'SCP',
  RESOURCE_CONTROL_POLICY: 'RCP',
  TAG_POLICY: 'tag policy',
  BACKUP_POLICY: 'backup policy',
  AISERVICES_OPT_OUT_POLICY: 'AI services opt-out policy',
};

/** The tree as text, one node per line, with the details of a node indented under it. */
export function renderOrganizationTree(tree: OrganizationTree): string {
  if (!tree.organization) return 'No organization: the management account of the emulator has not created one yet.\n';
  const { organization } = tree;
  const lines = [
    `Organization ${organization.id} (${organization.featureSet === 'ALL' ? 'all features' : 'consolidated billing'}), `
      + `management account ${organization.managementAccountId}${organization.managementAccountEmail ? ` <${organization.managementAccountEmail}>` : ''}`,
    `Trusted services: ${tree.trustedServices.length ? tree.trustedServices.join(', ') : '(none)'}`,
  ];
  const render = (node: OrganizationNode, prefix: string, connector: string, childPrefix: string) => {
    lines.push(`${prefix}${connector}${label(node, organization.managementAccountId)}`);
    const detailPrefix = `${prefix}${childPrefix}${node.children.length ? '│   ' : '    '}`;
    for (const detail of details(node)) lines.push(`${detailPrefix}${detail}`.trimEnd());
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      render(child, `${prefix}${childPrefix}`, last ? '└── ' : '├── ', last ? '    ' : '│   ');
    });
  };
  for (const root of tree.roots) render(root, '', '', '');
  return `${lines.join('\n')}\n`;
}

function label(node: OrganizationNode, managementAccountId: string): string {
  switch (node.kind) {
    case 'root':
      return `Root ${node.id}  policy types: ${node.policyTypes?.length ? node.policyTypes.join(', ') : '(none)'}`;
    case 'organizationalUnit':
      return `OU ${node.name} (${node.id})`;
    case 'account': {
      const notes = [
        ...(node.id === managementAccountId ? ['management account'] : []),
        ...(node.status && node.status !== 'ACTIVE' ? [node.status] : []),
      ];
      return `Account ${node.name} (${node.id}) <${node.email}>${notes.length ? ` [${notes.join(', ')}]` : ''}`;
    }
  }
}

function details(node: OrganizationNode): string[] {
  const lines = node.policies.map(policy =>
    `policy: ${policy.name} (${policy.id}, ${POLICY_TYPE_LABELS[policy.type] ?? policy.type}${policy.awsManaged ? ', AWS managed' : ''})`);
  if (node.delegatedServices?.length) lines.push(`delegated administrator for: ${node.delegatedServices.join(', ')}`);
  return lines;
}
