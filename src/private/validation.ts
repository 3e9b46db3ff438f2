/**
 * Synth-time validation: the anchored patterns and length limits of the AWS Organizations API
 * reference in one place, and helpers that skip unresolved tokens and name the prop, the rule and
 * the value in their messages.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A rule a string must follow: a length range, a pattern, or both. */
export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** The pattern in words, for the message. */
  readonly describe?: string;
}

/** The rules of the API reference (CreateAccount, CreateOrganizationalUnit, CreatePolicy, ...). */
export const Rules = {
  ACCOUNT_NAME: { min: 1, max: 50, pattern: /^[\u0020-\u007E]+$/, describe: 'printable ASCII characters (\\u0020-\\u007E)' },
  EMAIL: { min: 6, max: 64, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, describe: 'an email address (local@domain.tld)' },
  ROLE_NAME: { min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, describe: 'letters, digits and the characters +=,.@_-' },
  // The API reference: "a string of any of the characters in the ASCII character range".
  ORGANIZATIONAL_UNIT_NAME: { min: 1, max: 128, pattern: /^[\u0000-\u007F]+$/, describe: 'ASCII characters' },
  POLICY_NAME: { min: 1, max: 128, pattern: /^[\u0000-\u007F]+$/, describe: 'ASCII characters' },
  POLICY_DESCRIPTION: { max: 512 },
  SERVICE_PRINCIPAL: { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, describe: 'a service principal such as guardduty.amazonaws.com' },
  ACCOUNT_ID: { pattern: /^\d{12}$/, describe: '12 digits' },
  ROOT_ID: { pattern: /^r-[0-9a-z]{4,32}$/, describe: '"r-" followed by 4 to 32 lowercase letters or digits' },
  ORGANIZATIONAL_UNIT_ID: {
    pattern: /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
    describe: '"ou-", 4 to 32 lowercase letters or digits (the root id without "r-"), "-", then 8 to 32 lowercase letters or digits',
  },
  POLICY_ID: { pattern: /^p-[0-9a-zA-Z_]{8,128}$/, describe: '"p-" followed by 8 to 128 letters, digits or underscores' },
  ORGANIZATION_ID: { pattern: /^o-[a-z0-9]{10,32}$/, describe: '"o-" followed by 10 to 32 lowercase letters or digits' },
  POLICY_TYPE: { min: 1, max: 128, pattern: /^[A-Z0-9_]+$/, describe: 'uppercase letters, digits and underscores, as the API spells policy types' },
} satisfies Record<string, StringRule>;

/** The message prefix that locates an error: the construct path, when there is a construct. */
function where(scope: IConstruct | undefined): string {
  return scope ? `${scope.node.path}: ` : '';
}

/** Throws an error located at `scope`. */
export function fail(scope: IConstruct | undefined, message: string): never {
  throw new Error(`${where(scope)}${message}`);
}

/**
 * Checks `value` of prop `prop` against `rule`. Unresolved tokens (and strings that contain one)
 * are skipped: their value is only known at deployment.
 */
export function validateString(scope: IConstruct | undefined, prop: string, value: string | undefined, rule: StringRule): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const shown = JSON.stringify(value);
  if (rule.min !== undefined && value.length < rule.min) {
    fail(scope, `${prop} must be at least ${rule.min} character${rule.min === 1 ? '' : 's'} long, got ${shown} (${value.length}).`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    fail(scope, `${prop} must be at most ${rule.max} characters long, got ${value.length} characters: ${shown}.`);
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    fail(scope, `${prop} must be ${rule.describe ?? `of the form ${rule.pattern}`} (pattern ${rule.pattern}), got ${shown}.`);
  }
}

/** A value that is known at synth time (not a token), lowercased when `caseInsensitive`. */
export function knownValue(value: string | undefined, caseInsensitive = false): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  return caseInsensitive ? value.toLowerCase() : value;
}

/** `Path/To/Construct (id)` for messages, or just the path when the id is a token. */
export function describeConstruct(construct: IConstruct, id: string | undefined): string {
  return id === undefined || Token.isUnresolved(id) ? construct.node.path : `${construct.node.path} (${id})`;
}
