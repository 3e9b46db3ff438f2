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
}

export class EmulatorUnreachableError extends Error {}

/** HTTP client of the emulator's `/_emulator/` endpoints. */
export class EmulatorAdmin {
  constructor(readonly endpoint: string) {}

  async config(): Promise<EmulatorConfig> {
    let response: Response;
    try {
      response = await fetch(this.url('/_emulator/config'));
    } catch (error) {
      throw new EmulatorUnreachableError(`Cannot reach the emulator at ${this.endpoint} (${describe(error)}): start one with 'cdk-organizations emulator' and pass its URL with --endpoint`);
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
      throw new EmulatorUnreachableError(`Cannot reach the emulator at ${this.endpoint} (${describe(error)})`);
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
