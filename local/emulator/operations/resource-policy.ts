/**
 * The organization's resource-based delegation policy (which accounts may call which read
 * operations of Organizations): PutResourcePolicy, DescribeResourcePolicy, DeleteResourcePolicy.
 * One per organization; its tags are set only when it is created.
 */
import { constraintViolation, fail } from '../errors';
import { Tag } from '../state';
import { FIELDS, req, TAGS } from '../validation';
import { Operations, organizationOf } from './common';
import { applyTags } from './tags';

/** `ResourcePolicy.Content`'s maximum (quotas: "Resource-based delegation policy size"). */
export const MAX_RESOURCE_POLICY_CHARACTERS = 40_000;

const NOT_FOUND = 'We can\'t find a resource policy request with the parameter that you specified.';

/** A JSON policy document: an object with one statement or a list of them, each with an Effect. */
function checkDocument(content: string): void {
  if (content.length > MAX_RESOURCE_POLICY_CHARACTERS) {
    constraintViolation('POLICY_CONTENT_LIMIT_EXCEEDED', `The resource policy is ${content.length} characters long; the maximum is ${MAX_RESOURCE_POLICY_CHARACTERS}.`);
  }
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch {
    document = undefined;
  }
  const statements = document && typeof document === 'object' && !Array.isArray(document) ? (document as { Statement?: unknown }).Statement : undefined;
  const list = Array.isArray(statements) ? statements : statements !== undefined ? [statements] : [];
  if (list.length === 0 || list.some(s => !s || typeof s !== 'object' || !['Allow', 'Deny'].includes((s as { Effect?: unknown }).Effect as string))) {
    fail('MalformedPolicyDocumentException', 'The provided policy document does not meet the requirements of a resource policy: a JSON object with a Statement (one or a list), each with Effect "Allow" or "Deny".');
  }
}

function summary(org: { readonly id: string; readonly managementAccountId: string }, id: string) {
  return { Id: id, Arn: `arn:aws:organizations::${org.managementAccountId}:resourcepolicy/${org.id}/${id}` };
}

export const resourcePolicyOperations: Operations = {
  PutResourcePolicy: {
    access: 'management',
    mutating: true,
    input: { Content: req(FIELDS.policyContent), Tags: TAGS },
    run(ctx, input: { Content: string; Tags?: Tag[] }) {
      const org = organizationOf(ctx);
      checkDocument(input.Content);
      if (org.resourcePolicy && (input.Tags ?? []).length > 0) {
        constraintViolation('UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED',
          `The organization already has resource policy ${org.resourcePolicy.id}: tags go only with its creation (TagResource tags it later).`);
      }
      const id = org.resourcePolicy?.id ?? ctx.ids.resourcePolicyId();
      if (!org.resourcePolicy) applyTags(ctx, org, id, input.Tags ?? []);
      org.resourcePolicy = { id, content: input.Content };
      return { ResourcePolicy: { ResourcePolicySummary: summary(org, id), Content: input.Content } };
    },
  },

  DescribeResourcePolicy: {
    access: 'read',
    mutating: false,
    input: {},
    run(ctx) {
      const org = organizationOf(ctx);
      const policy = org.resourcePolicy ?? fail('ResourcePolicyNotFoundException', NOT_FOUND);
      return { ResourcePolicy: { ResourcePolicySummary: summary(org, policy.id), Content: policy.content } };
    },
  },

  DeleteResourcePolicy: {
    access: 'management',
    mutating: true,
    input: {},
    run(ctx) {
      const org = organizationOf(ctx);
      const policy = org.resourcePolicy ?? fail('ResourcePolicyNotFoundException', NOT_FOUND);
      delete org.tags[policy.id];
      delete org.resourcePolicy;
    },
  },
};
