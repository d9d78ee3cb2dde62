import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { sma } from '../../../shared/quant/indicators/sma.js';
import { IndicatorCache, setIndicatorCacheBudget } from '../../../shared/quant/strategies/indicator-cache.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

const BARS = 1000;
const series = generateSyntheticSeries({ seed: 5, symbol: 'GROW', timeframe: '1h', bars: BARS });
const ARRAY_BYTES = BARS * Float64Array.BYTES_PER_ELEMENT;
const FASTS = Array.from({ length: 20 }, (_, i) => 2 + i);
const SLOWS = Array.from({ length: 40 }, (_, i) => 50 + i);

/** An sma-crossover sweep's lookups (fast outer, slow inner), every array checked against a fresh one. */
function sweep(cache: IndicatorCache): void {
  for (const fast of FASTS) {
    for (const slow of SLOWS) {
      assert.deepEqual(cache.sma(fast), sma(series.close, fast));
      assert.deepEqual(cache.sma(slow), sma(series.close, slow));
    }
  }
}

afterEach(() => setIndicatorCacheBudget(undefined));

describe('indicator cache growth (the agent default budget: setIndicatorCacheBudget(bytes, growToBytes))', () => {
  it("grows past its budget to the job's working set instead of thrashing", () => {
    setIndicatorCacheBudget(10 * ARRAY_BYTES, 1000 * ARRAY_BYTES);
    const cache = new IndicatorCache(series);
    assert.equal(cache.budgetBytes, 10 * ARRAY_BYTES);
    sweep(cache);
    // A slow array is computed again at most once: after the first row, used once so far, it looks finished.
    assert.ok(cache.stats.misses <= FASTS.length + 2 * SLOWS.length, `${cache.stats.misses} misses`);
    const misses = cache.stats.misses;
    sweep(cache); // the same job again (another partition): only the fast arrays, evicted once finished
    assert.equal(cache.stats.misses - misses, FASTS.length);
    // The 40 slow arrays are read on every row; each finished fast array was evicted (dead) instead of growing further.
    assert.ok(cache.budgetBytes >= SLOWS.length * ARRAY_BYTES && cache.budgetBytes <= (SLOWS.length + 2) * ARRAY_BYTES, `budget ${cache.budgetBytes / ARRAY_BYTES} arrays`);
    assert.ok(cache.stats.evictions > 0);
    assert.ok(cache.stats.bytes <= cache.budgetBytes);
  });

  it('never grows past growToBytes: past it, it evicts as before', () => {
    setIndicatorCacheBudget(10 * ARRAY_BYTES, 20 * ARRAY_BYTES);
    const cache = new IndicatorCache(series);
    sweep(cache);
    assert.ok(cache.budgetBytes <= 20 * ARRAY_BYTES);
    assert.ok(cache.stats.misses > FASTS.length + SLOWS.length);
  });

  it('does not grow without a growth limit, nor for a cache given its own budget', () => {
    setIndicatorCacheBudget(10 * ARRAY_BYTES);
    const capped = new IndicatorCache(series);
    sweep(capped);
    assert.equal(capped.budgetBytes, 10 * ARRAY_BYTES);
    assert.equal(capped.growToBytes, 10 * ARRAY_BYTES);
    setIndicatorCacheBudget(10 * ARRAY_BYTES, 1000 * ARRAY_BYTES);
    const own = new IndicatorCache(series, 5 * ARRAY_BYTES);
    sweep(own);
    assert.equal(own.budgetBytes, 5 * ARRAY_BYTES);
  });

  it('rejects a growth limit that is not a number of bytes ≥ 0', () => {
    assert.throws(() => setIndicatorCacheBudget(1, -1), RangeError);
    assert.throws(() => setIndicatorCacheBudget(1, Number.NaN), RangeError);
  });
});
