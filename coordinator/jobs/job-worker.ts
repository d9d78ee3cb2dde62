import { UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { JobCancelled, type JobRunner } from './job-runner.js';
import { JobFailure } from './job-execution.js';
import { CANCELLED_REASON, type QueuedJobData } from './job-model.js';
import { JOB_QUEUE_NAME, type JobStore } from './job-store.js';
import type { JobHooks } from './job-hooks.js';

/** BullMQ worker timing (docs/durability.md says why these values). */
export interface JobLocking {
  lockMs: number;
  stalledIntervalMs: number;
  maxStalled: number;
}

export const DEFAULT_JOB_LOCKING: JobLocking = { lockMs: 10_000, stalledIntervalMs: 5_000, maxStalled: 5 };

/**
 * Takes jobs from the BullMQ queue and runs them with the JobRunner. Several jobs run at once
 * (they mostly wait on agents); the outcome is recorded in Redis by BullMQ.
 */
export class JobWorker {
  private worker: Worker<QueuedJobData, string> | undefined;
  /** Jobs the hooks ended without running (until BullMQ reports them completed). */
  private readonly skipped = new Set<string>();
  /** Set by main: schedules skip missed occurrences and record outcomes through these. */
  hooks: JobHooks | undefined;
  /** Set by main: counts the jobs this worker runs (CoordinatorMetrics). */
  metrics: { jobStarted(): void; jobFinished(status: 'completed' | 'failed' | 'cancelled'): void } | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly concurrency: number,
    private readonly log: Logger,
    private readonly locking: JobLocking = DEFAULT_JOB_LOCKING,
  ) {}

  start(connection: Redis): void {
    this.worker = new Worker<QueuedJobData, string>(JOB_QUEUE_NAME, (job) => this.process(job), {
      connection,
      prefix: this.store.prefix,
      concurrency: this.concurrency,
      // BullMQ's defaults (30 s lock, 30 s stall check, one stall allowed) would leave a crashed
      // coordinator's jobs idle for up to a minute and fail them on the second crash. A job here is
      // resumable (its partitions are recorded in Redis), so a takeover is cheap and allowed often.
      lockDuration: this.locking.lockMs,
      stalledInterval: this.locking.stalledIntervalMs,
      maxStalledCount: this.locking.maxStalled,
    });
    this.worker.on('error', (error) => this.log.warn({ err: errorMessage(error) }, 'job worker error'));
    // Terminal events go out once BullMQ has recorded the outcome, so a watcher that then reads the job agrees.
    this.worker.on('completed', (job) => {
      this.hooks?.finished(job, 'completed', '');
      // A skipped schedule occurrence never ran: no records to drop, no event for anyone.
      if (this.skipped.delete(job.id!)) return;
      this.metrics?.jobFinished('completed');
      this.runner.forget(job.id!);
      // Without the result: BullMQ has stored it in the job record, its one home; WatchJob reads it from there.
      this.runner.hub.publish({ jobId: job.id!, type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: Date.now(), partition: -1, status: 'JOB_STATUS_COMPLETED' }, true);
    });
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      this.runner.forget(job.id!);
      const cancelled = error.message === CANCELLED_REASON;
      this.metrics?.jobFinished(cancelled ? 'cancelled' : 'failed');
      this.hooks?.finished(job, cancelled ? 'cancelled' : 'failed', error.message);
      this.runner.hub.publish({
        jobId: job.id!,
        type: cancelled ? 'JOB_EVENT_TYPE_CANCELLED' : 'JOB_EVENT_TYPE_FAILED',
        timeMs: Date.now(),
        partition: -1,
        message: error.message,
        status: cancelled ? 'JOB_STATUS_CANCELLED' : 'JOB_STATUS_FAILED',
      }, true);
    });
  }

  private async process(job: BullJob<QueuedJobData, string>): Promise<string> {
    const jobId = job.id!;
    if (this.hooks && !(await this.hooks.beforeRun(job))) {
      this.skipped.add(jobId);
      return '';
    }
    if (await this.store.isCancelRequested(jobId)) throw new UnrecoverableError(CANCELLED_REASON);
    this.metrics?.jobStarted();
    let lastSaved = 0;
    // A cancel may be asked of another coordinator: it only leaves a request in Redis.
    const cancelWatch = setInterval(() => {
      this.store
        .isCancelRequested(jobId)
        .then((requested) => requested && this.runner.cancel(jobId))
        .catch(() => undefined);
    }, 1000);
    try {
      const result = await this.runner.run(jobId, job.data, (snapshot) => {
        // Progress writes are for other coordinators and restarts; a few a second is plenty.
        const now = Date.now();
        if (now - lastSaved < 400 && snapshot.phase === 'running') return;
        lastSaved = now;
        job.updateProgress(snapshot).catch((error) => this.log.warn({ job: jobId, err: errorMessage(error) }, 'progress not saved'));
      });
      this.log.info({ job: jobId }, 'job completed');
      this.runner.logJob(jobId, 'info', 'completed: merged the partition results');
      return result;
    } catch (error) {
      const reason =
        error instanceof JobCancelled ? CANCELLED_REASON
        : error instanceof JobFailure || error instanceof ValidationError ? error.message
        : `internal error: ${errorMessage(error)}`;
      this.log.info({ job: jobId, reason }, error instanceof JobCancelled ? 'job cancelled' : 'job failed');
      if (error instanceof JobCancelled) this.runner.logJob(jobId, 'warn', 'cancelled: running partitions stopped, queued ones dropped');
      else this.runner.logJob(jobId, 'error', `failed: ${reason}`);
      throw new UnrecoverableError(reason);
    } finally {
      clearInterval(cancelWatch);
    }
  }

  async close(): Promise<void> {
    // force: do not wait for running jobs; their BullMQ lock lapses and another coordinator takes them over.
    await this.worker?.close(true);
  }
}
