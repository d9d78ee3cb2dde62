import * as grpc from '@grpc/grpc-js';
import { checkAnswer, newChallenge } from '../../shared/auth/cluster-proof.js';
import { GET_STATUS_METHOD } from '../../shared/grpc/node-agent-methods.js';
import type { Logger } from '../../shared/logging.js';
import type { NodeRecord, NodeTable } from './node-table.js';
import { ProbeSchedule, type ProbeCandidate } from './probe-schedule.js';

/** How often the schedule is consulted: what a due probe may wait at most. */
const TICK_MS = 100;

export interface NodeStatusProberOptions {
  /** Least time between two probes of one node (--status-interval). */
  intervalMs: number;
  /** Most probes per second of nodes that are neither new, unverified nor unreachable (--status-max-rate). */
  maxPerSecond: number;
}

/**
 * Asks agents for their status: current load and memory for scoring, the call's round-trip time as
 * the network measure, and — with a cluster secret — a fresh challenge each time, so a node gets work
 * only once it has proved the secret (NodeTable.applyVerification). A node that does not answer within
 * the interval (at least 1 s) is marked unreachable until it answers again.
 *
 * Who is asked when is ProbeSchedule's (probe-schedule.ts): new, unverified and unreachable nodes at
 * once; nodes in use (or recently) every interval and settled idle ones rarely, within a budget of
 * probes per second over the whole cluster. A node whose channel
 * leaves READY (its connection broke: the process died, or keepalive gave up) is marked unreachable
 * at once and asked again, so a crash is noticed without waiting for a probe.
 */
export class NodeStatusProber {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly lastProbedAt = new Map<string, number>();
  /** When each node was last seen busy (ProbeSchedule's "active"). */
  private readonly activeAt = new Map<string, number>();
  private readonly schedule: ProbeSchedule;
  private readonly intervalMs: number;
  private stopped = false;

  constructor(
    private readonly table: NodeTable,
    options: NodeStatusProberOptions,
    private readonly log: Logger,
    /** With a secret, every probe also challenges the node to prove it (see NodeTable.applyVerification). */
    private readonly clusterSecret?: Uint8Array,
  ) {
    this.intervalMs = options.intervalMs;
    this.schedule = new ProbeSchedule(options);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.min(TICK_MS, this.intervalMs));
    this.timer.unref();
    this.table.on('joined', (node: NodeRecord) => {
      this.watchChannel(node, node.client.getChannel().getConnectivityState(false));
      this.probe(node);
    });
    for (const node of this.table.all()) this.watchChannel(node, node.client.getChannel().getConnectivityState(false));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const nodes = this.table.all();
    const candidates: ProbeCandidate[] = [];
    for (const node of nodes) {
      if (!node.listed) {
        this.lastProbedAt.delete(node.id);
        this.activeAt.delete(node.id);
        continue;
      }
      // An unmeasured round trip (the first probe had to connect) scores the node as average: measure it soon.
      const urgent = !node.verified || !node.reachable || Number.isNaN(node.rttMs);
      const busy = node.busySlots > 0;
      if (busy) this.activeAt.set(node.id, now);
      candidates.push({ id: node.id, urgent, busy, lastProbedAt: this.lastProbedAt.get(node.id), activeAt: this.activeAt.get(node.id) });
    }
    if (this.lastProbedAt.size > candidates.length || this.activeAt.size > candidates.length) {
      for (const id of this.lastProbedAt.keys()) if (!this.table.get(id)?.listed) this.lastProbedAt.delete(id);
      for (const id of this.activeAt.keys()) if (!this.table.get(id)?.listed) this.activeAt.delete(id);
    }
    for (const id of this.schedule.select(candidates, now)) {
      const node = this.table.get(id);
      if (node) this.probe(node);
    }
  }

  /**
   * Follows the node's channel: leaving READY means its connection broke (a call in flight fails on
   * its own); the node is unreachable until a probe, sent at once, gets an answer.
   */
  private watchChannel(node: NodeRecord, state: grpc.connectivityState): void {
    const channel = node.client.getChannel();
    if (this.stopped || state === grpc.connectivityState.SHUTDOWN) return;
    channel.watchConnectivityState(state, Infinity, () => {
      if (this.table.get(node.id) !== node) return;
      const now = channel.getConnectivityState(false);
      // The client was closed (the table is closing): nothing to watch or ask any more.
      if (now === grpc.connectivityState.SHUTDOWN) return;
      if (state === grpc.connectivityState.READY && now !== grpc.connectivityState.READY) {
        // A new connection must prove the cluster secret again (ClusterCallSigner.connectionProof).
        node.signer?.connectionMayHaveChanged();
        if (node.listed) {
          if (node.reachable) this.log.warn({ node: node.id, state: grpc.connectivityState[now] }, 'connection to node lost; node marked unreachable');
          this.table.markUnreachable(node);
          this.probe(node);
        }
      }
      this.watchChannel(node, now);
    });
  }

  private probe(node: NodeRecord): void {
    if (this.inFlight.has(node.id)) return;
    this.inFlight.add(node.id);
    this.lastProbedAt.set(node.id, performance.now());
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
      // The probe's proof proved the connection (the agent checked it before answering).
      node.signer?.connectionAnswered();
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
