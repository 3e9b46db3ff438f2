import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('organization: not implemented yet'); };
export const organization: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
