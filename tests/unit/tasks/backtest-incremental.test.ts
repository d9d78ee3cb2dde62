import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clearInstalledDatasets, installDataset } from '../../../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../../../shared/quant/dataset-codec.js';
import { STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { CHECKPOINT_BYTES, checkpointsFor } from '../../../shared/tasks/backtest/checkpoint.js';
import { backtestKind, type BacktestPartial, type BacktestPartition, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { firstNewWindow, reusedWindows } from '../../../shared/tasks/backtest/walk-forward-reuse.js';
import { QUIET_RUN_CONTEXT } from '../../../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { inWholeCents } from '../../helpers/whole-cents.js';

/**
 * The nightly case through the backtest kind: a stored dataset of N bars, then a version with K
 * bars appended (its first N bars the same). The re-run continues every unit from the checkpoints
 * the first job's partials left (whatever the two partitionings) and must equal a full run on the
 * new version: the same merged result and the same checkpoints for the night after.
 */

const TOTAL = 700;
const SYMBOL = 'NIGHTLY';
const whole = generateSyntheticSeries({ seed: 11, symbol: SYMBOL, timeframe: '1h', bars: TOTAL });
const cents = inWholeCents(whole);

/** Installs the first `bars` bars of `source` as a stored dataset; returns its dataset field. */
function version(bars: number, source = whole): { name: `sha256:${string}`; bars: number } {
  const cut = (x: Float64Array) => Array.from(x.subarray(0, bars));
  const bytes = encodeDataset({ symbol: SYMBOL, timeframe: '1h', time: cut(source.time), open: cut(source.open), high: cut(source.high), low: cut(source.low), close: cut(source.close), volume: cut(source.volume) });
  const id = (source === whole ? 'a' : 'c') + bars.toString(16).padStart(63, '0');
  installDataset(id, decodeDataset(bytes));
  return { name: `sha256:${id}`, bars };
}

function specOf(strategy: string, bars: number, extra: Record<string, unknown> = {}, source = whole, exits: Record<string, { start: number; stop: number; step: number }> = {}): BacktestSpec {
  const params: Record<string, { start: number; stop: number; step: number }> = {};
  for (const schema of STRATEGIES.get(strategy)!.params) params[schema.name] = { ...schema.defaultRange, stop: Math.min(schema.defaultRange.stop, 60) };
  params.short = { start: 0, stop: 1, step: 1 };
  Object.assign(params, exits);
  return backtestKind.validate({ symbols: [SYMBOL], timeframe: '1h', dataset: version(bars, source), strategy, params, feeBps: 7, slippageBps: 3, topN: 5, fullTable: true, equityCurves: 2, ...extra }, DEFAULT_SPEC_LIMITS);
}

/** Exit rules swept with the strategy (the checkpoints carry the open trade's levels and the flat-after-exit side). */
const EXITS = {
  stop_loss_atr: { start: 0, stop: 3, step: 1.5 },
  trailing_stop: { start: 0, stop: 0.02, step: 0.02 },
  time_stop: { start: 0, stop: 30, step: 30 },
};

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function runAll(spec: BacktestSpec, plan: BacktestPartition[]): BacktestPartial[] {
  return plan.map((partition) => wire(backtestKind.run(spec, wire(partition), QUIET_RUN_CONTEXT)));
}

/** A job on the first `before` bars, then the same job `appended` bars later continued from its checkpoints = a full run. */
function assertResumedEqualsFull(strategy: string, before: number, appended: number, firstParts: number, secondParts: number, source: typeof whole, exits: typeof EXITS | Record<string, never>): void {
  const after = Math.min(TOTAL, before + appended);
  const last = specOf(strategy, before, {}, source, exits);
  const lastPartials = runAll(last, backtestKind.plan(last, { partitions: firstParts }));
  const spec = specOf(strategy, after, {}, source, exits);
  const plan = backtestKind.plan(spec, { partitions: secondParts });
  const full = runAll(spec, plan);
  const resumed = runAll(
    spec,
    plan.map((partition) => ({ ...partition, resume: { checkpoints: checkpointsFor(lastPartials, partition.first, partition.count) } })),
  );
  assert.deepEqual(backtestKind.merge(spec, resumed), backtestKind.merge(spec, full));
  resumed.forEach((partial, i) => {
    assert.equal(partial.checkpoints, full[i].checkpoints, 'the same checkpoints for the next night');
    assert.equal(Buffer.from(partial.checkpoints!, 'base64').length, plan[i].count * CHECKPOINT_BYTES);
    assert.deepEqual(partial.incremental, { continued: plan[i].count, rejected: 0, simulatedBars: plan[i].count * (after - before) });
    assert.deepEqual(full[i].incremental, { continued: 0, rejected: 0, simulatedBars: plan[i].count * after });
  });
}

describe('incremental re-runs through the backtest kind', () => {
  for (const strategy of STRATEGY_NAMES) {
    it(`${strategy}: continuing from the first job's checkpoints equals a full run on the grown dataset (any partitionings)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 150, max: TOTAL - 1 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (before, appended, firstParts, secondParts, inCents) => {
          assertResumedEqualsFull(strategy, before, appended, firstParts, secondParts, inCents ? cents : whole, {});
        }),
        { numRuns: 8 },
      );
      clearInstalledDatasets();
    });
  }

  it('with exit rules swept: continuing from the first job’s checkpoints equals a full run (any partitionings)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 150, max: TOTAL - 1 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom('sma-crossover', 'rsi-reversion'), (before, appended, firstParts, secondParts, strategy) => {
        assertResumedEqualsFull(strategy, before, appended, firstParts, secondParts, whole, EXITS);
      }),
      { numRuns: 10 },
    );
    clearInstalledDatasets();
  });

  it('a checkpoint of another job, another dataset or another unit is rejected and the unit runs in full', () => {
    const last = specOf('sma-crossover', 400);
    const lastPartials = runAll(last, backtestKind.plan(last, { partitions: 3 }));
    const spec = specOf('sma-crossover', 450);
    const full = runAll(spec, [{ first: 0, count: spec.combinations }])[0];
    const run = (checkpoints: string) => wire(backtestKind.run(spec, { first: 0, count: spec.combinations, resume: { checkpoints } }, QUIET_RUN_CONTEXT));

    // Shifted by one unit: every record belongs to another combination.
    const shifted = run(checkpointsFor(lastPartials.map((p) => ({ ...p, first: p.first + 1 })), 0, spec.combinations));
    assert.deepEqual(shifted.incremental, { continued: 0, rejected: spec.combinations - 1, simulatedBars: spec.combinations * 450 });
    assert.deepEqual(shifted.rows, full.rows);
    // Other costs: the unit fingerprints differ.
    const dearer = specOf('sma-crossover', 400, { feeBps: 8 });
    const dearerPartials = runAll(dearer, backtestKind.plan(dearer, { partitions: 1 }));
    assert.equal(run(checkpointsFor(dearerPartials, 0, spec.combinations)).incremental!.rejected, spec.combinations);
    // A dataset that is not an extension of the first: bar 399 differs.
    const edited = { ...whole, close: Float64Array.from(whole.close) };
    edited.close[399] *= 1.001;
    const cut = (x: Float64Array) => Array.from(x.subarray(0, 450));
    const id = 'e'.repeat(64);
    installDataset(id, decodeDataset(encodeDataset({ symbol: SYMBOL, timeframe: '1h', time: cut(edited.time), open: cut(edited.open), high: cut(edited.high), low: cut(edited.low), close: cut(edited.close), volume: cut(edited.volume) })));
    const other = { ...spec, dataset: { ...spec.dataset, name: `sha256:${id}` as const } };
    const onOther = wire(backtestKind.run(other, { first: 0, count: spec.combinations, resume: { checkpoints: checkpointsFor(lastPartials, 0, spec.combinations) } }, QUIET_RUN_CONTEXT));
    assert.deepEqual(onOther.incremental, { continued: 0, rejected: spec.combinations, simulatedBars: spec.combinations * 450 });
    // Whole cents, then an appended bar with a tenth of a cent: the SMAs' arithmetic changes (another tick grid).
    const centsLast = specOf('sma-crossover', 400, {}, cents);
    const centsPartials = runAll(centsLast, backtestKind.plan(centsLast, { partitions: 2 }));
    const finer = { ...cents, close: Float64Array.from(cents.close) };
    finer.close[400] += 0.001;
    const finerId = 'f'.repeat(64);
    const cut401 = (x: Float64Array) => Array.from(x.subarray(0, 401));
    installDataset(finerId, decodeDataset(encodeDataset({ symbol: SYMBOL, timeframe: '1h', time: cut401(finer.time), open: cut401(finer.open), high: cut401(finer.high), low: cut401(finer.low), close: cut401(finer.close), volume: cut401(finer.volume) })));
    const finerSpec = specOf('sma-crossover', 401, { dataset: { name: `sha256:${finerId}`, bars: 401 } });
    const onFiner = wire(backtestKind.run(finerSpec, { first: 0, count: finerSpec.combinations, resume: { checkpoints: checkpointsFor(centsPartials, 0, finerSpec.combinations) } }, QUIET_RUN_CONTEXT));
    assert.equal(onFiner.incremental!.rejected, finerSpec.combinations, 'another tick grid');
    assert.equal(checkpointsFor(centsPartials, 0, 1).length, Math.ceil(CHECKPOINT_BYTES / 3) * 4);
    // Missing records (a unit the previous job did not cover) are no checkpoint, not a rejection.
    const partly = run(checkpointsFor(lastPartials.slice(1), 0, spec.combinations));
    assert.equal(partly.incremental!.continued + partly.incremental!.rejected, spec.combinations - lastPartials[0].evaluated);
    assert.equal(partly.incremental!.rejected, 0);
    assert.deepEqual(partly.rows, full.rows);
    clearInstalledDatasets();
  });

  it('walk-forward: the re-run computes only the new windows and, with the previous windows merged in, equals a full run', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STRATEGY_NAMES),
        fc.integer({ min: 150, max: 300 }),
        fc.integer({ min: 40, max: 120 }),
        fc.boolean(),
        fc.integer({ min: 350, max: TOTAL - 1 }),
        fc.integer({ min: 1, max: 250 }),
        fc.integer({ min: 1, max: 5 }),
        (strategy, inSampleBars, outOfSampleBars, anchored, least, appended, parts) => {
          const before = Math.max(least, inSampleBars + outOfSampleBars); // at least one window
          const after = Math.min(TOTAL, before + appended);
          const walkForward = { inSampleBars, outOfSampleBars, anchored };
          const last = specOf(strategy, before, { walkForward, fullTable: false, equityCurves: 0 });
          const spec = specOf(strategy, after, { walkForward, fullTable: false, equityCurves: 0 });
          const first = firstNewWindow(spec.walkForward!, before);
          assert.equal(first, last.walkForward!.windows);
          const lastPartials = runAll(last, backtestKind.plan(last, { partitions: parts }));
          const plan = backtestKind.plan(spec, { partitions: parts + 1 });
          const rerun = runAll(spec, plan.map((partition) => ({ ...partition, resume: { firstWindow: first } })));
          for (const partial of rerun) for (const entry of partial.walkForward!.windows) assert.ok(entry.window >= first, `window ${entry.window} recomputed`);
          const merged = backtestKind.merge(spec, [...rerun, wire(reusedWindows(lastPartials, first))]);
          assert.deepEqual(merged, backtestKind.merge(spec, runAll(spec, plan)));
        },
      ),
      { numRuns: 12 },
    );
    clearInstalledDatasets();
  });
});
