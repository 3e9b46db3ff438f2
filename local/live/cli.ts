/**
 * `cdk-organizations snapshot | drift | plan`: read a live organization (AWS, or any endpoint that
 * speaks its API) and never write to it.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { liveClients, LiveClientOptions } from './clients';
import { driftCommand } from './drift';
import { EXIT_BAD_INPUT, LiveInputError } from './errors';
import { planCommand } from './plan';
import { SnapshotProgress, takeSnapshot, writeSnapshot } from './snapshot';

export const USAGE = `Usage:
  cdk-organizations snapshot --out FILE [CONNECTION]
  cdk-organizations drift    [--stack NAME]... [--unmanaged] [--json] [CONNECTION]
  cdk-organizations plan     --app APP [--stack NAME]... [--json] [--allow-destructive] [--max-accounts N] [CONNECTION]

  snapshot   read the whole organization (read-only calls, paced below AWS's throttling) and
             write it as an emulator state file ('cdk-organizations emulator --state FILE')
  drift      compare each deployed stack's resources with the organization: exit 2 on drift
  plan       rehearse the deploy of APP on a private copy of the organization and print the calls
             it would make: exit 0 no change, 1 changes, 2 destructive changes (close, remove, delete,
             detach, disable, deregister; 1 with --allow-destructive), 3 the deploy would fail.
             --max-accounts N: the organization's accounts quota (the API does not show it)

CONNECTION (the standard AWS credential chain; run them in the management account):
  --profile NAME      a profile of ~/.aws/config (default: $AWS_PROFILE, then the default chain)
  --region REGION     the region of the stacks (default: $AWS_REGION, then the profile's)
  --endpoint URL      one URL for every service, e.g. a local emulator (default: AWS)

Bad input (no credentials, nothing answering, not the management account, no such stack, an app
that does not synthesize) exits with status ${EXIT_BAD_INPUT} and writes nothing.
`;

export interface Io {
  /** Progress lines are redrawn in place on a terminal. */
  readonly isTty?: boolean;
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: text => process.stdout.write(`${text}\n`),
  err: text => process.stderr.write(`${text}\n`),
  isTty: process.stderr.isTTY === true,
};

type Command = 'snapshot' | 'drift' | 'plan';
type Options = NonNullable<ParseArgsConfig['options']>;

const CONNECTION: Options = {
  profile: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const OPTIONS: Record<Command, Options> = {
  snapshot: { ...CONNECTION, out: { type: 'string', short: 'o' } },
  drift: { ...CONNECTION, stack: { type: 'string', multiple: true }, unmanaged: { type: 'boolean' }, json: { type: 'boolean' } },
  plan: {
    ...CONNECTION,
    'app': { type: 'string' },
    'stack': { type: 'string', multiple: true },
    'json': { type: 'boolean' },
    'allow-destructive': { type: 'boolean' },
    'max-accounts': { type: 'string' },
    'code-cache': { type: 'string' },
  },
};

export type Values = Record<string, string | boolean | string[] | undefined>;

function connection(values: Values): LiveClientOptions {
  const endpoint = values.endpoint as string | undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new LiveInputError(`--endpoint takes a URL (http://HOST:PORT or https://...), got '${endpoint}': pass the URL an emulator printed, or leave it out to reach AWS.`);
  }
  return { profile: values.profile as string | undefined, region: values.region as string | undefined, endpoint };
}

/** A progress reporter: one line redrawn on a terminal, a line per phase otherwise. */
function progressPrinter(io: Io): { report(p: SnapshotProgress): void; end(): void } {
  let lastPhase = '';
  let drawn = false;
  return {
    report(p) {
      const text = `snapshot: ${p.phase}${p.total !== undefined ? ` ${p.done}/${p.total}` : ''} (${p.calls} calls)`;
      if (io.isTty) {
        process.stderr.write(`\r${text.padEnd(70)}`);
        drawn = true;
      } else if (p.phase !== lastPhase && p.phase !== 'organization') {
        // The first phase checks the caller: bad input there is the only line printed.
        io.err(text);
      }
      lastPhase = p.phase;
    },
    end() {
      if (drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

export async function main(command: Command, args: string[], io: Io = processIo): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    io.err(`cdk-organizations ${command}: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'snapshot':
        return await snapshotCommand(values, io);
      case 'drift':
        return await driftCommand(values, connection(values), io);
      case 'plan':
        return await planCommand(values, connection(values), io);
    }
  } catch (error) {
    if (error instanceof LiveInputError) {
      io.err(`cdk-organizations ${command}: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    io.err(`cdk-organizations ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function snapshotCommand(values: Values, io: Io): Promise<number> {
  const out = values.out as string | undefined;
  if (!out) throw new LiveInputError('snapshot needs --out FILE: where to write the emulator state file.');
  const clients = liveClients(connection(values));
  const printer = progressPrinter(io);
  try {
    const snapshot = await takeSnapshot(clients, { onProgress: p => printer.report(p) });
    printer.end();
    writeSnapshot(out, snapshot.state);
    const org = snapshot.state.organization!;
    for (const note of snapshot.notes) io.err(`note: ${note}`);
    io.out(`Wrote ${out}: organization ${org.id}, ${Object.keys(snapshot.state.accounts).length} accounts, ${Object.keys(org.ous).length} OUs, `
      + `${Object.keys(org.policies).length} policies; ${snapshot.callCount} read calls in ${(snapshot.elapsedMs / 1000).toFixed(1)} s.`);
    io.out(`Start an emulator on it: cdk-organizations emulator --state ${out}`);
    return 0;
  } finally {
    printer.end();
    clients.destroy();
  }
}
