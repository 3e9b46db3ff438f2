/**
 * `npm run demo`, exactly as README.md tells a new user to run it: it must deploy the example
 * landing zone, print it, plan version 2 read-only, apply it and say precisely what changed, with no AWS account.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

test('npm run demo deploys the landing zone, applies version 2 and reports each change', () => {
  const run = spawnSync('npm', ['run', '--silent', 'demo', '--', '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    // No credentials and no endpoint from the caller's environment may leak into the demo.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_ENDPOINT_URL_ORGANIZATIONS: '' },
    timeout: 240_000,
  });
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  const out = run.stdout;
  expect(out).toMatch(/^AWS Organizations emulator at http:\/\/127\.0\.0\.1:\d+ \(time scale 0\.01, real quotas and throttling\)$/m);
  expect(out).toMatch(/^LandingZone v1: CREATE_COMPLETE$/m);
  expect(out).toMatch(/^ {2}resources {3}39 created, 0 updated/m);
  expect(out).toMatch(/├── OU Security \(ou-[0-9a-z]+-[0-9a-z]+\)/);
  expect(out).toMatch(/delegated administrator for: guardduty\.amazonaws\.com, securityhub\.amazonaws\.com/);
  // Version 2 is planned first, read-only, and the plan names exactly what the deploy then does.
  const planned = out.slice(out.indexOf('== Planning version 2'), out.indexOf('== Applying version 2'));
  expect(planned).toMatch(/^ {6}UpdateOrganizationalUnit Name=Experiments OrganizationalUnitId=ou-\S+$/m);
  expect(planned).toMatch(/^ {6}MoveAccount AccountId=\d{12} /m);
  expect(planned).toMatch(/^ {6}UpdatePolicy PolicyId=p-\S+ Content=\(new content\)$/m);
  expect(planned).toMatch(/^ {4}! DetachPolicy PolicyId=p-\S+ TargetId=ou-\S+$/m);
  expect(planned).toMatch(/^ {4}! DeletePolicy PolicyId=p-\S+$/m);
  expect(planned).toMatch(/^5 calls that change the organization, 2 destructive\.$/m);
  expect(planned).toMatch(/^ {2}\(the plan made 0 mutating calls to the organization\)$/m);
  expect(out).toMatch(/^LandingZone v2: UPDATE_COMPLETE$/m);
  const changes = out.slice(out.indexOf('What changed in the organization'), out.indexOf('== Deploying version 2 again')).trim().split('\n').slice(1).map(l => l.trim());
  expect(changes).toEqual(expect.arrayContaining([
    expect.stringMatching(/^~ OU ou-\S+ renamed: Sandbox -> Experiments$/),
    expect.stringMatching(/^~ Account team-sandbox \(\d{12}\) moved: OU Sandbox -> OU Dev$/),
    expect.stringMatching(/^~ policy allowed-regions \(p-\S+\) content changed$/),
    expect.stringMatching(/^- policy deny-root-user detached from OU Workloads \(ou-\S+\)$/),
    expect.stringMatching(/^- policy deny-root-user \(p-\S+\) deleted$/),
  ]));
  expect(changes).toHaveLength(5);
  expect(out).toMatch(/^ {2}no changes, 0 mutating API calls$/m);
});
