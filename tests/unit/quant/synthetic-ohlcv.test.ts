import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clearSyntheticCache,
  generateSyntheticSeries,
  SYNTHETIC_END_MS,
  syntheticCacheSize,
  syntheticSeries,
} from '../../../shared/quant/synthetic-ohlcv.js';
import { bucketStart } from '../../../shared/quant/resample.js';
import { hasFixedLength, TIMEFRAMES, timeframeMs } from '../../../shared/quant/timeframes.js';

function correlation(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('synthetic OHLCV', () => {
  it('is deterministic for (seed, symbol, timeframe, bars) and differs when any changes', () => {
    const request = { seed: 42, symbol: 'BTC-USD', timeframe: '1h' as const, bars: 500 };
    const a = generateSyntheticSeries(request);
    const b = generateSyntheticSeries({ ...request });
    for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
      assert.deepEqual(a[column], b[column], column);
    }
    assert.equal(a.symbol, 'BTC-USD');
    assert.equal(a.timeframe, '1h');
    const others = [
      generateSyntheticSeries({ ...request, seed: 43 }),
      generateSyntheticSeries({ ...request, symbol: 'ETH-USD' }),
      generateSyntheticSeries({ ...request, timeframe: '4h' }),
    ];
    for (const other of others) assert.notDeepEqual(other.close, a.close);
  });

  it('has consistent OHLC, positive volumes and aligned timestamps ending at a fixed epoch', () => {
    for (const timeframe of TIMEFRAMES) {
      if (!hasFixedLength(timeframe)) continue; // 1M: the next test
      const bars = 2000;
      const s = generateSyntheticSeries({ seed: 3, symbol: 'ABC', timeframe, bars });
      const ms = timeframeMs(timeframe);
      assert.equal(s.close.length, bars);
      assert.equal(s.time[bars - 1] + ms, SYNTHETIC_END_MS);
      if (timeframe === '1w') assert.equal(new Date(s.time[0]).getUTCDay(), 1, 'weeks start on Monday');
      for (let i = 0; i < bars; i++) {
        const o = s.open[i];
        const c = s.close[i];
        assert.ok(Number.isFinite(o) && o > 0 && Number.isFinite(c) && c > 0);
        assert.ok(s.high[i] >= Math.max(o, c), `${timeframe} high at ${i}`);
        assert.ok(s.low[i] <= Math.min(o, c) && s.low[i] > 0, `${timeframe} low at ${i}`);
        assert.ok(s.volume[i] > 0 && Number.isFinite(s.volume[i]));
        assert.equal(bucketStart(s.time[i], timeframe), s.time[i]);
        if (i > 0) assert.equal(s.time[i] - s.time[i - 1], ms);
      }
    }
  });

  it('puts 1M bars on the first of consecutive calendar months, the last one December 2023', () => {
    const s = generateSyntheticSeries({ seed: 3, symbol: 'ABC', timeframe: '1M', bars: 600 });
    assert.equal(s.time[599], Date.UTC(2023, 11, 1));
    for (let i = 0; i < 600; i++) {
      assert.equal(s.time[i], Date.UTC(2023, 11 - (599 - i), 1), `bar ${i}`);
      assert.ok(s.high[i] >= Math.max(s.open[i], s.close[i]) && s.low[i] <= Math.min(s.open[i], s.close[i]) && s.low[i] > 0);
      assert.ok(s.volume[i] > 0 && Number.isFinite(s.volume[i]));
    }
    // Far more months than Date can hold still get finite, increasing times.
    const long = generateSyntheticSeries({ seed: 3, symbol: 'ABC', timeframe: '1M', bars: 4_000_000 });
    assert.ok(Number.isFinite(long.time[0]) && long.time[0] < long.time[1]);
    assert.equal(long.time[3_999_999], Date.UTC(2023, 11, 1));
  });

  it('scales volatility with the bar length: weekly and monthly log returns are wider than daily ones', () => {
    const spread = (timeframe: '1d' | '1w' | '1M') => {
      const s = generateSyntheticSeries({ seed: 11, symbol: 'SPREAD', timeframe, bars: 3000 });
      let sum = 0;
      for (let i = 1; i < s.close.length; i++) sum += Math.log(s.close[i] / s.close[i - 1]) ** 2;
      return Math.sqrt(sum / (s.close.length - 1));
    };
    const [day, week, month] = [spread('1d'), spread('1w'), spread('1M')];
    assert.ok(week / day > 1.8 && week / day < 3.8, `week/day ${week / day} ≈ √7`);
    assert.ok(month / week > 1.4 && month / week < 3.2, `month/week ${month / week} ≈ √4.35`);
  });

  it('volumes rise with |returns| and volatility comes in regimes', () => {
    const s = generateSyntheticSeries({ seed: 8, symbol: 'VOL', timeframe: '1d', bars: 4000 });
    const absReturns: number[] = [];
    const volumes: number[] = [];
    for (let i = 1; i < s.close.length; i++) {
      absReturns.push(Math.abs(Math.log(s.close[i] / s.close[i - 1])));
      volumes.push(s.volume[i]);
    }
    assert.ok(correlation(absReturns, volumes) > 0.2);
    // Realised volatility over 50-bar windows varies far more than sampling noise alone would.
    const windowVols: number[] = [];
    for (let start = 0; start + 50 <= absReturns.length; start += 50) {
      const window = absReturns.slice(start, start + 50);
      windowVols.push(Math.sqrt(window.reduce((a, r) => a + r * r, 0) / 50));
    }
    assert.ok(Math.max(...windowVols) / Math.min(...windowVols) > 2.5);
  });

  it('stays finite and positive over very long series', () => {
    const s = generateSyntheticSeries({ seed: 1, symbol: 'LONG', timeframe: '1d', bars: 200_000 });
    for (let i = 0; i < s.close.length; i++) {
      assert.ok(s.close[i] > 1e-100 && s.close[i] < 1e100 && s.low[i] > 0 && Number.isFinite(s.high[i]));
    }
  });

  it('memoises a few series in process', () => {
    clearSyntheticCache();
    const request = { seed: 1, symbol: 'MEMO', timeframe: '1h' as const, bars: 200 };
    const first = syntheticSeries(request);
    assert.equal(syntheticSeries({ ...request }), first);
    assert.notEqual(syntheticSeries({ ...request, bars: 201 }), first);
    assert.deepEqual(first.close, generateSyntheticSeries(request).close);
    for (let i = 0; i < 20; i++) syntheticSeries({ ...request, symbol: `M${i}` });
    assert.ok(syntheticCacheSize() <= 6 && syntheticCacheSize() >= 1);
    clearSyntheticCache();
    assert.equal(syntheticCacheSize(), 0);
  });
});
