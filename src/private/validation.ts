/**
 * Synth-time validation: the anchored patterns and length limits of the AWS Organizations API
 * reference in one place (those the handlers need too, of ids and tags, come from the contract),
 * and one helper that checks a prop now when its value is known, or once the app is complete when
 * it is a token that resolves to a plain string then (a `Lazy`), naming the prop, the rule and the
 * value in its message.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { DEFAULT_ROLE_NAME, IdPattern, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from './contract';

/** A rule a string must follow: a length range, a pattern, or both. */
export interface StringRule {
  /** Characters (code points, as the API counts them). */
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** The pattern in words, for the message. */
  readonly describe?: string;
  /** A further rule: returns what is wrong with the value (completing "<prop> ..."), or undefined. */
  readonly check?: (value: string) => string | undefined;
}

/** Prefix of the names IAM gives service-linked roles (`AWSServiceRoleForOrganizations`, ...). */
export const SERVICE_LINKED_ROLE_PREFIX = 'AWSServiceRoleFor';

/** The API reference's pattern of tag keys and values: letters, separators and digits of any script, and `_.:/=+-@`. */
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_CHARACTERS = 'Unicode letters, digits, spaces and the characters _.:/=+-@';

/** The rules of the API reference (CreateAccount, CreateOrganizationalUnit, CreatePolicy, Tag, ...). */
export const Rules = {
  ACCOUNT_NAME: { min: 1, max: 50, pattern: /^[\u0020-\u007E]+$/, describe: 'printable ASCII characters (\\u0020-\\u007E)' },
  EMAIL: { min: 6, max: 64, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, describe: 'an email address (local@domain.tld)' },
  ROLE_NAME: {
    min: 1,
    max: 64,
    pattern: /^[\w+=,.@-]+$/,
    describe: 'letters, digits and the characters +=,.@_-',
    // IAM names compare without case, so the reserved prefix does too.
    check: (value: string) => value.toLowerCase().startsWith(SERVICE_LINKED_ROLE_PREFIX.toLowerCase())
      ? `must not start with "${SERVICE_LINKED_ROLE_PREFIX}", which IAM reserves for service-linked roles (CreateAccount would fail). `
        + `Choose another name, or leave it out for ${DEFAULT_ROLE_NAME}`
      : undefined,
  },
  // The API reference: "a string of any of the characters in the ASCII character range".
  ORGANIZATIONAL_UNIT_NAME: { min: 1, max: 128, pattern: /^[\u0000-\u007F]+$/, describe: 'ASCII characters' },
  POLICY_NAME: { min: 1, max: 128, pattern: /^[\u0000-\u007F]+$/, describe: 'ASCII characters' },
  POLICY_DESCRIPTION: { max: 512 },
  SERVICE_PRINCIPAL: { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, describe: 'a service principal such as guardduty.amazonaws.com' },
  TAG_KEY: { min: 1, max: MAX_TAG_KEY_LENGTH, pattern: TAG_PATTERN, describe: TAG_CHARACTERS },
  TAG_VALUE: { min: 0, max: MAX_TAG_VALUE_LENGTH, pattern: TAG_PATTERN, describe: TAG_CHARACTERS },
  ACCOUNT_ID: { pattern: IdPattern.ACCOUNT, describe: '12 digits' },
  ROOT_ID: { pattern: IdPattern.ROOT, describe: '"r-" followed by 4 to 32 lowercase letters or digits' },
  ORGANIZATIONAL_UNIT_ID: {
    pattern: IdPattern.ORGANIZATIONAL_UNIT,
    describe: '"ou-", 4 to 32 lowercase letters or digits (the root id without "r-"), "-", then 8 to 32 lowercase letters or digits',
  },
  POLICY_ID: { pattern: IdPattern.POLICY, describe: '"p-" followed by 8 to 128 letters, digits or underscores' },
  ORGANIZATION_ID: { pattern: IdPattern.ORGANIZATION, describe: '"o-" followed by 10 to 32 lowercase letters or digits' },
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

/** What is wrong with `value` of prop `prop` under `rule`, or undefined when nothing is. */
export function stringProblem(prop: string, value: string, rule: StringRule): string | undefined {
  const shown = JSON.stringify(value);
  // The API counts characters, not UTF-16 code units.
  const length = Array.from(value).length;
  if (rule.min !== undefined && length < rule.min) {
    return `${prop} must be at least ${rule.min} character${rule.min === 1 ? '' : 's'} long, got ${shown} (${length}).`;
  }
  if (rule.max !== undefined && length > rule.max) {
    return `${prop} must be at most ${rule.max} characters long, got ${length} characters: ${shown}.`;
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    return `${prop} must be ${rule.describe ?? `of the form ${rule.pattern}`} (pattern ${rule.pattern}), got ${shown}.`;
  }
  const problem = rule.check?.(value);
  return problem === undefined ? undefined : `${prop} ${problem}, got ${shown}.`;
}

/**
 * The plain string a token resolves to once the app is complete (a `Lazy.string`, a token of a
 * literal), or undefined when it is only known at deployment (a reference, a parameter, a join).
 */
export function resolveAtSynth(scope: IConstruct, value: string): string | undefined {
  let stack: Stack;
  try {
    stack = Stack.of(scope);
  } catch {
    return undefined;
  }
  const resolved = stack.resolve(value);
  return typeof resolved === 'string' && !Token.isUnresolved(resolved) ? resolved : undefined;
}

/**
 * Calls `use` with the value of a prop as soon as it is known: now for a literal, once the app is
 * complete for a token that resolves to a plain string then (what `use` returns is then reported
 * as validation errors), never for a value known only at deployment.
 */
export function whenKnown(scope: IConstruct | undefined, value: string | undefined, use: (known: string) => string | undefined): void {
  if (value === undefined) return;
  if (!Token.isUnresolved(value)) {
    const problem = use(value);
    if (problem !== undefined) fail(scope, problem);
    return;
  }
  if (!scope) return;
  scope.node.addValidation({
    validate: () => {
      const known = resolveAtSynth(scope, value);
      const problem = known === undefined ? undefined : use(known);
      return problem === undefined ? [] : [problem];
    },
  });
}

/**
 * Checks `value` of prop `prop` against `rule`: now when it is known, once the app is complete
 * when it is a token that resolves to a plain string at synth time. Values known only at
 * deployment are not checked.
 */
export function validateString(scope: IConstruct | undefined, prop: string, value: string | undefined, rule: StringRule): void {
  whenKnown(scope, value, known => stringProblem(prop, known, rule));
}

/** `Path/To/Construct (id)` for messages, or just the path when the id is a token. */
export function describeConstruct(construct: IConstruct, id: string | undefined): string {
  return id === undefined || Token.isUnresolved(id) ? construct.node.path : `${construct.node.path} (${id})`;
}
