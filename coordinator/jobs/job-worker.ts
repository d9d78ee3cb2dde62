import { UnrecoverableError, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { JobCancelled, JobCancelledWhileQueued, JobFenced, type JobRunner } from './job-runner.js';
import { JobLeases } from './job-lease.js';
import { JobFailure } from './job-execution.js';
import { CANCELLED_REASON, type ProgressSnapshot, type QueuedJobData } from './job-model.js';
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
  /** Fencing: the locks of the jobs running here (a job whose lock is lost stops here at once). */
  private readonly leases: JobLeases;
  private leaseSweep: NodeJS.Timeout | undefined;
  /** Set by main: counts the jobs this worker runs (CoordinatorMetrics). */
  metrics: { jobStarted(): void; jobFinished(status: 'completed' | 'failed' | 'cancelled'): void } | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly concurrency: number,
    private readonly log: Logger,
    private readonly locking: JobLocking = DEFAULT_JOB_LOCKING,
  ) {
    this.leases = new JobLeases(locking.lockMs);
  }

  start(connection: Redis): void {
    this.worker = new Worker<QueuedJobData, string>(JOB_QUEUE_NAME, (job, token) => this.process(job, token), {
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
    this.worker.on('locksRenewed', ({ jobIds }) => this.leases.renewed(jobIds));
    this.worker.on('lockRenewalFailed', (jobIds) => this.leases.lost(jobIds));
    // A job with nothing in flight (waiting for nodes, or for its last results) is fenced by the clock too.
    this.leaseSweep = setInterval(() => this.leases.check(), Math.max(100, Math.floor(this.locking.lockMs / 10)));
    this.leaseSweep.unref();
    // Terminal events go out once BullMQ has recorded the outcome, so a watcher that then reads the job agrees.
    this.worker.on('completed', (job) => {
      this.hooks?.finished(job, 'completed', '');
      // A skipped schedule occurrence never ran: no records to drop, no event for anyone.
      if (this.skipped.delete(job.id!)) return;
      this.metrics?.jobFinished('completed');
      this.runner.forget(job.id!);
      this.runner.ended.remember(job, 'completed');
      // Without the result: BullMQ has stored it in the job record, its one home; WatchJob reads it from there.
      this.runner.hub.publish({ jobId: job.id!, type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: Date.now(), partition: -1, status: 'JOB_STATUS_COMPLETED' }, true);
    });
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      this.runner.forget(job.id!);
      this.runner.ended.remember(job, 'failed');
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

  private async process(job: BullJob<QueuedJobData, string>, token?: string): Promise<string> {
    const jobId = job.id!;
    const lease = this.leases.take(jobId, (reason) => this.runner.fence(jobId, reason));
    try {
      return await this.processHeld(job, lease.held.bind(lease));
    } catch (error) {
      if (!(error instanceof JobFenced)) throw error;
      this.log.warn({ job: jobId, reason: lease.reason }, 'job fenced: no longer dispatched or recorded here');
      // The lock may still be ours after all (Redis was slow, not gone): then hand the job back
      // to the queue at once rather than let it stall. Refused, as it should be, when the lock is someone else's.
      if (token) await job.moveToWait(token).catch(() => undefined);
      // Not a failure: BullMQ leaves the job alone (its new owner, or the stalled check, has it).
      throw new WaitingError();
    } finally {
      this.leases.release(lease);
    }
  }

  private async processHeld(job: BullJob<QueuedJobData, string>, owned: () => boolean): Promise<string> {
    const jobId = job.id!;
    if (this.hooks && !(await this.hooks.beforeRun(job))) {
      this.skipped.add(jobId);
      return '';
    }
    // A cancel asked while the job was queued: answered while the runner claims the job's plan.
    const cancelRequested = this.store.isCancelRequested(jobId);
    // Its failure fails the run where the runner awaits it; a run that ends before it must not leave it unhandled.
    cancelRequested.catch(() => undefined);
    // Counted from the start: a job that ends within its first 400 ms saves no 'running' snapshot at
    // all (its 'merging' one is the last, and what its record keeps), one BullMQ script call less.
    let lastSaved = Date.now();
    let savedPhase: ProgressSnapshot['phase'] | undefined;
    /** The latest snapshot, when it is not the one saved last (a failed job's record gets it before its failure). */
    let unsaved: ProgressSnapshot | undefined;
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
        unsaved = snapshot;
        // Leaving 'waiting-for-nodes' is saved at once: other coordinators show the status it gives.
        if ((now - lastSaved < 400 && snapshot.phase === 'running' && savedPhase !== 'waiting-for-nodes') || !owned()) return;
        lastSaved = now;
        savedPhase = snapshot.phase;
        unsaved = undefined;
        job.updateProgress(snapshot).catch((error) => this.log.warn({ job: jobId, err: errorMessage(error) }, 'progress not saved'));
      }, owned, cancelRequested, () => this.metrics?.jobStarted());
      this.log.info({ job: jobId }, 'job completed');
      this.runner.logJob(jobId, 'info', 'completed: merged the partition results');
      return result;
    } catch (error) {
      if (error instanceof JobFenced) throw error;
      // Never started: nothing ran, nothing to say in its log (as before it was taken).
      if (error instanceof JobCancelledWhileQueued) throw new UnrecoverableError(CANCELLED_REASON);
      const reason =
        error instanceof JobCancelled ? CANCELLED_REASON
        : error instanceof JobFailure || error instanceof ValidationError ? error.message
        : `internal error: ${errorMessage(error)}`;
      this.log.info({ job: jobId, reason }, error instanceof JobCancelled ? 'job cancelled' : 'job failed');
      if (error instanceof JobCancelled) this.runner.logJob(jobId, 'warn', 'cancelled: running partitions stopped, queued ones dropped');
      else this.runner.logJob(jobId, 'error', `failed: ${reason}`);
      // The record keeps the progress the job ended with (not awaited, as no progress write is: the
      // failure is not held up; the two land in separate fields of the record).
      if (unsaved && owned()) job.updateProgress(unsaved).catch((saveError: unknown) => this.log.warn({ job: jobId, err: errorMessage(saveError) }, 'progress not saved'));
      throw new UnrecoverableError(reason);
    } finally {
      clearInterval(cancelWatch);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.leaseSweep);
    // force: do not wait for running jobs; their BullMQ lock lapses and another coordinator takes them over.
    await this.worker?.close(true);
  }
}
