import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { installDataset } from '../../../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../../../shared/quant/dataset-codec.js';
import type { Ohlcv } from '../../../shared/quant/ohlcv.js';
import { resample } from '../../../shared/quant/resample.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { MAX_UNIT_CHECKPOINT_BYTES, CollectingContinuation, type PartitionWork, type UnitCheckpoint } from '../../../shared/tasks/continuation.js';
import { analyseSeries, SETTINGS } from '../../../shared/tasks/market-analysis/analyse.js';
import { CHECKPOINT_BYTES, dataFingerprint, decodeCheckpoint, encodeCheckpoint, unitFingerprint } from '../../../shared/tasks/market-analysis/checkpoint.js';
import { tickGrid } from '../../../shared/quant/indicators/tick-grid.js';
import { analyseContinuing, continueUnit, WARM_UPS } from '../../../shared/tasks/market-analysis/continue.js';
import { marketAnalysisLineageKey } from '../../../shared/tasks/market-analysis/continuation.js';
import { INDICATORS, marketAnalysisKind, type IndicatorName, type MarketAnalysisPartial, type MarketAnalysisSpec } from '../../../shared/tasks/market-analysis/index.js';
import { QUIET_RUN_CONTEXT } from '../../../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

/**
 * Market analysis continuing from checkpoints: a unit's row computed from the checkpoint a run on
 * the first N bars left equals the row computed over the whole series by the whole-series indicator
 * functions (analyseSeries: arrays, not the carried states), compared with deepStrictEqual (Object.is
 * on every number: bit for bit), for every indicator and signal, at random split points, on float
 * data and on whole cents (the tick-grid arithmetic), also when the appended bars change that
 * arithmetic (a finer tick, a price past the exact bands), on resampled timeframes whose last
 * bucket the appended bars change, and through the kind's run in any partitioning. Checkpoints that
 * do not match are rejected and the unit is computed in full.
 */

const TOTAL = 1400;
const BASE = generateSyntheticSeries({ seed: 11, symbol: 'MA', timeframe: '1h', bars: TOTAL });

type Twist = 'none' | 'finer-tick' | 'huge-price' | 'no-grid';

/** The base bars (optionally in whole cents), the bar at `twistAt` changed so the closes' arithmetic regime changes from there. */
function seriesOf(bars: number, cents: boolean, twist: Twist = 'none', twistAt = -1, symbol = 'MA'): Ohlcv {
  const cut = (x: Float64Array): Float64Array => {
    const out = Float64Array.from(x.subarray(0, bars));
    return cents ? out.map((v) => Math.round(v * 100) / 100) : out;
  };
  const series: Ohlcv = { symbol, timeframe: '1h', time: cut(BASE.time).map((_, i) => BASE.time[i]), open: cut(BASE.open), high: cut(BASE.high), low: cut(BASE.low), close: cut(BASE.close), volume: Float64Array.from(BASE.volume.subarray(0, bars)) };
  if (twist !== 'none' && twistAt >= 0 && twistAt < bars) {
    const close = twist === 'finer-tick' ? Math.round((series.close[twistAt] + 0.001) * 1000) / 1000 : twist === 'no-grid' ? series.close[twistAt] + Math.PI * 1e-6 : 3e9;
    series.close[twistAt] = close;
    if (series.high[twistAt] < close) series.high[twistAt] = close;
    if (series.low[twistAt] > close) series.low[twistAt] = close;
  }
  return series;
}

/** A prefix of a series (the first `bars` bars; the parent version of a dataset). */
function prefix(series: Ohlcv, bars: number): Ohlcv {
  const cut = (x: Float64Array) => x.slice(0, bars);
  return { symbol: series.symbol, timeframe: series.timeframe, time: cut(series.time), open: cut(series.open), high: cut(series.high), low: cut(series.low), close: cut(series.close), volume: cut(series.volume) };
}

function resampled(series: Ohlcv, timeframe: '4h' | '1d'): Ohlcv {
  return { symbol: series.symbol, timeframe, ...resample(series, timeframe) };
}

const expectation = (series: Ohlcv, indicators: readonly IndicatorName[]) => ({ unitHash: unitFingerprint(series.symbol, series.timeframe, indicators, SETTINGS), indicators, warmUps: WARM_UPS });

/** The checkpoint bytes a unit leaves after computing `series` (from `given`, or from bar 0), as the kind's run does. */
function leaveOn(series: Ohlcv, indicators: readonly IndicatorName[], given?: Uint8Array): { bytes: Uint8Array; continued: boolean; row: ReturnType<typeof analyseSeries> } {
  const { row, left, from } = continueUnit(series, indicators, given);
  return { bytes: left, continued: from > 0, row };
}

const indicatorSets = fc.oneof(fc.constant([...INDICATORS]), fc.subarray([...INDICATORS], { minLength: 1 }));

describe('market analysis continuing from a checkpoint', () => {
  it('equals a full computation, bit for bit, for every indicator and signal, at any split, on float and cent data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 700 }), fc.integer({ min: 1, max: 700 }), fc.boolean(), indicatorSets, (before, appended, cents, indicators) => {
        const whole = seriesOf(before + appended, cents);
        const first = leaveOn(prefix(whole, before), indicators);
        const second = leaveOn(whole, indicators, first.bytes);
        assert.equal(second.continued, true, 'the checkpoint is used');
        assert.deepStrictEqual(second.row, analyseSeries(whole, indicators, false));
        // And the checkpoint it leaves is the one a full computation leaves: a third run goes on alike.
        assert.deepStrictEqual(second.bytes, leaveOn(whole, indicators).bytes);
      }),
      { numRuns: 150 },
    );
  });

  it('equals a full computation when the appended bars change the closes\' arithmetic (a finer tick, a price past the exact bands)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 1300 }), fc.integer({ min: 1, max: 90 }), fc.constantFrom<Twist>('finer-tick', 'huge-price'), fc.integer({ min: 0, max: 89 }), (before, appended, twist, at) => {
        const twistAt = before + (at % appended);
        const whole = seriesOf(before + appended, true, twist, twistAt);
        const grid = tickGrid(whole.close);
        assert.ok(grid !== undefined && (twist === 'huge-price' || grid.decimals === 3), 'still on a grid (a finer one)');
        const first = leaveOn(prefix(whole, before), INDICATORS);
        const second = leaveOn(whole, INDICATORS, first.bytes);
        assert.equal(second.continued, true);
        assert.deepStrictEqual(second.row, analyseSeries(whole, INDICATORS, false));
      }),
      { numRuns: 80 },
    );
  });

  it('rejects the checkpoint when the appended bars change the EMAs\' seeds (a close on no tick grid: float seeds, not exact means), and computes in full', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 1300 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 0, max: 89 }), fc.constantFrom<IndicatorName[]>(['ema'], ['macd'], [...INDICATORS]), (before, appended, at, indicators) => {
        const whole = seriesOf(before + appended, true, 'no-grid', before + (at % appended));
        assert.equal(tickGrid(whole.close), undefined);
        const first = leaveOn(prefix(whole, before), indicators);
        const second = leaveOn(whole, indicators, first.bytes);
        assert.equal(second.continued, false, 'rejected: its EMA states went on from exact seeds');
        assert.deepStrictEqual(second.row, analyseSeries(whole, indicators, false));
        // Without an EMA (only windowed and other carried indicators) nothing carried depends on the grid: it continues.
        const others: IndicatorName[] = ['rsi', 'bollinger', 'sma', 'wma', 'atr', 'stochastic', 'obv', 'vwap'];
        const again = leaveOn(whole, others, leaveOn(prefix(whole, before), others).bytes);
        assert.equal(again.continued, true);
        assert.deepStrictEqual(again.row, analyseSeries(whole, others, false));
      }),
      { numRuns: 60 },
    );
  });

  it('goes on across many appends (each run continuing from the last one\'s checkpoint), past the indicators\' re-summing points', () => {
    for (const cents of [false, true]) {
      let bytes: Uint8Array | undefined;
      for (const bars of [20, 21, 60, 500, 1030, 1031, 1200, TOTAL]) {
        const series = seriesOf(bars, cents);
        const run = leaveOn(series, INDICATORS, bytes);
        assert.equal(run.continued, bytes !== undefined);
        assert.deepStrictEqual(run.row, analyseSeries(series, INDICATORS, false), `${bars} bars, cents ${cents}`);
        bytes = run.bytes;
      }
    }
  });

  it('the stochastic goes on at the last bar once %K is on no tick grid, and over the whole series while it may be on one', () => {
    // 300 flat bars (%K = 50 throughout: on a grid), then moving ones (%K off any grid from bar 300 + 13 or so).
    const moving = seriesOf(900, true);
    const flat = (x: Float64Array) => x.map((v, i) => (i < 300 ? 100 : v));
    const series: Ohlcv = { ...moving, open: flat(moving.open), high: flat(moving.high), low: flat(moving.low), close: flat(moving.close) };
    const offGridAt = (bytes: Uint8Array, of: Ohlcv) => decodeCheckpoint(bytes, expectation(of, ['stochastic']), of)?.states.stochasticOffGrid === true;
    let sawOn = false;
    let sawOff = false;
    for (const before of [20, 200, 301, 320, 400, 800]) {
      const first = leaveOn(prefix(series, before), ['stochastic']);
      const offGrid = offGridAt(first.bytes, series);
      if (before <= 300) assert.equal(offGrid, false, `${before}: %K on a grid so far`);
      if (before >= 400) assert.equal(offGrid, true, `${before}: %K on no grid`);
      sawOn ||= !offGrid;
      sawOff ||= offGrid;
      for (const indicators of [['stochastic'] as IndicatorName[], [...INDICATORS]]) {
        const second = leaveOn(series, indicators, leaveOn(prefix(series, before), indicators).bytes);
        assert.equal(second.continued, true);
        assert.deepStrictEqual(second.row, analyseSeries(series, indicators, false), `split at ${before}`);
      }
    }
    assert.ok(sawOn && sawOff);
    // On float data %K is on no grid from the start: the bit is set.
    assert.equal(offGridAt(leaveOn(seriesOf(200, false), ['stochastic']).bytes, seriesOf(300, false)), true);
  });

  it('on a resampled timeframe, recomputes the last bucket of the earlier run (which the appended bars may change)', () => {
    let changedBuckets = 0;
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 1300 }), fc.integer({ min: 1, max: 100 }), fc.constantFrom<'4h' | '1d'>('4h', '1d'), fc.boolean(), (before, appended, timeframe, cents) => {
        const source = seriesOf(before + appended, cents);
        const old = resampled(prefix(source, before), timeframe);
        const grown = resampled(source, timeframe);
        if (old.close.length < 2) return;
        const lastOld = old.close.length - 1;
        if (old.volume[lastOld] !== grown.volume[lastOld] || old.close[lastOld] !== grown.close[lastOld]) changedBuckets++;
        const first = leaveOn(old, INDICATORS);
        const second = leaveOn(grown, INDICATORS, first.bytes);
        assert.equal(second.continued, true);
        assert.deepStrictEqual(second.row, analyseSeries(grown, INDICATORS, false));
      }),
      { numRuns: 120 },
    );
    assert.ok(changedBuckets > 10, `the appended bars changed the earlier run's last bucket in ${changedBuckets} cases`);
  });

  it('a checkpoint left after the last (still filling) bucket would be wrong: that is why it is left a bar earlier', () => {
    // 1h bars analysed at 4h, cut in the middle of a bucket: the old last bucket's close and volume change.
    const source = seriesOf(403, false);
    const old = resampled(prefix(source, 402), '4h');
    const grown = resampled(source, '4h');
    const last = old.close.length - 1;
    assert.notEqual(old.close[last], grown.close[last]);
    const expected = expectation(grown, INDICATORS);
    // A checkpoint after every bar of the old series: its data fingerprint covers the changed bucket, so it is rejected.
    assert.equal(analyseContinuing(old, INDICATORS, undefined, old.close.length - 1).left.bars, old.close.length - 1, 'what a run leaves');
    const wrong = encodeCheckpoint({ bars: old.close.length, states: {}, regime: 0 }, expected.unitHash, dataFingerprint(old, old.close.length));
    assert.equal(decodeCheckpoint(wrong, expected, grown), undefined);
  });

  it('rejects a checkpoint of another unit, another series, a damaged one, one of other indicators, one not shorter than the series', () => {
    const whole = seriesOf(600, true);
    const first = leaveOn(prefix(whole, 400), INDICATORS).bytes;
    const expected = expectation(whole, INDICATORS);
    assert.ok(decodeCheckpoint(first, expected, whole), 'the right one is used');
    assert.equal(decodeCheckpoint(first, expectation({ ...whole, symbol: 'OTHER' }, INDICATORS), whole), undefined, 'another asset');
    assert.equal(decodeCheckpoint(first, expectation({ ...whole, timeframe: '4h' }, INDICATORS), whole), undefined, 'another timeframe');
    assert.equal(decodeCheckpoint(first, expectation(whole, ['rsi']), whole), undefined, 'other indicators');
    assert.equal(decodeCheckpoint(first, expected, seriesOf(600, false)), undefined, 'another series (float, not cents)');
    assert.equal(decodeCheckpoint(first, expected, prefix(whole, 399)), undefined, 'a series with no bar after the checkpoint');
    assert.equal(decodeCheckpoint(first, expected, prefix(whole, 300)), undefined, 'a series too short');
    for (const at of [0, 1, 5, 9, 13, 30, CHECKPOINT_BYTES - 1]) {
      const damaged = Uint8Array.from(first);
      damaged[at] ^= 0x10;
      assert.equal(decodeCheckpoint(damaged, expected, whole), undefined, `byte ${at} changed`);
    }
    assert.equal(decodeCheckpoint(first.subarray(0, CHECKPOINT_BYTES - 8), expected, whole), undefined, 'truncated');
  });

  it('is small: one unit\'s checkpoint is 112 bytes, within the 256 a unit may leave', () => {
    assert.equal(CHECKPOINT_BYTES, 112);
    assert.ok(CHECKPOINT_BYTES <= MAX_UNIT_CHECKPOINT_BYTES);
    assert.equal(leaveOn(seriesOf(300, true), INDICATORS).bytes.byteLength, CHECKPOINT_BYTES);
  });
});

// ---- The kind's run, as agents call it (RunContext.continuation), over stored datasets ----

let datasets = 0;
function store(series: Ohlcv): { name: `sha256:${string}`; bars: number } {
  const bytes = encodeDataset({ symbol: series.symbol, timeframe: series.timeframe, time: Array.from(series.time), open: Array.from(series.open), high: Array.from(series.high), low: Array.from(series.low), close: Array.from(series.close), volume: Array.from(series.volume) });
  const id = `d${(datasets++).toString(16).padStart(63, '0')}`;
  installDataset(id, decodeDataset(bytes));
  return { name: `sha256:${id}`, bars: series.close.length };
}

function specOn(dataset: { name: string; bars: number }, includeSeries = false): MarketAnalysisSpec {
  return marketAnalysisKind.validate({ assets: ['MA'], timeframes: ['1h', '4h', '1d'], dataset, includeSeries }, DEFAULT_SPEC_LIMITS);
}

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function runJob(spec: MarketAnalysisSpec, partitions: number, stored: ReadonlyMap<number, Uint8Array>): { partials: MarketAnalysisPartial[]; left: Map<number, Uint8Array>; work: PartitionWork } {
  const left = new Map<number, Uint8Array>();
  const work: PartitionWork = { unitsContinued: 0, unitsRejected: 0, unitsFull: 0, barsSimulated: 0 };
  const partials = marketAnalysisKind.plan(spec, { partitions }).map((partition) => {
    const given: UnitCheckpoint[] = [];
    for (let unit = partition.first; unit < partition.first + partition.count; unit++) {
      const data = stored.get(unit);
      if (data) given.push({ unit, data });
    }
    const continuation = new CollectingContinuation(given);
    const partial = wire(marketAnalysisKind.run(spec, wire(partition), { ...QUIET_RUN_CONTEXT, continuation }));
    for (const checkpoint of continuation.left) left.set(checkpoint.unit, checkpoint.data);
    for (const key of Object.keys(work) as (keyof PartitionWork)[]) work[key] += continuation.work[key];
    return partial;
  });
  return { partials, left, work };
}

describe('the market-analysis kind run by agents, checkpoints by unit', () => {
  it('a re-run on the grown dataset (1h stored, analysed at 1h, 4h, 1d), in any partitioning, continues every unit and equals a full run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1300 }), fc.integer({ min: 1, max: 100 }), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (before, appended, cents, firstParts, secondParts) => {
        const whole = seriesOf(before + appended, cents);
        const first = runJob(specOn(store(prefix(whole, before))), firstParts, new Map());
        assert.equal(first.left.size, 3, 'every unit leaves a checkpoint');
        const spec = specOn(store(whole));
        const rerun = runJob(spec, secondParts, first.left);
        const full = runJob(spec, 1, new Map());
        assert.deepStrictEqual(marketAnalysisKind.merge(spec, rerun.partials), marketAnalysisKind.merge(spec, full.partials));
        assert.deepStrictEqual(rerun.partials.flatMap((p) => p.rows), full.partials.flatMap((p) => p.rows), 'the partials (recorded and cached) are a full run\'s');
        assert.deepStrictEqual([...rerun.left].sort((a, b) => a[0] - b[0]), [...full.left].sort((a, b) => a[0] - b[0]), 'the same checkpoints for the next run');
        assert.equal(rerun.work.unitsContinued, 3);
        assert.equal(rerun.work.unitsFull, 0);
        // Each unit computed the bars after its checkpoint: the earlier run's last bar (bucket) and the new ones.
        const newBars = full.partials.flatMap((p) => p.rows).reduce((sum, row, i) => sum + row.bars - (first.partials.flatMap((q) => q.rows)[i].bars - 1), 0);
        assert.equal(rerun.work.barsSimulated, newBars);
        assert.equal(full.work.unitsFull, 3);
      }),
      { numRuns: 25 },
    );
  });

  it('a rejected checkpoint (another unit\'s) computes the unit in full, counted as rejected, with the same result', () => {
    const whole = seriesOf(900, true);
    const first = runJob(specOn(store(prefix(whole, 800))), 1, new Map());
    const spec = specOn(store(whole));
    const swapped = new Map([[0, first.left.get(1)!], [1, first.left.get(0)!], [2, first.left.get(2)!]]);
    const rerun = runJob(spec, 2, swapped);
    const rows = rerun.partials.flatMap((p) => p.rows);
    assert.deepStrictEqual(rows, runJob(spec, 1, new Map()).partials.flatMap((p) => p.rows));
    const oldDays = first.partials.flatMap((p) => p.rows)[2].bars;
    assert.deepStrictEqual(rerun.work, { unitsContinued: 1, unitsRejected: 2, unitsFull: 2, barsSimulated: rows[0].bars + rows[1].bars + rows[2].bars - (oldDays - 1) });
  });

  it('a spec with include_series neither leaves nor takes checkpoints; the lineage key leaves out only the dataset', () => {
    const spec = specOn(store(seriesOf(300, false)), true);
    assert.equal(marketAnalysisKind.continuation!.dataset(spec), undefined);
    const stored = runJob(specOn(store(prefix(seriesOf(300, false), 200))), 1, new Map()).left;
    const run = runJob(spec, 1, stored);
    assert.equal(run.left.size, 0);
    assert.ok(run.partials[0].rows[0].series, 'full series computed');
    const a = specOn(store(seriesOf(300, false)));
    const b = specOn(store(seriesOf(400, true)));
    assert.equal(marketAnalysisLineageKey(a), marketAnalysisLineageKey(b));
    assert.notEqual(marketAnalysisLineageKey(a), marketAnalysisLineageKey({ ...a, indicators: ['rsi'] }));
    assert.notEqual(marketAnalysisLineageKey(a), marketAnalysisLineageKey({ ...a, timeframes: ['1h'] }));
    assert.notEqual(marketAnalysisLineageKey(a), marketAnalysisLineageKey({ ...a, includeSeries: true }));
  });
});
