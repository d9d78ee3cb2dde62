import { Option, type Command } from 'commander';
import { DEFAULT_CALL_TIMEOUT_MS } from '../shared/client/call-timeout.js';
import { DEFAULT_COORDINATOR_PORT } from '../shared/config/coordinator-port.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { flagValue, parseCoordinatorAddress, parsePositiveNumber } from './flag-parsers.js';
import { TOKEN_ENV, USER_TOKEN_FILE_HELP } from './token-source.js';

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
      new Option('--token-file <file>', `file holding the API token (after ${TOKEN_ENV}; before the per-user file ${USER_TOKEN_FILE_HELP})`).env('QUANTGRID_TOKEN_FILE'),
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

