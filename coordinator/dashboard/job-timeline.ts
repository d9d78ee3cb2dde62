/**
 * A job's partition timeline from its event log (pure): one bar per attempt of a partition, on a
 * lane (node, slot) — like Dask's task stream. An attempt starts with PARTITION_STARTED and ends with
 * PARTITION_FINISHED (completed), PARTITION_RETRIED (retried, or failover when its node was found
 * gone), or the job's end (failed for the partition the job failed on, else cancelled). A second
 * STARTED of the job (another coordinator took it over) ends the attempts still open as failovers.
 * A straggler's backup (STARTED with backup set) runs beside the attempt it copies: one of the two
 * ends with FINISHED, the other with PARTITION_COPY_STOPPED (superseded, or dropped when it failed).
 */
import type { TimelineAttempt, TimelineOutcome, TimelineResponse } from '../../shared/dashboard/api-types.js';
import { copyStopOf } from '../../shared/copy-stopped.js';

/** What the derivation reads of an event (a JobEvent as logged). */
export interface TimelineEvent {
  type: string;
  timeMs: number;
  partition: number;
  nodeId?: string;
  attempt?: number;
  message?: string;
  failover?: boolean;
  backup?: boolean;
  progress?: { partitionsReused?: number; partitionsRecovered?: number } | null;
}

/** The message of an attempt ended by a takeover. */
export const TAKEN_OVER = 'its coordinator stopped: the job was taken over by another';

type Open = Omit<TimelineAttempt, 'slot' | 'endMs' | 'outcome' | 'message'>;

/** The partition a job's failure names ("partition 3 failed: …"), or -1. */
function failedPartition(message: string | undefined): number {
  const match = /\bpartition (\d+) failed\b/.exec(message ?? '');
  return match ? Number(match[1]) : -1;
}

/**
 * Lanes: on each node, an attempt takes the lowest slot free at its start (a running one holds its
 * slot for ever). Events are stamped by the coordinator, a few milliseconds from the agent's own
 * times: with the node's slot count known, an attempt that finds none free takes the one freed first
 * rather than a lane the node does not have.
 */
function assignSlots(attempts: Array<Omit<TimelineAttempt, 'slot'>>, slotsOf: (nodeId: string) => number | undefined): TimelineAttempt[] {
  const order = attempts.map((attempt, index) => ({ attempt, index })).sort((a, b) => a.attempt.startMs - b.attempt.startMs || a.index - b.index);
  const busyUntil = new Map<string, number[]>();
  const placed: TimelineAttempt[] = new Array(attempts.length);
  for (const { attempt, index } of order) {
    const lanes = busyUntil.get(attempt.nodeId) ?? [];
    busyUntil.set(attempt.nodeId, lanes);
    let slot = lanes.findIndex((until) => until <= attempt.startMs);
    const slots = slotsOf(attempt.nodeId);
    if (slot < 0 && slots !== undefined && lanes.length >= slots) slot = lanes.indexOf(Math.min(...lanes));
    if (slot < 0) slot = lanes.push(0) - 1;
    lanes[slot] = attempt.outcome === 'running' ? Number.POSITIVE_INFINITY : attempt.endMs;
    placed[index] = { ...attempt, slot };
  }
  return placed;
}

/** `slotsOf`: a node's slot count when known (NodeTable), to keep its lanes within them. */
export function deriveTimeline(jobId: string, events: readonly TimelineEvent[], nowMs: number, slotsOf: (nodeId: string) => number | undefined = () => undefined): TimelineResponse {
  /** Per partition, its attempts not yet ended (two while a straggler has a backup). */
  const open = new Map<number, Open[]>();
  const ended: Array<Omit<TimelineAttempt, 'slot'>> = [];
  let reused = 0;
  let recovered = 0;
  let started = false;
  let endedAt = 0;
  /** Ends the partition's open attempt numbered `number` (else its oldest: an event need not name it). */
  const close = (partition: number, endMs: number, outcome: TimelineOutcome, message = '', number?: number): void => {
    const list = open.get(partition);
    if (!list) return;
    const found = number === undefined ? -1 : list.findIndex((a) => a.attempt === number);
    const [attempt] = list.splice(found < 0 ? 0 : found, 1);
    if (list.length === 0) open.delete(partition);
    ended.push({ ...attempt, endMs: Math.max(endMs, attempt.startMs), outcome, message });
  };
  const closeEvery = (partition: number, endMs: number, outcome: TimelineOutcome, message: string): void => {
    while (open.has(partition)) close(partition, endMs, outcome, message);
  };
  const closeAll = (endMs: number, outcomeOf: (partition: number) => TimelineOutcome, message: string): void => {
    for (const partition of [...open.keys()]) closeEvery(partition, endMs, outcomeOf(partition), message);
  };
  for (const event of events) {
    if (event.progress) {
      reused = event.progress.partitionsReused ?? reused;
      recovered = event.progress.partitionsRecovered ?? recovered;
    }
    switch (event.type) {
      case 'JOB_EVENT_TYPE_STARTED':
        if (started) closeAll(event.timeMs, () => 'failover', TAKEN_OVER);
        started = true;
        break;
      case 'JOB_EVENT_TYPE_PARTITION_STARTED': {
        // Still open (and not the straggler a backup copies): its coordinator died before saying how
        // it ended, and the partition runs again.
        if (!event.backup) closeEvery(event.partition, event.timeMs, 'failover', TAKEN_OVER);
        const list = open.get(event.partition) ?? [];
        open.set(event.partition, list);
        list.push({ partition: event.partition, attempt: event.attempt ?? 1, nodeId: event.nodeId ?? '', startMs: event.timeMs, backup: event.backup === true });
        break;
      }
      case 'JOB_EVENT_TYPE_PARTITION_FINISHED':
        close(event.partition, event.timeMs, 'completed', '', event.attempt);
        // The other copy's COPY_STOPPED normally came first; without it, it lost all the same.
        closeEvery(event.partition, event.timeMs, 'superseded', '');
        break;
      case 'JOB_EVENT_TYPE_PARTITION_RETRIED':
        close(event.partition, event.timeMs, event.failover ? 'failover' : 'retried', event.message ?? '', event.attempt);
        break;
      case 'JOB_EVENT_TYPE_PARTITION_COPY_STOPPED':
        close(event.partition, event.timeMs, copyStopOf(event.message) === 'failed' ? 'dropped' : 'superseded', event.message ?? '', event.attempt);
        break;
      case 'JOB_EVENT_TYPE_FAILED': {
        const culprit = failedPartition(event.message);
        closeAll(event.timeMs, (partition) => (partition === culprit ? 'failed' : 'cancelled'), event.message ?? '');
        endedAt = event.timeMs;
        break;
      }
      case 'JOB_EVENT_TYPE_CANCELLED':
      case 'JOB_EVENT_TYPE_COMPLETED':
        closeAll(event.timeMs, () => 'cancelled', event.message ?? '');
        endedAt = event.timeMs;
        break;
      default:
    }
  }
  const running = [...open.values()].flat().map((attempt) => ({ ...attempt, endMs: 0, outcome: 'running' as const, message: '' }));
  const attempts = assignSlots([...ended, ...running], slotsOf).sort((a, b) => a.startMs - b.startMs || a.partition - b.partition);
  const lanes = [...new Map(attempts.map((a) => [`${a.nodeId}\u0000${a.slot}`, { nodeId: a.nodeId, slot: a.slot }])).values()].sort(
    (a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : a.slot - b.slot),
  );
  const startMs = attempts.length > 0 ? attempts[0].startMs : 0;
  const lastEnd = attempts.reduce((latest, a) => Math.max(latest, a.endMs), 0);
  const endMs = attempts.length === 0 ? 0 : running.length > 0 ? nowMs : Math.max(lastEnd, endedAt);
  return { jobId, lanes, attempts, startMs, endMs, partitionsReused: reused, partitionsRecovered: recovered };
}
