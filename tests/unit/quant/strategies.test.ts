import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EquityAccumulator, riskFreePerPeriod, type ExtendedMetrics } from '../../../shared/quant/metrics.js';
import { IndicatorCache, SignalBuffer, simulate, STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { windowSignals } from '../../../shared/quant/strategies/windows.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import type { Ohlcv } from '../../../shared/quant/ohlcv.js';
import { periodsPerYear, type Timeframe } from '../../../shared/quant/timeframes.js';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { assertCoversEveryUnitOnce, runPartitioned } from '../../helpers/task-kinds.js';
import { assertExtended, near, referenceBacktest, referenceRule, referenceTargets, referenceWindow } from '../../helpers/reference-backtest.js';

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

function kernelSignals(name: string, s: Ohlcv, p: Record<string, number>, short: boolean): SignalBuffer {
  const def = STRATEGIES.get(name)!;
  const values = Float64Array.from(def.params.map((schema) => p[schema.name]));
  const out = new SignalBuffer(s.close.length);
  def.signals({ open: s.open, high: s.high, low: s.low, close: s.close, indicators: new IndicatorCache(s) }, values, short, out);
  return out;
}

function runKernel(name: string, s: Ohlcv, p: Record<string, number>, short: boolean, feeBps: number, slippageBps: number, P: number, riskFree: number): EquityAccumulator {
  return simulate(s.open, s.close, kernelSignals(name, s, p, short), { feeBps, slippageBps }, new EquityAccumulator(), riskFreePerPeriod(riskFree, P));
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
            assertExtended(acc.extendedMetrics(P), ref.metrics, where, ref.equity);
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

  it('writes the close mark of every bar when asked (the equity curve), equal to the reference curve', () => {
    const c = CASES[1];
    const s = generateSyntheticSeries({ seed: c.seed, symbol: 'M', timeframe: c.timeframe, bars: c.bars });
    const P = periodsPerYear(c.timeframe, c.yearDays);
    for (const name of Object.keys(PARAMS)) {
      for (const short of [false, true]) {
        const p = PARAMS[name][1];
        const ref = referenceBacktest(s, referenceRule(name, s, p, short), c.feeBps, c.slippageBps, P, 0);
        const marks = new Float64Array(c.bars).fill(NaN);
        const acc = simulate(s.open, s.close, kernelSignals(name, s, p, short), { feeBps: c.feeBps, slippageBps: c.slippageBps }, new EquityAccumulator(), 0, marks);
        ref.equity.forEach((e, t) => near(marks[t], e, `${name} short ${short} mark ${t}`));
        assert.equal(marks[c.bars - 1], acc.lastEquity);
      }
    }
  });

  it('trades a window of bars on its own with signals decided over the whole series (walk-forward windows)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(PARAMS)),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 10, max: 200 }),
        (name, which, short, closeAtEnd, from, length) => {
          const c = CASES[2];
          const s = generateSyntheticSeries({ seed: 7, symbol: 'W', timeframe: c.timeframe, bars: 700 });
          const to = Math.min(700, from + length);
          if (to - from < 10) return; // the reference's formulas need a few returns
          const p = PARAMS[name][which];
          const P = periodsPerYear(c.timeframe, 365);
          const targets = referenceTargets(referenceRule(name, s, p, short), 700);
          const window = referenceWindow(s, targets, from, to, closeAtEnd);
          const ref = referenceBacktest(window.series, window.decide, c.feeBps, c.slippageBps, P, 0);
          const signals = windowSignals(kernelSignals(name, s, p, short), from, to, closeAtEnd, new SignalBuffer(1));
          const marks = new Float64Array(to - from);
          const acc = simulate(s.open.subarray(from, to), s.close.subarray(from, to), signals, { feeBps: c.feeBps, slippageBps: c.slippageBps }, new EquityAccumulator(), 0, marks);
          const where = `${name} ${JSON.stringify(p)} short ${short} [${from}, ${to}) closeAtEnd ${closeAtEnd}`;
          ref.equity.forEach((e, t) => near(marks[t], e, `${where} mark ${t}`));
          assertExtended(acc.extendedMetrics(P), ref.metrics, where, ref.equity);
          if (closeAtEnd) assert.equal(acc.closedTrades, acc.trades, `${where}: every trade closed`);
        },
      ),
      { numRuns: 150 },
    );
  });

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
