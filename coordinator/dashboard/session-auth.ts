/**
 * Who a dashboard request is made by, with the API's tokens and roles (TokenStore): the session
 * cookie POST /api/login set (the token itself, HttpOnly and SameSite=Strict, Secure under TLS) or
 * an `Authorization: Bearer` header. Every request is checked against the token store again (its
 * cache lasts TOKEN_CACHE_MS), so a revoked token stops within a second. Mutating requests
 * authenticated by the cookie must carry CSRF_HEADER (a cross-site page cannot send it), and an
 * Origin, when the browser sends one, must be this server's.
 */
import type { IncomingMessage } from 'node:http';
import { bearerToken } from '../../shared/auth/api-token.js';
import { roleAllows } from '../../shared/auth/roles.js';
import { CSRF_HEADER, CSRF_HEADER_VALUE, SESSION_COOKIE } from '../../shared/dashboard/api-types.js';
import { PermissionDenied, Unauthenticated } from '../../shared/errors.js';
import type { Principal } from '../auth/principal.js';
import type { TokenStore } from '../auth/token-store.js';
import { describeRoute, roleOf, type Route } from './http-router.js';

/** With authentication off (--no-auth, loopback only) every caller acts as an admin, as on the gRPC API. */
export const ANONYMOUS_ADMIN: Principal = { user: 'anonymous', role: 'admin' };

/** The value of one cookie of the request, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header that opens (token) or ends (undefined) a session. */
export function sessionCookie(token: string | undefined, secure: boolean): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  return token === undefined ? [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ') : [`${SESSION_COOKIE}=${token}`, ...attributes].join('; ');
}

/** The request's token and how it came; undefined when it carries none. */
export function requestToken(request: IncomingMessage): { token: string; via: 'cookie' | 'bearer' } | undefined {
  const bearer = bearerToken(request.headers.authorization);
  if (bearer !== undefined) return { token: bearer, via: 'bearer' };
  const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/** PermissionDenied unless a mutating request proves it comes from the dashboard's own pages. */
export function checkCsrf(request: IncomingMessage, ownOrigin: string): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  if (request.headers[CSRF_HEADER.toLowerCase()] !== CSRF_HEADER_VALUE) {
    throw new PermissionDenied(`a ${request.method} needs the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE} (the dashboard's defence against cross-site requests)`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== ownOrigin) throw new PermissionDenied(`cross-origin request from ${origin} refused`);
}

export class SessionAuth {
  /** `tokens` undefined: authentication is off. */
  constructor(private readonly tokens: TokenStore | undefined) {}

  get disabled(): boolean {
    return this.tokens === undefined;
  }

  /** The holder of a token, or Unauthenticated. */
  async verify(token: string): Promise<Principal> {
    if (!this.tokens) return ANONYMOUS_ADMIN;
    const principal = await this.tokens.verify(token);
    if (!principal) throw new Unauthenticated('unknown, revoked or expired token');
    return principal;
  }

  /**
   * The request's principal for this route: Unauthenticated without a valid token, PermissionDenied
   * (naming the role needed) when its role is below the route's, or for a cookie-borne mutation
   * without the CSRF header. `ownOrigin`: this server's origin (scheme://host:port as the browser sees it).
   */
  async authorize(request: IncomingMessage, route: Route, ownOrigin: string): Promise<Principal> {
    if (!this.tokens) return ANONYMOUS_ADMIN;
    const found = requestToken(request);
    if (!found) throw new Unauthenticated('not logged in: POST /api/login with a token (quantgrid token create), or send Authorization: Bearer <token>');
    if (found.via === 'cookie') checkCsrf(request, ownOrigin);
    const principal = await this.verify(found.token);
    const needed = roleOf(route);
    if (!roleAllows(principal.role, needed)) throw new PermissionDenied(`${describeRoute(route)} needs the ${needed} role; user ${principal.user} is ${principal.role}`);
    return principal;
  }
}
