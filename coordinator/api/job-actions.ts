import type { Logger } from '../../shared/logging.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import type { AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, type Principal } from '../auth/principal.js';
import type { QueuedJobData } from '../jobs/job-model.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { checkUserQuota, type UserQuota } from '../jobs/user-quota.js';
import type { JobView, JobViews } from './job-views.js';

export interface JobActionDeps {
  store: JobStore;
  runner: JobRunner;
  jobs: JobViews;
  audit: AuditLog;
  quota: UserQuota;
  log: Logger;
}

/**
 * What submitting and cancelling a job do, whichever surface asks (the gRPC API, the dashboard):
 * checks, the store, the job's log and the audit trail, once.
 */

/** Queues a validated job as the principal, within its quota; logged and audited (a duplicate request id is neither). */
export async function submitValidated({ store, audit, quota, log }: JobActionDeps, principal: Principal, data: QueuedJobData, how = ''): Promise<Awaited<ReturnType<JobStore['submit']>>> {
  checkUserQuota(principal.user, data, (await store.unfinished()).map((job) => job.data), quota);
  const submitted = await store.submit(data);
  const { jobId } = submitted;
  if (submitted.duplicate) log.info({ job: jobId, requestId: data.requestId }, 'duplicate submission: the job of that request id');
  else {
    log.info({ job: jobId, kind: data.kind, name: data.name, owner: data.owner }, `job submitted${how ? ` (${how})` : ''}`);
    await audit.append({ user: principal.user, action: 'job.submit', target: jobId, detail: `${data.kind}${data.name ? ` ${data.name}` : ''}${how ? ` (${how})` : ''}` });
  }
  return submitted;
}

/** Asks for the job's cancellation, by its owner or an admin (PermissionDenied otherwise); an ended job is answered as it is. */
export async function cancelJob({ store, runner, jobs, audit, log }: JobActionDeps, principal: Principal, jobId: string): Promise<JobView> {
  const before = await jobs.get(jobId);
  checkOwnerOrAdmin(principal, before.owner, `job ${jobId}`);
  if (isTerminalStatus(before.status)) return before;
  await store.requestCancel(jobId);
  runner.cancel(jobId);
  log.info({ job: jobId, by: principal.user }, 'cancel requested');
  runner.logJob(jobId, 'warn', `cancel requested by ${principal.user}`);
  await audit.append({ user: principal.user, action: 'job.cancel', target: jobId, detail: before.kind ?? '' });
  return jobs.get(jobId);
}
