/**
 * The dashboard API's query parameters and bodies, parsed and checked (pure): bad input is a
 * ValidationError naming the parameter, answered 400.
 */
import { LIST_JOBS_MAX } from '../../shared/api-limits.js';
import { DEFAULT_CLOSE_POINTS, DEFAULT_JOBS_PAGE, MAX_CLOSE_POINTS, MAX_EVENTS_PAGE, type JobStatus } from '../../shared/dashboard/api-types.js';
import { ValidationError } from '../../shared/errors.js';
import { JOB_STATUS_NAMES, jobStatusOfName } from '../../shared/job-status.js';
import { quoteInput } from '../../shared/quote-input.js';
import { EVENT_ID_PATTERN } from '../jobs/job-event-log.js';

/** An integer parameter from min to max; absent or empty: the fallback. */
export function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = query.get(name);
  if (text === null || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ValidationError(name, `${quoteInput(text)} is not an integer from ${min} to ${max}`);
  return value;
}

/** A text parameter, trimmed; absent or empty: undefined. */
function textParam(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name)?.trim();
  if (text && text.length > 200) throw new ValidationError(name, 'is longer than 200 characters');
  return text || undefined;
}

/** A boolean parameter: true/1 or false/0; absent: false. */
export function flagParam(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  throw new ValidationError(name, `${quoteInput(text)} is not true or false`);
}

export interface JobFilter {
  status?: JobStatus;
  owner?: string;
  kind?: string;
  /** Lower-case: matches a part of the name. */
  name?: string;
  schedule?: string;
  page: number;
  limit: number;
}

/** GET /api/jobs's query (JobsQuery). */
export function parseJobsQuery(query: URLSearchParams): JobFilter {
  const statusText = textParam(query, 'status');
  const status = statusText === undefined ? undefined : jobStatusOfName(statusText);
  if (statusText !== undefined && status === undefined) throw new ValidationError('status', `${quoteInput(statusText)} is not one of ${Object.keys(JOB_STATUS_NAMES).join(', ')}`);
  return {
    status: status as JobStatus | undefined,
    owner: textParam(query, 'owner'),
    kind: textParam(query, 'kind'),
    name: textParam(query, 'name')?.toLowerCase(),
    schedule: textParam(query, 'schedule'),
    page: intParam(query, 'page', 1, 1_000_000, 1),
    limit: intParam(query, 'limit', 1, LIST_JOBS_MAX, DEFAULT_JOBS_PAGE),
  };
}

export function matchesJobFilter(job: { status: string; owner?: string; kind?: string; name?: string; schedule?: string }, filter: JobFilter): boolean {
  return (
    (filter.status === undefined || job.status === filter.status) &&
    (filter.owner === undefined || job.owner === filter.owner) &&
    (filter.kind === undefined || job.kind === filter.kind) &&
    (filter.schedule === undefined || job.schedule === filter.schedule) &&
    (filter.name === undefined || (job.name ?? '').toLowerCase().includes(filter.name))
  );
}

/** One page of the matching items (page counted from 1), with the counts JobsResponse reports. */
export function pageOf<T>(items: readonly T[], page: number, limit: number): { items: T[]; total: number; page: number; limit: number; pages: number } {
  const total = items.length;
  return { items: items.slice((page - 1) * limit, page * limit), total, page, limit, pages: Math.max(1, Math.ceil(total / limit)) };
}

/** ?after=<stream id>&limit=N of the events and logs pages. */
export function parseAfterQuery(query: URLSearchParams): { after: string; limit: number } {
  const after = query.get('after')?.trim() || '0';
  if (after !== '0' && !EVENT_ID_PATTERN.test(after)) throw new ValidationError('after', `${quoteInput(after)} is not an id of this job's events or lines`);
  return { after, limit: intParam(query, 'limit', 1, MAX_EVENTS_PAGE, MAX_EVENTS_PAGE) };
}

/** ?points=N of a dataset's closes. */
export function parsePointsQuery(query: URLSearchParams): number {
  return intParam(query, 'points', 2, MAX_CLOSE_POINTS, DEFAULT_CLOSE_POINTS);
}
