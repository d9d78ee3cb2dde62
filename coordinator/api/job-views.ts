import { NotFound } from '../../shared/errors.js';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import type { JobStatusName } from '../jobs/job-model.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { inlineResult } from './inline-result.js';

export type JobView = Job & { status: JobStatusName };

/** The API's reads of jobs: the stored record, with this coordinator's live progress when it runs the job. */
export class JobViews {
  constructor(
    private readonly store: JobStore,
    private readonly runner: JobRunner,
  ) {}

  /** The job, or undefined for an unknown (or expired) id; its result inline only when small (inline-result.ts). */
  async find(jobId: string): Promise<JobView | undefined> {
    return (await this.findWithResult(jobId))?.job;
  }

  /** The job and, when it completed, its whole result (JSON; '' otherwise): one read of its record. NotFound for an unknown id. */
  async getWithResult(jobId: string): Promise<{ job: JobView; resultJson: string }> {
    const found = await this.findWithResult(jobId);
    if (!found) throw new NotFound('job', jobId);
    return found;
  }

  /** NotFound unless the job is known: for routes that read only its events or log (no read of its record). */
  async mustExist(jobId: string): Promise<void> {
    if (!(await this.store.exists(jobId))) throw new NotFound('job', jobId);
  }

  private async findWithResult(jobId: string): Promise<{ job: JobView; resultJson: string } | undefined> {
    const view = await this.store.describeId(jobId, () => this.runner.liveSnapshot(jobId));
    if (!view) return undefined;
    const resultJson = view.resultJson ?? '';
    return { job: { ...view, ...inlineResult(resultJson) }, resultJson };
  }

  /** A job just queued, as `JobStore.submit` wrote it (nothing read back). */
  queued(job: Parameters<JobStore['queuedView']>[0]): JobView {
    return { ...this.store.queuedView(job), ...inlineResult('') };
  }

  /**
   * A job whose end its terminal event reported (BullMQ recorded it first): the job as this
   * coordinator's worker ended it a moment ago (ended-jobs.ts), else one read of its record; its
   * status the event's; its whole result alongside. Undefined when the record is gone.
   */
  async ended(jobId: string, status: 'JOB_STATUS_COMPLETED' | 'JOB_STATUS_FAILED' | 'JOB_STATUS_CANCELLED'): Promise<{ job: JobView; resultJson: string } | undefined> {
    const state = status === 'JOB_STATUS_COMPLETED' ? 'completed' : 'failed';
    const cancelled = status === 'JOB_STATUS_CANCELLED';
    const here = this.runner.ended.get(jobId, state);
    const view = here ? this.store.endedViewOf(here, state, cancelled) : await this.store.endedView(jobId, state, cancelled);
    if (!view) return undefined;
    const resultJson = view.resultJson ?? '';
    return { job: { ...view, ...inlineResult(resultJson) }, resultJson };
  }

  /** The job; NotFound for an unknown (or expired) id. */
  async get(jobId: string): Promise<JobView> {
    const job = await this.find(jobId);
    if (!job) throw new NotFound('job', jobId);
    return job;
  }

  /** A completed job's whole result (JSON), '' when there is none (yet, or any more). */
  async result(jobId: string): Promise<string> {
    return (await this.store.get(jobId))?.returnvalue ?? '';
  }
}
