/**
 * Test harness for handler modules: a real emulator on a free port, real SDK clients pointed at it,
 * and CloudFormation-shaped events. Handler tests never mock the SDK except for faults the emulator
 * cannot produce.
 */
import { AccountClient } from '@aws-sdk/client-account';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateAccountCommand, DescribeCreateAccountStatusCommand, ListTagsForResourceCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { memoryLogger } from '../../lambda/shared/log';
import type { CreateEvent, DeleteEvent, HandlerContext, Properties, UpdateEvent } from '../../lambda/shared/types';
import { Emulator, EmulatorOptions } from '../../local/emulator';

export const CREDENTIALS = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator' };

/** Clients as a handler would build them, but talking to the emulator and retrying fast. */
export function clientsFor(endpoint: string, credentials = CREDENTIALS) {
  const common = {
    region: 'us-east-1',
    endpoint,
    credentials,
    retryStrategy: new ConfiguredRetryStrategy(2, () => 10),
  };
  return { organizations: new OrganizationsClient(common), account: new AccountClient(common), cloudformation: new CloudFormationClient(common) };
}

export interface Harness {
  readonly emulator: Emulator;
  readonly organizations: OrganizationsClient;
  readonly account: AccountClient;
  /** A fresh handler context (deadline 30 s from now, in-memory log). */
  context(overrides?: Partial<HandlerContext>): HandlerContext & { log: ReturnType<typeof memoryLogger> };
  stop(): Promise<void>;
}

/**
 * Starts an emulator: no throttling, a fast clock, an organization created, and room for 1,000
 * accounts (AWS's default quota of 10 would end most suites early), unless options say otherwise.
 */
export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = await Emulator.start({
    relaxed: true,
    timeScale: 0.001,
    withOrganization: true,
    ...options,
    quotas: { maxAccounts: 1_000, ...options.quotas },
  });
  const clients = clientsFor(emulator.endpoint);
  return {
    emulator,
    ...clients,
    context: (overrides = {}) => ({ ...clients, deadline: Date.now() + 30_000, log: memoryLogger(), ...overrides }) as any,
    stop: async () => {
      clients.organizations.destroy();
      clients.account.destroy();
      clients.cloudformation.destroy();
      await emulator.stop();
    },
  };
}

let requestCounter = 0;
/** The stack of every event below: owner identities (lambda/shared/ownership.ts) read `test/<logicalId>`. */
export const STACK_NAME = 'test';
const STACK_ID = `arn:aws:cloudformation:us-east-1:111111111111:stack/${STACK_NAME}/00000000-0000-0000-0000-000000000000`;

/**
 * Records the test stack with CloudFormation (the emulator serves it from its stack store) in
 * `status`, holding the resources `logicalIds`, its current operation started at
 * `operationStartedAt`; `undefined` removes it, so that CloudFormation knows no such stack and the
 * handlers keep what they own.
 */
export async function setStack(h: Pick<Harness, 'emulator'>, status: string | undefined, logicalIds: readonly string[] = [],
  operationStartedAt = new Date()): Promise<void> {
  const url = `${h.emulator.endpoint}/_emulator/stacks/${STACK_NAME}`;
  const resources = Object.fromEntries(logicalIds.map(id => [id, { type: 'Custom::Test', physicalId: id, status: 'CREATE_COMPLETE' }]));
  const now = operationStartedAt.toISOString();
  const response = status === undefined
    ? await fetch(url, { method: 'DELETE' })
    : await fetch(url, { method: 'PUT', body: JSON.stringify({ stackName: STACK_NAME, stackId: STACK_ID, status, resources, createdAt: now, updatedAt: now }) });
  if (!response.ok) throw new Error(`setStack: ${response.status} ${await response.text()}`);
}

/**
 * The ownership tags of a thing the resource `logicalId` made: its owner, and the marker of the
 * request that made it (lambda/shared/ownership.ts).
 */
export function bornOwned(logicalId = 'Resource'): Record<string, unknown> {
  return { 'cdk-organizations:owner': ownerId(logicalId), 'cdk-organizations:previous-owner': expect.stringMatching(/^created:\d+:req-\d+$/) };
}

/** The owner identity the handlers record for the resource `logicalId` of the test stack. */
export function ownerId(logicalId = 'Resource'): string {
  return `${STACK_NAME}/${logicalId}`;
}

/** The tags of a root, OU, account or policy, as a plain object. */
export async function tagsOf(organizations: OrganizationsClient, resourceId: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await organizations.send(new ListTagsForResourceCommand({ ResourceId: resourceId, NextToken: token }));
    for (const tag of page.Tags ?? []) tags[tag.Key!] = tag.Value!;
    token = page.NextToken;
  } while (token);
  return tags;
}

export function createEvent(resourceType: string, props: Properties, logicalId = 'Resource'): CreateEvent {
  return {
    RequestType: 'Create',
    RequestId: `req-${++requestCounter}`,
    LogicalResourceId: logicalId,
    StackId: STACK_ID,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...props },
  };
}

export function updateEvent(resourceType: string, physicalId: string, props: Properties, oldProps: Properties, logicalId = 'Resource'): UpdateEvent {
  return {
    RequestType: 'Update',
    RequestId: `req-${++requestCounter}`,
    LogicalResourceId: logicalId,
    PhysicalResourceId: physicalId,
    StackId: STACK_ID,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...props },
    OldResourceProperties: { ServiceToken: 'token', ...oldProps },
  };
}

export function deleteEvent(resourceType: string, physicalId: string, props: Properties, logicalId = 'Resource'): DeleteEvent {
  return {
    RequestType: 'Delete',
    RequestId: `req-${++requestCounter}`,
    LogicalResourceId: logicalId,
    PhysicalResourceId: physicalId,
    StackId: STACK_ID,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'token', ...props },
  };
}

/** Names of the mutating operations the emulator saw since `since` (index into the call log). */
export function mutatingCalls(emulator: Emulator, since = 0): string[] {
  return emulator.callLog.slice(since)
    .map(c => c.operation)
    .filter(op => !/^(Describe|List|Get)/.test(op));
}

/**
 * Creates a member account through the API and waits for it (bounded by a number of polls, not a
 * clock); returns its id. The email is `<name>@example.com`.
 */
export async function createMemberAccount(h: Pick<Harness, 'organizations'>, name: string): Promise<string> {
  const started = await h.organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
  for (let i = 0; i < 2000; i++) {
    const status = (await h.organizations.send(new DescribeCreateAccountStatusCommand({
      CreateAccountRequestId: started.CreateAccountStatus!.Id!,
    }))).CreateAccountStatus!;
    if (status.State === 'SUCCEEDED') return status.AccountId!;
    if (status.State === 'FAILED') throw new Error(`account creation failed: ${status.FailureReason}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  throw new Error('account creation never finished');
}

/**
 * A client that runs `before` once, just before the first `name` command (whose input `when`
 * accepts) goes to the emulator: a real race, no mock.
 */
export function raceBefore(client: OrganizationsClient, name: string, before: () => Promise<unknown>,
  when: (input: any) => boolean = () => true): OrganizationsClient {
  let done = false;
  return {
    send: async (command: { constructor: { name: string }; input?: unknown }) => {
      if (!done && command.constructor.name === name && when(command.input)) {
        done = true;
        await before();
      }
      return client.send(command as any);
    },
  } as unknown as OrganizationsClient;
}
