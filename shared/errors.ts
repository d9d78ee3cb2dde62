import { quoteInput } from './quote-input.js';

/**
 * What kind of failure an error is, whatever part of the system threw it. The coordinator maps
 * each kind to one gRPC status (coordinator/api/grpc-status.ts); shared/ knows nothing of gRPC.
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'permission-denied'
  | 'unauthenticated'
  | 'resource-exhausted'
  | 'failed-precondition'
  | 'unavailable'
  | 'internal';

/** A failure of a known kind whose message is worded for the user (it reaches the CLI as is). */
export abstract class QuantgridError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Bad input (the InvalidArgument error): the message names the field at fault (e.g.
 * "backtest.params.fast"). The coordinator maps it to gRPC INVALID_ARGUMENT; the CLI prints it in one line.
 */
export class ValidationError extends QuantgridError {
  readonly kind = 'invalid-argument';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ValidationError';
  }
}

/** No `what` (job, dataset, schedule…) of that id or name; the id is quoted, bounded. */
export class NotFound extends QuantgridError {
  readonly kind = 'not-found';

  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`no ${what} ${quoteInput(id)}`);
  }
}

export class AlreadyExists extends QuantgridError {
  readonly kind = 'already-exists';
}

export class PermissionDenied extends QuantgridError {
  readonly kind = 'permission-denied';
}

export class Unauthenticated extends QuantgridError {
  readonly kind = 'unauthenticated';
}

export class ResourceExhausted extends QuantgridError {
  readonly kind = 'resource-exhausted';
}

/** The request is well-formed but the state it acts on does not allow it. */
export class FailedPrecondition extends QuantgridError {
  readonly kind = 'failed-precondition';
}

/** A dependency cannot be reached; the message names it, e.g. "job store (Redis) unavailable: …". */
export class Unavailable extends QuantgridError {
  readonly kind = 'unavailable';

  constructor(
    readonly dependency: string,
    cause?: unknown,
  ) {
    super(cause === undefined ? `${dependency} unavailable` : `${dependency} unavailable: ${errorMessage(cause)}`, { cause });
  }
}

/**
 * A user strategy failed in its sandbox (it threw, returned something that is not a target, or went
 * over its memory or time limit). The message names the strategy and the limit. Deterministic: the
 * same code fails the same way on any node, so its partition is not retried elsewhere.
 */
export class StrategyError extends QuantgridError {
  readonly kind = 'failed-precondition';
}

/** A bug or an unexpected state: nothing the caller did or can fix. */
export class Internal extends QuantgridError {
  readonly kind = 'internal';
}

/** Short text for any thrown value, for logs and error events. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
