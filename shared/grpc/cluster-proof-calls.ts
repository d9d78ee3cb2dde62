import * as grpc from '@grpc/grpc-js';
import { CallSigner, callTarget, ClusterProofError, DEFAULT_PROOF_SKEW_MS, verifyCall } from '../auth/cluster-proof.js';
import { NonceWindow } from '../auth/nonce-window.js';
import { Unauthenticated } from '../errors.js';
import { statusOfError } from './error-status.js';
import type { ProvenConnections } from './proven-connections.js';

/**
 * The metadata key carrying a call's proof of the cluster secret on the coordinator's API (an agent's
 * FetchDataset and FetchStrategy, checked by its interceptor with users' tokens). Calls to agents carry
 * it in their request's `clusterProof` field instead (proto/quantgrid/v1/node_agent.proto).
 */
export const CLUSTER_PROOF_METADATA = 'x-quantgrid-cluster-proof';

/**
 * How a node of the cluster signs its calls to the server at `address`: a proof for one method. One
 * signer per method (a handful), each with its own nonces and its target's part of the MAC written once.
 *
 * It also knows whether its connection to an agent is proven (shared/grpc/proven-connections.ts):
 * `connectionProof` signs until a signed call has been answered, then sends none, until the connection
 * may have changed (`connectionMayHaveChanged`: the channel left READY, or an unsigned call was refused).
 */
export class ClusterCallSigner {
  private readonly signers = new Map<string, CallSigner>();
  private connectionProven = false;

  constructor(
    private readonly secret: Uint8Array,
    private readonly address: string,
  ) {}

  /** A fresh proof for a call of `method` (a path such as RUN_PARTITION_METHOD). */
  sign(method: string): string {
    let signer = this.signers.get(method);
    if (!signer) {
      signer = new CallSigner(this.secret, callTarget(this.address, method));
      this.signers.set(method, signer);
    }
    return signer.sign();
  }

  /** The proof for a call of `method` on the agent connection: a fresh one until it is proven, then ''. */
  connectionProof(method: string): string {
    return this.connectionProven ? '' : this.sign(method);
  }

  /** A call that carried a proof was answered: the agent has recorded the connection as proven. */
  connectionAnswered(): void {
    this.connectionProven = true;
  }

  /** The channel may be on a new connection, which the agent does not know as proven: sign again. */
  connectionMayHaveChanged(): void {
    this.connectionProven = false;
  }

  /** The same as metadata, for the coordinator's API. */
  metadata(method: string): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set(CLUSTER_PROOF_METADATA, this.sign(method));
    return metadata;
  }
}

type AnyHandler = (
  call: { request?: { clusterProof?: unknown }; getPeer(): string; emit?: (event: 'error', status: unknown) => boolean },
  callback?: (error: unknown) => void,
) => void;

/** Why a call without a proof is refused: its connection has not proven the secret (or is not known). */
const UNPROVEN_CONNECTION = 'no cluster proof, and this connection has not proven the cluster secret';

/**
 * Wraps every handler of a service whose calls are unary or server-streaming (their request is read
 * before the handler runs) so that a call is refused with UNAUTHENTICATED before the handler sees it
 * unless its request carries a fresh, unreplayed `clusterProof` for `method` on this server, or it
 * comes on a connection that an earlier call proved (`connections`). A valid proof proves its
 * connection. A unary call is refused through its callback, a server stream by its status. A plain
 * function around each handler: cheaper than a server interceptor on the dispatch path.
 */
export function guardWithClusterProof<Handlers extends object>(
  handlers: Handlers,
  service: string,
  secret: Uint8Array,
  /** This server's address as callers dial it (known once the port is bound). */
  address: () => string,
  connections: ProvenConnections,
  onRefused: (method: string, reason: string) => void,
): Handlers {
  const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);
  const guarded: Record<string, AnyHandler> = {};
  for (const [name, handler] of Object.entries(handlers as Record<string, AnyHandler>)) {
    const method = `/${service}/${name}`;
    guarded[name] = (call, callback) => {
      const peer = call.getPeer();
      const proof = call.request?.clusterProof || undefined;
      if (proof !== undefined || !connections.isProven(peer)) {
        try {
          if (proof === undefined) throw new ClusterProofError(UNPROVEN_CONNECTION);
          verifyCall(secret, callTarget(address(), method), proof, nonces);
        } catch (error) {
          const reason = error instanceof ClusterProofError ? error.message : String(error);
          onRefused(method, reason);
          const status = statusOfError(new Unauthenticated(`cluster proof refused: ${reason}`));
          if (callback) callback(status);
          else call.emit?.('error', status);
          return;
        }
        connections.prove(peer);
      }
      handler(call, callback);
    };
  }
  return guarded as Handlers;
}
