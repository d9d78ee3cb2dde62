import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../../shared/errors.js';
import { backtestSmaCrossover, SmaBank } from '../../../shared/quant/strategies/sma-crossover.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { periodsPerYear } from '../../../shared/quant/timeframes.js';
import { ParamGrid } from '../../../shared/tasks/backtest/grid.js';
import { SHORT_PARAM, STRATEGIES } from '../../../shared/quant/strategies/index.js';
import { backtestKind, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { assertCoversEveryUnitOnce, fieldOf, runPartitioned } from '../../helpers/task-kinds.js';
import { DEFAULT_SPEC_LIMITS, type SpecLimits } from '../../../shared/tasks/task-kind.js';

const LIMITS: SpecLimits = DEFAULT_SPEC_LIMITS;

/** A raw spec shaped like the decoded proto message (camelCase, defaults filled). */
function rawSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    symbols: ['AAA', 'BBB'],
    timeframe: '',
    dataset: null,
    strategy: '',
    params: { fast: { start: 5, stop: 10, step: 5 }, slow: { start: 20, stop: 40, step: 10 } },
    feeBps: 0,
    slippageBps: 0,
    topN: 0,
    ...overrides,
  };
}



describe('backtest spec validation', () => {
  it('fills defaults', () => {
    const spec = backtestKind.validate(rawSpec(), LIMITS);
    assert.equal(spec.timeframe, '1h');
    // The backtest's own default bar count (BACKTEST_DEFAULTS, once the CLI's only).
    assert.deepEqual(spec.dataset, { name: 'synthetic', bars: 20_000, seed: 42 });
    assert.equal(spec.strategy, 'sma-crossover');
    assert.equal(spec.topN, 20);
    assert.equal(spec.feeBps, 0);
    assert.equal(spec.slippageBps, 0);
    assert.deepEqual(spec.params, { fast: { start: 5, stop: 10, step: 5 }, slow: { start: 20, stop: 40, step: 10 }, short: { start: 0, stop: 0, step: 1 } });
    assert.equal(spec.yearDays, 365);
    assert.equal(spec.riskFree, 0);
    assert.equal(spec.combinations, 6);
    assert.equal(spec.objective, 'sharpe');
    assert.deepEqual(spec.constraints, []);
    assert.equal(spec.fullTable, false);
    assert.deepEqual(backtestKind.measure(spec), { units: 12, costPerUnit: 20_000 });
    // A single value may have step 0.
    const single = backtestKind.validate(rawSpec({ params: { fast: { start: 3, stop: 3, step: 0 }, slow: { start: 9, stop: 9, step: 0 } } }), LIMITS);
    assert.equal(single.combinations, 1);
    // The spec is plain JSON.
    assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  });

  it('names the field at fault', () => {
    const cases: [string, Record<string, unknown>, SpecLimits?][] = [
      ['backtest.symbols', { symbols: [] }],
      ['backtest.symbols', { symbols: ['A', 'B', 'C'] }, { maxUnits: 2, maxBars: 10_000 }],
      ['backtest.symbols[1]', { symbols: ['AAA', 'AAA'] }],
      ['backtest.symbols[0]', { symbols: [''] }],
      ['backtest.symbols[1]', { symbols: ['OK', 'BAD SYMBOL'] }],
      ['backtest.symbols[0]', { symbols: ['X'.repeat(33)] }],
      ['backtest.symbols[0]', { symbols: [7] }],
      ['backtest.timeframe', { timeframe: '2h' }],
      ['backtest.dataset.name', { dataset: { name: 'yahoo', bars: 0, seed: 0 } }],
      ['backtest.dataset.bars', { dataset: { name: '', bars: 99, seed: 0 } }],
      ['backtest.dataset.bars', { dataset: { name: '', bars: 10_001, seed: 0 } }, { maxUnits: 1000, maxBars: 10_000 }],
      ['backtest.dataset.bars', { dataset: { name: '', bars: 150.5, seed: 0 } }],
      ['backtest.strategy', { strategy: 'buy-and-hope' }],
      ['backtest.params.fast', { params: { fast: { start: 0, stop: 5, step: 1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 1.5, stop: 5, step: 1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 2, stop: 5, step: 0 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 2, stop: 5, step: -1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 2, stop: 5, step: 0.5 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 5, stop: 2, step: 1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: NaN, stop: 5, step: 1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.slow', { params: { fast: { start: 2, stop: 5, step: 1 }, slow: { start: 20, stop: Infinity, step: 1 } } }],
      ['backtest.params.slow', { params: { fast: { start: 2, stop: 5, step: 1 }, slow: { start: 20, stop: 30, step: NaN } } }],
      ['backtest.params.fast', { params: { fast: { start: 2, stop: 1e12, step: 1 }, slow: { start: 20, stop: 20, step: 0 } } }],
      ['backtest.params.short', { params: { fast: { start: 2, stop: 2, step: 0 }, slow: { start: 20, stop: 20, step: 0 }, short: { start: 0, stop: 2, step: 1 } } }],
      ['backtest.params.year_days', { params: { year_days: { start: 300, stop: 300, step: 0 } } }],
      ['backtest.params.year_days', { params: { year_days: { start: 252, stop: 365, step: 113 } } }],
      ['backtest.params.risk_free', { params: { risk_free: { start: 1.5, stop: 1.5, step: 0 } } }],
      ['backtest.params.entry', { strategy: 'rsi-reversion', params: { entry: { start: 60, stop: 70, step: 5 }, exit: { start: 40, stop: 50, step: 5 } } }],
      ['backtest.params.k', { strategy: 'bollinger-reversion', params: { k: { start: 0, stop: 2, step: 0.5 } } }],
      ['backtest.params.signal', { strategy: 'macd-cross', params: { signal: { start: 1, stop: 5, step: 0.5 } } }],
      ['backtest.params.fast', { strategy: 'macd-cross', params: { fast: { start: 30, stop: 30, step: 0 }, slow: { start: 20, stop: 26, step: 1 } } }],
      ['backtest.params.exit', { strategy: 'donchian-breakout', dataset: { name: '', bars: 5000 }, params: { exit: { start: 10, stop: 6000, step: 10 } } }],
      ['backtest.params.fast', { strategy: 'donchian-breakout', params: { fast: { start: 1, stop: 1, step: 0 } } }],
      ['backtest.params.medium', { params: { fast: { start: 2, stop: 5, step: 1 }, slow: { start: 20, stop: 20, step: 0 }, medium: { start: 1, stop: 1, step: 0 } } }],
      ['backtest.params.fast', { params: { fast: { start: 30, stop: 40, step: 5 }, slow: { start: 10, stop: 30, step: 10 } } }],
      ['backtest.params.slow', { dataset: { name: 'synthetic', bars: 100, seed: 1 }, params: { fast: { start: 2, stop: 2, step: 0 }, slow: { start: 50, stop: 101, step: 1 } } }],
      ['backtest.fee_bps', { feeBps: -1 }],
      ['backtest.fee_bps', { feeBps: NaN }],
      ['backtest.fee_bps', { feeBps: Infinity }],
      ['backtest.slippage_bps', { slippageBps: -0.5 }],
      ['backtest.slippage_bps', { slippageBps: NaN }],
      ['backtest.top_n', { topN: 1001 }],
      ['backtest.top_n', { topN: 2.5 }],
      ['backtest.objective', { objective: 'max_drawdown' }],
      ['backtest.objective', { objective: 'Sharpe' }],
      ['backtest.objective', { objective: 3 }],
      ['backtest.constraints', { constraints: 'trades>1' }],
      ['backtest.constraints', { constraints: Array.from({ length: 17 }, () => ({ metric: 'trades', op: '>', value: 0 })) }],
      ['backtest.constraints[0]', { constraints: [7] }],
      ['backtest.constraints[1].metric', { constraints: [{ metric: 'trades', op: '>', value: 0 }, { metric: 'drawdown', op: '<', value: 1 }] }],
      ['backtest.constraints[0].metric', { constraints: [{ metric: '', op: '<', value: 1 }] }],
      ['backtest.constraints[0].op', { constraints: [{ metric: 'trades', op: '=', value: 1 }] }],
      ['backtest.constraints[0].op', { constraints: [{ metric: 'trades', op: '', value: 1 }] }],
      ['backtest.constraints[2].value', { constraints: [{ metric: 'trades', op: '>', value: 0 }, { metric: 'trades', op: '>', value: 0 }, { metric: 'sharpe', op: '>=', value: NaN }] }],
      ['backtest.constraints[0].value', { constraints: [{ metric: 'sharpe', op: '>=', value: Infinity }] }],
      ['backtest.full_table', { fullTable: 'yes' }],
      ['backtest.full_table', { fullTable: true, symbols: ['A', 'B', 'C'], params: { fast: { start: 1, stop: 300, step: 1 }, slow: { start: 301, stop: 530, step: 1 } }, dataset: { name: '', bars: 1000, seed: 1 } }],
    ];
    for (const [field, overrides, limits] of cases) {
      assert.equal(fieldOf(() => backtestKind.validate(rawSpec(overrides), limits ?? LIMITS)), field, JSON.stringify(overrides));
    }
  });

  it('caps the units with the count and the cap in the message', () => {
    const spec = rawSpec({ params: { fast: { start: 1, stop: 50, step: 1 }, slow: { start: 51, stop: 100, step: 1 } } });
    try {
      backtestKind.validate(spec, { maxUnits: 4999, maxBars: 10_000 });
      assert.fail('expected a ValidationError');
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'backtest.params');
      assert.match(error.reason, /5000/);
      assert.match(error.reason, /4999/);
    }
    assert.equal(backtestKind.validate(spec, { maxUnits: 5000, maxBars: 10_000 }).combinations, 2500);
  });

  it('fills missing parameters with the strategy defaults, for every strategy', () => {
    for (const def of STRATEGIES.values()) {
      const spec = backtestKind.validate(rawSpec({ strategy: def.name, params: {} }), LIMITS);
      for (const p of [...def.params, SHORT_PARAM]) assert.deepEqual(spec.params[p.name], p.defaultRange, `${def.name}.${p.name}`);
      assert.ok(spec.combinations > 0);
    }
  });

  it('lists the known parameters for an unknown one', () => {
    try {
      backtestKind.validate(rawSpec({ strategy: 'rsi-reversion', params: { fast: { start: 1, stop: 1, step: 0 } } }), LIMITS);
      assert.fail('expected a ValidationError');
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'backtest.params.fast');
      assert.match(error.reason, /period, entry, exit, short, year_days, risk_free/);
    }
  });

  it('names an unknown parameter with a long or odd key bounded and quoted', () => {
    const long = 'k'.repeat(5_000);
    try {
      backtestKind.validate(rawSpec({ params: { [long]: { start: 1, stop: 1, step: 0 } } }), LIMITS);
      assert.fail('expected a ValidationError');
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, `backtest.params["${'k'.repeat(100)}…" (5000 characters)]`);
      assert.ok(error.message.length < 300, `${error.message.length} characters`);
    }
    assert.equal(fieldOf(() => backtestKind.validate(rawSpec({ params: { 'a.b\nc': { start: 1, stop: 1, step: 0 } } }), LIMITS)), 'backtest.params["a.b\\nc"]');
    assert.equal(fieldOf(() => backtestKind.validate(rawSpec({ params: { bogus: { start: 1, stop: 1, step: 0 } } }), LIMITS)), 'backtest.params.bogus');
  });
});

describe('backtest parameter grid', () => {
  it('decodes lexicographic combinations with fast < slow from any index', () => {
    const range = fc.record({ start: fc.integer({ min: 1, max: 40 }), len: fc.integer({ min: 0, max: 40 }), step: fc.integer({ min: 1, max: 7 }) });
    const schema = [...STRATEGIES.get('macd-cross')!.params, SHORT_PARAM];
    fc.assert(
      fc.property(range, range, fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(), (f, s, signals, short, pick) => {
        const fast = { start: f.start, stop: f.start + f.len, step: f.step };
        const slow = { start: s.start, stop: s.start + s.len, step: s.step };
        const signal = { start: 1, stop: signals, step: 1 };
        const shortRange = { start: 0, stop: short ? 1 : 0, step: 1 };
        const expected: number[][] = [];
        for (let a = fast.start; a <= fast.stop; a += fast.step) {
          for (let b = slow.start; b <= slow.stop; b += slow.step) {
            for (let g = 1; g <= signals; g++) for (let h = 0; h <= shortRange.stop; h++) if (a < b) expected.push([a, b, g, h]);
          }
        }
        const grid = new ParamGrid(schema, [fast, slow, signal, shortRange], { left: 'fast', right: 'slow' });
        assert.equal(grid.total, expected.length);
        if (expected.length === 0) return;
        const k = pick % expected.length;
        const out = new Float64Array(4);
        for (let i = k; i < Math.min(expected.length, k + 50); i++) assert.deepEqual(Array.from(grid.decode(i, out)), expected[i]);
      }),
      { numRuns: 300 },
    );
  });

  it('real ranges read as decimals', () => {
    const schema = STRATEGIES.get('bollinger-reversion')!.params;
    const grid = new ParamGrid(schema, [{ start: 5, stop: 5, step: 1 }, { start: 0.1, stop: 0.7, step: 0.1 }], null);
    assert.equal(grid.total, 7);
    const out = new Float64Array(2);
    assert.deepEqual(Array.from({ length: 7 }, (_, i) => grid.decode(i, out)[1]), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });
});

describe('backtest plan, run and merge', () => {
  const specArbitrary = fc
    .record({
      symbols: fc.uniqueArray(fc.constantFrom('AAA', 'BBB', 'CCC', 'btc-usd', 'X.1', 'Z_9'), { minLength: 1, maxLength: 3 }),
      timeframe: fc.constantFrom('1m', '1h', '1d'),
      bars: fc.integer({ min: 100, max: 240 }),
      seed: fc.integer({ min: 1, max: 1000 }),
      fastStart: fc.integer({ min: 1, max: 12 }),
      fastLen: fc.integer({ min: 0, max: 12 }),
      fastStep: fc.integer({ min: 1, max: 4 }),
      slowStart: fc.integer({ min: 2, max: 30 }),
      slowLen: fc.integer({ min: 0, max: 30 }),
      slowStep: fc.integer({ min: 1, max: 6 }),
      feeBps: fc.constantFrom(0, 1, 10, 35.5),
      slippageBps: fc.constantFrom(0, 2, 20),
      topN: fc.integer({ min: 1, max: 25 }),
      neverTrades: fc.boolean(),
    })
    // At least one fast value below the last slow value.
    .filter((r) => r.neverTrades || r.fastStart < r.slowStart + Math.floor(r.slowLen / r.slowStep) * r.slowStep);
  type SpecInput = typeof specArbitrary extends fc.Arbitrary<infer T> ? T : never;

  function toSpec(r: SpecInput): BacktestSpec {
    // neverTrades adds slow = bars: such combinations decide only at the last close (null Sharpe).
    const slowStop = r.neverTrades ? r.bars : r.slowStart + r.slowLen;
    const slowStep = r.neverTrades ? r.bars - r.slowStart : r.slowStep;
    return backtestKind.validate(
      rawSpec({
        symbols: r.symbols,
        timeframe: r.timeframe,
        dataset: { name: 'synthetic', bars: r.bars, seed: r.seed },
        params: {
          fast: { start: r.fastStart, stop: r.fastStart + r.fastLen, step: r.fastStep },
          slow: { start: r.slowStart, stop: slowStop, step: slowStep },
        },
        feeBps: r.feeBps,
        slippageBps: r.slippageBps,
        topN: r.topN,
      }),
      LIMITS,
    );
  }

  it('plans cover every unit exactly once, and merging is exact for any partitioning', () => {
    fc.assert(
      fc.property(specArbitrary, fc.integer({ min: 1, max: 1_000_000 }), (r, pick) => {
        const spec = toSpec(r);
        const units = backtestKind.measure(spec).units;
        const target = 1 + (pick % units);
        const single = runPartitioned(backtestKind, spec, 1);
        const split = runPartitioned(backtestKind, spec, target);

        assertCoversEveryUnitOnce(split.plan, units, target);

        assert.equal(split.result.evaluated, units);
        assert.deepEqual(split.result, single.result);
      }),
      { numRuns: 100 },
    );
  });

  it('the merged top N is the top N of every unit evaluated on its own', () => {
    fc.assert(
      fc.property(specArbitrary, (r) => {
        const spec = toSpec(r);
        const rows: { symbol: string; fast: number; slow: number; sharpe: number | null; totalReturn: number | null }[] = [];
        for (const symbol of spec.symbols) {
          const series = generateSyntheticSeries({ seed: spec.dataset.seed, symbol, timeframe: spec.timeframe, bars: spec.dataset.bars });
          const bank = new SmaBank(series.close);
          const { fast, slow } = spec.params;
          for (let f = fast.start; f <= fast.stop; f += fast.step) {
            for (let s = slow.start; s <= slow.stop; s += slow.step) {
              if (f >= s) continue;
              const m = backtestSmaCrossover(series, { fast: f, slow: s }, spec, periodsPerYear(spec.timeframe), bank);
              rows.push({ symbol, fast: f, slow: s, sharpe: m.sharpe, totalReturn: m.totalReturn });
            }
          }
        }
        // Sharpe descending with null last, then symbol, fast, slow.
        const key = (row: (typeof rows)[number]) => (row.sharpe === null ? -Infinity : row.sharpe);
        rows.sort((a, b) => key(b) - key(a) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) || a.fast - b.fast || a.slow - b.slow);
        const expected = rows.slice(0, spec.topN).map((row, i) => ({
          rank: i + 1,
          symbol: row.symbol,
          params: { fast: row.fast, slow: row.slow, short: 0 },
          sharpe: row.sharpe,
          totalReturn: row.totalReturn,
        }));
        const { result } = runPartitioned(backtestKind, spec, 3);
        assert.deepEqual(
          result.top.map(({ rank, symbol, params, sharpe, totalReturn }) => ({ rank, symbol, params, sharpe, totalReturn })),
          expected,
        );
      }),
      { numRuns: 50 },
    );
  });

  it('ranks ties (null Sharpe) by symbol, fast, slow even when partitions prune their rows', () => {
    // slow = bars: no combination ever trades, so every Sharpe is null and only the tie-breaks
    // order the rows; symbols listed in reverse so later units rank better.
    const spec = backtestKind.validate(
      rawSpec({
        symbols: ['CCC', 'BBB', 'AAA'],
        dataset: { name: '', bars: 100, seed: 2 },
        params: { fast: { start: 1, stop: 30, step: 1 }, slow: { start: 100, stop: 100, step: 0 } },
        topN: 3,
      }),
      LIMITS,
    );
    for (const partitions of [1, 2, 7, 90]) {
      const { result } = runPartitioned(backtestKind, spec, partitions);
      assert.deepEqual(
        result.top.map((row) => [row.symbol, row.params.fast, row.params.slow, row.sharpe]),
        [['AAA', 1, 100, null], ['AAA', 2, 100, null], ['AAA', 3, 100, null]],
      );
    }
  });

  it('produces the documented result shape', () => {
    const spec = backtestKind.validate(
      rawSpec({ dataset: { name: '', bars: 400, seed: 3 }, feeBps: 5, slippageBps: 1, topN: 4 }),
      LIMITS,
    );
    const { result } = runPartitioned(backtestKind, spec, 5);
    assert.deepEqual(Object.keys(result), [
      'kind', 'strategy', 'timeframe', 'bars', 'yearDays', 'evaluated', 'objective', 'constraints', 'excludedByConstraints', 'top',
      'perSymbol', 'aggregate', 'heatmap', 'equityCurves',
    ]);
    assert.equal(result.yearDays, 365, 'synthetic data: 365 days a year');
    const tradingDays = backtestKind.validate(rawSpec({ dataset: { name: '', bars: 400, seed: 3 }, params: { fast: { start: 5, stop: 10, step: 5 }, slow: { start: 20, stop: 40, step: 10 }, year_days: { start: 252, stop: 252, step: 0 } } }), LIMITS);
    assert.equal(runPartitioned(backtestKind, tradingDays, 3).result.yearDays, 252);
    assert.equal(result.objective, 'sharpe');
    assert.deepEqual(result.constraints, []);
    assert.equal(result.excludedByConstraints, 0);
    assert.equal(result.kind, 'backtest');
    assert.equal(result.strategy, 'sma-crossover');
    assert.equal(result.timeframe, '1h');
    assert.equal(result.bars, 400);
    assert.equal(result.evaluated, 12);
    assert.equal(result.top.length, 4);
    assert.deepEqual(Object.keys(result.top[0]), [
      'rank', 'symbol', 'params', 'sharpe', 'totalReturn', 'cagr', 'volatility', 'maxDrawdown', 'trades', 'winRate', 'exposure',
      'sortino', 'calmar', 'maxDrawdownDuration', 'profitFactor', 'avgTradeReturn',
    ]);
    assert.deepEqual(Object.keys(result.top[0].params), ['fast', 'slow', 'short']);
    assert.deepEqual(result.top.map((row) => row.rank), [1, 2, 3, 4]);
    for (let i = 1; i < result.top.length; i++) assert.ok((result.top[i - 1].sharpe ?? -Infinity) >= (result.top[i].sharpe ?? -Infinity));
    // The equity curves of the best 3 rows (the default), every bar of these short series.
    const curves = result.equityCurves ?? [];
    assert.equal(curves.length, 3);
    curves.forEach((curve, i) => {
      assert.equal(curve.symbol, result.top[i].symbol);
      assert.deepEqual(curve.params, result.top[i].params);
      assert.deepEqual(Object.keys(curve), ['symbol', 'params', 'bar', 'time', 'equity']);
      assert.equal(curve.equity.length, 400);
      assert.deepEqual(curve.bar, Array.from({ length: 400 }, (_, t) => t));
      assert.equal(curve.equity[0], 1);
      assert.ok(Math.abs(curve.equity[399] - 1 - (result.top[i].totalReturn as number)) < 1e-12);
    });
  });

  it('a cancelled partition stops early', () => {
    const spec = backtestKind.validate(rawSpec({ dataset: { name: '', bars: 300, seed: 1 }, params: { fast: { start: 1, stop: 20, step: 1 }, slow: { start: 21, stop: 40, step: 1 } } }), LIMITS);
    let progress = 0;
    const partial = backtestKind.run(spec, { first: 0, count: 800 }, { reportProgress: (f) => (progress = f), isCancelled: () => true });
    assert.ok(partial.evaluated < 800);
    assert.ok(progress > 0 && progress < 1);
  });
});
