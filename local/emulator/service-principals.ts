/**
 * The AWS services that integrate with Organizations ("AWS services that you can use with AWS
 * Organizations"), by service principal: whether they support a delegated administrator, and how
 * many at once. Any other principal is UNRECOGNIZED_SERVICE_PRINCIPAL.
 */
export interface ServicePrincipal {
  /** Delegated administrators the service allows at once; 0 when it has no delegated administrator. */
  readonly maxDelegatedAdministrators: number;
}

const one = { maxDelegatedAdministrators: 1 };
const none = { maxDelegatedAdministrators: 0 };

export const SERVICE_PRINCIPALS: Readonly<Record<string, ServicePrincipal>> = {
  'access-analyzer.amazonaws.com': one,
  'account.amazonaws.com': one,
  'auditmanager.amazonaws.com': one,
  'aws-artifact-account-sync.amazonaws.com': none,
  'backup.amazonaws.com': one,
  'member.org.stacksets.cloudformation.amazonaws.com': { maxDelegatedAdministrators: 5 },
  'cloudtrail.amazonaws.com': { maxDelegatedAdministrators: 3 },
  'compute-optimizer.amazonaws.com': one,
  'config.amazonaws.com': { maxDelegatedAdministrators: 3 },
  'config-multiaccountsetup.amazonaws.com': { maxDelegatedAdministrators: 3 },
  'controltower.amazonaws.com': none,
  'cost-optimization-hub.bcm.amazonaws.com': one,
  'declarative-policies.ec2.amazonaws.com': none,
  'detective.amazonaws.com': one,
  'devops-guru.amazonaws.com': one,
  'ds.amazonaws.com': none,
  'fms.amazonaws.com': { maxDelegatedAdministrators: 10 },
  'guardduty.amazonaws.com': one,
  'health.amazonaws.com': { maxDelegatedAdministrators: 5 },
  'iam.amazonaws.com': one,
  'inspector2.amazonaws.com': one,
  'ipam.amazonaws.com': one,
  'license-manager.amazonaws.com': one,
  'macie.amazonaws.com': one,
  'networkmanager.amazonaws.com': one,
  'ram.amazonaws.com': one,
  'reachabilityanalyzer.networkinsights.amazonaws.com': { maxDelegatedAdministrators: 5 },
  'resource-explorer-2.amazonaws.com': none,
  'securityhub.amazonaws.com': one,
  'securitylake.amazonaws.com': one,
  'security-ir.amazonaws.com': one,
  'servicecatalog.amazonaws.com': one,
  'servicequotas.amazonaws.com': none,
  'ssm.amazonaws.com': one,
  'sso.amazonaws.com': one,
  'storage-lens.s3.amazonaws.com': { maxDelegatedAdministrators: 5 },
  'tagpolicies.tag.amazonaws.com': none,
  'trustedadvisor.amazonaws.com': none,
  'wellarchitected.amazonaws.com': one,
};
