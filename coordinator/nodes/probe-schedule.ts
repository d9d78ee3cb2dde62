/**
 * Which nodes the status prober asks now, as pure logic: a budget of probes per second shared by all
 * nodes, so the coordinator's cost of an idle cluster does not grow with its size.
 *
 * - Urgent nodes — never probed, not yet verified (no challenge answered), unreachable, or whose
 *   channel just left READY — are probed as soon as they are due, outside the budget: a node that
 *   joins is proved and used at once, and a node that may be gone is asked at once. They are few.
 * - Every other node is due `intervalMs` after its last probe; due nodes share the budget
 *   (`maxPerSecond`, a token bucket holding at most one second's worth), nodes running partitions
 *   first, then the longest unasked. With more idle nodes than the budget covers, each is asked
 *   every (idle nodes ÷ maxPerSecond) seconds instead of every interval.
 *
 * Liveness does not rest on these probes: a broken connection (the node's channel leaves READY)
 * makes the node urgent, a running partition's stream fails on its own, and Consul's TTL check
 * removes a node whose agent stopped refreshing it.
 */

export interface ProbeCandidate {
  id: string;
  /** Never probed, unverified, unreachable, or its connection just broke: probe it now. */
  urgent: boolean;
  /** Has partitions of this coordinator running: its load matters for scoring right now. */
  busy: boolean;
  /** performance.now()/Date.now() of its last probe; undefined when never probed. */
  lastProbedAt: number | undefined;
}

export interface ProbeScheduleOptions {
  /** Least time between two probes of one node (--status-interval). */
  intervalMs: number;
  /** Most non-urgent probes per second over all nodes (--status-max-rate). */
  maxPerSecond: number;
}

export class ProbeSchedule {
  private tokens: number;
  private lastRefill: number | undefined;

  constructor(private readonly options: ProbeScheduleOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    if (!(options.maxPerSecond > 0)) throw new RangeError('maxPerSecond must be positive');
    this.tokens = options.maxPerSecond;
  }

  /** The ids to probe at `now`, urgent ones first. Spends the budget for the others it returns. */
  select(candidates: readonly ProbeCandidate[], now: number): string[] {
    this.refill(now);
    const { intervalMs } = this.options;
    const urgent: string[] = [];
    const due: ProbeCandidate[] = [];
    for (const candidate of candidates) {
      const isDue = candidate.lastProbedAt === undefined || now - candidate.lastProbedAt >= intervalMs;
      if (!isDue) continue;
      if (candidate.urgent || candidate.lastProbedAt === undefined) urgent.push(candidate.id);
      else due.push(candidate);
    }
    const affordable = Math.min(due.length, Math.floor(this.tokens));
    if (affordable === 0) return urgent;
    this.tokens -= affordable;
    if (affordable < due.length) {
      due.sort((a, b) => (a.busy === b.busy ? a.lastProbedAt! - b.lastProbedAt! : a.busy ? -1 : 1));
    }
    const chosen = urgent;
    for (let i = 0; i < affordable; i++) chosen.push(due[i].id);
    return chosen;
  }

  private refill(now: number): void {
    if (this.lastRefill !== undefined) {
      const earned = ((now - this.lastRefill) / 1000) * this.options.maxPerSecond;
      this.tokens = Math.min(this.options.maxPerSecond, this.tokens + Math.max(0, earned));
    }
    this.lastRefill = now;
  }
}
