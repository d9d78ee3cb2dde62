/**
 * Jobs: filtered by status, owner, kind, name and schedule, newest first, a page at a time. The filters
 * live in the address (/jobs?status=running&page=2), so a filtered list can be shared or reloaded.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API, DEFAULT_JOBS_PAGE, type JobsQuery, type JobsResponse } from '../../shared/dashboard/api-types.js';
import { LIST_JOBS_MAX } from '../../shared/api-limits.js';
import { JOB_STATUS_NAMES } from '../../shared/job-status.js';
import { withQuery } from '../api/http.js';
import { useLive } from '../api/live.js';
import { useApi, useThrottled } from '../api/use-api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { JobTable } from '../components/job-table.js';
import { Pagination } from '../components/pagination.js';
import { navigate, useLocation } from '../router.js';

const TEXT_FILTERS = ['name', 'owner', 'kind', 'schedule'] as const;
type TextFilter = (typeof TEXT_FILTERS)[number];
/** The short names, once each (waiting and waiting-for-nodes select the same status). */
const STATUS_CHOICES = Object.keys(JOB_STATUS_NAMES).filter((name) => name !== 'waiting');
/** Page sizes offered; the API's largest page is LIST_JOBS_MAX. */
const PAGE_SIZES = [DEFAULT_JOBS_PAGE, 200, LIST_JOBS_MAX];

function queryOf(params: URLSearchParams): JobsQuery {
  const query: JobsQuery = {};
  const status = params.get('status');
  if (status && Object.hasOwn(JOB_STATUS_NAMES, status)) query.status = status as JobsQuery['status'];
  for (const key of TEXT_FILTERS) {
    const value = params.get(key);
    if (value) query[key] = value;
  }
  const page = Number(params.get('page'));
  if (Number.isInteger(page) && page > 1) query.page = page;
  const limit = Number(params.get('limit'));
  if (PAGE_SIZES.includes(limit) && limit !== DEFAULT_JOBS_PAGE) query.limit = limit;
  return query;
}

function pathOf(query: JobsQuery): string {
  return withQuery('/jobs', { ...query });
}

export function JobsPage(): JSX.Element {
  const location = useLocation();
  const query = queryOf(location.query);
  const jobs = useApi<JobsResponse>(withQuery(API.jobs, { ...query, limit: query.limit ?? DEFAULT_JOBS_PAGE }));
  const reload = useThrottled(jobs.reload, 1000);
  // A listed job's row takes the summary the event carries; a job not listed (new, or just matching the
  // filters) or a status filter (the job may leave it) needs the list again.
  useLive('job', (summary) => {
    if (query.status || !jobs.data?.jobs.some((job) => job.id === summary.id)) return reload();
    jobs.set((current) => current && { ...current, jobs: current.jobs.map((job) => (job.id === summary.id ? summary : job)) });
  });

  const [draft, setDraft] = useState<Record<TextFilter, string>>({ name: '', owner: '', kind: '', schedule: '' });
  useEffect(() => {
    setDraft({ name: query.name ?? '', owner: query.owner ?? '', kind: query.kind ?? '', schedule: query.schedule ?? '' });
  }, [location.query.toString()]);

  const apply = (change: Partial<JobsQuery>): void => navigate(pathOf({ ...query, page: undefined, ...change }));
  const onSubmit = (event: Event): void => {
    event.preventDefault();
    apply(Object.fromEntries(TEXT_FILTERS.map((key) => [key, draft[key].trim() || undefined])));
  };

  return (
    <section class="page-jobs">
      <h1>Jobs</h1>
      <form class="filters" onSubmit={onSubmit} role="search">
        <label>
          status
          <select name="status" value={query.status ?? ''} onChange={(event) => apply({ status: ((event.target as HTMLSelectElement).value || undefined) as JobsQuery['status'] })}>
            <option value="">any</option>
            {STATUS_CHOICES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {TEXT_FILTERS.map((key) => (
          <label key={key}>
            {key}
            <input name={key} type="search" value={draft[key]} onInput={(event) => setDraft({ ...draft, [key]: (event.target as HTMLInputElement).value })} placeholder={key === 'name' ? 'part of the name' : ''} />
          </label>
        ))}
        <label>
          per page
          <select name="limit" value={String(query.limit ?? DEFAULT_JOBS_PAGE)} onChange={(event) => apply({ limit: Number((event.target as HTMLSelectElement).value) === DEFAULT_JOBS_PAGE ? undefined : Number((event.target as HTMLSelectElement).value) })}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
        <button type="button" class="link" onClick={() => navigate('/jobs')}>
          clear
        </button>
      </form>
      <ErrorNote error={jobs.error} />
      {!jobs.data ? (
        <Loading />
      ) : (
        <>
          <JobTable jobs={jobs.data.jobs} empty="No job matches these filters." />
          <Pagination page={jobs.data.page} pages={jobs.data.pages} total={jobs.data.total} onPage={(page) => navigate(pathOf({ ...query, page }))} />
        </>
      )}
    </section>
  );
}
