/** Every operation the emulator serves, by service and name. */
import { accountManagementOperations } from './account-management';
import { accountOperations } from './accounts';
import { Operations } from './common';
import { delegatedAdminOperations } from './delegated-admin';
import { handshakeOperations } from './handshakes';
import { organizationOperations } from './organization';
import { ouOperations } from './ous';
import { policyOperations } from './policies';
import { resourcePolicyOperations } from './resource-policy';
import { tagOperations } from './tags';

/** AWS Organizations (JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.<name>`). */
export const ORGANIZATIONS_OPERATIONS: Operations = {
  ...organizationOperations,
  ...accountOperations,
  ...ouOperations,
  ...policyOperations,
  ...handshakeOperations,
  ...delegatedAdminOperations,
  ...resourcePolicyOperations,
  ...tagOperations,
};

/** Account Management (restJson1, `POST /<operationInCamelCase>`). */
export const ACCOUNT_OPERATIONS: Operations = accountManagementOperations;
