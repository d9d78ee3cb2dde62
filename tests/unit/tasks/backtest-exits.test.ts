import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadSeries } from '../../../shared/quant/dataset.js';
import { periodsPerYear } from '../../../shared/quant/timeframes.js';
import { defineStrategy, StrategyDefinitionError } from '../../../shared/strategy-sdk/define-strategy.js';
import { EXIT_PARAMS } from '../../../shared/tasks/backtest/exit-params.js';
import { backtestKind, type BacktestSpec, type BacktestTableRow } from '../../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { assertExtended, curveMetrics, referenceRule, referenceTargets } from '../../helpers/reference-backtest.js';
import { optionsOf, referenceWithExits } from '../../helpers/reference-exits.js';
import { assertCoversEveryUnitOnce, fieldOf, runPartitioned } from '../../helpers/task-kinds.js';

/**
 * The exit rules as backtest params: validated by the kind (INVALID_ARGUMENT naming the field),
 * swept like any parameter (grid, random search, walk-forward), every row equal to the bar-by-bar
 * reference (tests/helpers/reference-exits.ts) on the strategy's reference targets, and every
 * result identical for any partitioning. A spec without them is the spec it always was.
 */

type Range = { start: number; stop: number; step: number };
const one = (value: number): Range => ({ start: value, stop: value, step: 0 });
const range = (start: number, stop: number, step: number): Range => ({ start, stop, step });

function validate(params: Record<string, Range>, extra: Record<string, unknown> = {}): BacktestSpec {
  return backtestKind.validate(
    { symbols: ['AAA'], dataset: { bars: 600, seed: 5 }, strategy: 'sma-crossover', params: { fast: range(5, 10, 5), slow: range(20, 30, 10), ...params }, feeBps: 5, slippageBps: 2, topN: 50, ...extra },
    DEFAULT_SPEC_LIMITS,
  );
}

describe('exit params: validation', () => {
  it('a spec without exits has none in its params (the sweep, rows and cache key of before)', () => {
    const spec = validate({});
    assert.deepEqual(Object.keys(spec.params), ['fast', 'slow', 'short']);
    assert.deepEqual(backtestKind.validate(backtestKind.toWire!(spec), DEFAULT_SPEC_LIMITS), spec);
  });

  it('exits given are swept after the strategy’s own and short, in a fixed order; an ATR exit brings its period', () => {
    const spec = validate({ time_stop: range(0, 20, 10), stop_loss_atr: range(1, 2, 1) });
    assert.deepEqual(Object.keys(spec.params), ['fast', 'slow', 'short', 'stop_loss_atr', 'time_stop', 'atr_period']);
    assert.deepEqual(spec.params.atr_period, { start: 14, stop: 14, step: 1 });
    assert.equal(spec.combinations, 4 * 2 * 3);
    assert.deepEqual(backtestKind.validate(backtestKind.toWire!(spec), DEFAULT_SPEC_LIMITS), spec, 'the wire form validates to the same spec');
  });

  it('refuses bad exits naming the field', () => {
    assert.equal(fieldOf(() => validate({ stop_loss: one(0.02), stop_loss_atr: one(2) })), 'backtest.params.stop_loss_atr');
    assert.equal(fieldOf(() => validate({ trailing_stop: one(0.02), trailing_stop_atr: one(2) })), 'backtest.params.trailing_stop_atr');
    assert.equal(fieldOf(() => validate({ atr_period: one(10) })), 'backtest.params.atr_period');
    assert.equal(fieldOf(() => validate({ take_profit_atr: one(1), atr_period: one(601) })), 'backtest.params.atr_period', 'longer than the series');
    assert.equal(fieldOf(() => validate({ stop_loss: one(1) })), 'backtest.params.stop_loss');
    assert.equal(fieldOf(() => validate({ stop_loss: one(-0.01) })), 'backtest.params.stop_loss');
    assert.equal(fieldOf(() => validate({ time_stop: one(2.5) })), 'backtest.params.time_stop');
    assert.equal(fieldOf(() => validate({ take_profit: range(0.01, 0.05, 0) })), 'backtest.params.take_profit');
  });

  it('the SDK reserves every exit name for the engine', () => {
    for (const { name } of EXIT_PARAMS) {
      assert.throws(
        () => defineStrategy({ name: 'x', params: { [name]: { min: 1, max: 2, default: 1 } }, indicators: () => ({}), rule: () => 0 } as never),
        (error: unknown) => error instanceof StrategyDefinitionError && error.field === `params.${name}`,
        name,
      );
    }
  });
});

describe('exit params: runs', () => {
  const P = periodsPerYear('1h', 365);

  /** Every row of a full table against the reference on the strategy's reference targets. */
  function assertRowsMatchReference(spec: BacktestSpec, rows: readonly BacktestTableRow[]): number {
    let exited = 0;
    for (const row of rows) {
      const series = loadSeries(spec.dataset, row.symbol, spec.timeframe);
      const p = row.params;
      const targets = referenceTargets(referenceRule(spec.strategy, series, p, p.short === 1), series.close.length);
      const options = optionsOf({
        stopLoss: p.stop_loss ?? 0,
        stopLossAtr: p.stop_loss_atr ?? 0,
        takeProfit: p.take_profit ?? 0,
        takeProfitAtr: p.take_profit_atr ?? 0,
        trailingStop: p.trailing_stop ?? 0,
        trailingStopAtr: p.trailing_stop_atr ?? 0,
        timeStop: p.time_stop ?? 0,
        atrPeriod: p.atr_period ?? 14,
      });
      const ref = referenceWithExits(series, targets, options, spec.feeBps, spec.slippageBps);
      if (ref.exits.length > 0) exited++;
      const { symbol: _symbol, params: _params, meetsConstraints: _meets, ...metrics } = row;
      assertExtended(metrics, curveMetrics(ref.equity, ref.trades, ref.closed, ref.inMarket, P, 0), JSON.stringify(p));
    }
    return exited;
  }

  it('every row of a sweep over stops, targets, trails and time stops equals the bar-by-bar reference', () => {
    const specs = [
      validate({ short: range(0, 1, 1), stop_loss: range(0, 0.04, 0.02), take_profit_atr: range(0, 6, 3), time_stop: range(0, 40, 40) }, { fullTable: true }),
      validate({ short: range(0, 1, 1), trailing_stop_atr: range(1, 3, 2), take_profit: range(0, 0.05, 0.05), atr_period: range(5, 20, 15) }, { fullTable: true }),
      validate({ short: range(0, 1, 1), trailing_stop: range(0.01, 0.03, 0.02), stop_loss_atr: one(2) }, { fullTable: true }),
    ];
    for (const spec of specs) {
      const { result } = runPartitioned(backtestKind, spec, 3);
      const table = result.table as BacktestTableRow[];
      assert.equal(table.length, spec.combinations);
      const exited = assertRowsMatchReference(spec, table);
      assert.ok(exited > spec.combinations / 3, `exits fired in ${exited} of ${spec.combinations} rows`);
    }
  });

  it('rows with every exit at 0 equal the rows of the same job without exits', () => {
    const without = runPartitioned(backtestKind, validate({ short: range(0, 1, 1) }, { fullTable: true }), 2).result.table as BacktestTableRow[];
    const withZero = runPartitioned(backtestKind, validate({ short: range(0, 1, 1), stop_loss: range(0, 0.02, 0.02) }, { fullTable: true }), 2).result.table as BacktestTableRow[];
    const zeros = withZero.filter((row) => row.params.stop_loss === 0).map(({ params: { stop_loss: _zero, ...params }, ...row }) => ({ ...row, params }));
    assert.deepEqual(zeros, without);
    assert.notDeepEqual(withZero.filter((row) => row.params.stop_loss > 0).map(({ params: _p, ...row }) => row), without.map(({ params: _p, ...row }) => row), 'the stop changes the rows');
  });

  it('grid, random search and walk-forward over exits: any partitioning gives the one-partition result', () => {
    const exits = { stop_loss: range(0, 0.03, 0.01), trailing_stop_atr: range(0, 4, 2), time_stop: range(0, 30, 15) };
    const variants: Array<Record<string, unknown>> = [
      { symbols: ['AAA', 'BBB'], equityCurves: 3 },
      { symbols: ['AAA', 'BBB'], search: { method: 'random', samples: 40, seed: 3 } },
      { walkForward: { inSampleBars: 200, outOfSampleBars: 100, anchored: false } },
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: variants.length - 1 }), fc.integer({ min: 1, max: 25 }), (variant, target) => {
        const spec = validate({ short: range(0, 1, 1), ...exits }, variants[variant]);
        const single = runPartitioned(backtestKind, spec, 1);
        const split = runPartitioned(backtestKind, spec, target);
        const units = spec.symbols.length * spec.combinations * (spec.walkForward?.windows ?? 1);
        assertCoversEveryUnitOnce(split.plan, units, target);
        assert.deepEqual(split.result, single.result);
      }),
      { numRuns: 12 },
    );
  });
});
