import type { JobEvent__Output } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress__Output } from '../../shared/generated/quantgrid/v1/JobProgress.js';
import { eventTypeName, formatEta, formatProgress } from './format.js';

/**
 * Events as one-line text, for watching without a terminal. Meaningful events (state changes,
 * retries, straggler backups, the end) are always shown; progress-only events (PROGRESS,
 * PARTITION_STARTED/FINISHED of attempts that are no backup) are folded into a periodic progress line.
 */

const PROGRESS_ONLY = new Set([
  'JOB_EVENT_TYPE_PROGRESS',
  'JOB_EVENT_TYPE_PARTITION_STARTED',
  'JOB_EVENT_TYPE_PARTITION_FINISHED',
]);

/** True for events that only move the progress along (a backup's start or win is news). */
export function isProgressOnly(event: Pick<JobEvent__Output, 'type'> & { backup?: boolean }): boolean {
  return PROGRESS_ONLY.has(event.type) && event.backup !== true;
}

/** Running nodes, at most `max` by name: 'a, b, c +2'. */
export function formatNodes(nodes: readonly string[], max = 3): string {
  if (nodes.length === 0) return 'no nodes';
  const shown = nodes.slice(0, max).join(', ');
  return nodes.length > max ? `${shown} +${nodes.length - max}` : shown;
}

/** 'progress 12/40 (30%), 4 running on a, b, retries 1, eta 12.0s'. */
export function describeProgress(progress: JobProgress__Output | null | undefined): string {
  if (!progress || progress.partitionsTotal <= 0) return 'progress: not planned yet';
  const running = progress.partitionsRunning > 0 ? `, ${progress.partitionsRunning} running on ${formatNodes(progress.runningNodes)}` : '';
  const eta = progress.partitionsDone < progress.partitionsTotal ? `, eta ${formatEta(progress.etaSeconds)}` : '';
  return `progress ${formatProgress(progress)}${running}, retries ${progress.retries}${backupsText(progress)}${reusedText(progress)}${eta}`;
}

/** ', backups 2 (1 won)' when stragglers got backup copies (nothing otherwise). */
export function backupsText(progress: Pick<JobProgress__Output, 'backups' | 'backupsWon'>): string {
  return progress.backups > 0 ? `, backups ${progress.backups} (${progress.backupsWon ?? 0} won)` : '';
}

/** ', 3 reused from cache, 5 recovered' when any were (nothing otherwise). */
export function reusedText(progress: JobProgress__Output): string {
  const reused = progress.partitionsReused > 0 ? `, ${progress.partitionsReused} reused from cache` : '';
  const recovered = progress.partitionsRecovered > 0 ? `, ${progress.partitionsRecovered} recovered after a coordinator change` : '';
  return reused + recovered;
}

/**
 * Incremental re-runs: '9800 units continued from checkpoints, 200 from their first bar (3 given a
 * checkpoint that did not match), 240000 bars simulated (24 per unit)', or '' when the job counted
 * no units (a kind or dataset without checkpoints, or nothing computed).
 */
export function unitsText(progress: JobProgress__Output): string {
  const { unitsContinued, unitsRejected, unitsFull, barsSimulated } = progress;
  const units = unitsContinued + unitsFull;
  if (units === 0) return '';
  const rejected = unitsRejected > 0 ? ` (${unitsRejected} given a checkpoint that did not match)` : '';
  const perUnit = barsSimulated / units;
  const each = Number.isInteger(perUnit) ? String(perUnit) : perUnit.toFixed(1);
  return `${unitsContinued} units continued from checkpoints, ${unitsFull} from their first bar${rejected}, ${barsSimulated} bars simulated (${each} per unit)`;
}

function partitionLabel(event: JobEvent__Output): string {
  return event.partition >= 0 ? `partition ${event.partition}` : 'a partition';
}

/** One event as text (without a timestamp). */
export function describeEvent(event: JobEvent__Output): string {
  const reason = event.message ? `: ${event.message}` : '';
  switch (event.type) {
    case 'JOB_EVENT_TYPE_QUEUED':
      return 'queued';
    case 'JOB_EVENT_TYPE_WAITING_FOR_NODES':
      return `waiting for nodes${reason}`;
    case 'JOB_EVENT_TYPE_STARTED':
      return event.progress && event.progress.partitionsTotal > 0
        ? `started: ${event.progress.partitionsTotal} partitions`
        : 'started';
    case 'JOB_EVENT_TYPE_PARTITION_STARTED':
      return event.backup
        ? `${partitionLabel(event)} is a straggler: backup copy started on ${event.nodeId || 'a node'} (attempt ${event.attempt}; the first result wins)`
        : `${partitionLabel(event)} started on ${event.nodeId || 'a node'} (attempt ${event.attempt})`;
    case 'JOB_EVENT_TYPE_PARTITION_FINISHED':
      return `${partitionLabel(event)} finished on ${event.nodeId || 'a node'}${event.backup ? ' (its backup copy won)' : ''}`;
    case 'JOB_EVENT_TYPE_PARTITION_COPY_STOPPED':
      return `${partitionLabel(event)}: ${event.backup ? 'backup ' : ''}copy on ${event.nodeId || 'a node'} (attempt ${event.attempt}) stopped${reason}`;
    case 'JOB_EVENT_TYPE_PARTITION_RETRIED':
      // node_id is the node the attempt failed on; attempt counts the attempts made so far.
      return `${partitionLabel(event)} failed on ${event.nodeId || 'an unknown node'} (attempt ${event.attempt})${reason || ': no cause given'}; retrying`;
    case 'JOB_EVENT_TYPE_PROGRESS':
      return describeProgress(event.progress);
    case 'JOB_EVENT_TYPE_COMPLETED':
      return `completed${event.progress && event.progress.partitionsTotal > 0 ? `: ${event.progress.partitionsDone}/${event.progress.partitionsTotal} partitions, retries ${event.progress.retries}${backupsText(event.progress)}${reusedText(event.progress)}${unitsText(event.progress) ? `; ${unitsText(event.progress)}` : ''}` : ''}`;
    case 'JOB_EVENT_TYPE_FAILED':
      return `failed${reason}`;
    case 'JOB_EVENT_TYPE_CANCELLED':
      return `cancelled${reason}`;
    default:
      return `${eventTypeName(event.type) || 'event'}${reason}`;
  }
}

/** 'HH:MM:SS' (local time) of an event, or of now when the event has no time. */
export function clockTime(ms: number): string {
  const date = new Date(ms > 0 ? ms : Date.now());
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
