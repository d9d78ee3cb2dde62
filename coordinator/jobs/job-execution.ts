import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobEventType } from '../../shared/generated/quantgrid/v1/JobEventType.js';
import type { JobEventLog } from './job-event-log.js';
import type { JobLogEntry } from './job-log.js';
import { toJobProgress, type ProgressSnapshot } from './job-model.js';
import type { NodeRecord } from '../nodes/node-table.js';
import type { FailureDetail, JobDispatchContext, PartitionContinuation, PartitionListener, PartitionTask } from '../partitions/partition-dispatcher.js';
import { addWork, NO_WORK, type PartitionWork } from '../../shared/tasks/continuation.js';
import { copyStoppedMessage, type CopyStop } from '../../shared/copy-stopped.js';

/** Where a job's log lines go (JobLog.append). */
export type JobLogSink = (entry: JobLogEntry) => void;

export class JobFailure extends Error {}

/**
 * The live state of one job while this coordinator runs it: collects partial results in
 * partition order, counts progress, publishes events, and settles once every partition
 * has finished or one has failed for good.
 */
export class JobExecution implements PartitionListener {
  readonly partials: unknown[] = [];
  private done = 0;
  private retries = 0;
  /** Backup copies of stragglers started here, and those that finished first. */
  private backups = 0;
  private backupsWon = 0;
  private reused = 0;
  private recovered = 0;
  /** Partitions computed by this execution (not restored); the ETA is based on them. */
  private computed = 0;
  /** What the units of the partitions computed here simulated (incremental re-runs). */
  private work: PartitionWork = { ...NO_WORK };
  /** The dataset whose earlier job's checkpoints this job's units are given ('' for none). */
  continuedFrom = '';
  private readonly runningByNode = new Map<string, number>();
  /** Per partition: when its attempt that just ended ended (ended() comes before finished() or retried()). */
  private readonly endedAt = new Map<number, number>();
  private runningCount = 0;
  private firstStartAt = 0;
  phase: ProgressSnapshot['phase'] = 'waiting-for-nodes';
  readonly startedAt = Date.now();
  total = 0;
  /** Resolves when every partition has a result; rejects with JobFailure when one cannot get one. */
  readonly outcome: Promise<void>;
  private resolveOutcome!: () => void;
  private rejectOutcome!: (error: Error) => void;
  private settled = false;

  constructor(
    readonly jobId: string,
    private readonly hub: JobEventLog,
    readonly context: Omit<JobDispatchContext, 'listener'> & { listener?: PartitionListener },
    /**
     * Records a partition result computed here durably. A partition counts as done, and its
     * PARTITION_FINISHED event goes out, only once this settles: what progress reports as done is
     * what a coordinator taking the job over will find and not recompute.
     */
    private readonly recordResult: (index: number, resultJson: string, continuation?: PartitionContinuation) => Promise<void> = async () => undefined,
    /** The job's log (partition reports, retries, quarantines); default: nowhere. */
    private readonly logLine: JobLogSink = () => undefined,
  ) {
    this.outcome = new Promise<void>((resolve, reject) => {
      this.resolveOutcome = resolve;
      this.rejectOutcome = reject;
    });
    // May be settled by fail() before anyone awaits: keep Node from reporting an unhandled rejection.
    this.outcome.catch(() => undefined);
    context.listener = this;
  }

  get dispatchContext(): JobDispatchContext {
    return this.context as JobDispatchContext;
  }

  /** Called once the plan is known, with the results already known (recorded before a takeover, or cached). */
  begin(total: number, known: ReadonlyArray<{ index: number; resultJson: string; how: 'recovered' | 'reused' }> = []): void {
    this.total = total;
    this.partials.length = total;
    this.phase = 'running';
    for (const { index, resultJson, how } of known) {
      this.partials[index] = JSON.parse(resultJson);
      this.done += 1;
      if (how === 'reused') this.reused += 1;
      else this.recovered += 1;
    }
    if (this.done === total) this.settle();
  }

  snapshot(): ProgressSnapshot {
    return {
      phase: this.phase,
      startedAt: this.startedAt,
      total: this.total,
      done: this.done,
      running: this.runningCount,
      retries: this.retries,
      runningNodes: [...this.runningByNode.keys()],
      etaSeconds: this.etaSeconds(),
      reused: this.reused,
      recovered: this.recovered,
      work: { ...this.work },
      ...(this.continuedFrom ? { continuedFrom: this.continuedFrom } : {}),
      ...(this.backups > 0 ? { backups: this.backups, backupsWon: this.backupsWon } : {}),
    };
  }

  private etaSeconds(): number {
    if (this.computed === 0 || this.firstStartAt === 0) return -1;
    const elapsed = (Date.now() - this.firstStartAt) / 1000;
    return (elapsed / this.computed) * (this.total - this.done);
  }

  emit(type: JobEventType, fields: Partial<JobEvent> = {}): void {
    this.hub.publish({
      jobId: this.jobId,
      type,
      timeMs: Date.now(),
      partition: -1,
      progress: toJobProgress(this.snapshot()),
      status: this.phase === 'waiting-for-nodes' ? 'JOB_STATUS_WAITING_FOR_NODES' : 'JOB_STATUS_RUNNING',
      ...fields,
    });
  }

  private countRunning(node: NodeRecord, delta: number): void {
    const next = (this.runningByNode.get(node.id) ?? 0) + delta;
    if (next > 0) this.runningByNode.set(node.id, next);
    else this.runningByNode.delete(node.id);
    this.runningCount += delta;
  }

  started(task: PartitionTask, node: NodeRecord, attempt: number, backup: boolean): void {
    if (this.firstStartAt === 0) this.firstStartAt = Date.now();
    this.countRunning(node, 1);
    if (backup) {
      this.backups += 1;
      this.logLine({ jobId: this.jobId, source: 'coordinator', level: 'info', partition: task.index, nodeId: node.id, attempt, message: `partition ${task.index} is a straggler: a backup copy runs on ${node.id} (the first result wins)` });
    }
    this.emit('JOB_EVENT_TYPE_PARTITION_STARTED', { partition: task.index, nodeId: node.id, attempt, ...(backup ? { backup } : {}) });
  }

  progressed(): void {
    // Per-partition progress is not forwarded: partition counts carry the job's progress.
  }

  ended(task: PartitionTask, node: NodeRecord): void {
    this.countRunning(node, -1);
    this.endedAt.set(task.index, Date.now());
  }

  /** When the attempt ended on its node (the events say so, not when its result was recorded after). */
  private attemptEnd(task: PartitionTask): number {
    const at = this.endedAt.get(task.index) ?? Date.now();
    this.endedAt.delete(task.index);
    return at;
  }

  retried(task: PartitionTask, node: NodeRecord, attempt: number, cause: string, detail: FailureDetail = {}): void {
    this.retries += 1;
    this.emit('JOB_EVENT_TYPE_PARTITION_RETRIED', { partition: task.index, nodeId: node.id, attempt, message: cause, timeMs: this.attemptEnd(task), ...(detail.failover ? { failover: true } : {}) });
    const where = { jobId: this.jobId, source: 'coordinator' as const, partition: task.index, nodeId: node.id, attempt };
    this.logLine({ ...where, level: 'warn', message: `attempt ${attempt} failed on ${node.id}; retrying on another node: ${cause}`, detail: detail.stack });
    if (detail.quarantinedForMs) this.logQuarantine(where, detail.quarantinedForMs);
  }

  private logQuarantine(where: Omit<JobLogEntry, 'level' | 'message'>, forMs: number): void {
    this.logLine({ ...where, level: 'warn', message: `node ${where.nodeId} quarantined for ${Math.round(forMs / 1000)} s after repeated failures: it gets no work meanwhile` });
  }

  logged(task: PartitionTask, node: NodeRecord, attempt: number, level: string, message: string): void {
    const known = level === 'error' || level === 'info' ? level : 'warn';
    this.logLine({ jobId: this.jobId, source: 'partition', level: known, message, partition: task.index, nodeId: node.id, attempt });
  }

  finished(task: PartitionTask, resultJson: string, node: NodeRecord, attempt: number, continuation: PartitionContinuation | undefined, backup: boolean): void {
    if (this.settled) return;
    if (backup) this.backupsWon += 1;
    try {
      this.partials[task.index] = JSON.parse(resultJson);
    } catch {
      this.fail(`partition ${task.index} returned malformed JSON from ${node.id}`);
      return;
    }
    const endedAt = this.attemptEnd(task);
    void this.recordResult(task.index, resultJson, continuation).then(() => {
      if (this.settled) return;
      if (continuation) this.work = addWork(this.work, continuation.work);
      this.done += 1;
      this.computed += 1;
      this.emit('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: task.index, nodeId: node.id, attempt, timeMs: endedAt, ...(backup ? { backup } : {}) });
      if (this.done === this.total) this.settle();
    });
  }

  copyStopped(task: PartitionTask, node: NodeRecord, attempt: number, backup: boolean, how: CopyStop, message: string): void {
    const timeMs = this.attemptEnd(task);
    if (this.settled) return;
    this.emit('JOB_EVENT_TYPE_PARTITION_COPY_STOPPED', { partition: task.index, nodeId: node.id, attempt, timeMs, message: copyStoppedMessage(how, message), ...(backup ? { backup } : {}) });
    const level = how === 'failed' ? 'warn' : 'info';
    this.logLine({ jobId: this.jobId, source: 'coordinator', level, partition: task.index, nodeId: node.id, attempt, message: `${backup ? 'backup ' : ''}attempt ${attempt} on ${node.id} stopped (${how}): ${message}` });
  }

  failed(task: PartitionTask, cause: string, detail: FailureDetail = {}): void {
    const node = detail.nodeId ?? '';
    const where = { jobId: this.jobId, source: 'coordinator' as const, partition: task.index, nodeId: node, attempt: task.attempts };
    if (!this.settled) this.logLine({ ...where, level: 'error', message: `partition ${task.index} failed: ${cause}`, detail: detail.stack });
    if (detail.quarantinedForMs) this.logQuarantine(where, detail.quarantinedForMs);
    this.fail(`partition ${task.index} failed: ${cause}`);
  }

  fail(reason: string): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectOutcome(new JobFailure(reason));
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveOutcome();
  }
}
