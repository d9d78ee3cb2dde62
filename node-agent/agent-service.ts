import * as grpc from '@grpc/grpc-js';
import { answerChallenge } from '../shared/auth/cluster-proof.js';
import type { NodeAgentHandlers } from '../shared/generated/quantgrid/v1/NodeAgent.js';
import type { RunPartitionRequest__Output } from '../shared/generated/quantgrid/v1/RunPartitionRequest.js';
import type { PartitionEvent } from '../shared/generated/quantgrid/v1/PartitionEvent.js';
import type { AgentStatus } from '../shared/generated/quantgrid/v1/AgentStatus.js';
import type { Logger } from '../shared/logging.js';
import { errorMessage, Internal, ValidationError } from '../shared/errors.js';
import { statusOfError } from '../shared/grpc/error-status.js';
import { isCompatibleVersion } from '../shared/version.js';
import { taskKindByName } from '../shared/tasks/registry.js';
import type { MachineProfile } from './machine-profile.js';
import type { LoadSample } from './load-monitor.js';
import { PartitionFailure, type PartitionErrorCode, type PartitionOutcome, type SlotLease } from './worker-pool.js';
import { MAX_HEARTBEAT_MS, MIN_HEARTBEAT_MS } from './agent-config.js';
import type { DecodedDataset } from '../shared/quant/dataset-codec.js';
import type { DatasetCacheStats } from './dataset-cache.js';
import type { FetchedStrategy, StrategyCache } from './strategy-cache.js';
import { isExactStrategyRef } from '../shared/sandbox/strategy-ref.js';
import { cancellableDelay } from './test-only-delay.js';
import { MAX_CHECKPOINT_UNITS_PER_PARTITION, MAX_UNIT_CHECKPOINT_BYTES, type UnitCheckpoint } from '../shared/tasks/continuation.js';

/** Where partitions get stored datasets from (the agent's DatasetCache). */
export interface DatasetSource {
  get(id: string, source: string): Promise<DecodedDataset>;
  stats(): DatasetCacheStats;
  /** Marks a dataset as used by a running partition until the returned function is called. */
  pin?(id: string): () => void;
}

/** The pool as the service sees it. */
export interface SlotSource {
  readonly size: number;
  readonly busySlots: number;
  tryAcquire(): SlotLease | undefined;
}

export interface AgentServiceOptions {
  /** The node id (known once the server is bound when it derives from the port). */
  nodeId: () => string;
  version: string;
  profile: MachineProfile;
  load: { current(): LoadSample };
  pool: SlotSource;
  capabilities: readonly string[];
  /** Heartbeat interval when the request asks for none (heartbeat_ms = 0). */
  heartbeatMs: number;
  logger: Logger;
  /** Least time between two progress events of one partition. */
  progressIntervalMs?: number;
  /** Whether a task kind exists (default: the shared registry). */
  knowsKind?: (kind: string) => boolean;
  /** Stored datasets (fetched from the coordinator, cached); without it specs naming one fail. */
  datasets?: DatasetSource;
  /** Where user strategies' bundles come from (fetched once per node). */
  strategies?: StrategyCache;
  /** The cluster secret, to answer a coordinator's challenge in GetStatus (calls are checked by agent-server.ts). */
  clusterSecret?: Uint8Array;
  /** Told of each partition that ran to a result, with the time run() took (the agent's metrics). */
  onCompleted?: (kind: string, computeMs: number) => void;
  /** TEST ONLY (test-only-delay.ts): each partition waits this long, cancellably, before it runs. */
  testOnlyPartitionDelayMs?: number;
}

export interface AgentCounters {
  /** Partitions that ran and sent a result. */
  completed: number;
  /** Partitions that ran (were given a slot) and ended with an error event. */
  failed: number;
  /** Partitions cancelled by the coordinator. */
  cancelled: number;
  /** Requests refused before running: VERSION_MISMATCH, INVALID_ARGUMENT, DRAINING, NO_FREE_SLOT. */
  refused: number;
}

const MAX_JOB_ID_LENGTH = 256;
/** A partition reads a dataset per symbol or asset; more than this many in one request is not a job of ours. */
const MAX_DATASETS_PER_PARTITION = 1024;
/** Most user strategies one partition may run. */
const MAX_STRATEGIES_PER_PARTITION = 16;
const DATASET_ID_PATTERN = /^[0-9a-f]{64}$/;

interface Running {
  jobId: string;
  partition: number;
  /** Ends the stream with this error and stops the worker. */
  abandon(code: PartitionErrorCode, message: string): void;
  done: Promise<void>;
}

/** The request's checkpoints (checked by refusal()) as the worker takes them. */
function checkpointsOf(request: RunPartitionRequest__Output): UnitCheckpoint[] | undefined {
  const given = Array.isArray(request.checkpoints) ? request.checkpoints : [];
  return given.length === 0 ? undefined : given.map((checkpoint) => ({ unit: checkpoint.unit, data: checkpoint.data }));
}

function errorEvent(code: PartitionErrorCode, message: string, deterministic: boolean, stack = ''): PartitionEvent {
  return { error: { code, message, deterministic, stack } };
}

/**
 * The NodeAgent gRPC service. RunPartition never queues: with no free slot, or while draining, it
 * answers with an error event at once so the coordinator can place the partition elsewhere.
 * Every refusal and failure is an error event on an OK stream; handlers never throw.
 */
export class AgentService {
  private draining = false;
  private readonly running = new Set<Running>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly startedAt = performance.now();
  private readonly progressIntervalMs: number;
  private readonly knowsKind: (kind: string) => boolean;
  readonly counters: AgentCounters = { completed: 0, failed: 0, cancelled: 0, refused: 0 };

  constructor(private readonly options: AgentServiceOptions) {
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.knowsKind = options.knowsKind ?? ((kind) => taskKindByName(kind) !== undefined);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** From now on RunPartition answers DRAINING; running partitions go on. */
  startDrain(): void {
    this.draining = true;
  }

  /** Resolves true once no partition runs, false when timeoutMs passes first. */
  waitUntilIdle(timeoutMs: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        if (this.running.size > 0) return;
        clearTimeout(timer);
        this.idleWaiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(waiter);
    });
  }

  /** Ends every running partition with a transient error (and stops its worker); waits until they are gone. */
  async abandonRunning(code: PartitionErrorCode, message: string): Promise<void> {
    const all = [...this.running];
    for (const running of all) running.abandon(code, message);
    await Promise.all(all.map((running) => running.done));
  }

  /** The status, with the answer to `challenge` when there is one and this agent holds the secret. */
  status(challenge = ''): AgentStatus {
    const { profile, pool, load } = this.options;
    const sample = load.current();
    const nodeId = this.options.nodeId();
    const secret = this.options.clusterSecret;
    return {
      nodeId,
      challengeAnswer: secret && challenge ? answerChallenge(secret, challenge, nodeId) : '',
      version: this.options.version,
      cores: profile.cores,
      cpuSpeedGhz: profile.cpuSpeedGhz,
      memoryTotalBytes: profile.memoryTotalBytes,
      memoryAvailableBytes: sample.memoryAvailableBytes,
      netSpeedMbps: profile.netSpeedMbps,
      slots: pool.size,
      busySlots: pool.busySlots,
      cpuLoad: sample.cpuLoad,
      netRxBytesPerS: sample.netRxBytesPerS,
      netTxBytesPerS: sample.netTxBytesPerS,
      capabilities: [...this.options.capabilities],
      uptimeS: (performance.now() - this.startedAt) / 1000,
      partitionsCompleted: this.counters.completed,
      partitionsFailed: this.counters.failed,
      draining: this.draining,
      ...this.datasetStatus(),
    };
  }

  private datasetStatus(): Partial<AgentStatus> {
    const stats = this.options.datasets?.stats();
    if (!stats) return {};
    return {
      datasetCacheHits: stats.hits,
      datasetCacheMisses: stats.misses,
      datasetBytesFetched: stats.bytesFetched,
      datasetCacheDiskHits: stats.diskHits,
      datasetCacheMemoryBytes: stats.memoryBytes,
      datasetCacheEntries: stats.entries,
      datasetCacheDiskBytes: stats.diskBytes,
      datasetCacheDiskEntries: stats.diskEntries,
      datasetCacheDiskEvictions: stats.diskEvictions,
    };
  }

  readonly handlers: NodeAgentHandlers = {
    GetStatus: (call, callback) => {
      try {
        const challenge = call.request.challenge;
        if (challenge.length > 512) return callback(statusOfError(new ValidationError('challenge', 'at most 512 characters')));
        callback(null, this.status(challenge));
      } catch (error) {
        this.options.logger.error({ err: errorMessage(error) }, 'GetStatus failed');
        callback(statusOfError(new Internal(`status unavailable: ${errorMessage(error)}`)));
      }
    },
    RunPartition: (call) => {
      try {
        this.runPartition(call);
      } catch (error) {
        this.options.logger.error({ err: errorMessage(error) }, 'RunPartition failed unexpectedly');
        try {
          if (!call.cancelled && call.writable) {
            call.write(errorEvent('INTERNAL', `agent failure: ${errorMessage(error)}`, false));
            call.end();
          }
        } catch {
          // The stream is gone; nothing more to tell.
        }
      }
    },
  };

  /**
   * The stored datasets the spec names, from the cache (fetched from request.dataset_source at most
   * once per id). Fetch failures are transient: another node (or a later attempt) may succeed.
   */
  private async loadDatasets(request: RunPartitionRequest__Output, ids: readonly string[]): Promise<Record<string, DecodedDataset> | undefined> {
    if (ids.length === 0) return undefined;
    const cache = this.options.datasets;
    if (!cache) throw new PartitionFailure('INVALID_ARGUMENT', 'this agent has no dataset cache; it cannot run jobs on stored datasets');
    const source = typeof request.datasetSource === 'string' ? request.datasetSource.trim() : '';
    const datasets: Record<string, DecodedDataset> = {};
    for (const id of ids) {
      try {
        datasets[id] = await cache.get(id, source);
      } catch (error) {
        throw new PartitionFailure('INTERNAL', `dataset ${id}: ${errorMessage(error)}`);
      }
    }
    return datasets;
  }

  /**
   * The user strategies the partition runs, by reference, from the cache (fetched from
   * request.dataset_source at most once per id). Fetch failures are transient, as for datasets.
   */
  private async loadStrategies(request: RunPartitionRequest__Output, refs: readonly string[]): Promise<Record<string, FetchedStrategy> | undefined> {
    if (refs.length === 0) return undefined;
    const cache = this.options.strategies;
    if (!cache) throw new PartitionFailure('INVALID_ARGUMENT', 'this agent has no strategy cache; it cannot run user strategies');
    const source = typeof request.datasetSource === 'string' ? request.datasetSource.trim() : '';
    const strategies: Record<string, FetchedStrategy> = {};
    for (const ref of refs) {
      try {
        strategies[ref] = await cache.get(ref.slice(ref.indexOf('@') + 1), source);
      } catch (error) {
        throw new PartitionFailure('INTERNAL', `strategy ${ref}: ${errorMessage(error)}`);
      }
    }
    return strategies;
  }

  /** Why a request cannot be accepted at all, checked before looking for a slot. */
  private refusal(request: RunPartitionRequest__Output): PartitionFailure | undefined {
    const version = typeof request.coordinatorVersion === 'string' ? request.coordinatorVersion.trim() : '';
    if (!version) {
      return new PartitionFailure('VERSION_MISMATCH', `coordinator_version is missing; this agent is version ${this.options.version}`);
    }
    if (!isCompatibleVersion(version, this.options.version)) {
      return new PartitionFailure(
        'VERSION_MISMATCH',
        `coordinator version ${version} is not compatible with agent version ${this.options.version} (major.minor must match)`,
      );
    }
    const bad = (message: string) => new PartitionFailure('INVALID_ARGUMENT', message);
    if (typeof request.jobId !== 'string' || request.jobId.trim() === '') return bad('job_id is empty');
    if (request.jobId.length > MAX_JOB_ID_LENGTH) return bad(`job_id is longer than ${MAX_JOB_ID_LENGTH} characters`);
    if (typeof request.kind !== 'string' || request.kind === '') return bad('kind is empty');
    if (!this.knowsKind(request.kind)) return bad(`unknown task kind "${request.kind}"`);
    if (typeof request.specJson !== 'string' || request.specJson.trim() === '') return bad('spec_json is empty');
    if (typeof request.partitionJson !== 'string' || request.partitionJson.trim() === '') return bad('partition_json is empty');
    const ids = Array.isArray(request.datasetIds) ? request.datasetIds : [];
    if (ids.length > MAX_DATASETS_PER_PARTITION) return bad(`dataset_ids: at most ${MAX_DATASETS_PER_PARTITION}`);
    const badId = ids.findIndex((id) => typeof id !== 'string' || !DATASET_ID_PATTERN.test(id));
    if (badId >= 0) return bad(`dataset_ids[${badId}]: not a dataset id (64 lower-case hex digits)`);
    const refs = Array.isArray(request.strategyRefs) ? request.strategyRefs : [];
    if (refs.length > MAX_STRATEGIES_PER_PARTITION) return bad(`strategy_refs: at most ${MAX_STRATEGIES_PER_PARTITION}`);
    const badRef = refs.findIndex((ref) => typeof ref !== 'string' || !isExactStrategyRef(ref));
    if (badRef >= 0) return bad(`strategy_refs[${badRef}]: not NAME@ID (ID: 64 lower-case hex digits)`);
    const checkpoints = Array.isArray(request.checkpoints) ? request.checkpoints : [];
    if (checkpoints.length > MAX_CHECKPOINT_UNITS_PER_PARTITION) return bad(`checkpoints: at most ${MAX_CHECKPOINT_UNITS_PER_PARTITION}`);
    const badCheckpoint = checkpoints.findIndex((c) => !c || !Number.isInteger(c.unit) || !(c.data instanceof Uint8Array) || c.data.byteLength === 0 || c.data.byteLength > MAX_UNIT_CHECKPOINT_BYTES);
    if (badCheckpoint >= 0) return bad(`checkpoints[${badCheckpoint}]: a unit index and 1 to ${MAX_UNIT_CHECKPOINT_BYTES} bytes of data`);
    if (this.draining) return new PartitionFailure('DRAINING', 'the agent is shutting down; run the partition elsewhere');
    return undefined;
  }

  private heartbeatInterval(requested: number): number {
    if (!Number.isFinite(requested) || requested <= 0) return this.options.heartbeatMs;
    return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, Math.round(requested)));
  }

  private runPartition(call: grpc.ServerWritableStream<RunPartitionRequest__Output, PartitionEvent>): void {
    const { logger } = this.options;
    const request = call.request ?? ({} as RunPartitionRequest__Output);
    const where = { jobId: request.jobId, partition: request.partition, attempt: request.attempt, kind: request.kind, peer: call.getPeer() };

    let ended = false;
    const send = (event: PartitionEvent): void => {
      if (ended || call.cancelled || !call.writable) return;
      call.write(event);
    };
    const end = (event?: PartitionEvent): void => {
      if (ended) return;
      if (event) send(event);
      ended = true;
      if (!call.cancelled && call.writable) call.end();
    };

    const refused = this.refusal(request);
    if (refused) {
      this.counters.refused++;
      logger.debug({ ...where, code: refused.code, err: refused.message }, 'partition refused');
      end(errorEvent(refused.code, refused.message, refused.deterministic));
      return;
    }
    const lease = this.options.pool.tryAcquire();
    if (!lease) {
      this.counters.refused++;
      logger.debug(where, 'partition refused: no free slot');
      end(errorEvent('NO_FREE_SLOT', `all ${this.options.pool.size} slots are busy`, false));
      return;
    }
    if (call.cancelled) {
      lease.release();
      return;
    }

    const controller = new AbortController();
    const heartbeatMs = this.heartbeatInterval(request.heartbeatMs);
    const heartbeat = () => send({ heartbeat: { timeMs: Date.now() } });
    heartbeat();
    const heartbeatTimer = setInterval(heartbeat, heartbeatMs);

    let lastProgress = -1;
    let lastProgressAt = -Infinity;
    const onProgress = (fraction: number) => {
      const now = performance.now();
      if (fraction === lastProgress || now - lastProgressAt < this.progressIntervalMs) return;
      lastProgress = fraction;
      lastProgressAt = now;
      send({ progress: { fraction } });
    };

    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    let abandoned: PartitionFailure | undefined;
    const running: Running = {
      jobId: request.jobId,
      partition: request.partition,
      done,
      abandon: (code, message) => {
        if (abandoned || ended) return;
        abandoned = new PartitionFailure(code, message);
        controller.abort();
      },
    };
    this.running.add(running);
    const onCancelled = () => controller.abort();
    call.on('cancelled', onCancelled);
    logger.debug({ ...where, heartbeatMs }, 'partition started');

    // The partition's stored datasets stay pinned (their disk-cache files kept) until it ends.
    const datasetIds = [...new Set(request.datasetIds ?? [])];
    const unpins = datasetIds.map((id) => this.options.datasets?.pin?.(id));
    const settle = (outcome: PartitionOutcome | PartitionFailure): void => {
      for (const unpin of unpins) unpin?.();
      clearInterval(heartbeatTimer);
      call.removeListener('cancelled', onCancelled);
      if (outcome instanceof PartitionFailure) {
        const failure = abandoned ?? outcome;
        if (failure.code === 'CANCELLED') {
          this.counters.cancelled++;
          logger.info(where, 'partition cancelled by the coordinator');
          end();
        } else {
          this.counters.failed++;
          const level = failure.deterministic ? 'info' : 'warn';
          logger[level]({ ...where, code: failure.code, err: failure.message }, 'partition failed');
          end(errorEvent(failure.code, failure.message, failure.deterministic, failure.taskStack));
        }
      } else {
        this.counters.completed++;
        this.options.onCompleted?.(request.kind, outcome.computeMs);
        logger.debug({ ...where, computeMs: Math.round(outcome.computeMs) }, 'partition completed');
        const result = outcome.work
          ? { resultJson: outcome.resultJson, computeMs: outcome.computeMs, checkpoints: outcome.checkpoints ?? [], work: outcome.work }
          : { resultJson: outcome.resultJson, computeMs: outcome.computeMs };
        end({ result });
      }
      this.running.delete(running);
      resolveDone();
      for (const waiter of [...this.idleWaiters]) waiter();
    };

    const strategyRefs = [...new Set(request.strategyRefs ?? [])];
    Promise.all([this.loadDatasets(request, datasetIds), this.loadStrategies(request, strategyRefs), cancellableDelay(this.options.testOnlyPartitionDelayMs ?? 0, controller.signal)])
      .then(
        ([datasets, strategies]) =>
          lease.run(
            { kind: request.kind, specJson: request.specJson, partitionJson: request.partitionJson, datasets, strategies, checkpoints: checkpointsOf(request) },
            { onProgress, onLog: (level, message) => send({ log: { level, message } }), signal: controller.signal },
          ),
        (error: unknown) => {
          lease.release();
          throw error;
        },
      )
      .then(settle, (error: unknown) =>
        settle(error instanceof PartitionFailure ? error : new PartitionFailure('INTERNAL', `agent failure: ${errorMessage(error)}`)),
      )
      .catch((error: unknown) => logger.error({ ...where, err: errorMessage(error) }, 'could not finish the partition stream'));
  }
}
