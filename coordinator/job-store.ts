import { randomBytes } from 'node:crypto';
import { Queue, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job } from '../shared/generated/quantgrid/v1/Job.js';
import {
  isSnapshot,
  statusOf,
  toJobProgress,
  type JobStatusName,
  type ProgressSnapshot,
  type QueuedJobData,
} from './job-model.js';

export const JOB_QUEUE_NAME = 'jobs';

/** How long and how many finished jobs are kept in Redis (issue #4 makes this configurable). */
const KEEP_FINISHED = { age: 7 * 24 * 3600, count: 1000 };

/** Short, sortable, unguessable job ids: time in base 36, then random hex. */
export function newJobId(): string {
  return `${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

/**
 * The job records in Redis (BullMQ): submission, reads for the API, cancellation requests.
 * Every coordinator sharing the Redis and prefix sees the same jobs.
 */
export class JobStore {
  readonly queue: Queue<QueuedJobData, string>;
  private readonly cancelKey: string;

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
  ) {
    this.queue = new Queue<QueuedJobData, string>(JOB_QUEUE_NAME, { connection, prefix });
    this.cancelKey = `${prefix}:cancel-requests`;
  }

  async submit(data: QueuedJobData): Promise<string> {
    const jobId = newJobId();
    await this.queue.add('job', data, {
      jobId,
      // A job's partitions are retried by the dispatcher; the job itself must not be re-run blindly.
      attempts: 1,
      removeOnComplete: KEEP_FINISHED,
      removeOnFail: KEEP_FINISHED,
    });
    return jobId;
  }

  async get(jobId: string): Promise<BullJob<QueuedJobData, string> | undefined> {
    return (await this.queue.getJob(jobId)) as BullJob<QueuedJobData, string> | undefined;
  }

  async requestCancel(jobId: string): Promise<void> {
    await this.connection.sadd(this.cancelKey, jobId);
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    return (await this.connection.sismember(this.cancelKey, jobId)) === 1;
  }

  async clearCancelRequest(jobId: string): Promise<void> {
    await this.connection.srem(this.cancelKey, jobId);
  }

  async list(limit: number): Promise<Array<BullJob<QueuedJobData, string>>> {
    const jobs = (await this.queue.getJobs(
      ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'],
      0,
      Math.max(0, limit - 1),
      false,
    )) as Array<BullJob<QueuedJobData, string>>;
    return jobs.filter(Boolean).sort((a, b) => b.timestamp - a.timestamp);
  }

  /** The API view of a job. `live` is this coordinator's fresher progress when it runs the job. */
  async describe(job: BullJob<QueuedJobData, string>, live?: ProgressSnapshot): Promise<Job & { status: JobStatusName }> {
    const state = await job.getState();
    const progress = live ?? (isSnapshot(job.progress) ? job.progress : undefined);
    const status = statusOf(state, progress, job.failedReason, await this.isCancelRequested(job.id!));
    return {
      id: job.id!,
      kind: job.data.kind,
      name: job.data.name,
      status,
      spec: job.data.spec,
      progress: toJobProgress(progress),
      createdAtMs: job.timestamp,
      startedAtMs: job.processedOn ?? 0,
      finishedAtMs: job.finishedOn ?? 0,
      resultJson: status === 'JOB_STATUS_COMPLETED' ? (job.returnvalue ?? '') : '',
      error: status === 'JOB_STATUS_FAILED' || status === 'JOB_STATUS_CANCELLED' ? (job.failedReason ?? 'cancelled') : '',
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
