/** Progress lines in the manner of `cdk deploy`: one per stack or resource event. */
import type { StackEvent, StackResult } from './engine';

/** `  1.25s | Stack | CREATE_COMPLETE      | Custom::Organizations_Account | Audit/Resource (AuditResource12AB)` */
export function formatEvent(event: StackEvent): string {
  const elapsed = `${(event.elapsedMs / 1000).toFixed(2)}s`.padStart(8);
  const resource = event.constructPath ? `${event.constructPath} (${event.logicalId})` : event.logicalId;
  const showReason = event.reason && /FAILED|ROLLBACK_IN_PROGRESS/.test(event.status);
  const reason = showReason ? ` | ${event.reason!.replace(/\s*\n\s*/g, ' ').trim()}` : '';
  return `${elapsed} | ${event.stackName} | ${event.status.padEnd(20)} | ${event.resourceType} | ${resource}${reason}`;
}

/** The closing line of a stack, with what happened to its resources. */
export function formatSummary(result: StackResult): string {
  const line = summaryLine(result);
  return result.next ? `${line}\n     ➜  ${result.next}` : line;
}

function summaryLine(result: StackResult): string {
  if (result.operation === 'destroy') {
    if (result.status === undefined && result.success) return ` ✅  ${result.stackName}: does not exist, nothing to destroy`;
    return result.success
      ? ` ✅  ${result.stackName}: destroyed (${result.counts.deleted} deleted, ${result.counts.retained} retained)`
      : ` ❌  ${result.stackName} failed to destroy${result.status ? ` (${result.status})` : ''}: ${flatten(result.error)}`;
  }
  if (!result.success) return ` ❌  ${result.stackName} failed${result.status ? ` (${result.status})` : ''}: ${flatten(result.error)}`;
  if (result.noChanges) return ` ✅  ${result.stackName} (no changes)`;
  const c = result.counts;
  const left = result.error ? `; left behind after a failed delete: ${flatten(result.error)}` : '';
  return ` ✅  ${result.stackName} (${result.status}): ${c.created} created, ${c.updated} updated, ${c.replaced} replaced, `
    + `${c.deleted} deleted, ${c.retained} retained, ${c.unchanged} unchanged${left}`;
}

export function formatOutputs(result: StackResult): string[] {
  return Object.entries(result.outputs).map(([name, value]) => `${result.stackName}.${name} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function flatten(text: string | undefined): string {
  return (text ?? 'unknown error').replace(/\s*\n\s*/g, ' ').trim();
}
