/**
 * The emulator judges policy content with the rule table the constructs use at synth
 * (src/private/policy-rules.ts, loaded from assets/policy-rules): AWS's documented examples are
 * accepted, and what AWS's documentation refuses is MalformedPolicyDocumentException, on
 * CreatePolicy and UpdatePolicy alike.
 */
import {
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribePolicyCommand,
  OrganizationsClient,
  PolicyType,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { expectError, Fixture, snapshot, startFixture } from './support';
import { DOCUMENTED_EXAMPLES, DOCUMENTED_REFUSALS } from '../policy-examples';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(() => f.stop());

let count = 0;
async function create(org: OrganizationsClient, type: string, content: string): Promise<string> {
  const out = await org.send(new CreatePolicyCommand({ Name: `syntax-${++count}`, Description: '', Type: type as PolicyType, Content: content }));
  return out.Policy!.PolicySummary!.Id!;
}

/** AWS's message for the exception (the API reference's description of MalformedPolicyDocumentException), then the detail. */
const AWS_MESSAGE = /^The provided policy document does not meet the requirements of the specified policy type\. /;

describe('AWS\'s documented examples are accepted and stored as sent', () => {
  test.each(DOCUMENTED_EXAMPLES.map((e, i) => [i, e.type, e.source, e.content]))('#%d %s (%s)', async (_, type, __, content) => {
    // Sent as AWS's pages show them, with whitespace: AWS counts it and keeps it.
    const pretty = JSON.stringify(JSON.parse(content as string), undefined, 2);
    const id = await create(f.org, type as string, pretty);
    expect((await f.org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!.Content).toBe(pretty);
    await f.org.send(new UpdatePolicyCommand({ PolicyId: id, Content: content as string }));
    expect((await f.org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!.Content).toBe(content);
    await f.org.send(new DeletePolicyCommand({ PolicyId: id }));
  });
});

describe('what AWS refuses is MalformedPolicyDocumentException, naming the element and the rule', () => {
  const validOf = (type: string) => DOCUMENTED_EXAMPLES.find(e => e.type === type)!.content;

  test.each(DOCUMENTED_REFUSALS)('%s: CreatePolicy creates nothing, UpdatePolicy changes nothing', async (_, type, doc, problem) => {
    const content = JSON.stringify(doc);
    const before = snapshot(f.emulator);
    const created = await expectError(create(f.org, type, content), 'MalformedPolicyDocumentException');
    expect(created.message).toMatch(AWS_MESSAGE);
    expect(created.message).toMatch(problem);
    expect(snapshot(f.emulator)).toBe(before);

    const id = await create(f.org, type, validOf(type));
    const updated = await expectError(f.org.send(new UpdatePolicyCommand({ PolicyId: id, Content: content })), 'MalformedPolicyDocumentException');
    expect(updated.message).toMatch(problem);
    expect((await f.org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!.Content).toBe(validOf(type));
    await f.org.send(new DeletePolicyCommand({ PolicyId: id }));
  });

  test('JSON that does not parse names the line and column', async () => {
    const error = await expectError(create(f.org, 'SERVICE_CONTROL_POLICY', '{\n  "Statement": [}'), 'MalformedPolicyDocumentException');
    expect(error.message).toMatch(/does not parse \(unexpected "}" where a value was expected at line 2, column 17\)/);
  });
});

describe('what AWS receives as text is judged as text', () => {
  test('repeated keys are not the emulator\'s to refuse (AWS documents no such rule): the text is stored as sent', async () => {
    const text = '{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Sid":"a","Sid":"b"}}';
    const id = await create(f.org, 'SERVICE_CONTROL_POLICY', text);
    expect((await f.org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!.Content).toBe(text);
    await f.org.send(new DeletePolicyCommand({ PolicyId: id }));
  });

  test('a management type without a documented fixed key: a JSON object with the inheritance operators', async () => {
    const id = await create(f.org, 'UPGRADE_ROLLOUT_POLICY', '{"anything":{"@@assign":"x"}}');
    await expectError(create(f.org, 'UPGRADE_ROLLOUT_POLICY', '["not an object"]'), 'MalformedPolicyDocumentException');
    await expectError(create(f.org, 'UPGRADE_ROLLOUT_POLICY', '{"anything":{"@@set":"x"}}'), 'MalformedPolicyDocumentException');
    await f.org.send(new DeletePolicyCommand({ PolicyId: id }));
  });
});
