import * as grpc from '@grpc/grpc-js';
import type { ErrorKind } from '../../shared/errors.js';
import { ERROR_KIND_TRAILER } from '../../shared/grpc/error-trailer.js';
import { typedError } from './dependency-failure.js';

/** The one mapping of error kinds to gRPC status codes. */
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

/** The status a call ends with for an error its handler threw (untyped ones: see typedError). */
export function grpcStatus(error: unknown, dependency?: string): RpcStatus {
  const typed = typedError(error, dependency);
  const details = typed.message.length > MAX_DETAILS ? `${typed.message.slice(0, MAX_DETAILS)}… (message cut)` : typed.message;
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_TRAILER, typed.kind);
  return { code: STATUS_OF_KIND[typed.kind], details, message: details, metadata };
}
