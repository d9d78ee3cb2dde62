import type { Job as BullJob } from 'bullmq';
import type { QueuedJobData } from './job-model.js';

/** The BullMQ state a job ended in. */
export type EndedState = 'completed' | 'failed';

/**
 * The jobs this coordinator's worker ended a moment ago, as BullMQ recorded them (the worker's copy
 * after BullMQ's completed or failed reply, so the record in Redis is the same): the terminal event's
 * watchers on this coordinator describe the job from here instead of reading its record back
 * (watch-job.ts). Bounded: the last MAX_KEPT jobs, none older than KEPT_MS (a watcher reads the
 * ending event within milliseconds; one that comes later, or to another coordinator, reads Redis).
 */
export class EndedJobs {
  static readonly MAX_KEPT = 1000;
  static readonly KEPT_MS = 10_000;

  private readonly jobs = new Map<string, { job: BullJob<QueuedJobData, string>; state: EndedState; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Called once BullMQ has recorded the job's end, before its terminal event goes out. */
  remember(job: BullJob<QueuedJobData, string>, state: EndedState): void {
    const id = job.id!;
    this.jobs.delete(id);
    this.jobs.set(id, { job, state, at: this.now() });
    if (this.jobs.size > EndedJobs.MAX_KEPT) this.jobs.delete(this.jobs.keys().next().value as string);
  }

  /** The job as it ended in `state`, if it ended here lately; undefined otherwise (read its record). */
  get(jobId: string, state: EndedState): BullJob<QueuedJobData, string> | undefined {
    const entry = this.jobs.get(jobId);
    if (!entry) return undefined;
    if (this.now() - entry.at > EndedJobs.KEPT_MS) {
      this.jobs.delete(jobId);
      return undefined;
    }
    return entry.state === state ? entry.job : undefined;
  }

}
