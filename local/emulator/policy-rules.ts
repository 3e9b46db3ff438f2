/**
 * The policy syntax rules of the constructs (src/private/policy-rules.ts), loaded at run time from
 * the bundle `npx projen bundle` writes to assets/policy-rules: one rule table for the library and
 * the emulator, while local/ stays compiled on its own (it cannot import src/).
 */
import * as fs from 'fs';
import * as path from 'path';

/** One thing AWS would refuse in a policy document (the shape src/private/policy-rules.ts exports). */
export interface PolicyProblem {
  readonly where: string;
  readonly element?: string;
  readonly rule: string;
  readonly value?: string;
  readonly fix: string;
  readonly source: string;
}

/** What the emulator uses of the bundled module. */
export interface PolicyRulesModule {
  checkPolicyText(type: string, text: string, options?: { readonly lossless?: boolean }): PolicyProblem[];
  formatProblem(problem: PolicyProblem): string;
}

let loaded: PolicyRulesModule | undefined;

/** The directory holding package.json, above `from`: the repository from local/ sources, the package from lib/local. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}: cannot find assets/policy-rules.`);
  }
}

export function policyRules(): PolicyRulesModule {
  if (!loaded) {
    const file = path.join(packageRoot(__dirname), 'assets', 'policy-rules', 'index.js');
    if (!fs.existsSync(file)) {
      throw new Error(`The policy syntax rules are not built (${file} is missing): run \`npx projen bundle\` first.`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as PolicyRulesModule;
  }
  return loaded;
}
