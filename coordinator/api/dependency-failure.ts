import { Internal, QuantgridError, Unavailable, errorMessage } from '../../shared/errors.js';

export { DATASET_STORE, JOB_STORE, SCHEDULE_STORE, STRATEGY_STORE } from '../redis/store-names.js';

/** Socket-level failures: the server is not there (yet, or any more). */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Replies of a Redis that is up but cannot serve now (loading, failing over, out of memory). */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|OOM)\b/;

/**
 * Whether an error from ioredis (or BullMQ on it) means Redis could not be reached, as opposed to
 * a command that failed on a reachable Redis (a bug here: WRONGTYPE, a script error). The API's
 * connections fail a command after one retry (maxRetriesPerRequest 1) with MaxRetriesPerRequestError;
 * a dropped connection rejects what is in flight with an AbortError or "Connection is closed.".
 */
export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError' || error.name === 'InterruptError') return true;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLY.test(error.message);
  return /^(Connection is closed\.|Stream isn't writeable|Command timed out|connect ETIMEDOUT|Socket timeout)/.test(error.message);
}

/**
 * What a handler's error is, typed: typed errors as they are; an untyped one thrown while using
 * `dependency` is Unavailable naming it when it is a connection failure, else Internal (unexpected:
 * the caller logs it). Without a dependency every untyped error is Internal.
 */
export function typedError(error: unknown, dependency?: string): QuantgridError {
  if (error instanceof QuantgridError) return error;
  if (dependency !== undefined && isRedisConnectionError(error)) return new Unavailable(dependency, error);
  return new Internal(`internal error: ${errorMessage(error)}`, { cause: error });
}

/**
 * Tags an untyped failure of one step with the dependency it used, for a handler that uses several
 * (`await step.catch(failedIn(DATASET_STORE))`); typed errors pass unchanged.
 */
export function failedIn(dependency: string): (error: unknown) => never {
  return (error) => {
    throw typedError(error, dependency);
  };
}
