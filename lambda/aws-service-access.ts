import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('aws-service-access: not implemented yet'); };
export const awsServiceAccess: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
