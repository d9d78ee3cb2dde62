import { ResourceExhausted } from '../../shared/errors.js';
import { taskKindByName } from '../../shared/tasks/registry.js';
import type { QueuedJobData } from './job-model.js';

/** How much one user may have unfinished (queued or running) at once. */
export interface UserQuota {
  jobs: number;
  /** Units of work (symbol × combination, asset × timeframe, …) over all the user's unfinished jobs. */
  units: number;
}

export const DEFAULT_USER_QUOTA: UserQuota = { jobs: 100, units: 10_000_000 };

/** The units of work a queued job carries, by its kind's own measure of its normalised spec. */
export function unitsOf(data: Pick<QueuedJobData, 'kind' | 'kindSpec'>): number {
  const kind = taskKindByName(data.kind);
  return kind && data.kindSpec !== undefined ? kind.measure(data.kindSpec).units : 0;
}

/**
 * Throws ResourceExhausted when `next` would take `user` past the quota, given the jobs not finished
 * yet. Counted from the queue itself on every submission, so nothing can drift: a job that ends, fails,
 * is cancelled or expires stops counting at once.
 */
export function checkUserQuota(user: string, next: Pick<QueuedJobData, 'kind' | 'kindSpec'>, unfinished: ReadonlyArray<Pick<QueuedJobData, 'owner' | 'kind' | 'kindSpec'>>, quota: UserQuota): void {
  let jobs = 0;
  let units = 0;
  for (const data of unfinished) {
    if ((data.owner ?? '') !== user) continue;
    jobs += 1;
    units += unitsOf(data);
  }
  if (jobs + 1 > quota.jobs) {
    throw new ResourceExhausted(`user ${user} has ${jobs} unfinished jobs, the most one user may have (--max-jobs-per-user ${quota.jobs}): wait for one to end, or cancel one`);
  }
  const adding = unitsOf(next);
  if (units + adding > quota.units) {
    throw new ResourceExhausted(
      `user ${user} has ${units} units of work unfinished; this job's ${adding} would pass the limit of ${quota.units} (--max-queued-units-per-user): wait for jobs to end, or split the sweep`,
    );
  }
}
