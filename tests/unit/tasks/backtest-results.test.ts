import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { backtestSmaCrossover } from '../../../shared/quant/strategies/sma-crossover.js';
import { periodsPerYear } from '../../../shared/quant/timeframes.js';
import { backtestKind, type BacktestSpec, type BacktestTableRow } from '../../../shared/tasks/backtest/index.js';
import { METRIC_KEYS, METRIC_NAMES, OBJECTIVES, type Constraint, type MetricName } from '../../../shared/tasks/backtest/objective.js';
import { AGGREGATE_MAX_COMBINATIONS, aggregateSkipReason } from '../../../shared/tasks/backtest/spec.js';
import { QUIET_RUN_CONTEXT } from '../../../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { assertCoversEveryUnitOnce, runPartitioned } from '../../helpers/task-kinds.js';

/**
 * The result sections of issue #3: objective, constraints, per-symbol rankings, the aggregate over
 * symbols, the heatmap and the full table — each identical for any partitioning, and each equal to
 * a brute-force reference built from every unit evaluated on its own.
 */

const OPS = ['<', '<=', '>', '>='] as const;

const specArbitrary = fc.record({
  symbols: fc.uniqueArray(fc.constantFrom('AAA', 'BBB', 'CCC', 'btc-usd'), { minLength: 1, maxLength: 3 }),
  bars: fc.integer({ min: 100, max: 200 }),
  seed: fc.integer({ min: 1, max: 1000 }),
  fastStart: fc.integer({ min: 1, max: 10 }),
  fastLen: fc.integer({ min: 0, max: 10 }),
  fastStep: fc.integer({ min: 1, max: 4 }),
  slowStart: fc.integer({ min: 12, max: 30 }),
  slowLen: fc.integer({ min: 0, max: 30 }),
  slowStep: fc.integer({ min: 1, max: 6 }),
  short: fc.boolean(),
  feeBps: fc.constantFrom(0, 5, 30),
  topN: fc.integer({ min: 1, max: 12 }),
  objective: fc.constantFrom(...OBJECTIVES),
  constraints: fc.array(
    fc.record({
      metric: fc.constantFrom<MetricName>('max_drawdown', 'trades', 'sharpe', 'total_return', 'win_rate', 'profit_factor', 'exposure'),
      op: fc.constantFrom(...OPS),
      // Thresholds near typical values, so that constraints both keep and drop rows.
      value: fc.constantFrom(0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, -0.1),
    }),
    { maxLength: 3 },
  ),
  fullTable: fc.boolean(),
});
type SpecInput = typeof specArbitrary extends fc.Arbitrary<infer T> ? T : never;

function toSpec(r: SpecInput): BacktestSpec {
  return backtestKind.validate(
    {
      symbols: r.symbols,
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: r.bars, seed: r.seed },
      strategy: '',
      params: {
        fast: { start: r.fastStart, stop: r.fastStart + r.fastLen, step: r.fastStep },
        slow: { start: r.slowStart, stop: r.slowStart + r.slowLen, step: r.slowStep },
        short: { start: 0, stop: r.short ? 1 : 0, step: 1 },
      },
      feeBps: r.feeBps,
      slippageBps: 0,
      topN: r.topN,
      objective: r.objective,
      constraints: r.constraints,
      fullTable: r.fullTable,
    },
    DEFAULT_SPEC_LIMITS,
  );
}

// ---- the brute-force reference ------------------------------------------------------------------

function meets(row: BacktestTableRow, constraints: readonly Constraint[]): boolean {
  return constraints.every(({ metric, op, value }) => {
    const x = row[METRIC_KEYS[metric]];
    if (x === null) return false;
    return op === '<' ? x < value : op === '<=' ? x <= value : op === '>' ? x > value : x >= value;
  });
}

/** Every unit on its own (a one-unit partition each), in unit order. */
function everyUnit(spec: BacktestSpec): BacktestTableRow[] {
  const solo = { ...spec, fullTable: true, constraints: [], symbols: spec.symbols };
  const rows: BacktestTableRow[] = [];
  for (let unit = 0; unit < spec.symbols.length * spec.combinations; unit++) {
    rows.push(backtestKind.run(solo, { first: unit, count: 1 }, QUIET_RUN_CONTEXT).table![0]);
  }
  return rows;
}

const score = (v: number | null): number => (v === null ? -Infinity : v);

function referenceRanking(rows: BacktestTableRow[], spec: BacktestSpec): BacktestTableRow[] {
  const key = METRIC_KEYS[spec.objective];
  return rows
    .filter((row) => meets(row, spec.constraints))
    .sort(
      (a, b) =>
        score(b[key]) - score(a[key]) ||
        (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
        a.params.fast - b.params.fast ||
        a.params.slow - b.params.slow ||
        a.params.short - b.params.short,
    )
    .slice(0, spec.topN);
}

const brief = (rows: ReadonlyArray<{ symbol: string; params: Record<string, number> }>) => rows.map((r) => `${r.symbol}/${r.params.fast}/${r.params.slow}/${r.params.short}`);

describe('backtest results: objective, constraints, per symbol, aggregate, heatmap, full table', () => {
  it('every result section is identical for any partitioning', () => {
    fc.assert(
      fc.property(specArbitrary, fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 3 }), (r, picks) => {
        const spec = toSpec(r);
        const units = backtestKind.measure(spec).units;
        const single = runPartitioned(backtestKind, spec, 1).result;
        for (const pick of picks) {
          const target = 1 + (pick % units);
          const split = runPartitioned(backtestKind, spec, target);
          assertCoversEveryUnitOnce(split.plan, units, target);
          assert.deepEqual(split.result, single);
        }
        // Every unit in its own partition.
        assert.deepEqual(runPartitioned(backtestKind, spec, units).result, single);
        assert.equal(single.evaluated, units);
        assert.equal(single.perSymbol !== undefined, spec.symbols.length > 1);
        assert.equal(single.aggregate !== undefined, spec.symbols.length > 1);
        assert.equal(single.table !== undefined, spec.fullTable);
      }),
      { numRuns: 60 },
    );
  });

  it('constraints, objective ranking, per-symbol tops, aggregate, heatmap and table match a brute-force reference', () => {
    fc.assert(
      fc.property(specArbitrary, fc.integer({ min: 1, max: 50 }), (r, partitions) => {
        const spec = toSpec(r);
        const all = everyUnit(spec);
        const { result } = runPartitioned(backtestKind, spec, partitions);
        const key = METRIC_KEYS[spec.objective];

        // Independent check of the kernel's Sharpe and return for long-only rows.
        const symbol0 = spec.symbols[0];
        const series = generateSyntheticSeries({ seed: spec.dataset.seed, symbol: symbol0, timeframe: spec.timeframe, bars: spec.dataset.bars });
        const row0 = all.find((row) => row.params.short === 0)!;
        const m = backtestSmaCrossover(series, { fast: row0.params.fast, slow: row0.params.slow }, spec, periodsPerYear(spec.timeframe));
        assert.equal(row0.sharpe, m.sharpe);
        assert.equal(row0.totalReturn, m.totalReturn);

        assert.equal(result.excludedByConstraints, all.filter((row) => !meets(row, spec.constraints)).length);
        assert.deepEqual(brief(result.top), brief(referenceRanking(all, spec)));
        assert.deepEqual(result.top.map((row) => row[key]), referenceRanking(all, spec).map((row) => row[key]));
        for (const row of result.top) assert.ok(meets({ ...row, meetsConstraints: true }, spec.constraints));

        if (spec.symbols.length > 1) {
          assert.deepEqual(Object.keys(result.perSymbol!), spec.symbols);
          for (const symbol of spec.symbols) {
            assert.deepEqual(brief(result.perSymbol![symbol]), brief(referenceRanking(all.filter((row) => row.symbol === symbol), spec)));
            assert.deepEqual(result.perSymbol![symbol].map((row) => row.rank), result.perSymbol![symbol].map((_, i) => i + 1));
          }
          // Aggregate: per combination, the mean over symbols (in symbol order), unless a symbol missed a constraint.
          const C = spec.combinations;
          const combos: { c: number; params: Record<string, number>; mean: number | null; values: Record<string, number | null> }[] = [];
          let excluded = 0;
          for (let c = 0; c < C; c++) {
            const rows = spec.symbols.map((_, s) => all[s * C + c]);
            if (!rows.every((row) => meets(row, spec.constraints))) {
              excluded++;
              continue;
            }
            const values = Object.fromEntries(rows.map((row) => [row.symbol, row[key]]));
            let sum = 0;
            for (const row of rows) sum += row[key] ?? NaN;
            combos.push({ c, params: rows[0].params, mean: Number.isNaN(sum) ? null : sum / rows.length, values });
          }
          combos.sort((a, b) => score(b.mean) - score(a.mean) || a.c - b.c);
          const aggregate = result.aggregate!;
          assert.equal(aggregate.status, 'computed');
          if (aggregate.status !== 'computed') return;
          assert.equal(aggregate.excludedByConstraints, excluded);
          assert.deepEqual(
            aggregate.top,
            combos.slice(0, spec.topN).map((combo, i) => ({ rank: i + 1, params: combo.params, mean: combo.mean, values: combo.values })),
          );
        }

        // Heatmap: exactly two swept parameters with more than one value, and an exact source.
        const exactSource = spec.symbols.length > 1 || spec.fullTable;
        const axes: Record<string, number[]> = {};
        for (const name of ['fast', 'slow', 'short']) {
          const range = spec.params[name];
          const values: number[] = [];
          for (let v = range.start; v <= range.stop; v += range.step) values.push(v);
          if (values.length > 1) axes[name] = values;
        }
        const [x, y] = Object.keys(axes);
        if (Object.keys(axes).length !== 2 || !exactSource) {
          assert.equal(result.heatmap, undefined);
        } else {
          const heatmap = result.heatmap!;
          assert.ok(heatmap);
          assert.equal(heatmap.x, x);
          assert.equal(heatmap.y, y);
          assert.equal(heatmap.source, spec.symbols.length > 1 ? 'aggregate' : 'symbol');
          assert.deepEqual(heatmap.xs, axes[x]);
          assert.deepEqual(heatmap.ys, axes[y]);
          const C = spec.combinations;
          const expected = axes[y].map((yv) =>
            axes[x].map((xv) => {
              const c = all.findIndex((row) => row.params[x] === xv && row.params[y] === yv);
              if (c < 0) return null;
              assert.ok(c < C);
              const rows = spec.symbols.map((_, s) => all[s * C + c]);
              if (!rows.every((row) => meets(row, spec.constraints))) return null;
              let sum = 0;
              for (const row of rows) sum += row[key] ?? NaN;
              return Number.isNaN(sum) ? null : sum / rows.length;
            }),
          );
          assert.deepEqual(heatmap.values, expected);
        }

        if (spec.fullTable) {
          assert.deepEqual(
            result.table,
            all.map((row) => ({ ...row, meetsConstraints: meets(row, spec.constraints) })),
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('ranks by each objective, higher first, and constraints exclude rows with an undefined metric', () => {
    const base = {
      symbols: ['AAA', 'BBB'],
      dataset: { name: 'synthetic', bars: 300, seed: 11 },
      params: { fast: { start: 2, stop: 20, step: 3 }, slow: { start: 25, stop: 60, step: 5 } },
      topN: 50,
    };
    for (const objective of OBJECTIVES) {
      const spec = backtestKind.validate({ ...base, objective }, DEFAULT_SPEC_LIMITS);
      const { result } = runPartitioned(backtestKind, spec, 4);
      const key = METRIC_KEYS[objective];
      for (let i = 1; i < result.top.length; i++) assert.ok(score(result.top[i - 1][key]) >= score(result.top[i][key]), objective);
      assert.equal(result.objective, objective);
    }
    // profit_factor is null without a losing closed trade: such rows meet no profit_factor constraint.
    const spec = backtestKind.validate({ ...base, constraints: [{ metric: 'profit_factor', op: '>=', value: 0 }] }, DEFAULT_SPEC_LIMITS);
    const { result } = runPartitioned(backtestKind, spec, 3);
    assert.ok(result.top.every((row) => row.profitFactor !== null));
    const all = everyUnit(spec);
    assert.equal(result.excludedByConstraints, all.filter((row) => row.profitFactor === null).length);
  });

  it('skips the aggregate beyond its cap and says why', () => {
    assert.equal(aggregateSkipReason({ symbols: ['A'], combinations: 10 }), 'one symbol');
    assert.equal(aggregateSkipReason({ symbols: ['A', 'B'], combinations: 10 }), null);
    assert.match(aggregateSkipReason({ symbols: ['A', 'B'], combinations: AGGREGATE_MAX_COMBINATIONS + 1 })!, /exceed the aggregate's cap/);
    const spec = backtestKind.validate(
      {
        symbols: ['AAA', 'BBB'],
        dataset: { name: 'synthetic', bars: 400, seed: 1 },
        // 200 × 101 = 20200 combinations.
        params: { fast: { start: 1, stop: 200, step: 1 }, slow: { start: 300, stop: 400, step: 1 } },
      },
      DEFAULT_SPEC_LIMITS,
    );
    assert.ok(spec.combinations > AGGREGATE_MAX_COMBINATIONS);
    // No scores travel: the partials of a skipped aggregate carry none.
    const partial = backtestKind.run(spec, { first: 0, count: 3 }, QUIET_RUN_CONTEXT);
    assert.equal(partial.scores, undefined);
    const result = backtestKind.merge(spec, [partial]);
    assert.deepEqual(result.aggregate, { status: 'skipped', reason: `${spec.combinations} combinations exceed the aggregate's cap of ${AGGREGATE_MAX_COMBINATIONS}` });
    assert.equal(result.heatmap, undefined);
  });

  it('a one-symbol sweep has a heatmap only with the full table, and no per-symbol or aggregate sections', () => {
    const raw = {
      symbols: ['AAA'],
      dataset: { name: 'synthetic', bars: 200, seed: 5 },
      params: { fast: { start: 5, stop: 15, step: 5 }, slow: { start: 10, stop: 30, step: 10 } },
    };
    const without = runPartitioned(backtestKind, backtestKind.validate(raw, DEFAULT_SPEC_LIMITS), 2).result;
    assert.deepEqual(Object.keys(without), ['kind', 'strategy', 'timeframe', 'bars', 'yearDays', 'evaluated', 'objective', 'constraints', 'excludedByConstraints', 'top', 'equityCurves']);
    const spec = backtestKind.validate({ ...raw, fullTable: true }, DEFAULT_SPEC_LIMITS);
    const { result } = runPartitioned(backtestKind, spec, 2);
    assert.equal(result.table!.length, 7);
    const heatmap = result.heatmap!;
    assert.deepEqual([heatmap.source, heatmap.symbol, heatmap.x, heatmap.y], ['symbol', 'AAA', 'fast', 'slow']);
    assert.deepEqual(heatmap.xs, [5, 10, 15]);
    assert.deepEqual(heatmap.ys, [10, 20, 30]);
    // fast < slow: (10, 10), (15, 10) do not exist.
    assert.equal(heatmap.values[0][1], null);
    assert.equal(heatmap.values[0][2], null);
    const cell = result.table!.find((row) => row.params.fast === 5 && row.params.slow === 20)!;
    assert.equal(heatmap.values[1][0], cell.sharpe);
  });

  it('metric names cover every metric a row carries', () => {
    assert.equal(METRIC_NAMES.length, 13);
  });
});
