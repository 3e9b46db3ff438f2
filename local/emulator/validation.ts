/**
 * Request validation as the API model states it: required members, types, lengths, patterns and
 * enums, each failure an `InvalidInputException` with the documented `Reason`. Operations declare
 * their input as a `Shape` built from the fields below; the dispatcher validates before running.
 */
import { fail, invalidInput } from './errors';
import { POLICY_TYPES } from './quotas';

/** The model's patterns, anchored (the model writes some as `^a|b$`, which would otherwise match too much). */
export const PATTERNS = {
  accountId: /^\d{12}$/,
  rootId: /^r-[0-9a-z]{4,32}$/,
  ouId: /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
  parentId: /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
  childId: /^(?:\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
  policyId: /^p-[0-9a-zA-Z_]{8,128}$/,
  targetId: /^(?:r-[0-9a-z]{4,32}|\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
  taggableId: /^(?:r-[0-9a-z]{4,32}|\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|p-[0-9a-zA-Z_]{8,128}|rp-[0-9a-zA-Z_]{4,128})$/,
  handshakeId: /^h-[0-9a-z]{8,32}$/,
  createAccountRequestId: /^car-[a-z0-9]{8,32}$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  accountName: /^[\u0020-\u007E]+$/,
  // The reference, for OU and policy names: "a string of any of the characters in the ASCII character range".
  ascii: /^[\u0000-\u007F]*$/,
  roleName: /^[\w+=,.@-]{1,64}$/,
  servicePrincipal: /^[\w+=,.@-]*$/,
  tag: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
} as const;

export interface StringField {
  readonly kind: 'string';
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** The reason when the pattern does not match (INVALID_PATTERN unless said otherwise). */
  readonly patternReason?: string;
}
export interface EnumField {
  readonly kind: 'enum';
  readonly required?: boolean;
  readonly values: readonly string[];
  readonly reason?: string;
}
export interface IntegerField {
  readonly kind: 'integer';
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}
export interface ListField {
  readonly kind: 'list';
  readonly required?: boolean;
  readonly member: Field;
}
export interface StructField {
  readonly kind: 'struct';
  readonly required?: boolean;
  readonly members: Shape;
}
export type Field = StringField | EnumField | IntegerField | ListField | StructField;
export type Shape = Readonly<Record<string, Field>>;

const required = <F extends Field>(field: F): F => ({ ...field, required: true });

/** The model's member shapes, optional; wrap in `req()` where the operation requires them. */
export const FIELDS = {
  accountId: { kind: 'string', max: 12, pattern: PATTERNS.accountId },
  rootId: { kind: 'string', max: 34, pattern: PATTERNS.rootId },
  ouId: { kind: 'string', max: 68, pattern: PATTERNS.ouId },
  parentId: { kind: 'string', max: 100, pattern: PATTERNS.parentId },
  childId: { kind: 'string', max: 100, pattern: PATTERNS.childId },
  policyId: { kind: 'string', max: 130, pattern: PATTERNS.policyId, patternReason: 'INVALID_SYNTAX_POLICY_ID' },
  targetId: { kind: 'string', max: 100, pattern: PATTERNS.targetId, patternReason: 'INVALID_PATTERN_TARGET_ID' },
  taggableId: { kind: 'string', max: 130, pattern: PATTERNS.taggableId },
  handshakeId: { kind: 'string', max: 34, pattern: PATTERNS.handshakeId },
  createAccountRequestId: { kind: 'string', max: 36, pattern: PATTERNS.createAccountRequestId },
  email: { kind: 'string', min: 6, max: 64, pattern: PATTERNS.email },
  accountName: { kind: 'string', min: 1, max: 50, pattern: PATTERNS.accountName },
  roleName: { kind: 'string', max: 64, pattern: PATTERNS.roleName },
  ouName: { kind: 'string', min: 1, max: 128, pattern: PATTERNS.ascii },
  policyName: { kind: 'string', min: 1, max: 128, pattern: PATTERNS.ascii },
  policyDescription: { kind: 'string', max: 512 },
  policyContent: { kind: 'string', min: 1, max: 1_000_000 },
  servicePrincipal: { kind: 'string', min: 1, max: 128, pattern: PATTERNS.servicePrincipal },
  handshakeNotes: { kind: 'string', max: 1024 },
  handshakePartyId: { kind: 'string', min: 1, max: 64 },
  nextToken: { kind: 'string', max: 100_000 },
  maxResults: { kind: 'integer', min: 1, max: 20 },
  policyType: { kind: 'enum', values: POLICY_TYPES, reason: 'INVALID_ENUM_POLICY_TYPE' },
  featureSet: { kind: 'enum', values: ['ALL', 'CONSOLIDATED_BILLING'] },
  billing: { kind: 'enum', values: ['ALLOW', 'DENY'] },
  childType: { kind: 'enum', values: ['ACCOUNT', 'ORGANIZATIONAL_UNIT'] },
  handshakeAction: {
    kind: 'enum',
    values: ['INVITE', 'ENABLE_ALL_FEATURES', 'APPROVE_ALL_FEATURES', 'ADD_ORGANIZATIONS_SERVICE_LINKED_ROLE', 'TRANSFER_RESPONSIBILITY'],
  },
  tagKey: { kind: 'string', min: 1, max: 128, pattern: PATTERNS.tag },
  tagValue: { kind: 'string', min: 0, max: 256, pattern: PATTERNS.tag },
} satisfies Record<string, Field>;

export const req = required;

export const TAGS: ListField = {
  kind: 'list',
  member: { kind: 'struct', members: { Key: req(FIELDS.tagKey), Value: req(FIELDS.tagValue) } },
};

/** NextToken and MaxResults of a paginated operation. */
export const PAGE: Shape = { NextToken: FIELDS.nextToken, MaxResults: FIELDS.maxResults };

/** Throws the first violation of `shape` by `input` (an object parsed from JSON). */
export function validate(shape: Shape, input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail('SerializationException', 'The request body must be a JSON object.');
  }
  validateMembers(shape, input as Record<string, unknown>, '');
}

/** `input` without its null members, at every level: AWS JSON reads a null member as absent, and so do the operations. */
export function withoutNulls(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(withoutNulls);
  if (typeof input !== 'object' || input === null) return input;
  // fromEntries defines own properties, so a "__proto__" member stays data.
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null).map(([key, value]) => [key, withoutNulls(value)]));
}

function validateMembers(shape: Shape, input: Record<string, unknown>, prefix: string): void {
  for (const [name, field] of Object.entries(shape)) {
    validateField(field, input[name], `${prefix}${name}`);
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function validateField(field: Field, value: unknown, path: string, inList = false): void {
  if (value === undefined || value === null) {
    if (field.required) invalidInput('INPUT_REQUIRED', `${path} is required but was not provided.`);
    return;
  }
  const listReason = (reason: string) => (inList ? 'INVALID_LIST_MEMBER' : reason);
  switch (field.kind) {
    case 'string': {
      if (typeof value !== 'string') fail('SerializationException', `${path} must be a string, got ${describe(value)}.`);
      if (field.min !== undefined && value.length < field.min) {
        invalidInput(listReason('MIN_LENGTH_EXCEEDED'), `${path} must be at least ${field.min} characters long, got ${value.length}.`);
      }
      if (field.max !== undefined && value.length > field.max) {
        invalidInput(listReason('MAX_LENGTH_EXCEEDED'), `${path} must be at most ${field.max} characters long, got ${value.length}.`);
      }
      if (field.pattern && !field.pattern.test(value)) {
        invalidInput(listReason(field.patternReason ?? 'INVALID_PATTERN'), `${path} ${describe(value)} does not match the pattern ${field.pattern.source}.`);
      }
      return;
    }
    case 'enum':
      if (typeof value !== 'string') fail('SerializationException', `${path} must be a string, got ${describe(value)}.`);
      if (!field.values.includes(value)) {
        invalidInput(listReason(field.reason ?? 'INVALID_ENUM'), `${path} ${describe(value)} is not one of ${field.values.join(', ')}.`);
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('SerializationException', `${path} must be an integer, got ${describe(value)}.`);
      if (field.min !== undefined && value < field.min) invalidInput('MIN_VALUE_EXCEEDED', `${path} must be at least ${field.min}, got ${value}.`);
      if (field.max !== undefined && value > field.max) invalidInput('MAX_VALUE_EXCEEDED', `${path} must be at most ${field.max}, got ${value}.`);
      return;
    case 'list':
      if (!Array.isArray(value)) fail('SerializationException', `${path} must be a list, got ${describe(value)}.`);
      value.forEach((member, index) => {
        if (member === null || member === undefined) invalidInput('INVALID_LIST_MEMBER', `${path}[${index}] must not be null.`);
        validateField({ ...field.member, required: true }, member, `${path}[${index}]`, field.member.kind !== 'struct');
      });
      return;
    case 'struct':
      if (typeof value !== 'object' || Array.isArray(value)) fail('SerializationException', `${path} must be a structure, got ${describe(value)}.`);
      validateMembers(field.members, value as Record<string, unknown>, `${path}.`);
      return;
  }
}
