import { statusOfError, type RpcStatus } from '../../shared/grpc/error-status.js';
import { typedError } from './dependency-failure.js';

export { MAX_DETAILS, STATUS_OF_KIND, type RpcStatus } from '../../shared/grpc/error-status.js';

/** The status a call ends with for an error its handler threw (untyped ones: see typedError). */
export function grpcStatus(error: unknown, dependency?: string): RpcStatus {
  return statusOfError(typedError(error, dependency));
}
