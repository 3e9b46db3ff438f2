/**
 * The kill soak (kill-soak.ts) in its quick mode: a few seeded kills of the deployer at random
 * points of creations, updates and rollbacks, each followed by the documented recovery.
 */
import { runSoak } from './kill-soak';

test('killed deploys recover: every stack deployable, no duplicate, no orphan, no declared account closed or removed', async () => {
  const figures = await runSoak({ kills: 3, seed: 7 });

  expect(figures.violations).toEqual([]);
  expect(figures.kills).toBe(3);
  expect(figures.notDeployable).toBe(0);
  expect(figures.duplicates).toBe(0);
  expect(figures.orphans).toBe(0);
  expect(figures.declaredAccountsClosedOrRemoved).toBe(0);
  expect(figures.recovered).toBe(figures.kills + figures.finishedBeforeKill);
}, 600_000);
