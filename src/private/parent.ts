/**
 * The rules of the organization's tree that the app can check: a parent is a root or an OU, and
 * OUs nest at most 5 levels under the root.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { MAX_OU_DEPTH } from './quotas';
import { TreeInfo, treeInfoOf } from './registry';
import { describeConstruct, fail, Rules } from './validation';

interface ParentLike extends IConstruct {
  readonly targetId: string;
}

/** Refuses a parent that is an account (TypeScript's structural typing lets one through), or an id that is neither a root's nor an OU's. */
export function checkParent(scope: IConstruct, prop: string, parent: ParentLike): void {
  const info = treeInfoOf(parent);
  const id = parent.targetId;
  const known = !Token.isUnresolved(id);
  if (info?.kind === 'account' || (known && !Rules.ROOT_ID.pattern.test(id) && !Rules.ORGANIZATIONAL_UNIT_ID.pattern.test(id))) {
    fail(scope, `${prop} must be a root or an organizational unit, got ${describeConstruct(parent, id)}.`);
  }
}

/** Where a child of `parent` sits. For an OU, refuses a depth beyond the quota. */
export function childInfo(scope: IConstruct, prop: string, parent: ParentLike, child: 'OU' | 'account'): TreeInfo {
  const info = treeInfoOf(parent);
  const depth = info?.depth === undefined ? undefined : info.depth + 1;
  if (child === 'OU' && depth !== undefined && depth > MAX_OU_DEPTH) {
    fail(scope, `${prop}: OUs nest at most ${MAX_OU_DEPTH} levels under the root, and under ${parent.node.path} this OU would be at level ${depth}. `
      + 'Place it under a parent closer to the root.');
  }
  return { kind: child === 'OU' ? 'organizational-unit' : 'account', depth, root: info?.root };
}
