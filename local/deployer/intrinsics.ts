/**
 * Resolution of the intrinsic functions CDK templates use, the way CloudFormation evaluates them,
 * and the stringification CloudFormation applies to custom resource properties.
 */
import { isObject, Template, TemplateError } from './template';

/** Thrown when a value cannot be resolved (a missing export, a missing attribute): the resource using it fails. */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

export interface PseudoParameters {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  readonly stackId: string;
}

export interface ResolveContext {
  readonly pseudo: PseudoParameters;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly conditions: Readonly<Record<string, boolean>>;
  readonly mappings?: Template['Mappings'];
  /** `Ref` of a resource of the stack: its physical id. */
  ref(logicalId: string): unknown;
  /** `Fn::GetAtt` of a resource of the stack. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** `Fn::ImportValue`: the value another stack exports under this name. */
  importValue(name: string): unknown;
}

/** `Ref: AWS::NoValue` removes the property or list element it stands in. */
const NO_VALUE = Symbol('AWS::NoValue');

export function resolve(value: unknown, ctx: ResolveContext): unknown {
  const resolved = resolveValue(value, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolveValue(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) {
    return value.map(item => resolveValue(item, ctx)).filter(item => item !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
    return resolveIntrinsic(keys[0], value[keys[0]], ctx);
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const item = resolveValue(value[key], ctx);
    if (item !== NO_VALUE) result[key] = item;
  }
  return result;
}

function resolveIntrinsic(name: string, arg: unknown, ctx: ResolveContext): unknown {
  switch (name) {
    case 'Ref': return ref(expectString(arg, 'Ref'), ctx);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = getAttArgs(arg, ctx);
      return ctx.getAtt(logicalId, attribute);
    }
    case 'Fn::Join': {
      const [delimiter, list] = expectArray(arg, 'Fn::Join', 2);
      const items = resolveValue(list, ctx);
      if (!Array.isArray(items)) throw new TemplateError(`Fn::Join needs a list, got ${JSON.stringify(items)}`);
      return items.map(item => scalarString(item, 'Fn::Join')).join(expectString(resolveValue(delimiter, ctx), 'Fn::Join delimiter'));
    }
    case 'Fn::Select': {
      const [indexArg, listArg] = expectArray(arg, 'Fn::Select', 2);
      const index = Number(resolveValue(indexArg, ctx));
      const list = resolveValue(listArg, ctx);
      if (!Array.isArray(list)) throw new TemplateError(`Fn::Select needs a list, got ${JSON.stringify(list)}`);
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new TemplateError(`Fn::Select cannot select nonexistent value at index ${index}`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      const [delimiter, text] = expectArray(arg, 'Fn::Split', 2);
      return expectString(resolveValue(text, ctx), 'Fn::Split').split(expectString(resolveValue(delimiter, ctx), 'Fn::Split delimiter'));
    }
    case 'Fn::Sub': return sub(arg, ctx);
    case 'Fn::ImportValue': return ctx.importValue(expectString(resolveValue(arg, ctx), 'Fn::ImportValue'));
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = expectArray(arg, 'Fn::If', 3);
      return resolveValue(conditionValue(expectString(condition, 'Fn::If'), ctx) ? whenTrue : whenFalse, ctx);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = expectArray(arg, 'Fn::FindInMap', 3).map(item => resolveValue(item, ctx));
      const found = ctx.mappings?.[String(map)]?.[String(top)]?.[String(second)];
      if (found === undefined) throw new TemplateError(`Fn::FindInMap: no value for [${String(map)}, ${String(top)}, ${String(second)}]`);
      return found;
    }
    case 'Fn::Base64': return Buffer.from(expectString(resolveValue(arg, ctx), 'Fn::Base64')).toString('base64');
    case 'Fn::GetAZs': {
      const region = resolveValue(arg, ctx) || ctx.pseudo.region;
      return ['a', 'b', 'c'].map(zone => `${String(region)}${zone}`);
    }
    case 'Fn::Equals': case 'Fn::And': case 'Fn::Or': case 'Fn::Not': case 'Fn::Contains': case 'Condition':
      return evaluateCondition({ [name]: arg }, ctx);
    default:
      throw new TemplateError(`the local deployer does not support the intrinsic function ${name}`);
  }
}

function ref(name: string, ctx: ResolveContext): unknown {
  switch (name) {
    case 'AWS::AccountId': return ctx.pseudo.accountId;
    case 'AWS::Region': return ctx.pseudo.region;
    case 'AWS::Partition': return ctx.pseudo.partition;
    case 'AWS::URLSuffix': return ctx.pseudo.urlSuffix;
    case 'AWS::StackName': return ctx.pseudo.stackName;
    case 'AWS::StackId': return ctx.pseudo.stackId;
    case 'AWS::NotificationARNs': return [];
    case 'AWS::NoValue': return NO_VALUE;
  }
  if (name in ctx.parameters) return ctx.parameters[name];
  return ctx.ref(name);
}

function getAttArgs(arg: unknown, ctx: ResolveContext): [string, string] {
  if (typeof arg === 'string') {
    const dot = arg.indexOf('.');
    if (dot < 0) throw new TemplateError(`Fn::GetAtt needs "Resource.Attribute", got ${JSON.stringify(arg)}`);
    return [arg.slice(0, dot), arg.slice(dot + 1)];
  }
  const [logicalId, attribute] = expectArray(arg, 'Fn::GetAtt', 2);
  return [expectString(logicalId, 'Fn::GetAtt'), expectString(resolveValue(attribute, ctx), 'Fn::GetAtt attribute')];
}

function sub(arg: unknown, ctx: ResolveContext): string {
  const [text, variables] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
  const template = expectString(text, 'Fn::Sub');
  const local: Record<string, unknown> = {};
  if (isObject(variables)) {
    for (const [key, value] of Object.entries(variables)) local[key] = resolveValue(value, ctx);
  }
  return template.replace(/\$\{([^}]*)\}/g, (_whole, raw: string) => {
    const body = raw.trim();
    if (body.startsWith('!')) return `\${${body.slice(1)}}`;
    if (body in local) return scalarString(local[body], 'Fn::Sub');
    const dot = body.indexOf('.');
    if (dot >= 0 && !body.startsWith('AWS::')) {
      return scalarString(ctx.getAtt(body.slice(0, dot), body.slice(dot + 1)), 'Fn::Sub');
    }
    return scalarString(ref(body, ctx), 'Fn::Sub');
  });
}

/** Evaluates a condition expression (`Conditions`, `Fn::If`, `Rules`). */
export function evaluateCondition(expression: unknown, ctx: ResolveContext): boolean {
  if (typeof expression === 'boolean') return expression;
  if (expression === 'true' || expression === 'false') return expression === 'true';
  if (!isObject(expression) || Object.keys(expression).length !== 1) {
    throw new TemplateError(`invalid condition ${JSON.stringify(expression)}`);
  }
  const [name] = Object.keys(expression);
  const arg = expression[name];
  switch (name) {
    case 'Condition': return conditionValue(expectString(arg, 'Condition'), ctx);
    case 'Fn::Equals': {
      const [left, right] = expectArray(arg, 'Fn::Equals', 2).map(item => resolveValue(item, ctx));
      return JSON.stringify(comparable(left)) === JSON.stringify(comparable(right));
    }
    case 'Fn::And': return expectArray(arg, 'Fn::And').every(item => evaluateCondition(item, ctx));
    case 'Fn::Or': return expectArray(arg, 'Fn::Or').some(item => evaluateCondition(item, ctx));
    case 'Fn::Not': return !evaluateCondition(expectArray(arg, 'Fn::Not', 1)[0], ctx);
    case 'Fn::Contains': {
      const [list, item] = expectArray(arg, 'Fn::Contains', 2).map(entry => resolveValue(entry, ctx));
      if (!Array.isArray(list)) throw new TemplateError('Fn::Contains needs a list');
      return list.some(entry => JSON.stringify(comparable(entry)) === JSON.stringify(comparable(item)));
    }
    default: {
      const value = resolveValue(expression, ctx);
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw new TemplateError(`condition ${name} does not evaluate to a boolean`);
    }
  }
}

function conditionValue(name: string, ctx: ResolveContext): boolean {
  if (!(name in ctx.conditions)) throw new TemplateError(`Unresolved condition dependency ${name}`);
  return ctx.conditions[name];
}

/** Evaluates every condition of the template once (conditions may refer to each other). */
export function evaluateConditions(template: Template, ctx: Omit<ResolveContext, 'conditions'>): Record<string, boolean> {
  const definitions = template.Conditions ?? {};
  const values: Record<string, boolean> = {};
  const evaluating = new Set<string>();
  const conditions = new Proxy(values, {
    has: (_target, name) => typeof name === 'string' && name in definitions,
    get: (_target, name) => {
      if (typeof name !== 'string') return undefined;
      if (!(name in values)) {
        if (!(name in definitions)) return undefined;
        if (evaluating.has(name)) throw new TemplateError(`Circular dependency between conditions: ${[...evaluating, name].join(', ')}`);
        evaluating.add(name);
        values[name] = evaluateCondition(definitions[name], { ...ctx, conditions });
        evaluating.delete(name);
      }
      return values[name];
    },
  });
  for (const name of Object.keys(definitions)) void conditions[name];
  return values;
}

/**
 * Custom resource properties as CloudFormation delivers them to the provider: every number and
 * boolean becomes a string, at any depth (`1` -> `"1"`, `true` -> `"true"`).
 */
export function stringifyScalars(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (isObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = stringifyScalars(item);
    return result;
  }
  return value;
}

function comparable(value: unknown): unknown {
  return stringifyScalars(value);
}

function scalarString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${where} needs strings, got ${JSON.stringify(value)}`);
}

function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new TemplateError(`${where} needs a string, got ${JSON.stringify(value)}`);
  return value;
}

function expectArray(value: unknown, where: string, length?: number): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length < length)) {
    throw new TemplateError(`${where} needs a list${length ? ` of ${length}` : ''}, got ${JSON.stringify(value)}`);
  }
  return value;
}
