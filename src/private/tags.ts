/**
 * Tags of roots, OUs, accounts and policies: checked once the app is complete, since `Tags.of(...)`
 * aspects add tags after the constructs are made (and `Lazy` values resolve then).
 */
import { TagManager } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { MAX_TAGS_PER_RESOURCE, OWNERSHIP_TAG_PREFIX, OWNERSHIP_TAGS_PER_RESOURCE } from './contract';
import { MAX_DECLARED_TAGS } from './quotas';
import { reservedLibraryTags } from './registry';
import { resolveAtSynth, Rules, stringProblem } from './validation';

/** The problems of the declared tags, worded for the prop `tags`. */
export function tagProblems(scope: IConstruct, rendered: ReadonlyArray<{ Key: string; Value: string }>): string[] {
  const errors: string[] = [];
  const others = reservedLibraryTags(scope);
  const max = MAX_DECLARED_TAGS - others;
  if (rendered.length > max) {
    const more = others === 0 ? '' : ` and ${others} for the policy attachments, delegated administrators, policy types or trusted access `
      + 'the app records on it';
    errors.push(`tags: at most ${max} tags on this resource (AWS allows ${MAX_TAGS_PER_RESOURCE}, and this library keeps ${OWNERSHIP_TAGS_PER_RESOURCE} for its ownership record${more}), `
      + `got ${rendered.length} (${rendered.map(t => t.Key).join(', ')}).`);
  }
  for (const tag of rendered) {
    // A token that resolves at synth time is checked like a literal.
    const key = resolveAtSynth(scope, tag.Key);
    const value = resolveAtSynth(scope, tag.Value);
    if (key !== undefined) {
      const problem = stringProblem('tags: a tag key', key, Rules.TAG_KEY);
      if (problem) errors.push(problem);
      if (key.toLowerCase().startsWith('aws:')) {
        errors.push(`tags: the key ${JSON.stringify(key)} starts with "aws:", which AWS reserves for its own tags. Use another key.`);
      }
      if (key.toLowerCase().startsWith(OWNERSHIP_TAG_PREFIX)) {
        errors.push(`tags: the key ${JSON.stringify(key)} starts with "${OWNERSHIP_TAG_PREFIX}", which this library reserves for the tags `
          + 'that record which resource owns what. Use another key.');
      }
    }
    if (value !== undefined) {
      const problem = stringProblem(`tags: the value of tag ${JSON.stringify(key ?? tag.Key)}`, value, Rules.TAG_VALUE);
      if (problem) errors.push(problem);
    }
  }
  return errors;
}

export function validateTags(scope: IConstruct, tags: TagManager): void {
  scope.node.addValidation({ validate: () => tagProblems(scope, tags.renderTags() ?? []) });
}
