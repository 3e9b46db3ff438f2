/**
 * The deployed stacks as CloudFormation reports them (DescribeStacks, GetTemplate,
 * ListStackResources), and the properties each resource of this library declares, resolved
 * against the organization as a snapshot shows it: a `Ref` is the physical id CloudFormation
 * lists, an `Fn::GetAtt` of one of this library's resources is what its handler returns, read from
 * the organization.
 */
import {
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  Parameter,
  Stack,
  StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { LiveClients } from './clients';
import { explainAccessError, LiveInputError } from './errors';
import { Reader } from './reader';
import { evaluateConditions, resolve, ResolveContext, stringifyScalars } from '../deployer/intrinsics';
import { plainAttribute, plainResource } from '../deployer/resources';
import { dependencyGraph, isCustomResourceType, Template } from '../deployer/template';
import { arns, EmulatorState } from '../emulator/state';

/** The resource types of this library (the contract's `Custom::Organizations_<Resource>`). */
export const LIBRARY_TYPE_PREFIX = 'Custom::Organizations_';

export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId?: string;
  readonly status: string;
  /** Declared properties, resolved, scalars as strings (as the provider receives them); undefined when they cannot be resolved. */
  readonly properties?: Record<string, unknown>;
  readonly deletionPolicy?: string;
  /** Why the properties could not be resolved. */
  readonly unresolved?: string;
  /** Every resource's properties resolved as the deployer resolves them (custom resources: scalars as strings, ServiceToken included). */
  readonly resolved?: Record<string, unknown>;
  /** `Fn::GetAtt` values: a library resource's handler Data, read from the organization; a plausible Arn otherwise. */
  readonly attributes: Record<string, unknown>;
  readonly updateReplacePolicy?: string;
  /** Logical ids of the resources of the stack it depends on. */
  readonly dependsOn: readonly string[];
}

export interface DeployedStack {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly template: Template;
  readonly parameters: Record<string, string>;
  readonly resources: readonly DeployedResource[];
  readonly outputs: Record<string, { readonly value: string; readonly exportName?: string; readonly description?: string }>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The handler Data of each resource type of this library: the attribute names of the contract. */
const LIBRARY_ATTRIBUTES: Record<string, readonly string[]> = {
  Organization: ['Id', 'Arn', 'FeatureSet', 'ManagementAccountId', 'ManagementAccountArn', 'ManagementAccountEmail', 'RootId', 'RootArn'],
  OrganizationalUnit: ['Id', 'Arn', 'Name'],
  Account: ['AccountId', 'AccountArn', 'AccountName', 'Email', 'ParentId', 'JoinedMethod', 'JoinedTimestamp'],
  Policy: ['Id', 'Arn', 'Name', 'Type', 'AwsManaged'],
};

/** Attributes of a resource that is not this library's, from its physical id, as the local deployer makes them up. */
function plainAttributesOf(
  type: string, logicalId: string, physicalId: string, stack: { stackName: string; stackId: string }, env: { account: string; region: string },
): Record<string, unknown> {
  const [, , kind = 'Resource'] = type.split('::');
  // Resources whose physical id is an ARN are named by its last part.
  const name = physicalId.startsWith('arn:') ? physicalId.split(/[:/]/).pop()! : physicalId;
  return plainResource(type, logicalId, { [`${kind}Name`]: name }, stack, { ...env, partition: 'aws' }).attributes;
}

/** CloudFormation's error when a stack does not exist. */
function isMissingStack(error: unknown): boolean {
  return (error as Error)?.name === 'ValidationError' && /does not exist/.test((error as Error).message ?? '');
}

/**
 * The deployed stacks named (a name that does not exist is bad input), or without names every
 * stack that holds a resource of this library.
 */
export async function readDeployedStacks(clients: LiveClients, reader: Reader, names: readonly string[] = []): Promise<Stack[]> {
  const cfn = clients.cloudformation;
  try {
    if (names.length > 0) {
      const stacks: Stack[] = [];
      for (const name of names) {
        try {
          stacks.push(...(await reader.send<any>(cfn, new DescribeStacksCommand({ StackName: name }))).Stacks);
        } catch (error) {
          if (isMissingStack(error)) {
            throw new LiveInputError(`Stack ${name} does not exist in this account and region: check --stack, and --region (or the profile's region).`);
          }
          throw error;
        }
      }
      return stacks;
    }
    const all = await reader.pages<Stack>(cfn, NextToken => new DescribeStacksCommand({ NextToken }), 'Stacks');
    const ours: Stack[] = [];
    for (const stack of all) {
      if (stack.StackStatus === 'DELETE_COMPLETE') continue;
      const resources = await listResources(reader, clients, stack.StackName!);
      if (resources.some(r => r.ResourceType?.startsWith(LIBRARY_TYPE_PREFIX))) ours.push(stack);
    }
    return ours;
  } catch (error) {
    throw explainAccessError(error, { profile: clients.options.profile, endpoint: clients.options.endpoint }) ?? error;
  }
}

function listResources(reader: Reader, clients: LiveClients, stackName: string): Promise<StackResourceSummary[]> {
  return reader.pages<StackResourceSummary>(clients.cloudformation, NextToken => new ListStackResourcesCommand({ StackName: stackName, NextToken }), 'StackResourceSummaries');
}

/** What the handler of a resource of this library returns as its attributes, from the organization. */
export function libraryAttribute(state: EmulatorState, type: string, physicalId: string | undefined, attribute: string): unknown {
  const org = state.organization;
  if (!org || !physicalId) return undefined;
  switch (type) {
    case `${LIBRARY_TYPE_PREFIX}Organization`: {
      const management = state.accounts[org.managementAccountId];
      return ({
        Id: org.id,
        Arn: arns.organization(org),
        FeatureSet: org.featureSet,
        ManagementAccountId: org.managementAccountId,
        ManagementAccountArn: arns.account(org, org.managementAccountId),
        ManagementAccountEmail: management?.email,
        RootId: org.root.id,
        RootArn: arns.root(org),
      } as Record<string, unknown>)[attribute];
    }
    case `${LIBRARY_TYPE_PREFIX}OrganizationalUnit`: {
      const ou = org.ous[physicalId];
      return ou && ({ Id: ou.id, Arn: arns.ou(org, ou.id), Name: ou.name } as Record<string, unknown>)[attribute];
    }
    case `${LIBRARY_TYPE_PREFIX}Account`: {
      const account = state.accounts[physicalId];
      const membership = account?.membership;
      return account && ({
        AccountId: account.id,
        AccountArn: arns.account(org, account.id),
        AccountName: account.name,
        Email: account.email,
        ParentId: membership?.parentId,
        JoinedMethod: membership?.joinedMethod,
        JoinedTimestamp: membership ? new Date(membership.joinedAt).toISOString() : undefined,
      } as Record<string, unknown>)[attribute];
    }
    case `${LIBRARY_TYPE_PREFIX}Policy`: {
      const policy = org.policies[physicalId];
      return policy && ({
        Id: policy.id, Arn: arns.policy(org, policy), Name: policy.name, Type: policy.type, AwsManaged: String(policy.awsManaged),
      } as Record<string, unknown>)[attribute];
    }
    default:
      return undefined;
  }
}

/** Every export of the account and region (what Fn::ImportValue reads), from the stacks' outputs. */
export async function readExports(clients: LiveClients, reader: Reader): Promise<Map<string, string>> {
  const stacks = await reader.pages<Stack>(clients.cloudformation, NextToken => new DescribeStacksCommand({ NextToken }), 'Stacks');
  const exported = new Map<string, string>();
  for (const stack of stacks) {
    for (const output of stack.Outputs ?? []) if (output.ExportName) exported.set(output.ExportName, output.OutputValue ?? '');
  }
  return exported;
}

/** The stack's template, parameters and resources, with the library's resources' properties resolved against `state`. */
export async function describeDeployedStack(
  clients: LiveClients, reader: Reader, stack: Stack, state: EmulatorState, exported: ReadonlyMap<string, string> = new Map(),
): Promise<DeployedStack> {
  const cfn = clients.cloudformation;
  const stackName = stack.StackName!;
  const body = (await reader.send<any>(cfn, new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }))).TemplateBody as string;
  let template: Template;
  try {
    template = JSON.parse(body);
  } catch {
    throw new Error(`The template of stack ${stackName} is not JSON (a CDK app's template is): cannot read its declarations`);
  }
  const summaries = await listResources(reader, clients, stackName);
  const parameters: Record<string, string> = {};
  for (const p of (stack.Parameters ?? []) as Parameter[]) parameters[p.ParameterKey!] = p.ResolvedValue ?? p.ParameterValue ?? '';
  for (const [name, definition] of Object.entries(template.Parameters ?? {})) {
    if (!(name in parameters) && definition.Default !== undefined) parameters[name] = String(definition.Default);
  }
  const byId = new Map(summaries.map(s => [s.LogicalResourceId!, s]));
  const [, , , region = 'us-east-1', account = state.managementAccountId] = stack.StackId!.split(':');
  const stackRef = { stackName, stackId: stack.StackId! };
  const attributesOf = new Map<string, Record<string, unknown>>();
  for (const summary of summaries) {
    const id = summary.LogicalResourceId!;
    const type = summary.ResourceType ?? '';
    const physicalId = summary.PhysicalResourceId ?? '';
    if (type.startsWith(LIBRARY_TYPE_PREFIX)) {
      const names = LIBRARY_ATTRIBUTES[type.slice(LIBRARY_TYPE_PREFIX.length)] ?? [];
      const data = names.map(name => [name, libraryAttribute(state, type, physicalId, name)] as const).filter(([, value]) => value !== undefined);
      attributesOf.set(id, Object.fromEntries(data));
    } else if (!isCustomResourceType(type)) {
      attributesOf.set(id, plainAttributesOf(type, id, physicalId, stackRef, { account, region }));
    } else {
      attributesOf.set(id, {});
    }
  }
  const base: Omit<ResolveContext, 'conditions'> = {
    pseudo: { accountId: account, region, partition: 'aws', urlSuffix: 'amazonaws.com', stackName, stackId: stack.StackId! },
    parameters,
    mappings: template.Mappings,
    ref: id => byId.get(id)?.PhysicalResourceId ?? `unresolved:${id}`,
    getAtt: (id, attribute) => {
      const resource = byId.get(id);
      const type = resource?.ResourceType ?? template.Resources?.[id]?.Type ?? '';
      const attributes = attributesOf.get(id) ?? {};
      if (!isCustomResourceType(type)) return plainAttribute({ attributes, physicalId: resource?.PhysicalResourceId ?? '' } as any, attribute);
      return attributes[attribute] ?? `unresolved:${id}.${attribute}`;
    },
    importValue: name => exported.get(name) ?? `unresolved:import:${name}`,
  };
  let conditions: Record<string, boolean> = {};
  try {
    conditions = evaluateConditions(template, base);
  } catch {
    // A condition on something not known here: the resources that exist are those CloudFormation lists.
  }
  const isTrue = (name: string) => conditions[name] ?? true;
  const present = Object.fromEntries(Object.entries(template.Resources ?? {}).filter(([id]) => byId.has(id)));
  const graph = dependencyGraph(present, isTrue);
  const resources: DeployedResource[] = [];
  for (const summary of summaries) {
    const logicalId = summary.LogicalResourceId!;
    const declared = template.Resources?.[logicalId];
    const type = summary.ResourceType ?? declared?.Type ?? '';
    const record = {
      logicalId,
      type,
      physicalId: summary.PhysicalResourceId,
      status: summary.ResourceStatus ?? '',
      deletionPolicy: declared?.DeletionPolicy,
      updateReplacePolicy: declared?.UpdateReplacePolicy,
      attributes: attributesOf.get(logicalId) ?? {},
      dependsOn: [...graph.get(logicalId) ?? []],
    };
    let resolved: Record<string, unknown> | undefined;
    let unresolved: string | undefined;
    try {
      const value = resolve(declared?.Properties ?? {}, { ...base, conditions }) as Record<string, unknown>;
      resolved = (isCustomResourceType(type) ? stringifyScalars(value) : value) as Record<string, unknown>;
    } catch (error) {
      unresolved = (error as Error).message;
    }
    if (!type.startsWith(LIBRARY_TYPE_PREFIX)) {
      resources.push({ ...record, resolved, unresolved });
      continue;
    }
    const properties = resolved && { ...resolved };
    if (properties) delete properties.ServiceToken;
    resources.push({ ...record, resolved, properties, unresolved });
  }
  const outputs: DeployedStack['outputs'] = {};
  for (const output of stack.Outputs ?? []) {
    outputs[output.OutputKey!] = { value: output.OutputValue ?? '', ...(output.ExportName ? { exportName: output.ExportName } : {}), ...(output.Description ? { description: output.Description } : {}) };
  }
  const createdAt = (stack.CreationTime ?? new Date(0)).toISOString();
  const updatedAt = (stack.LastUpdatedTime ?? stack.CreationTime ?? new Date(0)).toISOString();
  return { stackName, stackId: stack.StackId!, status: stack.StackStatus ?? '', template, parameters, resources, outputs, createdAt, updatedAt };
}
