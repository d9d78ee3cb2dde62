import type { ServerResponse } from 'node:http';
import type { ErrorResponse } from '../../shared/dashboard/api-types.js';
import { errorMessage, type ErrorKind, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { typedError } from '../api/dependency-failure.js';

/** The one mapping of error kinds (shared/errors.ts) to HTTP statuses, as grpc-status.ts is for gRPC. */
export const HTTP_STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  'invalid-argument': 400,
  unauthenticated: 401,
  'permission-denied': 403,
  'not-found': 404,
  'already-exists': 409,
  'failed-precondition': 409,
  'resource-exhausted': 429,
  internal: 500,
  unavailable: 503,
};

/** Longest error message sent (messages quote input bounded; this is the backstop). */
const MAX_MESSAGE = 1000;

/**
 * The status and body for a route's error. As for the gRPC API (rpc-handlers.ts): the caller's
 * mistakes are not logged, an unreachable store is a warning, anything else an error with its stack.
 */
export function errorReply(error: unknown, log: Logger, route: string, dependency?: string): { status: number; body: ErrorResponse } {
  const typed = typedError(error, dependency);
  if (typed.kind === 'unavailable') log.warn({ route, err: typed.message }, 'dashboard request failed: dependency unavailable');
  if (typed.kind === 'internal') {
    const thrown = typed.cause instanceof Error ? typed.cause : typed;
    log.error({ route, err: errorMessage(thrown), stack: thrown.stack }, 'dashboard request failed unexpectedly');
  }
  const message = typed.message.length > MAX_MESSAGE ? `${typed.message.slice(0, MAX_MESSAGE)}… (message cut)` : typed.message;
  const body: ErrorResponse = { error: { kind: typed.kind, message, ...(typed instanceof ValidationError ? { field: typed.field } : {}) } };
  return { status: HTTP_STATUS_OF_KIND[typed.kind], body };
}

/** Sends an error answer (or, once headers went out, ends the response). */
export function sendError(response: ServerResponse, error: unknown, log: Logger, route: string, dependency?: string): void {
  const { status, body } = errorReply(error, log, route, dependency);
  if (response.headersSent) {
    response.end();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="quantgrid dashboard"';
  response.writeHead(status, headers).end(JSON.stringify(body));
}
