/** The dashboard's schedules: listed with their recent runs; pause, resume and run-now as the gRPC API does them. */
import { SCHEDULE_HISTORY, type RerunResponse, type ScheduleView, type SchedulesResponse } from '../../shared/dashboard/api-types.js';
import type { AuditAction } from '../audit/audit-log.js';
import { SCHEDULE_STORE } from '../api/dependency-failure.js';
import { actOnSchedule } from '../api/schedule-actions.js';
import { toJobSummary, toScheduleView } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';
import type { Route } from './http-router.js';
import type { Snapshots } from './snapshots.js';
import type { JobSummary } from '../../shared/dashboard/api-types.js';
import type { Schedule } from '../../shared/generated/quantgrid/v1/Schedule.js';

export function scheduleRoutes({ schedules, audit }: DashboardDeps, snapshots: Pick<Snapshots, 'jobs'>): Route[] {
  const recentRuns = async (): Promise<Map<string, JobSummary[]>> => {
    const byName = new Map<string, JobSummary[]>();
    for (const job of await snapshots.jobs()) {
      if (!job.schedule) continue;
      const runs = byName.get(job.schedule) ?? [];
      if (runs.length < SCHEDULE_HISTORY) runs.push(toJobSummary(job, job.resultBytes));
      byName.set(job.schedule, runs);
    }
    return byName;
  };
  /** The schedule as the operation left it, with its kept jobs (newest first). */
  const act = (verb: string, rpc: string, action: AuditAction, operation: (name: string) => Promise<Schedule>): Route => ({
    method: 'POST',
    pattern: `/api/schedules/:name/${verb}`,
    access: { rpc },
    dependency: SCHEDULE_STORE,
    async handle({ params, principal }): Promise<ScheduleView> {
      const schedule = await actOnSchedule(schedules, audit, principal, params.name, action, operation);
      return toScheduleView(schedule, (await recentRuns()).get(params.name) ?? []);
    },
  });
  return [
    {
      method: 'GET',
      pattern: '/api/schedules',
      access: { rpc: 'ListSchedules' },
      dependency: SCHEDULE_STORE,
      async handle(): Promise<SchedulesResponse> {
        const [all, runs] = await Promise.all([schedules.list(), recentRuns()]);
        return { schedules: all.map((schedule) => toScheduleView(schedule, runs.get(schedule.name ?? '') ?? [])) };
      },
    },
    act('pause', 'PauseSchedule', 'schedule.pause', (name) => schedules.pause(name)),
    act('resume', 'ResumeSchedule', 'schedule.resume', (name) => schedules.resume(name)),
    {
      method: 'POST',
      pattern: '/api/schedules/:name/run',
      access: { rpc: 'RunScheduleNow' },
      dependency: SCHEDULE_STORE,
      async handle({ params, principal }): Promise<RerunResponse> {
        const { jobId, job } = await actOnSchedule(schedules, audit, principal, params.name, 'schedule.run-now', (name) => schedules.runNow(name));
        return { jobId, job: toJobSummary(job) };
      },
    },
  ];
}
