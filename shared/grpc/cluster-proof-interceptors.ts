import * as grpc from '@grpc/grpc-js';
import { ClusterCallSigner } from './cluster-proof-calls.js';

/**
 * A client interceptor that signs every call to the coordinator API at `address` with the cluster
 * secret, in metadata: for agents fetching datasets and strategies.
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

/**
 * A client interceptor that signs every call to the agent at `address`, in its request's
 * `clusterProof` field: for callers of a few calls (tests, tools). The coordinator's dispatch and
 * status probes set the field themselves (ClusterCallSigner.sign), which costs less.
 */
export function nodeAgentProofInterceptor(secret: Uint8Array, address: string): grpc.Interceptor {
  const signer = new ClusterCallSigner(secret, address);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      sendMessage(message: { clusterProof?: string }, next) {
        next({ ...message, clusterProof: signer.sign(options.method_definition.path) });
      },
    });
}
