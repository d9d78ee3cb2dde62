import { Option } from 'commander';
import { isLoopback } from './advertise-address.js';
import { describedDefault } from './command-line.js';
import { readableFile } from './server-tls-options.js';

/**
 * The options by which a coordinator and its agents prove to each other that they belong to one
 * cluster, defined once for both processes. Secure by default: authentication is on unless --no-auth
 * is given, which only a process listening on a loopback address accepts.
 */
export function clusterSecretFileOption(): Option {
  return describedDefault(
    new Option('--cluster-secret-file <file>', 'the cluster secret shared by coordinators and agents (quantgrid cluster init writes one); proves each side to the other')
      .env('QUANTGRID_CLUSTER_SECRET_FILE')
      .argParser(readableFile),
    'none: then mutual TLS, or --no-auth on loopback',
  );
}

export function noAuthOption(what: string): Option {
  return new Option('--no-auth', `${what}; accepted only when listening on a loopback address (a cluster on one machine)`);
}

/** Why this combination is refused, or undefined when it is fine. */
export function authRefusal(options: { auth: boolean; host: string; clusterSecretFile: string | undefined; mutualTls: boolean; listenFlag: string }): string | undefined {
  if (!options.auth) {
    return isLoopback(options.host) ? undefined : `--no-auth: only with ${options.listenFlag} on a loopback address (127.0.0.1, ::1, localhost), not ${options.host}`;
  }
  if (!options.clusterSecretFile && !options.mutualTls) {
    return 'nodes must prove they belong: give --cluster-secret-file (quantgrid cluster init writes one) or mutual TLS, or --no-auth on a loopback address';
  }
  return undefined;
}
