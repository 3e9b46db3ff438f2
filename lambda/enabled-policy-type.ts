import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('enabled-policy-type: not implemented yet'); };
export const enabledPolicyType: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
