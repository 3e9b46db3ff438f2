import { UserError } from './shared/errors';
import type { ResourceHandler } from './shared/types';

// PLACEHOLDER: replaced by the real module.
const notYet = async (): Promise<never> => { throw new UserError('organizational-unit: not implemented yet'); };
export const organizationalUnit: ResourceHandler = { onCreate: notYet, onUpdate: notYet, onDelete: notYet };
