/**
 * Worker-thread entry: runs partitions for worker-pool.ts, one at a time. CPU-bound task code runs
 * here, never on the gRPC thread. Protocol: WorkerRequest in, WorkerReply out (see worker-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { taskKindByName } from '../shared/tasks/registry.js';
import { errorMessage } from '../shared/errors.js';
import { MAX_AGENT_MESSAGE_BYTES } from '../shared/grpc/message-limits.js';
import { clearInstalledDatasets, installDataset } from '../shared/quant/dataset.js';
import { indicatorArraysReleased, indicatorCacheTotals, setIndicatorCacheBudget } from '../shared/quant/strategies/indicator-cache.js';
import { MAX_LOG_LINE_BYTES, MAX_PARTITION_LOG_LINES, truncateUtf8 } from '../shared/job-log-limits.js';
import { installSandboxedStrategy, newPartition, setSandboxLimits } from '../shared/sandbox/sandbox-registry.js';
import { checkpointsWithinBudget, CollectingContinuation } from '../shared/tasks/continuation.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-pool.js';

if (!parentPort) throw new Error('partition-worker.js runs as a worker thread of the node agent');
const port = parentPort;
const init = workerData as WorkerInit;
const cancelFlag = new Int32Array(init.cancelBuffer);
const progressIntervalMs = init.progressIntervalMs;
// This thread's share of the agent's indicator-cache budget caps every cache the task code creates.
if (init.indicatorCacheBytes !== undefined) setIndicatorCacheBudget(init.indicatorCacheBytes, init.indicatorCacheGrowBytes);
if (init.sandboxLimits) setSandboxLimits(init.sandboxLimits);

function reply(message: WorkerReply): void {
  // Every end of a partition carries this thread's indicator-cache totals, for the agent's metrics.
  if (message.type === 'result' || message.type === 'error') message.indicatorCache = indicatorCacheTotals();
  port.postMessage(message);
}

/** The stack of what run() threw, bounded (the message is sent on its own). */
function stackOf(error: unknown): string | undefined {
  return error instanceof Error && typeof error.stack === 'string' ? truncateUtf8(error.stack, MAX_LOG_LINE_BYTES) : undefined;
}

function runPartition(request: WorkerRequest): void {
  const { id } = request;
  const isCancelled = () => Atomics.load(cancelFlag, 0) === id;

  const kind = taskKindByName(request.kind);
  if (!kind) {
    reply({ type: 'error', id, code: 'INVALID_ARGUMENT', message: `unknown task kind "${request.kind}"` });
    return;
  }
  let spec: unknown;
  let partition: unknown;
  try {
    spec = JSON.parse(request.specJson);
  } catch (error) {
    reply({ type: 'error', id, code: 'INVALID_ARGUMENT', message: `spec_json is not JSON: ${errorMessage(error)}` });
    return;
  }
  try {
    partition = JSON.parse(request.partitionJson);
  } catch (error) {
    reply({ type: 'error', id, code: 'INVALID_ARGUMENT', message: `partition_json is not JSON: ${errorMessage(error)}` });
    return;
  }

  let lastSent = -1;
  let lastSentAt = 0;
  let logged = 0;
  // A kind with a continuation runs with one in the cluster (its partials then carry no checkpoints);
  // a job on data it can continue along keeps them: run() gets the given ones, and what it leaves goes back.
  const keepsCheckpoints = kind.continuation !== undefined && kind.continuation.dataset(spec) !== undefined;
  const continuation = kind.continuation ? new CollectingContinuation(keepsCheckpoints ? (request.checkpoints ?? []) : []) : undefined;
  const context = {
    warn(message: string): void {
      logged += 1;
      if (logged <= MAX_PARTITION_LOG_LINES) reply({ type: 'log', id, level: 'warn', message: truncateUtf8(String(message)) });
    },
    reportProgress(fraction: number): void {
      if (typeof fraction !== 'number' || !Number.isFinite(fraction)) return;
      const clamped = Math.min(1, Math.max(0, fraction));
      const now = performance.now();
      if (clamped === lastSent || now - lastSentAt < progressIntervalMs) return;
      lastSent = clamped;
      lastSentAt = now;
      reply({ type: 'progress', id, fraction: clamped });
    },
    isCancelled,
    continuation,
  };

  // Stored datasets arrive with the request (shared memory); the previous partition's are released.
  const datasets = request.datasets ?? {};
  clearInstalledDatasets(new Set(Object.keys(datasets)));
  for (const [datasetId, dataset] of Object.entries(datasets)) installDataset(datasetId, dataset);
  // User strategies run in sandboxes: fresh isolates and time budgets for every partition.
  newPartition(Object.keys(request.strategies ?? {}));
  for (const [ref, { code, manifest }] of Object.entries(request.strategies ?? {})) installSandboxedStrategy(ref, code, manifest);

  const started = performance.now();
  const droppedNote = (): void => {
    if (logged > MAX_PARTITION_LOG_LINES) reply({ type: 'log', id, level: 'warn', message: `${logged - MAX_PARTITION_LOG_LINES} more lines dropped (at most ${MAX_PARTITION_LOG_LINES} per attempt)` });
  };
  let partial: unknown;
  try {
    partial = kind.run(spec, partition, context);
  } catch (error) {
    if (isCancelled()) {
      reply({ type: 'cancelled', id });
      return;
    }
    // A ValidationError from run() means the spec or partition is bad input, not a task bug.
    const code = error instanceof Error && error.name === 'ValidationError' ? 'INVALID_ARGUMENT' : 'TASK_ERROR';
    droppedNote();
    reply({ type: 'error', id, code, message: errorMessage(error) || 'run() threw without a message', stack: stackOf(error) });
    return;
  }
  droppedNote();
  const computeMs = performance.now() - started;
  if (isCancelled()) {
    reply({ type: 'cancelled', id });
    return;
  }
  let resultJson: string | undefined;
  try {
    resultJson = JSON.stringify(partial);
  } catch (error) {
    reply({ type: 'error', id, code: 'TASK_ERROR', message: `the partial result is not JSON-serialisable: ${errorMessage(error)}` });
    return;
  }
  if (resultJson === undefined) {
    reply({ type: 'error', id, code: 'TASK_ERROR', message: 'run() returned nothing JSON-serialisable' });
    return;
  }
  // One PartitionResult message: the coordinator reads at most MAX_AGENT_MESSAGE_BYTES.
  const bytes = Buffer.byteLength(resultJson, 'utf8');
  if (bytes > MAX_AGENT_MESSAGE_BYTES) {
    const limit = `${MAX_AGENT_MESSAGE_BYTES / (1024 * 1024)} MiB`;
    reply({ type: 'error', id, code: 'TASK_ERROR', message: `the partition's result is ${(bytes / (1024 * 1024)).toFixed(1)} MiB, over the ${limit} a partition may return: split the job into more partitions (max_partitions) or ask for less (e.g. no include_series)` });
    return;
  }
  if (!continuation || !keepsCheckpoints) {
    reply({ type: 'result', id, resultJson, computeMs });
    return;
  }
  // Checkpoints past the message budget are left out: their units run in full next time.
  const { kept } = checkpointsWithinBudget(continuation.left);
  reply({ type: 'result', id, resultJson, computeMs, checkpoints: kept, work: continuation.work });
}

port.on('message', (request: WorkerRequest) => {
  if (request?.type !== 'run') return;
  try {
    runPartition(request);
  } catch (error) {
    // Only the messaging itself can get here (e.g. a reply that cannot be cloned).
    reply({ type: 'error', id: request.id, code: 'INTERNAL', message: `worker failure: ${errorMessage(error)}` });
  } finally {
    // The partition ran to its end here: nothing it looked up is read any more.
    indicatorArraysReleased();
  }
});

reply({ type: 'ready' });
