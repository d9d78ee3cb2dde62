import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Logger } from '../../shared/logging.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import { isTerminalStatus, JOB_STATUSES } from '../../shared/job-status.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { validateSubmission } from '../jobs/job-submission.js';
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
  limits: SpecLimits;
  log: Logger;
}

/** Most jobs a listing returns, and how many it returns when not told. */
const LIST_LIMIT_MAX = 1000;
const LIST_LIMIT_DEFAULT = 50;
/** A listing stops before its jobs (as JSON, larger than their protobuf) pass this: well under MAX_MESSAGE_BYTES. */
const LIST_MAX_BYTES = MAX_MESSAGE_BYTES / 2;

/** Submitting, reading, cancelling and listing jobs (watching: watch-job.ts). */
export function createJobHandlers({ store, runner, jobs, datasets, limits, log }: JobRpcDeps): Pick<CoordinatorHandlers, JobRpcName> {
  const context = (rpc: JobRpcName): RpcContext => ({ rpc, log, dependency: JOB_STORE });
  return {
    SubmitJob: unary(context('SubmitJob'), async (request) => {
      // Stored datasets resolved, the spec validated and normalised by its kind: once, here.
      const data = await validateSubmission(request, limits, datasets);
      const { jobId, duplicate } = await store.submit(data);
      if (duplicate) log.info({ job: jobId, requestId: data.requestId }, 'duplicate submission: the job of that request id');
      else log.info({ job: jobId, kind: data.kind, name: data.name }, 'job submitted');
      return { jobId, job: await jobs.find(jobId) };
    }),

    GetJob: unary(context('GetJob'), async (request) => jobs.get(requiredId('job_id', request.jobId))),

    GetJobResult: serverStream(context('GetJobResult'), (request, stopped) => resultChunks(jobs, requiredId('job_id', request.jobId), stopped)),

    CancelJob: unary(context('CancelJob'), async (request) => {
      const jobId = requiredId('job_id', request.jobId);
      const before = await jobs.get(jobId);
      if (isTerminalStatus(before.status)) return before;
      await store.requestCancel(jobId);
      runner.cancel(jobId);
      log.info({ job: jobId }, 'cancel requested');
      return jobs.get(jobId);
    }),

    ListJobs: unary(context('ListJobs'), async (request) => {
      const limit = request.limit > 0 ? Math.min(request.limit, LIST_LIMIT_MAX) : LIST_LIMIT_DEFAULT;
      const wanted = knownEnum('status', request.status, JOB_STATUSES);
      const listed = await store.list(wanted === 'JOB_STATUS_UNSPECIFIED' ? limit : LIST_LIMIT_MAX);
      const described = await Promise.all(listed.map((job) => store.describe(job, runner.liveSnapshot(job.id!))));
      const filtered = wanted === 'JOB_STATUS_UNSPECIFIED' ? described : described.filter((job) => job.status === wanted);
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
