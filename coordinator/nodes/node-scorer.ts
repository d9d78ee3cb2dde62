/**
 * Scores nodes for placement. Pure: no I/O.
 *
 * Capacity parts are normalised against the best node in the cluster (1 = best):
 *   cpu     = cores × CPU speed (1 GHz when the machine does not report it)
 *   memory  = available memory
 *   network = lowest round-trip time in the cluster / this node's round-trip time
 * total = (w_cpu·cpu + w_memory·memory + w_network·network) × (1 − load),
 * where load is the larger of the share of the node's slots in use and its measured CPU use.
 * Placing a partition, a node that advertises the job's kind as a specialty has its total
 * multiplied by the specialty bonus (placementScore).
 */
export interface ScoreWeights {
  cpu: number;
  memory: number;
  network: number;
}

export const DEFAULT_WEIGHTS: ScoreWeights = { cpu: 0.4, memory: 0.3, network: 0.3 };

/** What a node specialised in a job's kind has its score multiplied by (coordinator --specialty-bonus). */
export const DEFAULT_SPECIALTY_BONUS = 1.5;
/** The bonus's bounds: 1 turns specialties off; more than this would let a loaded node beat idle ones by far. */
export const SPECIALTY_BONUS_RANGE = { min: 1, max: 10 } as const;

export interface ScoringInput {
  cores: number;
  cpuSpeedGhz: number;
  memoryAvailableBytes: number;
  /** Smoothed round-trip time; NaN or ≤ 0 when not measured yet. */
  rttMs: number;
  cpuLoad: number;
  busySlots: number;
  /** Slots other coordinators run work on (the agent's count beyond this coordinator's own). */
  foreignBusySlots?: number;
  slots: number;
}

export interface ScoreParts {
  total: number;
  cpu: number;
  memory: number;
  network: number;
  loadFactor: number;
}

/** Some machines (often VMs) do not report a CPU speed; they count as this nominal speed. */
export const UNKNOWN_CPU_SPEED_GHZ = 1;

function cpuCapacity(node: ScoringInput): number {
  return node.cores * (node.cpuSpeedGhz > 0 ? node.cpuSpeedGhz : UNKNOWN_CPU_SPEED_GHZ);
}

/** RTTs below this are measurement noise on a LAN; treating them as equal avoids jitter-driven placement. */
const RTT_FLOOR_MS = 0.2;

function effectiveRtt(rttMs: number): number {
  return Number.isFinite(rttMs) && rttMs > 0 ? Math.max(rttMs, RTT_FLOOR_MS) : Number.NaN;
}

export interface ClusterReference {
  maxCpu: number;
  maxMemory: number;
  minRtt: number;
}

/** The best values in the cluster, against which every node is normalised. */
export function clusterReference(nodes: readonly ScoringInput[]): ClusterReference {
  let maxCpu = 0;
  let maxMemory = 0;
  let minRtt = Number.POSITIVE_INFINITY;
  for (const node of nodes) {
    maxCpu = Math.max(maxCpu, cpuCapacity(node));
    maxMemory = Math.max(maxMemory, node.memoryAvailableBytes);
    const rtt = effectiveRtt(node.rttMs);
    if (rtt < minRtt) minRtt = rtt;
  }
  return { maxCpu, maxMemory, minRtt };
}

export function loadOf(node: ScoringInput): number {
  const slotLoad = node.slots > 0 ? (node.busySlots + (node.foreignBusySlots ?? 0)) / node.slots : 1;
  const cpuLoad = Number.isFinite(node.cpuLoad) ? node.cpuLoad : 0;
  return Math.min(1, Math.max(0, slotLoad, cpuLoad));
}

export function scoreNode(node: ScoringInput, reference: ClusterReference, weights: ScoreWeights): ScoreParts {
  const cpu = reference.maxCpu > 0 ? cpuCapacity(node) / reference.maxCpu : 0;
  const memory = reference.maxMemory > 0 ? node.memoryAvailableBytes / reference.maxMemory : 0;
  const rtt = effectiveRtt(node.rttMs);
  // A node not measured yet gets a neutral network part rather than the best or the worst.
  const network = Number.isNaN(rtt) || !Number.isFinite(reference.minRtt) ? 0.5 : reference.minRtt / rtt;
  const weightSum = weights.cpu + weights.memory + weights.network;
  const capacity = (weights.cpu * cpu + weights.memory * memory + weights.network * network) / weightSum;
  const loadFactor = 1 - loadOf(node);
  return { total: capacity * loadFactor, cpu, memory, network, loadFactor };
}

/**
 * The score a partition of a job of `kind` is placed by: the node's total, × `bonus` when the node
 * advertises `kind` among its specialties.
 */
export function placementScore(total: number, specialties: ReadonlySet<string>, kind: string, bonus: number): number {
  return specialties.has(kind) ? total * bonus : total;
}
