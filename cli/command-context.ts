import { Option, type Command } from 'commander';
import { CoordinatorConnection, DEFAULT_CALL_TIMEOUT_MS } from '../shared/client/coordinator-connection.js';
import { DEFAULT_COORDINATOR_PORT } from '../shared/config/coordinator-port.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { flagValue, parseCoordinatorAddress, parsePositiveNumber } from './flag-parsers.js';
import { resolveToken, TOKEN_ENV, tokenHint, userTokenFile } from './token-source.js';

export const DEFAULT_COORDINATOR = `127.0.0.1:${DEFAULT_COORDINATOR_PORT}`;
export const DEFAULT_TIMEOUT_SECONDS = DEFAULT_CALL_TIMEOUT_MS / 1000;

/** Options every command takes (they may come before or after the command's name). */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--coordinator <host:port>', 'address of the coordinator\'s gRPC API')
        .env('QUANTGRID_COORDINATOR')
        .default(DEFAULT_COORDINATOR),
    )
    .addOption(new Option('--json', 'machine-readable output: JSON on stdout and nothing else').env('QUANTGRID_JSON'))
    .addOption(
      new Option('--timeout <seconds>', 'deadline of each request to the coordinator (not of watching)')
        .env('QUANTGRID_TIMEOUT')
        .default(String(DEFAULT_TIMEOUT_SECONDS)),
    )
    .addOption(new Option('--tls-ca <file>', 'CA certificate that verifies the coordinator (PEM); enables TLS').env('QUANTGRID_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'client certificate for mutual TLS (PEM)').env('QUANTGRID_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'private key of the client certificate (PEM)').env('QUANTGRID_TLS_KEY'))
    .addOption(
      new Option('--token-file <file>', `file holding the API token (after ${TOKEN_ENV}; before the per-user file ${userTokenFile()})`).env('QUANTGRID_TOKEN_FILE'),
    );
}

export interface GlobalOptions {
  /** The coordinator's address as given. */
  address: string;
  /** True when --coordinator was on the command line (so hints repeat it). */
  addressOnCommandLine: boolean;
  json: boolean;
  timeoutMs: number;
  tls: TlsConfig;
  tokenFile: string | undefined;
}

interface RawGlobals {
  coordinator: string;
  json?: boolean;
  timeout: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
}

/** Reads and checks the global options as seen from any (sub)command. */
export function resolveGlobalOptions(command: Command): GlobalOptions {
  const raw = command.optsWithGlobals<RawGlobals>();
  const source = command.getOptionValueSourceWithGlobals('coordinator');
  const addressFlag = source === 'env' ? 'QUANTGRID_COORDINATOR' : '--coordinator';
  return {
    address: flagValue(addressFlag, raw.coordinator, parseCoordinatorAddress),
    addressOnCommandLine: source === 'cli',
    json: raw.json === true,
    timeoutMs: flagValue('--timeout', raw.timeout, parsePositiveNumber) * 1000,
    tls: { caFile: raw.tlsCa, certFile: raw.tlsCert, keyFile: raw.tlsKey },
    tokenFile: raw.tokenFile,
  };
}

/** What a command's action works with: the global options, the coordinator, stdout. */
export class CommandContext {
  readonly globals: GlobalOptions;
  private opened: CoordinatorConnection | undefined;

  constructor(command: Command) {
    this.globals = resolveGlobalOptions(command);
  }

  /** The coordinator connection, opened on first use (a ConnectionSetupError is a UsageError to main). */
  get connection(): CoordinatorConnection {
    this.opened ??= new CoordinatorConnection({
      address: this.globals.address,
      tls: this.globals.tls,
      timeoutMs: this.globals.timeoutMs,
      timeoutHint: 'see --timeout',
      token: resolveToken(this.globals.tokenFile),
      tokenHint: tokenHint(),
    });
    return this.opened;
  }

  get json(): boolean {
    return this.globals.json;
  }

  /** True when a person is looking at stdout (and --json is off): live progress bars are fine. */
  get interactive(): boolean {
    return !this.globals.json && process.stdout.isTTY === true;
  }

  /** Human output: text and a newline on stdout. */
  print(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** Machine output (--json): one value, indented. */
  printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Machine output while watching: one value per line. */
  printJsonLine(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line on stderr in the CLI's voice, for things that are not failures (notices while watching). */
  note(text: string): void {
    process.stderr.write(`quantgrid: ${text}\n`);
  }

  /** The command that re-attaches to a job, repeating --coordinator when it was given. */
  reattachCommand(jobId: string): string {
    const coordinator = this.globals.addressOnCommandLine ? ` --coordinator ${this.globals.address}` : '';
    return `quantgrid${coordinator} job ${jobId} --watch`;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}

/**
 * Adapts a command's run function to commander's action: builds the context, sets the exit code
 * from what run returns and closes the connection. Errors propagate to main, which prints them.
 */
export function commandAction<Options>(
  run: (context: CommandContext, options: Options, args: string[]) => Promise<number>,
): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const options = params[params.length - 2] as Options;
    const args = params.slice(0, -2) as string[];
    const context = new CommandContext(command);
    try {
      process.exitCode = await run(context, options, args);
    } finally {
      context.close();
    }
  };
}
