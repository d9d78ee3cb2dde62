import type { Socket } from 'node:net';

/**
 * The connections of a gRPC server, by the peer name its calls report (`call.getPeer()`: the remote
 * address and port, as grpc-js writes them), and which of them have proven the cluster secret.
 *
 * A connection is proven by the first call on it that carries a valid call proof; later calls on the
 * same connection need none. The record ends with the connection: a new connection, even from the same
 * address and port, proves again. This is what makes the proof per connection rather than per call,
 * so that dispatch does not pay for two HMACs per partition (docs/security.md#node-proofs).
 */
export class ProvenConnections {
  /** Live connections by peer name: true once proven. */
  private readonly live = new Map<string, boolean>();

  /** Tracks a newly accepted connection until it closes. */
  track(socket: Socket): void {
    const peer = peerName(socket);
    if (peer === undefined) return;
    this.live.set(peer, false);
    socket.once('close', () => {
      this.live.delete(peer);
    });
  }

  /** A call from `peer` proved the secret. Only a live, tracked connection is recorded. */
  prove(peer: string): void {
    if (this.live.has(peer)) this.live.set(peer, true);
  }

  isProven(peer: string): boolean {
    return this.live.get(peer) === true;
  }

  /** Connections open now (proven or not). */
  get size(): number {
    return this.live.size;
  }
}

/** The peer name grpc-js gives a call on this socket (server-interceptors.js getPeer). */
export function peerName(socket: { remoteAddress?: string; remotePort?: number }): string | undefined {
  if (!socket.remoteAddress) return undefined;
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
}
