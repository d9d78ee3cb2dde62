import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { taskKindByName } from '../../shared/tasks/registry.js';
import { installStrategyManifests, type StrategyIndex } from '../../shared/tasks/stored-strategies.js';
import type { JobEventLog } from './job-event-log.js';
import type { JobLog, JobLogEntry } from './job-log.js';
import { EndedJobs } from './ended-jobs.js';
import { JobExecution, JobFailure } from './job-execution.js';
import type { QueuedJobData, ProgressSnapshot } from './job-model.js';
import type { NodeTable } from '../nodes/node-table.js';
import type { PartitionDispatcher, PartitionTask } from '../partitions/partition-dispatcher.js';
import { partitionCacheHash, type PartitionLedger } from '../partitions/partition-ledger.js';
import { choosePartitionCount } from '../partitions/partition-planner.js';
import { checkpointRunKey, type CheckpointStore } from '../partitions/checkpoint-store.js';
import { continuedWork, minPartitionsForCheckpoints } from '../../shared/tasks/continuation.js';
import { findPreviousRun, type DatasetLineage } from './previous-run.js';

export class JobCancelled extends Error {}

/** The job's cancellation was requested while it was queued: it ends cancelled without having started. */
export class JobCancelledWhileQueued extends JobCancelled {}

/** This coordinator lost the job's lock (job-lease.ts): it stopped running the job, which another coordinator takes over. */
export class JobFenced extends Error {}

export interface JobRunnerOptions {
  partitionsPerSlot: number;
}

/** Incremental re-runs: where units' checkpoints are kept, and the datasets' lineage to find an earlier job's. */
export interface RunnerContinuation {
  checkpoints: CheckpointStore;
  lineage: DatasetLineage;
}

/**
 * Runs one job inside this coordinator: waits for capable nodes, plans partitions with the
 * task kind, hands them to the dispatcher, and merges the partial results.
 */
export class JobRunner {
  private readonly executions = new Map<string, { execution: JobExecution; cancel: () => void; fence: (reason: string) => void }>();
  /** The jobs that ended here a moment ago, as recorded (the worker fills it; views of their end read it). */
  readonly ended = new EndedJobs();

  constructor(
    private readonly table: NodeTable,
    private readonly dispatcher: PartitionDispatcher,
    readonly hub: JobEventLog,
    private readonly options: JobRunnerOptions,
    private readonly log: Logger,
    private readonly ledger: PartitionLedger,
    /** Every job's log (what its partitions report, what the coordinator decided). */
    readonly jobLog: JobLog,
    /** Where the manifests of the user strategies a job runs come from (to plan and merge it). */
    private readonly strategies?: StrategyIndex,
    private readonly continuation?: RunnerContinuation,
  ) {}

  /** A line about the whole job in its log, from this coordinator. */
  logJob(jobId: string, level: JobLogEntry['level'], message: string): void {
    this.jobLog.append({ jobId, level, source: 'coordinator', message });
  }

  /** Drops a finished job's durable partition records. */
  forget(jobId: string): void {
    this.ledger.forget(jobId).catch((error) => this.log.warn({ job: jobId, err: errorMessage(error) }, 'partition records not deleted'));
  }

  /** Live progress of a job running here, fresher than what is stored in Redis. */
  liveSnapshot(jobId: string): ProgressSnapshot | undefined {
    return this.executions.get(jobId)?.execution.snapshot();
  }

  isRunningHere(jobId: string): boolean {
    return this.executions.has(jobId);
  }

  /** Stops a job running here; false when it does not run here. */
  cancel(jobId: string): boolean {
    const entry = this.executions.get(jobId);
    if (!entry) return false;
    entry.cancel();
    return true;
  }

  /**
   * Fences a job running here whose lock this coordinator lost: its queued partitions are dropped,
   * its running ones cancelled on the agents, and nothing more of it is recorded or published here
   * (its run rejects with JobFenced). False when it does not run here.
   */
  fence(jobId: string, reason: string): boolean {
    const entry = this.executions.get(jobId);
    if (!entry) return false;
    entry.fence(reason);
    return true;
  }

  /**
   * Runs the job to its merged result (JSON). Rejects with JobFailure (a reason for the user),
   * JobCancelled, or JobFenced. `onProgress` gets throttled snapshots to persist. `owned` says
   * whether this coordinator still holds the job's lock (asked before each dispatch and answer);
   * when it says no, the owner calls fence(). `cancelRequested`, asked as the job was taken from
   * the queue, is answered while the job's plan is claimed: the job starts (its STARTED event, and
   * `onStart`) only once it says no, and rejects with JobCancelledWhileQueued when it says yes.
   */
  async run(
    jobId: string,
    data: QueuedJobData,
    onProgress: (snapshot: ProgressSnapshot) => void,
    owned?: () => boolean,
    cancelRequested: Promise<boolean> = Promise.resolve(false),
    onStart?: () => void,
  ): Promise<string> {
    // The spec was validated on submit (job-submission.ts); it runs as stored.
    const kind = taskKindByName(data.kind);
    if (!kind) throw new JobFailure(`unknown task kind "${data.kind}"`);
    if (data.kindSpec === undefined || data.kindSpec === null) throw new JobFailure('queued by an older coordinator without a validated spec: submit the job again');
    const spec: unknown = data.kindSpec;
    const strategyRefs = kind.strategies?.(spec) ?? [];
    try {
      await installStrategyManifests(strategyRefs, this.strategies);
    } catch (error) {
      throw new JobFailure(`the job's strategy is not available: ${errorMessage(error)}`);
    }
    const specJson = JSON.stringify(spec);
    const required = [...new Set([...kind.capabilities, ...data.spec.requiredCapabilities])];
    const cacheable = kind.cacheable && data.noCache !== true;
    let cacheHashes: string[] = [];
    const warn = (what: string) => (error: unknown) => this.log.warn({ job: jobId, err: errorMessage(error) }, what);
    // A job on data its kind can continue along keeps its units' checkpoints (shared/tasks/continuation.ts).
    const continuation = this.continuation && kind.continuation ? { store: this.continuation.checkpoints, kind: kind.continuation } : undefined;
    const checkpointDataset: string | undefined = continuation?.kind.dataset(spec);
    const runKey = continuation && checkpointDataset ? checkpointRunKey(kind.name, kind.version, continuation.kind.lineageKey(spec)) : '';
    const execution = new JobExecution(
      jobId,
      this.hub,
      { jobId, kind: kind.name, specJson, datasetIds: kind.datasets(spec), strategyRefs, requiredCapabilities: required, priority: data.priority, owner: data.owner ?? '', cancelled: false, owned },
      async (index, resultJson, returned) => {
        if (cacheable) this.ledger.cache(cacheHashes[index], resultJson).catch(warn('partition result not cached'));
        // The result is in memory either way: a failed write costs durability (or the next run's
        // checkpoints: those units run in full), not the job. Both are in Redis before the partition counts as done.
        await Promise.all([
          this.ledger.record(jobId, index, resultJson).catch(warn('partition result not recorded')),
          continuation && checkpointDataset && returned ? continuation.store.save(runKey, checkpointDataset, returned.checkpoints).catch(warn('checkpoints not stored')) : undefined,
        ]);
      },
      (entry) => this.jobLog.append(entry),
    );
    let cancelled = false;
    let deadlineReason: string | undefined;
    let wakeWaiter: (() => void) | undefined;
    const cancel = (): void => {
      cancelled = true;
      this.dispatcher.cancelJob(execution.dispatchContext);
      execution.fail('cancelled');
      wakeWaiter?.();
    };
    let fenced = false;
    const fence = (reason: string): void => {
      if (fenced) return;
      fenced = true;
      this.log.warn({ job: jobId, reason }, 'lost the job\'s lock: stopped running it here (another coordinator takes it over)');
      this.dispatcher.cancelJob(execution.dispatchContext);
      execution.fail('fenced');
      wakeWaiter?.();
    };
    this.executions.set(jobId, { execution, cancel, fence });
    const deadlineAt = data.deadlineAt ?? 0;
    let deadlineTimer: NodeJS.Timeout | undefined;
    if (deadlineAt > 0) {
      const expire = (): void => {
        deadlineReason = `deadline exceeded: the job had to finish by ${new Date(deadlineAt).toISOString()}`;
        this.logJob(jobId, 'error', `${deadlineReason}; its partitions are cancelled`);
        this.dispatcher.cancelJob(execution.dispatchContext);
        execution.fail(deadlineReason);
        wakeWaiter?.();
      };
      if (Date.now() >= deadlineAt) expire();
      else deadlineTimer = setTimeout(expire, deadlineAt - Date.now());
    }
    let progressTimer: NodeJS.Timeout | undefined;
    let started = false;
    /** The job starts once its cancel check says it was not cancelled while queued. */
    const start = async (): Promise<void> => {
      if (started) return;
      started = true;
      if (await cancelRequested) throw new JobCancelledWhileQueued();
      onStart?.();
      progressTimer = setInterval(() => {
        if (fenced || (owned && !owned())) return;
        onProgress(execution.snapshot());
        execution.emit('JOB_EVENT_TYPE_PROGRESS');
      }, 500);
      execution.emit('JOB_EVENT_TYPE_STARTED');
    };
    try {
      if (deadlineReason) {
        await start();
        throw new JobFailure(deadlineReason);
      }
      if (this.table.capableNodes(required).length === 0) {
        await start();
        this.log.info({ job: jobId, required }, 'waiting for nodes');
        this.logJob(jobId, 'warn', `waiting for nodes: no ready node with ${required.join(', ')}`);
        onProgress(execution.snapshot());
        execution.emit('JOB_EVENT_TYPE_WAITING_FOR_NODES', { message: `no ready node with ${required.join(', ')}` });
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if (cancelled || fenced || deadlineReason || this.table.capableNodes(required).length > 0) {
              this.table.off('changed', check);
              resolve();
            }
          };
          wakeWaiter = check;
          this.table.on('changed', check);
        });
      }
      if (fenced) throw new JobFenced();
      if (cancelled) throw new JobCancelled();
      if (deadlineReason) throw new JobFailure(deadlineReason);

      let work = kind.measure(spec);
      // An incremental re-run: an identical job on a dataset this one extends left its units'
      // checkpoints (read per partition at dispatch) and maybe work the kind carries over (the
      // walk-forward windows it computed: the partitions skip them, the merge takes them).
      let carriedPartial: unknown;
      let kept: unknown;
      let continuedFrom = '';
      if (continuation && checkpointDataset && data.full !== true) {
        const from = await findPreviousRun(runKey, checkpointDataset, this.continuation!.lineage, continuation.store).catch((error: unknown) => {
          warn('no earlier run looked for: the units run in full')(error);
          return undefined;
        });
        kept = from && continuation.kind.carry ? await continuation.store.carried(runKey, from).catch(warn('carried work not read: the job runs in full')) : undefined;
        if (from) {
          continuedFrom = from;
          // Planned as what it is: each unit simulates only the new bars.
          const [previous, current] = await Promise.all([this.continuation!.lineage.info(from), this.continuation!.lineage.info(checkpointDataset)]).catch(() => [undefined, undefined]);
          if (previous && current) work = continuedWork(work, previous.bars, current.bars);
          execution.dispatchContext.loadCheckpoints = (partition) => continuation.store.load(runKey, from, continuation.kind.units(partition));
        }
      }
      const totalSlots = this.table.capableNodes(required).reduce((sum, node) => sum + node.slots, 0);
      const count = choosePartitionCount({
        work,
        totalSlots,
        partitionsPerSlot: this.options.partitionsPerSlot,
        maxPartitions: data.spec.maxPartitions,
        // Small enough partitions for their checkpoints to fit in a message each way.
        minPartitions: checkpointDataset ? minPartitionsForCheckpoints(work.units) : 1,
      });
      // A job taken over from another coordinator keeps its plan and the results recorded so far.
      // Claimed while the cancel check is answered (a cancelled job's plan goes with its records).
      const planning = this.ledger.plan(jobId, () => kind.plan(spec, { partitions: count }));
      planning.catch(() => undefined);
      await start();
      const { partitions: planned, resumed } = await planning;
      const carry = continuation?.kind.carry;
      let partitions = planned;
      if (carry && kept !== undefined) {
        partitions = planned.map((partition) => carry.resume(spec, partition, kept));
        carriedPartial = carry.partial(spec, kept);
      }
      const known = new Map<number, { index: number; resultJson: string; how: 'recovered' | 'reused' }>();
      if (resumed) for (const [index, resultJson] of await this.ledger.recorded(jobId)) known.set(index, { index, resultJson, how: 'recovered' });
      if (cacheable) {
        // A resumed partition (one that skips carried work) is its own cache entry: it answers differently.
        cacheHashes = partitions.map((partition) => partitionCacheHash(kind.name, kind.version, specJson, JSON.stringify(partition)));
        const missing = partitions.map((_, index) => index).filter((index) => !known.has(index));
        const hits = await this.ledger.cached(missing.map((index) => cacheHashes[index]));
        hits.forEach((resultJson, i) => {
          if (resultJson === null) return;
          known.set(missing[i], { index: missing[i], resultJson, how: 'reused' });
          this.ledger.record(jobId, missing[i], resultJson).catch(warn('partition result not recorded'));
        });
      }
      // Said only of a job that computes something (one answered from the cache continues nothing).
      if (known.size < partitions.length || carriedPartial !== undefined) execution.continuedFrom = continuedFrom;
      execution.begin(partitions.length, [...known.values()]);
      onProgress(execution.snapshot());
      const reused = [...known.values()].filter((entry) => entry.how === 'reused').length;
      this.log.info({ job: jobId, kind: kind.name, partitions: partitions.length, totalSlots, resumed, recovered: known.size - reused, reused, continuedFrom: execution.continuedFrom || undefined }, 'job planned');
      this.logJob(
        jobId,
        'info',
        `${resumed ? 'took the job over, keeping its plan' : 'planned'}: ${partitions.length} partition${partitions.length === 1 ? '' : 's'} for ${totalSlots} slot${totalSlots === 1 ? '' : 's'}` +
          (known.size > 0 ? ` (${known.size - reused} already recorded, ${reused} from the partition result cache)` : ''),
      );

      const context = execution.dispatchContext;
      const tasks: PartitionTask[] = [];
      partitions.forEach((partition, index) => {
        if (!known.has(index)) tasks.push({ job: context, index, partition, attempts: 0, running: undefined, settled: false });
      });
      if (fenced || (owned && !owned())) throw new JobFenced();
      this.dispatcher.submit(tasks);
      await execution.outcome;
      if (fenced) throw new JobFenced();
      if (cancelled) throw new JobCancelled();

      execution.phase = 'merging';
      onProgress(execution.snapshot());
      const partials = carriedPartial === undefined ? execution.partials : [...execution.partials, carriedPartial];
      const result = kind.merge(spec, partials);
      if (continuation && checkpointDataset && continuation.kind.carry) {
        // What the next run on a dataset extending this one carries over (kept as long as the checkpoints).
        const kept = continuation.kind.carry.keep(spec, partials);
        if (kept !== undefined) await continuation.store.carry(runKey, checkpointDataset, kept).catch(warn('carried work not stored'));
      }
      if (fenced || (owned && !owned())) throw new JobFenced();
      return JSON.stringify(result);
    } catch (error) {
      if (fenced) throw new JobFenced();
      if (error instanceof JobCancelledWhileQueued) throw error;
      if (cancelled) throw new JobCancelled();
      if (deadlineReason) throw new JobFailure(deadlineReason);
      if (error instanceof JobFailure) {
        // One partition failed for good: stop the others rather than waste the cluster on them.
        this.dispatcher.cancelJob(execution.dispatchContext);
      }
      throw error;
    } finally {
      if (progressTimer) clearInterval(progressTimer);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      this.executions.delete(jobId);
    }
  }
}
