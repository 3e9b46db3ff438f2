import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnabledPolicyType, FeatureSet, Organization, PolicyType, Root } from '../src';
import { ResourceType } from '../src/private/contract';

describe('EnabledPolicyType', () => {
  test('root and policy type, on the asynchronous provider (it waits for ENABLED)', () => {
    const stack = new Stack(new App(), 'Types');
    new EnabledPolicyType(stack, 'Backup', { root: Root.fromRootId(stack, 'Root', 'r-abcd'), policyType: PolicyType.BACKUP_POLICY });
    const template = Template.fromStack(stack);
    template.hasResource(ResourceType.ENABLED_POLICY_TYPE, {
      Properties: { RootId: 'r-abcd', PolicyType: 'BACKUP_POLICY', ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrganizationsProviderAsync'), 'Arn'] } },
      DeletionPolicy: 'Delete',
    });
  });

  test('applyRemovalPolicy(RETAIN) keeps the type enabled', () => {
    const stack = new Stack(new App(), 'Types');
    const enabled = new EnabledPolicyType(stack, 'Backup', { root: Root.fromRootId(stack, 'Root', 'r-abcd'), policyType: PolicyType.BACKUP_POLICY });
    enabled.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(ResourceType.ENABLED_POLICY_TYPE, { DeletionPolicy: 'Retain' });
  });

  test('declared twice for one root and type', () => {
    const stack = new Stack(new App(), 'Types');
    const root = Root.fromRootId(stack, 'Root', 'r-abcd');
    new EnabledPolicyType(stack, 'First', { root, policyType: PolicyType.BACKUP_POLICY });
    expect(() => new EnabledPolicyType(stack, 'Second', { root: Root.fromRootId(stack, 'Again', 'r-abcd'), policyType: PolicyType.BACKUP_POLICY }))
      .toThrow(/Types\/Second: policyType BACKUP_POLICY is already enabled on Types\/Again \(r-abcd\) by Types\/First/);
  });

  test('refused on the root of a consolidated-billing organization', () => {
    const stack = new Stack(new App(), 'Org');
    const organization = new Organization(stack, 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
    expect(() => new EnabledPolicyType(stack, 'Backup', { root: organization.root, policyType: PolicyType.BACKUP_POLICY }))
      .toThrow(/Org\/Backup: policyType BACKUP_POLICY cannot be enabled on Org\/Organization\/Root: the organization Org\/Organization has featureSet CONSOLIDATED_BILLING/);
  });
});
