/** The overview: nodes by state, slots busy/total, today's jobs, partitions per second, the latest jobs; live. */
import type { JSX } from 'preact';
import { API, NODE_STATES, type JobsResponse, type OverviewResponse } from '../../shared/dashboard/api-types.js';
import { withQuery } from '../api/http.js';
import { useLive } from '../api/live.js';
import { useApi, useThrottled } from '../api/use-api.js';
import { ErrorNote, Loading, Stat } from '../components/common.js';
import { JobTable } from '../components/job-table.js';
import { formatNumber, formatTime } from '../format.js';
import { Link } from '../router.js';

const LATEST = 10;

export function OverviewPage(): JSX.Element {
  const overview = useApi<OverviewResponse>(API.overview);
  const latest = useApi<JobsResponse>(withQuery(API.jobs, { limit: LATEST }));
  useLive('overview', (data) => overview.set(() => data));
  const reloadLatest = useThrottled(latest.reload, 1000);
  useLive('job', reloadLatest);

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
