/**
 * --consul-token-file of the coordinator and the node agent: the Consul ACL token, read from a file
 * (never from argv or the environment), sent as X-Consul-Token on every Consul request.
 */
import { Option } from 'commander';
import { describedDefault } from './command-line.js';
import { readSecretFile } from './secret-file.js';

export const CONSUL_TOKEN_FILE_FLAG = '--consul-token-file';

/** --consul-token-file <file> (QUANTGRID_CONSUL_TOKEN_FILE): read when parsed, a SecretFile; null when not given. */
export function consulTokenFileOption(): Option {
  return describedDefault(
    new Option(`${CONSUL_TOKEN_FILE_FLAG} <file>`, 'file holding the Consul ACL token (one line, mode 0600), sent with every Consul request')
      .env('QUANTGRID_CONSUL_TOKEN_FILE')
      .argParser(readSecretFile),
    "none (Consul's anonymous token)",
  );
}
