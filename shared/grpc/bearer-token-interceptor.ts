import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA } from '../auth/api-token.js';

/**
 * A client interceptor that sends `authorization: Bearer <token>` on every call. (grpc-js refuses
 * call credentials on a plaintext channel, and a local cluster is plaintext; metadata works on both.)
 */
export function bearerTokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_METADATA, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}
