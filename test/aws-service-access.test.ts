import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsServiceAccess, FeatureSet, Organization } from '../src';
import { ResourceType } from '../src/private/contract';

describe('AwsServiceAccess', () => {
  test('service principal', () => {
    const stack = new Stack(new App(), 'Access');
    new AwsServiceAccess(stack, 'Sso', { servicePrincipal: 'sso.amazonaws.com' });
    Template.fromStack(stack).hasResource(ResourceType.AWS_SERVICE_ACCESS, {
      Properties: { ServicePrincipal: 'sso.amazonaws.com' },
      DeletionPolicy: 'Delete',
    });
  });

  test('after the Organization of the app', () => {
    const stack = new Stack(new App(), 'Access');
    const organization = new Organization(stack, 'Organization');
    new AwsServiceAccess(stack, 'Sso', { servicePrincipal: 'sso.amazonaws.com' });
    Template.fromStack(stack).hasResource(ResourceType.AWS_SERVICE_ACCESS, {
      DependsOn: [stack.getLogicalId(organization.node.defaultChild!.node.defaultChild as any)],
    });
  });

  test('applyRemovalPolicy(RETAIN) keeps trusted access', () => {
    const stack = new Stack(new App(), 'Access');
    new AwsServiceAccess(stack, 'Sso', { servicePrincipal: 'sso.amazonaws.com' }).applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(ResourceType.AWS_SERVICE_ACCESS, { DeletionPolicy: 'Retain' });
  });

  test('a malformed principal', () => {
    expect(() => new AwsServiceAccess(new Stack(new App(), 'Access'), 'Sso', { servicePrincipal: '' }))
      .toThrow(/Access\/Sso: servicePrincipal must be at least 1 character long/);
  });

  test('refused in a consolidated-billing organization', () => {
    const stack = new Stack(new App(), 'Access');
    new Organization(stack, 'Organization', { featureSet: FeatureSet.CONSOLIDATED_BILLING });
    expect(() => new AwsServiceAccess(stack, 'Sso', { servicePrincipal: 'sso.amazonaws.com' }))
      .toThrow(/servicePrincipal sso.amazonaws.com: trusted access needs all features, and the organization Access\/Organization has featureSet CONSOLIDATED_BILLING/);
  });
});
