import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import { formatDuration, formatProgress, jobDurationMs, NONE, statusName } from './format.js';
import { renderTable } from './table.js';

// Its own file: `quantgrid jobs` then loads no task kind (job-tables.ts renders results by kind).

/** The `quantgrid jobs` table: id, kind, status, progress, age, duration (and name when any job has one). */
export function renderJobsTable(jobs: readonly Job__Output[], nowMs: number): string {
  if (jobs.length === 0) return 'no jobs';
  const withNames = jobs.some((job) => job.name);
  const head = ['id', ...(withNames ? ['name'] : []), 'kind', 'owner', 'status', 'progress', 'age', 'duration'];
  const rows = jobs.map((job) => [
    job.id,
    ...(withNames ? [job.name || NONE] : []),
    job.kind || NONE,
    job.owner || NONE,
    statusName(job.status),
    formatProgress(job.progress),
    job.createdAtMs > 0 ? formatDuration(nowMs - job.createdAtMs) : NONE,
    formatDuration(jobDurationMs(job, nowMs)),
  ]);
  const right = withNames ? [6, 7, 8] : [5, 6, 7];
  return renderTable(
    head,
    rows,
    head.map((_, i) => (right.includes(i) ? 'right' : 'left')),
  );
}
