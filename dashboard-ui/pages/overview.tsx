/** The overview: nodes by state, slots busy/total, today's jobs, partitions per second, the latest jobs; live. */
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { API, NODE_STATES, type JobsResponse, type OverviewResponse } from '../../shared/dashboard/api-types.js';
import { withQuery } from '../api/http.js';
import { useLive } from '../api/live.js';
import { useApi, useThrottled } from '../api/use-api.js';
import { ErrorNote, Loading, Stat } from '../components/common.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { JobTable } from '../components/job-table.js';
import { formatNumber, formatTime } from '../format.js';
import { Link } from '../router.js';

const LATEST = 10;
/** Live snapshots kept for the activity chart (one every STREAM_SNAPSHOT_MS: 10 minutes). */
const ACTIVITY_POINTS = 300;

interface Activity {
  atMs: number[];
  partitionsPerSecond: number[];
  busySlots: number[];
}

/** Partitions per second and busy slots since the page opened, from the live snapshots. */
function ActivityChart(props: { activity: Activity }): JSX.Element | null {
  const { atMs, partitionsPerSecond, busySlots } = props.activity;
  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'partitions / s', values: partitionsPerSecond, color: '#2f6fb0', fill: 'rgba(47,111,176,0.10)' },
      { label: 'busy slots', values: busySlots, color: '#e0a030', scale: 'y2' },
    ],
    [props.activity],
  );
  if (atMs.length < 2) return <p class="muted small">The activity chart fills in as live updates arrive.</p>;
  return <LineChart name="activity" x={atMs} series={series} time height={180} yLabel="partitions / s" y2Label="busy slots" />;
}

export function OverviewPage(): JSX.Element {
  const overview = useApi<OverviewResponse>(API.overview);
  const latest = useApi<JobsResponse>(withQuery(API.jobs, { limit: LATEST }));
  const [activity, setActivity] = useState<Activity>({ atMs: [], partitionsPerSecond: [], busySlots: [] });
  useLive('overview', (data) => {
    overview.set(() => data);
    setActivity((current) => ({
      atMs: [...current.atMs, data.atMs].slice(-ACTIVITY_POINTS),
      partitionsPerSecond: [...current.partitionsPerSecond, data.partitionsPerSecond].slice(-ACTIVITY_POINTS),
      busySlots: [...current.busySlots, data.slots.busy].slice(-ACTIVITY_POINTS),
    }));
  });
  const reloadLatest = useThrottled(latest.reload, 1000);
  // A listed job's row takes the summary the event carries; only a job not listed (a new one) needs the list again.
  useLive('job', (summary) => {
    if (!latest.data?.jobs.some((job) => job.id === summary.id)) return reloadLatest();
    latest.set((current) => current && { ...current, jobs: current.jobs.map((job) => (job.id === summary.id ? summary : job)) });
  });

  const data = overview.data;
  return (
    <section class="page-overview">
      <h1>Overview</h1>
      <ErrorNote error={overview.error} />
      {!data ? (
        <Loading />
      ) : (
        <>
          <div class="stats">
            <Stat name="nodes" label="nodes" value={data.nodes.total} />
            <Stat name="ready" label="ready" value={data.nodes.byState.ready ?? 0} tone="good" />
            <Stat name="slots" label="slots busy / total" value={`${data.slots.busy} / ${data.slots.total}`} />
            <Stat name="running" label="jobs running" value={data.jobs.running} />
            <Stat name="queued" label="queued" value={data.jobs.queued + data.jobs.waitingForNodes} />
            <Stat name="completed-today" label="completed today" value={data.jobs.completedToday} tone="good" />
            <Stat name="failed-today" label="failed today" value={data.jobs.failedToday} tone={data.jobs.failedToday ? 'bad' : undefined} />
            <Stat name="partitions-per-second" label="partitions / s" value={formatNumber(data.partitionsPerSecond, 1)} />
          </div>
          <p class="muted states">
            {NODE_STATES.filter((state) => (data.nodes.byState[state] ?? 0) > 0).map((state) => (
              <span key={state} class={`state state-${state}`}>
                {state} {data.nodes.byState[state]}
              </span>
            ))}
            <span> · as of {formatTime(data.atMs)}</span>
          </p>
          <h2>Activity</h2>
          <ActivityChart activity={activity} />
        </>
      )}
      <h2>
        Latest jobs <Link href="/jobs">all jobs →</Link>
      </h2>
      <ErrorNote error={latest.error} />
      {latest.data ? <JobTable jobs={latest.data.jobs} /> : <Loading />}
    </section>
  );
}
