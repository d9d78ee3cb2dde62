import type { Logger } from '../shared/logging.js';
import { selectTaskKind } from '../shared/tasks/registry.js';
import type { SpecLimits } from '../shared/tasks/task-kind.js';
import { JobEventHub } from './job-event-hub.js';
import { JobExecution, JobFailure } from './job-execution.js';
import type { QueuedJobData, ProgressSnapshot } from './job-model.js';
import type { NodeTable } from './node-table.js';
import type { PartitionDispatcher, PartitionTask } from './partition-dispatcher.js';
import { choosePartitionCount } from './partition-planner.js';

export class JobCancelled extends Error {}

export interface JobRunnerOptions {
  limits: SpecLimits;
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
    readonly hub: JobEventHub,
    private readonly options: JobRunnerOptions,
    private readonly log: Logger,
  ) {}

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
    const { kind, raw } = selectTaskKind(data.spec as never);
    const spec = kind.validate(raw, this.options.limits);
    const required = [...new Set([...kind.capabilities, ...data.spec.requiredCapabilities])];
    const execution = new JobExecution(jobId, this.hub, {
      jobId,
      kind: kind.name,
      specJson: JSON.stringify(spec),
      requiredCapabilities: required,
      priority: data.priority,
      cancelled: false,
    });
    let cancelled = false;
    let wakeWaiter: (() => void) | undefined;
    const cancel = (): void => {
      cancelled = true;
      this.dispatcher.cancelJob(execution.dispatchContext);
      execution.fail('cancelled');
      wakeWaiter?.();
    };
    this.executions.set(jobId, { execution, cancel });
    const progressTimer = setInterval(() => {
      onProgress(execution.snapshot());
      execution.emit('JOB_EVENT_TYPE_PROGRESS');
    }, 500);
    try {
      execution.emit('JOB_EVENT_TYPE_STARTED');
      if (this.table.capableNodes(required).length === 0) {
        this.log.info({ job: jobId, required }, 'waiting for nodes');
        onProgress(execution.snapshot());
        execution.emit('JOB_EVENT_TYPE_WAITING_FOR_NODES', { message: `no ready node with ${required.join(', ')}` });
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if (cancelled || this.table.capableNodes(required).length > 0) {
              this.table.off('changed', check);
              resolve();
            }
          };
          wakeWaiter = check;
          this.table.on('changed', check);
        });
      }
      if (cancelled) throw new JobCancelled();

      const totalSlots = this.table.capableNodes(required).reduce((sum, node) => sum + node.slots, 0);
      const count = choosePartitionCount({
        work: kind.measure(spec),
        totalSlots,
        partitionsPerSlot: this.options.partitionsPerSlot,
        maxPartitions: data.spec.maxPartitions,
      });
      const partitions = kind.plan(spec, { partitions: count });
      execution.begin(partitions.length);
      onProgress(execution.snapshot());
      this.log.info({ job: jobId, kind: kind.name, partitions: partitions.length, totalSlots }, 'job planned');

      const context = execution.dispatchContext;
      const tasks: PartitionTask[] = partitions.map((partition, index) => ({
        job: context,
        index,
        partition,
        attempts: 0,
        running: undefined,
        settled: false,
      }));
      this.dispatcher.submit(tasks);
      await execution.outcome;
      if (cancelled) throw new JobCancelled();

      execution.phase = 'merging';
      onProgress(execution.snapshot());
      const result = kind.merge(spec, execution.partials);
      return JSON.stringify(result);
    } catch (error) {
      if (cancelled) throw new JobCancelled();
      if (error instanceof JobFailure) {
        // One partition failed for good: stop the others rather than waste the cluster on them.
        this.dispatcher.cancelJob(execution.dispatchContext);
      }
      throw error;
    } finally {
      clearInterval(progressTimer);
      this.executions.delete(jobId);
    }
  }
}
