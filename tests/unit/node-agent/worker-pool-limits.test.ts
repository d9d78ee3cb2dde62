import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKER_RESOURCE_LIMITS, WorkerPool } from '../../../node-agent/worker-pool.js';

const REAL_WORKER = new URL('../../../node-agent/partition-worker.js', import.meta.url);
const INDICATOR_CACHE = new URL('../../../shared/quant/strategies/indicator-cache.js', import.meta.url);

/**
 * The real partition worker, plus a "test-limits" kind answered first with what the thread was
 * set up with: its indicator-cache budget (as the task code sees it) and its V8 resource limits.
 */
let dir: string;
let limitsWorker: URL;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qg-worker-limits-'));
  const file = path.join(dir, 'limits-worker.mjs');
  writeFileSync(
    file,
    `import { parentPort, resourceLimits } from 'node:worker_threads';
import { effectiveIndicatorCacheBudget } from ${JSON.stringify(INDICATOR_CACHE.href)};
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, handler) =>
  on(event, event !== 'message' ? handler : (message) => {
    if (message?.kind !== 'test-limits') return handler(message);
    const resultJson = JSON.stringify({ cacheBudget: effectiveIndicatorCacheBudget(), resourceLimits });
    parentPort.postMessage({ type: 'result', id: message.id, resultJson, computeMs: 0 });
  });
await import(${JSON.stringify(REAL_WORKER.href)});
`,
  );
  limitsWorker = pathToFileURL(file);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Limits {
  cacheBudget: number;
  resourceLimits: { maxYoungGenerationSizeMb: number; maxOldGenerationSizeMb: number };
}

async function limitsOf(pool: WorkerPool): Promise<Limits> {
  const outcome = await pool.run({ kind: 'test-limits', specJson: '{}', partitionJson: '{}' });
  return JSON.parse(outcome.resultJson) as Limits;
}

test('each worker caps its indicator caches at its share of the pool budget', async () => {
  const pool = new WorkerPool({ size: 2, workerScript: limitsWorker, indicatorCacheBytes: 160 * 1024 * 1024 });
  assert.equal(pool.indicatorCacheBytesPerWorker, 80 * 1024 * 1024);
  await pool.start();
  try {
    const [a, b] = await Promise.all([limitsOf(pool), limitsOf(pool)]);
    assert.equal(a.cacheBudget, 80 * 1024 * 1024);
    assert.equal(b.cacheBudget, 80 * 1024 * 1024);
  } finally {
    await pool.close();
  }
});

test('without a pool budget the task code keeps its own default', async () => {
  const pool = new WorkerPool({ size: 1, workerScript: limitsWorker });
  assert.equal(pool.indicatorCacheBytesPerWorker, undefined);
  await pool.start();
  try {
    assert.equal((await limitsOf(pool)).cacheBudget, 128 * 1024 * 1024);
  } finally {
    await pool.close();
  }
});

test('worker threads get a small young generation by default, or the limits given', async () => {
  const defaults = new WorkerPool({ size: 1, workerScript: limitsWorker });
  const custom = new WorkerPool({ size: 1, workerScript: limitsWorker, resourceLimits: { maxYoungGenerationSizeMb: 24 } });
  await Promise.all([defaults.start(), custom.start()]);
  try {
    assert.equal((await limitsOf(defaults)).resourceLimits.maxYoungGenerationSizeMb, WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb);
    assert.equal((await limitsOf(custom)).resourceLimits.maxYoungGenerationSizeMb, 24);
  } finally {
    await Promise.all([defaults.close(), custom.close()]);
  }
});

test('a pool budget must be a whole number of bytes', () => {
  assert.throws(() => new WorkerPool({ size: 1, indicatorCacheBytes: -1 }), /indicator cache budget/);
  assert.throws(() => new WorkerPool({ size: 1, indicatorCacheBytes: 1.5 }), /indicator cache budget/);
  assert.equal(new WorkerPool({ size: 3, indicatorCacheBytes: 100 }).indicatorCacheBytesPerWorker, 33);
});
