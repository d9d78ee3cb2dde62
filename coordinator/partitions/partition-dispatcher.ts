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
import { DEFAULT_STRAGGLER_RULE, isStraggler, type StragglerRule } from './straggler-rule.js';
import { RunTimes } from './run-times.js';
import type { CopyStop } from '../../shared/copy-stopped.js';
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
  /**
   * The agent accepted the attempt (its first heartbeat): the partition runs there. A refused one never
   * starts. `backup`: a backup copy of a straggler, beside the attempt that runs on.
   */
  started(task: PartitionTask, node: NodeRecord, attempt: number, backup: boolean): void;
  /** The attempt started on this node is over, whatever its outcome (always before the calls below; only after started). */
  ended(task: PartitionTask, node: NodeRecord): void;
  progressed(task: PartitionTask, fraction: number): void;
  retried(task: PartitionTask, node: NodeRecord, attempt: number, cause: string, detail?: FailureDetail): void;
  /** `backup`: the attempt that finished is a backup copy (its straggler is then cancelled: copyStopped). */
  finished(task: PartitionTask, resultJson: string, node: NodeRecord, attempt: number, continuation: PartitionContinuation | undefined, backup: boolean): void;
  /**
   * One of a partition's two copies (a straggler and its backup) stopped, after ended(): `superseded`,
   * the other finished first (this one is cancelled on its agent, its late answer ignored); or
   * `failed`, the other runs on and nothing is retried. Only for a copy that started.
   */
  copyStopped?(task: PartitionTask, node: NodeRecord, attempt: number, backup: boolean, how: CopyStop, message: string): void;
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
  /** Dispatches so far, the running ones (and backups) included. */
  attempts: number;
  /** Of those, backup copies (they are not failure attempts: --max-attempts counts the others). */
  backups?: number;
  /** A second copy of the straggling attempt in `running`, on another node; at most one per partition. */
  backup?: RunningAttempt;
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
  /** A backup copy of a straggler. */
  backup: boolean;
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
  /** When a running partition gets a backup copy (default DEFAULT_STRAGGLER_RULE; ratio 0: never). */
  straggler?: StragglerRule;
}

/** What a failed attempt's handling reads of it (an attempt whose call could not even be made has no stream). */
type EndedAttempt = Pick<RunningAttempt, 'node' | 'attempt' | 'startedAt' | 'backup'>;

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
const NO_REFS: readonly string[] = Object.freeze([]);

/** Whether the attempt is one the partition still waits on (its only one, or either copy of a straggler). */
function isLive(task: PartitionTask, run: RunningAttempt): boolean {
  return task.running === run || task.backup === run;
}

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
  private readonly straggler: StragglerRule;
  /** Per job: partitions dispatched and the run times of those finished, for the straggler rule. */
  private readonly runTimes = new WeakMap<JobDispatchContext, RunTimes>();

  constructor(
    private readonly table: NodeTable,
    private readonly options: DispatcherOptions,
    private readonly log: Logger,
  ) {
    this.observer = options.observer ?? NO_DISPATCH_OBSERVER;
    this.straggler = options.straggler ?? DEFAULT_STRAGGLER_RULE;
    table.on('changed', () => this.schedulePump());
    this.watchdog = setInterval(() => {
      // Judged after this turn's I/O (setImmediate runs after the poll phase; a timer, before it): when the
      // coordinator's own event loop was blocked, the heartbeats that came meanwhile are read first, so a
      // busy coordinator does not take its own stall for the agents' silence.
      setImmediate(() => {
        if (this.closed) return;
        this.checkHeartbeats();
        // A straggler becomes one as time passes, with no event to say so: look again on every tick.
        if (this.straggler.ratio > 0 && this.running.size > 0) this.schedulePump();
      });
    }, Math.max(50, Math.floor(options.heartbeatTimeoutMs / 5)));
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
      this.runTimesOf(task.job).total += 1;
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

  private runTimesOf(job: JobDispatchContext): RunTimes {
    let times = this.runTimes.get(job);
    if (!times) this.runTimes.set(job, (times = new RunTimes()));
    return times;
  }

  /**
   * Assigns queued partitions to free slots: users in turn, each user's highest priority first. Slots
   * no queued partition can take are then offered to stragglers' backups.
   */
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
      this.start(task, node, false);
    }
    // Every queued partition was looked at and none can use what is free: backups take no slot any
    // queued work (of any user or job) could have had.
    const queueSeen = this.queue.size === 0;
    for (let i = blocked.length - 1; i >= 0; i--) this.queue.unshift(blocked[i].item, blocked[i].priority, blocked[i].user);
    if (queueSeen) this.backUpStragglers();
  }

  /** Starts a backup copy of each straggler (straggler-rule.ts) on a free slot of another node. */
  private backUpStragglers(): void {
    if (this.straggler.ratio === 0 || this.running.size === 0 || !this.anyFreeSlot()) return;
    const now = Date.now();
    for (const task of this.running) {
      const run = task.running;
      if (!run || !run.accepted || task.backup || task.settled || task.job.cancelled || !isOwned(task.job)) continue;
      if ((task.backups ?? 0) > 0) continue; // at most one backup per partition
      const times = this.runTimes.get(task.job);
      if (!times || !isStraggler(this.straggler, times, now - run.startedAt)) continue;
      const away = new Set(task.excluded ?? NO_NODES).add(run.node.id);
      const node = this.table.pickNode(task.job.requiredCapabilities, away, task.job.kind);
      // pickNode falls back to an excluded node when no other is capable: never the straggler's own.
      if (!node || away.has(node.id)) continue;
      this.log.info({ job: task.job.jobId, partition: task.index, node: node.id, straggler: run.node.id, runningMs: now - run.startedAt, medianMs: times.medianMs }, 'backing up a straggler');
      this.start(task, node, true);
      if (!this.anyFreeSlot()) return;
    }
  }

  private anyFreeSlot(): boolean {
    const now = Date.now();
    for (const node of this.table.all()) {
      if (this.table.freeSlots(node, now) > 0 && this.table.stateOf(node, now) === 'ready') return true;
    }
    return false;
  }

  /** Sends an attempt (a backup: a second copy beside the one in task.running) to the node. */
  private start(task: PartitionTask, node: NodeRecord, backup: boolean): void {
    task.attempts += 1;
    if (backup) {
      task.backups = (task.backups ?? 0) + 1;
      this.observer.backupLaunched(task.job.kind);
    }
    const attempt = task.attempts;
    this.table.acquireSlot(node);
    const load = task.job.loadCheckpoints;
    if (!load) {
      this.call(task, node, attempt, [], backup);
      return;
    }
    // Read only now, for one partition at a time per slot: a job's checkpoints are never all in memory.
    load(task.partition)
      .catch((error: unknown) => {
        this.log.warn({ job: task.job.jobId, partition: task.index, err: errorMessage(error) }, 'checkpoints not read: the units run in full');
        return [];
      })
      .then((checkpoints) => {
        // A backup whose straggler ended meanwhile (finished, or failed and queued again) is not sent.
        if (task.job.cancelled || task.settled || this.closed || !isOwned(task.job) || (backup && !task.running)) {
          this.table.releaseSlot(node);
          this.schedulePump();
          return;
        }
        try {
          this.call(task, node, attempt, checkpoints, backup);
        } catch (error) {
          this.table.releaseSlot(node);
          this.retry(task, { node, attempt, startedAt: Date.now(), backup }, 'dispatch-failed', `dispatch failed: ${errorMessage(error)}`, {});
        }
      });
  }

  private call(task: PartitionTask, node: NodeRecord, attempt: number, checkpoints: UnitCheckpoint[], backup: boolean): void {
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
      // Read, not kept, by the serialiser: the job's own arrays go as they are (no copies per call).
      datasetIds: task.job.datasetIds as string[],
      strategyRefs: (task.job.strategyRefs ?? NO_REFS) as string[],
      checkpoints,
      clusterProof,
    });
    const now = Date.now();
    const run: RunningAttempt = { node, attempt, accepted: false, backup, call, lastMessageAt: now, startedAt: now, signed: clusterProof !== '' };
    if (backup) task.backup = run;
    else task.running = run;
    this.running.add(task);
    this.observer.dispatched(task.job.kind, now - (task.queuedAt ?? now));
    // Checked first: the line's fields would otherwise be built for every partition to be dropped.
    if (this.log.isLevelEnabled('debug')) this.log.debug({ job: task.job.jobId, partition: task.index, node: node.id, attempt, backup }, 'partition dispatched');
    task.job.listener.dispatched?.(task, node, attempt);

    call.on('data', (event: PartitionEvent__Output) => {
      // A job whose lock this coordinator lost is fenced here, before its answer is taken in.
      if (!isLive(task, run) || this.fenced(task)) return;
      run.lastMessageAt = Date.now();
      if (run.signed) node.signer?.connectionAnswered();
      if (!run.accepted && event.event !== 'error') {
        run.accepted = true;
        this.table.recordAccepted(node);
        task.job.listener.started(task, node, attempt, backup);
      }
      switch (event.event) {
        case 'result': {
          this.finishAttempt(task, run);
          const runMs = Date.now() - run.startedAt;
          this.observer.attemptEnded(task.job.kind, 'completed', runMs);
          task.settled = true;
          this.table.recordSuccess(node);
          this.runTimesOf(task.job).record(runMs);
          if (backup) this.observer.backupWon(task.job.kind);
          task.job.listener.finished(task, event.result!.resultJson, node, attempt, continuationOf(event.result!), backup);
          // The first result wins; the other copy (both are deterministic) is cancelled, its answer ignored.
          const loser = task.running;
          if (loser) this.stopCopy(task, loser, 'superseded', `attempt ${attempt} on ${node.id} finished first`);
          return;
        }
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
            this.retry(task, run, 'agent-error', `${error.code}: ${error.message}`, { stack, quarantinedForMs });
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
      if (!isLive(task, run) || this.fenced(task)) return;
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
      this.retry(task, run, 'stream-error', `stream failed: ${error.details || error.message}`, { quarantinedForMs }, unreachable);
    });
    call.on('end', () => {
      if (!isLive(task, run) || this.fenced(task)) return;
      this.finishAttempt(task, run);
      const quarantinedForMs = this.table.recordFailure(node, false);
      this.retry(task, run, 'stream-ended', 'stream ended without a result', { quarantinedForMs });
    });
  }

  /** The attempt is over: its slot is freed; the other copy, if any, is what task.running holds now. */
  private finishAttempt(task: PartitionTask, run: RunningAttempt): void {
    if (task.running === run) {
      task.running = task.backup;
      task.backup = undefined;
    } else if (task.backup === run) {
      task.backup = undefined;
    }
    if (!task.running) this.running.delete(task);
    this.table.releaseSlot(run.node);
    if (run.accepted) task.job.listener.ended(task, run.node);
  }

  /** Ends one copy of a partition that has another (the winner, or one that runs on), and cancels it on its agent. */
  private stopCopy(task: PartitionTask, run: RunningAttempt, how: 'superseded', message: string): void {
    this.finishAttempt(task, run);
    this.observer.attemptEnded(task.job.kind, how, Date.now() - run.startedAt);
    run.call.cancel();
    this.log.info({ job: task.job.jobId, partition: task.index, node: run.node.id, attempt: run.attempt, backup: run.backup }, `partition copy ${how}: ${message}`);
    if (run.accepted) task.job.listener.copyStopped?.(task, run.node, run.attempt, run.backup, how, message);
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

  /**
   * A transient failure of an attempt (already finished): the partition runs again elsewhere, or
   * fails once its failure attempts (backups not counted) are used up. A copy that failed while the
   * partition's other copy runs on is only dropped.
   */
  private retry(task: PartitionTask, ended: EndedAttempt, why: RetryCause, cause: string, detail: FailureDetail, failover = false): void {
    const { node, startedAt } = ended;
    if (detail.quarantinedForMs) this.observer.quarantined();
    if (task.job.cancelled) {
      this.observer.attemptEnded(task.job.kind, 'cancelled', Date.now() - startedAt);
      return;
    }
    (task.excluded ??= new Set()).add(node.id);
    if (task.running) {
      this.observer.attemptEnded(task.job.kind, 'dropped', Date.now() - startedAt);
      const message = `${cause}; the other copy (attempt ${task.running.attempt} on ${task.running.node.id}) runs on`;
      this.log.info({ job: task.job.jobId, partition: task.index, node: node.id, attempt: ended.attempt, backup: ended.backup, cause }, 'partition copy failed; its other copy runs on');
      task.job.listener.copyStopped?.(task, node, ended.attempt, ended.backup, 'failed', message);
      return;
    }
    const failures = task.attempts - (task.backups ?? 0);
    if (failures >= this.options.maxAttempts) {
      this.observer.attemptEnded(task.job.kind, 'exhausted', Date.now() - startedAt);
      task.settled = true;
      task.job.listener.failed(task, `failed after ${failures} attempts, last on ${node.id}: ${cause}`, { ...detail, nodeId: node.id });
      return;
    }
    this.observer.attemptEnded(task.job.kind, 'retried', Date.now() - startedAt);
    this.observer.retried(why, failover);
    this.log.info({ job: task.job.jobId, partition: task.index, node: node.id, attempt: ended.attempt, cause }, 'retrying partition elsewhere');
    task.job.listener.retried(task, node, ended.attempt, cause, failover ? { ...detail, failover } : detail);
    this.requeue(task);
  }

  /** An attempt the node refused (not the partition's fault nor the node's failure): queued again without using an attempt. */
  /**
   * A refused attempt uses none of the partition's attempts (nor, for a backup, its backups) and is
   * tried again; a refused copy beside one that runs on is just dropped.
   */
  private requeueRefused(task: PartitionTask, run: RunningAttempt): void {
    this.observer.attemptEnded(task.job.kind, 'refused', Date.now() - run.startedAt);
    task.attempts -= 1;
    if (run.backup) task.backups! -= 1;
    if (!task.running) this.requeue(task);
  }

  private requeue(task: PartitionTask): void {
    task.queuedAt = Date.now();
    // A retried partition goes first among its priority: the job is waiting on it.
    this.queue.unshift(task, task.job.priority, task.job.owner);
    this.schedulePump();
  }

  /** Gives up on the running attempts (both copies of a straggler) without retrying (cancellation, shutdown). */
  private abandon(task: PartitionTask): void {
    for (const run of [task.backup, task.running]) {
      if (!run) continue;
      this.finishAttempt(task, run);
      this.observer.attemptEnded(task.job.kind, 'cancelled', Date.now() - run.startedAt);
      run.call.cancel();
    }
  }

  private checkHeartbeats(): void {
    const silentSince = Date.now() - this.options.heartbeatTimeoutMs;
    for (const task of [...this.running]) {
      for (const run of [task.backup, task.running]) {
        // A fenced job's attempts are the new owner's business now (asking fences it: they are cancelled).
        if (!run || !isLive(task, run) || run.lastMessageAt >= silentSince || this.fenced(task)) continue;
        this.finishAttempt(task, run);
        run.call.cancel();
        const quarantinedForMs = this.table.recordFailure(run.node, true);
        this.retry(task, run, 'heartbeat-timeout', `no heartbeat for ${this.options.heartbeatTimeoutMs} ms`, { quarantinedForMs }, true);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const task of [...this.running]) this.abandon(task);
  }
}
