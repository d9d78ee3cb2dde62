import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadSeries } from '../../../shared/quant/dataset.js';
import { periodsPerYear } from '../../../shared/quant/timeframes.js';
import { backtestKind, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { compareParams, compareScores } from '../../../shared/tasks/backtest/ranking.js';
import { RandomSample } from '../../../shared/tasks/backtest/random-sample.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { assertExtended, curveMetrics, near, referenceBacktest, referenceRule, referenceTargets, referenceWindow } from '../../helpers/reference-backtest.js';
import { assertCoversEveryUnitOnce, fieldOf, runPartitioned } from '../../helpers/task-kinds.js';

const LIMITS = DEFAULT_SPEC_LIMITS;

function validate(overrides: Record<string, unknown>): BacktestSpec {
  return backtestKind.validate(
    {
      symbols: ['AAA'],
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: 600, seed: 5 },
      strategy: 'sma-crossover',
      params: { fast: { start: 2, stop: 12, step: 2 }, slow: { start: 10, stop: 40, step: 6 } },
      feeBps: 5,
      slippageBps: 2,
      topN: 5,
      ...overrides,
    },
    LIMITS,
  );
}

describe('random sample permutation', () => {
  it('gives distinct in-range combinations, the same for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 0xffffffff }), (space, seed) => {
        const sample = new RandomSample(space, seed);
        const again = new RandomSample(space, seed);
        const seen = new Set<number>();
        for (let k = 0; k < Math.min(space, 600); k++) {
          const c = sample.at(k);
          assert.ok(Number.isInteger(c) && c >= 0 && c < space, `${c} in [0, ${space})`);
          assert.ok(!seen.has(c), `sample ${k} repeats ${c}`);
          seen.add(c);
          assert.equal(again.at(k), c);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('is a permutation of the whole space, and another seed gives another order', () => {
    for (const space of [1, 2, 3, 17, 1000, 4097]) {
      const a = Array.from({ length: space }, (_, k) => new RandomSample(space, 1).at(k));
      assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: space }, (_, i) => i));
      if (space >= 17) assert.notDeepEqual(a, Array.from({ length: space }, (_, k) => new RandomSample(space, 2).at(k)));
    }
    // Spaces up to 2^53: indices stay exact.
    const huge = new RandomSample(Number.MAX_SAFE_INTEGER, 9);
    const values = new Set(Array.from({ length: 1000 }, (_, k) => huge.at(k)));
    assert.equal(values.size, 1000);
    for (const v of values) assert.ok(Number.isSafeInteger(v) && v >= 0);
  });
});

describe('backtest random search', () => {
  it('evaluates `samples` distinct combinations of the grid', () => {
    const spec = validate({ search: { method: 'random', samples: 13, seed: 7 }, fullTable: true, topN: 100 });
    assert.equal(spec.combinations, 13);
    const { result } = runPartitioned(backtestKind, spec, 4);
    const table = result.table ?? [];
    assert.equal(table.length, 13);
    const keys = new Set(table.map((row) => JSON.stringify(row.params)));
    assert.equal(keys.size, 13);
    const grid = validate({ fullTable: true, topN: 100 });
    const all = new Set((runPartitioned(backtestKind, grid, 1).result.table ?? []).map((row) => JSON.stringify(row.params)));
    for (const key of keys) assert.ok(all.has(key), `${key} is a grid combination`);
    // Another seed, another sample.
    const other = runPartitioned(backtestKind, validate({ search: { method: 'random', samples: 13, seed: 8 }, fullTable: true }), 1).result.table ?? [];
    assert.notDeepEqual(other.map((row) => row.params), table.map((row) => row.params));
  });

  it('sampling the whole grid ranks exactly as the grid search', () => {
    const grid = validate({ symbols: ['AAA', 'BBB'] });
    const sampled = validate({ symbols: ['AAA', 'BBB'], search: { method: 'random', samples: grid.combinations, seed: 3 } });
    const a = runPartitioned(backtestKind, grid, 3).result;
    const b = runPartitioned(backtestKind, sampled, 5).result;
    assert.deepEqual(b.top, a.top);
    assert.deepEqual(b.perSymbol, a.perSymbol);
    assert.deepEqual(b.equityCurves, a.equityCurves);
    assert.equal(b.aggregate?.status, 'computed');
    assert.deepEqual(b.aggregate, a.aggregate);
    assert.deepEqual(b.heatmap, a.heatmap);
  });

  it('any partitioning gives the one-partition result', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 34 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 30 }), (samples, seed, target) => {
        const spec = validate({ symbols: ['AAA', 'BBB'], search: { method: 'random', samples, seed } });
        const single = runPartitioned(backtestKind, spec, 1);
        const split = runPartitioned(backtestKind, spec, target);
        assertCoversEveryUnitOnce(split.plan, 2 * samples, target);
        assert.deepEqual(split.result, single.result);
      }),
      { numRuns: 15 },
    );
  });

  it('samples spaces far beyond the unit limit', () => {
    const spec = backtestKind.validate(
      {
        symbols: ['AAA'],
        dataset: { name: 'synthetic', bars: 300, seed: 1 },
        strategy: 'rsi-reversion',
        params: { period: { start: 2, stop: 200, step: 1 }, entry: { start: 5, stop: 45, step: 0.01 }, exit: { start: 50, stop: 95, step: 0.01 } },
        search: { method: 'random', samples: 20, seed: 1 },
      },
      { maxUnits: 1000, maxBars: 10_000 },
    );
    assert.equal(spec.combinations, 20);
    assert.equal(runPartitioned(backtestKind, spec, 2).result.evaluated, 20);
  });

  it('rejects bad search settings, naming the field', () => {
    assert.equal(fieldOf(() => validate({ search: { method: 'annealing' } })), 'backtest.search.method');
    assert.equal(fieldOf(() => validate({ search: { method: 'random', samples: 0 } })), 'backtest.search.samples');
    assert.equal(fieldOf(() => validate({ search: { method: 'random', samples: 2.5 } })), 'backtest.search.samples');
    assert.equal(fieldOf(() => validate({ search: { method: 'random', samples: 10_000 } })), 'backtest.search.samples');
    assert.equal(fieldOf(() => validate({ search: { method: 'grid', samples: 3 } })), 'backtest.search.samples');
    assert.equal(fieldOf(() => validate({ search: { method: 'random', samples: 3, seed: -1 } })), 'backtest.search.seed');
    assert.equal(
      fieldOf(() => backtestKind.validate({ symbols: ['A'], search: { method: 'random', samples: 200 }, params: { fast: { start: 1, stop: 10, step: 1 } } }, { maxUnits: 100, maxBars: 10_000 })),
      'backtest.search.samples',
    );
  });
});

// ---------------------------------------------------------------- walk-forward

const WF = { inSampleBars: 200, outOfSampleBars: 90, anchored: false };

/** Every combination of the test grid, in sweep order. */
function gridCombinations(): Array<Record<string, number>> {
  const out: Array<Record<string, number>> = [];
  for (let fast = 2; fast <= 12; fast += 2) for (let slow = 10; slow <= 40; slow += 6) if (fast < slow) out.push({ fast, slow, short: 0 });
  return out;
}

describe('backtest walk-forward', () => {
  it('plans windows over the data and rejects a window longer than the data', () => {
    const spec = validate({ walkForward: WF });
    assert.deepEqual(spec.walkForward, { ...WF, windows: 4 }); // ⌊(600 − 200) / 90⌋
    assert.equal(backtestKind.measure(spec).units, spec.combinations * 4);
    // A walk_forward message given is a walk-forward; {0, 0} does not silently mean none (leave it unset for none).
    assert.equal(validate({ walkForward: null }).walkForward, null);
    assert.equal(fieldOf(() => validate({ walkForward: { inSampleBars: 0, outOfSampleBars: 0, anchored: false } })), 'backtest.walk_forward.in_sample_bars');
    assert.equal(fieldOf(() => validate({ walkForward: { inSampleBars: 500, outOfSampleBars: 101 } })), 'backtest.walk_forward.in_sample_bars');
    assert.equal(fieldOf(() => validate({ walkForward: { inSampleBars: 100, outOfSampleBars: 1 } })), 'backtest.walk_forward.out_of_sample_bars');
    assert.equal(fieldOf(() => validate({ walkForward: { inSampleBars: 1.5, outOfSampleBars: 10 } })), 'backtest.walk_forward.in_sample_bars');
    assert.equal(fieldOf(() => validate({ walkForward: WF, fullTable: true })), 'backtest.full_table');
    assert.equal(
      fieldOf(() => backtestKind.validate({ symbols: ['A'], walkForward: WF, dataset: { bars: 600 }, params: { fast: { start: 1, stop: 10, step: 1 }, slow: { start: 11, stop: 12, step: 1 } } }, { maxUnits: 50, maxBars: 10_000 })),
      'backtest.params',
    );
  });

  for (const variant of [
    { name: 'rolling, ranked by Sharpe', spec: {} },
    { name: 'anchored, by total return, with a constraint some windows fail', spec: { walkForward: { ...WF, anchored: true }, objective: 'total_return', constraints: [{ metric: 'trades', op: '>=', value: 20 }] } },
  ]) {
    it(`${variant.name}: picks each window's in-sample best and stitches its out-of-sample trading, as a bar-by-bar reference does`, () => {
      const spec = validate({ walkForward: WF, symbols: ['AAA', 'BBB'], ...variant.spec });
      const wf = spec.walkForward!;
      const result = runPartitioned(backtestKind, spec, 7).result;
      assert.deepEqual(result.top, []);
      const got = result.walkForward!;
      assert.equal(got.windows, 4);
      assert.equal(got.from, 200);
      assert.equal(got.to, 560);
      const P = periodsPerYear('1h');
      const key = spec.objective === 'sharpe' ? 'sharpe' : 'totalReturn';
      const minTrades = spec.constraints.length > 0 ? 20 : 0;
      let emptyWindows = 0;
      spec.symbols.forEach((symbol, si) => {
        const s = loadSeries(spec.dataset, symbol, '1h');
        const targetsOf = new Map(gridCombinations().map((p) => [JSON.stringify(p), referenceTargets(referenceRule('sma-crossover', s, p, false), 600)]));
        const stitched: number[] = [];
        let scale = 1;
        let trades = 0;
        let inMarket = 0;
        const closed: number[][] = [];
        for (let w = 0; w < wf.windows; w++) {
          const isFrom = wf.anchored ? 0 : w * wf.outOfSampleBars;
          const oosFrom = wf.inSampleBars + w * wf.outOfSampleBars;
          // In sample: every combination, the best by the objective (null last), then parameters ascending.
          let best: { p: Record<string, number>; score: number | null; metrics: ReturnType<typeof referenceBacktest>['metrics'] } | null = null;
          for (const p of gridCombinations()) {
            const window = referenceWindow(s, targetsOf.get(JSON.stringify(p))!, isFrom, oosFrom, false);
            const ref = referenceBacktest(window.series, window.decide, spec.feeBps, spec.slippageBps, P, 0);
            if (ref.metrics.trades < minTrades) continue;
            const score = ref.metrics[key];
            if (best === null || compareScores(score, best.score) < 0 || (compareScores(score, best.score) === 0 && compareParams(p, best.p, ['fast', 'slow', 'short']) < 0)) {
              best = { p, score, metrics: ref.metrics };
            }
          }
          const window = got.symbols[si].windows[w];
          assert.equal(window.inSample.from, isFrom);
          assert.equal(window.outOfSample.from, oosFrom);
          assert.equal(window.evaluated, spec.combinations);
          if (best === null) {
            emptyWindows++;
            assert.equal(window.params, null);
            for (let t = 0; t < wf.outOfSampleBars; t++) stitched.push(scale);
            continue;
          }
          assert.deepEqual(window.params, best.p, `${symbol} window ${w}`);
          assertExtended(window.inSampleMetrics!, best.metrics, `${symbol} window ${w} in sample`);
          // Out of sample: the chosen combination, flat at the window's end, chained onto the account.
          const oos = referenceWindow(s, targetsOf.get(JSON.stringify(best.p))!, oosFrom, oosFrom + wf.outOfSampleBars, true);
          const ref = referenceBacktest(oos.series, oos.decide, spec.feeBps, spec.slippageBps, P, 0);
          assertExtended(window.outOfSampleMetrics, ref.metrics, `${symbol} window ${w} out of sample`);
          for (const e of ref.equity) stitched.push(scale * e);
          trades += ref.trades;
          inMarket += ref.inMarket;
          for (const [before, after] of ref.closed) closed.push([scale * before, scale * after]);
          scale *= ref.equity[ref.equity.length - 1];
        }
        const own = got.symbols[si];
        assertExtended(own.outOfSample, curveMetrics(stitched, trades, closed, inMarket, P, 0), `${symbol} stitched`);
        assert.equal(own.equity.bar[0], 200);
        assert.equal(own.equity.bar.at(-1), 559);
        own.equity.bar.forEach((bar, i) => near(own.equity.equity[i], stitched[bar - 200], `${symbol} stitched mark ${bar}`));
      });
      if (spec.constraints.length > 0) assert.ok(emptyWindows > 0 && emptyWindows < 8, `${emptyWindows} windows without a combination meeting the constraint`);
      assert.ok(got.aggregate);
    });
  }

  it('any partitioning (by symbols, combinations or windows) gives the one-partition result', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        fc.integer({ min: 30, max: 200 }),
        fc.integer({ min: 20, max: 120 }),
        fc.boolean(),
        (target, anchored, inSampleBars, outOfSampleBars, random) => {
          const spec = validate({
            symbols: ['AAA', 'BBB'],
            walkForward: { inSampleBars, outOfSampleBars, anchored },
            equityPoints: 50,
            ...(random ? { search: { method: 'random', samples: 9, seed: target } } : {}),
          });
          const units = backtestKind.measure(spec).units;
          const single = runPartitioned(backtestKind, spec, 1);
          const split = runPartitioned(backtestKind, spec, target);
          assertCoversEveryUnitOnce(split.plan, units, target);
          assert.deepEqual(split.result, single.result);
          assert.equal(single.result.walkForward?.symbols[0].equity.equity.length, Math.min(50, spec.walkForward!.windows * outOfSampleBars));
        },
      ),
      { numRuns: 20 },
    );
  });
});
