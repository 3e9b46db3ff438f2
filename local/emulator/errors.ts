/**
 * The one error factory: every refusal of an operation is an `ApiError` whose code is the modelled
 * exception name, so the SDK raises that class (`ConstraintViolationException` with its `Reason`, ...).
 */

/** HTTP status of the errors that are not 400. */
const STATUS: Readonly<Record<string, number>> = {
  ServiceException: 500,
  // An oversized body is refused by AWS's front end, before the service's protocol.
  RequestEntityTooLargeException: 413,
  // Account Management (restJson1) binds a status to each error.
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  InternalServerException: 500,
};

/** Account Management answers these with their own status, where Organizations (JSON 1.1) says 400. */
const ACCOUNT_SERVICE_STATUS: Readonly<Record<string, number>> = {
  TooManyRequestsException: 429,
};

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly reason?: string) {
    super(message);
    this.name = code;
  }

  /** The HTTP status for `service`: Organizations uses 400 for every client error, even throttling. */
  status(service: 'organizations' | 'account'): number {
    if (service === 'organizations') return this.code === 'ServiceException' || this.code === 'RequestEntityTooLargeException' ? STATUS[this.code] : 400;
    return ACCOUNT_SERVICE_STATUS[this.code] ?? STATUS[this.code] ?? 400;
  }
}

/** Throws the modelled exception `code`, with a `Reason` when the exception has one. */
export function fail(code: string, message: string, reason?: string): never {
  throw new ApiError(code, message, reason);
}

export function invalidInput(reason: string, message: string): never {
  return fail('InvalidInputException', message, reason);
}

export function constraintViolation(reason: string, message: string): never {
  return fail('ConstraintViolationException', message, reason);
}
