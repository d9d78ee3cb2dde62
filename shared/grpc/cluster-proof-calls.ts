import * as grpc from '@grpc/grpc-js';
import { CallSigner, callTarget, ClusterProofError, DEFAULT_PROOF_SKEW_MS, verifyCall } from '../auth/cluster-proof.js';
import { NonceWindow } from '../auth/nonce-window.js';
import { Unauthenticated } from '../errors.js';
import { statusOfError } from './error-status.js';

/** The metadata key carrying a call's proof of the cluster secret. */
export const CLUSTER_PROOF_METADATA = 'x-quantgrid-cluster-proof';

/**
 * How a node of the cluster signs its calls to the server at `address`: metadata with the proof for
 * one method. Plain metadata on each call, not a client interceptor: dispatch sends thousands of calls
 * a second, and grpc-js interceptors cost more than the HMAC (bench/auth-cost.ts).
 */
export class ClusterCallSigner {
  /** One signer per method (a handful), each with its own nonces and its target's part of the MAC written once. */
  private readonly signers = new Map<string, CallSigner>();

  constructor(
    private readonly secret: Uint8Array,
    private readonly address: string,
  ) {}

  metadata(method: string): grpc.Metadata {
    let signer = this.signers.get(method);
    if (!signer) {
      signer = new CallSigner(this.secret, callTarget(this.address, method));
      this.signers.set(method, signer);
    }
    const metadata = new grpc.Metadata();
    metadata.set(CLUSTER_PROOF_METADATA, signer.sign());
    return metadata;
  }
}

type AnyHandler = (call: { metadata: grpc.Metadata; emit?: (event: 'error', status: unknown) => boolean }, callback?: (error: unknown) => void) => void;

/**
 * Wraps every handler of a service so that a call without a fresh, unreplayed proof for `method` on
 * this server is refused with UNAUTHENTICATED before the handler sees it (a unary call through its
 * callback, a server stream by its status). A plain function around each handler: cheaper than a
 * server interceptor on the dispatch path.
 */
export function guardWithClusterProof<Handlers extends object>(
  handlers: Handlers,
  service: string,
  secret: Uint8Array,
  /** This server's address as callers dial it (known once the port is bound). */
  address: () => string,
  onRefused: (method: string, reason: string) => void,
): Handlers {
  const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);
  const guarded: Record<string, AnyHandler> = {};
  for (const [name, handler] of Object.entries(handlers as Record<string, AnyHandler>)) {
    const method = `/${service}/${name}`;
    guarded[name] = (call, callback) => {
      try {
        verifyCall(secret, callTarget(address(), method), call.metadata.get(CLUSTER_PROOF_METADATA)[0], nonces);
      } catch (error) {
        const reason = error instanceof ClusterProofError ? error.message : String(error);
        onRefused(method, reason);
        const status = statusOfError(new Unauthenticated(`cluster proof refused: ${reason}`));
        if (callback) callback(status);
        else call.emit?.('error', status);
        return;
      }
      handler(call, callback);
    };
  }
  return guarded as Handlers;
}
