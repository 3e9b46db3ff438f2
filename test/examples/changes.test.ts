import { organizationChanges } from '../../examples/landing-zone/changes';
import type { OrganizationNode, OrganizationTree } from '../../local/deployer';

const policy = (id: string, name: string) => ({ id, name, type: 'SERVICE_CONTROL_POLICY', awsManaged: false });

function node(kind: OrganizationNode['kind'], id: string, name: string, extra: Partial<OrganizationNode> = {}): OrganizationNode {
  return { kind, id, name, policies: [], children: [], ...extra };
}

function tree(root: OrganizationNode, trustedServices: string[] = []): OrganizationTree {
  return { roots: [root], trustedServices };
}

const account = node('account', '111111111111', 'app');

test('no change, no line', () => {
  const t = tree(node('root', 'r-ab12', 'Root', { children: [node('organizationalUnit', 'ou-ab12-11111111', 'Dev', { children: [account] })] }));
  expect(organizationChanges(t, t)).toEqual([]);
});

test('a rename and a move are reported as such, by id, not as a removal and an addition', () => {
  const before = tree(node('root', 'r-ab12', 'Root', {
    children: [
      node('organizationalUnit', 'ou-ab12-11111111', 'Sandbox', { children: [account] }),
      node('organizationalUnit', 'ou-ab12-22222222', 'Dev'),
    ],
  }));
  const after = tree(node('root', 'r-ab12', 'Root', {
    children: [
      node('organizationalUnit', 'ou-ab12-11111111', 'Experiments'),
      node('organizationalUnit', 'ou-ab12-22222222', 'Dev', { children: [account] }),
    ],
  }));
  expect(organizationChanges(before, after)).toEqual([
    '~ OU ou-ab12-11111111 renamed: Sandbox -> Experiments',
    '~ Account app (111111111111) moved: OU Sandbox -> OU Dev',
  ]);
});

test('additions and removals of OUs, attachments, policy types, trusted access and delegated administrators', () => {
  const before = tree(node('root', 'r-ab12', 'Root', {
    policyTypes: ['SERVICE_CONTROL_POLICY'],
    policies: [policy('p-aaaaaaaa', 'deny-leave')],
    children: [node('organizationalUnit', 'ou-ab12-11111111', 'Old'), { ...account, delegatedServices: ['guardduty.amazonaws.com'] }],
  }), ['guardduty.amazonaws.com']);
  const after = tree(node('root', 'r-ab12', 'Root', {
    policyTypes: ['SERVICE_CONTROL_POLICY', 'TAG_POLICY'],
    policies: [policy('p-bbbbbbbb', 'tags')],
    children: [node('organizationalUnit', 'ou-ab12-33333333', 'New'), { ...account, delegatedServices: ['securityhub.amazonaws.com'] }],
  }), ['securityhub.amazonaws.com']);
  expect(organizationChanges(before, after)).toEqual([
    '+ trusted access for securityhub.amazonaws.com',
    '- trusted access for guardduty.amazonaws.com',
    '+ policy type TAG_POLICY enabled on Root r-ab12',
    '+ policy tags attached to Root r-ab12',
    '- policy deny-leave detached from Root r-ab12',
    '+ OU New (ou-ab12-33333333) in Root',
    '+ Account app (111111111111) delegated administrator for securityhub.amazonaws.com',
    '- Account app (111111111111) no longer delegated administrator for guardduty.amazonaws.com',
    '- OU Old (ou-ab12-11111111) from Root',
  ]);
});

test('policy contents: a rewrite and a deletion, named after the policy', () => {
  const t = tree(node('root', 'r-ab12', 'Root', { policies: [policy('p-aaaaaaaa', 'regions')] }));
  const contents = {
    before: new Map([['p-aaaaaaaa', '{"a":1}'], ['p-cccccccc', '{}']]),
    after: new Map([['p-aaaaaaaa', '{"a":2}']]),
  };
  expect(organizationChanges(t, t, contents)).toEqual([
    '~ policy regions (p-aaaaaaaa) content changed',
    '- policy p-cccccccc (p-cccccccc) deleted',
  ]);
});
