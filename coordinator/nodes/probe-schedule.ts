/**
 * Which nodes the status prober asks now, as pure logic: a budget of probes per second shared by all
 * nodes, most of it for the nodes in use, so the coordinator's cost of an idle cluster stays small
 * whatever its size.
 *
 * - Urgent nodes — never probed, not yet verified (no challenge answered), unreachable, or whose
 *   channel just left READY — are probed as soon as they are due (`intervalMs` after their last
 *   probe, at once if never probed), outside the budget: a node that joins is proved and used at once,
 *   and a node that may be gone is asked at once. They are few.
 * - Active nodes — running partitions now, or within the last ACTIVE_MS (their load is settling, and
 *   a job's next partitions may come) — are due `intervalMs` after their last probe: their
 *   load is what scoring needs now. They share the budget (`maxPerSecond`, a token bucket holding at
 *   most one second's worth), busy ones first, then the longest unasked.
 * - Settled idle nodes are due IDLE_INTERVAL_FACTOR × `intervalMs` after their last probe and get at
 *   most IDLE_SHARE of the budget (their own bucket, also bounded by the shared one), the longest
 *   unasked first: with N idle nodes each is asked every max(that interval, N ÷ (IDLE_SHARE ×
 *   maxPerSecond)) seconds — at 1,000 idle nodes and the defaults, 5 probes a second instead of 20.
 *
 * Liveness does not rest on these probes: a broken connection (the node's channel leaves READY)
 * makes the node urgent, a running partition's stream fails on its own (heartbeat timeout), and
 * Consul's TTL check removes a node whose agent stopped refreshing it. An idle node's load is older
 * for it; dispatch does not need it fresh (an agent refuses a partition it has no slot for).
 */

/** A node busy this recently counts as active (probed every interval). */
export const ACTIVE_MS = 30_000;
/** A settled idle node is due this many intervals after its last probe. */
export const IDLE_INTERVAL_FACTOR = 30;
/** The most of the budget settled idle nodes spend. */
export const IDLE_SHARE = 0.25;

export interface ProbeCandidate {
  id: string;
  /** Never probed, unverified, unreachable, or its connection just broke: probe it now. */
  urgent: boolean;
  /** Has partitions of this coordinator running: its load matters for scoring right now. */
  busy: boolean;
  /** performance.now()/Date.now() of its last probe; undefined when never probed. */
  lastProbedAt: number | undefined;
  /** The same clock: the last time the node was seen busy; undefined when never. */
  activeAt: number | undefined;
}

export interface ProbeScheduleOptions {
  /** Least time between two probes of one node (--status-interval). */
  intervalMs: number;
  /** Most non-urgent probes per second over all nodes (--status-max-rate). */
  maxPerSecond: number;
}

/** A token bucket holding at most one second's worth (and at least one token). */
class Bucket {
  tokens: number;
  private readonly capacity: number;

  constructor(private readonly perSecond: number) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
  }

  refill(elapsedMs: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, (elapsedMs / 1000) * this.perSecond));
  }
}

const oldestFirst = (a: ProbeCandidate, b: ProbeCandidate) => a.lastProbedAt! - b.lastProbedAt!;

export class ProbeSchedule {
  private readonly shared: Bucket;
  private readonly idle: Bucket;
  private lastRefill: number | undefined;

  constructor(private readonly options: ProbeScheduleOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    if (!(options.maxPerSecond > 0)) throw new RangeError('maxPerSecond must be positive');
    this.shared = new Bucket(options.maxPerSecond);
    this.idle = new Bucket(options.maxPerSecond * IDLE_SHARE);
  }

  /** Whether the candidate counts as active at `now` (see the file's comment). */
  static isActive(candidate: ProbeCandidate, now: number): boolean {
    return candidate.busy || (candidate.activeAt !== undefined && now - candidate.activeAt < ACTIVE_MS);
  }

  /** The ids to probe at `now`, urgent ones first. Spends the budget for the others it returns. */
  select(candidates: readonly ProbeCandidate[], now: number): string[] {
    this.refill(now);
    const { intervalMs } = this.options;
    const idleIntervalMs = intervalMs * IDLE_INTERVAL_FACTOR;
    const chosen: string[] = [];
    const dueActive: ProbeCandidate[] = [];
    const dueIdle: ProbeCandidate[] = [];
    for (const candidate of candidates) {
      if (candidate.lastProbedAt === undefined) {
        chosen.push(candidate.id);
        continue;
      }
      const sinceMs = now - candidate.lastProbedAt;
      if (sinceMs < intervalMs) continue;
      if (candidate.urgent) chosen.push(candidate.id);
      else if (ProbeSchedule.isActive(candidate, now)) dueActive.push(candidate);
      else if (sinceMs >= idleIntervalMs) dueIdle.push(candidate);
    }
    const activeCount = Math.min(dueActive.length, Math.floor(this.shared.tokens));
    if (activeCount < dueActive.length) dueActive.sort((a, b) => (a.busy === b.busy ? oldestFirst(a, b) : a.busy ? -1 : 1));
    for (let i = 0; i < activeCount; i++) chosen.push(dueActive[i].id);
    this.shared.tokens -= activeCount;
    const idleCount = Math.min(dueIdle.length, Math.floor(this.shared.tokens), Math.floor(this.idle.tokens));
    if (idleCount < dueIdle.length) dueIdle.sort(oldestFirst);
    for (let i = 0; i < idleCount; i++) chosen.push(dueIdle[i].id);
    this.shared.tokens -= idleCount;
    this.idle.tokens -= idleCount;
    return chosen;
  }

  private refill(now: number): void {
    if (this.lastRefill !== undefined) {
      this.shared.refill(now - this.lastRefill);
      this.idle.refill(now - this.lastRefill);
    }
    this.lastRefill = now;
  }
}
