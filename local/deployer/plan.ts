/**
 * Planning a stack operation from its template, as CloudFormation does before any change: parameter
 * values, conditions, `Rules`, the resources in dependency order, references that resolve; and,
 * after the resources, the outputs and the exports other stacks import.
 */
import { evaluateCondition, evaluateConditions, resolve, ResolveContext, ResolveError } from './intrinsics';
import type { StackOperation } from './operation';
import { plainAttribute } from './resources';
import type { OutputRecord, StackDocument } from './store';
import {
  allReferencedNames, dependencyGraph, dependsOnList, isCustomResourceType, isObject, PSEUDO_PARAMETERS, sameJson,
  Template, TemplateError, TemplateResource, topologicalOrder,
} from './template';

/** The value the deployer gives CDK's `BootstrapVersion` parameter (its SSM parameter): any version >= 6 passes the template's rule. */
export const LOCAL_BOOTSTRAP_VERSION = '30';

export interface Plan {
  readonly template: Template;
  readonly parameters: Record<string, unknown>;
  readonly conditions: Record<string, boolean>;
  readonly resources: Record<string, TemplateResource>;
  readonly graph: Map<string, Set<string>>;
  readonly order: string[];
}

/** Plans `op` for `template`: refused with a TemplateError as CloudFormation refuses it before any change. */
export function planOperation(
  op: StackOperation,
  template: Template,
  overrides: Record<string, string>,
  previousParameters: Record<string, unknown> = {},
): Plan {
  if (template.Transform !== undefined) {
    throw new TemplateError(`the local deployer does not run template transforms (${JSON.stringify(template.Transform)}); CDK apps need none unless they add one`);
  }
  const parameters = resolveParameters(template, overrides, previousParameters);
  const base = baseContext(op, template, parameters);
  const conditions = evaluateConditions(template, base);
  const withConditions = { ...base, conditions };
  checkRules(template, withConditions);
  const resources: Record<string, TemplateResource> = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (!resource || typeof resource.Type !== 'string') throw new TemplateError(`resource ${id} has no Type`);
    if (resource.Condition !== undefined && !conditionValue(conditions, resource.Condition)) continue;
    resources[id] = resource;
  }
  const known = new Set<string>([...Object.keys(resources), ...Object.keys(parameters), ...PSEUDO_PARAMETERS]);
  const unresolved = new Set<string>();
  const isTrue = (name: string) => conditionValue(conditions, name);
  for (const resource of Object.values(resources)) {
    for (const name of allReferencedNames(resource.Properties ?? {}, isTrue)) if (!known.has(name)) unresolved.add(name);
    for (const name of dependsOnList(resource)) if (!(name in resources)) unresolved.add(name);
  }
  if (unresolved.size > 0) throw new TemplateError(`Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`);
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !isTrue(output.Condition)) continue;
    for (const ref of allReferencedNames(output, isTrue)) {
      if (!known.has(ref)) throw new TemplateError(`Unresolved resource dependencies [${ref}] in the Outputs block of the template (output ${name})`);
    }
  }
  const graph = dependencyGraph(resources, isTrue);
  const order = topologicalOrder(graph);
  const retyped = Object.keys(resources).filter(id => op.live.has(id) && op.live.get(id)!.type !== resources[id].Type);
  if (retyped.length > 0) {
    throw new TemplateError(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${retyped.join(', ')}]`);
  }
  op.resolveContext = withConditions;
  return { template, parameters, conditions, resources, graph, order };
}

function baseContext(op: StackOperation, template: Template, parameters: Record<string, unknown>): Omit<ResolveContext, 'conditions'> {
  return {
    pseudo: {
      accountId: op.env.account,
      region: op.env.region,
      partition: op.env.partition,
      urlSuffix: 'amazonaws.com',
      stackName: op.stackName,
      stackId: op.doc.stackId,
    },
    parameters,
    mappings: template.Mappings,
    ref: logicalId => {
      const record = op.live.get(logicalId);
      if (!record) throw new ResolveError(`Resource ${logicalId} does not exist yet`);
      return record.physicalId;
    },
    getAtt: (logicalId, attribute) => {
      const record = op.live.get(logicalId);
      if (!record) throw new ResolveError(`Resource ${logicalId} does not exist yet`);
      if (!isCustomResourceType(record.type)) return plainAttribute(record, attribute);
      const value = customAttribute(record.attributes, attribute);
      if (value === undefined) {
        throw new ResolveError(`CustomResource attribute error: Vendor response doesn't contain ${attribute} attribute in object ${op.doc.stackId}|${logicalId}`);
      }
      return value;
    },
    importValue: name => {
      for (const doc of op.ctx.registry.values()) {
        if (doc.stackName === op.stackName) continue;
        for (const output of Object.values(doc.outputs)) {
          if (output.exportName === name) {
            op.imports.add(name);
            return output.value;
          }
        }
      }
      throw new ResolveError(`No export named ${name} found`);
    },
  };
}

/** Resolves the outputs and checks the exports against the other stacks; returns an error message when they conflict. */
export function resolveOutputs(op: StackOperation, plan: Plan, previous?: StackDocument): { outputs: Record<string, OutputRecord>; error?: string } {
  const outputs: Record<string, OutputRecord> = {};
  try {
    for (const [name, output] of Object.entries(plan.template.Outputs ?? {})) {
      if (output.Condition !== undefined && !conditionValue(plan.conditions, output.Condition)) continue;
      const value = resolve(output.Value, op.resolveContext!);
      const exportName = output.Export ? String(resolve(output.Export.Name, op.resolveContext!)) : undefined;
      outputs[name] = { value, ...(exportName ? { exportName } : {}), ...(output.Description ? { description: output.Description } : {}) };
    }
  } catch (error) {
    if (error instanceof ResolveError || error instanceof TemplateError) return { outputs, error: error.message };
    throw error;
  }
  const exported = new Map(Object.values(outputs).filter(o => o.exportName).map(o => [o.exportName!, o.value]));
  for (const doc of op.ctx.registry.values()) {
    if (doc.stackName === op.stackName) continue;
    for (const output of Object.values(doc.outputs)) {
      if (output.exportName && exported.has(output.exportName)) {
        return { outputs, error: `Export with name ${output.exportName} is already exported by stack ${doc.stackName}` };
      }
    }
  }
  for (const output of Object.values(previous?.outputs ?? {})) {
    if (!output.exportName) continue;
    const importer = importerOf(op, output.exportName);
    if (!importer) continue;
    if (!exported.has(output.exportName)) return { outputs, error: `Export ${output.exportName} cannot be deleted as it is in use by ${importer}` };
    if (!sameJson(exported.get(output.exportName), output.value)) {
      return { outputs, error: `Cannot update export ${output.exportName} as it is in use by ${importer}` };
    }
  }
  return { outputs };
}

export function importerOf(op: StackOperation, exportName: string): string | undefined {
  for (const doc of op.ctx.registry.values()) {
    if (doc.stackName !== op.stackName && doc.imports.includes(exportName)) return doc.stackName;
  }
  return undefined;
}

/** Parameter values: overrides, then the values of the previous deployment, then defaults. */
function resolveParameters(template: Template, overrides: Record<string, string>, previous: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const override = overrides[name];
    const isSsm = parameter.Type.startsWith('AWS::SSM::Parameter::Value<');
    let value: unknown;
    if (override !== undefined) {
      value = override;
    } else if (isSsm) {
      value = ssmParameter(name, String(parameter.Default ?? ''));
    } else if (name in previous) {
      value = previous[name];
    } else if (parameter.Default !== undefined) {
      value = parameter.Default;
    } else {
      missing.push(name);
      continue;
    }
    if (parameter.Type.startsWith('List<') || parameter.Type === 'CommaDelimitedList') {
      value = Array.isArray(value) ? value : String(value).split(',').map(item => item.trim());
    } else {
      value = String(value);
    }
    if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(String(value))) {
      throw new TemplateError(`Parameter '${name}' must be one of AllowedValues`);
    }
    values[name] = value;
  }
  if (missing.length > 0) throw new TemplateError(`Parameters: [${missing.join(', ')}] must have values (pass them with --parameters NAME=VALUE)`);
  for (const name of Object.keys(overrides)) {
    if (!(name in (template.Parameters ?? {}))) throw new TemplateError(`Parameters: [${name}] do not exist in the template`);
  }
  return values;
}

function ssmParameter(name: string, parameterName: string): string {
  if (/^\/cdk-bootstrap\/[^/]+\/version$/.test(parameterName)) return LOCAL_BOOTSTRAP_VERSION;
  throw new TemplateError(`Parameter ${name} reads the SSM parameter ${parameterName || '(none)'}, and the local deployer has no Parameter Store: pass its value with --parameters ${name}=VALUE`);
}

/** `Rules` assertions, as CloudFormation checks them before any change. */
function checkRules(template: Template, ctx: ResolveContext): void {
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !evaluateCondition(rule.RuleCondition, ctx)) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (!evaluateCondition(assertion.Assert, ctx)) {
        throw new TemplateError(`Rule ${name} failed: ${assertion.AssertDescription ?? 'assertion failed'}`);
      }
    }
  }
}

function conditionValue(conditions: Record<string, boolean>, name: string): boolean {
  if (!(name in conditions)) throw new TemplateError(`Unresolved condition dependency ${name}`);
  return conditions[name];
}

/** A custom resource attribute: a Data key, or a dotted path into nested Data. */
function customAttribute(data: Record<string, unknown>, attribute: string): unknown {
  if (attribute in data) return data[attribute];
  let value: unknown = data;
  for (const part of attribute.split('.')) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}
