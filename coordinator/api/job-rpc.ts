import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import { LIST_JOBS_DEFAULT, LIST_JOBS_MAX } from '../../shared/api-limits.js';
import type { Logger } from '../../shared/logging.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import type { StrategyIndex } from '../../shared/tasks/stored-strategies.js';
import { JOB_STATUSES } from '../../shared/job-status.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { validateSubmission } from '../jobs/job-submission.js';
import type { UserQuota } from '../jobs/user-quota.js';
import { cancelJob, submitValidated } from './job-actions.js';
import type { AuditLog } from '../audit/audit-log.js';
import { principalOf } from '../auth/principal.js';
import { JOB_STORE } from './dependency-failure.js';
import { MAX_MESSAGE_BYTES } from '../../shared/grpc/message-limits.js';
import type { JobViews } from './job-views.js';
import { knownEnum, requiredId } from './request-fields.js';
import { serverStream, unary, type RpcContext } from './rpc-handlers.js';
import { resultChunks } from './result-chunks.js';

export type JobRpcName = 'SubmitJob' | 'GetJob' | 'GetJobResult' | 'CancelJob' | 'ListJobs';

export interface JobRpcDeps {
  store: JobStore;
  runner: JobRunner;
  jobs: JobViews;
  datasets: DatasetStore;
  strategies: StrategyIndex;
  limits: SpecLimits;
  audit: AuditLog;
  quota: UserQuota;
  log: Logger;
}

/** A listing stops before its jobs (as JSON, larger than their protobuf) pass this: well under MAX_MESSAGE_BYTES. */
const LIST_MAX_BYTES = MAX_MESSAGE_BYTES / 2;

/** Submitting, reading, cancelling and listing jobs (watching: watch-job.ts). */
export function createJobHandlers({ store, runner, jobs, datasets, strategies, limits, audit, quota, log }: JobRpcDeps): Pick<CoordinatorHandlers, JobRpcName> {
  const context = (rpc: JobRpcName): RpcContext => ({ rpc, log, dependency: JOB_STORE });
  const actions = { store, runner, jobs, audit, quota, log };
  return {
    SubmitJob: unary(context('SubmitJob'), async (request, call) => {
      const principal = principalOf(call);
      // Stored datasets and user strategies resolved, the spec validated and normalised by its kind: once, here.
      const data = { ...(await validateSubmission(request, limits, datasets, strategies)), owner: principal.user };
      const { jobId, queued } = await submitValidated(actions, principal, data);
      // The job as queued, from what was just written (a duplicate request id's job is read: it may be anywhere by now).
      return { jobId, job: queued ? jobs.queued(queued) : await jobs.find(jobId) };
    }),

    GetJob: unary(context('GetJob'), async (request) => jobs.get(requiredId('job_id', request.jobId))),

    GetJobResult: serverStream(context('GetJobResult'), (request, stopped) => resultChunks(jobs, requiredId('job_id', request.jobId), stopped)),

    CancelJob: unary(context('CancelJob'), async (request, call) => cancelJob(actions, principalOf(call), requiredId('job_id', request.jobId))),

    ListJobs: unary(context('ListJobs'), async (request, call) => {
      const limit = request.limit > 0 ? Math.min(request.limit, LIST_JOBS_MAX) : LIST_JOBS_DEFAULT;
      const wanted = knownEnum('status', request.status, JOB_STATUSES);
      const owner = request.mine ? principalOf(call).user : undefined;
      const filtering = wanted !== 'JOB_STATUS_UNSPECIFIED' || owner !== undefined;
      const listed = await store.list(filtering ? LIST_JOBS_MAX : limit);
      const described = await Promise.all(listed.map((job) => store.describe(job, runner.liveSnapshot(job.id!))));
      const filtered = described.filter((job) => (wanted === 'JOB_STATUS_UNSPECIFIED' || job.status === wanted) && (owner === undefined || job.owner === owner));
      // Results can be large; a listing leaves every one out, saying so (GetJob and GetJobResult have them).
      // Jobs with large specs (thousands of symbols) are kept under the message limit: the listing stops early, saying so.
      const jobs = [];
      let bytes = 0;
      for (const job of filtered.slice(0, limit)) {
        const resultBytes = Buffer.byteLength(job.resultJson ?? '', 'utf8');
        const listed = { ...job, resultJson: '', resultBytes, resultTruncated: resultBytes > 0 };
        bytes += Buffer.byteLength(JSON.stringify(listed), 'utf8');
        if (bytes > LIST_MAX_BYTES && jobs.length > 0) return { jobs, more: true };
        jobs.push(listed);
      }
      return { jobs, more: false };
    }),
  };
}
