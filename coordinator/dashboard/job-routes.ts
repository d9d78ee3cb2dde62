/** The dashboard's job routes: listing, a job, its timeline, events, log, result; cancel and re-run as the gRPC API does them. */
import {
  type JobDetail,
  type JobEventsResponse,
  type JobLogResponse,
  type JobResultResponse,
  type JobsResponse,
  type RerunResponse,
  type TimelineResponse,
} from '../../shared/dashboard/api-types.js';
import { roleAllows } from '../../shared/auth/roles.js';
import { FailedPrecondition, NotFound } from '../../shared/errors.js';
import { drawdownCurve } from '../../shared/tasks/backtest/equity-curve.js';
import type { BacktestResult } from '../../shared/tasks/backtest/merge.js';
import { backtestCsv } from '../../shared/tasks/backtest/result-csv.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { cancelJob, submitValidated, type JobActionDeps } from '../api/job-actions.js';
import { JOB_STORE } from '../api/dependency-failure.js';
import { isOwnerOrAdmin, type Principal } from '../auth/principal.js';
import { requiredRole } from '../auth/rpc-roles.js';
import type { JobView } from '../api/job-views.js';
import type { LoggedEvent } from '../jobs/job-event-log.js';
import { JobEventLog } from '../jobs/job-event-log.js';
import { toJobEventView, toJobSummary } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { NO_BODY, type Route } from './http-router.js';
import { deriveTimeline } from './job-timeline.js';
import type { Snapshots } from './snapshots.js';
import { matchesJobFilter, pageOf, parseAfterQuery, parseJobsQuery } from './request-query.js';

/** Events read per round trip while deriving a timeline. */
const TIMELINE_PAGE = 5000;

function mayAct(principal: Principal, owner: string, rpc: string): boolean {
  return roleAllows(principal.role, requiredRole(rpc)) && isOwnerOrAdmin(principal, owner);
}

export function jobDetail(job: JobView, principal: Principal): JobDetail {
  return {
    ...toJobSummary(job),
    spec: job.spec ?? null,
    canCancel: !isTerminalStatus(job.status) && mayAct(principal, job.owner ?? '', 'CancelJob'),
    canRerun: roleAllows(principal.role, requiredRole('SubmitJob')),
  };
}

/** Every event of the job's log, in order (at most JobEventLog.MAX_EVENTS are kept). */
export async function allEvents(hub: JobEventLog, jobId: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let cursor = '0';
  for (;;) {
    const page = await hub.read(jobId, cursor, TIMELINE_PAGE);
    events.push(...page);
    if (page.length < TIMELINE_PAGE) return events;
    cursor = page[page.length - 1].id;
  }
}

export function jobRoutes(deps: DashboardDeps, snapshots: Pick<Snapshots, 'jobs'>): Route[] {
  const { store, runner, jobs } = deps;
  const actions: JobActionDeps = { store, runner, jobs, audit: deps.audit, quota: deps.quota, log: deps.log };
  const dependency = JOB_STORE;
  return [
    {
      method: 'GET',
      pattern: '/api/jobs',
      access: { rpc: 'ListJobs' },
      dependency,
      async handle({ url }): Promise<JobsResponse> {
        const filter = parseJobsQuery(url.searchParams);
        const views = await snapshots.jobs();
        const page = pageOf(views.filter((job) => matchesJobFilter(job, filter)), filter.page, filter.limit);
        return { jobs: page.items.map((job) => toJobSummary(job, job.resultBytes)), total: page.total, page: page.page, limit: page.limit, pages: page.pages };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id',
      access: { rpc: 'GetJob' },
      dependency,
      handle: async ({ params, principal }): Promise<JobDetail> => jobDetail(await jobs.get(params.id), principal),
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/timeline',
      access: { rpc: 'WatchJob' },
      dependency,
      async handle({ params }): Promise<TimelineResponse> {
        await jobs.mustExist(params.id);
        const events = await allEvents(runner.hub, params.id);
        return deriveTimeline(params.id, events.map(({ event }) => ({ ...event, type: String(event.type), timeMs: Number(event.timeMs ?? 0), partition: event.partition ?? -1, attempt: Number(event.attempt ?? 0) })), Date.now(), (nodeId) => deps.table.get(nodeId)?.slots);
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/events',
      access: { rpc: 'WatchJob' },
      dependency,
      async handle({ params, url }): Promise<JobEventsResponse> {
        const { after, limit } = parseAfterQuery(url.searchParams);
        await jobs.mustExist(params.id);
        const events = await runner.hub.read(params.id, after, limit);
        return { events: events.map(({ id, event }) => toJobEventView(event, id)), next: events.at(-1)?.id ?? after, more: events.length === limit };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/logs',
      access: { rpc: 'GetJobLog' },
      dependency,
      async handle({ params, url }): Promise<JobLogResponse> {
        const { after, limit } = parseAfterQuery(url.searchParams);
        await jobs.mustExist(params.id);
        const lines = await runner.jobLog.read(params.id, after, limit);
        return { lines, next: lines.at(-1)?.id ?? after, more: lines.length === limit } as JobLogResponse;
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/result',
      access: { rpc: 'GetJobResult' },
      dependency,
      async handle({ params }): Promise<JobResultResponse> {
        const { job, resultJson: text } = await jobs.getWithResult(params.id);
        if (!text) throw new NotFound('result of job', params.id);
        const result = JSON.parse(text) as JobResultResponse['result'];
        const curves = (result as BacktestResult).equityCurves;
        return { jobId: params.id, kind: job.kind ?? '', bytes: Buffer.byteLength(text, 'utf8'), result, ...(curves ? { drawdowns: curves.map((curve) => drawdownCurve(curve.equity)) } : {}) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/result.csv',
      access: { rpc: 'GetJobResult' },
      dependency,
      async handle({ params, response }) {
        const { job, resultJson: text } = await jobs.getWithResult(params.id);
        if (job.kind !== 'backtest') throw new FailedPrecondition(`job ${params.id} is a ${job.kind || 'job of no known kind'}; only backtest results have a table`);
        if (!text) throw new NotFound('result of job', params.id);
        const file = `quantgrid-${params.id.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`;
        response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file}"`, 'cache-control': 'no-store' }).end(backtestCsv(JSON.parse(text) as BacktestResult));
        return NO_BODY;
      },
    },
    {
      method: 'POST',
      pattern: '/api/jobs/:id/cancel',
      access: { rpc: 'CancelJob' },
      dependency,
      handle: async ({ params, principal }): Promise<JobDetail> => jobDetail(await cancelJob(actions, principal, params.id), principal),
    },
    {
      method: 'POST',
      pattern: '/api/jobs/:id/rerun',
      access: { rpc: 'SubmitJob' },
      dependency,
      async handle({ params, principal }): Promise<RerunResponse> {
        const original = await store.get(params.id);
        if (!original) throw new NotFound('job', params.id);
        // The spec as it was validated and resolved at submit; a new job of the caller's.
        const { requestId: _request, schedule: _schedule, ...data } = original.data;
        const submittedAt = Date.now();
        const deadlineAt = data.deadlineAt ? submittedAt + (data.deadlineAt - data.submittedAt) : 0;
        const { jobId } = await submitValidated(actions, principal, { ...data, owner: principal.user, submittedAt, deadlineAt }, `re-run of ${params.id}`);
        return { jobId, job: toJobSummary(await jobs.get(jobId)) };
      },
    },
  ];
}
