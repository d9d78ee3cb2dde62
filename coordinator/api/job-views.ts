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
    const job = await this.store.get(jobId);
    if (!job) return undefined;
    const view = await this.store.describe(job, this.runner.liveSnapshot(jobId));
    return { ...view, ...inlineResult(view.resultJson ?? '') };
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
