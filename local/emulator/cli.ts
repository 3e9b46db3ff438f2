/**
 * `cdk-organizations emulator`: runs the emulator until SIGINT or SIGTERM. The first line on
 * stdout is the endpoint URL, so a script can start it and read where it listens.
 */
import { parseArgs as parseCommandLine } from 'util';
import { parseFaultSpec } from './faults';
import { Emulator, EmulatorOptions } from './index';
import { DEFAULT_QUOTAS, Quotas } from './quotas';

const USAGE = `Usage: cdk-organizations emulator [options]

Starts a local AWS Organizations and Account Management emulator. Prints its endpoint URL first,
then serves until interrupted (Ctrl-C), saving the state file if one is given.

Options:
  --port N                      Port to listen on (default 0: a free port)
  --host HOST                   Address to listen on (default 127.0.0.1)
  --state FILE                  Load the state from FILE when it exists; save it after every change and on exit
  --time-scale X                Multiply every simulated duration and throttle refill period by X (default 1)
  --relaxed                     Turn throttling off (every other rule and quota stays)
  --with-organization[=SET]     Start with an organization (SET: ALL, the default, or CONSOLIDATED_BILLING)
  --account-creation-seconds N  Simulated seconds an account creation takes (default 60)
  --quotas SPEC                 Override numeric quotas, e.g. maxAccounts=100,maxOuDepth=5
  --faults SPEC                 Inject faults, e.g. TooManyRequestsException=0.1,ConcurrentModificationException=0.05,
                                latency=20,CreateAccount:ServiceException=0.2
  --seed N                      Seed of the ids and of the fault draws (default 1)
  -h, --help                    Show this help

Point the AWS SDK or CLI at it:
  export AWS_ENDPOINT_URL_ORGANIZATIONS=<url> AWS_ENDPOINT_URL_ACCOUNT=<url>
  export AWS_ACCESS_KEY_ID=AKIDEMULATOR AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1
An access key id that is a 12-digit account id calls as that account; any other calls as the management account.
`;

class UsageError extends Error {}

function number(flag: string, value: string, rule: (n: number) => boolean = () => true, expected = 'a number'): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || !rule(parsed)) throw new UsageError(`--${flag} needs ${expected}, got ${JSON.stringify(value)}`);
  return parsed;
}

function parseQuotas(spec: string): Partial<Quotas> {
  const quotas: Record<string, number> = {};
  for (const part of spec.split(',').filter(p => p.trim())) {
    const [key, value = ''] = part.split('=').map(s => s.trim());
    if (!Object.hasOwn(DEFAULT_QUOTAS, key) || typeof (DEFAULT_QUOTAS as unknown as Record<string, unknown>)[key] !== 'number') {
      const known = Object.entries(DEFAULT_QUOTAS).filter(([, v]) => typeof v === 'number').map(([k]) => k);
      throw new UsageError(`Unknown numeric quota ${JSON.stringify(key)}; known: ${known.join(', ')}`);
    }
    quotas[key] = number(`quotas ${key}`, value);
  }
  return quotas as Partial<Quotas>;
}

const OPTIONS = {
  'port': { type: 'string' },
  'host': { type: 'string' },
  'state': { type: 'string' },
  'time-scale': { type: 'string' },
  'relaxed': { type: 'boolean' },
  'with-organization': { type: 'string' },
  'account-creation-seconds': { type: 'string' },
  'quotas': { type: 'string' },
  'faults': { type: 'string' },
  'seed': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
} as const;

/** The options as given, strictly: an unknown option, a missing value or a value given to a flag is refused. */
function commandLine(args: readonly string[]) {
  try {
    // A bare --with-organization means ALL (parseArgs has no optional values).
    const normalized = args.map(a => (a === '--with-organization' ? '--with-organization=ALL' : a));
    return parseCommandLine({ args: normalized, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses the command line into emulator options; undefined for --help. */
export function parseArgs(args: readonly string[]): EmulatorOptions | undefined {
  const values = commandLine(args);
  if (values.help) return undefined;
  const options: { -readonly [K in keyof EmulatorOptions]: EmulatorOptions[K] } = {};
  if (values.port !== undefined) options.port = number('port', values.port, n => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number (0 to 65535)');
  if (values.host !== undefined) {
    if (values.host === '') throw new UsageError('--host needs an address, got ""');
    options.host = values.host;
  }
  if (values.state !== undefined) {
    if (values.state === '') throw new UsageError('--state needs a file name, got ""');
    options.stateFile = values.state;
  }
  if (values['time-scale'] !== undefined) options.timeScale = number('time-scale', values['time-scale'], n => n > 0, 'a positive number');
  if (values.relaxed) options.relaxed = true;
  if (values.seed !== undefined) options.seed = number('seed', values.seed, Number.isSafeInteger, 'an integer');
  if (values['account-creation-seconds'] !== undefined) {
    options.accountCreationSeconds = number('account-creation-seconds', values['account-creation-seconds'], n => n >= 0, 'a number of seconds, 0 or more');
  }
  if (values.quotas !== undefined) options.quotas = parseQuotas(values.quotas);
  const featureSet = values['with-organization'];
  if (featureSet !== undefined) {
    if (featureSet !== 'ALL' && featureSet !== 'CONSOLIDATED_BILLING') throw new UsageError(`--with-organization takes ALL or CONSOLIDATED_BILLING, got ${featureSet}`);
    options.withOrganization = { featureSet };
  }
  if (values.faults !== undefined) {
    try {
      options.faults = parseFaultSpec(values.faults);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return options;
}

/** Runs the emulator until SIGINT or SIGTERM; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: EmulatorOptions | undefined;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 1;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const emulator = await Emulator.start(options);
  process.stdout.write(`${emulator.endpoint}\n`);
  process.stderr.write(`AWS Organizations emulator on ${emulator.endpoint}; default caller (management) account ${emulator.managementAccountId}; `
    + `time scale ${emulator.timeScale}${options.stateFile ? `; state in ${options.stateFile}` : ''}. Ctrl-C stops it.\n`);
  const signal = await new Promise<string>(resolve => {
    const stop = (name: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(name);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await emulator.stop();
  process.stderr.write(`Emulator stopped (${signal})${options.stateFile ? `, state saved to ${options.stateFile}` : ''}.\n`);
  return 0;
}
