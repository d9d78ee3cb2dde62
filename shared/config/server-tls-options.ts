/**
 * --tls-cert, --tls-key and --tls-ca: TLS on the gRPC server of the coordinator and of the node agent.
 * Certificate and key enable TLS; a CA as well makes it mutual (clients must present a certificate it signed).
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import type { TlsConfig } from '../grpc/credentials.js';
import { CommandLineExit, describedDefault, parseValueFrom } from './command-line.js';

export const SERVER_TLS_OPTIONS: readonly Option[] = [
  describedDefault(new Option('--tls-cert <file>', 'PEM server certificate; with --tls-key enables TLS').env('QUANTGRID_TLS_CERT'), 'none (plaintext)'),
  describedDefault(new Option('--tls-key <file>', 'PEM private key of the server certificate').env('QUANTGRID_TLS_KEY'), 'none'),
  describedDefault(new Option('--tls-ca <file>', 'PEM CA; when set, clients must present a certificate it signed (mutual TLS)').env('QUANTGRID_TLS_CA'), 'none'),
];

/** The file, if this process can read it. */
export function readableFile(file: string): string {
  try {
    accessSync(file, fsConstants.R_OK);
  } catch {
    throw new InvalidArgumentError(`cannot read ${file}`);
  }
  return file;
}

export interface ServerTlsValues {
  tlsCert?: string | null;
  tlsKey?: string | null;
  tlsCa?: string | null;
}

/**
 * Checks the three options together (both certificate and key or neither; a CA only with them), then
 * that each file is readable. source names where a value came from (default: its flag).
 */
export function serverTlsConfig(values: ServerTlsValues, source: (flag: '--tls-cert' | '--tls-key' | '--tls-ca') => string = (flag) => flag): TlsConfig {
  if (Boolean(values.tlsCert) !== Boolean(values.tlsKey)) throw new CommandLineExit(2, '--tls-cert and --tls-key: give both or neither');
  if (values.tlsCa && !values.tlsCert) throw new CommandLineExit(2, '--tls-ca: mutual TLS needs --tls-cert and --tls-key too');
  const tls: TlsConfig = {};
  if (values.tlsCert) tls.certFile = parseValueFrom(source('--tls-cert'), values.tlsCert, readableFile);
  if (values.tlsKey) tls.keyFile = parseValueFrom(source('--tls-key'), values.tlsKey, readableFile);
  if (values.tlsCa) tls.caFile = parseValueFrom(source('--tls-ca'), values.tlsCa, readableFile);
  return tls;
}
