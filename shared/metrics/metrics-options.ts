/**
 * --metrics-listen and --metrics-token-file of the coordinator and the node agent, defined once for
 * both: where the Prometheus /metrics endpoint listens, and the bearer token a scraper must present.
 * Secure by default: the endpoint listens on loopback; beyond loopback it needs a token (refused at
 * start otherwise). With the process's --tls-cert/--tls-key the endpoint is HTTPS (docs/metrics.md).
 */
import { Option } from 'commander';
import { parseListenOrOff, type ListenOrOff } from '../config/listen-or-off.js';
import { isLoopback } from '../config/advertise-address.js';
import { defaultFromText, describedDefault } from '../config/command-line.js';
import { readSecretFile, type SecretFile } from '../config/secret-file.js';

/** Where the coordinator's /metrics listens unless told otherwise. */
export const DEFAULT_COORDINATOR_METRICS_LISTEN = '127.0.0.1:9470';
/** Where an agent's /metrics listens unless told otherwise (Consul's service meta metrics_port tells Prometheus). */
export const DEFAULT_AGENT_METRICS_LISTEN = '127.0.0.1:9471';
export const METRICS_LISTEN_FLAG = '--metrics-listen';
export const METRICS_TOKEN_FILE_FLAG = '--metrics-token-file';

/** A listen address, or undefined for "off". */
export type MetricsListen = ListenOrOff;

/** "off" or host:port. */
export const parseMetricsListen = parseListenOrOff;

export function metricsListenOption(envVar: string, defaultText: string): Option {
  return defaultFromText(
    new Option(`${METRICS_LISTEN_FLAG} <address>`, 'host:port of the Prometheus /metrics endpoint (HTTP; port 0 = any free port; "off" = none). Beyond loopback it needs --metrics-token-file')
      .env(envVar)
      .argParser(parseMetricsListen),
    defaultText,
  );
}

export function metricsTokenFileOption(): Option {
  return describedDefault(
    new Option(`${METRICS_TOKEN_FILE_FLAG} <file>`, 'file holding the bearer token scrapers must send (Authorization: Bearer …; one line, mode 0600)')
      .env('QUANTGRID_METRICS_TOKEN_FILE')
      .argParser(readSecretFile),
    'none: only a loopback --metrics-listen is accepted',
  );
}

export interface MetricsEndpointConfig {
  listen: MetricsListen;
  token: SecretFile | undefined;
}

/** Why this endpoint configuration may not start (secure by default), or undefined. */
export function metricsRefusal(config: MetricsEndpointConfig): string | undefined {
  if (!config.listen || config.token || isLoopback(config.listen.host)) return undefined;
  return `${METRICS_LISTEN_FLAG}: ${config.listen.host} is not a loopback address; give ${METRICS_TOKEN_FILE_FLAG} (scrapers then send it as a bearer token) or listen on 127.0.0.1`;
}
