/**
 * The read side of AWS CloudFormation over its real wire protocol (awsQuery: a form-encoded POST
 * with `Action=...`, XML answers), served from the stack documents the local deployer keeps with
 * the emulator. The handlers ask CloudFormation what a Delete is part of (a rollback or not) and
 * whether a resource still exists in its stack; `@aws-sdk/client-cloudformation` reads the same
 * answers here as in AWS.
 */
import { randomUUID } from 'crypto';

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** The fields of a deployer stack document this module reads (see local/deployer/store.ts). */
interface StackDocumentView {
  readonly stackName?: unknown;
  readonly stackId?: unknown;
  readonly status?: unknown;
  readonly statusReason?: unknown;
  readonly createdAt?: unknown;
  readonly updatedAt?: unknown;
  readonly template?: unknown;
  readonly parameters?: unknown;
  readonly outputs?: unknown;
  readonly resources?: unknown;
  /** The operation under way, while there is one: CloudFormation's LastUpdatedTime is when it started. */
  readonly operation?: unknown;
}

interface ResourceView {
  readonly type?: unknown;
  readonly physicalId?: unknown;
  readonly status?: unknown;
}

export interface CloudFormationAnswer {
  readonly status: number;
  readonly body: string;
}

/** Whether a request is meant for CloudFormation's query protocol. */
export function isCloudFormationRequest(contentType: string | undefined, text: string): boolean {
  return (contentType ?? '').startsWith('application/x-www-form-urlencoded') && /(^|&)Action=/.test(text);
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '\'': '&apos;', '"': '&quot;' })[c]!);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

function element(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}

function answer(action: string, result: string): CloudFormationAnswer {
  return {
    status: 200,
    body: `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>`
      + `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function failure(code: string, message: string, status = 400): CloudFormationAnswer {
  return {
    status,
    body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>`
      + `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** The stack named `nameOrId` (a stack name or a stack id ARN), as CloudFormation finds it. */
function findStack(stacks: Record<string, unknown>, nameOrId: string): StackDocumentView | undefined {
  for (const [name, value] of Object.entries(stacks)) {
    if (!value || typeof value !== 'object') continue;
    const doc = value as StackDocumentView;
    if (name === nameOrId || doc.stackId === nameOrId) return doc;
  }
  return undefined;
}

function operationStart(doc: StackDocumentView): string | undefined {
  return doc.operation && typeof doc.operation === 'object' ? str((doc.operation as { startedAt?: unknown }).startedAt) : undefined;
}

/** The stack's parameter values (what `plan` and `drift` resolve its template with). */
function parametersXml(doc: StackDocumentView): string {
  const parameters = doc.parameters && typeof doc.parameters === 'object' ? Object.entries(doc.parameters as Record<string, unknown>) : [];
  if (parameters.length === 0) return '';
  const members = parameters.map(([key, value]) => '<member>' + element('ParameterKey', key)
    + element('ParameterValue', Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value)) + '</member>');
  return `<Parameters>${members.join('')}</Parameters>`;
}

/** The stack's outputs, with their export names (what Fn::ImportValue of another stack reads). */
function outputsXml(doc: StackDocumentView): string {
  const outputs = doc.outputs && typeof doc.outputs === 'object' ? Object.entries(doc.outputs as Record<string, { value?: unknown; exportName?: unknown; description?: unknown }>) : [];
  if (outputs.length === 0) return '';
  const members = outputs.map(([key, output]) => '<member>' + element('OutputKey', key)
    + element('OutputValue', typeof output?.value === 'string' ? output.value : JSON.stringify(output?.value))
    + element('Description', str(output?.description)) + element('ExportName', str(output?.exportName)) + '</member>');
  return `<Outputs>${members.join('')}</Outputs>`;
}

/** What DescribeStacks' Stack and ListStacks' StackSummary have in common. */
function stackFields(doc: StackDocumentView): string {
  return element('StackName', str(doc.stackName))
    + element('StackId', str(doc.stackId))
    + element('StackStatus', str(doc.status))
    + element('StackStatusReason', str(doc.statusReason))
    + element('CreationTime', str(doc.createdAt))
    + element('LastUpdatedTime', operationStart(doc) ?? str(doc.updatedAt));
}

function stackXml(doc: StackDocumentView): string {
  return `<member>${stackFields(doc)}${parametersXml(doc)}${outputsXml(doc)}</member>`;
}

function stackSummaryXml(doc: StackDocumentView): string {
  return `<member>${stackFields(doc)}</member>`;
}

function resourcesOf(doc: StackDocumentView): Array<[string, ResourceView]> {
  const resources = doc.resources && typeof doc.resources === 'object' ? doc.resources as Record<string, unknown> : {};
  return Object.entries(resources).filter((entry): entry is [string, ResourceView] => !!entry[1] && typeof entry[1] === 'object');
}

function resourceXml(doc: StackDocumentView, logicalId: string, resource: ResourceView, tag: string, timestamp = 'LastUpdatedTimestamp'): string {
  return `<${tag}>`
    + element('StackName', str(doc.stackName))
    + element('StackId', str(doc.stackId))
    + element('LogicalResourceId', logicalId)
    + element('PhysicalResourceId', str(resource.physicalId))
    + element('ResourceType', str(resource.type))
    + element(timestamp, str(doc.updatedAt) ?? str(doc.createdAt))
    + element('ResourceStatus', str(resource.status))
    + `</${tag}>`;
}

const notFound = (nameOrId: string) => failure('ValidationError', `Stack with id ${nameOrId} does not exist`);

/**
 * Answers one CloudFormation request: DescribeStacks, ListStacks, DescribeStackResource,
 * DescribeStackResources, ListStackResources and GetTemplate.
 */
export function handleCloudFormation(stacks: Record<string, unknown>, params: URLSearchParams): CloudFormationAnswer {
  const action = params.get('Action') ?? '';
  const stackName = params.get('StackName') ?? '';
  switch (action) {
    case 'DescribeStacks': {
      if (!stackName) {
        const all = Object.values(stacks).filter((d): d is StackDocumentView => !!d && typeof d === 'object');
        return answer(action, `<Stacks>${all.map(stackXml).join('')}</Stacks>`);
      }
      const doc = findStack(stacks, stackName);
      return doc ? answer(action, `<Stacks>${stackXml(doc)}</Stacks>`) : notFound(stackName);
    }
    case 'ListStacks': {
      // StackStatusFilter.member.N: only stacks in these statuses.
      const filter = [...params.entries()].filter(([key]) => key.startsWith('StackStatusFilter.member.')).map(([, value]) => value);
      const all = Object.values(stacks).filter((d): d is StackDocumentView => !!d && typeof d === 'object')
        .filter(d => filter.length === 0 || filter.includes(str(d.status) ?? ''));
      return answer(action, `<StackSummaries>${all.map(stackSummaryXml).join('')}</StackSummaries>`);
    }
    case 'DescribeStackResource': {
      const doc = findStack(stacks, stackName);
      if (!doc) return notFound(stackName);
      const logicalId = params.get('LogicalResourceId') ?? '';
      const resource = resourcesOf(doc).find(([id]) => id === logicalId);
      if (!resource) return failure('ValidationError', `Resource ${logicalId} does not exist for stack ${stackName}`);
      return answer(action, resourceXml(doc, logicalId, resource[1], 'StackResourceDetail'));
    }
    case 'DescribeStackResources':
    case 'ListStackResources': {
      const doc = findStack(stacks, stackName);
      if (!doc) return notFound(stackName);
      const logicalId = params.get('LogicalResourceId');
      const members = resourcesOf(doc).filter(([id]) => !logicalId || id === logicalId)
        .map(([id, resource]) => resourceXml(doc, id, resource, 'member', action === 'ListStackResources' ? 'LastUpdatedTimestamp' : 'Timestamp')).join('');
      return answer(action, action === 'ListStackResources' ? `<StackResourceSummaries>${members}</StackResourceSummaries>` : `<StackResources>${members}</StackResources>`);
    }
    case 'GetTemplate': {
      const doc = findStack(stacks, stackName);
      if (!doc) return notFound(stackName);
      return answer(action, element('TemplateBody', JSON.stringify(doc.template ?? {})));
    }
    default:
      return failure('InvalidAction', `The action ${action || '(none)'} is not valid for this web service: the emulator answers CloudFormation's `
        + 'DescribeStacks, ListStacks, DescribeStackResource, DescribeStackResources, ListStackResources and GetTemplate.');
  }
}
