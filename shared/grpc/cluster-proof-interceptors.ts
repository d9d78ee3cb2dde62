import * as grpc from '@grpc/grpc-js';
import { ClusterCallSigner } from './cluster-proof-calls.js';

/**
 * A client interceptor that signs every call to the server at `address` with the cluster secret: for
 * callers of a few calls (agents fetching datasets, tests, benchmarks). The coordinator's dispatch
 * signs each call's metadata itself (ClusterCallSigner), which costs less.
 */
export function clusterProofClientInterceptor(secret: Uint8Array, address: string): grpc.Interceptor {
  const signer = new ClusterCallSigner(secret, address);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.merge(signer.metadata(options.method_definition.path));
        next(metadata, listener);
      },
    });
}
