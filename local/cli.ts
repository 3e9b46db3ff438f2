#!/usr/bin/env node
/**
 * `cdk-organizations <command>`: the local emulator and the local deployer.
 * In a checkout: `npm run --silent cli -- <command> ...`.
 */
import { parseArgs } from 'util';

const USAGE = `Usage: cdk-organizations <command> [options]

Commands:
  emulator   Start a local AWS Organizations emulator (prints its endpoint URL first)
  deploy     Deploy a synthesized CDK app (cdk.out) against an emulator
  destroy    Destroy stacks deployed with 'deploy'
  tree       Print the organization of an emulator as a tree
  snapshot   Read a live organization (read-only) into an emulator state file
  drift      Report what changed in a live organization outside the deployed stacks
  plan       Print the calls a deploy of an app would make to a live organization

'cdk-organizations <command> --help' describes the options of a command.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'emulator':
      return (await import('./emulator/cli')).main(rest);
    case 'deploy':
    case 'destroy':
    case 'tree':
      return (await import('./deployer/cli')).main(command, rest);
    case 'snapshot':
    case 'drift':
    case 'plan':
      return (await import('./live/cli')).main(command, rest);
    case undefined:
      process.stderr.write(USAGE);
      return 1;
    default:
      break;
  }
  if (!command.startsWith('-')) {
    process.stderr.write(`Unknown command '${command}'.\n\n${USAGE}`);
    return 1;
  }
  // Options before any command: only --help, strictly.
  try {
    parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (error) {
    process.stderr.write(`cdk-organizations: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  process.stdout.write(USAGE);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    code => { process.exitCode = code; },
    error => { process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`); process.exitCode = 1; },
  );
}
