/**
 * `cdk-organizations deploy | destroy | tree`: the local deployer's commands.
 */
import { appFromCdkJson } from './assembly';
import { deploy, destroy, RunResult } from './deploy';
import { formatEvent, formatOutputs, formatSummary } from './progress';
import { readOrganizationTree, renderOrganizationTree } from './tree';

const USAGE = `Usage:
  cdk-organizations deploy  [STACK...] --endpoint URL [--app APP] [--parameters [STACK:]NAME=VALUE]... [--logs]
  cdk-organizations destroy [STACK...] --endpoint URL [--app APP] [--logs]
  cdk-organizations tree    --endpoint URL [--json]

  --endpoint URL   the emulator (default: $AWS_ENDPOINT_URL_ORGANIZATIONS)
  --app APP        a cloud assembly directory (cdk.out) or a command that synthesizes one
                   (default: "app" of ./cdk.json)
  --stack NAME     same as a positional STACK; '*' wildcards allowed (default: every stack)
  --parameters     template parameter values, for every stack or for STACK only
  --logs           print the handler functions' log lines
  --code-cache DIR where deployed function code is kept (default: ~/.cache/cdk-organizations/lambda-code)
`;

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
};

export async function main(command: 'deploy' | 'destroy' | 'tree', args: string[], io: Io = processIo): Promise<number> {
  let options: ParsedArgs;
  try {
    options = parseArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (options.flags.has('help')) {
    io.out(USAGE);
    return 0;
  }
  const endpoint = options.values.endpoint?.[0] ?? process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
  if (!endpoint) {
    io.err(`${command} needs the emulator's URL: pass --endpoint URL (printed by 'cdk-organizations emulator')`);
    return 1;
  }
  try {
    if (command === 'tree') {
      const tree = await readOrganizationTree(endpoint);
      io.out(options.flags.has('json') ? JSON.stringify(tree, undefined, 2) : renderOrganizationTree(tree).trimEnd());
      return 0;
    }
    const app = options.values.app?.[0] ?? appFromCdkJson();
    const stacks = [...options.positional, ...(options.values.stack ?? [])];
    const common = {
      endpoint,
      app,
      stacks,
      codeCacheDir: options.values['code-cache']?.[0],
      onEvent: (event: Parameters<typeof formatEvent>[0]) => io.out(formatEvent(event)),
      onLog: options.flags.has('logs') ? (fn: string, line: string) => io.err(`[${fn}] ${line}`) : undefined,
      onSynthOutput: (chunk: string) => { for (const line of chunk.trimEnd().split('\n')) if (line) io.err(line); },
    };
    let result: RunResult;
    if (command === 'deploy') {
      if (!app) throw new Error("deploy needs --app (a cdk.out directory or a command), or an 'app' in ./cdk.json");
      io.out(`Deploying to the emulator at ${endpoint}`);
      result = await deploy({ ...common, parameters: parseParameters(options.values.parameters ?? []) });
    } else {
      io.out(`Destroying on the emulator at ${endpoint}`);
      result = await destroy(common);
    }
    for (const stack of result.stacks) {
      io.out(formatSummary(stack));
      const outputs = formatOutputs(stack);
      if (outputs.length > 0 && command === 'deploy') io.out(['Outputs:', ...outputs].join('\n'));
    }
    return result.success ? 0 : 1;
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

interface ParsedArgs {
  readonly positional: string[];
  readonly values: Record<string, string[]>;
  readonly flags: Set<string>;
}

const VALUE_OPTIONS = ['endpoint', 'app', 'stack', 'parameters', 'code-cache'];
const FLAG_OPTIONS = ['logs', 'json', 'help'];

function parseArgs(args: string[]): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], values: {}, flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h') {
      parsed.flags.add('help');
      continue;
    }
    if (!arg.startsWith('--')) {
      parsed.positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (FLAG_OPTIONS.includes(name)) {
      parsed.flags.add(name);
    } else if (VALUE_OPTIONS.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      (parsed.values[name] ??= []).push(value);
    } else {
      throw new Error(`Unknown option --${name}`);
    }
  }
  return parsed;
}

function parseParameters(entries: string[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new Error(`--parameters takes [STACK:]NAME=VALUE, got '${entry}'`);
    parameters[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return parameters;
}
