import type { DecodedDataset } from '../shared/quant/dataset-codec.js';
import type { StrategyManifest } from '../shared/strategy-sdk/manifest.js';
import type { SandboxLimits } from '../shared/sandbox/sandbox-limits.js';
import type { PartitionWork, UnitCheckpoint } from '../shared/tasks/continuation.js';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../shared/logging.js';
import { errorMessage } from '../shared/errors.js';
import type { IndicatorCacheTotals } from '../shared/quant/strategies/indicator-cache.js';

/**
 * Failure codes of a partition (PartitionError.code on the wire).
 *   INVALID_ARGUMENT, TASK_ERROR: deterministic; the same input fails the same way anywhere.
 *   NO_FREE_SLOT, DRAINING, INTERNAL, VERSION_MISMATCH: transient; another node (or later) may succeed.
 *   CANCELLED: the caller cancelled; never sent to anybody.
 */
export type PartitionErrorCode =
  | 'INVALID_ARGUMENT'
  | 'TASK_ERROR'
  | 'NO_FREE_SLOT'
  | 'DRAINING'
  | 'INTERNAL'
  | 'VERSION_MISMATCH'
  | 'CANCELLED';

const DETERMINISTIC: ReadonlySet<PartitionErrorCode> = new Set(['INVALID_ARGUMENT', 'TASK_ERROR']);

export function isDeterministic(code: PartitionErrorCode): boolean {
  return DETERMINISTIC.has(code);
}

export class PartitionFailure extends Error {
  readonly deterministic: boolean;
  constructor(
    readonly code: PartitionErrorCode,
    message: string,
    /** The stack trace the task's code threw with (a TASK_ERROR from the worker thread). */
    readonly taskStack?: string,
  ) {
    super(message);
    this.name = 'PartitionFailure';
    this.deterministic = isDeterministic(code);
  }
}

export interface PartitionTask {
  kind: string;
  specJson: string;
  partitionJson: string;
  /**
   * Stored datasets the spec names, by id, as the agent's cache holds them. Their columns live in
   * SharedArrayBuffers, so posting them to the worker shares the memory (no copy, no re-fetch).
   */
  datasets?: Record<string, DecodedDataset>;
  /** User strategies the spec runs, by NAME@ID: their bundles run in sandboxes in the worker. */
  strategies?: Record<string, { code: string; manifest: StrategyManifest }>;
  /** Incremental re-runs: checkpoints an earlier job left for some of the partition's units. */
  checkpoints?: UnitCheckpoint[];
}

export interface RunOptions {
  /** Progress 0..1, at most about every progressIntervalMs. */
  onProgress?: (fraction: number) => void;
  /** A line the task's code reported (RunContext.warn). */
  onLog?: (level: 'warn' | 'info' | 'error', message: string) => void;
  /** Aborting stops the worker (cooperatively, else the thread is terminated) and rejects with CANCELLED. */
  signal?: AbortSignal;
}

export interface PartitionOutcome {
  resultJson: string;
  /** Time run() took in the worker thread. */
  computeMs: number;
  /** Kinds with a continuation, on a stored dataset: the units' checkpoints at their last bar, and what they simulated. */
  checkpoints?: UnitCheckpoint[];
  work?: PartitionWork;
}

/** A reserved slot: run one task on it, or release it unused. */
export interface SlotLease {
  run(task: PartitionTask, options?: RunOptions): Promise<PartitionOutcome>;
  release(): void;
}

// ---- Messages between the pool and partition-worker.js ----

export interface WorkerInit {
  /** Int32Array(1) over it holds the id of the cancelled task (0 = none). */
  cancelBuffer: SharedArrayBuffer;
  progressIntervalMs: number;
  /** This worker's share of the pool's indicator-cache budget, bytes (undefined: the task code's default). */
  indicatorCacheBytes?: number;
  /** This worker's share of how far the caches may grow past it for a job that needs more (setIndicatorCacheBudget). */
  indicatorCacheGrowBytes?: number;
  /** Limits of the user strategies' sandboxes (defaults: DEFAULT_SANDBOX_LIMITS). */
  sandboxLimits?: Partial<SandboxLimits>;
}

export type WorkerRequest = { type: 'run'; id: number } & PartitionTask;

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'log'; id: number; level: 'warn' | 'info' | 'error'; message: string }
  | { type: 'result'; id: number; resultJson: string; computeMs: number; checkpoints?: UnitCheckpoint[]; work?: PartitionWork; indicatorCache?: IndicatorCacheTotals }
  | { type: 'error'; id: number; code: 'INVALID_ARGUMENT' | 'TASK_ERROR' | 'INTERNAL'; message: string; stack?: string; indicatorCache?: IndicatorCacheTotals }
  | { type: 'cancelled'; id: number };

// ---- The pool ----

export interface WorkerPoolOptions {
  size: number;
  logger?: Logger;
  /** Compiled worker script; default partition-worker.js beside this file. */
  workerScript?: URL | string;
  /** How long a cancelled task may take to stop by itself before its thread is terminated. */
  cancelGraceMs?: number;
  progressIntervalMs?: number;
  /** start() fails when the workers are not ready by then. */
  startTimeoutMs?: number;
  /**
   * Bytes of indicator arrays all the workers together may cache (split evenly between them, as
   * each thread keeps its own arrays). Undefined: each worker uses the task code's own budget.
   */
  indicatorCacheBytes?: number;
  /** Bytes all the workers' caches together may grow to for a job whose arrays do not fit (split evenly); undefined: never past the budget. */
  indicatorCacheGrowBytes?: number;
  /** V8 heap limits of each worker thread (node:worker_threads resourceLimits); default WORKER_RESOURCE_LIMITS. */
  resourceLimits?: ResourceLimits;
  /** Memory and time limits of the user strategies' sandboxes, per partition (each isolate has its own heap). */
  sandboxLimits?: Partial<SandboxLimits>;
}

/**
 * Default heap limits of a worker thread. Task code allocates little per unit of work (indicator
 * arrays live outside the V8 heap), yet V8 lets each thread's young generation grow to 32 MB and
 * more during a long sweep; capped at 8 MB it costs no measurable time and saves that memory per slot.
 */
export const WORKER_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({ maxYoungGenerationSizeMb: 8 });

interface ActiveTask {
  id: number;
  resolve: (outcome: PartitionOutcome) => void;
  reject: (failure: PartitionFailure) => void;
  onProgress?: (fraction: number) => void;
  onLog?: RunOptions['onLog'];
  signal?: AbortSignal;
  onAbort?: () => void;
  killTimer?: NodeJS.Timeout;
  cancelRequested: boolean;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  cancel: Int32Array;
  cancelBuffer: SharedArrayBuffer;
  reserved: boolean;
  task: ActiveTask | undefined;
  /** Consecutive workers that died before becoming ready. */
  startFailures: number;
  respawnTimer: NodeJS.Timeout | undefined;
  lastError: string | undefined;
  /** The indicator-cache totals its current worker thread last reported. */
  indicatorCache?: IndicatorCacheTotals;
}

const DEFAULT_WORKER_SCRIPT = new URL('./partition-worker.js', import.meta.url);

/**
 * Exactly `size` worker threads, one partition each at a time. No queue: tryAcquire() returns
 * undefined when every slot is busy, and the caller refuses the work (the coordinator queues).
 * A worker that crashes or exits is replaced; its task fails as INTERNAL (transient).
 */
export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly logger: Logger | undefined;
  private readonly workerScript: URL | string;
  private readonly cancelGraceMs: number;
  private readonly progressIntervalMs: number;
  private readonly startTimeoutMs: number;
  private readonly cacheBytesPerWorker: number | undefined;
  private readonly cacheGrowBytesPerWorker: number | undefined;
  private readonly resourceLimits: ResourceLimits;
  private readonly sandboxLimits: Partial<SandboxLimits> | undefined;
  private nextTaskId = 1;
  private closed = false;
  private started = false;
  private readyWaiters: Array<() => void> = [];
  private replacements = 0;
  /** Indicator-cache totals of worker threads already replaced. */
  private readonly retiredCacheTotals: IndicatorCacheTotals = { hits: 0, misses: 0, computedBytes: 0 };

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`worker pool size must be a positive integer, got ${options.size}`);
    this.size = options.size;
    this.logger = options.logger;
    this.workerScript = options.workerScript ?? DEFAULT_WORKER_SCRIPT;
    this.cancelGraceMs = options.cancelGraceMs ?? 200;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const cacheBytes = options.indicatorCacheBytes;
    if (cacheBytes !== undefined && !(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0)) {
      throw new Error(`indicator cache budget must be a whole number of bytes ≥ 0, got ${cacheBytes}`);
    }
    this.cacheBytesPerWorker = cacheBytes === undefined ? undefined : Math.floor(cacheBytes / this.size);
    const growBytes = options.indicatorCacheGrowBytes;
    if (growBytes !== undefined && !(Number.isSafeInteger(growBytes) && growBytes >= 0)) {
      throw new Error(`indicator cache growth limit must be a whole number of bytes ≥ 0, got ${growBytes}`);
    }
    this.cacheGrowBytesPerWorker = growBytes === undefined || cacheBytes === undefined ? undefined : Math.floor(growBytes / this.size);
    this.resourceLimits = options.resourceLimits ?? WORKER_RESOURCE_LIMITS;
    this.sandboxLimits = options.sandboxLimits;
  }

  /** Each worker's share of the indicator-cache budget, bytes (undefined: the task code's default). */
  get indicatorCacheBytesPerWorker(): number | undefined {
    return this.cacheBytesPerWorker;
  }

  /** Each worker's share of how far its caches may grow past the budget (undefined: never). */
  get indicatorCacheGrowBytesPerWorker(): number | undefined {
    return this.cacheGrowBytesPerWorker;
  }

  /** Starts every worker and waits until each has loaded the task kinds. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (let index = 0; index < this.size; index++) {
      const cancelBuffer = new SharedArrayBuffer(4);
      const slot: Slot = {
        index,
        worker: undefined,
        ready: false,
        cancel: new Int32Array(cancelBuffer),
        cancelBuffer,
        reserved: false,
        task: undefined,
        startFailures: 0,
        respawnTimer: undefined,
        lastError: undefined,
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        const failed = this.slots.find((slot) => slot.startFailures > 0);
        if (failed) {
          finish();
          reject(new Error(`worker thread ${failed.index} failed to start: ${failed.lastError ?? 'it exited'}`));
        } else if (this.slots.every((slot) => slot.ready)) {
          finish();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`worker threads not ready after ${this.startTimeoutMs} ms`));
      }, this.startTimeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.readyWaiters = this.readyWaiters.filter((waiter) => waiter !== check);
      };
      this.readyWaiters.push(check);
      check();
    }).catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
  }

  /** Slots running (or reserved for) a partition. */
  get busySlots(): number {
    let busy = 0;
    for (const slot of this.slots) if (slot.reserved || slot.task) busy++;
    return busy;
  }

  /** Slots that would accept a partition now. */
  get freeSlots(): number {
    let free = 0;
    for (const slot of this.slots) if (this.isFree(slot)) free++;
    return free;
  }

  /** Indicator-cache lookups of all worker threads so far (as of each one's last finished partition). */
  indicatorCacheTotals(): IndicatorCacheTotals {
    const totals = { ...this.retiredCacheTotals };
    for (const slot of this.slots) {
      totals.hits += slot.indicatorCache?.hits ?? 0;
      totals.misses += slot.indicatorCache?.misses ?? 0;
      totals.computedBytes += slot.indicatorCache?.computedBytes ?? 0;
    }
    return totals;
  }

  /** Workers replaced so far (crashed, exited, or terminated after a cancel). */
  get replacedWorkers(): number {
    return this.replacements;
  }

  private isFree(slot: Slot): boolean {
    // A replacement worker still loading counts as free: the task message waits in its queue.
    return !this.closed && !slot.reserved && !slot.task && slot.worker !== undefined;
  }

  /** Reserves a free slot, or returns undefined when all are busy (or the pool is closed). */
  tryAcquire(): SlotLease | undefined {
    const slot = this.slots.find((candidate) => this.isFree(candidate) && candidate.ready) ?? this.slots.find((candidate) => this.isFree(candidate));
    if (!slot) return undefined;
    slot.reserved = true;
    let used = false;
    return {
      run: (task, options = {}) => {
        if (used) return Promise.reject(new PartitionFailure('INTERNAL', 'a slot lease runs one task only'));
        used = true;
        return this.runOn(slot, task, options);
      },
      release: () => {
        if (used) return;
        used = true;
        slot.reserved = false;
      },
    };
  }

  /** Runs a task on a free slot; rejects with NO_FREE_SLOT when there is none. */
  run(task: PartitionTask, options: RunOptions = {}): Promise<PartitionOutcome> {
    const lease = this.tryAcquire();
    if (!lease) {
      return Promise.reject(new PartitionFailure('NO_FREE_SLOT', `all ${this.size} slots are busy`));
    }
    return lease.run(task, options);
  }

  /** Terminates every worker; running tasks fail with INTERNAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exits: Promise<unknown>[] = [];
    for (const slot of this.slots) {
      if (slot.respawnTimer) clearTimeout(slot.respawnTimer);
      slot.respawnTimer = undefined;
      if (slot.task) this.finish(slot, slot.task, new PartitionFailure('INTERNAL', 'the agent is shutting down'));
      const worker = slot.worker;
      slot.worker = undefined;
      slot.ready = false;
      if (worker) exits.push(worker.terminate().catch(() => undefined));
    }
    await Promise.all(exits);
  }

  private runOn(slot: Slot, task: PartitionTask, options: RunOptions): Promise<PartitionOutcome> {
    return new Promise<PartitionOutcome>((resolve, reject) => {
      const worker = slot.worker;
      if (this.closed || !worker) {
        slot.reserved = false;
        reject(new PartitionFailure('INTERNAL', this.closed ? 'the agent is shutting down' : 'worker thread unavailable'));
        return;
      }
      const id = this.nextTaskId++;
      if (this.nextTaskId > 0x7fffffff) this.nextTaskId = 1;
      const active: ActiveTask = { id, resolve, reject, onProgress: options.onProgress, onLog: options.onLog, signal: options.signal, cancelRequested: false };
      slot.reserved = false;
      slot.task = active;
      if (options.signal?.aborted) {
        this.finish(slot, active, new PartitionFailure('CANCELLED', 'cancelled before it started'));
        return;
      }
      if (options.signal) {
        active.onAbort = () => this.cancel(slot, active);
        options.signal.addEventListener('abort', active.onAbort, { once: true });
      }
      Atomics.store(slot.cancel, 0, 0);
      const request: WorkerRequest = { type: 'run', id, kind: task.kind, specJson: task.specJson, partitionJson: task.partitionJson, datasets: task.datasets, strategies: task.strategies, checkpoints: task.checkpoints };
      worker.postMessage(request);
    });
  }

  /** Asks the worker to stop (flag read by ctx.isCancelled()); terminates it after the grace time. */
  private cancel(slot: Slot, active: ActiveTask): void {
    if (slot.task !== active || active.cancelRequested) return;
    active.cancelRequested = true;
    Atomics.store(slot.cancel, 0, active.id);
    active.killTimer = setTimeout(() => {
      if (slot.task !== active) return;
      this.logger?.warn({ slot: slot.index, graceMs: this.cancelGraceMs }, 'cancelled partition did not stop; terminating its worker thread');
      this.finish(slot, active, new PartitionFailure('CANCELLED', 'cancelled (worker thread terminated)'));
      this.replace(slot, 'terminated after a cancel');
    }, this.cancelGraceMs);
  }

  private finish(slot: Slot, active: ActiveTask, outcome: PartitionOutcome | PartitionFailure): void {
    if (slot.task !== active) return;
    slot.task = undefined;
    if (active.killTimer) clearTimeout(active.killTimer);
    if (active.onAbort) active.signal?.removeEventListener('abort', active.onAbort);
    if (outcome instanceof PartitionFailure) active.reject(outcome);
    else active.resolve(outcome);
  }

  private onMessage(slot: Slot, worker: Worker, message: WorkerReply): void {
    if (slot.worker !== worker) return;
    if (message.type === 'ready') {
      slot.ready = true;
      slot.startFailures = 0;
      for (const waiter of [...this.readyWaiters]) waiter();
      return;
    }
    if ((message.type === 'result' || message.type === 'error') && message.indicatorCache) slot.indicatorCache = message.indicatorCache;
    const active = slot.task;
    if (!active || active.id !== message.id) return;
    switch (message.type) {
      case 'log':
        if (!active.cancelRequested) active.onLog?.(message.level, message.message);
        return;
      case 'progress':
        if (!active.cancelRequested) {
          try {
            active.onProgress?.(message.fraction);
          } catch (error) {
            this.logger?.warn({ err: errorMessage(error) }, 'progress callback threw');
          }
        }
        return;
      case 'result':
        this.finish(
          slot,
          active,
          active.cancelRequested
            ? new PartitionFailure('CANCELLED', 'cancelled')
            : { resultJson: message.resultJson, computeMs: message.computeMs, checkpoints: message.checkpoints, work: message.work },
        );
        return;
      case 'error':
        this.finish(
          slot,
          active,
          active.cancelRequested ? new PartitionFailure('CANCELLED', 'cancelled') : new PartitionFailure(message.code, message.message, message.stack),
        );
        return;
      case 'cancelled':
        this.finish(slot, active, new PartitionFailure('CANCELLED', 'cancelled'));
        return;
    }
  }

  private spawn(slot: Slot): void {
    if (this.closed) return;
    // A new thread counts from zero: what the previous one reported is kept.
    if (slot.indicatorCache) {
      this.retiredCacheTotals.hits += slot.indicatorCache.hits;
      this.retiredCacheTotals.misses += slot.indicatorCache.misses;
      this.retiredCacheTotals.computedBytes += slot.indicatorCache.computedBytes;
      slot.indicatorCache = undefined;
    }
    Atomics.store(slot.cancel, 0, 0);
    const init: WorkerInit = { cancelBuffer: slot.cancelBuffer, progressIntervalMs: this.progressIntervalMs, indicatorCacheBytes: this.cacheBytesPerWorker, indicatorCacheGrowBytes: this.cacheGrowBytesPerWorker, sandboxLimits: this.sandboxLimits };
    let worker: Worker;
    try {
      worker = new Worker(this.workerScript, { workerData: init, name: `quantgrid-partition-${slot.index}`, stdout: true, resourceLimits: { ...this.resourceLimits } });
    } catch (error) {
      slot.lastError = errorMessage(error);
      this.onWorkerGone(slot, undefined, `cannot start a worker thread: ${slot.lastError}`);
      return;
    }
    slot.worker = worker;
    slot.ready = false;
    slot.lastError = undefined;
    // Task code must not print, but if it does, keep stdout clean (it carries the ready line).
    worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    worker.on('message', (message: WorkerReply) => this.onMessage(slot, worker, message));
    worker.on('error', (error) => {
      if (slot.worker !== worker) return;
      slot.lastError = errorMessage(error);
      this.logger?.error({ slot: slot.index, err: slot.lastError }, 'worker thread crashed');
    });
    worker.on('messageerror', (error) => {
      this.logger?.error({ slot: slot.index, err: errorMessage(error) }, 'worker thread message could not be decoded');
    });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      this.onWorkerGone(slot, worker, `worker thread exited with code ${code}${slot.lastError ? `: ${slot.lastError}` : ''}`);
    });
  }

  /** A worker died by itself: fail its task (transient) and start another. */
  private onWorkerGone(slot: Slot, worker: Worker | undefined, reason: string): void {
    const wasReady = slot.ready;
    if (worker === undefined || slot.worker === worker) {
      slot.worker = undefined;
      slot.ready = false;
    }
    if (slot.task) this.finish(slot, slot.task, new PartitionFailure('INTERNAL', reason));
    if (this.closed) return;
    if (!wasReady) {
      slot.startFailures++;
      for (const waiter of [...this.readyWaiters]) waiter();
    }
    this.replacements++;
    // A worker that cannot even start (e.g. a broken task-kind module) is retried with backoff.
    const delay = wasReady ? 0 : Math.min(30_000, 200 * 2 ** Math.min(8, slot.startFailures - 1));
    this.logger?.warn({ slot: slot.index, reason, respawnInMs: delay }, 'replacing worker thread');
    if (delay === 0) this.spawn(slot);
    else {
      slot.respawnTimer = setTimeout(() => {
        slot.respawnTimer = undefined;
        this.spawn(slot);
      }, delay);
    }
  }

  /** Terminates a worker on purpose and starts a fresh one in its slot. */
  private replace(slot: Slot, reason: string): void {
    const old = slot.worker;
    slot.worker = undefined;
    slot.ready = false;
    this.replacements++;
    if (old) {
      old.terminate().catch((error: unknown) => this.logger?.warn({ slot: slot.index, err: errorMessage(error) }, 'terminating a worker failed'));
    }
    this.logger?.info({ slot: slot.index, reason }, 'replacing worker thread');
    this.spawn(slot);
  }
}
