/**
 * `cdk-organizations deploy | destroy | tree`: the local deployer's commands.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { appFromCdkJson } from './assembly';
import { deploy, destroy, RunResult, RunStage } from './deploy';
import { formatEvent, formatOutputs, formatRunTime, formatSummary, Heartbeat } from './progress';
import { readOrganizationTree, renderOrganizationTree } from './tree';

export const USAGE = `Usage:
  cdk-organizations deploy  [STACK...] --endpoint URL [--app APP] [--parameters [STACK:]NAME=VALUE]... [--logs]
  cdk-organizations deploy  [STACK...] --endpoint URL [--app APP] --continue-rollback [--resources-to-skip ID[,ID...]]
  cdk-organizations destroy [STACK...] --endpoint URL [--app APP] [--retain-resources ID[,ID...]] [--logs]
  cdk-organizations tree    --endpoint URL [--json]

  --endpoint URL        the emulator (default: $AWS_ENDPOINT_URL_ORGANIZATIONS)
  --app APP             a cloud assembly directory (cdk.out) or a command that synthesizes one
                        (default: "app" of ./cdk.json)
  --stack NAME          same as a positional STACK; '*' wildcards allowed (default: every stack)
  --parameters          template parameter values, for every stack or for STACK only
  --continue-rollback   finish the rollback of stacks in UPDATE_ROLLBACK_FAILED (deploys nothing)
  --resources-to-skip   with --continue-rollback: resources left as they are, taken as rolled back
  --retain-resources    for stacks in DELETE_FAILED or ROLLBACK_FAILED: resources kept as they are
                        while the stack is deleted
  --logs                print the handler functions' log lines
  --code-cache DIR      where deployed function code is kept (default: ~/.cache/cdk-organizations/lambda-code)

  Ctrl-C stops starting resource operations and lets those in flight finish; then an update rolls
  back, and a creation or a destroy pauses (the next deploy or destroy carries it on). Press it
  again to exit at once: the next deploy or destroy finishes what was left in progress.
`;

/** Exit status of a run the user interrupted (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
};

type Command = 'deploy' | 'destroy' | 'tree';
type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = { endpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
const RUN: Options = {
  ...COMMON,
  'app': { type: 'string' },
  'stack': { type: 'string', multiple: true },
  'logs': { type: 'boolean' },
  'code-cache': { type: 'string' },
};
const OPTIONS: Record<Command, Options> = {
  deploy: {
    ...RUN,
    'parameters': { type: 'string', multiple: true },
    'continue-rollback': { type: 'boolean' },
    'resources-to-skip': { type: 'string', multiple: true },
  },
  destroy: { ...RUN, 'retain-resources': { type: 'string', multiple: true } },
  tree: { ...COMMON, json: { type: 'boolean' } },
};

interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** Strict parsing: unknown options, missing values and values given to flags are refused. */
function parse(command: Command, args: string[]): Parsed {
  const { values, positionals } = parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: command !== 'tree' });
  return { values: values as Parsed['values'], positionals };
}

/** `--x A,B --x C` → [A, B, C]. */
function list(value: string | boolean | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : []).flatMap(item => item.split(',')).map(item => item.trim()).filter(Boolean);
}

export interface MainOptions {
  /** Handle Ctrl-C (SIGINT) as described in the usage. @default true when writing to the process's own streams */
  readonly handleSignals?: boolean;
  /** Real milliseconds without output after which a line says what the run waits on; 0 for none. @default 10000 */
  readonly heartbeatMs?: number;
}

/** Real milliseconds without output before the heartbeat line. */
export const HEARTBEAT_MS = 10_000;

export async function main(command: Command, args: string[], io: Io = processIo, mainOptions: MainOptions = {}): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(command, args);
    const endpoint = parsed.values.endpoint;
    if (typeof endpoint === 'string' && !/^https?:\/\/[^/]/.test(endpoint)) throw new Error(`--endpoint takes the emulator's URL (http://HOST:PORT), got '${endpoint}'`);
    if (command === 'deploy' && list(parsed.values['resources-to-skip']).length > 0 && !parsed.values['continue-rollback']) {
      throw new Error('--resources-to-skip goes with --continue-rollback');
    }
    if (command === 'deploy' && parsed.values['continue-rollback'] && parsed.values.parameters !== undefined) {
      throw new Error('--continue-rollback deploys nothing: it takes no --parameters');
    }
  } catch (error) {
    io.err(`cdk-organizations ${command}: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const endpoint = (values.endpoint as string | undefined) ?? process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
  if (!endpoint) {
    io.err(`${command} needs the emulator's URL: pass --endpoint URL (printed by 'cdk-organizations emulator')`);
    return 1;
  }
  if (command === 'tree') {
    try {
      const tree = await readOrganizationTree(endpoint);
      io.out(values.json ? JSON.stringify(tree, undefined, 2) : renderOrganizationTree(tree).trimEnd());
      return 0;
    } catch (error) {
      io.err(error instanceof Error ? error.message : String(error));
      return 1;
    }
  }
  const user = io;
  const heartbeat = new Heartbeat({ print: line => user.err(line), intervalMs: mainOptions.heartbeatMs ?? HEARTBEAT_MS });
  // Whatever is printed puts the heartbeat off by a full interval.
  io = {
    out: line => { heartbeat.output(); user.out(line); },
    err: line => { heartbeat.output(); user.err(line); },
  };
  const interrupt = new AbortController();
  let presses = 0;
  const onSigint = () => {
    if (++presses === 1) {
      interrupt.abort();
      io.err('Interrupted: no new resource operation starts; those in flight finish, then an update rolls back '
        + '(a creation or a destroy pauses: the next deploy or destroy carries it on). '
        + 'Press Ctrl-C again to exit at once: the next deploy or destroy finishes what is left in progress.');
      return;
    }
    io.err(`Exiting now. Run 'cdk-organizations ${command}' again to finish what was left in progress.`);
    process.exit(EXIT_INTERRUPTED);
  };
  const handleSignals = mainOptions.handleSignals ?? user === processIo;
  if (handleSignals) process.on('SIGINT', onSigint);
  try {
    const app = (values.app as string | undefined) ?? appFromCdkJson();
    const stacks = [...positionals, ...list(values.stack)];
    const common = {
      endpoint,
      app,
      stacks,
      codeCacheDir: values['code-cache'] as string | undefined,
      interrupt: interrupt.signal,
      onEvent: (event: Parameters<typeof formatEvent>[0]) => io.out(formatEvent(event)),
      onLog: values.logs ? (fn: string, line: string) => io.err(`[${fn}] ${line}`) : undefined,
      onSynthOutput: (chunk: string) => { for (const line of chunk.trimEnd().split('\n')) if (line) io.err(line); },
      onStage: (stage: RunStage) => heartbeat.setStage(stage),
    };
    heartbeat.start();
    let result: RunResult;
    if (command === 'deploy') {
      const continueRollback = values['continue-rollback'] === true;
      if (!app && !(continueRollback && stacks.length > 0)) {
        throw new Error("deploy needs --app (a cdk.out directory or a command), or an 'app' in ./cdk.json");
      }
      io.out(`${continueRollback ? 'Continuing rollbacks' : 'Deploying'} on the emulator at ${endpoint}`);
      result = await deploy({
        ...common,
        parameters: parseParameters(Array.isArray(values.parameters) ? values.parameters : []),
        continueRollback,
        resourcesToSkip: list(values['resources-to-skip']),
      });
    } else {
      io.out(`Destroying on the emulator at ${endpoint}`);
      result = await destroy({ ...common, retainResources: list(values['retain-resources']) });
    }
    for (const stack of result.stacks) {
      io.out(formatSummary(stack));
      const outputs = formatOutputs(stack);
      if (outputs.length > 0 && command === 'deploy') io.out(['Outputs:', ...outputs].join('\n'));
    }
    io.out(formatRunTime(result));
    if (result.interrupted) return EXIT_INTERRUPTED;
    return result.success ? 0 : 1;
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    heartbeat.stop();
    if (handleSignals) process.off('SIGINT', onSigint);
  }
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
