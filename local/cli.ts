#!/usr/bin/env node
/**
 * `cdk-organizations <command>`: the local emulator and the local deployer.
 * In a checkout: `npm run --silent cli -- <command> ...`.
 */
const USAGE = `Usage: cdk-organizations <command> [options]

Commands:
  emulator   Start a local AWS Organizations emulator (prints its endpoint URL first)
  deploy     Deploy a synthesized CDK app (cdk.out) against an emulator
  destroy    Destroy stacks deployed with 'deploy'
  tree       Print the organization of an emulator as a tree
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'emulator':
      return (await import('./emulator/cli')).main(rest);
    case 'deploy':
    case 'destroy':
    case 'tree':
      return (await import('./deployer/cli')).main(command, rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command ? 0 : 1;
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  code => { process.exitCode = code; },
  error => { process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`); process.exitCode = 1; },
);
