/**
 * One job: live progress, the partition timeline, its result (once completed), the event log, its logs
 * and its spec; cancel and re-run for those allowed to. Follows the job's event stream while it runs.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  jobCancelPath,
  jobEventsPath,
  jobLogsPath,
  jobPath,
  jobRerunPath,
  jobTimelinePath,
  MAX_EVENTS_PAGE,
  type JobDetail,
  type JobEventView,
  type JobEventsResponse,
  type JobLogResponse,
  type RerunResponse,
  type TimelineResponse,
} from '../../shared/dashboard/api-types.js';
import { mergeEvents } from '../../shared/dashboard/event-merge.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { apiPost, withQuery } from '../api/http.js';
import { useJobStream } from '../api/live.js';
import { useApi, useThrottled } from '../api/use-api.js';
import { ErrorNote, Loading, ProgressBar, Stat } from '../components/common.js';
import { PartitionTimeline } from '../components/partition-timeline.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatDuration, formatTime } from '../format.js';
import { JobResult } from '../results/job-result.js';
import { Link, navigate } from '../router.js';

function eventName(type: string): string {
  return type.replace(/^JOB_EVENT_TYPE_/, '').toLowerCase().replace(/_/g, '-');
}

function EventLog(props: { events: readonly JobEventView[] }): JSX.Element {
  if (props.events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <div class="log-box">
      <table class="data compact" data-table="events">
        <tbody>
          {props.events.map((event, index) => (
            <tr key={event.eventId || `snapshot-${index}`} data-event={eventName(event.type)} data-event-id={event.eventId}>
              <td class="mono small">{formatTime(event.timeMs)}</td>
              <td>
                <span class={`event event-${eventName(event.type)}`}>{eventName(event.type)}</span>
                {event.failover ? <span class="event event-failover">failover</span> : null}
                {event.backup ? <span class="event event-backup">backup</span> : null}
              </td>
              <td class="small">{event.partition >= 0 ? `partition ${event.partition}${event.attempt ? `, attempt ${event.attempt}` : ''}` : ''}</td>
              <td class="small mono">{event.nodeId}</td>
              <td class="small">{event.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The events the job's stream brought, merged by event id (event-merge.ts) a batch at a time (what
 * arrived before a zero-delay timer fired): a stream sending thousands of events at once costs a few
 * merges, not one search of the log per event.
 * Those arriving before the first page of events are kept too.
 */
function useStreamedEvents(): { events: readonly JobEventView[]; add: (event: JobEventView) => void } {
  const [events, setEvents] = useState<readonly JobEventView[]>([]);
  const pending = useRef<JobEventView[]>([]);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const add = (event: JobEventView): void => {
    pending.current.push(event);
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      const batch = pending.current;
      pending.current = [];
      setEvents((current) => mergeEvents(current, batch));
    }, 0);
  };
  return { events, add };
}

function LogLines(props: { logs: JobLogResponse | undefined }): JSX.Element {
  if (!props.logs) return <Loading />;
  if (props.logs.lines.length === 0) return <p class="muted">Nothing logged.</p>;
  return (
    <div class="log-box" data-section="logs">
      {props.logs.lines.map((line) => (
        <div key={line.id} class={`log-line log-${line.level}`}>
          <span class="mono small">{formatTime(line.timeMs)}</span> <span class={`level level-${line.level}`}>{line.level}</span> <span class="muted small">{line.source}</span>
          {line.partition >= 0 ? <span class="muted small"> p{line.partition}{line.attempt ? `#${line.attempt}` : ''}{line.nodeId ? `@${line.nodeId}` : ''}</span> : null} {line.message}
          {line.detail ? <pre class="stack">{line.detail}</pre> : null}
        </div>
      ))}
      {props.logs.more ? <p class="muted small">More lines than shown: quantgrid logs prints them all.</p> : null}
    </div>
  );
}

function Actions(props: { job: JobDetail; onChanged: () => void }): JSX.Element | null {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const act = async (what: 'cancel' | 'rerun'): Promise<void> => {
    if (what === 'cancel' && !window.confirm(`Cancel job ${props.job.id}?`)) return;
    setBusy(true);
    setError('');
    try {
      if (what === 'cancel') {
        await apiPost<JobDetail>(jobCancelPath(props.job.id));
        props.onChanged();
      } else {
        const { jobId } = await apiPost<RerunResponse>(jobRerunPath(props.job.id));
        navigate(`/jobs/${encodeURIComponent(jobId)}`);
      }
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const cancellable = props.job.canCancel && !isTerminalStatus(props.job.status);
  if (!cancellable && !props.job.canRerun) return null;
  return (
    <div class="actions">
      {cancellable ? (
        <button type="button" class="danger" name="cancel" disabled={busy} onClick={() => void act('cancel')}>
          Cancel job
        </button>
      ) : null}
      {props.job.canRerun ? (
        <button type="button" name="rerun" disabled={busy} onClick={() => void act('rerun')}>
          Re-run
        </button>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

export function JobPage(props: { id: string }): JSX.Element {
  const job = useApi<JobDetail>(jobPath(props.id));
  const timeline = useApi<TimelineResponse>(jobTimelinePath(props.id));
  const events = useApi<JobEventsResponse>(withQuery(jobEventsPath(props.id), { limit: MAX_EVENTS_PAGE }));
  const logs = useApi<JobLogResponse>(withQuery(jobLogsPath(props.id), { limit: MAX_EVENTS_PAGE }));
  const reloadTimeline = useThrottled(timeline.reload, 1000);
  const reloadLogs = useThrottled(logs.reload, 2000);
  const reloadJob = useThrottled(job.reload, 500);
  const streamed = useStreamedEvents();
  const shownEvents = useMemo(() => events.data && mergeEvents(events.data.events, streamed.events), [events.data, streamed.events]);

  const running = job.data !== undefined && !isTerminalStatus(job.data.status);
  useJobStream(running ? props.id : undefined, (name, data) => {
    if (name !== 'job-event') return;
    const event = data as JobEventView;
    job.set((current) => (current ? { ...current, status: event.status, progress: event.progress ?? current.progress } : current));
    if (event.eventId) streamed.add(event);
    reloadTimeline();
    reloadLogs();
    if (isTerminalStatus(event.status)) reloadJob();
  });

  if (job.error) return <ErrorNote error={job.error} />;
  if (!job.data) return <Loading />;
  const detail = job.data;
  const progress = detail.progress;
  const now = Date.now();
  return (
    <section class="page-job" data-job={detail.id} data-status={detail.status}>
      <p class="crumbs">
        <Link href="/jobs">Jobs</Link> / <span class="mono">{detail.id}</span>
      </p>
      <h1>
        {detail.name || detail.kind} <StatusBadge status={detail.status} />
      </h1>
      <p class="muted">
        {detail.kind} · owner {detail.owner}
        {detail.schedule ? ` · schedule ${detail.schedule}` : ''} · submitted {formatTime(detail.createdAtMs)}
        {detail.startedAtMs ? ` · ran ${formatDuration((detail.finishedAtMs || now) - detail.startedAtMs)}` : ''}
      </p>
      {detail.error ? <p class="error">{detail.error}</p> : null}
      <Actions job={detail} onChanged={job.reload} />

      <h2>Progress</h2>
      <ProgressBar done={progress.partitionsDone} total={progress.partitionsTotal} running={running ? progress.partitionsRunning : 0} />
      <div class="stats small-stats">
        <Stat name="done" label="partitions done" value={`${progress.partitionsDone} / ${progress.partitionsTotal}`} />
        <Stat name="running-partitions" label="running" value={running ? progress.partitionsRunning : 0} />
        <Stat name="retries" label="retries" value={progress.retries} tone={progress.retries ? 'warn' : undefined} />
        {progress.backups ? <Stat name="backups" label="straggler backups (won)" value={`${progress.backups} (${progress.backupsWon})`} /> : null}
        {progress.partitionsReused ? <Stat name="reused" label="from cache" value={progress.partitionsReused} /> : null}
        {progress.unitsContinued ? <Stat name="continued" label="units continued" value={progress.unitsContinued} /> : null}
        {running && progress.etaSeconds >= 0 ? <Stat name="eta" label="ETA" value={formatDuration(progress.etaSeconds * 1000)} /> : null}
      </div>
      {progress.runningNodes.length ? <p class="muted small">running on {progress.runningNodes.join(', ')}</p> : null}

      <h2>Partition timeline</h2>
      <ErrorNote error={timeline.error} />
      {timeline.data ? <PartitionTimeline timeline={timeline.data} now={now} /> : <Loading />}

      {detail.status === 'JOB_STATUS_COMPLETED' ? <JobResult key={`${detail.id}.${detail.finishedAtMs}`} jobId={detail.id} /> : null}

      <h2>Events</h2>
      <ErrorNote error={events.error} />
      {shownEvents ? <EventLog events={shownEvents} /> : <Loading />}

      <h2>Log</h2>
      <ErrorNote error={logs.error} />
      <LogLines logs={logs.data} />

      <details class="spec">
        <summary>Spec</summary>
        <pre class="json">{JSON.stringify(detail.spec, null, 2)}</pre>
      </details>
    </section>
  );
}
