import * as grpc from '@grpc/grpc-js';
import { checkAnswer, newChallenge } from '../../shared/auth/cluster-proof.js';
import { GET_STATUS_METHOD } from '../../shared/grpc/node-agent-methods.js';
import type { Logger } from '../../shared/logging.js';
import type { NodeRecord, NodeTable } from './node-table.js';

/**
 * Asks every known agent for its status once per interval: current load and memory for
 * scoring, and the call's round-trip time as the network measure. A node that does not
 * answer within the interval is marked unreachable until it answers again.
 */
export class NodeStatusProber {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly table: NodeTable,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** With a secret, every probe also challenges the node to prove it (see NodeTable.applyVerification). */
    private readonly clusterSecret?: Uint8Array,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.probeAll(), this.intervalMs);
    this.timer.unref();
    this.table.on('changed', () => this.probeNew());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private probeNew(): void {
    for (const node of this.table.all()) if (Number.isNaN(node.rttMs)) this.probe(node);
  }

  probeAll(): void {
    for (const node of this.table.all()) if (node.listed) this.probe(node);
  }

  private probe(node: NodeRecord): void {
    if (this.inFlight.has(node.id)) return;
    this.inFlight.add(node.id);
    // A call that must first connect measures the handshake, not the round trip: its load counts, its time not.
    const connected = node.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
    const started = process.hrtime.bigint();
    const deadline = new Date(Date.now() + Math.max(this.intervalMs, 1000));
    const challenge = this.clusterSecret ? newChallenge() : '';
    const ownBusyAtSend = node.busySlots;
    node.client.getStatus({ challenge, clusterProof: node.signer?.sign(GET_STATUS_METHOD) ?? '' }, { deadline }, (error, status) => {
      this.inFlight.delete(node.id);
      if (this.table.get(node.id) !== node) return;
      if (error?.code === grpc.status.UNAUTHENTICATED) {
        // It answers, but not to this cluster's proof: another cluster's agent, or a wrong secret file.
        this.table.applyVerification(node, false, `refused this coordinator's cluster proof: ${error.details}`);
        return;
      }
      if (error || !status) {
        if (node.reachable) this.log.warn({ node: node.id, err: error?.message }, 'status probe failed; node marked unreachable');
        this.table.markUnreachable(node);
        return;
      }
      const rttMs = connected ? Number(process.hrtime.bigint() - started) / 1e6 : Number.NaN;
      if (this.clusterSecret) {
        const proved = checkAnswer(this.clusterSecret, challenge, node.id, status.challengeAnswer);
        const reason = status.challengeAnswer === '' ? 'did not answer the cluster-secret challenge (no secret configured?)' : 'answered the cluster-secret challenge wrongly (another secret, or another node id)';
        this.table.applyVerification(node, proved, proved ? '' : reason);
      }
      this.table.applyStatus(node, status, rttMs, ownBusyAtSend);
    });
  }
}
