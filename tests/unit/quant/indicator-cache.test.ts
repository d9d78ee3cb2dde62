import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { bollinger } from '../../../shared/quant/indicators/bollinger.js';
import { ema } from '../../../shared/quant/indicators/ema.js';
import { rsi } from '../../../shared/quant/indicators/rsi.js';
import { sma } from '../../../shared/quant/indicators/sma.js';
import {
  DEFAULT_INDICATOR_CACHE_BYTES,
  effectiveIndicatorCacheBudget,
  IndicatorCache,
  indicatorArraysReleased,
  priorExtreme,
  setIndicatorCacheBudget,
} from '../../../shared/quant/strategies/indicator-cache.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

const BARS = 1000;
const series = generateSyntheticSeries({ seed: 11, symbol: 'CACHE', timeframe: '1h', bars: BARS });
const ARRAY_BYTES = BARS * Float64Array.BYTES_PER_ELEMENT;

/** The lookups of an sma-crossover sweep in its order: fast outer, slow inner, fast < slow. */
function crossoverSweep(cache: IndicatorCache, fasts: number[], slows: number[]): number {
  let combinations = 0;
  for (const fast of fasts) {
    for (const slow of slows) {
      if (fast >= slow) continue;
      cache.sma(fast);
      cache.sma(slow);
      combinations++;
    }
  }
  return combinations;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(() => setIndicatorCacheBudget(undefined));

describe('IndicatorCache', () => {
  it('returns arrays bit-identical to fresh computations, whatever the budget and lookup order', () => {
    type Lookup = { kind: 'sma' | 'ema' | 'rsi' | 'hh' | 'll'; period: number } | { kind: 'bb'; period: number; k: number } | { kind: 'macd'; fast: number; slow: number; signal: number };
    const lookup: fc.Arbitrary<Lookup> = fc.oneof(
      fc.record({ kind: fc.constantFrom('sma' as const, 'ema' as const, 'rsi' as const, 'hh' as const, 'll' as const), period: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('bb' as const), period: fc.integer({ min: 2, max: 30 }), k: fc.constantFrom(1, 1.5, 2) }),
      fc.record({ kind: fc.constant('macd' as const), fast: fc.integer({ min: 1, max: 10 }), slow: fc.integer({ min: 11, max: 30 }), signal: fc.integer({ min: 1, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(lookup, { minLength: 1, maxLength: 80 }), fc.integer({ min: 0, max: 40 }), (lookups, arrays) => {
        const cache = new IndicatorCache(series, arrays * ARRAY_BYTES);
        for (const l of lookups) {
          switch (l.kind) {
            case 'sma':
              assert.deepEqual(cache.sma(l.period), sma(series.close, l.period));
              break;
            case 'ema':
              assert.deepEqual(cache.ema(l.period), ema(series.close, l.period));
              break;
            case 'rsi':
              assert.deepEqual(cache.rsi(l.period), rsi(series.close, l.period));
              break;
            case 'hh':
              assert.deepEqual(cache.priorHigh(l.period), priorExtreme(series.high, l.period, true));
              break;
            case 'll':
              assert.deepEqual(cache.priorLow(l.period), priorExtreme(series.low, l.period, false));
              break;
            case 'bb': {
              const bands = bollinger(series.close, l.period, l.k);
              assert.deepEqual(cache.bollinger(l.period, l.k), [bands.middle, bands.upper, bands.lower]);
              break;
            }
            case 'macd': {
              const fastEma = ema(series.close, l.fast);
              const slowEma = ema(series.close, l.slow);
              const line = fastEma.map((value, t) => value - slowEma[t]);
              assert.deepEqual(cache.macd(l.fast, l.slow, l.signal), [line, ema(line, l.signal)]);
              break;
            }
          }
          const { bytes, entries, budgetBytes } = cache.stats;
          // Over budget only with the few entries always kept.
          assert.ok(bytes <= budgetBytes || entries <= 8, `${bytes} bytes in ${entries} entries over a budget of ${budgetBytes}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('computes each array once when the sweep fits, even with finished arrays filling the budget', () => {
    // 100 slow arrays cycled through, plus the fast array finished with and the next one: 102 fit.
    // Finished fast arrays must go first, not the slow arrays least recently used.
    const cache = new IndicatorCache(series, 102 * ARRAY_BYTES);
    crossoverSweep(cache, range(2, 41), range(50, 149));
    assert.equal(cache.stats.misses, 140, 'one computation per distinct period');
    assert.equal(cache.stats.entries, 102);
  });

  it('keeps hitting when a sweep cycles through more arrays than fit (LRU would miss every slow lookup)', () => {
    // 100 slow arrays cycled through with room for 40: the best any policy can do is about 60 misses a cycle.
    const cache = new IndicatorCache(series, 40 * ARRAY_BYTES);
    const combinations = crossoverSweep(cache, range(2, 31), range(50, 149));
    const { misses } = cache.stats;
    assert.ok(misses / combinations < 0.7, `${misses} computations for ${combinations} combinations`);
    assert.ok(cache.stats.bytes <= 40 * ARRAY_BYTES);
  });

  it('reuses an evicted SMA array only once the partition that looked it up has ended', () => {
    const cache = new IndicatorCache(series, 0);
    // Within a partition: an evicted array a caller holds stays valid, however many are computed after it.
    const held = new Map<number, Float64Array>();
    for (let period = 5; period < 60; period++) held.set(period, cache.sma(period));
    assert.ok(cache.stats.evictions > 0);
    for (const [period, array] of held) assert.deepEqual(array, sma(series.close, period), `SMA(${period}) held through the partition`);
    // Once it has ended, the next SMAs computed are written into arrays evicted before (no new allocation), correctly.
    indicatorArraysReleased();
    const seen = new Set(held.values());
    let reused = 0;
    for (let period = 100; period < 110; period++) {
      const array = cache.sma(period);
      if (seen.has(array)) reused++;
      seen.add(array);
      assert.deepEqual(array, sma(series.close, period), `SMA(${period}) in a reused array`);
    }
    assert.ok(reused > 0, 'some SMA was written into an evicted array');
    // Only evicted ones: every period looked up before still gets its own values.
    for (const period of held.keys()) {
      const array = cache.sma(period);
      seen.add(array);
      assert.deepEqual(array, sma(series.close, period), `SMA(${period}) after the reuse`);
    }
    // A partial SMA (an incremental re-run's, from a bar on: the bars before are left 0) never takes one,
    // although one is free: the whole-series SMA computed right after takes it.
    indicatorArraysReleased();
    assert.deepEqual(cache.sma(200, 500), sma(series.close, 200, undefined, undefined, 500));
    assert.ok(seen.has(cache.sma(201)), 'an evicted array was free for the partial SMA');
  });

  it('holds at most 1,024 entries, however small they are', () => {
    const tiny = generateSyntheticSeries({ seed: 3, symbol: 'TINY', timeframe: '1m', bars: 100 });
    const cache = new IndicatorCache(tiny, 1024 * 1024 * 1024);
    for (let period = 1; period <= 1500; period++) cache.priorHigh(period);
    assert.equal(cache.stats.entries, 1024);
  });
});

describe('indicator cache budget of a thread', () => {
  it('defaults to 128 MiB, or to what the caller asks', () => {
    assert.equal(DEFAULT_INDICATOR_CACHE_BYTES, 128 * 1024 * 1024);
    assert.equal(new IndicatorCache(series).budgetBytes, DEFAULT_INDICATOR_CACHE_BYTES);
    assert.equal(new IndicatorCache(series, 1e9).budgetBytes, 1e9);
  });

  it('caps every cache created afterwards, and is the default budget', () => {
    setIndicatorCacheBudget(64 * 1024 * 1024);
    assert.equal(new IndicatorCache(series).budgetBytes, 64 * 1024 * 1024);
    assert.equal(new IndicatorCache(series, 128 * 1024 * 1024).budgetBytes, 64 * 1024 * 1024);
    assert.equal(new IndicatorCache(series, 1000).budgetBytes, 1000);
    assert.equal(effectiveIndicatorCacheBudget(), 64 * 1024 * 1024);
    setIndicatorCacheBudget(undefined);
    assert.equal(effectiveIndicatorCacheBudget(), DEFAULT_INDICATOR_CACHE_BYTES);
  });

  it('rejects a budget that is not a number of bytes', () => {
    assert.throws(() => setIndicatorCacheBudget(-1), RangeError);
    assert.throws(() => setIndicatorCacheBudget(Number.NaN), RangeError);
  });
});
