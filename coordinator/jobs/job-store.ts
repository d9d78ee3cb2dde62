import { randomBytes } from 'node:crypto';
import { Queue, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import {
  isSnapshot,
  statusOf,
  toJobProgress,
  type JobStatusName,
  type ProgressSnapshot,
  type QueuedJobData,
} from './job-model.js';
import { isUpcomingOccurrence, scheduledOccurrence } from './scheduled-occurrence.js';
import type { Logger } from '../../shared/logging.js';
import { reportConnectionErrors } from '../redis/redis-connection.js';

export const JOB_QUEUE_NAME = 'jobs';

/** What a job's view is made of: its BullMQ record but the result (only when completed). */
type ViewedJob = Pick<BullJob<QueuedJobData, string>, 'id' | 'data' | 'progress' | 'timestamp' | 'repeatJobKey' | 'processedOn' | 'finishedOn'> & { failedReason?: string; returnvalue?: string };

/** The fields of a BullMQ job record a listing reads (not its result, which can be large); BullMQ keeps repeatJobKey as rjk. */
const LISTED_FIELDS = ['data', 'timestamp', 'processedOn', 'finishedOn', 'failedReason', 'progress', 'rjk'] as const;

function parsedJson(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A listed record's fields as a job (undefined when the record went away meanwhile). */
function listedJob(id: string, fields: Array<string | null>): ViewedJob | undefined {
  const [data, timestamp, processedOn, finishedOn, failedReason, progress, repeatJobKey] = fields;
  const parsed = parsedJson(data) as QueuedJobData | undefined;
  if (!parsed) return undefined;
  return {
    id,
    data: parsed,
    timestamp: Number(timestamp) || 0,
    processedOn: Number(processedOn) || undefined,
    finishedOn: Number(finishedOn) || undefined,
    failedReason: failedReason ?? undefined,
    progress: (parsedJson(progress) ?? 0) as BullJob['progress'],
    repeatJobKey: repeatJobKey ?? undefined,
  };
}

/** A job as listed: its view without its result, and the result's size. */
export type ListedView = Job & { status: JobStatusName; resultBytes: number };

/** How long (seconds) and how many finished jobs BullMQ keeps, each outcome counted apart. */
export interface Retention {
  age: number;
  count: number;
}

export const DEFAULT_RETENTION: Retention = { age: 7 * 24 * 3600, count: 1000 };

/** BullMQ's priorities: 1 … 2^21 − 1, lower first (0, none, would go before every prioritised job). */
const QUEUE_PRIORITY_MAX = 2 ** 21 - 1;
const QUEUE_PRIORITY_OF_ZERO = 2 ** 20;

/**
 * Where a job of this quantgrid priority (higher first) waits in BullMQ's queue while every
 * coordinator is busy with as many jobs as it runs at once: higher priorities are taken first,
 * equal ones in submission order. Beyond ±1,048,575 the queue order saturates (the dispatcher
 * still orders partitions by the exact value).
 */
export function queuePriority(priority: number): number {
  return Math.min(QUEUE_PRIORITY_MAX, Math.max(1, QUEUE_PRIORITY_OF_ZERO - Math.trunc(priority)));
}

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
    readonly retention: Retention = DEFAULT_RETENTION,
    log?: Logger,
  ) {
    this.queue = new Queue<QueuedJobData, string>(JOB_QUEUE_NAME, { connection, prefix });
    // Its connection's errors reach it too; with no listener BullMQ prints each one raw on stderr.
    if (log) reportConnectionErrors(this.queue, log, 'job queue');
    this.cancelKey = `${prefix}:cancel-requests`;
  }

  private requestKey(requestId: string): string {
    return `${this.prefix}:request:${requestId}`;
  }

  /**
   * Queues a job; returns its id. A request id seen before (within the retention time) returns the
   * job it created instead: the id is claimed atomically (SET NX) before the job is added.
   */
  async submit(data: QueuedJobData): Promise<{ jobId: string; duplicate: boolean; queued?: BullJob<QueuedJobData, string> }> {
    let jobId = newJobId();
    if (data.requestId) {
      const key = this.requestKey(data.requestId);
      const claimed = await this.connection.set(key, jobId, 'EX', this.retention.age, 'NX');
      if (claimed !== 'OK') {
        const existing = await this.connection.get(key);
        if (existing !== null) return { jobId: existing, duplicate: true };
        jobId = newJobId(); // the claim expired in between: claim again below
        await this.connection.set(key, jobId, 'EX', this.retention.age);
      }
    }
    const queued = (await this.queue.add('job', data, { jobId, ...this.jobOptions(data.priority) })) as BullJob<QueuedJobData, string>;
    return { jobId, duplicate: false, queued };
  }

  /** BullMQ options of a quantgrid job, submitted or fired by a schedule. */
  jobOptions(priority: number): { attempts: number; priority: number; removeOnComplete: Retention; removeOnFail: Retention } {
    return {
      // The job itself is never retried as a whole: partitions are retried by the dispatcher, and a
      // job whose coordinator died is resumed by BullMQ's stalled-job check (see JobWorker).
      attempts: 1,
      priority: queuePriority(priority),
      removeOnComplete: this.retention,
      removeOnFail: this.retention,
    };
  }

  async get(jobId: string): Promise<BullJob<QueuedJobData, string> | undefined> {
    return (await this.queue.getJob(jobId)) as BullJob<QueuedJobData, string> | undefined;
  }

  /** Whether the job's record is kept (one EXISTS, without reading it). */
  async exists(jobId: string): Promise<boolean> {
    return (await this.connection.exists(this.queue.toKey(jobId))) === 1;
  }

  async requestCancel(jobId: string): Promise<void> {
    await this.connection.sadd(this.cancelKey, jobId);
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    return (await this.connection.sismember(this.cancelKey, jobId)) === 1;
  }

  /** Every job whose cancellation was requested (and not cleared yet). */
  async cancelRequests(): Promise<Set<string>> {
    return new Set(await this.connection.smembers(this.cancelKey));
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
    const now = Date.now();
    return jobs.filter((job) => job && !isUpcomingOccurrence(job, now)).sort((a, b) => b.timestamp - a.timestamp);
  }

  /** Every job not finished yet (queued, waiting or running), for per-user quotas; schedules' upcoming occurrences left out. */
  async unfinished(): Promise<Array<BullJob<QueuedJobData, string>>> {
    const jobs = (await this.queue.getJobs(['active', 'waiting', 'prioritized', 'delayed'], 0, -1, false)) as Array<BullJob<QueuedJobData, string>>;
    const now = Date.now();
    return jobs.filter((job) => job && !isUpcomingOccurrence(job, now));
  }

  /** The API view of a job. `live` is this coordinator's fresher progress when it runs the job. */
  async describe(job: BullJob<QueuedJobData, string>, live?: ProgressSnapshot): Promise<Job & { status: JobStatusName }> {
    const [state, cancelRequested] = await Promise.all([job.getState(), this.isCancelRequested(job.id!)]);
    return this.viewRead(job, state, cancelRequested, live);
  }

  /**
   * The API view of a job by id (undefined when its record is gone), as `describe` gives it: the
   * record, its state and its cancel request asked at once on the one connection (one round trip's
   * wait, not three). A state read after a record that missed the result is handled as in `describe`.
   */
  async describeId(jobId: string, live?: () => ProgressSnapshot | undefined): Promise<(Job & { status: JobStatusName }) | undefined> {
    const [job, state, cancelRequested] = await Promise.all([this.get(jobId), this.queue.getJobState(jobId), this.isCancelRequested(jobId)]);
    if (!job) return undefined;
    // The live snapshot is taken once the reads are back: it is then at least as fresh as they are.
    return this.viewRead(job, state, cancelRequested, live?.());
  }

  /** The view of a job just queued by `submit`, from what `submit` wrote (nothing read back): QUEUED, no progress yet. */
  queuedView(job: BullJob<QueuedJobData, string>): Job & { status: JobStatusName } {
    return this.view(job, 'waiting', false);
  }

  /**
   * The view of a job that ended in `state` (its COMPLETED or FAILED was recorded by BullMQ before its
   * terminal event went out): one read of its record; undefined when the record is gone.
   */
  async endedView(jobId: string, state: 'completed' | 'failed', cancelled: boolean): Promise<(Job & { status: JobStatusName }) | undefined> {
    const job = await this.get(jobId);
    return job ? this.view(job, state, cancelled) : undefined;
  }

  /** endedView of a job already at hand as BullMQ recorded its end (ended-jobs.ts): no read. */
  endedViewOf(job: BullJob<QueuedJobData, string>, state: 'completed' | 'failed', cancelled: boolean): Job & { status: JobStatusName } {
    return this.view(job, state, cancelled);
  }

  private async viewRead(job: BullJob<QueuedJobData, string>, state: string, cancelRequested: boolean, live?: ProgressSnapshot): Promise<Job & { status: JobStatusName }> {
    // The record was read before the job finished and its state after: BullMQ wrote the result with
    // the state, so read the record again rather than show a completed job without its result.
    const current = state === 'completed' && job.returnvalue == null ? ((await this.get(job.id!)) ?? job) : job;
    return this.view(current, state, cancelRequested, live);
  }

  /**
   * The kept jobs (newest first; schedules' upcoming occurrences left out), each described as
   * `describe` does but without its result (only its size), in a few round trips whatever their
   * number: one listing of ids per BullMQ state (which gives each job's state), then viewsOf.
   */
  async listViews(live: (jobId: string) => ProgressSnapshot | undefined = () => undefined): Promise<ListedView[]> {
    const states = ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'] as const;
    const idsByState = await Promise.all(states.map((state) => this.queue.getRanges([state], 0, -1)));
    const views = await this.viewsOf(
      states.flatMap((state, i) => idsByState[i].map((id) => ({ id, state }))),
      live,
    );
    return views.sort((a, b) => b.timestamp - a.timestamp).map(({ view }) => view);
  }

  /**
   * Jobs whose BullMQ state is known, described as listViews does (in their order; a job gone
   * meanwhile, or a schedule's upcoming occurrence, left out): one read of the cancel requests and
   * one pipeline of the records' fields other than their results, whatever their number.
   */
  async viewsOf(jobs: ReadonlyArray<{ id: string; state: string }>, live: (jobId: string) => ProgressSnapshot | undefined = () => undefined): Promise<Array<{ view: ListedView; timestamp: number }>> {
    if (jobs.length === 0) return [];
    const read = this.connection.pipeline();
    for (const { id } of jobs) {
      read.hmget(this.queue.toKey(id), ...LISTED_FIELDS);
      read.hstrlen(this.queue.toKey(id), 'returnvalue');
    }
    const [cancelRequested, replies] = await Promise.all([this.cancelRequests(), read.exec()]);
    const now = Date.now();
    const views: Array<{ view: ListedView; timestamp: number }> = [];
    jobs.forEach(({ id, state }, i) => {
      const [fieldsError, fields] = replies?.[2 * i] ?? [];
      const [, resultBytes] = replies?.[2 * i + 1] ?? [];
      if (fieldsError) throw fieldsError;
      const job = listedJob(id, fields as Array<string | null>);
      if (!job || isUpcomingOccurrence(job, now)) return;
      views.push({ timestamp: job.timestamp, view: { ...this.view(job, state, cancelRequested.has(id), live(id)), resultBytes: Number(resultBytes) || 0 } });
    });
    return views;
  }

  private view(job: ViewedJob, state: string, cancelRequested: boolean, live?: ProgressSnapshot): Job & { status: JobStatusName } {
    const progress = live ?? (isSnapshot(job.progress) ? job.progress : undefined);
    const status = statusOf(state, progress, job.failedReason, cancelRequested);
    return {
      id: job.id!,
      kind: job.data.kind,
      name: job.data.name,
      schedule: job.data.schedule ?? '',
      owner: job.data.owner ?? '',
      status,
      spec: job.data.spec,
      progress: toJobProgress(progress),
      // A schedule's occurrence was created by the one before it: it counts from its own time.
      createdAtMs: scheduledOccurrence(job.id!, job.repeatJobKey)?.at ?? job.timestamp,
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
