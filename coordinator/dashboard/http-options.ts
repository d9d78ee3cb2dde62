/**
 * --http-listen: where the coordinator serves the dashboard (its pages and JSON API, docs/dashboard.md).
 * Secure by default: loopback unless TLS is on (the API's --tls-cert/--tls-key serve it as HTTPS),
 * since the browser sends a token (in its session cookie) with every request.
 */
import { Option } from 'commander';
import { parseListenOrOff, type ListenOrOff } from '../../shared/config/listen-or-off.js';
import { isLoopback } from '../../shared/config/advertise-address.js';
import { defaultFromText } from '../../shared/config/command-line.js';
import type { TlsConfig } from '../../shared/grpc/credentials.js';
import { servesHttps } from '../../shared/net/http-listener.js';

export const HTTP_LISTEN_FLAG = '--http-listen';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:7080';

/** A listen address, or undefined for "off". */
export type HttpListen = ListenOrOff;

/** "off" or host:port. */
export const parseHttpListen = parseListenOrOff;

export function httpListenOption(): Option {
  return defaultFromText(
    new Option(`${HTTP_LISTEN_FLAG} <address>`, 'host:port of the dashboard (web pages and JSON API; port 0 = any free port; "off" = none). Beyond loopback it needs --tls-cert and --tls-key (HTTPS)')
      .env('QUANTGRID_HTTP_LISTEN')
      .argParser(parseHttpListen),
    DEFAULT_HTTP_LISTEN,
  );
}

/** Why this dashboard configuration may not start (secure by default), or undefined. */
export function httpRefusal(listen: HttpListen, tls: TlsConfig, auth: boolean): string | undefined {
  if (!listen || isLoopback(listen.host)) return undefined;
  if (!auth) return `${HTTP_LISTEN_FLAG}: --no-auth serves the dashboard only on a loopback address (127.0.0.1, ::1, localhost), not ${listen.host}`;
  if (!servesHttps(tls)) return `${HTTP_LISTEN_FLAG}: ${listen.host} is not a loopback address; the dashboard carries tokens, so beyond loopback it needs TLS (--tls-cert and --tls-key), or listen on 127.0.0.1 ("off": no dashboard)`;
  return undefined;
}
