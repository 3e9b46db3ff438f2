/**
 * The deployer's view of the emulator's admin API: its configuration, and the per-stack document
 * store where deployed stacks live between runs (keyed by stack name, as CloudFormation keys
 * stacks by name per account and region).
 */
import type { Template } from './template';

export interface EmulatorConfig {
  readonly timeScale: number;
  readonly relaxed: boolean;
  readonly managementAccountId: string;
  readonly endpoint: string;
}

/** One resource of a deployed stack, as the stack remembers it. */
export interface ResourceRecord {
  readonly type: string;
  readonly physicalId: string;
  /** Resolved properties; for custom resources exactly as the provider received them (scalars as strings). */
  readonly properties: Record<string, unknown>;
  /** `Fn::GetAtt` values: a custom resource's Data, a plausible Arn/Name otherwise. */
  readonly attributes: Record<string, unknown>;
  /** Logical ids of the resources of the same stack it depends on (deletion goes in reverse). */
  readonly dependsOn: readonly string[];
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
  readonly status: string;
  /** Lambda functions: where their code is kept (a content key in the code cache). */
  readonly codeKey?: string;
}

export interface OutputRecord {
  readonly value: unknown;
  readonly exportName?: string;
  readonly description?: string;
}

/** Everything the deployer keeps about a stack; stored as an opaque JSON document by the emulator. */
export interface StackDocument {
  readonly format: 'cdk-organizations/local-stack@1';
  readonly stackName: string;
  readonly stackId: string;
  status: string;
  statusReason?: string;
  /** The template the stack is at (the last one deployed, or the one rolled back to). */
  template: Template;
  parameters: Record<string, unknown>;
  resources: Record<string, ResourceRecord>;
  /** Physical resources awaiting deletion when an operation was interrupted (replaced instances). */
  pendingDeletes: Array<ResourceRecord & { logicalId: string }>;
  outputs: Record<string, OutputRecord>;
  /** Export names this stack imports with Fn::ImportValue: they cannot change while it does. */
  imports: string[];
  readonly createdAt: string;
  updatedAt: string;
  /**
   * The operation under way (while the status is `*_IN_PROGRESS`), or the rollback that failed
   * (UPDATE_ROLLBACK_FAILED): what a later run needs to finish it as CloudFormation would have.
   */
  operation?: OperationRecord;
}

/** What an operation did to a resource, for its rollback. */
export type Touch =
  | { readonly kind: 'creating'; readonly record: Omit<ResourceRecord, 'physicalId' | 'attributes' | 'status'> }
  | { readonly kind: 'created' }
  | { readonly kind: 'updating'; readonly previous: ResourceRecord; readonly attempted: Record<string, unknown> }
  | { readonly kind: 'updated'; readonly previous: ResourceRecord; readonly attempted: Record<string, unknown> }
  | { readonly kind: 'replaced'; readonly previous: ResourceRecord }
  /** Back to its previous state by the rollback (or skipped by a continued rollback). */
  | { readonly kind: 'rolledBack' };

/** A Create or Update sent to a provider whose answer the operation has not recorded yet. */
export interface InFlightRequest {
  readonly requestType: 'Create' | 'Update';
  /** Sent again with the same RequestId when the operation resumes (the handlers are idempotent). */
  readonly requestId: string;
}

/** The checkpoint of a stack operation, saved with the stack document as each resource completes. */
export interface OperationRecord {
  readonly kind: 'create' | 'update' | 'delete';
  /** The process running it, so that a later run can tell an interrupted operation from one still running. */
  readonly pid: number;
  readonly host: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly touched: Record<string, Touch>;
  readonly inFlight: Record<string, InFlightRequest>;
  /** Updates: the resources as the stack had them before, for the rollback. */
  readonly previousResources?: Record<string, ResourceRecord>;
  /** Cleanup phases: the logical ids being deleted. */
  readonly cleanup?: readonly string[];
  /** Deletes: the logical ids kept (DeleteStack's RetainResources). */
  readonly retain?: readonly string[];
  /** Why the stack rolls back. */
  readonly reason?: string;
  /** Creates and updates: the template and parameters being deployed, for a later run to carry on with. */
  readonly target?: { readonly template: Template; readonly parameters: Record<string, unknown> };
  /** The user interrupted the operation (Ctrl-C): a later run rolls it back rather than carrying it on. */
  readonly cancelled?: boolean;
}

export class EmulatorUnreachableError extends Error {}

/** The error when nothing answers at the endpoint: which endpoint, and how to start an emulator there. */
export function unreachable(endpoint: string, error: unknown): EmulatorUnreachableError {
  return new EmulatorUnreachableError(`Cannot reach the emulator at ${endpoint}: nothing answers there (${describe(error)}). `
    + "Start one with 'cdk-organizations emulator' (in a checkout: 'npm run --silent cli -- emulator'); it prints its URL first: pass that URL with --endpoint");
}

/** HTTP client of the emulator's `/_emulator/` endpoints. */
export class EmulatorAdmin {
  constructor(readonly endpoint: string) {}

  async config(): Promise<EmulatorConfig> {
    let response: Response;
    try {
      response = await fetch(this.url('/_emulator/config'));
    } catch (error) {
      throw unreachable(this.endpoint, error);
    }
    if (!response.ok) throw new Error(`${this.endpoint} does not look like a cdk-organizations emulator: GET /_emulator/config answered ${response.status}`);
    return await response.json() as EmulatorConfig;
  }

  async listStacks(): Promise<string[]> {
    const response = await this.request('GET', '/_emulator/stacks');
    return ((await response.json()) as { stacks: string[] }).stacks;
  }

  async getStack(name: string): Promise<StackDocument | undefined> {
    const response = await this.request('GET', this.stackPath(name), undefined, [404]);
    if (response.status === 404) return undefined;
    const document = await response.json() as StackDocument;
    if (document?.format !== 'cdk-organizations/local-stack@1') {
      throw new Error(`The emulator holds a document for stack ${name} that the local deployer did not write`);
    }
    return document;
  }

  async putStack(document: StackDocument): Promise<void> {
    await this.request('PUT', this.stackPath(document.stackName), JSON.stringify(document));
  }

  async deleteStack(name: string): Promise<void> {
    await this.request('DELETE', this.stackPath(name), undefined, [404]);
  }

  private stackPath(name: string): string {
    return `/_emulator/stacks/${encodeURIComponent(name)}`;
  }

  private url(pathname: string): string {
    return `${this.endpoint.replace(/\/+$/, '')}${pathname}`;
  }

  private async request(method: string, pathname: string, body?: string, accept: number[] = []): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(pathname), {
        method,
        body,
        headers: body ? { 'content-type': 'application/json' } : undefined,
      });
    } catch (error) {
      throw unreachable(this.endpoint, error);
    }
    if (!response.ok && !accept.includes(response.status)) {
      throw new Error(`${method} ${pathname} on the emulator answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    }
    return response;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
