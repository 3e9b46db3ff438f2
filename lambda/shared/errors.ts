/**
 * Errors that reach CloudFormation as the reason a resource failed. Their message is what the user
 * reads in the stack events, so it says what went wrong and what to do.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** True when `error` is an AWS SDK (or plain) error whose `name` is one of `names`. */
export function isError(error: unknown, ...names: string[]): boolean {
  return typeof error === 'object' && error !== null && names.includes((error as { name?: string }).name ?? '');
}

/** The `Reason` of a `ConstraintViolationException` (or other modelled error that has one). */
export function reasonOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { Reason?: string }).Reason : undefined;
}
