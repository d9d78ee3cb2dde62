import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EquityAccumulator, type PerformanceMetrics } from '../../../shared/quant/metrics.js';
import { backtestSmaCrossover, runSmaCrossover, SmaBank } from '../../../shared/quant/strategies/sma-crossover.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { periodsPerYear, type Timeframe } from '../../../shared/quant/timeframes.js';

/**
 * An obviously-correct simulation, bar by bar with explicit state, to check the kernel against:
 * at each bar, first fill the order decided at the previous close (at this open), then mark
 * the equity at this close, then decide the target from the two SMAs (summed naively).
 */
interface Reference {
  equity: number[];
  /** Whether the position at each close is long. */
  long: boolean[];
  metrics: PerformanceMetrics;
}

function naiveMean(values: Float64Array, end: number, period: number): number {
  let sum = 0;
  for (let i = end - period + 1; i <= end; i++) sum += values[i];
  return sum / period;
}

function referenceBacktest(
  open: Float64Array,
  close: Float64Array,
  fast: number,
  slow: number,
  feeBps: number,
  slippageBps: number,
  barsPerYear: number,
): Reference {
  const n = close.length;
  const fee = feeBps / 1e4;
  const slip = slippageBps / 1e4;
  let cash = 1;
  let units = 0;
  let long = false;
  let target: boolean | null = null; // decided at the previous close
  let cashBeforeEntry = 0;
  let trades = 0;
  let closed = 0;
  let wins = 0;
  let longBars = 0;
  const equity: number[] = [];
  const longAt: boolean[] = [];
  for (let t = 0; t < n; t++) {
    if (target === true && !long) {
      const buyPrice = open[t] * (1 + slip);
      cashBeforeEntry = cash;
      units = (cash * (1 - fee)) / buyPrice;
      cash = 0;
      long = true;
      trades++;
    } else if (target === false && long) {
      const sellPrice = open[t] * (1 - slip);
      cash = units * sellPrice * (1 - fee);
      units = 0;
      long = false;
      closed++;
      if (cash > cashBeforeEntry) wins++;
    }
    equity.push(long ? units * close[t] : cash);
    longAt.push(long);
    if (long) longBars++;
    target = t >= slow - 1 ? naiveMean(close, t, fast) > naiveMean(close, t, slow) : null;
  }

  const returns: number[] = [];
  for (let t = 1; t < n; t++) returns.push(equity[t] / equity[t - 1] - 1);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1);
  let peak = 1;
  let maxDrawdown = 0;
  for (const e of equity) {
    peak = Math.max(peak, e);
    maxDrawdown = Math.max(maxDrawdown, (peak - e) / peak);
  }
  const final = equity[n - 1];
  const std = Math.sqrt(variance);
  return {
    equity,
    long: longAt,
    metrics: {
      totalReturn: final - 1,
      cagr: Math.pow(final, barsPerYear / (n - 1)) - 1,
      volatility: std * Math.sqrt(barsPerYear),
      sharpe: variance > 0 ? (mean / std) * Math.sqrt(barsPerYear) : null,
      maxDrawdown,
      trades,
      winRate: closed > 0 ? wins / closed : null,
      exposure: longBars / n,
    },
  };
}

function near(actual: number | null, expected: number | null, where: string): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, where);
    return;
  }
  const tolerance = 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-15;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: ${actual} vs ${expected}`);
}

function assertMetrics(actual: PerformanceMetrics, expected: PerformanceMetrics, where: string): void {
  near(actual.totalReturn, expected.totalReturn, `${where} totalReturn`);
  near(actual.cagr, expected.cagr, `${where} cagr`);
  // With zero variance the reference's volatility is 0 too; the Sharpe ratio is then undefined.
  near(actual.volatility, expected.volatility, `${where} volatility`);
  near(actual.sharpe, expected.sharpe, `${where} sharpe`);
  near(actual.maxDrawdown, expected.maxDrawdown, `${where} maxDrawdown`);
  assert.equal(actual.trades, expected.trades, `${where} trades`);
  near(actual.winRate, expected.winRate, `${where} winRate`);
  near(actual.exposure, expected.exposure, `${where} exposure`);
}

const CASES: { seed: number; timeframe: Timeframe; bars: number; feeBps: number; slippageBps: number }[] = [
  { seed: 1, timeframe: '1h', bars: 700, feeBps: 0, slippageBps: 0 },
  { seed: 2, timeframe: '1d', bars: 900, feeBps: 10, slippageBps: 0 },
  { seed: 3, timeframe: '5m', bars: 600, feeBps: 0, slippageBps: 7.5 },
  { seed: 4, timeframe: '4h', bars: 800, feeBps: 25, slippageBps: 12 },
  { seed: 5, timeframe: '15m', bars: 500, feeBps: 3, slippageBps: 1 },
  { seed: 6, timeframe: '1m', bars: 400, feeBps: 100, slippageBps: 50 },
];
const COMBINATIONS = [
  [1, 2],
  [2, 3],
  [3, 10],
  [5, 20],
  [10, 30],
  [12, 50],
  [20, 100],
  [7, 199],
];

describe('sma-crossover kernel', () => {
  it('matches the per-bar reference simulation (metrics to 1e-9 relative)', () => {
    let endedLong = 0;
    let endedFlat = 0;
    let closedTrades = 0;
    for (const c of CASES) {
      const series = generateSyntheticSeries({ seed: c.seed, symbol: `K${c.seed}`, timeframe: c.timeframe, bars: c.bars });
      const bank = new SmaBank(series.close);
      const barsPerYear = periodsPerYear(c.timeframe);
      for (const [fast, slow] of COMBINATIONS) {
        const where = `seed ${c.seed} ${fast}/${slow} fee ${c.feeBps} slip ${c.slippageBps}`;
        const ref = referenceBacktest(series.open, series.close, fast, slow, c.feeBps, c.slippageBps, barsPerYear);
        const actual = backtestSmaCrossover(series, { fast, slow }, c, barsPerYear, bank);
        assertMetrics(actual, ref.metrics, where);

        // The same curve fed bar by bar into the accumulator gives the same metrics.
        const acc = new EquityAccumulator();
        ref.equity.forEach((e, t) => acc.mark(e, ref.long[t]));
        const viaMarks = acc.metrics(barsPerYear);
        assertMetrics({ ...viaMarks, trades: ref.metrics.trades, winRate: ref.metrics.winRate }, ref.metrics, `${where} accumulator`);

        if (ref.long[c.bars - 1]) endedLong++;
        else endedFlat++;
        if (ref.metrics.winRate !== null) closedTrades++;
      }
    }
    // The cases exercise both endings and closed trades.
    assert.ok(endedLong > 0 && endedFlat > 0 && closedTrades > 0, `${endedLong} ${endedFlat} ${closedTrades}`);
  });

  it('marks the same equity as the reference at every bar', () => {
    // The equity at the close of bar k depends only on bars 0..k, so the kernel's final equity
    // over the first k+1 bars is the reference curve at k.
    for (const c of CASES.slice(0, 3)) {
      const series = generateSyntheticSeries({ seed: c.seed, symbol: `E${c.seed}`, timeframe: c.timeframe, bars: 260 });
      for (const [fast, slow] of [[2, 5], [5, 20], [10, 40]]) {
        const ref = referenceBacktest(series.open, series.close, fast, slow, c.feeBps, c.slippageBps, 1);
        for (let k = slow; k <= series.close.length; k++) {
          const open = series.open.subarray(0, k);
          const close = series.close.subarray(0, k);
          const bank = new SmaBank(close);
          const acc = runSmaCrossover(open, close, bank.get(fast), bank.get(slow), slow, c, new EquityAccumulator());
          near(acc.lastEquity, ref.equity[k - 1], `seed ${c.seed} ${fast}/${slow} equity at ${k - 1}`);
        }
      }
    }
  });

  it('a combination that never trades has zero volatility and no Sharpe', () => {
    const series = generateSyntheticSeries({ seed: 9, symbol: 'FLAT', timeframe: '1h', bars: 150 });
    // slow = bars: the only decision is at the last close, which never fills.
    const metrics = backtestSmaCrossover(series, { fast: 3, slow: 150 }, { feeBps: 0, slippageBps: 0 }, 8760);
    assert.deepEqual(metrics, {
      totalReturn: 0,
      cagr: 0,
      volatility: 0,
      sharpe: null,
      maxDrawdown: 0,
      trades: 0,
      winRate: null,
      exposure: 0,
    });
  });

  it('costs only lower the outcome', () => {
    const series = generateSyntheticSeries({ seed: 11, symbol: 'COST', timeframe: '1h', bars: 2000 });
    const bank = new SmaBank(series.close);
    const free = backtestSmaCrossover(series, { fast: 5, slow: 20 }, { feeBps: 0, slippageBps: 0 }, 8760, bank);
    const fee = backtestSmaCrossover(series, { fast: 5, slow: 20 }, { feeBps: 10, slippageBps: 0 }, 8760, bank);
    const slip = backtestSmaCrossover(series, { fast: 5, slow: 20 }, { feeBps: 0, slippageBps: 10 }, 8760, bank);
    assert.ok(free.trades > 0);
    assert.equal(fee.trades, free.trades);
    assert.ok(fee.totalReturn! < free.totalReturn!);
    assert.ok(slip.totalReturn! < free.totalReturn!);
  });

  it('an SmaBank under a tight budget gives bit-identical results', () => {
    const series = generateSyntheticSeries({ seed: 12, symbol: 'BANK', timeframe: '1h', bars: 1500 });
    const roomy = new SmaBank(series.close);
    const tight = new SmaBank(series.close, 1); // keeps only two arrays
    for (const [fast, slow] of COMBINATIONS) {
      const costs = { feeBps: 5, slippageBps: 2 };
      assert.deepEqual(
        backtestSmaCrossover(series, { fast, slow }, costs, 8760, tight),
        backtestSmaCrossover(series, { fast, slow }, costs, 8760, roomy),
      );
    }
    assert.ok(tight.size <= 2);
  });

  it('rejects parameters outside 1 ≤ fast < slow ≤ bars', () => {
    const series = generateSyntheticSeries({ seed: 1, symbol: 'X', timeframe: '1h', bars: 100 });
    const costs = { feeBps: 0, slippageBps: 0 };
    assert.throws(() => backtestSmaCrossover(series, { fast: 5, slow: 5 }, costs, 1), RangeError);
    assert.throws(() => backtestSmaCrossover(series, { fast: 0, slow: 5 }, costs, 1), RangeError);
    assert.throws(() => backtestSmaCrossover(series, { fast: 5, slow: 101 }, costs, 1), RangeError);
  });
});
