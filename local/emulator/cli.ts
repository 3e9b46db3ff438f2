/**
 * `cdk-organizations emulator`: runs the emulator until SIGINT or SIGTERM. The first line on
 * stdout is the endpoint URL, so a script can start it and read where it listens.
 */
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

function number(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(parsed)) throw new UsageError(`${flag} needs a number, got ${JSON.stringify(value)}`);
  return parsed;
}

function parseQuotas(spec: string): Partial<Quotas> {
  const quotas: Record<string, number> = {};
  for (const part of spec.split(',').filter(p => p.trim())) {
    const [key, value] = part.split('=').map(s => s.trim());
    if (typeof (DEFAULT_QUOTAS as unknown as Record<string, unknown>)[key] !== 'number') {
      const known = Object.entries(DEFAULT_QUOTAS).filter(([, v]) => typeof v === 'number').map(([k]) => k);
      throw new UsageError(`Unknown numeric quota ${JSON.stringify(key)}; known: ${known.join(', ')}`);
    }
    quotas[key] = number(key, value);
  }
  return quotas as Partial<Quotas>;
}

/** Parses the command line into emulator options; undefined for --help. */
export function parseArgs(args: readonly string[]): EmulatorOptions | undefined {
  const options: { -readonly [K in keyof EmulatorOptions]: EmulatorOptions[K] } = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return undefined;
      case '--port': options.port = number(flag, value()); break;
      case '--host': options.host = value(); break;
      case '--state': options.stateFile = value(); break;
      case '--time-scale': options.timeScale = number(flag, value()); break;
      case '--relaxed': options.relaxed = true; break;
      case '--seed': options.seed = number(flag, value()); break;
      case '--account-creation-seconds': options.accountCreationSeconds = number(flag, value()); break;
      case '--quotas': options.quotas = parseQuotas(value() ?? ''); break;
      case '--with-organization': {
        const featureSet = inline ?? 'ALL';
        if (featureSet !== 'ALL' && featureSet !== 'CONSOLIDATED_BILLING') throw new UsageError(`--with-organization takes ALL or CONSOLIDATED_BILLING, got ${featureSet}`);
        options.withOrganization = { featureSet };
        break;
      }
      case '--faults':
        try {
          options.faults = parseFaultSpec(value() ?? '');
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        break;
      default:
        throw new UsageError(`Unknown option ${JSON.stringify(args[i])}`);
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
