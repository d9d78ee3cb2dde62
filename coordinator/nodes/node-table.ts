import { EventEmitter } from 'node:events';
import { ClusterCallSigner } from '../../shared/grpc/cluster-proof-calls.js';
import { createNodeAgentClient, type NodeAgentClient } from '../../shared/grpc/clients.js';
import type { TlsConfig } from '../../shared/grpc/credentials.js';
import type { Logger } from '../../shared/logging.js';
import { isCompatibleVersion, QUANTGRID_VERSION } from '../../shared/version.js';
import type { DiscoveredNode } from './node-discovery.js';
import { clusterReference, placementScore, scoreNode, type ClusterReference, type ScoreParts, type ScoreWeights } from './node-scorer.js';
import type { NodeState } from '../../shared/node-state.js';

export type { NodeState };

/** The first backoff after a NO_FREE_SLOT refusal; each refusal in a row doubles it, up to REFUSAL_BACKOFF_MAX_MS. */
export const REFUSAL_BACKOFF_BASE_MS = 100;
export const REFUSAL_BACKOFF_MAX_MS = 2000;

/** How long a node that refused `refusals` partitions in a row gets no work: 100 ms, 200 ms, … at most 2 s. */
export function refusalBackoffMs(refusals: number): number {
  return Math.min(REFUSAL_BACKOFF_MAX_MS, REFUSAL_BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(refusals - 1, 30)));
}

/** What this coordinator knows of one agent. */
export interface NodeRecord {
  id: string;
  address: string;
  version: string;
  capabilities: Set<string>;
  /** Task kinds the node advertises as its specialties (agent --specialties): it scores higher for their jobs. */
  specialties: Set<string>;
  slots: number;
  cores: number;
  cpuSpeedGhz: number;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  cpuLoad: number;
  /** Exponentially smoothed round-trip time of status probes; NaN until measured. */
  rttMs: number;
  /** The agent's stored-dataset cache, as its last status probe said (0 before one answered). */
  datasetCacheHits: number;
  datasetCacheMisses: number;
  /** Partitions this coordinator has running there. */
  busySlots: number;
  /**
   * Slots busy there with other coordinators' work: what the agent last reported busy (its
   * reservations included) beyond this coordinator's own partitions, or all of its slots after it
   * refused one for lack of them. The agent's count is the truth; this coordinator's is only its own.
   */
  foreignBusySlots: number;
  /** Consecutive NO_FREE_SLOT refusals, for the backoff (0 once a partition is accepted there). */
  refusals: number;
  /** After a refusal: the node gets no work before this time (ms since the epoch). */
  refusedUntil: number;
  /** Passing in Consul right now. */
  listed: boolean;
  /** False after a connection failure, until a status probe succeeds again. */
  reachable: boolean;
  draining: boolean;
  consecutiveFailures: number;
  quarantinedUntil: number;
  /** Proved it belongs to the cluster (answered a challenge with the cluster secret); no work before. */
  verified: boolean;
  /** Why the node is not verified ('' once it is). */
  unverifiedReason: string;
  client: NodeAgentClient;
  /** Signs each call to this node with the cluster secret (none without a secret). */
  signer: ClusterCallSigner | undefined;
}

export interface NodeTableOptions {
  weights: ScoreWeights;
  /** What a node specialised in a job's kind has its score multiplied by when placing that job's partitions. */
  specialtyBonus: number;
  quarantineMs: number;
  quarantineAfterFailures: number;
  agentTls: TlsConfig;
  /**
   * The cluster secret: calls to agents carry a proof of it, and a node gets work only once it has
   * answered a status probe's challenge with it. Without one (mutual TLS proves the nodes, or a
   * loopback-only cluster run with no node proof), every node counts as verified.
   */
  clusterSecret?: Uint8Array;
}

/**
 * The live table of agents: who is listed in Consul, reachable, compatible, how loaded,
 * and how each scores. Owns one gRPC channel per agent.
 *
 * Events: 'changed' whenever capacity may have grown (a node joined, recovered or freed a slot);
 * 'joined' (NodeRecord) for each node new to the table (its channel just created).
 */
export class NodeTable extends EventEmitter {
  private readonly nodes = new Map<string, NodeRecord>();
  private reference: ClusterReference = { maxCpu: 0, maxMemory: 0, minRtt: Number.POSITIVE_INFINITY };
  /**
   * The reference (best cpu, memory, round trip over the cluster) is recomputed when a score is next
   * needed, not at every status: at a thousand nodes a status per node would cost a pass over all of them.
   */
  private referenceStale = false;

  constructor(
    private readonly options: NodeTableOptions,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Applies a fresh list of passing agents from Consul. */
  applyDiscovery(discovered: readonly DiscoveredNode[]): void {
    const seen = new Set<string>();
    const joined: NodeRecord[] = [];
    for (const found of discovered) {
      seen.add(found.id);
      let node = this.nodes.get(found.id);
      if (node && node.address !== found.address) {
        this.drop(node);
        node = undefined;
      }
      if (!node) {
        node = this.create(found);
        this.nodes.set(found.id, node);
        this.log.info({ node: node.id, address: node.address, slots: node.slots, version: node.version }, 'node joined');
        joined.push(node);
      }
      node.listed = true;
      node.version = found.version;
      node.slots = found.slots;
      node.cores = found.cores;
      node.cpuSpeedGhz = found.cpuSpeedGhz;
      node.capabilities = new Set(found.capabilities);
      node.specialties = new Set(found.specialties);
      if (!isCompatibleVersion(found.version, QUANTGRID_VERSION)) {
        this.log.warn({ node: node.id, version: found.version, ours: QUANTGRID_VERSION }, 'node runs an incompatible version; not using it');
      }
    }
    for (const node of this.nodes.values()) {
      if (seen.has(node.id) || !node.listed) continue;
      node.listed = false;
      this.log.warn({ node: node.id }, 'node left Consul or failed its health check');
      // Keep the channel while partitions still run there: they may finish (Consul can be wrong).
      if (node.busySlots === 0) this.drop(node);
    }
    this.referenceStale = true;
    for (const node of joined) if (this.nodes.get(node.id) === node) this.emit('joined', node);
    this.emit('changed');
  }

  private create(found: DiscoveredNode): NodeRecord {
    return {
      id: found.id,
      address: found.address,
      version: found.version,
      capabilities: new Set(found.capabilities),
      specialties: new Set(found.specialties),
      slots: found.slots,
      cores: found.cores,
      cpuSpeedGhz: found.cpuSpeedGhz,
      memoryTotalBytes: found.memoryBytes,
      memoryAvailableBytes: found.memoryBytes,
      cpuLoad: 0,
      rttMs: Number.NaN,
      datasetCacheHits: 0,
      datasetCacheMisses: 0,
      busySlots: 0,
      foreignBusySlots: 0,
      refusals: 0,
      refusedUntil: 0,
      listed: true,
      reachable: true,
      draining: false,
      consecutiveFailures: 0,
      quarantinedUntil: 0,
      verified: this.options.clusterSecret === undefined,
      unverifiedReason: this.options.clusterSecret === undefined ? '' : 'not yet asked to prove the cluster secret',
      client: createNodeAgentClient(found.address, this.options.agentTls),
      signer: this.options.clusterSecret ? new ClusterCallSigner(this.options.clusterSecret, found.address) : undefined,
    };
  }

  private drop(node: NodeRecord): void {
    node.client.close();
    this.nodes.delete(node.id);
    this.referenceStale = true;
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  all(): NodeRecord[] {
    return [...this.nodes.values()];
  }

  stateOf(node: NodeRecord, now = Date.now()): NodeState {
    if (!node.listed) return 'gone';
    if (!isCompatibleVersion(node.version, QUANTGRID_VERSION)) return 'incompatible';
    if (!node.verified) return 'unverified';
    if (node.draining) return 'draining';
    if (now < node.quarantinedUntil) return 'quarantined';
    if (!node.reachable) return 'unreachable';
    return 'ready';
  }

  hasCapabilities(node: NodeRecord, required: readonly string[]): boolean {
    for (const capability of required) if (!node.capabilities.has(capability)) return false;
    return true;
  }

  /** Nodes that could run work with these capabilities now or soon (ready, whatever their load). */
  capableNodes(required: readonly string[]): NodeRecord[] {
    const now = Date.now();
    return this.all().filter((node) => this.stateOf(node, now) === 'ready' && this.hasCapabilities(node, required));
  }

  score(node: NodeRecord): ScoreParts {
    if (this.referenceStale) this.refreshReference();
    return scoreNode(node, this.reference, this.options.weights);
  }

  /**
   * The best node with a free slot for a partition of a job of `kind`, or undefined: the highest
   * placementScore (a node specialised in the kind gets the specialty bonus). Nodes in `excluded`
   * (where the partition already failed) are avoided, unless no other capable node exists at all.
   */
  pickNode(required: readonly string[], excluded: ReadonlySet<string>, kind = ''): NodeRecord | undefined {
    const now = Date.now();
    let best: NodeRecord | undefined;
    let bestScore = -1;
    let fallback: NodeRecord | undefined;
    let fallbackScore = -1;
    let otherCapableExists = false;
    for (const node of this.nodes.values()) {
      if (this.stateOf(node, now) !== 'ready' || !this.hasCapabilities(node, required)) continue;
      const isExcluded = excluded.has(node.id);
      if (!isExcluded) otherCapableExists = true;
      if (this.freeSlots(node, now) === 0) continue;
      const total = placementScore(this.score(node).total, node.specialties, kind, this.options.specialtyBonus);
      if (isExcluded) {
        if (total > fallbackScore) [fallback, fallbackScore] = [node, total];
      } else if (total > bestScore) {
        [best, bestScore] = [node, total];
      }
    }
    return best ?? (otherCapableExists ? undefined : fallback);
  }

  /**
   * Slots of the node this coordinator may fill now: its slots less its own partitions there and
   * the ones the agent says others run (foreignBusySlots); none while it backs off after a refusal.
   */
  freeSlots(node: NodeRecord, now = Date.now()): number {
    if (now < node.refusedUntil) return 0;
    return Math.max(0, node.slots - node.busySlots - node.foreignBusySlots);
  }

  /**
   * The agent refused a partition for lack of a free slot (another coordinator filled it): the node
   * counts as full and gets no work from here for a backoff that doubles with each refusal in a row
   * (refusalBackoffMs), or until a status probe shows a slot free once the backoff is over. Returns
   * when the backoff ends (ms since the epoch).
   */
  recordRefusal(node: NodeRecord, now = Date.now()): number {
    node.refusals += 1;
    node.foreignBusySlots = Math.max(node.foreignBusySlots, node.slots - node.busySlots);
    node.refusedUntil = now + refusalBackoffMs(node.refusals);
    return node.refusedUntil;
  }

  /** The agent accepted a partition: the next refusal backs off from the start again. */
  recordAccepted(node: NodeRecord): void {
    node.refusals = 0;
  }

  recordSuccess(node: NodeRecord): void {
    node.consecutiveFailures = 0;
  }

  /**
   * A partition failed on this node for a node-side reason; quarantines a node that keeps failing.
   * Returns how long this failure quarantined the node for (ms), 0 when it did not.
   */
  recordFailure(node: NodeRecord, unreachable: boolean): number {
    if (unreachable) {
      // One incident (a dead node fails all its partitions at once) counts once.
      if (!node.reachable) return 0;
      node.reachable = false;
    }
    node.consecutiveFailures += 1;
    if (node.consecutiveFailures >= this.options.quarantineAfterFailures && Date.now() >= node.quarantinedUntil) {
      node.quarantinedUntil = Date.now() + this.options.quarantineMs;
      this.log.warn({ node: node.id, failures: node.consecutiveFailures, forMs: this.options.quarantineMs }, 'node quarantined');
      return this.options.quarantineMs;
    }
    return 0;
  }

  /**
   * Status probe result. (The version stays the one registered in Consul: the registration is what
   * placement trusts.) `ownBusyAtSend` is this coordinator's busySlots there when the probe was
   * sent: the agent's busy count less the larger of that and the current one is what other
   * coordinators run there (an underestimate while partitions of ours are on their way, never an
   * overestimate), which placement leaves alone.
   */
  applyStatus(
    node: NodeRecord,
    status: { memoryAvailableBytes: number; memoryTotalBytes: number; cpuLoad: number; draining: boolean; busySlots?: number; datasetCacheHits?: number; datasetCacheMisses?: number },
    rttMs: number,
    ownBusyAtSend = node.busySlots,
  ): void {
    const wasUsable = node.reachable && !node.draining;
    const foreignBefore = node.foreignBusySlots;
    if (status.busySlots !== undefined) node.foreignBusySlots = Math.max(0, status.busySlots - Math.max(ownBusyAtSend, node.busySlots));
    node.reachable = true;
    node.memoryAvailableBytes = status.memoryAvailableBytes;
    node.memoryTotalBytes = status.memoryTotalBytes;
    node.cpuLoad = status.cpuLoad;
    node.draining = status.draining;
    node.datasetCacheHits = Number(status.datasetCacheHits ?? node.datasetCacheHits);
    node.datasetCacheMisses = Number(status.datasetCacheMisses ?? node.datasetCacheMisses);
    if (!Number.isNaN(rttMs)) node.rttMs = Number.isNaN(node.rttMs) ? rttMs : 0.7 * node.rttMs + 0.3 * rttMs;
    this.referenceStale = true;
    if ((!wasUsable || node.foreignBusySlots < foreignBefore) && !node.draining) this.emit('changed');
  }

  /** The outcome of a node's proof of the cluster secret (each status probe asks again). */
  applyVerification(node: NodeRecord, verified: boolean, reason: string): void {
    if (node.verified === verified && node.unverifiedReason === reason) return;
    const was = node.verified;
    node.verified = verified;
    node.unverifiedReason = verified ? '' : reason;
    if (!verified) this.log.warn({ node: node.id, address: node.address, reason }, 'node not verified; it gets no work');
    else if (!was) {
      this.log.info({ node: node.id }, 'node verified');
      this.emit('changed');
    }
  }

  markUnreachable(node: NodeRecord): void {
    node.reachable = false;
  }

  acquireSlot(node: NodeRecord): void {
    node.busySlots += 1;
  }

  releaseSlot(node: NodeRecord): void {
    node.busySlots = Math.max(0, node.busySlots - 1);
    if (!node.listed && node.busySlots === 0) this.drop(node);
    this.emit('changed');
  }

  private refreshReference(): void {
    this.referenceStale = false;
    this.reference = clusterReference(this.all().filter((node) => node.listed));
  }

  close(): void {
    for (const node of this.nodes.values()) node.client.close();
    this.nodes.clear();
  }
}
