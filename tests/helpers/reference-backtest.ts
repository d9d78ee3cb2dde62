import assert from 'node:assert/strict';
import type { ExtendedMetrics } from '../../shared/quant/metrics.js';
import type { Ohlcv } from '../../shared/quant/ohlcv.js';

/**
 * Straightforward bar-by-bar references for the strategy library: naive indicators, each rule as
 * a per-bar decision, a per-bar simulation storing the whole equity curve, and textbook metric
 * formulas over it. Slow and obvious on purpose: the kernel is checked against these.
 */

// ---------------------------------------------------------------- naive indicators

export function naiveSma(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p - 1) return NaN;
  let s = 0;
  for (let i = t - p + 1; i <= t; i++) s += x[i];
  return s / p;
}

export function naiveEma(x: ArrayLike<number>, p: number): number[] {
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

export function naiveRsi(x: ArrayLike<number>, p: number): number[] {
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

export function naiveStd(x: ArrayLike<number>, t: number, p: number): number {
  const m = naiveSma(x, t, p);
  let s = 0;
  for (let i = t - p + 1; i <= t; i++) s += (x[i] - m) ** 2;
  return Math.sqrt(s / p);
}

export function priorMax(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p) return NaN;
  let m = -Infinity;
  for (let i = t - p; i < t; i++) m = Math.max(m, x[i]);
  return m;
}

export function priorMin(x: ArrayLike<number>, t: number, p: number): number {
  if (t < p) return NaN;
  let m = Infinity;
  for (let i = t - p; i < t; i++) m = Math.min(m, x[i]);
  return m;
}

// ---------------------------------------------------------------- naive rules: target at the close of t, or null (no decision)

export type Decide = (t: number, state: number) => number | null;

export function referenceRule(name: string, s: Ohlcv, p: Record<string, number>, short: boolean): Decide {
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

export interface Reference {
  equity: number[];
  metrics: ExtendedMetrics;
  trades: number;
  /** Closed trades: [cash before the entry, cash after the exit]. */
  closed: number[][];
  /** Bars whose close mark holds a position. */
  inMarket: number;
}

export function referenceBacktest(s: Ohlcv, decide: Decide, feeBps: number, slippageBps: number, P: number, riskFree: number): Reference {
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
  return { equity, metrics: curveMetrics(equity, trades, closed, inMarket, P, riskFree), trades, closed, inMarket };
}

/** The per-bar returns of an equity curve: E[t]/E[t−1] − 1, 0 after a mark of 0. */
function returnsOf(equity: readonly number[]): number[] {
  const r: number[] = [];
  for (let t = 1; t < equity.length; t++) r.push(equity[t - 1] > 0 ? equity[t] / equity[t - 1] - 1 : 0);
  return r;
}

/** Straightforward metric formulas over a stored curve. */
export function curveMetrics(equity: number[], trades: number, closed: number[][], inMarket: number, P: number, riskFree: number): ExtendedMetrics {
  const n = equity.length;
  const tau = riskFree === 0 ? 0 : Math.pow(1 + riskFree, 1 / P) - 1;
  const r = returnsOf(equity);
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

export function near(actual: number | null, expected: number | null, where: string, relative = 1e-9): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, where);
    return;
  }
  const tolerance = relative * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-12;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: ${actual} vs ${expected}`);
}

/**
 * The relative error the engine's standard deviation of returns can carry over a curve, beyond
 * 1e-9: the engine keeps only Σr and Σr² (metrics.ts: variance = (Σr² − Σr·mean)/(m − 1)), whose
 * rounding is a few ulps of Σr², so when the returns barely differ from their mean (Σr² ≫ Σ(r − mean)²,
 * as in a short curve of near-equal returns) the difference loses digits that the reference's
 * two-pass formula keeps. The bound: 16·m·ε·Σr² / Σ(r − mean)² (halved by the square root, and
 * doubled for safety), 0 for a curve of equal returns.
 */
export function sumsTolerance(equity: readonly number[]): number {
  const r = returnsOf(equity);
  const m = r.length;
  if (m < 2) return 0;
  const mean = r.reduce((a, b) => a + b, 0) / m;
  const squares = r.reduce((a, x) => a + x * x, 0);
  const spread = r.reduce((a, x) => a + (x - mean) ** 2, 0);
  return spread > 0 ? (16 * m * Number.EPSILON * squares) / spread : 0;
}

/** The metrics of a sum-based std (volatility, sharpe): within sumsTolerance(equity) more when a curve is given. */
const FROM_STD: ReadonlySet<string> = new Set(['volatility', 'sharpe']);

/**
 * Every metric near the reference's (relative 1e-9); with the reference's equity curve, the two
 * metrics made from the standard deviation of returns also within that curve's sumsTolerance.
 */
export function assertExtended(actual: ExtendedMetrics, expected: ExtendedMetrics, where: string, equity?: readonly number[]): void {
  const extra = equity === undefined ? 0 : sumsTolerance(equity);
  for (const key of Object.keys(expected) as (keyof ExtendedMetrics)[]) near(actual[key], expected[key], `${where} ${key}`, FROM_STD.has(key) ? 1e-9 + extra : 1e-9);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
}


/** The target in force after the close of every bar, by running a rule over the whole series. */
export function referenceTargets(decide: Decide, bars: number): number[] {
  const targets: number[] = [];
  let state = 0;
  for (let t = 0; t < bars; t++) {
    const d = decide(t, state);
    if (d !== null) state = d;
    targets.push(state);
  }
  return targets;
}

/**
 * A window [from, to) of a series traded on its own with the targets decided over the whole series:
 * the series cut to the window and a rule that replays the targets (flat from the close of the
 * second-to-last bar on with closeAtEnd).
 */
export function referenceWindow(s: Ohlcv, targets: readonly number[], from: number, to: number, closeAtEnd: boolean): { series: Ohlcv; decide: Decide } {
  const cut = (x: Float64Array) => x.slice(from, to);
  const series: Ohlcv = { ...s, time: cut(s.time), open: cut(s.open), high: cut(s.high), low: cut(s.low), close: cut(s.close), volume: cut(s.volume) };
  return { series, decide: (t) => (closeAtEnd && t >= to - from - 2 ? 0 : targets[from + t]) };
}
