/**
 * The way out of a stack state that blocks deploys (UPDATE_ROLLBACK_FAILED, DELETE_FAILED,
 * ROLLBACK_FAILED, an operation left in progress): the command the messages suggest.
 */
import type { ResourceRecord, StackDocument } from './store';

/** The command prefix the messages suggest. */
export const CLI = 'cdk-organizations';

/** The library's account resource, and the removal actions that close or remove an account. */
const ACCOUNT_TYPE = 'Custom::Organizations_Account';
const REMOVAL_ACTION_PROPERTY = 'RemovalAction';
const DESTRUCTIVE_REMOVAL_ACTIONS = ['CLOSE', 'REMOVE_FROM_ORGANIZATION'];

/** Remaining resources to keep when deleting a stuck stack: the failed ones, and every account that deletion would close or remove. */
export function retainSuggestion(doc: StackDocument): string[] {
  return Object.entries(doc.resources)
    .filter(([, record]) => record.status === 'DELETE_FAILED' || record.status === 'UPDATE_FAILED' || closesAccount(record))
    .map(([id]) => id);
}

function closesAccount(record: ResourceRecord): boolean {
  return record.type === ACCOUNT_TYPE && DESTRUCTIVE_REMOVAL_ACTIONS.includes(String(record.properties[REMOVAL_ACTION_PROPERTY]));
}

/**
 * The command that gets a stack out of a state that blocks deploys. It never suggests deleting
 * resources the stack still declares with a removal action that closes or removes an account.
 */
export function wayOut(doc: StackDocument, operation: 'deploy' | 'destroy'): string | undefined {
  const name = doc.stackName;
  switch (doc.status) {
    case 'UPDATE_ROLLBACK_FAILED': {
      const remaining = Object.entries(doc.operation?.touched ?? {}).filter(([, touch]) => ['updating', 'updated', 'replaced'].includes(touch.kind)).map(([id]) => id);
      const failed = remaining.filter(id => doc.resources[id]?.status === 'UPDATE_FAILED');
      return `Fix what made the rollback fail, then run '${CLI} deploy ${name} --continue-rollback' to finish it; `
        + `to leave resources as they are and finish it anyway, add '--resources-to-skip ${(failed.length ? failed : remaining).join(',') || 'ID,...'}'.`
        + ' Then deploy again.';
    }
    case 'DELETE_FAILED':
    case 'ROLLBACK_FAILED': {
      const keep = retainSuggestion(doc);
      const accounts = Object.values(doc.resources).some(closesAccount);
      return `Run '${CLI} destroy ${name} --retain-resources ${keep.join(',') || 'ID,...'}' to finish deleting the stack and keep these resources as they are`
        + `${accounts ? ' (accounts included: deleting them would close or remove them)' : ''}; a later deploy adopts what the app still declares.`
        + (accounts ? '' : ` Or fix the cause and run '${CLI} destroy ${name}' again.`);
    }
    default:
      if (doc.status.endsWith('_IN_PROGRESS')) return `Run '${CLI} ${operation} ${name}' again: it first finishes what was left in progress.`;
      return undefined;
  }
}
