import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { taskKindByName } from '../../shared/tasks/registry.js';
import { installStrategyManifests, type StrategyIndex } from '../../shared/tasks/stored-strategies.js';
import type { JobEventLog } from './job-event-log.js';
import type { JobLog, JobLogEntry } from './job-log.js';
import { JobExecution, JobFailure } from './job-execution.js';
import type { QueuedJobData, ProgressSnapshot } from './job-model.js';
import type { NodeTable } from '../nodes/node-table.js';
import type { PartitionDispatcher, PartitionTask } from '../partitions/partition-dispatcher.js';
import { partitionCacheHash, type PartitionLedger } from '../partitions/partition-ledger.js';
import { choosePartitionCount } from '../partitions/partition-planner.js';

export class JobCancelled extends Error {}

export interface JobRunnerOptions {
  partitionsPerSlot: number;
}

/**
 * Runs one job inside this coordinator: waits for capable nodes, plans partitions with the
 * task kind, hands them to the dispatcher, and merges the partial results.
 */
export class JobRunner {
  private readonly executions = new Map<string, { execution: JobExecution; cancel: () => void }>();

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
   * Runs the job to its merged result (JSON). Rejects with JobFailure (a reason for the user)
   * or JobCancelled. `onProgress` gets throttled snapshots to persist.
   */
  async run(jobId: string, data: QueuedJobData, onProgress: (snapshot: ProgressSnapshot) => void): Promise<string> {
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
    const execution = new JobExecution(
      jobId,
      this.hub,
      { jobId, kind: kind.name, specJson, datasetIds: kind.datasets(spec), strategyRefs, requiredCapabilities: required, priority: data.priority, owner: data.owner ?? '', cancelled: false },
      async (index, resultJson) => {
        if (cacheable) this.ledger.cache(cacheHashes[index], resultJson).catch(warn('partition result not cached'));
        // The result is in memory either way: a failed write costs durability, not the job.
        await this.ledger.record(jobId, index, resultJson).catch(warn('partition result not recorded'));
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
    this.executions.set(jobId, { execution, cancel });
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
    const progressTimer = setInterval(() => {
      onProgress(execution.snapshot());
      execution.emit('JOB_EVENT_TYPE_PROGRESS');
    }, 500);
    try {
      execution.emit('JOB_EVENT_TYPE_STARTED');
      if (deadlineReason) throw new JobFailure(deadlineReason);
      if (this.table.capableNodes(required).length === 0) {
        this.log.info({ job: jobId, required }, 'waiting for nodes');
        this.logJob(jobId, 'warn', `waiting for nodes: no ready node with ${required.join(', ')}`);
        onProgress(execution.snapshot());
        execution.emit('JOB_EVENT_TYPE_WAITING_FOR_NODES', { message: `no ready node with ${required.join(', ')}` });
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if (cancelled || deadlineReason || this.table.capableNodes(required).length > 0) {
              this.table.off('changed', check);
              resolve();
            }
          };
          wakeWaiter = check;
          this.table.on('changed', check);
        });
      }
      if (cancelled) throw new JobCancelled();
      if (deadlineReason) throw new JobFailure(deadlineReason);

      const totalSlots = this.table.capableNodes(required).reduce((sum, node) => sum + node.slots, 0);
      const count = choosePartitionCount({
        work: kind.measure(spec),
        totalSlots,
        partitionsPerSlot: this.options.partitionsPerSlot,
        maxPartitions: data.spec.maxPartitions,
      });
      // A job taken over from another coordinator keeps its plan and the results recorded so far.
      const { partitions, resumed } = await this.ledger.plan(jobId, () => kind.plan(spec, { partitions: count }));
      const known = new Map<number, { index: number; resultJson: string; how: 'recovered' | 'reused' }>();
      if (resumed) for (const [index, resultJson] of await this.ledger.recorded(jobId)) known.set(index, { index, resultJson, how: 'recovered' });
      if (cacheable) {
        cacheHashes = partitions.map((partition) => partitionCacheHash(kind.name, kind.version, specJson, JSON.stringify(partition)));
        const missing = partitions.map((_, index) => index).filter((index) => !known.has(index));
        const hits = await this.ledger.cached(missing.map((index) => cacheHashes[index]));
        hits.forEach((resultJson, i) => {
          if (resultJson === null) return;
          known.set(missing[i], { index: missing[i], resultJson, how: 'reused' });
          this.ledger.record(jobId, missing[i], resultJson).catch(warn('partition result not recorded'));
        });
      }
      execution.begin(partitions.length, [...known.values()]);
      onProgress(execution.snapshot());
      const reused = [...known.values()].filter((entry) => entry.how === 'reused').length;
      this.log.info({ job: jobId, kind: kind.name, partitions: partitions.length, totalSlots, resumed, recovered: known.size - reused, reused }, 'job planned');
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
      this.dispatcher.submit(tasks);
      await execution.outcome;
      if (cancelled) throw new JobCancelled();

      execution.phase = 'merging';
      onProgress(execution.snapshot());
      const result = kind.merge(spec, execution.partials);
      return JSON.stringify(result);
    } catch (error) {
      if (cancelled) throw new JobCancelled();
      if (deadlineReason) throw new JobFailure(deadlineReason);
      if (error instanceof JobFailure) {
        // One partition failed for good: stop the others rather than waste the cluster on them.
        this.dispatcher.cancelJob(execution.dispatchContext);
      }
      throw error;
    } finally {
      clearInterval(progressTimer);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      this.executions.delete(jobId);
    }
  }
}
