import type { Job as BullJob } from 'bullmq';
import type { QueuedJobData } from './job-model.js';

export type FinishedOutcome = 'completed' | 'failed' | 'cancelled';

/**
 * What the JobWorker tells others about the jobs it takes (schedules use it: see schedule-service.ts).
 * Hooks must not throw.
 */
export interface JobHooks {
  /** Before a job runs; false: the job ends at once without running (a skipped schedule occurrence). */
  beforeRun(job: BullJob<QueuedJobData, string>): Promise<boolean>;
  /** After BullMQ recorded the job's outcome. */
  finished(job: BullJob<QueuedJobData, string>, outcome: FinishedOutcome, reason: string): void;
}
