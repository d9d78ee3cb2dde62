import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ATR, OBV, Stochastic, TrueRange, VWAP, WMA } from 'technicalindicators';
import { atr, trueRange } from '../../../shared/quant/indicators/atr.js';
import * as barrel from '../../../shared/quant/indicators/index.js';
import { obv } from '../../../shared/quant/indicators/obv.js';
import { STOCHASTIC_FLAT_K, stochastic } from '../../../shared/quant/indicators/stochastic.js';
import { rollingVwap, vwap } from '../../../shared/quant/indicators/vwap.js';
import { wma } from '../../../shared/quant/indicators/wma.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

// The oracle is the `technicalindicators` package (3.1.0). Its conventions, read from its
// source (node_modules/technicalindicators/lib/...), and how they compare with ours:
//  - WMA: weights 1..period (newest heaviest) over period·(period+1)/2, defined values only
//    (its element j is our index j + period − 1). Same convention.
//  - TrueRange: yields nothing for bar 0 (no previous close), so its element j is our bar
//    j + 1; we define TR[0] = high[0] − low[0].
//  - ATR: Wilder smoothing (WEMA, α = 1/period) of its TrueRange, seeded with the SMA of the
//    first `period` true ranges, i.e. of TR[1..period], first value at bar `period`. Ours is
//    seeded with TR[0..period−1] (TR[0] = h−l), first value at bar period − 1. So ATR is
//    checked against a small reference below, and against the oracle through an
//    equivalence: prefixing a dummy bar whose close lies inside bar 0's range makes the
//    oracle's TR of our bar 0 equal to h−l, and the oracle then computes exactly our ATR.
//  - Stochastic: raw %K over `period` (no %K smoothing option), %D = SMA(signalPeriod) of %K,
//    its element j is our index j + period − 1; d is undefined during %D's warm-up. When the
//    window's high equals its low it returns %K = 0 (its `isNaN(k) ? 0 : k`); we return 50.
//    So the fast stochastic is checked against it on the synthetic series (where that never
//    happens), the smoothed %K and the flat case against a small reference.
//  - OBV: starts from 0 but yields nothing for bar 0, so its element j is our bar j + 1 and
//    our bar 0 is 0. Same accumulation.
//  - VWAP: cumulative Σ typical·volume / Σ volume from bar 0, typical = (h+l+c)/3, with no
//    warm-up. Same convention. It has no rolling variant: rollingVwap() is checked against a
//    small reference.
//  - No rounding: its default formatter only rounds when a global `precision` is configured.

// Longer than the 1024-step resync of the running sums, so that path is checked too.
const series = generateSyntheticSeries({ seed: 11, symbol: 'ORACLE-EXTRA', timeframe: '1h', bars: 3000 });
const high = Array.from(series.high);
const low = Array.from(series.low);
const close = Array.from(series.close);
const volume = Array.from(series.volume);
const n = close.length;

/** |actual − expected| ≤ tolerance × max(1, |expected|). */
function assertClose(actual: number, expected: number, tolerance: number, where: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${where}: ${actual} vs ${expected}`);
}

/** ours[i] is NaN before `first`; from `first` on it matches theirs[i − first]. */
function assertAligned(
  ours: Float64Array,
  theirs: readonly (number | undefined)[],
  first: number,
  tolerance: number,
  name: string,
): void {
  for (let i = 0; i < Math.min(first, ours.length); i++) assert.ok(Number.isNaN(ours[i]), `${name}[${i}] should be NaN (warm-up)`);
  assert.equal(theirs.length, Math.max(0, ours.length - first), `${name}: oracle length`);
  for (let i = first; i < ours.length; i++) {
    const expected = theirs[i - first];
    assert.ok(expected !== undefined, `${name}: oracle has no value at ${i}`);
    assertClose(ours[i], expected, tolerance, `${name}[${i}]`);
  }
}

/** Both NaN at the same places, and close elsewhere. */
function assertSeries(ours: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, name: string): void {
  assert.equal(ours.length, expected.length, `${name}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(ours[i]), `${name}[${i}] should be NaN, is ${ours[i]}`);
    else assertClose(ours[i], expected[i], tolerance, `${name}[${i}]`);
  }
}

const allNaN = (values: ArrayLike<number>): boolean => Array.from(values).every(Number.isNaN);
const allFinite = (values: ArrayLike<number>): boolean => Array.from(values).every(Number.isFinite);

// --- Small references, straight from the definitions (quadratic, no running sums). ---

function referenceWma(values: number[], period: number): number[] {
  return values.map((_, t) => {
    if (t < period - 1) return NaN;
    let weighted = 0;
    for (let i = 1; i <= period; i++) weighted += i * values[t - period + i];
    return weighted / ((period * (period + 1)) / 2);
  });
}

function referenceTrueRange(h: number[], l: number[], c: number[]): number[] {
  return h.map((_, t) => (t === 0 ? h[0] - l[0] : Math.max(h[t] - l[t], Math.abs(h[t] - c[t - 1]), Math.abs(l[t] - c[t - 1]))));
}

function referenceAtr(h: number[], l: number[], c: number[], period: number): number[] {
  const tr = referenceTrueRange(h, l, c);
  const out = tr.map(() => NaN);
  let average = NaN;
  for (let t = period - 1; t < tr.length; t++) {
    if (t === period - 1) average = tr.slice(0, period).reduce((a, b) => a + b, 0) / period;
    else average = (average * (period - 1) + tr[t]) / period;
    out[t] = average;
  }
  return out;
}

/** Mean of values[t−period+1..t], NaN if any of them is NaN or t < period − 1. */
function windowMean(values: number[], t: number, period: number): number {
  if (t < period - 1) return NaN;
  let sum = 0;
  for (let i = t - period + 1; i <= t; i++) sum += values[i];
  return sum / period;
}

function referenceStochastic(h: number[], l: number[], c: number[], period: number, signal: number, smoothing: number) {
  const raw = c.map((_, t) => {
    if (t < period - 1) return NaN;
    const highest = Math.max(...h.slice(t - period + 1, t + 1));
    const lowest = Math.min(...l.slice(t - period + 1, t + 1));
    return highest === lowest ? 50 : (100 * (c[t] - lowest)) / (highest - lowest);
  });
  const k = raw.map((_, t) => windowMean(raw, t, smoothing));
  const d = k.map((_, t) => windowMean(k, t, signal));
  return { k, d };
}

function referenceObv(c: number[], v: number[]): number[] {
  const out: number[] = [];
  for (let t = 0; t < c.length; t++) out.push(t === 0 ? 0 : out[t - 1] + Math.sign(c[t] - c[t - 1]) * v[t]);
  return out;
}

function referenceRollingVwap(h: number[], l: number[], c: number[], v: number[], period: number): number[] {
  return c.map((_, t) => {
    if (t < period - 1) return NaN;
    let pv = 0;
    let vol = 0;
    for (let i = t - period + 1; i <= t; i++) {
      pv += ((h[i] + l[i] + c[i]) / 3) * v[i];
      vol += v[i];
    }
    return vol === 0 ? NaN : pv / vol;
  });
}

describe('extra indicators against technicalindicators', () => {
  it('WMA', () => {
    for (const period of [1, 2, 5, 14, 50, 200]) {
      assertAligned(wma(close, period), WMA.calculate({ period, values: close }), period - 1, 1e-9, `wma(${period})`);
    }
  });

  it('true range: the oracle skips bar 0, ours is high − low there', () => {
    const ours = trueRange(high, low, close);
    assert.equal(ours[0], high[0] - low[0]);
    const theirs = TrueRange.calculate({ high, low, close });
    assert.equal(theirs.length, n - 1);
    for (let t = 1; t < n; t++) assertClose(ours[t], theirs[t - 1], 1e-12, `tr[${t}]`);
  });

  it('ATR, through a dummy first bar that makes the oracle seed like us', () => {
    // The dummy's close is inside bar 0's range, so the oracle's TR of bar 0 is high − low.
    const prefixed = (column: number[], dummy: number): number[] => [dummy, ...column];
    const mid = (high[0] + low[0]) / 2;
    for (const period of [1, 2, 14, 50]) {
      const theirs = ATR.calculate({ period, high: prefixed(high, mid), low: prefixed(low, mid), close: prefixed(close, mid) });
      // Oracle value j is at prefixed bar j + period, i.e. our bar j + period − 1.
      assertAligned(atr(high, low, close, period), theirs, period - 1, 1e-9, `atr(${period})`);
    }
  });

  it('fast stochastic (smoothing 1) %K and %D', () => {
    for (const [period, signalPeriod] of [[14, 3], [5, 3], [1, 1], [20, 5]] as const) {
      const ours = stochastic(high, low, close, period, signalPeriod);
      const theirs = Stochastic.calculate({ period, signalPeriod, high, low, close });
      assertAligned(ours.k, theirs.map((row) => row.k), period - 1, 1e-9, `k(${period})`);
      const firstD = period - 1 + signalPeriod - 1;
      for (let t = 0; t < n; t++) {
        const row = theirs[t - (period - 1)];
        if (t < firstD) {
          assert.ok(Number.isNaN(ours.d[t]), `d[${t}] warm-up`);
          if (row) assert.equal(row.d, undefined);
        } else {
          assertClose(ours.d[t], row.d, 1e-9, `d(${period}, ${signalPeriod})[${t}]`);
        }
      }
    }
  });

  it('OBV: the oracle skips bar 0, ours starts there at 0', () => {
    const ours = obv(close, volume);
    assert.equal(ours[0], 0);
    const theirs = OBV.calculate({ close, volume });
    assert.equal(theirs.length, n - 1);
    for (let t = 1; t < n; t++) assertClose(ours[t], theirs[t - 1], 1e-9, `obv[${t}]`);
  });

  it('cumulative VWAP', () => {
    const theirs = VWAP.calculate({ high, low, close, volume });
    assertAligned(vwap(high, low, close, volume), theirs, 0, 1e-9, 'vwap');
  });
});

describe('extra indicators against small references', () => {
  it('WMA exactly, and weights 1..n with the newest heaviest', () => {
    for (const period of [1, 3, 14, 1500]) assertSeries(wma(close, period), referenceWma(close, period), 1e-9, `wma(${period})`);
    assert.equal(wma([1, 2, 3], 3)[2], (1 * 1 + 2 * 2 + 3 * 3) / 6);
  });

  it('WMA skips leading NaN inputs (another indicator warm-up)', () => {
    const out = wma([NaN, NaN, 1, 2, 3, 4], 3);
    assert.ok(allNaN(out.slice(0, 4)));
    assert.equal(out[4], 14 / 6);
    assert.equal(out[5], 20 / 6);
  });

  it('ATR exactly (seeded with the mean of TR[0..n−1], TR[0] = high − low)', () => {
    for (const period of [1, 2, 14, 100]) {
      assertSeries(atr(high, low, close, period), referenceAtr(high, low, close, period), 1e-9, `atr(${period})`);
    }
    assertSeries(trueRange(high, low, close), referenceTrueRange(high, low, close), 0, 'tr');
    // A gap: bar 1 opens far above bar 0's close, so TR uses the previous close.
    assert.deepEqual(Array.from(trueRange([10, 20], [8, 18], [9, 19])), [2, 11]);
  });

  it('slow stochastic (smoothed %K) exactly', () => {
    for (const [period, signalPeriod, smoothing] of [[14, 3, 3], [5, 3, 2], [1, 1, 1], [14, 3, 1], [3, 4, 5]] as const) {
      const ours = stochastic(high, low, close, period, signalPeriod, smoothing);
      const expected = referenceStochastic(high, low, close, period, signalPeriod, smoothing);
      const name = `stochastic(${period}, ${signalPeriod}, ${smoothing})`;
      assertSeries(ours.k, expected.k, 1e-9, `${name}.k`);
      assertSeries(ours.d, expected.d, 1e-9, `${name}.d`);
      const firstK = period + smoothing - 2;
      const firstD = firstK + signalPeriod - 1;
      assert.ok((firstK === 0 || Number.isNaN(ours.k[firstK - 1])) && Number.isFinite(ours.k[firstK]), `${name}: first %K`);
      assert.ok((firstD === 0 || Number.isNaN(ours.d[firstD - 1])) && Number.isFinite(ours.d[firstD]), `${name}: first %D`);
    }
  });

  it('stochastic window high/low match a naive scan (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100 })), {
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 12 }),
        (bars, period) => {
          // Small integer prices with many ties; close anywhere in [low, high].
          const l = bars.map(([base]) => base);
          const h = bars.map(([base, spread]) => base + spread);
          const c = bars.map(([base, spread, at]) => base + (spread * at) / 100);
          const ours = stochastic(h, l, c, period, 2, 1);
          const expected = referenceStochastic(h, l, c, period, 2, 1);
          assertSeries(ours.k, expected.k, 1e-12, 'k');
          assertSeries(ours.d, expected.d, 1e-12, 'd');
        },
      ),
      { seed: 20240101, numRuns: 300 },
    );
  });

  it('OBV exactly, with unchanged closes leaving it unchanged', () => {
    assertSeries(obv(close, volume), referenceObv(close, volume), 1e-9, 'obv');
    assert.deepEqual(Array.from(obv([10, 11, 11, 9, 12], [5, 1, 2, 3, 4])), [0, 1, 1, -2, 2]);
  });

  it('rolling VWAP exactly', () => {
    for (const period of [1, 2, 20, 1500]) {
      assertSeries(rollingVwap(high, low, close, volume, period), referenceRollingVwap(high, low, close, volume, period), 1e-9, `rvwap(${period})`);
    }
    // The rolling VWAP over the whole series is the cumulative one at its last bar.
    assertClose(rollingVwap(high, low, close, volume, n)[n - 1], vwap(high, low, close, volume)[n - 1], 1e-9, 'rvwap(n)');
  });

  it('VWAP: NaN while nothing has traded, and on windows without volume', () => {
    const h = [3, 3, 6, 6, 6, 9];
    const l = [3, 3, 6, 6, 6, 9];
    const c = [3, 3, 6, 6, 6, 9];
    const v = [0, 0, 1, 0, 0, 1];
    assertSeries(vwap(h, l, c, v), [NaN, NaN, 6, 6, 6, 7.5], 1e-12, 'vwap');
    assertSeries(rollingVwap(h, l, c, v, 2), [NaN, NaN, 6, 6, NaN, 9], 1e-12, 'rvwap(2)');
    // A long stretch without volume after heavy trading comes back exactly NaN, not 0/ε.
    const longV = [1e9, ...new Array<number>(50).fill(0), 2];
    const longP = [100, ...new Array<number>(50).fill(1), 4];
    const rolled = rollingVwap(longP, longP, longP, longV, 3);
    assert.ok(allNaN(rolled.slice(3, 51)));
    assert.equal(rolled[51], 4);
  });
});

describe('extra indicators: edge cases', () => {
  it('period 1', () => {
    assertSeries(wma(close, 1), close, 0, 'wma(1)');
    assertSeries(atr(high, low, close, 1), referenceTrueRange(high, low, close), 1e-12, 'atr(1)');
    const tp = close.map((_, t) => (high[t] + low[t] + close[t]) / 3);
    assertSeries(rollingVwap(high, low, close, volume, 1), tp, 1e-12, 'rvwap(1)');
    const fast = stochastic(high, low, close, 1, 1);
    // One-bar window: %K locates the close within its own bar's range.
    assertSeries(fast.k, close.map((_, t) => (100 * (close[t] - low[t])) / (high[t] - low[t])), 1e-9, 'stoch(1).k');
    assertSeries(fast.d, fast.k, 1e-12, 'stoch(1).d'); // SMA(1), up to the running sum's rounding
  });

  it('period = length gives exactly one value, at the last bar', () => {
    const m = 30;
    const [h, l, c, v] = [high, low, close, volume].map((column) => column.slice(0, m));
    const one = (values: Float64Array, name: string): void => {
      assert.ok(allNaN(values.slice(0, m - 1)), `${name}: warm-up`);
      assert.ok(Number.isFinite(values[m - 1]), `${name}: last`);
    };
    one(wma(c, m), 'wma');
    assertClose(wma(c, m)[m - 1], referenceWma(c, m)[m - 1], 1e-12, 'wma(m)');
    one(atr(h, l, c, m), 'atr');
    assertClose(atr(h, l, c, m)[m - 1], referenceTrueRange(h, l, c).reduce((a, b) => a + b, 0) / m, 1e-12, 'atr(m)');
    one(stochastic(h, l, c, m, 1).k, 'stochastic.k');
    one(stochastic(h, l, c, m, 1).d, 'stochastic.d');
    assert.ok(allNaN(stochastic(h, l, c, m, 2).d), 'stochastic.d with signal 2 never starts');
    one(rollingVwap(h, l, c, v, m), 'rvwap');
  });

  it('series shorter than the period: all NaN; empty series: empty', () => {
    const [h, l, c, v] = [high, low, close, volume].map((column) => column.slice(0, 9));
    assert.ok(allNaN(wma(c, 10)));
    assert.ok(allNaN(atr(h, l, c, 10)));
    const s = stochastic(h, l, c, 10, 3);
    assert.ok(allNaN(s.k) && allNaN(s.d) && s.k.length === 9);
    assert.ok(allNaN(stochastic(h, l, c, 8, 3).d), '%D needs period + signal − 1 bars');
    assert.ok(allNaN(stochastic(h, l, c, 5, 3, 4).d), 'and smoothing − 1 more');
    assert.ok(allNaN(rollingVwap(h, l, c, v, 10)));
    for (const out of [wma([], 3), atr([], [], [], 3), obv([], []), vwap([], [], [], []), rollingVwap([], [], [], [], 2), stochastic([], [], []).k]) {
      assert.equal(out.length, 0);
    }
  });

  it('constant series: stochastic is 50 (high == low over the window), never NaN or Infinity', () => {
    const flat = new Array<number>(40).fill(42);
    const s = stochastic(flat, flat, flat, 14, 3, 3);
    assert.equal(STOCHASTIC_FLAT_K, 50);
    assert.ok(allFinite(s.k.slice(15)) && allFinite(s.d.slice(17)));
    assert.ok(Array.from(s.k.slice(15)).every((x) => x === 50));
    assert.ok(Array.from(s.d.slice(17)).every((x) => x === 50));
    // A window that becomes flat again after a move goes back to 50.
    const h = [...flat.slice(0, 5), 50, ...flat.slice(0, 10)];
    const k = stochastic(h, flat.slice(0, 16), flat.slice(0, 16), 3, 1).k;
    assert.equal(k[4], 50);
    assert.equal(k[5], 0); // close 42 at the window low, high 50
    assert.equal(k[7], 0);
    assert.equal(k[8], 50);
    assert.ok(allFinite(k.slice(2)));
  });

  it('constant series: WMA constant, ATR 0, OBV 0, VWAP the price', () => {
    const flat = new Array<number>(40).fill(42);
    const v = new Array<number>(40).fill(7);
    assert.ok(Array.from(wma(flat, 10).slice(9)).every((x) => Math.abs(x - 42) < 1e-12));
    assert.ok(Array.from(atr(flat, flat, flat, 14).slice(13)).every((x) => x === 0));
    assert.ok(Array.from(obv(flat, v)).every((x) => x === 0));
    assert.ok(Array.from(vwap(flat, flat, flat, v)).every((x) => Math.abs(x - 42) < 1e-12));
    assert.ok(Array.from(rollingVwap(flat, flat, flat, v, 5).slice(4)).every((x) => Math.abs(x - 42) < 1e-12));
  });

  it('out arrays are filled in place (NaN warm-up rewritten) and must have the right length', () => {
    const out = new Float64Array(n).fill(123);
    assert.equal(wma(close, 5, out), out);
    assertSeries(out, referenceWma(close, 5), 1e-9, 'wma out');
    assert.equal(atr(high, low, close, 14, out), out);
    assert.ok(Number.isNaN(out[0]));
    assert.equal(trueRange(high, low, close, out), out);
    assert.equal(obv(close, volume, out), out);
    assert.equal(vwap(high, low, close, volume, out), out);
    assert.equal(rollingVwap(high, low, close, volume, 20, out), out);
    assert.ok(Number.isNaN(out[18]) && Number.isFinite(out[19]));
    assert.throws(() => wma(close, 5, new Float64Array(n - 1)), RangeError);
    assert.throws(() => atr(high, low, close, 14, new Float64Array(1)), RangeError);
  });

  it('rejects bad periods and mismatched columns', () => {
    assert.throws(() => wma(close, 0), RangeError);
    assert.throws(() => atr(high, low, close, 2.5), RangeError);
    assert.throws(() => stochastic(high, low, close, 14, 0), RangeError);
    assert.throws(() => stochastic(high, low, close, 14, 3, -1), RangeError);
    assert.throws(() => rollingVwap(high, low, close, volume, 0), RangeError);
    assert.throws(() => atr(high, low.slice(1), close), RangeError);
    assert.throws(() => stochastic(high, low, close.slice(1)), RangeError);
    assert.throws(() => obv(close, volume.slice(1)), RangeError);
    assert.throws(() => vwap(high, low, close, volume.slice(1)), RangeError);
  });

  it('the barrel exports the new indicators', () => {
    for (const name of ['wma', 'atr', 'trueRange', 'stochastic', 'obv', 'vwap', 'rollingVwap'] as const) {
      assert.equal(typeof barrel[name], 'function', name);
    }
    assert.equal(barrel.STOCHASTIC_FLAT_K, 50);
  });
});
