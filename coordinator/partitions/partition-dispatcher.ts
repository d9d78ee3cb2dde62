import * as grpc from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { PartitionEvent__Output } from '../../shared/generated/quantgrid/v1/PartitionEvent.js';
import type { Logger } from '../../shared/logging.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';
import type { NodeRecord, NodeTable } from '../nodes/node-table.js';
import { RUN_PARTITION_METHOD } from '../../shared/grpc/node-agent-methods.js';
import { FairShareQueue } from './fair-share-queue.js';
import { errorMessage } from '../../shared/errors.js';
import { NO_WORK, type PartitionWork, type UnitCheckpoint } from '../../shared/tasks/continuation.js';

/** What an agent returned beside the result, for a job that keeps checkpoints (shared/tasks/continuation.ts). */
export interface PartitionContinuation {
  checkpoints: UnitCheckpoint[];
  work: PartitionWork;
}

/** The job-side receiver of a partition's fate. One per job, shared by its partitions. */
export interface PartitionListener {
  started(task: PartitionTask, node: NodeRecord, attempt: number): void;
  /** The attempt started on this node is over, whatever its outcome (always before the calls below). */
  ended(task: PartitionTask, node: NodeRecord): void;
  progressed(task: PartitionTask, fraction: number): void;
  retried(task: PartitionTask, node: NodeRecord, attempt: number, cause: string): void;
  finished(task: PartitionTask, resultJson: string, node: NodeRecord, attempt: number, continuation?: PartitionContinuation): void;
  /** The partition cannot succeed: a deterministic error, or attempts used up. */
  failed(task: PartitionTask, cause: string): void;
}

export interface JobDispatchContext {
  jobId: string;
  kind: string;
  specJson: string;
  /** The stored datasets the spec reads (its kind's datasets(spec)), sent so agents need not read the spec. */
  datasetIds: readonly string[];
  /** The user strategies (NAME@ID) the spec runs (its kind's strategies(spec)), fetched by agents like datasets. */
  strategyRefs?: readonly string[];
  requiredCapabilities: readonly string[];
  priority: number;
  /** The user the job runs as: free slots go to users in turn (FairShareQueue). */
  owner: string;
  listener: PartitionListener;
  cancelled: boolean;
  /**
   * Incremental re-runs: reads the checkpoints an earlier job left for the partition's units, sent
   * with it (a slot of the chosen node is held meanwhile). A failed read sends none: the units run in full.
   */
  loadCheckpoints?: (partition: unknown) => Promise<UnitCheckpoint[]>;
}

export interface PartitionTask {
  job: JobDispatchContext;
  index: number;
  /** The partition as the task kind planned it; serialised only when sent. */
  partition: unknown;
  /** Dispatches so far, the running one included. */
  attempts: number;
  /** Nodes where this partition failed; created on the first failure (most partitions never fail). */
  excluded?: Set<string>;
  running: RunningAttempt | undefined;
  settled: boolean;
}

interface RunningAttempt {
  node: NodeRecord;
  attempt: number;
  call: ClientReadableStream<PartitionEvent__Output>;
  lastMessageAt: number;
}

export interface DispatcherOptions {
  maxAttempts: number;
  heartbeatTimeoutMs: number;
  heartbeatMs: number;
  /** host:port agents fetch stored datasets from (RunPartitionRequest.dataset_source). */
  datasetSource?: () => string;
}

/** The checkpoints and work counts of a result, when the agent sent them (a job that keeps checkpoints). */
function continuationOf(result: NonNullable<PartitionEvent__Output['result']>): PartitionContinuation | undefined {
  if (!result.work) return undefined;
  return {
    checkpoints: result.checkpoints.map((checkpoint) => ({ unit: checkpoint.unit, data: checkpoint.data })),
    work: { ...NO_WORK, ...result.work },
  };
}

/** Agent-side refusals that say nothing about the partition or the node's health. */
const REFUSALS = new Set(['NO_FREE_SLOT', 'DRAINING']);

const NO_NODES: ReadonlySet<string> = new Set();

/**
 * Places partitions of all jobs on the best nodes with free slots, watches each attempt's
 * stream, and retries a partition elsewhere when its node fails. A partition settles once:
 * a late answer from an attempt given up on is ignored.
 */
export class PartitionDispatcher {
  private readonly queue = new FairShareQueue<PartitionTask>();
  private readonly running = new Set<PartitionTask>();
  private pumpScheduled = false;
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly table: NodeTable,
    private readonly options: DispatcherOptions,
    private readonly log: Logger,
  ) {
    table.on('changed', () => this.schedulePump());
    this.watchdog = setInterval(() => this.checkHeartbeats(), Math.max(50, Math.floor(options.heartbeatTimeoutMs / 5)));
    this.watchdog.unref();
  }

  get queuedCount(): number {
    return this.queue.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  submit(tasks: readonly PartitionTask[]): void {
    for (const task of tasks) this.queue.push(task, task.job.priority, task.job.owner);
    this.schedulePump();
  }

  /** Stops every running attempt of the job (the agents stop their workers) and drops its queued partitions. */
  cancelJob(job: JobDispatchContext): void {
    job.cancelled = true;
    for (const task of [...this.running]) {
      if (task.job === job) this.abandon(task);
    }
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Assigns queued partitions to free slots: users in turn, each user's highest priority first. */
  private pump(): void {
    const blocked: Array<{ item: PartitionTask; priority: number; user: string }> = [];
    // A partition nobody can take now (all its capable nodes busy or excluded) must not stall
    // the ones behind it; but scanning the whole queue on every pump would cost O(queue).
    const scanLimit = 256;
    while (this.queue.size > 0 && blocked.length < scanLimit) {
      const entry = this.queue.shift()!;
      const task = entry.item;
      if (task.job.cancelled || task.settled) continue;
      const node = this.table.pickNode(task.job.requiredCapabilities, task.excluded ?? NO_NODES, task.job.kind);
      if (!node) {
        blocked.push(entry);
        // Nothing has a free slot at all: stop scanning.
        if (!this.anyFreeSlot()) break;
        continue;
      }
      this.start(task, node);
    }
    for (let i = blocked.length - 1; i >= 0; i--) this.queue.unshift(blocked[i].item, blocked[i].priority, blocked[i].user);
  }

  private anyFreeSlot(): boolean {
    for (const node of this.table.all()) {
      if (node.busySlots < node.slots && this.table.stateOf(node) === 'ready') return true;
    }
    return false;
  }

  private start(task: PartitionTask, node: NodeRecord): void {
    task.attempts += 1;
    const attempt = task.attempts;
    this.table.acquireSlot(node);
    const load = task.job.loadCheckpoints;
    if (!load) {
      this.call(task, node, attempt, []);
      return;
    }
    // Read only now, for one partition at a time per slot: a job's checkpoints are never all in memory.
    load(task.partition)
      .catch((error: unknown) => {
        this.log.warn({ job: task.job.jobId, partition: task.index, err: errorMessage(error) }, 'checkpoints not read: the units run in full');
        return [];
      })
      .then((checkpoints) => {
        if (task.job.cancelled || task.settled || this.closed) {
          this.table.releaseSlot(node);
          this.schedulePump();
          return;
        }
        try {
          this.call(task, node, attempt, checkpoints);
        } catch (error) {
          this.table.releaseSlot(node);
          this.retry(task, node, `dispatch failed: ${errorMessage(error)}`);
        }
      });
  }

  private call(task: PartitionTask, node: NodeRecord, attempt: number, checkpoints: UnitCheckpoint[]): void {
    const call = node.client.runPartition({
      jobId: task.job.jobId,
      partition: task.index,
      attempt,
      kind: task.job.kind,
      specJson: task.job.specJson,
      partitionJson: JSON.stringify(task.partition),
      coordinatorVersion: QUANTGRID_VERSION,
      heartbeatMs: this.options.heartbeatMs,
      datasetSource: this.options.datasetSource?.() ?? '',
      datasetIds: [...task.job.datasetIds],
      strategyRefs: [...(task.job.strategyRefs ?? [])],
      checkpoints,
    }, node.signer?.metadata(RUN_PARTITION_METHOD) ?? new grpc.Metadata());
    const run: RunningAttempt = { node, attempt, call, lastMessageAt: Date.now() };
    task.running = run;
    this.running.add(task);
    task.job.listener.started(task, node, attempt);

    call.on('data', (event: PartitionEvent__Output) => {
      if (task.running !== run) return;
      run.lastMessageAt = Date.now();
      switch (event.event) {
        case 'result':
          this.finishAttempt(task, run);
          task.settled = true;
          this.table.recordSuccess(node);
          task.job.listener.finished(task, event.result!.resultJson, node, attempt, continuationOf(event.result!));
          return;
        case 'error': {
          const error = event.error!;
          this.finishAttempt(task, run);
          if (REFUSALS.has(error.code)) {
            // Not the partition's fault nor a failure of the node: try again without using an attempt.
            task.attempts -= 1;
            if (error.code === 'DRAINING') node.draining = true;
            this.requeue(task);
          } else if (error.deterministic) {
            task.settled = true;
            task.job.listener.failed(task, `${error.code}: ${error.message}`);
          } else {
            this.table.recordFailure(node, false);
            this.retry(task, node, `${error.code}: ${error.message}`);
          }
          return;
        }
        case 'progress':
          task.job.listener.progressed(task, event.progress!.fraction);
          return;
        default:
          return; // heartbeat: lastMessageAt already updated
      }
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (task.running !== run) return;
      this.finishAttempt(task, run);
      const unreachable = error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED;
      this.table.recordFailure(node, unreachable);
      this.retry(task, node, `stream failed: ${error.details || error.message}`);
    });
    call.on('end', () => {
      if (task.running !== run) return;
      this.finishAttempt(task, run);
      this.table.recordFailure(node, false);
      this.retry(task, node, 'stream ended without a result');
    });
  }

  private finishAttempt(task: PartitionTask, run: RunningAttempt): void {
    task.running = undefined;
    this.running.delete(task);
    this.table.releaseSlot(run.node);
    task.job.listener.ended(task, run.node);
  }

  private retry(task: PartitionTask, node: NodeRecord, cause: string): void {
    if (task.job.cancelled) return;
    (task.excluded ??= new Set()).add(node.id);
    if (task.attempts >= this.options.maxAttempts) {
      task.settled = true;
      task.job.listener.failed(task, `failed after ${task.attempts} attempts, last on ${node.id}: ${cause}`);
      return;
    }
    this.log.info({ job: task.job.jobId, partition: task.index, node: node.id, attempt: task.attempts, cause }, 'retrying partition elsewhere');
    task.job.listener.retried(task, node, task.attempts, cause);
    this.requeue(task);
  }

  private requeue(task: PartitionTask): void {
    // A retried partition goes first among its priority: the job is waiting on it.
    this.queue.unshift(task, task.job.priority, task.job.owner);
    this.schedulePump();
  }

  /** Gives up on the running attempt without retrying (cancellation, shutdown). */
  private abandon(task: PartitionTask): void {
    const run = task.running;
    if (!run) return;
    this.finishAttempt(task, run);
    run.call.cancel();
  }

  private checkHeartbeats(): void {
    const silentSince = Date.now() - this.options.heartbeatTimeoutMs;
    for (const task of [...this.running]) {
      const run = task.running;
      if (!run || run.lastMessageAt >= silentSince) continue;
      this.finishAttempt(task, run);
      run.call.cancel();
      this.table.recordFailure(run.node, true);
      this.retry(task, run.node, `no heartbeat for ${this.options.heartbeatTimeoutMs} ms`);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const task of [...this.running]) this.abandon(task);
  }
}
