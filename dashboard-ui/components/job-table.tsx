/** A list of jobs (the jobs page, the overview's latest, a schedule's runs): id, name, status, progress, times. */
import type { JSX } from 'preact';
import type { JobSummary } from '../../shared/dashboard/api-types.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { formatDuration, formatTime } from '../format.js';
import { Link } from '../router.js';
import { ProgressBar } from './common.js';
import { StatusBadge } from './status-badge.js';

function runTime(job: JobSummary, now: number): number | undefined {
  if (!job.startedAtMs) return undefined;
  return (job.finishedAtMs || now) - job.startedAtMs;
}

export function JobTable(props: { jobs: readonly JobSummary[]; showSchedule?: boolean; empty?: string }): JSX.Element {
  const now = Date.now();
  if (props.jobs.length === 0) return <p class="muted">{props.empty ?? 'No jobs.'}</p>;
  return (
    <div class="table-scroll">
      <table class="data jobs" data-table="jobs">
        <thead>
          <tr>
            <th>job</th>
            <th>name</th>
            <th>kind</th>
            <th>owner</th>
            {props.showSchedule === false ? null : <th>schedule</th>}
            <th>status</th>
            <th>progress</th>
            <th>submitted</th>
            <th class="num">run time</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((job) => (
            <tr key={job.id} data-job={job.id} data-status={job.status}>
              <td>
                <Link href={`/jobs/${encodeURIComponent(job.id)}`} class="mono">
                  {job.id}
                </Link>
              </td>
              <td>{job.name || <span class="muted">–</span>}</td>
              <td>{job.kind}</td>
              <td>{job.owner}</td>
              {props.showSchedule === false ? null : <td>{job.schedule || <span class="muted">–</span>}</td>}
              <td>
                <StatusBadge status={job.status} />
              </td>
              <td class="progress-cell">
                <ProgressBar done={job.progress.partitionsDone} total={job.progress.partitionsTotal} running={isTerminalStatus(job.status) ? 0 : job.progress.partitionsRunning} />
              </td>
              <td>{formatTime(job.createdAtMs)}</td>
              <td class="num">{formatDuration(runTime(job, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
