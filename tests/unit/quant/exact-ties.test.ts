import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mulberry32 } from '../../../shared/quant/random.js';
import { IndicatorCache, SignalBuffer, STRATEGIES } from '../../../shared/quant/strategies/index.js';
import { SmaBank, runSmaCrossover } from '../../../shared/quant/strategies/sma-crossover.js';
import { EquityAccumulator } from '../../../shared/quant/metrics.js';
import { sma } from '../../../shared/quant/indicators/sma.js';
import { tickGrid } from '../../../shared/quant/indicators/tick-grid.js';
import { ema } from '../../../shared/quant/indicators/ema.js';

/**
 * Crossover decisions at exact ties, checked against an exact-arithmetic reference: prices are
 * whole cents held as BigInt, window sums are BigInt prefix-sum differences, and SMA(f) > SMA(s)
 * is Σf·s > Σs·f — nothing of the kernel's code or of float64 arithmetic is involved.
 */

/** A series in whole cents: the BigInt cents (the reference's input) and the float prices (the kernel's). */
interface CentSeries {
  cents: bigint[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
}

function centSeries(cents: readonly number[]): CentSeries {
  // A decimal string parsed, as an import does: the float nearest to the decimal.
  const close = Float64Array.from(cents, (c) => Number(`${Math.trunc(c / 100)}.${String(c % 100).padStart(2, '0')}`));
  return { cents: cents.map((c) => BigInt(c)), open: close, high: close, low: close, close };
}

/** Changes of the target (bar, target) as the reference decides them bar by bar from `start`. */
type Changes = [number, number][];

function changesOf(decide: (t: number) => number, start: number, n: number): Changes {
  const out: Changes = [];
  let current = 0;
  for (let t = start; t < n; t++) {
    const want = decide(t);
    if (want !== current) {
      out.push([t, want]);
      current = want;
    }
  }
  return out;
}

function prefixSums(cents: readonly bigint[]): bigint[] {
  const prefix = [0n];
  for (const c of cents) prefix.push(prefix[prefix.length - 1] + c);
  return prefix;
}

/** Exact SMA crossover decisions: long iff Σfast/fast > Σslow/slow, else flat (or short). */
function referenceSmaChanges(prefix: readonly bigint[], fast: number, slow: number, short: boolean): Changes {
  const n = prefix.length - 1;
  const f = BigInt(fast);
  const s = BigInt(slow);
  const decide = (t: number): number => {
    const sumFast = prefix[t + 1] - prefix[t + 1 - fast];
    const sumSlow = prefix[t + 1] - prefix[t + 1 - slow];
    return sumFast * s > sumSlow * f ? 1 : short ? -1 : 0;
  };
  return changesOf(decide, slow - 1, n);
}

/** How many bars from slow − 1 on are exact ties of SMA(fast) and SMA(slow). */
function exactTies(prefix: readonly bigint[], fast: number, slow: number): number {
  let ties = 0;
  for (let t = slow - 1; t < prefix.length - 1; t++) {
    if ((prefix[t + 1] - prefix[t + 1 - fast]) * BigInt(slow) === (prefix[t + 1] - prefix[t + 1 - slow]) * BigInt(fast)) ties++;
  }
  return ties;
}

function changesFromBuffer(buffer: SignalBuffer): Changes {
  const out: Changes = [];
  for (let i = 0; i < buffer.count; i++) out.push([buffer.bar[i], buffer.target[i]]);
  return out;
}

function kernelChanges(name: string, series: CentSeries, params: number[], short: boolean, cache = new IndicatorCache(series)): Changes {
  const out = new SignalBuffer(series.close.length);
  STRATEGIES.get(name)!.signals({ ...series, indicators: cache }, Float64Array.from(params), short, out);
  return changesFromBuffer(out);
}

/** Float decisions with a plain running float sum (what rounding decides without exact ties). */
function runningSumChanges(close: Float64Array, fast: number, slow: number): Changes {
  const mean = (period: number): Float64Array => {
    const out = new Float64Array(close.length).fill(NaN);
    let sum = 0;
    for (let t = 0; t < close.length; t++) {
      sum += close[t];
      if (t >= period) sum -= close[t - period];
      if (t >= period - 1) out[t] = sum / period;
    }
    return out;
  };
  const a = mean(fast);
  const b = mean(slow);
  return changesOf((t) => (a[t] > b[t] ? 1 : 0), slow - 1, close.length);
}

/**
 * Whole-cent prices built to tie: a random walk, a stretch alternating between two prices (every
 * even-period SMA equals their midpoint), a constant stretch, another alternation of period 3,
 * then a random walk again. Prices like 123.47 are not exact in binary, so float sums round.
 */
function tieHeavyCents(seed: number): number[] {
  const random = mulberry32(seed);
  const cents: number[] = [];
  let price = 12_347;
  const walk = (bars: number): void => {
    for (let i = 0; i < bars; i++) {
      price += Math.floor(random() * 41) - 20;
      cents.push(price);
    }
  };
  walk(300);
  for (let i = 0; i < 320; i++) cents.push(i % 2 === 0 ? price + 7 : price - 3);
  for (let i = 0; i < 300; i++) cents.push(price + 11);
  for (let i = 0; i < 330; i++) cents.push(price + [13, -9, 1][i % 3]);
  walk(300);
  return cents;
}

const FASTS = Array.from({ length: 30 }, (_, i) => 2 + 2 * i); // 2:60:2
const SLOWS = Array.from({ length: 25 }, (_, i) => 10 + 10 * i); // 10:250:10

describe('exact crossover decisions at ties', () => {
  it('the tick grid of whole-cent prices is 2 decimals with exact units; float data has none', () => {
    const series = centSeries([12_347, 10, 5, 100_000_01]);
    const grid = tickGrid(series.close)!;
    assert.equal(grid.decimals, 2);
    assert.deepEqual(Array.from(grid.units), [12_347, 10, 5, 100_000_01]);
    assert.equal(tickGrid([1, 2, 3])!.decimals, 0);
    assert.equal(tickGrid([0.1, 0.25, 0.123])!.decimals, 3);
    assert.equal(tickGrid([1 / 3]), undefined);
    assert.equal(tickGrid([1, Number.NaN]), undefined);
  });

  it('SMA on the grid is the exact mean correctly rounded, whatever came before the window', () => {
    const cents = tieHeavyCents(3);
    const series = centSeries(cents);
    const prefix = prefixSums(series.cents);
    for (const period of [2, 7, 60, 250]) {
      const values = sma(series.close, period);
      // Started later, the same windows give the same doubles.
      const tail = sma(series.close.subarray(500), period);
      for (let t = period - 1; t < cents.length; t++) {
        // The exact mean's nearest double: the decimal string of the exact quotient parsed back.
        const sum = prefix[t + 1] - prefix[t + 1 - period];
        assert.equal(values[t], exactQuotient(sum, BigInt(period) * 100n), `period ${period}, bar ${t}`);
        if (t >= 500 + period - 1) assert.equal(tail[t - 500], values[t]);
      }
    }
  });

  it('SMA crossover trades like the exact reference on every combination of fast 2:60:2 × slow 10:250:10 (where a running float sum does not)', () => {
    const series = centSeries(tieHeavyCents(1));
    const prefix = prefixSums(series.cents);
    const cache = new IndicatorCache(series);
    const bank = new SmaBank(series.close);
    let combinations = 0;
    let withTies = 0;
    let floatDiffers = 0;
    for (const fast of FASTS) {
      for (const slow of SLOWS) {
        if (fast >= slow) continue;
        combinations++;
        if (exactTies(prefix, fast, slow) > 0) withTies++;
        for (const short of [false, true]) {
          const expected = referenceSmaChanges(prefix, fast, slow, short);
          assert.deepEqual(kernelChanges('sma-crossover', series, [fast, slow], short, cache), expected, `fast ${fast} slow ${slow} short ${short}`);
        }
        if (JSON.stringify(runningSumChanges(series.close, fast, slow)) !== JSON.stringify(referenceSmaChanges(prefix, fast, slow, false))) floatDiffers++;
        // The convenience path (SmaBank + runSmaCrossover) decides the same: same trade count as the reference.
        const acc = runSmaCrossover(series.open, series.close, bank.get(fast), bank.get(slow), slow, { feeBps: 0, slippageBps: 0 }, new EquityAccumulator(), bank.order(fast, slow));
        // An entry decided at the last close has no next open to fill at.
        const entries = referenceSmaChanges(prefix, fast, slow, false).filter(([bar, target]) => target === 1 && bar < series.close.length - 1).length;
        assert.equal(acc.metrics(252).trades, entries, `trades of fast ${fast} slow ${slow}`);
      }
    }
    assert.equal(combinations, 669);
    // The data must make the test able to fail: many combinations tie, and float sums misjudge some.
    assert.ok(withTies >= 300, `only ${withTies} combinations tie`);
    assert.ok(floatDiffers > 0, 'a running float sum decided every tie by the rule: the data does not test ties');
  });

  it('property: SMA crossover decisions equal the exact reference on random cent series with ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 4 }), run: fc.integer({ min: 1, max: 40 }) }), { minLength: 5, maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(1, 3, 10, 99_999),
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.boolean(),
        (runs, fast, extra, step, base, short) => {
          // Runs of few distinct prices (constant stretches, repeats) on a cent grid.
          const cents = runs.flatMap(({ price, run }) => Array.from({ length: run }, () => base + price * step));
          const slow = fast + extra;
          fc.pre(slow <= cents.length);
          const series = centSeries(cents);
          assert.deepEqual(kernelChanges('sma-crossover', series, [fast, slow], short), referenceSmaChanges(prefixSums(series.cents), fast, slow, short));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: SMA crossover decisions equal the exact reference on a random walk on a cent grid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 120 }), fc.boolean(), (seed, fast, extra, short) => {
        const random = mulberry32(seed);
        let price = 10_000 + Math.floor(random() * 1_000_000);
        const cents = Array.from({ length: 400 }, () => (price = Math.max(1, price + Math.floor(random() * 7) - 3)));
        const slow = fast + extra;
        const series = centSeries(cents);
        assert.deepEqual(kernelChanges('sma-crossover', series, [fast, slow], short), referenceSmaChanges(prefixSums(series.cents), fast, slow, short));
      }),
      { numRuns: 200 },
    );
  });

  it('property: Bollinger reversion decisions equal the exact reference (middle and bands) on cent series with ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: -3, max: 3 }), run: fc.integer({ min: 1, max: 30 }) }), { minLength: 5, maxLength: 30 }),
        fc.integer({ min: 2, max: 30 }),
        fc.constantFrom(0.5, 1, 1.5, 2),
        fc.boolean(),
        (runs, period, k, short) => {
          const cents = runs.flatMap(({ price, run }) => Array.from({ length: run }, () => 12_345 + 17 * price));
          fc.pre(period <= cents.length);
          const series = centSeries(cents);
          assert.deepEqual(kernelChanges('bollinger-reversion', series, [period, k], short), referenceBollingerChanges(series.cents, period, k, short));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * Exact EMA crossover decisions: each EMA as a BigInt fraction N/D of cents, seeded with the
 * exact mean of the first p closes, then EMA ← ((p−1)·EMA + 2·x)/(p+1) (α = 2/(p+1) exactly).
 */
function referenceEmaChanges(cents: readonly bigint[], fast: number, slow: number, short: boolean): Changes {
  const exactEma = (period: number): { n: bigint; d: bigint }[] => {
    const p = BigInt(period);
    const out: { n: bigint; d: bigint }[] = [];
    let n = 0n;
    for (let i = 0; i < period; i++) n += cents[i];
    let d = p;
    out[period - 1] = { n, d };
    for (let t = period; t < cents.length; t++) {
      n = (p - 1n) * n + 2n * cents[t] * d;
      d *= p + 1n;
      out[t] = { n, d };
    }
    return out;
  };
  const a = exactEma(fast);
  const b = exactEma(slow);
  return changesOf((t) => (a[t].n * b[t].d > b[t].n * a[t].d ? 1 : short ? -1 : 0), slow - 1, cents.length);
}

describe('exact EMA crossover decisions', () => {
  /** A walk up or down, then a long constant stretch (both EMAs converge on one price), then a walk. */
  function convergingCents(seed: number, up: boolean, flat: number): number[] {
    const random = mulberry32(seed);
    let price = 20_000;
    const cents: number[] = [];
    for (let i = 0; i < 80; i++) cents.push((price += (up ? 1 : -1) * Math.floor(random() * 30)));
    for (let i = 0; i < flat; i++) cents.push(price);
    for (let i = 0; i < 60; i++) cents.push((price += Math.floor(random() * 21) - 10));
    return cents;
  }

  it('decides the bars where the float EMAs are too close to tell by the exact EMAs (constant stretches)', () => {
    let ambiguous = 0;
    let floatDiffers = 0;
    for (const up of [true, false]) {
      const series = centSeries(convergingCents(up ? 1 : 2, up, 300));
      const cache = new IndicatorCache(series);
      for (const [fast, slow] of [[2, 5], [3, 10], [5, 12], [1, 4], [1, 2], [1, 3], [2, 3]]) {
        const expected = referenceEmaChanges(series.cents, fast, slow, false);
        assert.deepEqual(kernelChanges('ema-crossover', series, [fast, slow], false), expected, `fast ${fast} slow ${slow} up ${up}`);
        assert.deepEqual(kernelChanges('ema-crossover', series, [fast, slow], true, cache), referenceEmaChanges(series.cents, fast, slow, true));
        const a = ema(series.close, fast);
        const b = ema(series.close, slow);
        const margin = cache.emaBound(fast) + cache.emaBound(slow);
        for (let t = slow - 1; t < a.length; t++) if (Math.abs(a[t] - b[t]) <= margin) ambiguous++;
        const floats = changesOf((t) => (a[t] > b[t] ? 1 : 0), slow - 1, a.length);
        if (JSON.stringify(floats) !== JSON.stringify(expected)) floatDiffers++;
      }
    }
    assert.ok(ambiguous > 100, `only ${ambiguous} bars needed an exact decision: the data does not test it`);
    assert.ok(floatDiffers > 0, 'the float EMAs decided every bar like the exact ones: the data does not test it');
  });

  it('property: EMA crossover decisions equal the exact reference on cent series with constant runs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: 0, max: 6 }), run: fc.integer({ min: 1, max: 90 }) }), { minLength: 2, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        (runs, fast, extra, short) => {
          const cents = runs.flatMap(({ price, run }) => Array.from({ length: run }, () => 10_007 + 13 * price));
          const slow = fast + extra;
          fc.pre(slow <= cents.length);
          const series = centSeries(cents);
          assert.deepEqual(kernelChanges('ema-crossover', series, [fast, slow], short), referenceEmaChanges(series.cents, fast, slow, short));
        },
      ),
      { numRuns: 150 },
    );
  });
});

/**
 * Exact MACD cross decisions: EMAs as BigInt fractions seeded with exact means, line = fast − slow,
 * signal = EMA(signal) of the line seeded with the mean of its first `signal` values, all with
 * exact α; long iff line > signal.
 */
function referenceMacdChanges(cents: readonly bigint[], fast: number, slow: number, signal: number, short: boolean): Changes {
  type Q = { n: bigint; d: bigint };
  const sub = (a: Q, b: Q): Q => ({ n: a.n * b.d - b.n * a.d, d: a.d * b.d });
  const emaOf = (values: readonly Q[], from: number, period: number): Q[] => {
    const out: Q[] = [];
    const p = BigInt(period);
    let value: Q = { n: 0n, d: 1n };
    for (let i = from; i < from + period; i++) value = { n: value.n * values[i].d + values[i].n * value.d, d: value.d * values[i].d };
    value = { n: value.n, d: value.d * p };
    out[from + period - 1] = value;
    for (let t = from + period; t < values.length; t++) {
      // ((p−1)·v + 2·x) / (p+1)
      value = { n: (p - 1n) * value.n * values[t].d + 2n * values[t].n * value.d, d: (p + 1n) * value.d * values[t].d };
      out[t] = value;
    }
    return out;
  };
  const prices = cents.map((c) => ({ n: c, d: 1n }));
  const f = emaOf(prices, 0, fast);
  const s = emaOf(prices, 0, slow);
  const line: Q[] = [];
  for (let t = slow - 1; t < cents.length; t++) line[t] = sub(f[t], s[t]);
  const g = emaOf(line, slow - 1, signal);
  return changesOf((t) => (sub(line[t], g[t]).n > 0n ? 1 : short ? -1 : 0), slow + signal - 2, cents.length);
}

describe('exact MACD cross decisions', () => {
  it('decides the bars where line and signal are too close to tell by the exact values (constant stretches)', () => {
    let floatDiffers = 0;
    for (const up of [true, false]) {
      const random = mulberry32(up ? 5 : 6);
      let price = 30_000;
      const cents: number[] = [];
      for (let i = 0; i < 40; i++) cents.push((price += (up ? 1 : -1) * Math.floor(random() * 25)));
      for (let i = 0; i < 110; i++) cents.push(price);
      for (let i = 0; i < 30; i++) cents.push((price += Math.floor(random() * 21) - 10));
      const series = centSeries(cents);
      const cache = new IndicatorCache(series);
      for (const [fast, slow, signal] of [[1, 2, 1], [1, 3, 2], [2, 3, 1], [2, 5, 3], [3, 7, 2], [2, 4, 2], [1, 4, 3]]) {
        const expected = referenceMacdChanges(series.cents, fast, slow, signal, false);
        assert.deepEqual(kernelChanges('macd-cross', series, [fast, slow, signal], false, cache), expected, `${fast}/${slow}/${signal} up ${up}`);
        assert.deepEqual(kernelChanges('macd-cross', series, [fast, slow, signal], true, cache), referenceMacdChanges(series.cents, fast, slow, signal, true));
        const [line, sig] = cache.macd(fast, slow, signal);
        const floats = changesOf((t) => (line[t] > sig[t] ? 1 : 0), slow + signal - 2, line.length);
        if (JSON.stringify(floats) !== JSON.stringify(expected)) floatDiffers++;
      }
    }
    assert.ok(floatDiffers > 0, 'the float MACD decided every bar like the exact one: the data does not test it');
  });

  it('property: MACD cross decisions equal the exact reference on cent series with constant runs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: 0, max: 6 }), run: fc.integer({ min: 1, max: 50 }) }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (runs, fast, extra, signal, short) => {
          const cents = runs.flatMap(({ price, run }) => Array.from({ length: run }, () => 10_007 + 13 * price)).slice(0, 160);
          const slow = fast + extra;
          fc.pre(slow + signal - 1 <= cents.length);
          const series = centSeries(cents);
          assert.deepEqual(kernelChanges('macd-cross', series, [fast, slow, signal], short), referenceMacdChanges(series.cents, fast, slow, signal, short));
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** The double nearest to num/den (num, den > 0), by exact integer rounding: round-half-even on 53 bits. */
function exactQuotient(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  // Scale so the quotient has 54+ significant bits, round to 53, then scale back (exact for normal doubles).
  let shift = 0;
  while (num / den < 1n << 54n) {
    num <<= 1n;
    shift++;
  }
  while (num / den >= 1n << 55n) {
    den <<= 1n;
    shift--;
  }
  // The quotient q = num/den has 55 bits (2^54 ≤ q < 2^55): keep 53 → drop 2 bits, half-even.
  const q = num / den;
  const remainderIsZero = q * den === num;
  let mantissa = q >> 2n;
  const dropped = q & 3n;
  const half = dropped === 2n && remainderIsZero;
  if (dropped > 2n || (dropped === 2n && !remainderIsZero) || (half && (mantissa & 1n) === 1n)) mantissa++;
  return Number(mantissa) * 2 ** (2 - shift);
}

/**
 * Exact Bollinger reversion: mean = Σ/p and σ² = (pΣx² − (Σx)²)/p² in BigInt; k is a dyadic
 * double (0.5, 1, 1.5, 2), written as kn/kd. close < mean − kσ ⇔ mean − close > kσ ⇔
 * D = Σ − p·close > 0 and kd²·D² > kn²·(pΣx² − (Σx)²).
 */
function referenceBollingerChanges(cents: readonly bigint[], period: number, k: number, short: boolean): Changes {
  const kd = 2n;
  const kn = BigInt(k * 2);
  const p = BigInt(period);
  const decideFrom = (t: number): { vsMiddle: number; belowLower: boolean; aboveUpper: boolean } => {
    let sum = 0n;
    let squares = 0n;
    for (let i = t - period + 1; i <= t; i++) {
      sum += cents[i];
      squares += cents[i] * cents[i];
    }
    const variance = p * squares - sum * sum; // σ²·p²
    const d = sum - p * cents[t]; // (mean − close)·p
    const vsMiddle = d < 0n ? 1 : d > 0n ? -1 : 0; // sign(close − mean)
    const belowLower = d > 0n && kd * kd * d * d > kn * kn * variance;
    const aboveUpper = d < 0n && kd * kd * d * d > kn * kn * variance;
    return { vsMiddle, belowLower, aboveUpper };
  };
  const out: Changes = [];
  let s = 0;
  for (let t = period - 1; t < cents.length; t++) {
    const { vsMiddle, belowLower, aboveUpper } = decideFrom(t);
    let next = s;
    if (s > 0 && vsMiddle >= 0) next = 0;
    if (s < 0 && vsMiddle <= 0) next = 0;
    if (next === 0) {
      if (belowLower) next = 1;
      else if (short && aboveUpper) next = -1;
    }
    if (next !== s) {
      out.push([t, next]);
      s = next;
    }
  }
  return out;
}
