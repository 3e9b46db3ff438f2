/**
 * What AWS Organizations accepts in a policy document, per policy type, from AWS's documentation of
 * each type's syntax. One table, shared by the constructs (at synth time) and the local emulator
 * (CreatePolicy and UpdatePolicy, which load this module bundled into assets/policy-rules).
 *
 * No aws-cdk-lib or constructs import here: the emulator runs without them. Tokens are the caller's
 * concern (`CheckOptions.isUnresolved`).
 *
 * Where AWS documents no rule, the document is accepted.
 */

/** Where each rule comes from. */
export const SOURCES = {
  JSON: 'https://www.rfc-editor.org/rfc/rfc8259#section-4',
  IAM_GRAMMAR: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html',
  IAM_CONDITION_OPERATORS: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html',
  IAM_RESOURCE: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html',
  SCP: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html',
  RCP: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html',
  INHERITANCE: 'https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html',
  TAG: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html',
  BACKUP: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html',
  AI_OPT_OUT: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_ai-opt-out_syntax.html',
  CHATBOT: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_chatbot_syntax.html',
  DECLARATIVE: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html',
  SECURITY_HUB: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_security_hub_syntax.html',
  INSPECTOR: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inspector_syntax.html',
  BEDROCK: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_bedrock_syntax.html',
  S3: 'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3_syntax.html',
} as const;

// ---------------------------------------------------------------------------------------------
// The rule table
// ---------------------------------------------------------------------------------------------

/** A statement element that a type refuses, and what to write instead. */
export interface RefusedElement {
  readonly rule: string;
  readonly fix: string;
}

/** Service control policies and resource control policies: the IAM grammar with Organizations' restrictions. */
export interface AuthorizationRules {
  readonly kind: 'authorization';
  /** How the type is named in messages. */
  readonly label: string;
  readonly source: string;
  /** Statement elements the type accepts. */
  readonly elements: readonly string[];
  /** Statement elements of the IAM grammar that the type refuses, with the reason and the fix. */
  readonly refused: Readonly<Record<string, RefusedElement>>;
  /** Values `Effect` may take. */
  readonly effects: readonly string[];
  /** Why another `Effect` is refused, and the fix. */
  readonly effectFix: string;
  /** `Principal` must be present and be exactly `"*"`. */
  readonly principalStar: boolean;
  /** What to split when the document is too large. */
  readonly sizeAdvice: string;
}

/** Management policies: the inheritance operators, the type's fixed top-level key, and the type's own documented rules. */
export interface ManagementRules {
  readonly kind: 'management';
  readonly label: string;
  readonly source: string;
  /** The fixed top-level key of the type's documents, when AWS documents one. */
  readonly topKey?: string;
  /** Operators beyond the four of the inheritance syntax that the type documents. */
  readonly extraOperators?: readonly string[];
  /** Checks specific to the type, after the generic ones. */
  readonly check?: (doc: JsonObject, report: Reporter) => void;
  /** What to split when the document is too large. */
  readonly sizeAdvice: string;
}

export type TypeRules = AuthorizationRules | ManagementRules;

const IAM_POLICY_ELEMENTS = ['Version', 'Id', 'Statement'];

/** The rules of each policy type, by its API name. A type missing here is checked only for being a JSON object. */
export const POLICY_RULES: Readonly<Record<string, TypeRules>> = {
  SERVICE_CONTROL_POLICY: {
    kind: 'authorization',
    label: 'service control policy',
    source: SOURCES.SCP,
    elements: ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'],
    refused: {
      Principal: {
        rule: 'a service control policy cannot specify any IAM principals: it applies to every IAM principal of the accounts it is attached to',
        fix: 'remove Principal; to exempt or target principals, add a Condition on aws:PrincipalArn (for example ArnNotLike)',
      },
      NotPrincipal: {
        rule: 'a service control policy cannot specify any IAM principals (NotPrincipal is not supported in SCPs)',
        fix: 'remove NotPrincipal and add a Condition such as {"ArnNotLike":{"aws:PrincipalArn":[...]}}',
      },
    },
    effects: ['Allow', 'Deny'],
    effectFix: 'write "Allow" or "Deny", spelled exactly so (the value is case-sensitive)',
    principalStar: false,
    sizeAdvice: 'Split the statements into several service control policies and attach them all, or shorten the document',
  },
  RESOURCE_CONTROL_POLICY: {
    kind: 'authorization',
    label: 'resource control policy',
    source: SOURCES.RCP,
    elements: ['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'NotResource', 'Condition'],
    refused: {
      NotPrincipal: {
        rule: 'a resource control policy does not support NotPrincipal',
        fix: 'write "Principal": "*" and add a Condition such as {"ArnNotLike":{"aws:PrincipalArn":[...]}}',
      },
      NotAction: {
        rule: 'a resource control policy does not support NotAction',
        fix: 'list the denied actions in Action',
      },
    },
    effects: ['Deny'],
    effectFix: 'write "Deny": in resource control policies the effect Allow is supported only for the AWS-managed RCPFullAWSAccess',
    principalStar: true,
    sizeAdvice: 'Split the statements into several resource control policies and attach them all, or shorten the document',
  },
  TAG_POLICY: {
    kind: 'management',
    label: 'tag policy',
    source: SOURCES.TAG,
    topKey: 'tags',
    extraOperators: ['@@enforced_for'],
    check: checkTagPolicy,
    sizeAdvice: 'Split the tags into several tag policies attached to the same targets (their effective policy merges them), or shorten the document',
  },
  BACKUP_POLICY: {
    kind: 'management',
    label: 'backup policy',
    source: SOURCES.BACKUP,
    topKey: 'plans',
    sizeAdvice: 'Split the backup plans into several backup policies attached to the same targets (their effective policy merges them), or shorten the document',
  },
  AISERVICES_OPT_OUT_POLICY: {
    kind: 'management',
    label: 'AI services opt-out policy',
    source: SOURCES.AI_OPT_OUT,
    topKey: 'services',
    check: checkAiOptOutPolicy,
    sizeAdvice: 'Split the services into several AI services opt-out policies attached to the same targets (their effective policy merges them), '
      + 'or set "default" once instead of each service',
  },
  // The chat applications policy page names no fixed top-level key that this table could verify: the inheritance operators only.
  CHATBOT_POLICY: managementType('chat applications policy', SOURCES.CHATBOT, undefined, 'chat settings'),
  DECLARATIVE_POLICY_EC2: managementType('declarative policy', SOURCES.DECLARATIVE, 'ec2_attributes', 'EC2 attributes'),
  SECURITYHUB_POLICY: {
    ...managementType('Security Hub policy', SOURCES.SECURITY_HUB, 'securityhub', 'settings'),
    check: checkSecurityHubPolicy,
  },
  INSPECTOR_POLICY: managementType('Amazon Inspector policy', SOURCES.INSPECTOR, 'inspector', 'scan types'),
  BEDROCK_POLICY: managementType('Amazon Bedrock policy', SOURCES.BEDROCK, 'bedrock', 'settings'),
  S3_POLICY: {
    ...managementType('Amazon S3 policy', SOURCES.S3, 's3_attributes', 'S3 attributes'),
    check: checkS3Policy,
  },
  // Management types whose syntax page this table does not know yet: the inheritance operators only.
  SECURITYHUB_CSPM_POLICY: managementType('Security Hub CSPM policy', SOURCES.INHERITANCE, undefined, 'settings'),
  GUARDDUTY_POLICY: managementType('GuardDuty policy', SOURCES.INHERITANCE, undefined, 'settings'),
  UPGRADE_ROLLOUT_POLICY: managementType('upgrade rollout policy', SOURCES.INHERITANCE, undefined, 'settings'),
  NETWORK_SECURITY_DIRECTOR_POLICY: managementType('network security director policy', SOURCES.INHERITANCE, undefined, 'settings'),
};

function managementType(label: string, source: string, topKey: string | undefined, settings: string): ManagementRules {
  return {
    kind: 'management',
    label,
    source,
    topKey,
    sizeAdvice: `Split the ${settings} into several ${label.replace(/ policy$/, '')} policies attached to the same targets (their effective policy merges them), `
      + 'or shorten the document',
  };
}

/** What to do when a document of `type` is over its size quota, in the type's own terms. */
export function sizeAdvice(type: string): string {
  return POLICY_RULES[type]?.sizeAdvice ?? 'Split the document into several policies attached to the same targets, or shorten it';
}

/** IAM condition operators; each may end in `IfExists` (except `Null`) and take a `ForAllValues:` or `ForAnyValue:` prefix. */
export const CONDITION_OPERATORS: readonly string[] = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
];

/** The inheritance operators of management policies. */
export const VALUE_SETTING_OPERATORS: readonly string[] = ['@@assign', '@@append', '@@remove'];
export const CHILD_CONTROL_OPERATOR = '@@operators_allowed_for_child_policies';
export const CHILD_CONTROL_VALUES: readonly string[] = ['@@all', '@@none', ...VALUE_SETTING_OPERATORS];

// ---------------------------------------------------------------------------------------------
// Problems and the checker
// ---------------------------------------------------------------------------------------------

/** One thing AWS would refuse in a document. */
export interface PolicyProblem {
  /** Where: the statement (index and Sid) or the JSON path of the setting, empty for the whole document. */
  readonly where: string;
  /** The element (statement element, key or operator). */
  readonly element?: string;
  /** The rule, in a sentence. */
  readonly rule: string;
  /** The value found, as JSON text (absent when the element is missing). */
  readonly value?: string;
  /** What to write instead. */
  readonly fix: string;
  /** Where AWS documents the rule. */
  readonly source: string;
}

/** One line per problem: where, element, rule, value, fix, source. */
export function formatProblem(problem: PolicyProblem): string {
  const place = [problem.where, problem.element ? `element ${problem.element}` : ''].filter(p => p).join(', ');
  const got = problem.value !== undefined ? `, got ${problem.value}` : '';
  return `${place ? `${place}: ` : ''}${problem.rule}${got}. Fix: ${problem.fix} (${problem.source})`;
}

export interface CheckOptions {
  /**
   * A value known only at deployment (a CDK token, or a CloudFormation intrinsic once resolved):
   * it is not checked.
   */
  readonly isUnresolved?: (value: unknown) => boolean;
}

type JsonObject = { [key: string]: unknown };

/** Collects problems; `unresolved` says whether a value is a deploy-time token. */
export interface Reporter {
  add(problem: Omit<PolicyProblem, 'source'> & { source?: string }): void;
  unresolved(value: unknown): boolean;
}

/** Checks a parsed document against the rules of `type`. */
export function checkPolicy(type: string, doc: unknown, options: CheckOptions = {}): PolicyProblem[] {
  const rules = POLICY_RULES[type];
  const problems: PolicyProblem[] = [];
  const report: Reporter = {
    add: p => problems.push({ ...p, source: p.source ?? rules?.source ?? SOURCES.JSON }),
    unresolved: value => options.isUnresolved?.(value) ?? false,
  };
  if (report.unresolved(doc)) return problems;
  if (!isObject(doc)) {
    report.add({ where: '', rule: 'a policy document must be a JSON object', value: show(doc), fix: 'write the document as {...}', source: SOURCES.JSON });
    return problems;
  }
  if (rules?.kind === 'authorization') checkAuthorization(rules, doc, report);
  else if (rules?.kind === 'management') checkManagement(rules, doc, report);
  return problems;
}

/**
 * Parses `text` and checks it; a syntax error is one problem. With `lossless` (the default), what a
 * JSON parser would lose is refused too: repeated keys and integers beyond 2^53. AWS receives the
 * text as written, so the emulator passes `lossless: false`.
 */
export function checkPolicyText(type: string, text: string, options: CheckOptions & { readonly lossless?: boolean } = {}): PolicyProblem[] {
  let parsed: ParsedJson;
  try {
    parsed = parseJson(text);
  } catch (error) {
    return [{ where: '', rule: `a policy document must be JSON, but it does not parse (${(error as Error).message})`, fix: 'correct the JSON syntax', source: SOURCES.JSON }];
  }
  const problems: PolicyProblem[] = [];
  if (options.lossless !== false) problems.push(...duplicateProblems(parsed), ...unsafeNumberProblems(parsed));
  return [...problems, ...checkPolicy(type, parsed.value, options)];
}

/** A problem per repeated key: JSON parsers keep one of them and drop the others. */
export function duplicateProblems(parsed: ParsedJson): PolicyProblem[] {
  return parsed.duplicates.map(d => ({
    where: d.path || '(top level)',
    element: d.key,
    rule: `the key ${JSON.stringify(d.key)} appears more than once in the same object, and a JSON parser keeps only the last one (the earlier ones would be silently dropped)`,
    fix: `merge the ${JSON.stringify(d.key)} entries into one (for a Condition, put every operator in the same Condition object)`,
    source: SOURCES.JSON,
  }));
}

/** A problem per integer too large to survive a round trip through a JavaScript number. */
export function unsafeNumberProblems(parsed: ParsedJson): PolicyProblem[] {
  return parsed.unsafeNumbers.map(n => ({
    where: n.path || '(top level)',
    rule: 'the number is larger than a JSON number keeps exactly (2^53), so its digits would change when the document is minified',
    value: n.literal,
    fix: 'write the number as a string, for example an account id as "111122223333"',
    source: SOURCES.JSON,
  }));
}

// ---------------------------------------------------------------------------------------------
// Service and resource control policies
// ---------------------------------------------------------------------------------------------

function checkAuthorization(rules: AuthorizationRules, doc: JsonObject, report: Reporter): void {
  const source = rules.source;
  for (const key of Object.keys(doc)) {
    if (!IAM_POLICY_ELEMENTS.includes(key)) {
      report.add({
        where: '(top level)',
        element: key,
        rule: `${article(rules.label)} has only the elements Version, Id and Statement at its top level`,
        value: show(doc[key]),
        fix: `remove ${key}, or move it into a statement if it is a statement element`,
        source: SOURCES.IAM_GRAMMAR,
      });
    }
  }
  const version = doc.Version;
  if (version !== undefined && !report.unresolved(version) && version !== '2012-10-17') {
    report.add({ where: '(top level)', element: 'Version', rule: `the Version of a ${rules.label} must be "2012-10-17"`, value: show(version), fix: 'write "Version": "2012-10-17"', source });
  }
  if (doc.Id !== undefined && !report.unresolved(doc.Id) && typeof doc.Id !== 'string') {
    report.add({ where: '(top level)', element: 'Id', rule: 'Id must be a string', value: show(doc.Id), fix: 'write the Id as a string', source: SOURCES.IAM_GRAMMAR });
  }
  const statement = doc.Statement;
  if (statement === undefined) {
    report.add({
      where: '(top level)',
      element: 'Statement',
      rule: `${article(rules.label)} must have a Statement`,
      fix: 'add "Statement": [{ "Effect": ..., "Action": ..., "Resource": ... }]',
      source,
    });
    return;
  }
  if (report.unresolved(statement)) return;
  if (Array.isArray(statement)) {
    if (statement.length === 0) {
      report.add({ where: '(top level)', element: 'Statement', rule: 'Statement must hold at least one statement', value: '[]', fix: 'add a statement', source: SOURCES.IAM_GRAMMAR });
    }
    statement.forEach((s, i) => checkStatement(rules, s, `Statement[${i}]`, report));
  } else if (isObject(statement)) {
    checkStatement(rules, statement, 'Statement', report);
  } else {
    report.add({
      where: '(top level)',
      element: 'Statement',
      rule: 'Statement must be a statement object or an array of statement objects',
      value: show(statement),
      fix: 'write "Statement": [{...}]',
      source: SOURCES.IAM_GRAMMAR,
    });
  }
}

function checkStatement(rules: AuthorizationRules, statement: unknown, at: string, report: Reporter): void {
  if (report.unresolved(statement)) return;
  if (!isObject(statement)) {
    report.add({ where: at, rule: 'a statement must be a JSON object', value: show(statement), fix: 'write the statement as {...}', source: SOURCES.IAM_GRAMMAR });
    return;
  }
  const where = typeof statement.Sid === 'string' && !report.unresolved(statement.Sid) ? `${at} (Sid ${JSON.stringify(statement.Sid)})` : at;
  const source = rules.source;

  for (const [key, value] of Object.entries(statement)) {
    const refused = rules.refused[key];
    if (refused) {
      report.add({ where, element: key, rule: refused.rule, value: show(value), fix: refused.fix, source });
    } else if (!rules.elements.includes(key)) {
      report.add({
        where,
        element: key,
        rule: `${key} is not an element of a ${rules.label} statement (its elements are ${rules.elements.join(', ')}; names are case-sensitive)`,
        value: show(value),
        fix: `remove ${key}, or correct its name`,
        source,
      });
    }
  }

  if (statement.Sid !== undefined && !report.unresolved(statement.Sid) && typeof statement.Sid !== 'string') {
    report.add({ where, element: 'Sid', rule: 'Sid must be a string', value: show(statement.Sid), fix: 'write the Sid as a string', source: SOURCES.IAM_GRAMMAR });
  }

  const effect = statement.Effect;
  if (effect === undefined) {
    report.add({ where, element: 'Effect', rule: 'each statement must have an Effect', fix: rules.effectFix, source });
  } else if (!report.unresolved(effect) && !rules.effects.includes(effect as string)) {
    report.add({ where, element: 'Effect', rule: `the Effect of a ${rules.label} statement must be ${rules.effects.map(e => JSON.stringify(e)).join(' or ')}`, value: show(effect), fix: rules.effectFix, source });
  }

  if (rules.principalStar) {
    const principal = statement.Principal;
    if (principal === undefined) {
      if (statement.NotPrincipal === undefined) {
        report.add({ where, element: 'Principal', rule: `each ${rules.label} statement must have "Principal": "*"`, fix: 'add "Principal": "*" and narrow it with a Condition (for example on aws:PrincipalArn)', source });
      }
    } else if (!report.unresolved(principal) && principal !== '*') {
      report.add({
        where,
        element: 'Principal',
        rule: `the Principal of a ${rules.label} statement must be "*"`,
        value: show(principal),
        fix: 'write "Principal": "*" (iam.StarPrincipal) and narrow it with a Condition (for example on aws:PrincipalArn or aws:PrincipalAccount)',
        source,
      });
    }
  }

  checkPair(rules, statement, where, 'Action', 'NotAction', report, checkAction);
  checkPair(rules, statement, where, 'Resource', 'NotResource', report, checkResource);

  if (statement.Condition !== undefined) checkCondition(statement.Condition, where, report);
}

/** `Action`/`NotAction` and `Resource`/`NotResource`: exactly one of the pair, a string or a non-empty list of strings. */
function checkPair(rules: AuthorizationRules, statement: JsonObject, where: string, name: string, notName: string, report: Reporter,
  checkOne: (value: string, where: string, element: string, report: Reporter) => void): void {
  const allowed = [name, notName].filter(n => rules.elements.includes(n));
  const present = [name, notName].filter(n => statement[n] !== undefined);
  if (present.length === 0) {
    report.add({
      where,
      element: allowed.join(' or '),
      rule: `each statement must have ${allowed.join(' or ')}`,
      fix: `add ${allowed[0]} (for example ${name === 'Action' ? '"Action": "s3:*"' : '"Resource": "*"'})`,
      source: SOURCES.IAM_GRAMMAR,
    });
    return;
  }
  if (present.length === 2) {
    report.add({ where, element: `${name} and ${notName}`, rule: `a statement has either ${name} or ${notName}, not both`, fix: 'keep one of them (split the statement in two if you need both)', source: SOURCES.IAM_GRAMMAR });
  }
  for (const element of present) {
    const value = statement[element];
    if (report.unresolved(value)) continue;
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && value.length === 0) {
      report.add({ where, element, rule: `${element} must list at least one value`, value: '[]', fix: 'list at least one value, or remove the statement', source: SOURCES.IAM_GRAMMAR });
    }
    values.forEach((v, i) => {
      if (report.unresolved(v)) return;
      const at = Array.isArray(value) ? `${element}[${i}]` : element;
      if (typeof v !== 'string') {
        report.add({ where, element: at, rule: `${element} must be a string or a list of strings`, value: show(v), fix: `write each value of ${element} as a string, for example "s3:GetObject"`, source: SOURCES.IAM_GRAMMAR });
      } else {
        checkOne(v, where, at, report);
      }
    });
  }
}

function checkAction(value: string, where: string, element: string, report: Reporter): void {
  // "*" alone, or a service prefix and an action name (wildcards allowed) separated by one colon.
  if (value === '*' || /^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+$/.test(value)) return;
  report.add({
    where,
    element,
    rule: 'an action is "*" or a service prefix, one colon and an action name (wildcards * and ? allowed)',
    value: show(value),
    fix: 'write it as "service:Action", for example "s3:GetObject" or "ec2:Describe*"',
    source: SOURCES.IAM_GRAMMAR,
  });
}

function checkResource(value: string, where: string, element: string, report: Reporter): void {
  if (value === '*' || value.startsWith('arn:')) return;
  report.add({
    where,
    element,
    rule: 'a resource is "*" or an ARN (arn:partition:service:region:account:resource, wildcards allowed)',
    value: show(value),
    fix: 'write an ARN such as "arn:aws:s3:::my-bucket/*", or "*"',
    source: SOURCES.IAM_RESOURCE,
  });
}

const CONDITION_OPERATOR = new RegExp(`^(ForAllValues:|ForAnyValue:)?(${CONDITION_OPERATORS.join('|')})(IfExists)?$`);

function checkCondition(condition: unknown, where: string, report: Reporter): void {
  if (report.unresolved(condition)) return;
  if (!isObject(condition)) {
    report.add({
      where,
      element: 'Condition',
      rule: 'Condition must be an object of condition operators',
      value: show(condition),
      fix: 'write {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}',
      source: SOURCES.IAM_GRAMMAR,
    });
    return;
  }
  for (const [operator, block] of Object.entries(condition)) {
    const element = `Condition.${operator}`;
    const match = CONDITION_OPERATOR.exec(operator);
    if (!match || (match[2] === 'Null' && match[3])) {
      report.add({
        where,
        element,
        rule: 'unknown condition operator (operators are case-sensitive; NullIfExists does not exist)',
        value: show(operator),
        fix: `use one of ${CONDITION_OPERATORS.join(', ')}, optionally with IfExists and a ForAllValues: or ForAnyValue: prefix`,
        source: SOURCES.IAM_CONDITION_OPERATORS,
      });
    }
    if (report.unresolved(block)) continue;
    if (!isObject(block)) {
      report.add({
        where,
        element,
        rule: 'a condition operator takes an object of condition keys and values',
        value: show(block),
        fix: `write {"${operator}": {"aws:SomeKey": "value"}}`,
        source: SOURCES.IAM_GRAMMAR,
      });
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      if (report.unresolved(value)) continue;
      const values = Array.isArray(value) ? value : [value];
      const bad = values.find(v => !report.unresolved(v) && !['string', 'number', 'boolean'].includes(typeof v));
      if (bad !== undefined || (Array.isArray(value) && value.length === 0)) {
        report.add({
          where,
          element: `${element}.${key}`,
          rule: 'a condition value is a string, number or boolean, or a non-empty list of them',
          value: show(value),
          fix: 'write the value as a string or a list of strings',
          source: SOURCES.IAM_GRAMMAR,
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Management policies
// ---------------------------------------------------------------------------------------------

function checkManagement(rules: ManagementRules, doc: JsonObject, report: Reporter): void {
  if (rules.topKey) {
    for (const key of Object.keys(doc)) {
      if (key !== rules.topKey && !key.startsWith('@@')) {
        report.add({
          where: '(top level)',
          element: key,
          rule: `${article(rules.label)} has the single top-level key "${rules.topKey}"`,
          value: show(doc[key]),
          fix: `move the setting under "${rules.topKey}", or correct the key's name`,
          source: rules.source,
        });
      }
    }
  }
  const operators = [...VALUE_SETTING_OPERATORS, CHILD_CONTROL_OPERATOR, ...(rules.extraOperators ?? [])];
  walkOperators(doc, '', operators, report);
  rules.check?.(doc, report);
}

/** Every `@@` key is a documented operator with a value of the right shape. */
function walkOperators(node: unknown, path: string, operators: readonly string[], report: Reporter): void {
  if (report.unresolved(node)) return;
  if (Array.isArray(node)) {
    node.forEach((v, i) => walkOperators(v, `${path}[${i}]`, operators, report));
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const at = joinPath(path, key);
    if (key.startsWith('@@')) {
      if (!operators.includes(key)) {
        report.add({
          where: path || '(top level)',
          element: key,
          rule: 'unknown inheritance operator',
          value: show(key),
          fix: `use ${operators.join(', ')} (operators are case-sensitive)`,
          source: SOURCES.INHERITANCE,
        });
      } else if (key === CHILD_CONTROL_OPERATOR) {
        checkChildControl(value, path, report);
      } else if ((key === '@@append' || key === '@@remove') && !report.unresolved(value) && !Array.isArray(value)) {
        report.add({
          where: path || '(top level)',
          element: key,
          rule: `${key} applies only to multi-valued settings: its value must be a JSON array`,
          value: show(value),
          fix: `write ${JSON.stringify(key)}: [${show(value)}], or use @@assign for a single value`,
          source: SOURCES.INHERITANCE,
        });
      }
    }
    walkOperators(value, at, operators, report);
  }
}

function checkChildControl(value: unknown, path: string, report: Reporter): void {
  if (report.unresolved(value)) return;
  const known = (v: unknown) => report.unresolved(v) || CHILD_CONTROL_VALUES.includes(v as string);
  if (!Array.isArray(value) || !value.every(known)) {
    report.add({
      where: path || '(top level)',
      element: CHILD_CONTROL_OPERATOR,
      rule: `${CHILD_CONTROL_OPERATOR} takes an array of ${CHILD_CONTROL_VALUES.join(', ')}`,
      value: show(value),
      fix: `write for example "${CHILD_CONTROL_OPERATOR}": ["@@none"]`,
      source: SOURCES.INHERITANCE,
    });
  }
}

const TAG_KEYS = ['tag_key', 'tag_value', 'enforced_for', 'report_required_tag_for'];

/** Each tag of a tag policy has only the documented settings. */
function checkTagPolicy(doc: JsonObject, report: Reporter): void {
  const tags = doc.tags;
  if (tags === undefined || report.unresolved(tags)) return;
  if (!isObject(tags)) {
    report.add({ where: '(top level)', element: 'tags', rule: '"tags" is an object of tags by name', value: show(tags), fix: 'write "tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"}}}' });
    return;
  }
  for (const [name, tag] of Object.entries(tags)) {
    if (name.startsWith('@@') || report.unresolved(tag)) continue;
    if (!isObject(tag)) {
      report.add({ where: joinPath('tags', name), rule: 'a tag is an object of settings', value: show(tag), fix: 'write {"tag_key": {"@@assign": "Name"}}' });
      continue;
    }
    for (const key of Object.keys(tag)) {
      if (!key.startsWith('@@') && !TAG_KEYS.includes(key)) {
        report.add({
          where: joinPath('tags', name),
          element: key,
          rule: `a tag's settings are ${TAG_KEYS.join(', ')}`,
          value: show(tag[key]),
          fix: 'remove the setting, or correct its name (names are case-sensitive)',
        });
      }
    }
  }
}

/** AI services opt-out: under each service only opt_out_policy, which holds only @@assign of optOut or optIn. */
function checkAiOptOutPolicy(doc: JsonObject, report: Reporter): void {
  const services = doc.services;
  if (services === undefined || report.unresolved(services)) return;
  if (!isObject(services)) {
    report.add({ where: '(top level)', element: 'services', rule: '"services" is an object of AI services by name', value: show(services), fix: 'write "services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}' });
    return;
  }
  for (const { path, key } of keysIn(doc, '')) {
    if (key === '@@append' || key === '@@remove') {
      report.add({ where: path || '(top level)', element: key, rule: `${key} cannot be used in AI services opt-out policies`, fix: 'use @@assign' });
    }
  }
  for (const [name, service] of Object.entries(services)) {
    if (name.startsWith('@@') || report.unresolved(service)) continue;
    const at = joinPath('services', name);
    if (!isObject(service)) {
      report.add({ where: at, rule: 'an AI service entry is an object holding opt_out_policy', value: show(service), fix: 'write {"opt_out_policy": {"@@assign": "optOut"}}' });
      continue;
    }
    for (const key of Object.keys(service)) {
      if (key !== 'opt_out_policy' && key !== CHILD_CONTROL_OPERATOR) {
        report.add({ where: at, element: key, rule: 'opt_out_policy is the only key under a service name', value: show(service[key]), fix: 'remove the key' });
      }
    }
    const policy = service.opt_out_policy;
    if (policy === undefined) {
      report.add({ where: at, element: 'opt_out_policy', rule: 'opt_out_policy must be present under each service name', fix: 'add "opt_out_policy": {"@@assign": "optOut"} (or "optIn")' });
      continue;
    }
    if (report.unresolved(policy)) continue;
    if (!isObject(policy)) {
      report.add({ where: at, element: 'opt_out_policy', rule: 'opt_out_policy holds the @@assign operator', value: show(policy), fix: 'write "opt_out_policy": {"@@assign": "optOut"}' });
      continue;
    }
    for (const key of Object.keys(policy)) {
      if (key !== '@@assign' && key !== CHILD_CONTROL_OPERATOR) {
        report.add({ where: joinPath(at, 'opt_out_policy'), element: key, rule: 'opt_out_policy can contain only the @@assign operator (and @@operators_allowed_for_child_policies)', value: show(policy[key]), fix: 'use @@assign' });
      }
    }
    const assigned = policy['@@assign'];
    if (assigned !== undefined && !report.unresolved(assigned) && assigned !== 'optOut' && assigned !== 'optIn') {
      report.add({
        where: joinPath(at, 'opt_out_policy'),
        element: '@@assign',
        rule: 'the value is "optOut" or "optIn", capitalized exactly so',
        value: show(assigned),
        fix: 'write "optOut" or "optIn"',
      });
    }
  }
}

/** Security Hub: both region lists are required (they may be empty). */
function checkSecurityHubPolicy(doc: JsonObject, report: Reporter): void {
  const hub = doc.securityhub;
  if (hub === undefined || report.unresolved(hub)) return;
  if (!isObject(hub)) {
    report.add({ where: '(top level)', element: 'securityhub', rule: '"securityhub" is an object of settings', value: show(hub), fix: 'write "securityhub": {"enable_in_regions": {"@@append": []}, "disable_in_regions": {"@@append": []}}' });
    return;
  }
  for (const list of ['enable_in_regions', 'disable_in_regions']) {
    if (hub[list] === undefined) {
      report.add({ where: 'securityhub', element: list, rule: 'both enable_in_regions and disable_in_regions are required, though they can be empty', fix: `add "${list}": {"@@append": []}` });
    }
  }
}

/** Amazon S3: public_access_block_configuration is assigned "all" or "none". */
function checkS3Policy(doc: JsonObject, report: Reporter): void {
  const attributes = doc.s3_attributes;
  if (!isObject(attributes) || !isObject(attributes.public_access_block_configuration)) return;
  const assigned = attributes.public_access_block_configuration['@@assign'];
  if (assigned !== undefined && !report.unresolved(assigned) && assigned !== 'all' && assigned !== 'none') {
    report.add({
      where: 's3_attributes.public_access_block_configuration',
      element: '@@assign',
      rule: 'the value is "all" (the four Block Public Access settings on) or "none" (off)',
      value: show(assigned),
      fix: 'write "all" or "none"',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with duplicate keys detected
// ---------------------------------------------------------------------------------------------

export interface ParsedJson {
  readonly value: unknown;
  /** Keys repeated in one object, with the path of that object. The value keeps the last, as JSON.parse does. */
  readonly duplicates: ReadonlyArray<{ readonly key: string; readonly path: string }>;
  /** Integer literals beyond 2^53, whose digits a JavaScript number does not keep. */
  readonly unsafeNumbers: ReadonlyArray<{ readonly literal: string; readonly path: string }>;
}

/** A run of string characters that need no decoding; a JSON number. Sticky: matched at a position. */
const PLAIN = /[^"\\\u0000-\u001f]+/y;
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Parses JSON text (RFC 8259) like JSON.parse, and also reports what JSON.parse loses without a word:
 * repeated keys and integers too large for a double. Throws a SyntaxError naming the line and column.
 */
export function parseJson(text: string): ParsedJson {
  let pos = 0;
  const duplicates: Array<{ key: string; path: string }> = [];
  const unsafeNumbers: Array<{ literal: string; path: string }> = [];

  const fail = (what: string): never => {
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    throw new SyntaxError(`${what} at line ${line}, column ${column}`);
  };
  const skip = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  };
  const found = () => (pos >= text.length ? 'unexpected end of the JSON text' : `unexpected ${JSON.stringify(text[pos])}`);

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos];
      if (c === '"') {
        pos++;
        return out;
      }
      if (c < ' ') fail('control character in a string (escape it)');
      if (c === '\\') {
        const e = text[pos + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          pos += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          fail('invalid escape in a string');
        }
      } else {
        // The run of plain characters up to the next quote, backslash or control character.
        PLAIN.lastIndex = pos;
        const run = PLAIN.exec(text)![0];
        out += run;
        pos += run.length;
      }
    }
  };

  const parseValue = (path: string): unknown => {
    skip();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: JsonObject = {};
      const seen = new Set<string>();
      skip();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skip();
        if (text[pos] !== '"') fail(`${found()} where a key (a string) was expected`);
        const key = parseString();
        skip();
        if (text[pos] !== ':') fail(`${found()} where ':' was expected`);
        pos++;
        const value = parseValue(joinPath(path, key));
        if (seen.has(key)) duplicates.push({ key, path });
        seen.add(key);
        // defineProperty: a "__proto__" key is data, as with JSON.parse.
        if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
        skip();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail(`${found()} where ',' or '}' was expected`);
      }
    }
    if (c === '[') {
      pos++;
      const arr: unknown[] = [];
      skip();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(`${path}[${arr.length}]`));
        skip();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail(`${found()} where ',' or ']' was expected`);
      }
    }
    if (c === '"') return parseString();
    NUMBER.lastIndex = pos;
    const literal = NUMBER.exec(text);
    if (literal) {
      pos += literal[0].length;
      const n = Number(literal[0]);
      if (!literal[2] && !literal[3] && !Number.isSafeInteger(n)) unsafeNumbers.push({ literal: literal[0], path });
      return n;
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    return fail(`${found()} where a value was expected`);
  };

  const value = parseValue('');
  skip();
  if (pos < text.length) fail(`${found()} after the end of the JSON value`);
  return { value, duplicates, unsafeNumbers };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Every key of a JSON value, with the path of the object that holds it. */
function keysIn(node: unknown, path: string): Array<{ path: string; key: string }> {
  if (Array.isArray(node)) return node.flatMap((v, i) => keysIn(v, `${path}[${i}]`));
  if (!isObject(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => [{ path, key }, ...keysIn(value, joinPath(path, key))]);
}

/**
 * Values of a JavaScript object that JSON cannot carry, so that serializing it would change or drop
 * them: functions, symbols, big integers, NaN and infinities, and `undefined` in arrays (it becomes null).
 * An `undefined` property is an absent one, as in JSON.stringify.
 */
export function nonJsonProblems(value: unknown, options: CheckOptions = {}, path = ''): PolicyProblem[] {
  if (options.isUnresolved?.(value)) return [];
  const problem = (what: string, shown: string, at = path): PolicyProblem => ({
    where: at || '(top level)',
    rule: `${what} cannot be written in JSON, so it would be changed or dropped`,
    value: shown,
    fix: 'use strings, numbers, booleans, null, arrays and plain objects only',
    source: SOURCES.JSON,
  });
  switch (typeof value) {
    case 'function': return [problem('a function', '[function]')];
    case 'symbol': return [problem('a symbol', String(value))];
    case 'bigint': return [problem('a bigint', `${value}n`)];
    case 'number': return Number.isFinite(value) ? [] : [problem('a non-finite number', String(value))];
    case 'object': break;
    default: return [];
  }
  if (value === null) return [];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => (v === undefined ? [problem('undefined in an array', 'undefined', `${path}[${i}]`)] : nonJsonProblems(v, options, `${path}[${i}]`)));
  }
  if (value instanceof Map || value instanceof Set) return [problem(`a ${value.constructor.name}`, `[${value.constructor.name}]`)];
  return Object.entries(value as JsonObject).flatMap(([k, v]) => nonJsonProblems(v, options, joinPath(path, k)));
}

function article(label: string): string {
  return `${/^[aeiouAEIOU]/.test(label) ? 'an' : 'a'} ${label}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON path: `a.b`, or `a["aws:Key"]` for keys that are not plain names. */
export function joinPath(path: string, key: string): string {
  if (/^[A-Za-z_@$][\w@$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** A value as JSON text, shortened. */
function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
