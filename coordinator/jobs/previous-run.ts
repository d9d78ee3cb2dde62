import { parentsOf, type DatasetLineage } from '../datasets/dataset-lineage.js';
import type { CheckpointStore } from '../partitions/checkpoint-store.js';

export type { DatasetLineage } from '../datasets/dataset-lineage.js';

/** How many appends back a job looks for an earlier identical job's checkpoints. */
export const MAX_LINEAGE_DEPTH = 64;

/**
 * The datasets `id` extends, nearest first: its parent, the parent's parent… at most `depth` of
 * them, stopping at a dataset without a parent, an unknown one, or (were the records ever
 * inconsistent) one already seen.
 */
export async function ancestorsOf(id: string, lineage: DatasetLineage, depth = MAX_LINEAGE_DEPTH): Promise<string[]> {
  const ancestors: string[] = [];
  for await (const parent of parentsOf(id, lineage, depth)) ancestors.push(parent.id);
  return ancestors;
}

/**
 * The dataset whose checkpoints a job with this run key on dataset `id` continues from: the nearest
 * ancestor of `id` on which an identical job left checkpoints, or undefined (every unit runs in full).
 * The job's own dataset is not a candidate: a job identical in everything is the partition cache's.
 */
export async function findPreviousRun(runKey: string, id: string, lineage: DatasetLineage, checkpoints: CheckpointStore): Promise<string | undefined> {
  return checkpoints.nearest(runKey, await ancestorsOf(id, lineage));
}
