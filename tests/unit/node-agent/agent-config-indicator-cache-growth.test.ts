import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INDICATOR_CACHE_MB, INDICATOR_CACHE_GROW_FRACTION, parseAgentConfig } from '../../../node-agent/agent-config.js';
import { WorkerPool } from '../../../node-agent/worker-pool.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

test('the default indicator-cache budget may grow to a quarter of the machine memory; a given budget is a hard cap', () => {
  assert.equal(INDICATOR_CACHE_GROW_FRACTION, 0.25);
  const parse = (argv: string[], env: Record<string, string> = {}, memoryBytes = 16 * GIB) => parseAgentConfig(argv, { env, cores: 2, memoryBytes });
  assert.equal(parse([]).indicatorCacheGrowBytes, 4 * GIB);
  // Never below the budget itself (a small machine).
  assert.equal(parse([], {}, 256 * MIB).indicatorCacheGrowBytes, DEFAULT_INDICATOR_CACHE_MB * MIB);
  assert.equal(parse(['--indicator-cache-mb', '160']).indicatorCacheGrowBytes, undefined);
  assert.equal(parse([], { QUANTGRID_INDICATOR_CACHE_MB: '96' }).indicatorCacheGrowBytes, undefined);
  // Without the memory given, the machine's own.
  const own = parseAgentConfig([], { env: {}, cores: 2 }).indicatorCacheGrowBytes;
  assert.ok(own !== undefined && own >= DEFAULT_INDICATOR_CACHE_MB * MIB);
});

test('each worker may grow its caches to its share of the pool growth limit', () => {
  assert.equal(new WorkerPool({ size: 2, indicatorCacheBytes: 160 * MIB, indicatorCacheGrowBytes: 4 * GIB }).indicatorCacheGrowBytesPerWorker, 2 * GIB);
  assert.equal(new WorkerPool({ size: 2, indicatorCacheBytes: 160 * MIB }).indicatorCacheGrowBytesPerWorker, undefined);
  assert.throws(() => new WorkerPool({ size: 1, indicatorCacheBytes: 1, indicatorCacheGrowBytes: -1 }), /growth limit/);
});
