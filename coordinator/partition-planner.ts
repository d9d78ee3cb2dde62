import type { WorkSize } from '../shared/tasks/task-kind.js';

/**
 * Chooses how many partitions a job gets. Pure: no I/O.
 *
 * Enough partitions to give every slot several (so a fast node can take more of them than a
 * slow one and the job does not wait on one straggler), but none so small that the fixed cost
 * of dispatching it (a gRPC stream, a worker hand-off: about a millisecond) dominates.
 *
 * A long job gets more than that: at its end slots run out of work one after another while the
 * last partitions finish, so on average each slot but one idles for half a partition. Smaller
 * partitions shorten that tail, but each costs PARTITION_OVERHEAD_COST: the count that minimises
 * overhead + tail, n·O/S + (S−1)/S · W/(2n) for work W on S slots, is n = √((S−1)·W / (2·O)).
 */
export interface PlanningInput {
  work: WorkSize;
  /** Slots of every node able to run this kind. */
  totalSlots: number;
  partitionsPerSlot: number;
  /** The job's own cap (0 = none). */
  maxPartitions: number;
}

/** Work (in the kinds' cost units, ≈ bar evaluations) below which a partition is not worth sending. */
export const MIN_COST_PER_PARTITION = 2_000_000;

/**
 * What one more partition costs, in the same units: its dispatch and stream, and the fixed work of
 * a partition in the worker (parsing the spec, building the sweep, serialising the result, a
 * backtest's equity curves of its best rows). Measured at 5-8 ms a partition with a 100,000-bar
 * backtest, about a million bar evaluations.
 */
export const PARTITION_OVERHEAD_COST = 1_000_000;

/** Partitions that balance the end-of-job tail against per-partition overhead (0 with one slot: no tail). */
export function tailBalancedCount(totalCost: number, totalSlots: number): number {
  if (!(totalCost > 0) || totalSlots <= 1) return 0;
  return Math.floor(Math.sqrt(((totalSlots - 1) * totalCost) / (2 * PARTITION_OVERHEAD_COST)));
}

export function choosePartitionCount(input: PlanningInput): number {
  const { work, totalSlots, partitionsPerSlot, maxPartitions } = input;
  const units = Math.max(1, Math.floor(work.units));
  const totalCost = units * Math.max(work.costPerUnit, 0);
  const slots = Math.max(1, totalSlots);
  const forBalance = Math.max(slots * partitionsPerSlot, tailBalancedCount(totalCost, slots));
  const worthSending = Math.max(1, Math.floor(totalCost / MIN_COST_PER_PARTITION));
  let count = Math.min(units, forBalance, worthSending);
  // Never fewer partitions than slots when the work allows it: an idle slot is lost time.
  count = Math.max(count, Math.min(units, slots));
  if (maxPartitions > 0) count = Math.min(count, maxPartitions);
  return Math.max(1, count);
}
