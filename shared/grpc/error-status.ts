import * as grpc from '@grpc/grpc-js';
import type { ErrorKind, QuantgridError } from '../errors.js';
import { ERROR_KIND_TRAILER } from './error-trailer.js';

/** The one mapping of error kinds (shared/errors.ts) to gRPC status codes, for every server of quantgrid. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, grpc.status>> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  'already-exists': grpc.status.ALREADY_EXISTS,
  'permission-denied': grpc.status.PERMISSION_DENIED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  'resource-exhausted': grpc.status.RESOURCE_EXHAUSTED,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
};

/**
 * Longest status message sent. Messages quote input bounded (quoteInput); this is the backstop for
 * one that does not: a status travels in HTTP/2 trailers, and clients refuse large ones.
 */
export const MAX_DETAILS = 1000;

/** A status as grpc-js takes it from a unary callback or a stream's 'error' event. */
export interface RpcStatus {
  code: grpc.status;
  details: string;
  /** What a grpc-js server reads when there are no details (set to the same text). */
  message: string;
  metadata: grpc.Metadata;
}

/** The status for a typed error: its kind's code, its message (cut at MAX_DETAILS), the kind in a trailer. */
export function statusOfError(error: QuantgridError): RpcStatus {
  const details = error.message.length > MAX_DETAILS ? `${error.message.slice(0, MAX_DETAILS)}… (message cut)` : error.message;
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_TRAILER, error.kind);
  return { code: STATUS_OF_KIND[error.kind], details, message: details, metadata };
}
