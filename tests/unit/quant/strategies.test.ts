import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EquityAccumulator, riskFreePerPeriod, type ExtendedMetrics } from '../../../shared/quant/metrics.js';
import { IndicatorCache, SignalBuffer, simulate, STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import type { Ohlcv } from '../../../shared/quant/ohlcv.js';
import { periodsPerYear, type Timeframe } from '../../../shared/quant/timeframes.js';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { assertCoversEveryUnitOnce, runPartitioned } from '../../helpers/task-kinds.js';

// ---------------------------------------------------------------- naive indicators

function naiveSma(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p - 1) return NaN;
  let s = 0;
  for (let i = t - p + 1; i <= t; i++) s += x[i];
  return s / p;
}

function naiveEma(x: ArrayLike<number>, p: number): number[] {
  const out = new Array<number>(x.length).fill(NaN);
  let s = 0;
  while (s < x.length && Number.isNaN(x[s])) s++;
  if (x.length - s < p) return out;
  let v = 0;
  for (let i = s; i < s + p; i++) v += x[i];
  v /= p;
  out[s + p - 1] = v;
  for (let t = s + p; t < x.length; t++) {
    v = v + (2 / (p + 1)) * (x[t] - v);
    out[t] = v;
  }
  return out;
}

function naiveRsi(x: ArrayLike<number>, p: number): number[] {
  const out = new Array<number>(x.length).fill(NaN);
  let gain = 0;
  let loss = 0;
  for (let t = 1; t < x.length; t++) {
    const d = x[t] - x[t - 1];
    const g = Math.max(d, 0);
    const l = Math.max(-d, 0);
    if (t <= p) {
      gain += g / p;
      loss += l / p;
    } else {
      gain = (gain * (p - 1) + g) / p;
      loss = (loss * (p - 1) + l) / p;
    }
    if (t >= p) out[t] = loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

function naiveStd(x: ArrayLike<number>, t: number, p: number): number {
  const m = naiveSma(x, t, p);
  let s = 0;
  for (let i = t - p + 1; i <= t; i++) s += (x[i] - m) ** 2;
  return Math.sqrt(s / p);
}

function priorMax(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p) return NaN;
  let m = -Infinity;
  for (let i = t - p; i < t; i++) m = Math.max(m, x[i]);
  return m;
}

function priorMin(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p) return NaN;
  let m = Infinity;
  for (let i = t - p; i < t; i++) m = Math.min(m, x[i]);
  return m;
}

// ---------------------------------------------------------------- naive rules: target at the close of t, or null (no decision)

type Decide = (t: number, state: number) => number | null;

function referenceRule(name: string, s: Ohlcv, p: Record<string, number>, short: boolean): Decide {
  const c = s.close;
  const notLong = short ? -1 : 0;
  /** Exits first, then entries when flat. */
  const machine = (state: number, exitLong: boolean, exitShort: boolean, enterLong: boolean, enterShort: boolean): number => {
    let next = state;
    if (state === 1 && exitLong) next = 0;
    if (state === -1 && exitShort) next = 0;
    if (next === 0) {
      if (enterLong) next = 1;
      else if (short && enterShort) next = -1;
    }
    return next;
  };
  switch (name) {
    case 'sma-crossover':
      return (t) => (t >= p.slow - 1 ? (naiveSma(c, t, p.fast) > naiveSma(c, t, p.slow) ? 1 : notLong) : null);
    case 'ema-crossover': {
      const f = naiveEma(c, p.fast);
      const sl = naiveEma(c, p.slow);
      return (t) => (t >= p.slow - 1 ? (f[t] > sl[t] ? 1 : notLong) : null);
    }
    case 'macd-cross': {
      const f = naiveEma(c, p.fast);
      const sl = naiveEma(c, p.slow);
      const line = f.map((v, i) => v - sl[i]);
      const sig = naiveEma(line, p.signal);
      return (t) => (t >= p.slow + p.signal - 2 ? (line[t] > sig[t] ? 1 : notLong) : null);
    }
    case 'rsi-reversion': {
      const r = naiveRsi(c, p.period);
      return (t, state) =>
        t >= p.period ? machine(state, r[t] > p.exit, r[t] < 100 - p.exit, r[t] < p.entry, r[t] > 100 - p.entry) : null;
    }
    case 'bollinger-reversion':
      return (t, state) => {
        if (t < p.period - 1) return null;
        const m = naiveSma(c, t, p.period);
        const sd = naiveStd(c, t, p.period);
        return machine(state, c[t] >= m, c[t] <= m, c[t] < m - p.k * sd, c[t] > m + p.k * sd);
      };
    case 'donchian-breakout':
      return (t, state) => {
        if (t < Math.max(p.entry, p.exit)) return null;
        return machine(
          state,
          c[t] < priorMin(s.low, t, p.exit),
          c[t] > priorMax(s.high, t, p.exit),
          c[t] > priorMax(s.high, t, p.entry),
          c[t] < priorMin(s.low, t, p.entry),
        );
      };
    default:
      throw new Error(name);
  }
}

// ---------------------------------------------------------------- naive simulation and metrics

interface Reference {
  equity: number[];
  metrics: ExtendedMetrics;
}

function referenceBacktest(s: Ohlcv, decide: Decide, feeBps: number, slippageBps: number, P: number, riskFree: number): Reference {
  const n = s.close.length;
  const fee = feeBps / 1e4;
  const slip = slippageBps / 1e4;
  let cash = 1;
  let pos = 0;
  let units = 0;
  let entryPrice = 0;
  let collateral = 0;
  let entryCash = 1;
  let pending: number | null = null;
  let state = 0;
  let ruined = false;
  let trades = 0;
  const closed: number[][] = []; // [before, after]
  let inMarket = 0;
  const equity: number[] = [];
  const closeTrade = () => {
    if (!(cash > 0)) {
      cash = 0;
      ruined = true;
    }
    closed.push([entryCash, cash]);
    pos = 0;
  };
  for (let t = 0; t < n; t++) {
    if (pending !== null && pending !== pos && !ruined) {
      if (pos === 1) {
        cash = units * s.open[t] * (1 - slip) * (1 - fee);
        closeTrade();
      } else if (pos === -1) {
        const buy = s.open[t] * (1 + slip);
        cash = collateral + units * (entryPrice - buy) - fee * units * buy;
        closeTrade();
      }
      if (pending !== 0 && !ruined) {
        entryCash = cash;
        trades++;
        if (pending === 1) {
          entryPrice = s.open[t] * (1 + slip);
          units = (cash * (1 - fee)) / entryPrice;
        } else {
          entryPrice = s.open[t] * (1 - slip);
          units = (cash * (1 - fee)) / entryPrice;
          collateral = cash * (1 - fee);
        }
        pos = pending;
      }
    }
    let e = pos === 1 ? units * s.close[t] : pos === -1 ? collateral + units * (entryPrice - s.close[t]) : cash;
    if (pos !== 0) inMarket++;
    if (pos !== 0 && !(e > 0)) {
      e = 0;
      cash = 0;
      closeTrade();
      ruined = true;
    }
    equity.push(e);
    const d = decide(t, state);
    if (d !== null) state = d;
    pending = d;
  }
  return { equity, metrics: curveMetrics(equity, trades, closed, inMarket, P, riskFree) };
}

/** Straightforward metric formulas over a stored curve. */
export function curveMetrics(equity: number[], trades: number, closed: number[][], inMarket: number, P: number, riskFree: number): ExtendedMetrics {
  const n = equity.length;
  const tau = riskFree === 0 ? 0 : Math.pow(1 + riskFree, 1 / P) - 1;
  const r: number[] = [];
  for (let t = 1; t < n; t++) r.push(equity[t - 1] > 0 ? equity[t] / equity[t - 1] - 1 : 0);
  const m = r.length;
  const mean = r.reduce((a, b) => a + b, 0) / m;
  const std = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (m - 1));
  const dd = Math.sqrt(r.reduce((a, x) => a + Math.min(x - tau, 0) ** 2, 0) / (m - 1));
  let peak = 1;
  let mdd = 0;
  let lastPeak = 0;
  let duration = 0;
  equity.forEach((e, t) => {
    if (e >= peak) {
      peak = e;
      lastPeak = t;
    }
    mdd = Math.max(mdd, 1 - e / peak);
    duration = Math.max(duration, t - lastPeak);
  });
  const final = equity[n - 1];
  const cagr = final > 0 ? Math.pow(final, P / m) - 1 : null;
  const profits = closed.map(([b, a]) => a - b);
  const gain = profits.filter((x) => x > 0).reduce((a, b) => a + b, 0);
  const loss = -profits.filter((x) => x < 0).reduce((a, b) => a + b, 0);
  const fin = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    totalReturn: final - 1,
    cagr,
    volatility: std * Math.sqrt(P),
    sharpe: std > 0 ? ((mean - tau) / std) * Math.sqrt(P) : null,
    maxDrawdown: mdd,
    trades,
    winRate: closed.length ? profits.filter((x) => x > 0).length / closed.length : null,
    exposure: inMarket / n,
    sortino: dd > 0 ? fin(((mean - tau) / dd) * Math.sqrt(P)) : null,
    calmar: cagr !== null && mdd > 0 ? cagr / mdd : null,
    maxDrawdownDuration: duration,
    profitFactor: closed.length && loss > 0 ? gain / loss : null,
    avgTradeReturn: closed.length ? closed.reduce((a, [b, x]) => a + (x / b - 1), 0) / closed.length : null,
  };
}

export function near(actual: number | null, expected: number | null, where: string): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, where);
    return;
  }
  const tolerance = 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-12;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: ${actual} vs ${expected}`);
}

export function assertExtended(actual: ExtendedMetrics, expected: ExtendedMetrics, where: string): void {
  for (const key of Object.keys(expected) as (keyof ExtendedMetrics)[]) near(actual[key], expected[key], `${where} ${key}`);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
}

// ---------------------------------------------------------------- cases

const PARAMS: Record<string, Record<string, number>[]> = {
  'sma-crossover': [{ fast: 3, slow: 10 }, { fast: 5, slow: 30 }, { fast: 1, slow: 2 }],
  'ema-crossover': [{ fast: 3, slow: 10 }, { fast: 8, slow: 40 }, { fast: 1, slow: 5 }],
  'macd-cross': [{ fast: 12, slow: 26, signal: 9 }, { fast: 3, slow: 7, signal: 2 }, { fast: 5, slow: 6, signal: 1 }],
  'rsi-reversion': [{ period: 14, entry: 30, exit: 55 }, { period: 5, entry: 40, exit: 50.5 }, { period: 2, entry: 20, exit: 80 }],
  'bollinger-reversion': [{ period: 20, k: 2 }, { period: 5, k: 0.5 }, { period: 10, k: 1.25 }],
  'donchian-breakout': [{ entry: 20, exit: 10 }, { entry: 5, exit: 5 }, { entry: 3, exit: 12 }],
};

const CASES: { seed: number; timeframe: Timeframe; bars: number; feeBps: number; slippageBps: number; riskFree: number; yearDays: 365 | 252 }[] = [
  { seed: 1, timeframe: '1h', bars: 600, feeBps: 0, slippageBps: 0, riskFree: 0, yearDays: 365 },
  { seed: 2, timeframe: '1d', bars: 500, feeBps: 10, slippageBps: 5, riskFree: 0.03, yearDays: 252 },
  { seed: 3, timeframe: '5m', bars: 400, feeBps: 25, slippageBps: 12, riskFree: 0, yearDays: 365 },
  { seed: 4, timeframe: '4h', bars: 700, feeBps: 3, slippageBps: 1, riskFree: 0.05, yearDays: 365 },
];

function runKernel(name: string, s: Ohlcv, p: Record<string, number>, short: boolean, feeBps: number, slippageBps: number, P: number, riskFree: number): EquityAccumulator {
  const def = STRATEGIES.get(name)!;
  const values = Float64Array.from(def.params.map((schema) => p[schema.name]));
  const out = new SignalBuffer(s.close.length);
  def.signals({ open: s.open, high: s.high, low: s.low, close: s.close, indicators: new IndicatorCache(s) }, values, short, out);
  return simulate(s.open, s.close, out, { feeBps, slippageBps }, new EquityAccumulator(), riskFreePerPeriod(riskFree, P));
}

describe('strategy library', () => {
  it('registers every strategy with a schema whose defaults are in range', () => {
    assert.deepEqual(STRATEGY_NAMES, ['sma-crossover', 'ema-crossover', 'rsi-reversion', 'bollinger-reversion', 'macd-cross', 'donchian-breakout']);
    for (const def of STRATEGIES.values()) {
      for (const p of def.params) {
        assert.ok(p.defaultRange.start >= p.min && p.defaultRange.stop <= p.max, `${def.name}.${p.name}`);
      }
    }
  });

  for (const name of Object.keys(PARAMS)) {
    it(`${name} matches the bar-by-bar reference (long-only and long/short; equity and metrics to 1e-9)`, () => {
      let trades = 0;
      let shorts = 0;
      for (const c of CASES) {
        const s = generateSyntheticSeries({ seed: c.seed, symbol: `S${c.seed}`, timeframe: c.timeframe, bars: c.bars });
        const P = periodsPerYear(c.timeframe, c.yearDays);
        for (const p of PARAMS[name]) {
          for (const short of [false, true]) {
            const where = `${name} ${JSON.stringify(p)} short ${short} seed ${c.seed}`;
            const ref = referenceBacktest(s, referenceRule(name, s, p, short), c.feeBps, c.slippageBps, P, c.riskFree);
            const acc = runKernel(name, s, p, short, c.feeBps, c.slippageBps, P, c.riskFree);
            near(acc.lastEquity, ref.equity[c.bars - 1], `${where} final equity`);
            assertExtended(acc.extendedMetrics(P), ref.metrics, where);
            trades += ref.metrics.trades;
            if (short) shorts += ref.metrics.trades;
          }
        }
        // The equity at every close: the kernel over the first k bars ends on the reference curve at k − 1.
        if (c.seed === 1) {
          const p = PARAMS[name][0];
          const ref = referenceBacktest(s, referenceRule(name, s, p, true), c.feeBps, c.slippageBps, P, 0);
          for (let k = 50; k <= 200; k += 7) {
            const cut: Ohlcv = { ...s, open: s.open.subarray(0, k), high: s.high.subarray(0, k), low: s.low.subarray(0, k), close: s.close.subarray(0, k) };
            near(runKernel(name, cut, p, true, c.feeBps, c.slippageBps, P, 0).lastEquity, ref.equity[k - 1], `${name} equity at ${k - 1}`);
          }
        }
      }
      assert.ok(trades > 0 && shorts > 0, `${name} trades ${trades}, short-side ${shorts}`);
    });
  }

  it('a short position that more than doubles against us ruins the account', () => {
    // Prices fall (the crossover goes short), then triple at once.
    const n = 60;
    const s = generateSyntheticSeries({ seed: 1, symbol: 'R', timeframe: '1h', bars: n });
    const path = Array.from({ length: n }, (_, t) => (t < 20 ? 100 - t : 300));
    const mk = (f: (x: number) => number) => Float64Array.from(path, f);
    const series: Ohlcv = { ...s, open: mk((x) => x), close: mk((x) => x), high: mk((x) => x * 1.01), low: mk((x) => x * 0.99) };
    const p = { fast: 2, slow: 5 };
    const ref = referenceBacktest(series, referenceRule('sma-crossover', series, p, true), 10, 5, 8760, 0);
    const acc = runKernel('sma-crossover', series, p, true, 10, 5, 8760, 0);
    assert.ok(ref.equity.includes(0), 'the reference is ruined');
    assert.equal(acc.lastEquity, 0);
    assertExtended(acc.extendedMetrics(8760), ref.metrics, 'ruin');
  });
});

describe('strategies through the backtest kind', () => {
  for (const name of Object.keys(PARAMS)) {
    it(`${name}: any partitioning gives the single-partition result`, () => {
      const def = STRATEGIES.get(name)!;
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 500 }),
          fc.integer({ min: 1, max: 40 }),
          fc.boolean(),
          fc.constantFrom(0, 5, 20),
          fc.integer({ min: 1, max: 8 }),
          (seed, pick, sweepShort, feeBps, topN) => {
            const params: Record<string, { start: number; stop: number; step: number }> = {};
            for (const schema of def.params) params[schema.name] = { ...schema.defaultRange, stop: Math.min(schema.defaultRange.stop, 100) };
            if (sweepShort) params.short = { start: 0, stop: 1, step: 1 };
            const spec = backtestKind.validate(
              { symbols: ['AAA', 'BBB'], timeframe: '1h', dataset: { name: 'synthetic', bars: 200, seed }, strategy: name, params, feeBps, slippageBps: 2, topN },
              DEFAULT_SPEC_LIMITS,
            );
            const units = backtestKind.measure(spec).units;
            const target = 1 + (pick % units);
            const single = runPartitioned(backtestKind, spec, 1);
            const split = runPartitioned(backtestKind, spec, target);
            assertCoversEveryUnitOnce(split.plan, units, target);
            assert.equal(split.result.evaluated, units);
            assert.deepEqual(split.result, single.result);
          },
        ),
        { numRuns: 12 },
      );
    });
  }
});
