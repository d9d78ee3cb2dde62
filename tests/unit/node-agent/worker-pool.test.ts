import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PartitionFailure, WorkerPool, type PartitionTask } from '../../../node-agent/worker-pool.js';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

const REAL_WORKER = new URL('../../../node-agent/partition-worker.js', import.meta.url);

/**
 * A worker script for failure tests: the real partition worker, plus test kinds handled first:
 * "test-crash" exits the thread, "test-spin" busy-loops ignoring cancellation.
 */
let dir: string;
let testWorker: URL;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qg-worker-pool-'));
  const file = path.join(dir, 'test-worker.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
const on = parentPort.on.bind(parentPort);
// Wrap the real worker's message handler (a second listener could miss messages queued before it).
parentPort.on = (event, handler) =>
  on(event, event !== 'message' ? handler : (message) => {
    if (message?.kind === 'test-crash') process.exit(7);
    if (message?.kind === 'test-spin') { const end = Date.now() + 10000; while (Date.now() < end) {} }
    handler(message);
  });
await import(${JSON.stringify(REAL_WORKER.href)});
`,
  );
  testWorker = pathToFileURL(file);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function noop(workMs: number, options: { first?: number; failPartition?: number } = {}): PartitionTask {
  return {
    kind: 'noop',
    specJson: JSON.stringify({ partitions: 10, workMs, failPartition: options.failPartition ?? -1 }),
    partitionJson: JSON.stringify({ first: options.first ?? 0, count: 1 }),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<PartitionFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PartitionFailure, `expected PartitionFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the partition to fail');
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

test('runs noop partitions in parallel, one per slot, and refuses a third with NO_FREE_SLOT', async () => {
  const pool = new WorkerPool({ size: 2 });
  await pool.start();
  try {
    assert.equal(pool.size, 2);
    assert.equal(pool.busySlots, 0);
    const started = performance.now();
    const a = pool.run(noop(300, { first: 3 }));
    const b = pool.run(noop(300, { first: 4 }));
    assert.equal(pool.busySlots, 2);
    assert.equal(pool.tryAcquire(), undefined);
    const refused = await failureOf(pool.run(noop(0)));
    assert.equal(refused.code, 'NO_FREE_SLOT');
    assert.equal(refused.deterministic, false);
    const [ra, rb] = await Promise.all([a, b]);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 590, `two 300 ms partitions ran in parallel (took ${elapsed.toFixed(0)} ms)`);
    assert.deepEqual(JSON.parse(ra.resultJson), { count: 1, sum: 3 });
    assert.deepEqual(JSON.parse(rb.resultJson), { count: 1, sum: 4 });
    assert.ok(ra.computeMs >= 299 && ra.computeMs < 500, `computeMs ${ra.computeMs}`);
    assert.equal(pool.busySlots, 0);
  } finally {
    await pool.close();
  }
});

test('a lease reserves a slot until released', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const lease = pool.tryAcquire();
    assert.ok(lease);
    assert.equal(pool.busySlots, 1);
    assert.equal(pool.tryAcquire(), undefined);
    lease.release();
    assert.equal(pool.busySlots, 0);
    const again = pool.tryAcquire();
    assert.ok(again);
    const outcome = await again.run(noop(0, { first: 9 }));
    assert.deepEqual(JSON.parse(outcome.resultJson), { count: 1, sum: 9 });
    assert.equal(pool.busySlots, 0);
  } finally {
    await pool.close();
  }
});

test('reports progress', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const seen: number[] = [];
    await pool.run(noop(0), { onProgress: (fraction) => seen.push(fraction) });
    assert.deepEqual(seen, [1]);
  } finally {
    await pool.close();
  }
});

test('cancellation stops a busy worker: busy slots drop within 300 ms', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const controller = new AbortController();
    const running = pool.run(noop(60_000), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(pool.busySlots, 1);
    controller.abort();
    const failure = await failureOf(running);
    assert.equal(failure.code, 'CANCELLED');
    const dropped = await waitFor(() => pool.busySlots === 0, 300);
    assert.ok(dropped < 300);
    // The cooperative stop keeps the thread: nothing replaced, the slot works at once.
    assert.equal(pool.replacedWorkers, 0);
    const outcome = await pool.run(noop(0, { first: 2 }));
    assert.deepEqual(JSON.parse(outcome.resultJson), { count: 1, sum: 2 });
  } finally {
    await pool.close();
  }
});

test('a worker that ignores cancellation is terminated and replaced', async () => {
  const pool = new WorkerPool({ size: 1, workerScript: testWorker, cancelGraceMs: 200 });
  await pool.start();
  try {
    const controller = new AbortController();
    const running = pool.run({ kind: 'test-spin', specJson: '{}', partitionJson: '{}' }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const abortedAt = performance.now();
    controller.abort();
    const failure = await failureOf(running);
    assert.equal(failure.code, 'CANCELLED');
    await waitFor(() => pool.busySlots === 0, 300);
    assert.ok(performance.now() - abortedAt < 300, 'slot freed within 300 ms of the abort');
    assert.equal(pool.replacedWorkers, 1);
    const outcome = await pool.run(noop(0, { first: 5 }));
    assert.deepEqual(JSON.parse(outcome.resultJson), { count: 1, sum: 5 });
  } finally {
    await pool.close();
  }
});

test('a throwing partition fails with a deterministic TASK_ERROR carrying its message', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const failure = await failureOf(pool.run(noop(0, { first: 3, failPartition: 3 })));
    assert.equal(failure.code, 'TASK_ERROR');
    assert.equal(failure.deterministic, true);
    assert.match(failure.message, /noop partition 3 fails on purpose/);
    assert.equal(pool.busySlots, 0);
  } finally {
    await pool.close();
  }
});

test('what the task reports reaches onLog, and a throw carries its stack trace', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const lines: Array<[string, string]> = [];
    const failure = await failureOf(pool.run(noop(0, { first: 3, failPartition: 3 }), { onLog: (level, message) => lines.push([level, message]) }));
    assert.deepEqual(lines, [['warn', 'noop partition 3 is about to fail on purpose']]);
    assert.match(failure.taskStack ?? '', /^Error: noop partition 3 fails on purpose\n\s+at /);
  } finally {
    await pool.close();
  }
});

test('the indicator-cache totals of the worker threads add up across partitions', async () => {
  const spec = backtestKind.validate({ symbols: ['BTCUSDT'], dataset: { bars: 2000, seed: 1 }, params: { fast: { start: 5, stop: 8, step: 1 }, slow: { start: 20, stop: 22, step: 1 } } }, DEFAULT_SPEC_LIMITS);
  const [partition] = backtestKind.plan(spec, { partitions: 1 });
  const task: PartitionTask = { kind: 'backtest', specJson: JSON.stringify(spec), partitionJson: JSON.stringify(partition) };
  const pool = new WorkerPool({ size: 2 });
  await pool.start();
  try {
    assert.deepEqual(pool.indicatorCacheTotals(), { hits: 0, misses: 0, computedBytes: 0 });
    await pool.run(task);
    const first = pool.indicatorCacheTotals();
    // 4 fast × 3 slow periods: each SMA computed once per series, then reused across combinations.
    assert.ok(first.misses > 0 && first.hits > 0 && first.computedBytes >= first.misses * 2000 * 8, JSON.stringify(first));
    await Promise.all([pool.run(task), pool.run(task)]);
    const after = pool.indicatorCacheTotals();
    // Every run looks the same arrays up, but a thread that ran the task before may skip a lookup or two: its
    // last combination's signals are still in its buffer when the same one comes first again (evaluation.ts signalsOf).
    const lookups = first.hits + first.misses;
    assert.ok(after.hits + after.misses <= 3 * lookups && after.hits + after.misses >= 3 * lookups - 4, JSON.stringify(after));
    // The second thread computes them once; the first finds some or all of them still cached.
    assert.ok(after.misses >= 2 * first.misses && after.misses <= 3 * first.misses, JSON.stringify(after));
  } finally {
    await pool.close();
  }
});

test('unknown kinds and malformed JSON are deterministic INVALID_ARGUMENT', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  try {
    const unknown = await failureOf(pool.run({ kind: 'nope', specJson: '{}', partitionJson: '{}' }));
    assert.equal(unknown.code, 'INVALID_ARGUMENT');
    assert.equal(unknown.deterministic, true);
    assert.match(unknown.message, /unknown task kind "nope"/);
    const badSpec = await failureOf(pool.run({ kind: 'noop', specJson: '{', partitionJson: '{}' }));
    assert.equal(badSpec.code, 'INVALID_ARGUMENT');
    assert.match(badSpec.message, /spec_json/);
    const badPartition = await failureOf(pool.run({ kind: 'noop', specJson: '{}', partitionJson: 'x' }));
    assert.match(badPartition.message, /partition_json/);
  } finally {
    await pool.close();
  }
});

test('a crashed worker fails its task as transient INTERNAL and is replaced', async () => {
  const pool = new WorkerPool({ size: 2, workerScript: testWorker });
  await pool.start();
  try {
    const failure = await failureOf(pool.run({ kind: 'test-crash', specJson: '{}', partitionJson: '{}' }));
    assert.equal(failure.code, 'INTERNAL');
    assert.equal(failure.deterministic, false);
    assert.match(failure.message, /exited with code 7/);
    assert.equal(pool.replacedWorkers, 1);
    assert.equal(pool.busySlots, 0);
    // Both slots still work, in parallel.
    const results = await Promise.all([pool.run(noop(50, { first: 1 })), pool.run(noop(50, { first: 2 }))]);
    assert.deepEqual(
      results.map((r) => JSON.parse(r.resultJson).sum),
      [1, 2],
    );
  } finally {
    await pool.close();
  }
});

test('close() fails running partitions with INTERNAL', async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  const failed = failureOf(pool.run(noop(60_000)));
  await pool.close();
  const failure = await failed;
  assert.equal(failure.code, 'INTERNAL');
  assert.equal(pool.freeSlots, 0);
});

test('start() fails clearly when the worker script cannot load', async () => {
  const broken = path.join(dir, 'broken-worker.mjs');
  writeFileSync(broken, "throw new Error('cannot load task kinds');\n");
  const pool = new WorkerPool({ size: 1, workerScript: pathToFileURL(broken) });
  await assert.rejects(pool.start(), /worker thread 0 failed to start: .*cannot load task kinds/);
});
