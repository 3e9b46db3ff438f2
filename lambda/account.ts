import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('account: not implemented yet'); };
export const account: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
