/**
 * An HTTP server of a quantgrid process (the Prometheus endpoint, the coordinator's dashboard):
 * HTTPS with the process's certificate and key when given, bounded header and request times, and a
 * clear error when it cannot listen (naming the flag that picks the address).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../errors.js';
import type { TlsConfig } from '../grpc/credentials.js';
import type { Logger } from '../logging.js';

export interface HttpListenOptions {
  host: string;
  port: number;
  /** Certificate and key: HTTPS (a CA is not used: clients prove themselves by a token). */
  tls?: TlsConfig;
  handler: http.RequestListener;
  /** What it serves, for messages ("metrics endpoint"), and the flag that sets its address ("--metrics-listen"). */
  what: string;
  flag: string;
  log: Logger;
  /** Longest a request may take (0: none, for server-sent events); default 30 s. */
  requestTimeoutMs?: number;
}

export interface HttpListener {
  readonly server: http.Server;
  readonly port: number;
  readonly secure: boolean;
  /** http(s)://host:port (IPv6 hosts in brackets). */
  readonly origin: string;
  close(): Promise<void>;
}

/** Whether the TLS options make the server HTTPS. */
export function servesHttps(tls: TlsConfig | undefined): boolean {
  return Boolean(tls?.certFile && tls.keyFile);
}

export async function listenHttp(options: HttpListenOptions): Promise<HttpListener> {
  const secure = servesHttps(options.tls);
  const server = secure
    ? https.createServer({ cert: readFileSync(options.tls!.certFile!), key: readFileSync(options.tls!.keyFile!) }, options.handler)
    : http.createServer(options.handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`${options.what}: cannot listen on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? `the port is in use (another process? pick one with ${options.flag}, or "off")` : errorMessage(error)}`)),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (error) => options.log.warn({ err: errorMessage(error) }, `${options.what} error`));
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    port,
    secure,
    origin: `${secure ? 'https' : 'http'}://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
