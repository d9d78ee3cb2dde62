/**
 * The HTTP server of a process's Prometheus endpoint: GET /metrics answers the registry's text
 * exposition; every other path is 404. With a token, a request without `Authorization: Bearer
 * <token>` gets 401 (compared in constant time). With a certificate and key it serves HTTPS.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage } from '../errors.js';
import { bearerToken } from '../auth/api-token.js';
import type { SecretFile } from '../config/secret-file.js';
import type { TlsConfig } from '../grpc/credentials.js';
import type { Logger } from '../logging.js';
import { listenHttp } from '../net/http-listener.js';
import { METRICS_LISTEN_FLAG } from './metrics-options.js';

export const METRICS_PATH = '/metrics';

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  token?: SecretFile;
  /** Certificate and key: HTTPS (a CA is not used: scrapers prove themselves by the token). */
  tls?: TlsConfig;
  log: Logger;
}

export interface MetricsServer {
  readonly port: number;
  /** http(s)://host:port/metrics */
  readonly url: string;
  close(): Promise<void>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether the request's Authorization header carries the token (digests compared, so lengths never leak). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = bearerToken(header);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const token = options.token?.reveal();
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return;
    }
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      response.writeHead(401, { 'www-authenticate': 'Bearer realm="quantgrid metrics"', 'content-type': 'text/plain' }).end('a bearer token is required\n');
      return;
    }
    options.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        options.log.warn({ err: errorMessage(error) }, 'metrics not collected');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics not collected\n');
      },
    );
  };
  const listener = await listenHttp({ host: options.host, port: options.port, tls: options.tls, handler, what: 'metrics endpoint', flag: METRICS_LISTEN_FLAG, log: options.log });
  return {
    port: listener.port,
    url: `${listener.origin}${METRICS_PATH}`,
    close: () => listener.close(),
  };
}
