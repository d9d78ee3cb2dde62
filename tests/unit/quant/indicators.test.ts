import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BollingerBands, EMA, MACD, RSI, SMA } from 'technicalindicators';
import { bollinger } from '../../../shared/quant/indicators/bollinger.js';
import { ema } from '../../../shared/quant/indicators/ema.js';
import { macd } from '../../../shared/quant/indicators/macd.js';
import { rsi } from '../../../shared/quant/indicators/rsi.js';
import { sma } from '../../../shared/quant/indicators/sma.js';
import { binEdge, volumeProfile } from '../../../shared/quant/indicators/volume-profile.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

// The oracle is the `technicalindicators` package. Its conventions, read from its source:
//  - SMA, EMA, MACD, BollingerBands return only the defined values (no warm-up entries), so
//    its element j lines up with our index j + (first defined index);
//  - EMA is seeded with the SMA of the first `period` values, like ours;
//  - MACD with SimpleMAOscillator/SimpleMASignal = false runs such EMAs on the closes and on
//    the MACD line, like ours;
//  - Bollinger uses the population standard deviation (÷ period), like ours;
//  - RSI uses Wilder smoothing seeded with simple means, like ours, but rounds to 2 decimals,
//    so it is checked to ±0.005 and, exactly, against a small reference written below.

// Longer than the 1024-step resync of the running sums, so that path is checked too.
const series = generateSyntheticSeries({ seed: 7, symbol: 'ORACLE', timeframe: '1h', bars: 3000 });
const closes = Array.from(series.close);

/** |actual − expected| ≤ tolerance × max(1, |expected|), or ≤ tolerance when `absolute`. */
function assertClose(actual: number, expected: number, tolerance: number, where: string, absolute = false): void {
  const scale = absolute ? 1 : Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `${where}: ${actual} vs ${expected}`);
}

/** ours[i] is NaN before `first`; from `first` on it matches theirs[i − first]. */
function assertAligned(
  ours: Float64Array,
  theirs: readonly (number | undefined)[],
  first: number,
  tolerance: number,
  name: string,
  absolute = false,
): void {
  assert.equal(ours.length, closes.length);
  for (let i = 0; i < first; i++) assert.ok(Number.isNaN(ours[i]), `${name}[${i}] should be NaN (warm-up)`);
  assert.equal(theirs.length, ours.length - first, `${name}: oracle length`);
  for (let i = first; i < ours.length; i++) {
    const expected = theirs[i - first];
    assert.ok(expected !== undefined, `${name}: oracle has no value at ${i}`);
    assertClose(ours[i], expected, tolerance, `${name}[${i}]`, absolute);
  }
}

describe('indicators against technicalindicators', () => {
  it('SMA', () => {
    for (const period of [1, 2, 5, 20, 50, 200]) {
      assertAligned(sma(closes, period), SMA.calculate({ period, values: closes }), period - 1, 1e-9, `sma(${period})`);
    }
  });

  it('EMA (seeded with the simple mean of the first n inputs)', () => {
    for (const period of [1, 3, 12, 26, 50]) {
      assertAligned(ema(closes, period), EMA.calculate({ period, values: closes }), period - 1, 1e-9, `ema(${period})`);
    }
  });

  it('RSI (the oracle rounds to 2 decimals)', () => {
    for (const period of [2, 14, 30]) {
      assertAligned(rsi(closes, period), RSI.calculate({ period, values: closes }), period, 0.0051, `rsi(${period})`, true);
    }
  });

  it('MACD 12/26/9 with EMAs', () => {
    const ours = macd(closes);
    const theirs = MACD.calculate({
      values: closes,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    assertAligned(ours.macd, theirs.map((row) => row.MACD), 25, 1e-9, 'macd');
    // The signal starts after 9 MACD values.
    const firstSignal = 25 + 8;
    for (let i = 0; i < closes.length; i++) {
      const row = theirs[i - 25];
      if (i < firstSignal) {
        assert.ok(Number.isNaN(ours.signal[i]) && Number.isNaN(ours.histogram[i]), `signal[${i}] warm-up`);
        if (row) assert.equal(row.signal, undefined);
        continue;
      }
      assertClose(ours.signal[i], row.signal!, 1e-9, `signal[${i}]`);
      assertClose(ours.histogram[i], row.histogram!, 1e-9, `histogram[${i}]`);
    }
  });

  it('Bollinger 20/2 with the population standard deviation', () => {
    const ours = bollinger(closes, 20, 2);
    const theirs = BollingerBands.calculate({ period: 20, stdDev: 2, values: closes });
    assertAligned(ours.middle, theirs.map((b) => b.middle), 19, 1e-9, 'middle');
    assertAligned(ours.upper, theirs.map((b) => b.upper), 19, 1e-9, 'upper');
    assertAligned(ours.lower, theirs.map((b) => b.lower), 19, 1e-9, 'lower');
  });
});

describe('indicators against small references', () => {
  // Wilder RSI straight from the definition, without rounding.
  function referenceRsi(values: number[], period: number): number[] {
    const out = values.map(() => NaN);
    const gains: number[] = [];
    const losses: number[] = [];
    for (let t = 1; t < values.length; t++) {
      const change = values[t] - values[t - 1];
      gains.push(Math.max(change, 0));
      losses.push(Math.max(-change, 0));
    }
    let avgGain = 0;
    let avgLoss = 0;
    for (let t = period; t < values.length; t++) {
      if (t === period) {
        avgGain = gains.slice(0, period).reduce((a, b) => a + b, 0) / period;
        avgLoss = losses.slice(0, period).reduce((a, b) => a + b, 0) / period;
      } else {
        avgGain = (avgGain * (period - 1) + gains[t - 1]) / period;
        avgLoss = (avgLoss * (period - 1) + losses[t - 1]) / period;
      }
      out[t] = avgLoss === 0 ? (avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + avgGain / avgLoss);
    }
    return out;
  }

  it('RSI exactly', () => {
    for (const period of [1, 2, 14]) {
      const ours = rsi(closes, period);
      const expected = referenceRsi(closes, period);
      for (let i = 0; i < closes.length; i++) {
        if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(ours[i]));
        else assertClose(ours[i], expected[i], 1e-9, `rsi(${period})[${i}]`);
      }
    }
  });

  it('RSI of a flat series is 50 and of a rising one 100', () => {
    assert.equal(rsi([5, 5, 5, 5, 5], 2)[4], 50);
    assert.equal(rsi([1, 2, 3, 4, 5], 2)[4], 100);
    assert.equal(rsi([5, 4, 3, 2, 1], 2)[4], 0);
  });

  it('EMA skips leading NaN inputs (another indicator warm-up)', () => {
    const values = [NaN, NaN, 1, 2, 3, 4, 5, 6];
    const out = ema(values, 3);
    // Seed at index 4 = mean(1, 2, 3) = 2; then α = 0.5.
    assert.deepEqual(Array.from(out.slice(0, 4)).map(Number.isNaN), [true, true, true, true]);
    assert.equal(out[4], 2);
    assert.equal(out[5], 3);
    assert.equal(out[6], 4);
    assert.equal(out[7], 5);
  });

  it('warm-up is NaN and short inputs give all NaN', () => {
    assert.ok(Array.from(sma([1, 2], 3)).every(Number.isNaN));
    assert.ok(Array.from(ema([1, 2], 3)).every(Number.isNaN));
    assert.ok(Array.from(rsi([1, 2, 3], 3)).every(Number.isNaN));
    assert.ok(Array.from(macd([1, 2, 3]).macd).every(Number.isNaN));
    assert.ok(Array.from(bollinger([1, 2, 3], 20).middle).every(Number.isNaN));
    assert.throws(() => sma([1, 2, 3], 0), RangeError);
    assert.throws(() => ema([1, 2, 3], 1.5), RangeError);
  });

  it('Bollinger: the band half-width is k population standard deviations', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, population σ 2
    const bands = bollinger(values, 8, 2);
    assert.equal(bands.middle[7], 5);
    assertClose(bands.upper[7], 9, 1e-12, 'upper');
    assertClose(bands.lower[7], 1, 1e-12, 'lower');
  });

  // Volume profile straight from the definition: bins by scanning their edges, value area by
  // trying every contiguous window containing the POC is too loose (the rule is greedy), so the
  // greedy rule is replayed on a plain array.
  function referenceProfile(bins: number, fraction: number) {
    const lo = Math.min(...series.low);
    const hi = Math.max(...series.high);
    const width = (hi - lo) / bins;
    const volumes = new Array<number>(bins).fill(0);
    for (let t = 0; t < series.close.length; t++) {
      const typical = (series.high[t] + series.low[t] + series.close[t]) / 3;
      let bin = bins - 1;
      for (let i = 0; i < bins; i++) {
        if (typical < lo + (i + 1) * width) {
          bin = i;
          break;
        }
      }
      volumes[bin] += series.volume[t];
    }
    const total = volumes.reduce((a, b) => a + b, 0);
    const poc = volumes.indexOf(Math.max(...volumes));
    let low = poc;
    let high = poc;
    let inside = volumes[poc];
    while (inside < fraction * total) {
      const up = high + 1 < bins ? volumes[high + 1] : -1;
      const down = low > 0 ? volumes[low - 1] : -1;
      if (up < 0 && down < 0) break;
      if (up >= down) inside += volumes[++high];
      else inside += volumes[--low];
    }
    return { lo, hi, width, volumes, total, poc, low, high, inside };
  }

  it('volume profile: bins, point of control and 70% value area', () => {
    for (const bins of [1, 10, 24, 50]) {
      const ours = volumeProfile(series.high, series.low, series.close, series.volume, bins, 0.7);
      const ref = referenceProfile(bins, 0.7);
      assert.equal(ours.priceLow, ref.lo);
      assert.equal(ours.priceHigh, ref.hi);
      for (let i = 0; i < bins; i++) assertClose(ours.volumes[i], ref.volumes[i], 1e-12, `bin ${i}`);
      assertClose(ours.totalVolume, ref.total, 1e-12, 'total');
      assert.equal(ours.pocIndex, ref.poc);
      assert.equal(ours.valueAreaLowIndex, ref.low);
      assert.equal(ours.valueAreaHighIndex, ref.high);
      assertClose(ours.poc, ref.lo + (ref.poc + 0.5) * ref.width, 1e-12, 'poc price');
      assertClose(ours.valueAreaLow, ref.lo + ref.low * ref.width, 1e-12, 'value area low');
      assertClose(ours.valueAreaHigh, ref.lo + (ref.high + 1) * ref.width, 1e-12, 'value area high');
      assert.ok(ours.valueAreaVolume >= 0.7 * ours.totalVolume * (1 - 1e-12));
      assert.equal(binEdge(ours, bins), ours.priceHigh);
      assert.ok(ours.valueAreaLow <= ours.poc && ours.poc <= ours.valueAreaHigh);
    }
  });
});
