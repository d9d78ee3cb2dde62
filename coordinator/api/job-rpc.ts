import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import { LIST_JOBS_DEFAULT, LIST_JOBS_MAX } from '../../shared/api-limits.js';
import type { Logger } from '../../shared/logging.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { validateSubmission } from '../jobs/job-submission.js';
import { checkUserQuota, type UserQuota } from '../jobs/user-quota.js';
import type { AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, principalOf } from '../auth/principal.js';
import { JOB_STORE } from './dependency-failure.js';
import type { JobViews } from './job-views.js';
import { requiredId } from './request-fields.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type JobRpcName = 'SubmitJob' | 'GetJob' | 'CancelJob' | 'ListJobs';

export interface JobRpcDeps {
  store: JobStore;
  runner: JobRunner;
  jobs: JobViews;
  datasets: DatasetStore;
  limits: SpecLimits;
  audit: AuditLog;
  quota: UserQuota;
  log: Logger;
}

/** Submitting, reading, cancelling and listing jobs (watching: watch-job.ts). */
export function createJobHandlers({ store, runner, jobs, datasets, limits, audit, quota, log }: JobRpcDeps): Pick<CoordinatorHandlers, JobRpcName> {
  const context = (rpc: JobRpcName): RpcContext => ({ rpc, log, dependency: JOB_STORE });
  return {
    SubmitJob: unary(context('SubmitJob'), async (request, call) => {
      const principal = principalOf(call);
      // Stored datasets resolved, the spec validated and normalised by its kind: once, here.
      const data = { ...(await validateSubmission(request, limits, datasets)), owner: principal.user };
      checkUserQuota(principal.user, data, (await store.unfinished()).map((job) => job.data), quota);
      const { jobId, duplicate } = await store.submit(data);
      if (duplicate) log.info({ job: jobId, requestId: data.requestId }, 'duplicate submission: the job of that request id');
      else {
        log.info({ job: jobId, kind: data.kind, name: data.name, owner: data.owner }, 'job submitted');
        await audit.append({ user: principal.user, action: 'job.submit', target: jobId, detail: `${data.kind}${data.name ? ` ${data.name}` : ''}` });
      }
      return { jobId, job: await jobs.find(jobId) };
    }),

    GetJob: unary(context('GetJob'), async (request) => jobs.get(requiredId('job_id', request.jobId))),

    CancelJob: unary(context('CancelJob'), async (request, call) => {
      const principal = principalOf(call);
      const jobId = requiredId('job_id', request.jobId);
      const before = await jobs.get(jobId);
      checkOwnerOrAdmin(principal, before.owner, `job ${jobId}`);
      if (isTerminalStatus(before.status)) return before;
      await store.requestCancel(jobId);
      runner.cancel(jobId);
      log.info({ job: jobId, by: principal.user }, 'cancel requested');
      await audit.append({ user: principal.user, action: 'job.cancel', target: jobId, detail: before.kind ?? '' });
      return jobs.get(jobId);
    }),

    ListJobs: unary(context('ListJobs'), async (request, call) => {
      const limit = request.limit > 0 ? Math.min(request.limit, LIST_JOBS_MAX) : LIST_JOBS_DEFAULT;
      const wanted = request.status;
      const owner = request.mine ? principalOf(call).user : undefined;
      const filtering = wanted !== 'JOB_STATUS_UNSPECIFIED' || owner !== undefined;
      const listed = await store.list(filtering ? LIST_JOBS_MAX : limit);
      const described = await Promise.all(listed.map((job) => store.describe(job, runner.liveSnapshot(job.id!))));
      const filtered = described.filter((job) => (wanted === 'JOB_STATUS_UNSPECIFIED' || job.status === wanted) && (owner === undefined || job.owner === owner));
      // Results can be large; a listing leaves them out (GetJob has them).
      return { jobs: filtered.slice(0, limit).map((job) => ({ ...job, resultJson: '' })) };
    }),
  };
}
