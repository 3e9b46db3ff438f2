/**
 * Tags of OUs, accounts and policies: checked once the app is complete, since `Tags.of(...)`
 * aspects add tags after the constructs are made.
 */
import { TagManager, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { OWNERSHIP_TAG_PREFIX } from './contract';
import { MAX_DECLARED_TAGS, MAX_TAGS } from './quotas';

export function validateTags(scope: IConstruct, tags: TagManager): void {
  scope.node.addValidation({
    validate: () => {
      const rendered: Array<{ Key: string; Value: string }> = tags.renderTags() ?? [];
      const errors: string[] = [];
      if (rendered.length > MAX_DECLARED_TAGS) {
        errors.push(`tags: at most ${MAX_DECLARED_TAGS} tags per resource (AWS allows ${MAX_TAGS}, and this library keeps 2 for its ownership record), `
          + `got ${rendered.length} (${rendered.map(t => t.Key).join(', ')}).`);
      }
      for (const { Key: key, Value: value } of rendered) {
        if (!Token.isUnresolved(key) && (key.length < 1 || key.length > 128)) {
          errors.push(`tags: a tag key must be 1 to 128 characters long, got ${JSON.stringify(key)} (${key.length}).`);
        }
        if (!Token.isUnresolved(key) && key.toLowerCase().startsWith('aws:')) {
          errors.push(`tags: the key ${JSON.stringify(key)} starts with "aws:", which AWS reserves for its own tags. Use another key.`);
        }
        if (!Token.isUnresolved(key) && key.toLowerCase().startsWith(OWNERSHIP_TAG_PREFIX)) {
          errors.push(`tags: the key ${JSON.stringify(key)} starts with "${OWNERSHIP_TAG_PREFIX}", which this library reserves for the tags `
            + 'that record which resource owns what. Use another key.');
        }
        if (!Token.isUnresolved(value) && value.length > 256) {
          errors.push(`tags: the value of tag ${JSON.stringify(key)} must be at most 256 characters long, got ${value.length}.`);
        }
      }
      return errors;
    },
  });
}
