/**
 * The coordinator's dashboard server (docs/dashboard.md): the JSON API under /api/ — behind the same
 * tokens and roles as the gRPC API (session-auth.ts), errors mapped to HTTP statuses in one place
 * (http-errors.ts) — its live updates (server-sent events), and the UI's pages and assets. HTTPS
 * with the API's certificate and key; refused beyond loopback without them (http-options.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX, type ErrorResponse } from '../../shared/dashboard/api-types.js';
import type { TlsConfig } from '../../shared/grpc/credentials.js';
import { NotFound } from '../../shared/errors.js';
import { listenHttp, servesHttps } from '../../shared/net/http-listener.js';
import { TOKEN_STORE } from '../redis/store-names.js';
import { authRoutes } from './auth-routes.js';
import { DashboardFeed, type FeedTiming } from './dashboard-feed.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { datasetRoutes } from './dataset-routes.js';
import { sendError } from './http-errors.js';
import { HTTP_LISTEN_FLAG } from './http-options.js';
import { NO_BODY, Router, type Route } from './http-router.js';
import { jobRoutes } from './job-routes.js';
import { nodeRoutes } from './node-routes.js';
import { scheduleRoutes } from './schedule-routes.js';
import { SessionAuth } from './session-auth.js';
import { Snapshots } from './snapshots.js';
import { StaticFiles } from './static-files.js';
import { streamRoutes } from './stream-routes.js';

export interface DashboardServerOptions {
  host: string;
  port: number;
  tls: TlsConfig;
  deps: DashboardDeps;
  /** Where the UI bundle is (default: dist/dashboard-ui/). */
  assetsDir?: string;
  feedTiming?: FeedTiming;
}

export interface DashboardServer {
  readonly port: number;
  /** http(s)://host:port/ */
  readonly url: string;
  close(): Promise<void>;
}

/** Headers of every answer: no sniffing, no framing, no referrer. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { deps } = options;
  const { log } = deps;
  const secure = servesHttps(options.tls);
  const auth = new SessionAuth(deps.tokens);
  const snapshots = new Snapshots(deps);
  const feed = new DashboardFeed(deps, snapshots, options.feedTiming);
  const files = new StaticFiles(options.assetsDir);
  /** This server's origin as the browser sees it (for the Origin check of mutations). */
  const originOf = (request: IncomingMessage): string => `${secure ? 'https' : 'http'}://${request.headers.host ?? ''}`;
  const router = new Router([
    ...authRoutes(auth, originOf, secure),
    ...jobRoutes(deps, snapshots),
    ...nodeRoutes(snapshots),
    ...scheduleRoutes(deps, snapshots),
    ...datasetRoutes(deps),
    ...streamRoutes(deps, feed),
  ]);

  const api = async (request: IncomingMessage, response: ServerResponse, url: URL, closed: AbortSignal): Promise<void> => {
    let route: Route | undefined;
    try {
      const found = router.match(request.method ?? 'GET', url.pathname);
      if (!found) throw new NotFound('API path', url.pathname);
      if ('allowed' in found) {
        const body: ErrorResponse = { error: { kind: 'invalid-argument', message: `${request.method} is not allowed on ${url.pathname}: use ${found.allowed.join(' or ')}` } };
        response.writeHead(405, { allow: found.allowed.join(', '), 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
        return;
      }
      route = found.route;
      let principal;
      try {
        principal = route.public ? { user: '', role: 'viewer' as const } : await auth.authorize(request, route, originOf(request));
      } catch (error) {
        // Untyped errors here come from the token store.
        sendError(response, error, log, `${route.method} ${route.pattern}`, TOKEN_STORE);
        return;
      }
      const body = await route.handle({ request, response, url, params: found.params, principal, closed });
      if (body === NO_BODY || response.headersSent) return;
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : JSON.stringify(body));
    } catch (error) {
      sendError(response, error, log, route ? `${route.method} ${route.pattern}` : url.pathname, route?.dependency);
    }
  };

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) response.setHeader(name, value);
    const closed = new AbortController();
    response.once('close', () => closed.abort());
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    if (url.pathname.startsWith(API_PREFIX) || url.pathname === API_PREFIX.slice(0, -1)) {
      void api(request, response, url, closed.signal);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('the pages are read with GET\n');
      return;
    }
    files.serve(url.pathname, request.method === 'HEAD', response).catch((error: unknown) => sendError(response, error, log, 'static'));
  };

  const listener = await listenHttp({ host: options.host, port: options.port, tls: options.tls, handler, what: 'dashboard', flag: HTTP_LISTEN_FLAG, log });
  deps.samples.start();
  return {
    port: listener.port,
    url: `${listener.origin}/`,
    close: async () => {
      feed.close();
      deps.samples.stop();
      await listener.close();
    },
  };
}
