import type { JobSpec__Output } from '../../shared/generated/quantgrid/v1/JobSpec.js';
import type { JobStatus } from '../../shared/generated/quantgrid/v1/JobStatus.js';
import type { JobProgress } from '../../shared/generated/quantgrid/v1/JobProgress.js';
import { NO_WORK, type PartitionWork } from '../../shared/tasks/continuation.js';

/**
 * What a BullMQ job carries: the spec as validated on submit (coordinator/jobs/job-submission.ts).
 * Jobs queued by a version that stored the raw request (no kindSpec) are not migrated: the runner
 * fails them with a message saying to submit them again.
 */
export interface QueuedJobData {
  /** The JobSpec as it runs: the kind's member rebuilt from kindSpec (defaults applied), as GetJob shows it. */
  spec: JobSpec__Output;
  /** The kind's normalised spec (its validate's result, plain JSON): what the runner plans and agents run. */
  kindSpec: unknown;
  /** The kind's name (shared/tasks/registry.ts). */
  kind: string;
  name: string;
  priority: number;
  submittedAt: number;
  /** Epoch ms past which the job fails (0 or absent: no deadline). */
  deadlineAt?: number;
  /** Recompute every partition instead of reusing cached results. */
  noCache?: boolean;
  /** Run every unit from its first bar: no earlier job's checkpoints (and no cached results: noCache is set too). */
  full?: boolean;
  requestId?: string;
  /** The schedule that submitted the job (coordinator/schedule-service.ts). */
  schedule?: string;
  /** The user the job runs as ('' for jobs queued before users existed). */
  owner?: string;
}

/** What a running job publishes as BullMQ progress, so any coordinator can answer GetJob. */
export interface ProgressSnapshot {
  phase: 'waiting-for-nodes' | 'running' | 'merging';
  startedAt: number;
  total: number;
  done: number;
  running: number;
  retries: number;
  runningNodes: string[];
  etaSeconds: number;
  /** Partitions taken from the result cache, and those recorded before a takeover. */
  reused?: number;
  recovered?: number;
  /** Incremental re-runs: what the units computed here simulated, and the dataset whose checkpoints they continued from. */
  work?: PartitionWork;
  continuedFrom?: string;
  /** Backup copies of stragglers started, and those that finished first (absent: none). */
  backups?: number;
  backupsWon?: number;
}

export type JobStatusName = Exclude<JobStatus, number>;

/** Reason recorded on a BullMQ job failed by cancellation. */
export const CANCELLED_REASON = 'cancelled by request';

export type BullState = 'completed' | 'failed' | 'active' | 'delayed' | 'prioritized' | 'waiting' | 'waiting-children' | 'unknown' | string;

export function statusOf(state: BullState, progress: unknown, failedReason: string | undefined, cancelRequested: boolean): JobStatusName {
  switch (state) {
    case 'completed':
      return 'JOB_STATUS_COMPLETED';
    case 'failed':
      return failedReason === CANCELLED_REASON || cancelRequested ? 'JOB_STATUS_CANCELLED' : 'JOB_STATUS_FAILED';
    case 'active':
      return isSnapshot(progress) && progress.phase === 'waiting-for-nodes' ? 'JOB_STATUS_WAITING_FOR_NODES' : 'JOB_STATUS_RUNNING';
    default:
      return cancelRequested ? 'JOB_STATUS_CANCELLED' : 'JOB_STATUS_QUEUED';
  }
}

export function isSnapshot(value: unknown): value is ProgressSnapshot {
  return typeof value === 'object' && value !== null && 'phase' in value && 'total' in value;
}

export function toJobProgress(snapshot: ProgressSnapshot | undefined): JobProgress {
  const work = snapshot?.work ?? NO_WORK;
  const counts = {
    unitsContinued: work.unitsContinued,
    unitsRejected: work.unitsRejected,
    unitsFull: work.unitsFull,
    barsSimulated: work.barsSimulated,
    continuedFrom: snapshot?.continuedFrom ?? '',
    backups: snapshot?.backups ?? 0,
    backupsWon: snapshot?.backupsWon ?? 0,
  };
  if (!snapshot) return { partitionsTotal: 0, partitionsDone: 0, partitionsRunning: 0, retries: 0, runningNodes: [], etaSeconds: -1, partitionsReused: 0, partitionsRecovered: 0, ...counts };
  return {
    partitionsTotal: snapshot.total,
    partitionsDone: snapshot.done,
    partitionsRunning: snapshot.running,
    retries: snapshot.retries,
    runningNodes: snapshot.runningNodes,
    etaSeconds: snapshot.etaSeconds,
    partitionsReused: snapshot.reused ?? 0,
    partitionsRecovered: snapshot.recovered ?? 0,
    ...counts,
  };
}
