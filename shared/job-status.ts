import type { JobEvent__Output } from './generated/quantgrid/v1/JobEvent.js';
import type { JobStatus__Output } from './generated/quantgrid/v1/JobStatus.js';

/** How a job ends, as its status and as the event that ends its event stream. */

/** Every JobStatus of the proto, by name. */
export const JOB_STATUSES: readonly JobStatus__Output[] = [
  'JOB_STATUS_UNSPECIFIED',
  'JOB_STATUS_QUEUED',
  'JOB_STATUS_WAITING_FOR_NODES',
  'JOB_STATUS_RUNNING',
  'JOB_STATUS_COMPLETED',
  'JOB_STATUS_FAILED',
  'JOB_STATUS_CANCELLED',
];

const TERMINAL_STATUSES = new Set(['JOB_STATUS_COMPLETED', 'JOB_STATUS_FAILED', 'JOB_STATUS_CANCELLED']);

const TERMINAL_EVENT_STATUS: Readonly<Record<string, string>> = {
  JOB_EVENT_TYPE_COMPLETED: 'JOB_STATUS_COMPLETED',
  JOB_EVENT_TYPE_FAILED: 'JOB_STATUS_FAILED',
  JOB_EVENT_TYPE_CANCELLED: 'JOB_STATUS_CANCELLED',
};

/** COMPLETED, FAILED and CANCELLED: the job will not change any more. */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** The job status a terminal event ends the job with, or undefined for other events. */
export function terminalStatusOf(event: Pick<JobEvent__Output, 'type'>): string | undefined {
  return TERMINAL_EVENT_STATUS[event.type];
}

/** The short names of job statuses users type (`quantgrid jobs --status`, the dashboard's `status` filter), with the status each selects. */
export const JOB_STATUS_NAMES = {
  queued: 'JOB_STATUS_QUEUED',
  waiting: 'JOB_STATUS_WAITING_FOR_NODES',
  'waiting-for-nodes': 'JOB_STATUS_WAITING_FOR_NODES',
  running: 'JOB_STATUS_RUNNING',
  completed: 'JOB_STATUS_COMPLETED',
  failed: 'JOB_STATUS_FAILED',
  cancelled: 'JOB_STATUS_CANCELLED',
} as const satisfies Readonly<Record<string, JobStatus__Output>>;

export type JobStatusFilter = keyof typeof JOB_STATUS_NAMES;

/** The status a short name selects (case and _/- insensitive), or undefined. */
export function jobStatusOfName(text: string): JobStatus__Output | undefined {
  const key = text.trim().toLowerCase().replace(/_/g, '-');
  return Object.hasOwn(JOB_STATUS_NAMES, key) ? JOB_STATUS_NAMES[key as JobStatusFilter] : undefined;
}
