import * as grpc from '@grpc/grpc-js';
import { callTarget, ClusterProofError, NonceWindow, signCall, verifyCall } from '../auth/cluster-proof.js';

/** The metadata key carrying a call's proof of the cluster secret. */
export const CLUSTER_PROOF_METADATA = 'x-quantgrid-cluster-proof';

/** A client interceptor that signs every call to the server at `address` with the cluster secret. */
export function clusterProofClientInterceptor(secret: Uint8Array, address: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(CLUSTER_PROOF_METADATA, signCall(secret, callTarget(address, options.method_definition.path)));
        next(metadata, listener);
      },
    });
}

/**
 * A server interceptor that refuses, with UNAUTHENTICATED and before the handler sees the request,
 * every call to a method under `servicePrefix` (e.g. "/quantgrid.v1.NodeAgent/") without a fresh,
 * unreplayed proof for that method. Other services (health, reflection) pass.
 */
export function clusterProofServerInterceptor(
  secret: Uint8Array,
  servicePrefix: string,
  /** This server's address as callers dial it (known once the port is bound). */
  address: () => string,
  onRefused: (method: string, reason: string) => void,
): grpc.ServerInterceptor {
  const nonces = new NonceWindow();
  return (methodDescriptor, call) => {
    if (!methodDescriptor.path.startsWith(servicePrefix)) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            try {
              verifyCall(secret, callTarget(address(), methodDescriptor.path), metadata.get(CLUSTER_PROOF_METADATA)[0], nonces);
            } catch (error) {
              const reason = error instanceof ClusterProofError ? error.message : String(error);
              onRefused(methodDescriptor.path, reason);
              call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: `cluster proof refused: ${reason}`, metadata: new grpc.Metadata() });
              return;
            }
            nextMetadata(metadata);
          },
        });
      },
    });
  };
}
