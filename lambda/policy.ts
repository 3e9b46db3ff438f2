import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('policy: not implemented yet'); };
export const policy: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
