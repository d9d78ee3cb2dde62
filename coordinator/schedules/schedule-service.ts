import type { Job as BullJob } from 'bullmq';
import { AlreadyExists, errorMessage, NotFound, ValidationError } from '../../shared/errors.js';
import { quoteInput } from '../../shared/quote-input.js';
import type { AddScheduleRequest__Output } from '../../shared/generated/quantgrid/v1/AddScheduleRequest.js';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import type { Schedule } from '../../shared/generated/quantgrid/v1/Schedule.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { Logger } from '../../shared/logging.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import { validateSubmission } from '../jobs/job-submission.js';
import type { StrategyIndex } from '../../shared/tasks/stored-strategies.js';
import type { FinishedOutcome, JobHooks } from '../jobs/job-hooks.js';
import type { DatasetIndex } from '../../shared/tasks/stored-datasets.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import type { JobStatusName, QueuedJobData } from '../jobs/job-model.js';
import type { JobStore } from '../jobs/job-store.js';
import {
  checkCron,
  checkGraceSeconds,
  checkMissedPolicy,
  checkScheduleName,
  checkTimeZone,
  DEFAULT_MIN_SCHEDULE_INTERVAL_MS,
  shouldSkip,
  type ScheduleDefinition,
  type StoredSchedule,
} from './schedule-model.js';
import type { ScheduleStore } from './schedule-store.js';
import { scheduledOccurrence } from '../jobs/scheduled-occurrence.js';

export class ScheduleNotFound extends NotFound {
  constructor(name: string) {
    super('schedule', name);
  }
}

export class ScheduleExists extends AlreadyExists {
  constructor(name: string) {
    super(`schedule ${quoteInput(name)} exists already (remove it first to replace it)`);
  }
}

const OUTCOME_STATUS: Record<FinishedOutcome, JobStatusName> = {
  completed: 'JOB_STATUS_COMPLETED',
  failed: 'JOB_STATUS_FAILED',
  cancelled: 'JOB_STATUS_CANCELLED',
};

/**
 * The job data of one run of a template, with the run's own times: a deadline counts from the run's
 * start (none before it is known: a scheduler's template gets its deadline when an occurrence starts).
 */
function runData(template: QueuedJobData, request: SubmitJobRequest__Output, schedule: string, submittedAt: number, startAt?: number): QueuedJobData {
  const data: QueuedJobData = { ...template, schedule, submittedAt };
  delete data.requestId;
  delete data.deadlineAt;
  if (startAt !== undefined && request.deadlineSeconds > 0) data.deadlineAt = startAt + request.deadlineSeconds * 1000;
  return data;
}

/**
 * Schedules: definitions in the ScheduleStore, firing by BullMQ job schedulers on the jobs queue (one
 * per unpaused schedule, id = the schedule's name). BullMQ keeps one delayed job per scheduler, for
 * its next occurrence; the worker that takes it adds the following one, atomically, so each
 * occurrence becomes one job whichever coordinator takes it. An occurrence whose time passed while no
 * coordinator ran is taken late, once, when one comes back (the one catch-up run of `run-once`);
 * under `skip` the worker hook drops it if it starts more than the grace period late.
 */
export class ScheduleService {
  /** Jobs of skipped occurrences, removed from the queue once BullMQ has finished them. */
  private readonly skipped = new Set<string>();

  constructor(
    private readonly jobs: JobStore,
    private readonly schedules: ScheduleStore,
    private readonly datasets: DatasetIndex,
    private readonly limits: SpecLimits,
    private readonly log: Logger,
    /** Shortest gap allowed between two occurrences of a cron (checkCron). */
    private readonly minIntervalMs = DEFAULT_MIN_SCHEDULE_INTERVAL_MS,
    /** Where a template's user strategy is resolved (at each firing: NAME means the version latest then). */
    private readonly strategies?: StrategyIndex,
  ) {}

  /**
   * The job data a template gives, checked as SubmitJob checks a submission (errors name
   * template.<field>). The template itself is kept as given: a dataset named by its tag is resolved
   * in the job data only, so each occurrence runs on the version the tag points at when it fires.
   */
  private async checkTemplate(name: string, request: SubmitJobRequest__Output | null): Promise<{ request: SubmitJobRequest__Output; data: QueuedJobData }> {
    if (!request) throw new ValidationError('template', 'is required (the job each occurrence submits)');
    const template: SubmitJobRequest__Output = { ...request, name: request.name.trim() || name, requestId: '' };
    try {
      return { request: template, data: await validateSubmission(structuredClone(template), this.limits, this.datasets, this.strategies) };
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(`template.${error.field}`, error.reason);
      throw error;
    }
  }

  private async startScheduler(definition: ScheduleDefinition): Promise<void> {
    const { data } = await this.checkTemplate(definition.name, definition.template);
    const now = Date.now();
    await this.jobs.queue.upsertJobScheduler(
      definition.name,
      { pattern: definition.cron, tz: definition.tz },
      {
        name: 'job',
        data: runData({ ...data, owner: definition.owner }, definition.template, definition.name, now),
        opts: this.jobs.jobOptions(data.priority),
      },
    );
  }

  /** The user who added the schedule; NotFound for an unknown name. */
  async ownerOf(name: string): Promise<string> {
    return (await this.find(name)).definition.owner;
  }

  async add(request: AddScheduleRequest__Output, owner: string): Promise<Schedule> {
    const name = checkScheduleName(request.name);
    const tz = checkTimeZone(request.tz);
    const definition: ScheduleDefinition = {
      name,
      cron: checkCron(request.cron, tz, this.minIntervalMs),
      tz,
      missed: checkMissedPolicy(request.missed),
      graceSeconds: checkGraceSeconds(request.graceSeconds),
      paused: false,
      createdAt: Date.now(),
      template: (await this.checkTemplate(name, request.template)).request,
      owner,
    };
    if (!(await this.schedules.add(definition))) throw new ScheduleExists(name);
    try {
      await this.startScheduler(definition);
    } catch (error) {
      await this.schedules.remove(name).catch(() => undefined);
      throw error;
    }
    this.log.info({ schedule: name, cron: definition.cron, tz, missed: definition.missed }, 'schedule added');
    return this.describe({ definition, lastRun: undefined });
  }

  /** Every schedule's name and template (what `data rm` and the dataset retention look at). */
  async templates(): Promise<Array<{ name: string; template: SubmitJobRequest__Output }>> {
    return (await this.schedules.list()).map(({ definition }) => ({ name: definition.name, template: definition.template }));
  }

  async list(): Promise<Schedule[]> {
    const nextRuns = new Map((await this.jobs.queue.getJobSchedulers()).map((scheduler) => [scheduler.key, scheduler.next ?? 0]));
    const stored = await this.schedules.list();
    return Promise.all(stored.map((schedule) => this.describe(schedule, nextRuns.get(schedule.definition.name) ?? 0)));
  }

  private async find(name: string): Promise<StoredSchedule> {
    const stored = await this.schedules.get(name);
    if (!stored) throw new ScheduleNotFound(name);
    return stored;
  }

  async remove(name: string): Promise<Schedule> {
    const stored = await this.find(name);
    // Definition first: an occurrence already queued then finds no schedule and does not run.
    if (!(await this.schedules.remove(name))) throw new ScheduleNotFound(name);
    await this.jobs.queue.removeJobScheduler(name);
    this.log.info({ schedule: name }, 'schedule removed');
    return this.describe(stored);
  }

  async pause(name: string): Promise<Schedule> {
    if (!(await this.schedules.setPaused(name, true))) throw new ScheduleNotFound(name);
    await this.jobs.queue.removeJobScheduler(name);
    this.log.info({ schedule: name }, 'schedule paused');
    return this.describe(await this.find(name));
  }

  async resume(name: string): Promise<Schedule> {
    if (!(await this.schedules.setPaused(name, false))) throw new ScheduleNotFound(name);
    const stored = await this.find(name);
    await this.startScheduler(stored.definition);
    this.log.info({ schedule: name }, 'schedule resumed');
    return this.describe(stored, await this.nextRun(name));
  }

  /** Submits a job from the template now, paused or not. */
  async runNow(name: string): Promise<{ jobId: string; job: Job }> {
    const { definition } = await this.find(name);
    const { data } = await this.checkTemplate(name, definition.template);
    const now = Date.now();
    const { jobId } = await this.jobs.submit(runData({ ...data, owner: definition.owner }, definition.template, name, now, now));
    await this.schedules.recordStart(name, { jobId, scheduledAt: now, status: 'JOB_STATUS_QUEUED', skipped: false, reason: '', manual: true });
    this.log.info({ schedule: name, job: jobId }, 'schedule run now');
    const job = await this.jobs.get(jobId);
    return { jobId, job: job ? await this.jobs.describe(job) : ({ id: jobId } as Job) };
  }

  /**
   * Makes the BullMQ schedulers agree with the definitions (after a coordinator died between the two
   * writes of add, pause, resume or rm). Schedulers are read before definitions so that an operation
   * running meanwhile on another coordinator is never undone. Existing schedulers are left alone:
   * upserting one would drop an occurrence waiting to be caught up.
   */
  async reconcile(): Promise<void> {
    const running = new Set((await this.jobs.queue.getJobSchedulers()).map((scheduler) => scheduler.key));
    const stored = await this.schedules.list();
    const wanted = new Set(stored.filter((schedule) => !schedule.definition.paused).map((schedule) => schedule.definition.name));
    for (const schedule of stored) {
      if (!schedule.definition.paused && !running.has(schedule.definition.name)) {
        this.log.info({ schedule: schedule.definition.name }, 'starting the job scheduler of a schedule');
        await this.startScheduler(schedule.definition).catch((error) =>
          this.log.warn({ schedule: schedule.definition.name, err: errorMessage(error) }, 'schedule not started'),
        );
      }
    }
    for (const name of running) {
      if (!wanted.has(name)) {
        this.log.info({ schedule: name }, 'removing the job scheduler of a removed or paused schedule');
        await this.jobs.queue.removeJobScheduler(name);
      }
    }
  }

  private async nextRun(name: string): Promise<number> {
    return (await this.jobs.queue.getJobScheduler(name))?.next ?? 0;
  }

  /** The API view; the last run's status is read from its job while the job is not finished. */
  private async describe({ definition, lastRun }: StoredSchedule, nextRunMs?: number): Promise<Schedule> {
    let last = lastRun;
    if (last && last.jobId && !isTerminalStatus(last.status)) {
      const job = await this.jobs.get(last.jobId);
      if (job) last = { ...last, status: (await this.jobs.describe(job)).status };
    }
    return {
      name: definition.name,
      cron: definition.cron,
      tz: definition.tz,
      missed: definition.missed,
      graceSeconds: definition.graceSeconds,
      paused: definition.paused,
      template: definition.template,
      createdAtMs: definition.createdAt,
      owner: definition.owner,
      nextRunMs: definition.paused ? 0 : (nextRunMs ?? (await this.nextRun(definition.name))),
      lastRun: last && {
        jobId: last.jobId,
        scheduledAtMs: last.scheduledAt,
        status: last.status || 'JOB_STATUS_UNSPECIFIED',
        skipped: last.skipped,
        reason: last.reason,
        manual: last.manual,
      },
    };
  }

  readonly hooks: JobHooks = {
    beforeRun: async (job) => {
      try {
        return await this.beforeRun(job);
      } catch (error) {
        // Better a run too many than a nightly run lost to a Redis hiccup.
        this.log.warn({ job: job.id, schedule: job.data.schedule, err: errorMessage(error) }, 'schedule check failed; running the job');
        return true;
      }
    },
    finished: (job, outcome, reason) => {
      const name = job.data.schedule;
      if (!name) return;
      if (this.skipped.delete(job.id!)) {
        job.remove().catch((error) => this.log.warn({ job: job.id, err: errorMessage(error) }, 'skipped occurrence not removed'));
        return;
      }
      this.schedules
        .recordFinish(name, job.id!, OUTCOME_STATUS[outcome], outcome === 'completed' ? '' : reason)
        .catch((error) => this.log.warn({ schedule: name, job: job.id, err: errorMessage(error) }, 'schedule run outcome not recorded'));
    },
  };

  private async beforeRun(job: BullJob<QueuedJobData, string>): Promise<boolean> {
    const name = job.data.schedule;
    // Only a first start decides: a job taken over from a coordinator that died has started already.
    if (!name || job.attemptsStarted > 1) return true;
    const occurrence = scheduledOccurrence(job.id!, job.repeatJobKey);
    if (!occurrence) return true; // run-now: runs whatever the schedule's state
    const stored = await this.schedules.get(name);
    if (!stored || stored.definition.paused) {
      // Queued just before rm or pause took the scheduler away.
      this.log.info({ schedule: name, job: job.id }, 'occurrence of a removed or paused schedule: not run');
      this.skipped.add(job.id!);
      return false;
    }
    const now = Date.now();
    if (shouldSkip(stored.definition, occurrence.at, now)) {
      const lateSeconds = Math.round((now - occurrence.at) / 1000);
      const reason = `missed: no coordinator took it until ${lateSeconds} s after its time, more than the ${stored.definition.graceSeconds} s grace (policy skip)`;
      this.log.info({ schedule: name, job: job.id, scheduledAt: new Date(occurrence.at).toISOString() }, 'missed occurrence skipped');
      await this.schedules.recordStart(name, { jobId: '', scheduledAt: occurrence.at, status: '', skipped: true, reason, manual: false });
      this.skipped.add(job.id!);
      return false;
    }
    // Checked again now: a dataset named by a tag runs on the version the tag points at today.
    let fresh: QueuedJobData;
    try {
      fresh = (await this.checkTemplate(name, stored.definition.template)).data;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const reason = `the template no longer validates: ${error.message}`;
      this.log.warn({ schedule: name, job: job.id, err: error.message }, 'occurrence not run');
      await this.schedules.recordStart(name, { jobId: '', scheduledAt: occurrence.at, status: '', skipped: true, reason, manual: false });
      this.skipped.add(job.id!);
      return false;
    }
    await job.updateData(runData({ ...fresh, owner: job.data.owner }, stored.definition.template, name, occurrence.at, now));
    await this.schedules.recordStart(name, { jobId: job.id!, scheduledAt: occurrence.at, status: 'JOB_STATUS_RUNNING', skipped: false, reason: '', manual: false });
    if (now - occurrence.at > stored.definition.graceSeconds * 1000) {
      this.log.info({ schedule: name, job: job.id, lateMs: now - occurrence.at }, 'missed occurrence run late (catch-up)');
    }
    return true;
  }
}
