/**
 * The one pagination helper: every List operation with a paginator pages the same way. A
 * NextToken names the operation and the sort key of the last item returned, so a page boundary
 * survives items being added or removed in between, and a token of another operation is refused.
 */
import { invalidInput } from './errors';

/** MaxResults when the request does not say (the API's maximum). */
export const DEFAULT_PAGE_SIZE = 20;

export interface PageRequest {
  readonly NextToken?: string;
  readonly MaxResults?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

interface TokenBody {
  readonly op: string;
  readonly after: string;
}

function decode(token: string, operation: string): string {
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return invalidInput('INVALID_NEXT_TOKEN', `NextToken ${JSON.stringify(token.slice(0, 40))} is not a token this operation returned.`);
  }
  if (body?.op !== operation || typeof body.after !== 'string') {
    invalidInput('INVALID_NEXT_TOKEN', `NextToken was not returned by ${operation}; pass the NextToken of the previous ${operation} response.`);
  }
  return body.after as string;
}

/**
 * The page of `items` (sorted ascending by `key`) that `request` asks for. `key` must be unique
 * and stable: a sequence number or an id.
 */
export function paginate<T>(operation: string, items: readonly T[], key: (item: T) => string, request: PageRequest): Page<T> {
  const size = request.MaxResults ?? DEFAULT_PAGE_SIZE;
  let start = 0;
  if (request.NextToken !== undefined && request.NextToken !== '') {
    const after = decode(request.NextToken, operation);
    start = items.findIndex(item => key(item) > after);
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  const nextToken = more
    ? Buffer.from(JSON.stringify({ op: operation, after: key(slice[slice.length - 1]) } satisfies TokenBody)).toString('base64url')
    : undefined;
  return { items: slice, nextToken };
}

/** A sort key for sequence numbers: fixed width, so string order is numeric order. */
export const seqKey = (seq: number): string => String(seq).padStart(12, '0');
