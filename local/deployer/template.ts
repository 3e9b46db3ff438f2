/**
 * The CloudFormation template model, the dependency graph between resources, and its orderings.
 *
 * CloudFormation derives dependencies from `DependsOn` and from every `Ref`, `Fn::GetAtt` and
 * `Fn::Sub` reference in a resource's properties; references inside the untaken branch of an
 * `Fn::If` do not count (the usual pattern `Fn::If [Cond, Ref X, Ref AWS::NoValue]` names a resource
 * that does not exist when the condition is false).
 */

export interface Template {
  readonly AWSTemplateFormatVersion?: string;
  readonly Description?: string;
  readonly Transform?: unknown;
  readonly Parameters?: Record<string, TemplateParameter>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
  readonly Rules?: Record<string, TemplateRule>;
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, TemplateOutput>;
}

export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: unknown;
  readonly AllowedValues?: unknown[];
  readonly Description?: string;
}

export interface TemplateRule {
  readonly RuleCondition?: unknown;
  readonly Assertions?: Array<{ Assert: unknown; AssertDescription?: string }>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

export interface TemplateOutput {
  readonly Value: unknown;
  readonly Description?: string;
  readonly Condition?: string;
  readonly Export?: { Name: unknown };
}

/** An error in the template itself: CloudFormation rejects the operation before touching any resource. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(`Template format error: ${message}`);
    this.name = 'TemplateError';
  }
}

/** `Custom::*` and `AWS::CloudFormation::CustomResource` are served by a ServiceToken. */
export function isCustomResourceType(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

export const PSEUDO_PARAMETERS = [
  'AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::StackName', 'AWS::StackId',
  'AWS::URLSuffix', 'AWS::NoValue', 'AWS::NotificationARNs',
] as const;

/** Names referenced by a `Fn::Sub` string: `${Name}` and `${Name.Attr}`, not `${!Literal}`. */
export function subReferences(text: string): Array<{ name: string; attribute?: string }> {
  const refs: Array<{ name: string; attribute?: string }> = [];
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const body = match[1].trim();
    if (body.startsWith('!')) continue;
    const dot = body.indexOf('.');
    refs.push(dot < 0 ? { name: body } : { name: body.slice(0, dot), attribute: body.slice(dot + 1) });
  }
  return refs;
}

/**
 * Calls `found` with every name `value` refers to with `Ref`, `Fn::GetAtt` or `Fn::Sub` (resources,
 * parameters, pseudo parameters), following only the branches of `Fn::If` that `conditionValue` selects.
 */
export function visitReferences(value: unknown, conditionValue: (name: string) => boolean, found: (name: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitReferences(item, conditionValue, found);
    return;
  }
  if (!isObject(value)) return;
  const keys = Object.keys(value);
  const arg = value[keys[0]];
  switch (keys.length === 1 ? keys[0] : undefined) {
    case 'Ref':
      if (typeof arg === 'string') found(arg);
      return;
    case 'Fn::GetAtt': {
      const name = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
      if (typeof name === 'string') found(name);
      if (Array.isArray(arg)) visitReferences(arg.slice(1), conditionValue, found);
      return;
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
      const local = isObject(variables) ? variables : {};
      if (typeof text === 'string') {
        for (const ref of subReferences(text)) if (!(ref.name in local)) found(ref.name);
      }
      visitReferences(local, conditionValue, found);
      return;
    }
    case 'Fn::If':
      if (Array.isArray(arg) && typeof arg[0] === 'string') visitReferences(conditionValue(arg[0]) ? arg[1] : arg[2], conditionValue, found);
      return;
  }
  for (const key of keys) visitReferences(value[key], conditionValue, found);
}

/** Every name a value refers to, whether it exists or not (for validation). */
export function allReferencedNames(value: unknown, conditionValue: (name: string) => boolean): Set<string> {
  const names = new Set<string>();
  visitReferences(value, conditionValue, name => names.add(name));
  return names;
}

export function dependsOnList(resource: TemplateResource): string[] {
  if (resource.DependsOn === undefined) return [];
  return Array.isArray(resource.DependsOn) ? [...resource.DependsOn] : [resource.DependsOn];
}

/** Direct dependencies of every resource: `DependsOn` plus property references. */
export function dependencyGraph(
  resources: Record<string, TemplateResource>,
  conditionValue: (name: string) => boolean,
): Map<string, Set<string>> {
  const ids = new Set(Object.keys(resources));
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const deps = new Set<string>();
    visitReferences(resource.Properties ?? {}, conditionValue, name => { if (ids.has(name)) deps.add(name); });
    for (const dep of dependsOnList(resource)) if (ids.has(dep)) deps.add(dep);
    deps.delete(id);
    graph.set(id, deps);
  }
  return graph;
}

/**
 * Resources in an order where every resource comes after its dependencies (ties broken by
 * template order, so the order is stable). Throws a {@link TemplateError} naming a cycle.
 */
export function topologicalOrder(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    const current = state.get(id);
    if (current === 'done') return;
    if (current === 'visiting') {
      const cycle = path.slice(path.indexOf(id));
      throw new TemplateError(`Circular dependency between resources: [${cycle.join(', ')}]`);
    }
    state.set(id, 'visiting');
    for (const dep of graph.get(id) ?? []) if (graph.has(dep)) visit(dep, [...path, dep]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of graph.keys()) visit(id, [id]);
  return order;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep equality of JSON values, whatever realm or prototype their objects come from (documents
 * read back from the emulator are compared with freshly synthesized templates).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter(key => a[key] !== undefined);
  const otherKeys = Object.keys(b).filter(key => b[key] !== undefined);
  return keys.length === otherKeys.length && keys.every(key => Object.prototype.hasOwnProperty.call(b, key) && sameJson(a[key], b[key]));
}
