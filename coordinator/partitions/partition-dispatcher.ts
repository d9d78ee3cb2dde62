import * as grpc from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { PartitionEvent__Output } from '../../shared/generated/quantgrid/v1/PartitionEvent.js';
import type { Logger } from '../../shared/logging.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';
import type { NodeRecord, NodeTable } from '../nodes/node-table.js';
import { RUN_PARTITION_METHOD } from '../../shared/grpc/node-agent-methods.js';
import { FairShareQueue } from './fair-share-queue.js';
import { NO_DISPATCH_OBSERVER, type DispatchObserver, type RetryCause } from './dispatch-observer.js';
import { errorMessage } from '../../shared/errors.js';
import { NO_WORK, type PartitionWork, type UnitCheckpoint } from '../../shared/tasks/continuation.js';

/** More about a failed attempt, for the job's log: the worker's stack trace, and whether the failure quarantined the node. */
export interface FailureDetail {
  stack?: string;
  /** > 0: this failure put the node in quarantine for that long. */
  quarantinedForMs?: number;
  /** The node of the attempt that failed (for failed(): the attempt has ended). */
  nodeId?: string;
  /** retried(): the node was found unreachable (dead, cut off, silent) rather than the attempt failing. */
  failover?: boolean;
}

/** What an agent returned beside the result, for a job that keeps checkpoints (shared/tasks/continuation.ts). */
export interface PartitionContinuation {
  checkpoints: UnitCheckpoint[];
  work: PartitionWork;
}

/** The job-side receiver of a partition's fate. One per job, shared by its partitions. */
export interface PartitionListener {
  /** The attempt was sent to the node (it may still refuse it); before started. */
  dispatched?(task: PartitionTask, node: NodeRecord, attempt: number): void;
  /** The agent accepted the attempt (its first heartbeat): the partition runs there. A refused one never starts. */
  started(task: PartitionTask, node: NodeRecord, attempt: number): void;
  /** The attempt started on this node is over, whatever its outcome (always before the calls below; only after started). */
  ended(task: PartitionTask, node: NodeRecord): void;
  progressed(task: PartitionTask, fraction: number): void;
  retried(task: PartitionTask, node: NodeRecord, attempt: number, cause: string, detail?: FailureDetail): void;
  finished(task: PartitionTask, resultJson: string, node: NodeRecord, attempt: number, continuation?: PartitionContinuation): void;
  /** The partition cannot succeed: a deterministic error, or attempts used up. */
  failed(task: PartitionTask, cause: string, detail?: FailureDetail): void;
  /** A line the partition's code reported while running (PartitionLog from the agent). */
  logged?(task: PartitionTask, node: NodeRecord, attempt: number, level: string, message: string): void;
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
  /**
   * Fencing: whether this coordinator still holds the job's lock (coordinator/jobs/job-lease.ts),
   * asked before each dispatch and each answer from an agent. When it no longer does, asking fences
   * the job (its owner cancels it here) and nothing more of it is dispatched or taken in.
   */
  owned?: () => boolean;
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
  /** When the partition last entered the queue (Date.now()), for the dispatch latency. */
  queuedAt?: number;
}

interface RunningAttempt {
  node: NodeRecord;
  attempt: number;
  /** The agent took it (sent a first message other than a refusal); the listener was told it started. */
  accepted: boolean;
  call: ClientReadableStream<PartitionEvent__Output>;
  lastMessageAt: number;
  startedAt: number;
  /** The request carried a cluster proof (the agent connection was not known to be proven yet). */
  signed: boolean;
}

export interface DispatcherOptions {
  maxAttempts: number;
  heartbeatTimeoutMs: number;
  heartbeatMs: number;
  /** host:port agents fetch stored datasets from (RunPartitionRequest.dataset_source). */
  datasetSource?: () => string;
  /** Metrics of dispatch (default: none). */
  observer?: DispatchObserver;
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

/** Whether this coordinator may still run the job (true for a job without a lease). */
function isOwned(job: JobDispatchContext): boolean {
  return job.owned === undefined || job.owned();
}

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
  private readonly observer: DispatchObserver;

  constructor(
    private readonly table: NodeTable,
    private readonly options: DispatcherOptions,
    private readonly log: Logger,
  ) {
    this.observer = options.observer ?? NO_DISPATCH_OBSERVER;
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
    const now = Date.now();
    for (const task of tasks) {
      task.queuedAt = now;
      this.queue.push(task, task.job.priority, task.job.owner);
    }
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
      if (task.job.cancelled || task.settled || !isOwned(task.job)) continue;
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
    const now = Date.now();
    for (const node of this.table.all()) {
      if (this.table.freeSlots(node, now) > 0 && this.table.stateOf(node, now) === 'ready') return true;
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
        if (task.job.cancelled || task.settled || this.closed || !isOwned(task.job)) {
          this.table.releaseSlot(node);
          this.schedulePump();
          return;
        }
        try {
          this.call(task, node, attempt, checkpoints);
        } catch (error) {
          this.table.releaseSlot(node);
          this.retry(task, node, Date.now(), 'dispatch-failed', `dispatch failed: ${errorMessage(error)}`, {});
        }
      });
  }

  private call(task: PartitionTask, node: NodeRecord, attempt: number, checkpoints: UnitCheckpoint[]): void {
    // A proof only until the connection is proven (ClusterCallSigner.connectionProof).
    const clusterProof = node.signer?.connectionProof(RUN_PARTITION_METHOD) ?? '';
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
      clusterProof,
    });
    const now = Date.now();
    const run: RunningAttempt = { node, attempt, accepted: false, call, lastMessageAt: now, startedAt: now, signed: clusterProof !== '' };
    task.running = run;
    this.running.add(task);
    this.observer.dispatched(task.job.kind, now - (task.queuedAt ?? now));
    this.log.debug({ job: task.job.jobId, partition: task.index, node: node.id, attempt }, 'partition dispatched');
    task.job.listener.dispatched?.(task, node, attempt);

    call.on('data', (event: PartitionEvent__Output) => {
      // A job whose lock this coordinator lost is fenced here, before its answer is taken in.
      if (task.running !== run || this.fenced(task)) return;
      run.lastMessageAt = Date.now();
      if (run.signed) node.signer?.connectionAnswered();
      if (!run.accepted && event.event !== 'error') {
        run.accepted = true;
        this.table.recordAccepted(node);
        task.job.listener.started(task, node, attempt);
      }
      switch (event.event) {
        case 'result':
          this.finishAttempt(task, run);
          this.observer.attemptEnded(task.job.kind, 'completed', Date.now() - run.startedAt);
          task.settled = true;
          this.table.recordSuccess(node);
          task.job.listener.finished(task, event.result!.resultJson, node, attempt, continuationOf(event.result!));
          return;
        case 'error': {
          const error = event.error!;
          this.finishAttempt(task, run);
          const stack = error.stack || undefined;
          if (REFUSALS.has(error.code)) {
            // Not the partition's fault nor a failure of the node: try again without using an attempt.
            // A node out of slots (another coordinator filled them) backs off before it is tried again.
            if (error.code === 'DRAINING') node.draining = true;
            else this.pumpAt(this.table.recordRefusal(node));
            this.requeueRefused(task, run);
          } else if (error.deterministic) {
            this.observer.attemptEnded(task.job.kind, 'failed', Date.now() - run.startedAt);
            task.settled = true;
            task.job.listener.failed(task, `${error.code}: ${error.message}`, { stack, nodeId: node.id });
          } else {
            const quarantinedForMs = this.table.recordFailure(node, false);
            this.retry(task, run.node, run.startedAt, 'agent-error', `${error.code}: ${error.message}`, { stack, quarantinedForMs });
          }
          return;
        }
        case 'progress':
          task.job.listener.progressed(task, event.progress!.fraction);
          return;
        case 'log':
          task.job.listener.logged?.(task, node, attempt, event.log!.level, event.log!.message);
          return;
        default:
          return; // heartbeat: lastMessageAt already updated
      }
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (task.running !== run || this.fenced(task)) return;
      this.finishAttempt(task, run);
      if (error.code === grpc.status.UNAUTHENTICATED && !run.signed && node.signer) {
        // Sent without a proof on a connection the agent does not know as proven (it reconnected):
        // not the node's fault; the next call proves the connection.
        node.signer.connectionMayHaveChanged();
        this.requeueRefused(task, run);
        return;
      }
      if (error.code === grpc.status.UNAVAILABLE) node.signer?.connectionMayHaveChanged();
      const unreachable = error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED;
      const quarantinedForMs = this.table.recordFailure(node, unreachable);
      this.retry(task, run.node, run.startedAt, 'stream-error', `stream failed: ${error.details || error.message}`, { quarantinedForMs }, unreachable);
    });
    call.on('end', () => {
      if (task.running !== run || this.fenced(task)) return;
      this.finishAttempt(task, run);
      const quarantinedForMs = this.table.recordFailure(node, false);
      this.retry(task, run.node, run.startedAt, 'stream-ended', 'stream ended without a result', { quarantinedForMs });
    });
  }

  private finishAttempt(task: PartitionTask, run: RunningAttempt): void {
    task.running = undefined;
    this.running.delete(task);
    this.table.releaseSlot(run.node);
    if (run.accepted) task.job.listener.ended(task, run.node);
  }

  /**
   * True when the task's job is no longer this coordinator's (its lock is lost): asking fences the
   * job, which cancels its attempts; one still running is abandoned here all the same.
   */
  private fenced(task: PartitionTask): boolean {
    if (isOwned(task.job)) return false;
    this.abandon(task);
    return true;
  }

  /** Pumps again at `time` (a refused node's backoff ends then, which no event announces). */
  private pumpAt(time: number): void {
    setTimeout(() => this.schedulePump(), Math.max(0, time - Date.now())).unref();
  }

  private retry(task: PartitionTask, node: NodeRecord, startedAt: number, why: RetryCause, cause: string, detail: FailureDetail, failover = false): void {
    if (detail.quarantinedForMs) this.observer.quarantined();
    if (task.job.cancelled) {
      this.observer.attemptEnded(task.job.kind, 'cancelled', Date.now() - startedAt);
      return;
    }
    (task.excluded ??= new Set()).add(node.id);
    if (task.attempts >= this.options.maxAttempts) {
      this.observer.attemptEnded(task.job.kind, 'exhausted', Date.now() - startedAt);
      task.settled = true;
      task.job.listener.failed(task, `failed after ${task.attempts} attempts, last on ${node.id}: ${cause}`, { ...detail, nodeId: node.id });
      return;
    }
    this.observer.attemptEnded(task.job.kind, 'retried', Date.now() - startedAt);
    this.observer.retried(why, failover);
    this.log.info({ job: task.job.jobId, partition: task.index, node: node.id, attempt: task.attempts, cause }, 'retrying partition elsewhere');
    task.job.listener.retried(task, node, task.attempts, cause, failover ? { ...detail, failover } : detail);
    this.requeue(task);
  }

  /** An attempt the node refused (not the partition's fault nor the node's failure): queued again without using an attempt. */
  private requeueRefused(task: PartitionTask, run: RunningAttempt): void {
    this.observer.attemptEnded(task.job.kind, 'refused', Date.now() - run.startedAt);
    task.attempts -= 1;
    this.requeue(task);
  }

  private requeue(task: PartitionTask): void {
    task.queuedAt = Date.now();
    // A retried partition goes first among its priority: the job is waiting on it.
    this.queue.unshift(task, task.job.priority, task.job.owner);
    this.schedulePump();
  }

  /** Gives up on the running attempt without retrying (cancellation, shutdown). */
  private abandon(task: PartitionTask): void {
    const run = task.running;
    if (!run) return;
    this.finishAttempt(task, run);
    this.observer.attemptEnded(task.job.kind, 'cancelled', Date.now() - run.startedAt);
    run.call.cancel();
  }

  private checkHeartbeats(): void {
    const silentSince = Date.now() - this.options.heartbeatTimeoutMs;
    for (const task of [...this.running]) {
      const run = task.running;
      // A fenced job's attempts are the new owner's business now (asking fences it: they are cancelled).
      if (!run || run.lastMessageAt >= silentSince || this.fenced(task)) continue;
      this.finishAttempt(task, run);
      run.call.cancel();
      const quarantinedForMs = this.table.recordFailure(run.node, true);
      this.retry(task, run.node, run.startedAt, 'heartbeat-timeout', `no heartbeat for ${this.options.heartbeatTimeoutMs} ms`, { quarantinedForMs }, true);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const task of [...this.running]) this.abandon(task);
  }
}
