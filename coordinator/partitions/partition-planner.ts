import type { WorkSize } from '../../shared/tasks/task-kind.js';

/**
 * Chooses how many partitions a job gets. Pure: no I/O.
 *
 * Enough partitions to give every slot several (so a fast node can take more of them than a
 * slow one and the job does not wait on one straggler), but none so small that the fixed cost
 * of dispatching it (a gRPC stream, a worker hand-off: about a millisecond) dominates.
 */
export interface PlanningInput {
  work: WorkSize;
  /** Slots of every node able to run this kind. */
  totalSlots: number;
  partitionsPerSlot: number;
  /** The job's own cap (0 = none). */
  maxPartitions: number;
  /** Fewest partitions the job needs (e.g. for its checkpoints to fit in a message each); the job's cap still wins. */
  minPartitions?: number;
}

/** Work (in the kinds' cost units, ≈ bar evaluations) below which a partition is not worth sending. */
export const MIN_COST_PER_PARTITION = 2_000_000;

export function choosePartitionCount(input: PlanningInput): number {
  const { work, totalSlots, partitionsPerSlot, maxPartitions } = input;
  const units = Math.max(1, Math.floor(work.units));
  const totalCost = units * Math.max(work.costPerUnit, 0);
  const forBalance = Math.max(1, totalSlots) * partitionsPerSlot;
  const worthSending = Math.max(1, Math.floor(totalCost / MIN_COST_PER_PARTITION));
  let count = Math.min(units, forBalance, worthSending);
  // Never fewer partitions than slots when the work allows it: an idle slot is lost time.
  count = Math.max(count, Math.min(units, Math.max(1, totalSlots)));
  count = Math.max(count, Math.min(units, Math.floor(input.minPartitions ?? 1)));
  if (maxPartitions > 0) count = Math.min(count, maxPartitions);
  return Math.max(1, count);
}
