/**
 * The dashboard API's routes: a method, a path pattern (":name" matches one URI-decoded segment),
 * the least role it needs — its gRPC twin's (rpc-roles.ts), so both surfaces allow the same — and a
 * handler that returns the JSON answer (or writes the response itself and returns NO_BODY).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role } from '../../shared/auth/roles.js';
import { ValidationError } from '../../shared/errors.js';
import type { Principal } from '../auth/principal.js';
import { requiredRole } from '../auth/rpc-roles.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  params: Record<string, string>;
  principal: Principal;
  /** Aborts when the client goes away (for streams). */
  closed: AbortSignal;
}

/** A handler's answer when it wrote the response itself (a stream, CSV, a cookie). */
export const NO_BODY = Symbol('no body');

export interface Route {
  method: Method;
  pattern: string;
  /** The gRPC RPC doing the same (its role applies), or the role itself for what has no twin. */
  access: { rpc: string } | { role: Role };
  /** Answered without a token (login, logout). */
  public?: boolean;
  /** Named in the store's UNAVAILABLE when an untyped connection error escapes the handler. */
  dependency?: string;
  handle(context: RouteContext): Promise<unknown>;
}

export function roleOf(route: Route): Role {
  return 'rpc' in route.access ? requiredRole(route.access.rpc) : route.access.role;
}

/** What the route does, for a refusal: "CancelJob" or "GET /api/overview". */
export function describeRoute(route: Route): string {
  return 'rpc' in route.access ? route.access.rpc : `${route.method} ${route.pattern}`;
}

interface Compiled {
  route: Route;
  parts: string[];
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, parts: route.pattern.split('/') }));
  }

  /** The route and its parameters, or for a path known under other methods, those methods. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: Method[] } | undefined {
    const segments = path.split('/');
    const allowed: Method[] = [];
    for (const { route, parts } of this.compiled) {
      if (parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let matches = true;
      for (let i = 0; i < parts.length && matches; i++) {
        if (parts[i].startsWith(':')) {
          let value: string;
          try {
            value = decodeURIComponent(segments[i]);
          } catch {
            throw new ValidationError(parts[i].slice(1), 'is not a well-formed URI component');
          }
          if (value === '') matches = false;
          params[parts[i].slice(1)] = value;
        } else if (parts[i] !== segments[i]) matches = false;
      }
      if (!matches) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

/** Most bytes of a request body (a login, a flag). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The request's JSON body (an object; {} when empty). ValidationError('body') for anything else. */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) throw new ValidationError('body', `is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('body', 'is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ValidationError('body', 'must be a JSON object');
  return parsed as Record<string, unknown>;
}
