/** Schedules: cron, next and last runs with their outcomes, recent runs; pause, resume and run now for those allowed to. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { API, scheduleRunPath, schedulePausePath, scheduleResumePath, type RerunResponse, type ScheduleView, type SchedulesResponse } from '../../shared/dashboard/api-types.js';
import { apiPost } from '../api/http.js';
import { useLive } from '../api/live.js';
import { useApi, useThrottled } from '../api/use-api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { JobTable } from '../components/job-table.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatRelative, formatTime } from '../format.js';
import { Link, navigate } from '../router.js';
import { hasRole, useSession } from '../session.js';

function ScheduleCard(props: { schedule: ScheduleView; onChanged: () => void }): JSX.Element {
  const s = props.schedule;
  const session = useSession();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  // The server decides (own schedules for submitters, any for admins); viewers get no buttons.
  const mayAct = hasRole(session, 'admin') || (hasRole(session, 'submitter') && session?.user === s.owner);
  const act = async (path: string, then?: (answer: unknown) => void): Promise<void> => {
    setBusy(true);
    setError('');
    try {
      const answer = await apiPost<unknown>(path);
      if (then) then(answer);
      else props.onChanged();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const last = s.lastRun;
  return (
    <article class="card schedule" data-schedule={s.name} data-paused={String(s.paused)}>
      <header>
        <h2>
          {s.name} {s.paused ? <span class="badge badge-paused">paused</span> : null}
        </h2>
        <span class="mono">
          {s.cron} ({s.tz})
        </span>
      </header>
      <p>
        {s.kind}
        {s.jobName ? ` "${s.jobName}"` : ''} · owner {s.owner} · missed: {s.missed}
        {s.missed === 'skip' ? ` (grace ${s.graceSeconds} s)` : ''}
      </p>
      <p>
        next run: {s.paused ? <span class="muted">paused</span> : s.nextRunMs ? `${formatTime(s.nextRunMs)} (${formatRelative(s.nextRunMs)})` : '–'}
        <br />
        last run:{' '}
        {last ? (
          <>
            {formatTime(last.scheduledAtMs)} {last.manual ? '(run now) ' : ''}
            {last.skipped ? <span class="muted">skipped: {last.reason}</span> : last.jobId ? <Link href={`/jobs/${encodeURIComponent(last.jobId)}`}>{last.jobId}</Link> : null}{' '}
            {last.status !== 'JOB_STATUS_UNSPECIFIED' ? <StatusBadge status={last.status} /> : null}
          </>
        ) : (
          <span class="muted">never</span>
        )}
      </p>
      {mayAct ? (
        <div class="actions">
          {s.paused ? (
            <button type="button" name="resume" disabled={busy} onClick={() => void act(scheduleResumePath(s.name))}>
              Resume
            </button>
          ) : (
            <button type="button" name="pause" disabled={busy} onClick={() => void act(schedulePausePath(s.name))}>
              Pause
            </button>
          )}
          <button type="button" name="run" disabled={busy} onClick={() => void act(scheduleRunPath(s.name), (answer) => navigate(`/jobs/${encodeURIComponent((answer as RerunResponse).jobId)}`))}>
            Run now
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
      <details open={s.recentRuns.length > 0 && s.recentRuns.length <= 5}>
        <summary>recent runs ({s.recentRuns.length})</summary>
        <JobTable jobs={s.recentRuns} showSchedule={false} empty="No run kept." />
      </details>
    </article>
  );
}

export function SchedulesPage(): JSX.Element {
  const schedules = useApi<SchedulesResponse>(API.schedules);
  const reload = useThrottled(schedules.reload, 2000);
  useLive('job', (job) => {
    if (job.schedule) reload();
  });
  return (
    <section class="page-schedules">
      <h1>Schedules</h1>
      <ErrorNote error={schedules.error} />
      {!schedules.data ? (
        <Loading />
      ) : schedules.data.schedules.length === 0 ? (
        <p class="muted">
          No schedules. Add one with <code>quantgrid schedule add</code>.
        </p>
      ) : (
        schedules.data.schedules.map((schedule) => <ScheduleCard key={schedule.name} schedule={schedule} onChanged={schedules.reload} />)
      )}
    </section>
  );
}
