import type { Job as BullJob } from 'bullmq';
import { selectTaskKind, taskKindByName } from '../../shared/tasks/registry.js';
import { storedDatasetId } from '../../shared/quant/dataset.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { QueuedJobData } from '../jobs/job-model.js';
import type { DatasetStore } from './dataset-store.js';

/** Where a stored dataset is used: the jobs (queued, running or kept), schedules and tags that name it. */
export interface DatasetUse {
  /** Jobs not finished (queued or running) that read it. */
  runningJobs: string[];
  /** Schedules whose template names it, by id or by a tag pointing at it. */
  schedules: string[];
  /** Tags pointing at it. */
  tags: string[];
}

/** The dataset name (an id "sha256:…", a tag, or "synthetic") a job template's spec names, or undefined. */
export function templateDatasetName(template: SubmitJobRequest__Output): string | undefined {
  if (!template.spec) return undefined;
  try {
    const { raw } = selectTaskKind(template.spec as unknown as { kind?: string } & Record<string, unknown>);
    const name = (raw as { dataset?: { name?: unknown } } | undefined)?.dataset?.name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The stored datasets a queued job reads (its kind's own list, from its normalised spec). */
export function jobDatasetIds(job: Pick<BullJob<QueuedJobData, string>, 'data'>): string[] {
  try {
    return taskKindByName(job.data.kind)?.datasets(job.data.kindSpec as never) ?? [];
  } catch {
    return [];
  }
}

/** A template's stored dataset as an id, through the tags (name → id) when it names a tag. */
export function templateDatasetId(template: SubmitJobRequest__Output, tagIds: ReadonlyMap<string, string>): string | undefined {
  const name = templateDatasetName(template);
  if (name === undefined) return undefined;
  return storedDatasetId(name) ?? tagIds.get(name);
}

/** What DatasetReferences reads: the job store's jobs and the schedules' templates. */
export interface DatasetReferenceSources {
  store: DatasetStore;
  /** Jobs queued or running. */
  unfinishedJobs(): Promise<Array<Pick<BullJob<QueuedJobData, string>, 'id' | 'data'>>>;
  /** Every job the job store keeps (finished ones until the job retention removes them). */
  keptJobs(): Promise<Array<Pick<BullJob<QueuedJobData, string>, 'id' | 'data'>>>;
  schedules(): Promise<Array<{ name: string; template: SubmitJobRequest__Output }>>;
}

/**
 * Who uses a stored dataset: what `data rm` refuses for (without --force) and what keeps a dataset
 * from expiring. Read when asked (rm and the retention sweep are rare), never cached.
 */
export class DatasetReferences {
  constructor(private readonly sources: DatasetReferenceSources) {}

  /** The queued or running jobs, schedules (directly or by a tag) and tags that use version `id`. */
  async usesOf(id: string): Promise<DatasetUse> {
    const [jobs, schedules, tags] = await Promise.all([this.sources.unfinishedJobs(), this.sources.schedules(), this.sources.store.tags.list()]);
    const tagIds = new Map(tags.map((tag) => [tag.name, tag.id]));
    return {
      runningJobs: jobs.filter((job) => jobDatasetIds(job).includes(id)).map((job) => job.id ?? ''),
      schedules: schedules.filter((schedule) => templateDatasetId(schedule.template, tagIds) === id).map((schedule) => schedule.name),
      tags: tags.filter((tag) => tag.id === id).map((tag) => tag.name),
    };
  }

  /** The schedules whose template names tag `name`. */
  async schedulesOfTag(name: string): Promise<string[]> {
    return (await this.sources.schedules()).filter((schedule) => templateDatasetName(schedule.template) === name).map((schedule) => schedule.name);
  }

  /** Every version a kept job, a tag or a schedule refers to. */
  async referencedIds(): Promise<Set<string>> {
    const [jobs, schedules, tags] = await Promise.all([this.sources.keptJobs(), this.sources.schedules(), this.sources.store.tags.list()]);
    const ids = new Set<string>();
    for (const job of jobs) for (const id of jobDatasetIds(job)) ids.add(id);
    for (const tag of tags) ids.add(tag.id);
    const tagIds = new Map(tags.map((tag) => [tag.name, tag.id]));
    for (const schedule of schedules) {
      const id = templateDatasetId(schedule.template, tagIds);
      if (id) ids.add(id);
    }
    return ids;
  }
}

/** The one-line list of what uses a dataset ('' when nothing does). */
export function describeUse(use: DatasetUse): string {
  const parts = [
    ...use.runningJobs.map((job) => `job ${job}`),
    ...use.schedules.map((schedule) => `schedule ${schedule}`),
    ...use.tags.map((tag) => `tag ${tag}`),
  ];
  return parts.join(', ');
}
