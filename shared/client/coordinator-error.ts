import * as grpc from '@grpc/grpc-js';
import { ERROR_KIND_TRAILER } from '../grpc/error-trailer.js';

/** A failed call to the coordinator, already worded in one line; code says what kind. */
export class CoordinatorError extends Error {
  constructor(
    message: string,
    readonly code: grpc.status,
  ) {
    super(message);
    this.name = 'CoordinatorError';
  }
}

/** A failure straight from grpc-js (not yet worded). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  if (!(error instanceof Error) || error instanceof CoordinatorError) return false;
  const candidate = error as Partial<grpc.ServiceError>;
  return typeof candidate.code === 'number' && typeof candidate.details === 'string';
}

/** What describeGrpcError may mention besides the failure itself. */
export interface GrpcErrorContext {
  /** The coordinator's address, as the caller gave it. */
  address: string;
  /** The job the call was about, if any: NOT_FOUND then names it. */
  jobId?: string;
  /** The call's deadline, for DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** How the caller lengthens the deadline (the CLI: 'see --timeout'), added to DEADLINE_EXCEEDED in parentheses. */
  timeoutHint?: string;
  /** Where the caller's token comes from, added to UNAUTHENTICATED in parentheses. */
  tokenHint?: string;
}

/** The cause grpc-js gives after "Last error:" when it could not connect, unless it is a plain refusal. */
function connectCause(details: string): string | undefined {
  const match = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?$/.exec(details);
  const cause = match?.[1]?.trim();
  if (!cause || /ECONNREFUSED/.test(cause)) return undefined;
  return cause;
}

/** One line saying what went wrong with a call to the coordinator. */
export function describeGrpcError(error: grpc.ServiceError, context: GrpcErrorContext): string {
  const details = error.details || grpc.status[error.code] || 'unknown error';
  switch (error.code) {
    case grpc.status.UNAVAILABLE: {
      // The coordinator itself answered (it marks its statuses): something behind it is down.
      if (error.metadata?.get(ERROR_KIND_TRAILER).length) return `coordinator at ${context.address}: ${details}`;
      const cause = connectCause(error.details ?? '');
      return `coordinator unreachable at ${context.address}${cause ? ` (${cause})` : ''}`;
    }
    case grpc.status.DEADLINE_EXCEEDED: {
      if (context.timeoutMs === undefined) return `coordinator at ${context.address} did not answer in time`;
      const hint = context.timeoutHint ? ` (${context.timeoutHint})` : '';
      return `coordinator at ${context.address} did not answer within ${context.timeoutMs / 1000}s${hint}`;
    }
    case grpc.status.NOT_FOUND:
      return context.jobId === undefined ? details : `no job ${context.jobId}`;
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.OUT_OF_RANGE:
    case grpc.status.RESOURCE_EXHAUSTED:
      return details;
    case grpc.status.UNAUTHENTICATED:
      return `coordinator at ${context.address} refused the call: ${details}${context.tokenHint ? ` (${context.tokenHint})` : ''}`;
    case grpc.status.PERMISSION_DENIED:
      return `coordinator at ${context.address} refused the call: ${details}`;
    case grpc.status.UNIMPLEMENTED:
      return `coordinator at ${context.address} does not offer this call (another quantgrid version?): ${details}`;
    default:
      return `coordinator at ${context.address} failed: ${grpc.status[error.code] ?? error.code}: ${details}`;
  }
}
