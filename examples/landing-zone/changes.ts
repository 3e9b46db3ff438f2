/**
 * What changed in an organization between two readings of its tree: OUs and accounts added,
 * removed, renamed or moved, policies attached, detached or rewritten, policy types, trusted
 * services and delegated administrators enabled or disabled. Ids identify things, so a rename is a
 * rename and a move is a move, never a removal plus an addition.
 */
import type { OrganizationNode, OrganizationTree } from '../../local/deployer';

/** Policy id -> content, for the policies whose content should be compared. */
export type PolicyContents = ReadonlyMap<string, string>;

interface Placed {
  readonly node: OrganizationNode;
  readonly parent?: OrganizationNode;
}

function index(tree: OrganizationTree): Map<string, Placed> {
  const all = new Map<string, Placed>();
  const visit = (node: OrganizationNode, parent?: OrganizationNode) => {
    all.set(node.id, { node, parent });
    for (const child of node.children) visit(child, node);
  };
  for (const root of tree.roots) visit(root);
  return all;
}

const KIND: Record<OrganizationNode['kind'], string> = { root: 'Root', organizationalUnit: 'OU', account: 'Account' };
const label = (node: OrganizationNode) => (node.kind === 'root' ? `Root ${node.id}` : `${KIND[node.kind]} ${node.name} (${node.id})`);
const where = (parent: OrganizationNode | undefined) => (parent ? (parent.kind === 'root' ? 'Root' : `${KIND[parent.kind]} ${parent.name}`) : 'nowhere');

function added<T>(before: readonly T[] = [], after: readonly T[] = []): T[] {
  return after.filter(x => !before.includes(x));
}

/** The changes from `before` to `after`, one line each, `+` added, `-` removed, `~` changed. */
export function organizationChanges(
  before: OrganizationTree,
  after: OrganizationTree,
  contents?: { before: PolicyContents; after: PolicyContents },
): string[] {
  const lines: string[] = [];
  for (const service of added(before.trustedServices, after.trustedServices)) lines.push(`+ trusted access for ${service}`);
  for (const service of added(after.trustedServices, before.trustedServices)) lines.push(`- trusted access for ${service}`);

  const was = index(before);
  const now = index(after);
  for (const [id, { node, parent }] of now) {
    const old = was.get(id);
    if (!old) {
      lines.push(`+ ${label(node)} in ${where(parent)}`);
      continue;
    }
    if (old.node.name !== node.name) lines.push(`~ ${KIND[node.kind]} ${id} renamed: ${old.node.name} -> ${node.name}`);
    if (old.parent?.id !== parent?.id) lines.push(`~ ${label(node)} moved: ${where(old.parent)} -> ${where(parent)}`);
    for (const type of added(old.node.policyTypes, node.policyTypes)) lines.push(`+ policy type ${type} enabled on ${label(node)}`);
    for (const type of added(node.policyTypes, old.node.policyTypes)) lines.push(`- policy type ${type} disabled on ${label(node)}`);
    const oldPolicies = old.node.policies.map(p => p.id);
    const newPolicies = node.policies.map(p => p.id);
    for (const policy of node.policies.filter(p => !oldPolicies.includes(p.id))) lines.push(`+ policy ${policy.name} attached to ${label(node)}`);
    for (const policy of old.node.policies.filter(p => !newPolicies.includes(p.id))) lines.push(`- policy ${policy.name} detached from ${label(node)}`);
    for (const service of added(old.node.delegatedServices, node.delegatedServices)) lines.push(`+ ${label(node)} delegated administrator for ${service}`);
    for (const service of added(node.delegatedServices, old.node.delegatedServices)) lines.push(`- ${label(node)} no longer delegated administrator for ${service}`);
  }
  for (const [id, { node, parent }] of was) {
    if (!now.has(id)) lines.push(`- ${label(node)} from ${where(parent)}`);
  }
  if (contents) {
    const names = new Map([...was.values(), ...now.values()].flatMap(({ node }) => node.policies.map(p => [p.id, p.name] as const)));
    for (const [id, content] of contents.after) {
      const previous = contents.before.get(id);
      if (previous !== undefined && previous !== content) lines.push(`~ policy ${names.get(id) ?? id} (${id}) content changed`);
    }
    for (const id of contents.before.keys()) {
      if (!contents.after.has(id)) lines.push(`- policy ${names.get(id) ?? id} (${id}) deleted`);
    }
  }
  return lines;
}
