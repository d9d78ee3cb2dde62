import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clearInstalledDatasets, installDataset } from '../../../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../../../shared/quant/dataset-codec.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { CHECKPOINT_BYTES } from '../../../shared/tasks/backtest/checkpoint.js';
import { backtestKind, type BacktestPartial, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { CollectingContinuation, type PartitionWork, type UnitCheckpoint } from '../../../shared/tasks/continuation.js';
import { QUIET_RUN_CONTEXT } from '../../../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

/**
 * The backtest kind's run as agents call it (with a RunContext.continuation, checkpoints in and out
 * by unit, as the coordinator's checkpoint store keeps them), over two partitionings: the re-run on
 * the grown dataset continues every unit and equals a full run, in its result and in the
 * checkpoints it leaves; its partials carry no checkpoints (they are recorded and cached as a full
 * run's). Checkpoints of another unit are rejected, never used.
 */

const TOTAL = 600;
const SYMBOL = 'CLUSTER';
const whole = generateSyntheticSeries({ seed: 5, symbol: SYMBOL, timeframe: '1h', bars: TOTAL });

function version(bars: number): { name: `sha256:${string}`; bars: number } {
  const cut = (x: Float64Array) => Array.from(x.subarray(0, bars));
  const bytes = encodeDataset({ symbol: SYMBOL, timeframe: '1h', time: cut(whole.time), open: cut(whole.open), high: cut(whole.high), low: cut(whole.low), close: cut(whole.close), volume: cut(whole.volume) });
  const id = `c${bars.toString(16).padStart(63, '0')}`;
  installDataset(id, decodeDataset(bytes));
  return { name: `sha256:${id}`, bars };
}

function specOf(bars: number): BacktestSpec {
  return backtestKind.validate(
    { symbols: [SYMBOL], dataset: version(bars), params: { fast: { start: 3, stop: 15, step: 3 }, slow: { start: 20, stop: 60, step: 10 }, short: { start: 0, stop: 1, step: 1 } }, feeBps: 4, topN: 5, fullTable: true },
    DEFAULT_SPEC_LIMITS,
  );
}

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Runs a plan as agents do, each partition with the stored checkpoints of its units; returns the partials and what they left and counted. */
function runJob(spec: BacktestSpec, partitions: number, stored: ReadonlyMap<number, Uint8Array>): { partials: BacktestPartial[]; left: Map<number, Uint8Array>; work: PartitionWork[] } {
  const left = new Map<number, Uint8Array>();
  const work: PartitionWork[] = [];
  const partials = backtestKind.plan(spec, { partitions }).map((partition) => {
    const given: UnitCheckpoint[] = [];
    for (let unit = partition.first; unit < partition.first + partition.count; unit++) {
      const data = stored.get(unit);
      if (data) given.push({ unit, data });
    }
    const continuation = new CollectingContinuation(given);
    const partial = wire(backtestKind.run(spec, wire(partition), { ...QUIET_RUN_CONTEXT, continuation }));
    for (const checkpoint of continuation.left) left.set(checkpoint.unit, checkpoint.data);
    work.push(continuation.work);
    return partial;
  });
  return { partials, left, work };
}

describe('the backtest kind run by agents, checkpoints by unit', () => {
  it('a re-run on the grown dataset, in any other partitioning, continues every unit and equals a full run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 120, max: TOTAL - 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (before, appended, firstParts, secondParts) => {
        const first = runJob(specOf(before), firstParts, new Map());
        const units = specOf(before).combinations;
        assert.equal(first.left.size, units, 'every unit leaves a checkpoint');
        for (const data of first.left.values()) assert.equal(data.byteLength, CHECKPOINT_BYTES);
        for (const partial of first.partials) assert.equal(partial.checkpoints ?? partial.incremental, undefined, 'no checkpoints in the partial');

        const spec = specOf(before + appended);
        const rerun = runJob(spec, secondParts, first.left);
        const full = runJob(spec, secondParts + 1, new Map());
        assert.deepEqual(backtestKind.merge(spec, rerun.partials), backtestKind.merge(spec, full.partials));
        assert.deepEqual([...rerun.left].sort((a, b) => a[0] - b[0]), [...full.left].sort((a, b) => a[0] - b[0]), 'the same checkpoints for the next run');
        const sum = (works: PartitionWork[], key: keyof PartitionWork) => works.reduce((total, work) => total + work[key], 0);
        assert.equal(sum(rerun.work, 'unitsContinued'), units);
        assert.equal(sum(rerun.work, 'unitsFull'), 0);
        assert.equal(sum(rerun.work, 'barsSimulated'), units * appended, 'each unit simulated the appended bars only');
        assert.equal(sum(full.work, 'unitsFull'), units);
        assert.equal(sum(full.work, 'barsSimulated'), units * (before + appended));
      }),
      { numRuns: 8 },
    );
    clearInstalledDatasets();
  });

  it('checkpoints of other units, or of a size the engine never leaves, are rejected and their units run in full', () => {
    const first = runJob(specOf(300), 2, new Map());
    const spec = specOf(320);
    const full = runJob(spec, 1, new Map());
    const shifted = new Map([...first.left].map(([unit, data]) => [unit + 1, data]));
    shifted.set(0, new Uint8Array(10));
    const rerun = runJob(spec, 3, shifted);
    assert.deepEqual(backtestKind.merge(spec, rerun.partials), backtestKind.merge(spec, full.partials));
    const rejected = rerun.work.reduce((total, work) => total + work.unitsRejected, 0);
    assert.equal(rejected, spec.combinations, 'every unit was given a checkpoint that is not its own');
    assert.equal(rerun.work.reduce((total, work) => total + work.unitsContinued, 0), 0);
    clearInstalledDatasets();
  });

  it('walk-forward: the next run takes over the windows a completed job carried, computes only the new ones, and merges to the full result', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 200 }), fc.integer({ min: 30, max: 90 }), fc.boolean(), fc.integer({ min: 300, max: TOTAL - 1 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 4 }), (inSampleBars, outOfSampleBars, anchored, before, appended, parts) => {
        const walkForward = { walkForward: { inSampleBars, outOfSampleBars, anchored }, fullTable: false };
        const carry = backtestKind.continuation!.carry!;
        const last = backtestKind.validate({ ...specOf(before), ...walkForward }, DEFAULT_SPEC_LIMITS);
        const lastJob = runJob(last, parts, new Map());
        // As the coordinator keeps it: JSON in Redis.
        const kept = wire(carry.keep(last, lastJob.partials));
        const spec = backtestKind.validate({ ...specOf(Math.min(TOTAL, before + appended)), ...walkForward }, DEFAULT_SPEC_LIMITS);
        const partitions = backtestKind.plan(spec, { partitions: parts + 1 }).map((partition) => carry.resume(spec, partition, kept));
        const rerun = partitions.map((partition) => wire(backtestKind.run(spec, wire(partition), { ...QUIET_RUN_CONTEXT, continuation: new CollectingContinuation() })));
        for (const partial of rerun) for (const entry of partial.walkForward!.windows) assert.ok(entry.window >= last.walkForward!.windows, `window ${entry.window} was the last job's`);
        const full = runJob(spec, parts, new Map());
        assert.deepEqual(backtestKind.merge(spec, [...rerun, wire(carry.partial(spec, kept))]), backtestKind.merge(spec, full.partials));
      }),
      { numRuns: 10 },
    );
    clearInstalledDatasets();
  });

  it('a caller of the engine without a continuation gets the engine\'s partial as is', () => {
    const spec = specOf(200);
    const partial = backtestKind.run(spec, { first: 0, count: spec.combinations }, QUIET_RUN_CONTEXT);
    assert.equal(Buffer.from(partial.checkpoints!, 'base64').byteLength, spec.combinations * CHECKPOINT_BYTES);
    clearInstalledDatasets();
  });
});
