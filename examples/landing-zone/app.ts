/**
 * A landing zone as a platform team would declare it: the organization, its OUs, the shared
 * accounts, a few SCPs (one written as typed IAM statements), a tag policy, and delegated
 * administrators for the security services.
 *
 * Version 2 is the same app one change request later: the Sandbox OU is renamed, an account moves,
 * the region-restriction SCP allows one more region, and the root-user SCP is removed.
 *
 *   npx ts-node examples/landing-zone/app.ts            # synthesizes version 1 into cdk.out
 *   npx ts-node examples/landing-zone/app.ts 2          # version 2
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  Account,
  DelegatedAdministrator,
  Organization,
  OrganizationalUnit,
  Policy,
  PolicyContent,
  PolicyType,
} from '../../src';

/** Which version of the landing zone to declare. */
export type LandingZoneVersion = 1 | 2;

export interface LandingZoneProps extends StackProps {
  readonly version: LandingZoneVersion;
}

/** The stack that holds the whole organization. */
export class LandingZone extends Stack {
  public readonly organization: Organization;

  constructor(scope: Construct, id: string, props: LandingZoneProps) {
    super(scope, id, props);
    const v2 = props.version === 2;

    this.organization = new Organization(this, 'Organization');
    const root = this.organization.root;

    const security = new OrganizationalUnit(this, 'Security', { organizationalUnitName: 'Security', parent: root });
    const infrastructure = new OrganizationalUnit(this, 'Infrastructure', { organizationalUnitName: 'Infrastructure', parent: root });
    const workloads = new OrganizationalUnit(this, 'Workloads', { organizationalUnitName: 'Workloads', parent: root });
    const prod = new OrganizationalUnit(this, 'Prod', { organizationalUnitName: 'Prod', parent: workloads, tags: { environment: 'prod' } });
    const dev = new OrganizationalUnit(this, 'Dev', { organizationalUnitName: 'Dev', parent: workloads, tags: { environment: 'dev' } });
    // Change request: "Sandbox" becomes "Experiments" (renamed in place, same OU id).
    const sandbox = new OrganizationalUnit(this, 'Sandbox', { organizationalUnitName: v2 ? 'Experiments' : 'Sandbox', parent: root });

    new Account(this, 'LogArchive', { accountName: 'log-archive', email: 'aws+log-archive@example.com', parent: security });
    const audit = new Account(this, 'Audit', { accountName: 'audit', email: 'aws+audit@example.com', parent: security });
    new Account(this, 'Network', { accountName: 'network', email: 'aws+network@example.com', parent: infrastructure });
    new Account(this, 'ProdApp', {
      accountName: 'prod-app',
      email: 'aws+prod-app@example.com',
      parent: prod,
      tags: { 'cost-center': 'cc-100' },
    });
    new Account(this, 'DevApp', {
      accountName: 'dev-app',
      email: 'aws+dev-app@example.com',
      parent: dev,
      tags: { 'cost-center': 'cc-200' },
    });
    // Change request: the team's sandbox becomes its dev account (moved, same account).
    new Account(this, 'TeamSandbox', { accountName: 'team-sandbox', email: 'aws+team-sandbox@example.com', parent: v2 ? dev : sandbox });

    // SCPs. This one is written as typed IAM statements.
    const denyLeaving = new Policy(this, 'DenyLeaveOrganization', {
      policyName: 'deny-leave-organization',
      policyType: PolicyType.SERVICE_CONTROL_POLICY,
      description: 'Member accounts cannot leave the organization',
      content: PolicyContent.fromPolicyDocument(new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['organizations:LeaveOrganization'],
          resources: ['*'],
        })],
      })),
    });
    denyLeaving.attachTo(root);

    // Change request: eu-central-1 is allowed too.
    const regions = v2 ? ['us-east-1', 'eu-west-1', 'eu-central-1'] : ['us-east-1', 'eu-west-1'];
    const allowedRegions = new Policy(this, 'AllowedRegions', {
      policyName: 'allowed-regions',
      policyType: PolicyType.SERVICE_CONTROL_POLICY,
      description: 'Workloads run in the approved regions only',
      content: PolicyContent.fromJson({
        Version: '2012-10-17',
        Statement: [{
          Sid: 'DenyOutsideApprovedRegions',
          Effect: 'Deny',
          NotAction: ['iam:*', 'organizations:*', 'sts:*', 'support:*', 'cloudfront:*', 'route53:*'],
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:RequestedRegion': regions } },
        }],
      }),
    });
    allowedRegions.attachTo(workloads);
    allowedRegions.attachTo(sandbox);

    const protectSecurityServices = new Policy(this, 'ProtectSecurityServices', {
      policyName: 'protect-security-services',
      policyType: PolicyType.SERVICE_CONTROL_POLICY,
      content: PolicyContent.fromJson({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Deny',
          Action: ['guardduty:DeleteDetector', 'guardduty:DisassociateFromMasterAccount', 'securityhub:DisableSecurityHub', 'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail'],
          Resource: '*',
        }],
      }),
    });
    protectSecurityServices.attachTo(security);
    protectSecurityServices.attachTo(workloads);

    // Change request: the root-user SCP is removed (the policy is detached and deleted).
    if (!v2) {
      const denyRootUser = new Policy(this, 'DenyRootUser', {
        policyName: 'deny-root-user',
        policyType: PolicyType.SERVICE_CONTROL_POLICY,
        content: PolicyContent.fromJson({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } } }],
        }),
      });
      denyRootUser.attachTo(workloads);
    }

    const costCenterTags = new Policy(this, 'CostCenterTags', {
      policyName: 'cost-center-tags',
      policyType: PolicyType.TAG_POLICY,
      content: PolicyContent.fromJson({
        tags: {
          'cost-center': {
            tag_key: { '@@assign': 'cost-center' },
            tag_value: { '@@assign': ['cc-100', 'cc-200', 'cc-300'] },
          },
        },
      }),
    });
    costCenterTags.attachTo(root);

    // The audit account administers the security services; trusted access is enabled first.
    new DelegatedAdministrator(this, 'GuardDutyAdmin', { account: audit, servicePrincipal: 'guardduty.amazonaws.com' });
    new DelegatedAdministrator(this, 'SecurityHubAdmin', { account: audit, servicePrincipal: 'securityhub.amazonaws.com' });
  }
}

/** The landing zone app, as `cdk synth` would build it. */
export function landingZoneApp(version: LandingZoneVersion, outdir?: string): App {
  const app = new App({ outdir });
  new LandingZone(app, 'LandingZone', { version });
  return app;
}

if (require.main === module) {
  const version = Number(process.argv[2] ?? process.env.LANDING_ZONE_VERSION ?? 1);
  if (version !== 1 && version !== 2) throw new Error(`The landing zone has versions 1 and 2, got ${process.argv[2]}`);
  landingZoneApp(version).synth();
}
