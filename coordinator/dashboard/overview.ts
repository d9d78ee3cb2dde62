/** The cluster at a glance (GET /api/overview and the stream's `overview`): nodes, slots, jobs, partitions/s. */
import type { OverviewResponse } from '../../shared/dashboard/api-types.js';
import { NODE_STATES, type NodeState } from '../../shared/node-state.js';
import { CANCELLED_REASON, isSnapshot } from '../jobs/job-model.js';
import type { DashboardDeps } from './dashboard-deps.js';

/** 00:00 UTC of the day of `now`. */
export function startOfUtcDay(now: number): number {
  const day = new Date(now);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
}

export async function overview({ table, store, samples }: Pick<DashboardDeps, 'table' | 'store' | 'samples'>, now = Date.now()): Promise<OverviewResponse> {
  const byState = Object.fromEntries(NODE_STATES.map((state) => [state, 0])) as Record<NodeState, number>;
  let busy = 0;
  let total = 0;
  for (const node of table.all()) {
    const state = table.stateOf(node, now);
    byState[state] += 1;
    if (state !== 'ready') continue;
    busy += node.busySlots;
    total += node.slots;
  }
  const redis = store.connection;
  const queue = store.queue;
  const midnight = startOfUtcDay(now);
  // BullMQ keeps finished jobs in sorted sets scored by their end time: today's are a range of them.
  const [counts, active, completedToday, failedIds, cancelRequested, partitionsPerSecond] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'delayed'),
    queue.getRanges(['active'], 0, -1),
    redis.zcount(queue.toKey('completed'), midnight, '+inf'),
    redis.zrangebyscore(queue.toKey('failed'), midnight, '+inf'),
    store.cancelRequests(),
    samples.partitionsPerSecond(),
  ]);
  const read = redis.pipeline();
  for (const id of active) read.hget(queue.toKey(id), 'progress');
  for (const id of failedIds) read.hget(queue.toKey(id), 'failedReason');
  const replies = (await read.exec()) ?? [];
  let waitingForNodes = 0;
  active.forEach((_, i) => {
    try {
      const progress = JSON.parse(String(replies[i]?.[1] ?? 'null')) as unknown;
      if (isSnapshot(progress) && progress.phase === 'waiting-for-nodes') waitingForNodes += 1;
    } catch {
      // No progress yet: running.
    }
  });
  const cancelledToday = failedIds.filter((id, i) => replies[active.length + i]?.[1] === CANCELLED_REASON || cancelRequested.has(id)).length;
  // Upcoming occurrences of schedules wait as delayed jobs; they are not queued work.
  const queued = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  return {
    atMs: now,
    nodes: { total: table.all().length, byState },
    slots: { busy, total },
    jobs: { queued, waitingForNodes, running: active.length - waitingForNodes, completedToday, failedToday: failedIds.length - cancelledToday, cancelledToday },
    partitionsPerSecond,
  };
}
