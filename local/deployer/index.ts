/**
 * The local deployer: drives the custom resources of a synthesized CDK app through the lifecycle
 * CloudFormation and the CDK provider framework give them, calling the real bundled handlers,
 * against the local Organizations emulator.
 */
export { deploy, destroy, selectStacks } from './deploy';
export type { DeployOptions, DestroyOptions, RunOptions, RunResult } from './deploy';
export type { StackEvent, StackResult, StackCounts, ResourceInvocation } from './engine';
export { readAssembly, synthesize } from './assembly';
export type { AssemblyStack, CloudAssembly } from './assembly';
export { readOrganizationTree, renderOrganizationTree } from './tree';
export type { OrganizationTree, OrganizationNode, AttachedPolicy } from './tree';
export { OrganizationsHttpClient, OrganizationsApiError } from './organizations-client';
export { EmulatorAdmin } from './store';
export type { StackDocument, ResourceRecord, OperationRecord } from './store';
export { wayOut } from './engine';
export { formatEvent, formatSummary } from './progress';
