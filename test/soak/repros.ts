/**
 * The smallest lifecycles that reproduce each kind of violation the soak found, as scripts
 * (`cli.ts --repro NAME`, or `--repro all`). Each names the app versions, the faults and what the
 * invariants should report while the defect is there.
 */
import { AccountSpec, AppSpec, OuSpec, PolicySpec } from './generator';
import { ScriptStep } from './runner';

const scp = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: [action], Resource: '*' }] });
const base: AppSpec = { stacks: 1, ous: [], accounts: [], policies: [], admins: [] };
const ou = (over: Partial<OuSpec> = {}): OuSpec => ({ key: 'ou1', id: 'Team', name: 'Team', parent: 'root', tags: {}, ...over });
const account = (over: Partial<AccountSpec> = {}): AccountSpec => ({
  key: 'acct1', id: 'Sandbox', name: 'sandbox', email: 'sandbox@example.com', parent: 'root', tags: {}, removalAction: 'RETAIN', ...over,
});
const policy = (over: Partial<PolicySpec> = {}): PolicySpec => ({
  key: 'pol1', id: 'Guard', name: 'guard', type: 'SERVICE_CONTROL_POLICY', content: scp('s3:DeleteBucket'), targets: ['root'], tags: {}, stack: 0, ...over,
});
const doomLast = { stack: 0, last: true };
const doomFirst = { stack: 0, last: false };

export interface Repro {
  readonly description: string;
  readonly steps: readonly ScriptStep[];
  /** Still reproduces (a known open defect): the test of the reproductions does not assert it. */
  readonly open?: boolean;
}

export const REPROS: Record<string, Repro> = {
  'takeover-rollback-keeps-content': {
    description: 'A policy whose construct id changes together with its content, in a deploy that fails: the rollback gives the policy back to the old resource but leaves the new content.',
    steps: [
      { spec: { ...base, policies: [policy()] } },
      { spec: { ...base, policies: [policy({ id: 'GuardPolicy', content: scp('ec2:TerminateInstances') })], doom: doomLast } },
    ],
  },
  'takeover-loses-edit': {
    description: 'An account whose construct id changes and whose tag is removed in the same version: the takeover keeps the removed tag.',
    steps: [
      { spec: { ...base, accounts: [account({ tags: { team: 'x', env: 'prod' } })] } },
      { spec: { ...base, accounts: [account({ id: 'SandboxAccount', tags: { env: 'prod' } })] } },
    ],
  },
  'adoption-rollback': {
    description: 'A policy and an account made by hand, adopted by a deploy that fails: the rollback leaves the content, tags, description, attachment and parent the adoption gave them.',
    steps: [
      { spec: { ...base, ous: [ou()] } },
      {
        handMade: ['pol1', 'acct1'],
        spec: {
          ...base,
          ous: [ou()],
          accounts: [account({ parent: 'ou1', tags: { team: 'x' } })],
          policies: [policy({ tags: { team: 'x' }, targets: ['ou1'] })],
          doom: doomLast,
        },
      },
    ],
  },
  'adopted-account-not-renamed': {
    description: 'An account made by hand and declared with another name: the deploy succeeds and the account keeps its old name.',
    steps: [{ handMade: ['acct1'], spec: { ...base, accounts: [account()] } }],
  },
  'cancelled-create-wins': {
    description: 'An OU whose construct id changes in a deploy that fails at once: the new resource\'s cancelled Create finishes after the rollback and keeps the OU, owned by a resource the stack does not have.',
    steps: [
      { spec: { ...base, ous: [ou()] } },
      { spec: { ...base, ous: [ou({ id: 'TeamOu' })], doom: doomFirst }, faults: { latencyMs: 60 } },
      { destroy: true },
    ],
  },
  'cancelled-update-wins': {
    description: 'An account\'s tags, a policy\'s name and attachment change in a deploy that fails at once, with those calls slow: the cancelled Updates land after the rollback.',
    steps: [
      { spec: { ...base, accounts: [account()], policies: [policy()] } },
      {
        spec: { ...base, accounts: [account({ tags: { team: 'x' } })], policies: [policy({ name: 'guard-renamed', targets: [] })], doom: doomFirst },
        faults: { operations: { UpdatePolicy: { latencyMs: 400 }, DetachPolicy: { latencyMs: 400 }, TagResource: { latencyMs: 400 } } },
      },
    ],
  },
  'rollback-keeps-trusted-access': {
    description: 'A stack created again after a destroy, with a delegated administrator on an account whose email belongs to the closed account: '
      + 'the creation fails (rightly) and rolls back, but the trusted access it enabled for the administrator\'s service stays enabled.',
    steps: [
      { spec: { ...base, accounts: [account({ removalAction: 'CLOSE' })] } },
      { destroy: true },
      { spec: { ...base, accounts: [account({ removalAction: 'CLOSE' })], admins: [{ key: 'admin1', id: 'Health', account: 'acct1', principal: 'health.amazonaws.com' }] } },
    ],
  },
  'cross-stack-policy-type-disabled': {
    description: 'Two stacks: the organization\'s stack stops enabling TAG_POLICY because the newer version detaches the second stack\'s only tag policy; '
      + 'it deploys first and disables the type while the second stack still attaches the policy (disabling a type detaches its policies).',
    steps: [
      { spec: { ...base, stacks: 2, policies: [policy({ type: 'TAG_POLICY', name: 'tags', content: { tags: { team: { tag_key: { '@@assign': 'Team' } } } }, stack: 1 })] } },
      { spec: { ...base, stacks: 2, policies: [policy({ type: 'TAG_POLICY', name: 'tags', content: { tags: { team: { tag_key: { '@@assign': 'Team' } } } }, stack: 1, targets: [] })] } },
    ],
  },
  'takeover-keeps-dropped-attachment': {
    description: 'A policy whose construct id changes while one of its targets is dropped: the old resource\'s removal leaves the dropped attachment (and it later blocks destroy).',
    steps: [
      { spec: { ...base, ous: [ou()], policies: [policy({ targets: ['root', 'ou1'] })] } },
      { spec: { ...base, ous: [ou()], policies: [policy({ id: 'GuardPolicy', targets: ['root'] })] } },
      { destroy: true },
    ],
  },
  'adopted-policy-reid-keeps-attachment': {
    description: 'A policy made by hand and adopted with a target; its construct id changes and the target is dropped in the same version: '
      + 'the new resource adopts it again, the old one\'s removal leaves an adopted policy as it is, and the dropped attachment stays.',
    steps: [
      { handMade: ['pol1'], spec: { ...base, ous: [ou()], policies: [policy({ targets: ['ou1'] })] } },
      { spec: { ...base, ous: [ou()], policies: [policy({ id: 'GuardPolicy', targets: [] })] } },
    ],
  },
  'adopted-reid-keeps-dropped-tags': {
    description: 'A policy made by hand and adopted with tags; its construct id changes and the tags are dropped in the same version: '
      + 'the new resource adopts it again and removes the tags the first adoption added (its record names them), so the tags do not stay.',
    steps: [
      { handMade: ['pol1'], spec: { ...base, policies: [policy({ tags: { team: 'x' } })] } },
      { spec: { ...base, policies: [policy({ id: 'GuardPolicy', tags: {} })] } },
    ],
  },
  'organization-conflict-not-retried': {
    description: 'Account Management answers a conflict (ConflictException, its name for a concurrent modification) to GetAccountInformation: the Organization resource fails at once instead of retrying.',
    steps: [{
      spec: { ...base, accounts: [account()] },
      faults: { operations: { GetAccountInformation: { ConcurrentModificationException: 0.5 } } },
      faultSeed: 4,
    }],
  },
};
