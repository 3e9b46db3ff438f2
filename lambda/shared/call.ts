/**
 * The one way a handler calls AWS. Every call is retried on the errors that mean "try again
 * shortly" (shared/retry.ts: throttling, conflicts, internal errors, of every service) until the
 * invocation's deadline, and every mutating call writes exactly one log line, before it is sent,
 * naming the operation and what identifies its target — never a policy document or an email.
 * `.send(` is allowed nowhere else in lambda/ (an eslint rule says so).
 */
import type { Command } from '@smithy/core/client';
import { withRetry } from './retry';
import type { HandlerContext } from './types';

/** The services a handler talks to: the clients of {@link HandlerContext}. */
export type Service = 'organizations' | 'account' | 'cloudformation';

export interface CallOptions {
  /** Epoch ms after which no new attempt starts (default: the invocation's deadline). */
  readonly deadline?: number;
  /** Error names to retry besides the usual ones. */
  readonly also?: string[];
  /** Extra fields for the log line of a mutating call (`why`, a name it had before...). */
  readonly log?: Record<string, unknown>;
}

/** Input fields that identify a call's target, and are safe to log. */
const LOGGED_FIELDS = [
  'AccountId', 'AccountName', 'SourceParentId', 'DestinationParentId', 'ParentId', 'OrganizationalUnitId', 'Name',
  'PolicyId', 'TargetId', 'Type', 'RootId', 'PolicyType', 'ServicePrincipal', 'ResourceId', 'TagKeys', 'HandshakeId',
  'FeatureSet',
];

/**
 * The operation a command calls (`MoveAccount`), from the SDK's operation schema: the minified
 * bundle renames the command classes, so their names cannot be trusted.
 */
export function operationName(command: { readonly schema?: unknown }): string {
  const schema = command.schema as { name?: unknown } | unknown[] | undefined;
  if (Array.isArray(schema) && typeof schema[2] === 'string') return schema[2];
  if (schema && !Array.isArray(schema) && typeof schema.name === 'string') return schema.name;
  return command.constructor.name.replace(/Command$/, '');
}

/** Reads (Describe, List, Get) are not logged: they change nothing and would drown the log. */
export function isMutating(operation: string): boolean {
  return !/^(Describe|List|Get)/.test(operation);
}

/** What the log line of a mutating call says about its input. */
function loggedInput(input: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of LOGGED_FIELDS) {
    if (input[key] !== undefined) fields[key.charAt(0).toLowerCase() + key.slice(1)] = input[key];
  }
  const tags = input.Tags as Array<{ Key?: string }> | undefined;
  if (tags) fields.tagKeys = tags.map(t => t.Key);
  if (typeof input.Content === 'string') fields.contentLength = input.Content.length;
  return fields;
}

/** Sends `command` with the client of `service`: retried until the deadline, logged if it changes anything. */
export async function call<Input extends object, Output extends object>(
  ctx: Pick<HandlerContext, Service | 'deadline' | 'log'>,
  service: Service,
  command: Command<Input, Output, any, any, any>,
  options: CallOptions = {},
): Promise<Output> {
  const operation = operationName(command);
  if (isMutating(operation)) ctx.log(operation, { ...loggedInput(command.input as Record<string, unknown>), ...options.log });
  const client = ctx[service] as unknown as { send(c: unknown): Promise<Output> };
  // eslint-disable-next-line no-restricted-syntax
  return withRetry(() => client.send(command), { deadline: options.deadline ?? ctx.deadline, also: options.also });
}

/** Every page of a paginated List* call: `page(token)` makes the command, `items` picks a page's items. */
export async function callAllPages<Input extends object, Output extends { NextToken?: string }, Item>(
  ctx: Pick<HandlerContext, Service | 'deadline' | 'log'>,
  service: Service,
  page: (token: string | undefined) => Command<Input, Output, any, any, any>,
  items: (output: Output) => Item[] | undefined,
): Promise<Item[]> {
  return listAllPages(async token => {
    const output = await call(ctx, service, page(token));
    return { items: items(output), next: output.NextToken };
  });
}

/** Collects every page of a paginated List* call. */
export async function listAllPages<T>(fetch: (token?: string) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    all.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return all;
}
