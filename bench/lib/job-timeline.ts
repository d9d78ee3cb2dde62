/**
 * A job's timeline from its events (WatchJob), for telling apart where a benchmark run's wall time
 * went beside the partitions' own work: how long the first partition took to start after submit,
 * and how far apart the nodes ran out of work (the tail: the node whose last partition ended first
 * waits, idle, for the last one). Times are the coordinator's event times (epoch ms).
 */
export interface TimelineEvent {
  type: string;
  timeMs: number;
  nodeId?: string;
}

export interface JobTimeline {
  /** Submit → the first PARTITION_STARTED; undefined when none started. */
  firstStartMs: number | undefined;
  /** Latest last-PARTITION_FINISHED of a node minus the earliest one (0 with one node); undefined when none finished. */
  tailMs: number | undefined;
}

const STARTED = 'JOB_EVENT_TYPE_PARTITION_STARTED';
const FINISHED = 'JOB_EVENT_TYPE_PARTITION_FINISHED';

export function jobTimeline(submittedAtMs: number, events: readonly TimelineEvent[]): JobTimeline {
  let firstStart = Infinity;
  const lastEnd = new Map<string, number>();
  for (const event of events) {
    if (event.type === STARTED) firstStart = Math.min(firstStart, event.timeMs);
    if (event.type === FINISHED && event.nodeId) lastEnd.set(event.nodeId, Math.max(lastEnd.get(event.nodeId) ?? -Infinity, event.timeMs));
  }
  const ends = [...lastEnd.values()];
  return {
    firstStartMs: Number.isFinite(firstStart) ? firstStart - submittedAtMs : undefined,
    tailMs: ends.length > 0 ? Math.max(...ends) - Math.min(...ends) : undefined,
  };
}
