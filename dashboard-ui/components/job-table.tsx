/**
 * A list of jobs (the jobs page, the overview's latest, a schedule's runs): id, name, status, progress,
 * times. Beyond WINDOWED_FROM rows only those near the viewport are in the document (use-row-window.ts),
 * at a fixed row height and column widths, so that a page of 1,000 jobs lays out as fast as one of 50.
 */
import type { JSX } from 'preact';
import type { JobSummary } from '../../shared/dashboard/api-types.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { formatDuration, formatTime } from '../format.js';
import { Link } from '../router.js';
import { ProgressBar } from './common.js';
import { StatusBadge } from './status-badge.js';
import { useRowWindow } from './use-row-window.js';

/** Lists longer than this are windowed. */
export const WINDOWED_FROM = 100;

function runTime(job: JobSummary, now: number): number | undefined {
  if (!job.startedAtMs) return undefined;
  return (job.finishedAtMs || now) - job.startedAtMs;
}

/** A spacer standing for the rows above or below the window. */
function Spacer(props: { rows: number; rowPx: number; columns: number }): JSX.Element | null {
  if (props.rows <= 0) return null;
  return (
    <tr class="spacer" aria-hidden="true" style={{ height: `${props.rows * props.rowPx}px` }}>
      <td colSpan={props.columns} />
    </tr>
  );
}

export function JobTable(props: { jobs: readonly JobSummary[]; showSchedule?: boolean; empty?: string }): JSX.Element {
  const now = Date.now();
  const windowed = props.jobs.length > WINDOWED_FROM;
  const rows = useRowWindow(windowed ? props.jobs.length : 0);
  if (props.jobs.length === 0) return <p class="muted">{props.empty ?? 'No jobs.'}</p>;
  const columns = props.showSchedule === false ? 8 : 9;
  const start = windowed ? rows.start : 0;
  const shown = windowed ? props.jobs.slice(rows.start, rows.end) : props.jobs;
  return (
    <div class="table-scroll">
      <table class={windowed ? 'data jobs windowed' : 'data jobs'} data-table="jobs" aria-rowcount={props.jobs.length + 1}>
        <thead>
          <tr>
            <th>job</th>
            <th>name</th>
            <th>kind</th>
            <th>owner</th>
            {props.showSchedule === false ? null : <th>schedule</th>}
            <th class="status-col">status</th>
            <th class="progress-col">progress</th>
            <th class="time-col">submitted</th>
            <th class="num">run time</th>
          </tr>
        </thead>
        <tbody ref={rows.body}>
          {windowed ? <Spacer rows={rows.start} rowPx={rows.rowPx} columns={columns} /> : null}
          {shown.map((job, i) => (
            <tr key={job.id} data-job={job.id} data-status={job.status} data-row={start + i} aria-rowindex={start + i + 2}>
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
          {windowed ? <Spacer rows={props.jobs.length - rows.end} rowPx={rows.rowPx} columns={columns} /> : null}
        </tbody>
      </table>
    </div>
  );
}
