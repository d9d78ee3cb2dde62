/**
 * The nightly re-run, engine level, one thread: a 10,000-combination SMA-crossover sweep over
 * 100,000 1h bars (prices in whole cents, as real data), then 24 bars appended and the same sweep
 * re-run on the new version.
 *
 *   full        backtestKind.run on the new version, every unit from bar 0 (the baseline)
 *   incremental backtestKind.run on the new version with the checkpoints the first run left
 *               (partition.resume.checkpoints): decode each unit's checkpoint, simulate the 24
 *               new bars, encode its next checkpoint; metrics and rankings as in a full run
 *
 * Both timed runs start cold: the new version is installed again before each (a new series
 * object, outside the timing), so each computes its indicator arrays (the SMAs over all bars,
 * shared by the sweep) inside the timed call, as a worker does for the first partition of a job.
 * The incremental result is checked against the full one: the same partial (rows, the table of
 * every unit's metrics) and the same checkpoints, byte for byte.
 *
 * Run: node dist/bench/incremental-rerun.js   (QUANTGRID_BENCH_QUICK=1: 10,000 bars)
 */
import { loadavg } from 'node:os';
import { installDataset, loadSeries } from '../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../shared/quant/dataset-codec.js';
import { IndicatorCache } from '../shared/quant/strategies/index.js';
import { generateSyntheticSeries } from '../shared/quant/synthetic-ohlcv.js';
import { CHECKPOINT_BYTES } from '../shared/tasks/backtest/checkpoint.js';
import { backtestKind, type BacktestPartial, type BacktestSpec } from '../shared/tasks/backtest/index.js';
import { QUIET_RUN_CONTEXT } from '../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'incremental';
const APPENDED = 24;
const GOAL_SPEED_UP = 50;
const FULL_RUNS = 3;
const INCREMENTAL_RUNS = 7;
const SYMBOL = 'BTCUSDT';

function timeIt<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export async function runIncrementalRerun(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const before = size(100_000);
  const after = before + APPENDED;
  const generated = generateSyntheticSeries({ seed: 5, symbol: SYMBOL, timeframe: '1h', bars: after });
  const cents = (x: Float64Array) => Array.from(x, (v) => Math.round(v * 100) / 100);
  const columns = { open: cents(generated.open), high: cents(generated.high), low: cents(generated.low), close: cents(generated.close) };
  const bytesOf = (bars: number) =>
    encodeDataset({
      symbol: SYMBOL,
      timeframe: '1h',
      time: Array.from(generated.time.subarray(0, bars)),
      open: columns.open.slice(0, bars),
      high: columns.high.slice(0, bars),
      low: columns.low.slice(0, bars),
      close: columns.close.slice(0, bars),
      volume: Array.from(generated.volume.subarray(0, bars)),
    });
  const lastId = '1'.repeat(64);
  const newId = '2'.repeat(64);
  const lastBytes = bytesOf(before);
  const newBytes = bytesOf(after);
  /** Installs the new version again: a new series object, so the next run computes its indicators. */
  const freshNewVersion = () => installDataset(newId, decodeDataset(newBytes));
  installDataset(lastId, decodeDataset(lastBytes));
  freshNewVersion();

  const raw = (id: string, bars: number) => ({
    symbols: [SYMBOL],
    timeframe: '1h',
    dataset: { name: `sha256:${id}`, bars },
    strategy: 'sma-crossover',
    // 100 fast × 100 slow = 10,000 combinations (every fast below every slow), 200 distinct SMAs.
    params: { fast: { start: 1, stop: 100, step: 1 }, slow: { start: 110, stop: 1100, step: 10 } },
    feeBps: 5,
    slippageBps: 2,
    topN: 20,
    fullTable: true,
  });
  const lastSpec: BacktestSpec = backtestKind.validate(raw(lastId, before), DEFAULT_SPEC_LIMITS);
  const spec: BacktestSpec = backtestKind.validate(raw(newId, after), DEFAULT_SPEC_LIMITS);
  const units = spec.combinations;
  const partition = { first: 0, count: units };

  logProgress(BENCH, `${before} bars × ${units} combinations: last night's run (leaves the checkpoints)`);
  const last = timeIt(() => backtestKind.run(lastSpec, partition, QUIET_RUN_CONTEXT));
  const checkpoints = last.value.checkpoints as string;
  const resumed = { ...partition, resume: { checkpoints } };

  // Alternate the two so load changes hit both alike.
  const fullMs: number[] = [];
  const incrementalMs: number[] = [];
  let full: BacktestPartial | null = null;
  let incremental: BacktestPartial | null = null;
  for (let i = 0; i < Math.max(FULL_RUNS, INCREMENTAL_RUNS); i++) {
    if (i < FULL_RUNS) {
      freshNewVersion();
      const run = timeIt(() => backtestKind.run(spec, partition, QUIET_RUN_CONTEXT));
      fullMs.push(run.ms);
      full = run.value;
      logProgress(BENCH, `full run on ${after} bars: ${fmtMs(run.ms)}`);
    }
    freshNewVersion();
    const run = timeIt(() => backtestKind.run(spec, resumed, QUIET_RUN_CONTEXT));
    incrementalMs.push(run.ms);
    incremental = run.value;
  }
  logProgress(BENCH, `incremental: ${incrementalMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // Identical results: the whole partial but the counts of how it ran, and the checkpoints byte for byte.
  const a = full as BacktestPartial;
  const b = incremental as BacktestPartial;
  const strip = (partial: BacktestPartial) => JSON.stringify({ ...partial, incremental: undefined });
  const identical = strip(a) === strip(b);
  if (!identical) throw new Error('the incremental re-run differs from the full run');
  if (b.incremental?.continued !== units || b.incremental.simulatedBars !== units * APPENDED) throw new Error(`expected ${units} units to continue: ${JSON.stringify(b.incremental)}`);

  // Context: what computing the 200 SMAs over all bars costs on its own (part of both runs).
  freshNewVersion();
  const series = loadSeries(spec.dataset, SYMBOL, '1h');
  const indicatorsMs = timeIt(() => {
    const cache = new IndicatorCache(series);
    for (let p = 1; p <= 100; p++) cache.sma(p);
    for (let p = 110; p <= 1100; p += 10) cache.sma(p);
    return cache.size;
  }).ms;

  const fullMedian = median(fullMs);
  const incrementalMedian = median(incrementalMs);
  const speedup = ratio(fullMedian, incrementalMedian);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const checkpointBytes = Buffer.from(checkpoints, 'base64').length;

  process.stdout.write(`\n### incremental re-run: ${units} combinations, ${before} → ${after} bars (1h, whole cents), one thread, load ${load}\n\n`);
  process.stdout.write(
    markdownTable(
      ['run on the new version', 'runs (ms)', 'median', 'bars simulated per unit', 'vs full'],
      [
        ['full (every unit from bar 0)', fullMs.map((ms) => fmt(ms)).join(', '), fmtMs(fullMedian), String(after), '1×'],
        ['incremental (from checkpoints)', incrementalMs.map((ms) => fmt(ms)).join(', '), fmtMs(incrementalMedian), String(APPENDED), fmtRatio(speedup)],
      ],
    ) + '\n',
  );
  process.stdout.write(
    `\nidentical results (rows, full table, next checkpoints): ${identical}; checkpoints: ${fmt(checkpointBytes)} bytes (${CHECKPOINT_BYTES} per unit, ${fmt(checkpoints.length)} as base64); ` +
      `the 200 SMAs over all bars alone: ${fmtMs(indicatorsMs)}; last night's run: ${fmtMs(last.ms)}\n`,
  );

  const headlines: Headline[] = [
    {
      name: `incremental re-run: ${units} combinations, ${before} bars + ${APPENDED} appended, vs a full run`,
      unit: 'ms',
      median: incrementalMedian,
      baseline: fullMedian,
      baselineLabel: `full run on the new version (median of ${FULL_RUNS})`,
      ratio: speedup,
      ratioNote: 'speed-up: full / incremental',
      // The goal is a speed-up of ≥ 50×: the re-run's wall time ≤ the full run's / 50.
      goal: { op: '<=', value: fullMedian / GOAL_SPEED_UP },
      note: `median of ${INCREMENTAL_RUNS}; ratio = speed-up (goal ≥ ${GOAL_SPEED_UP}×: wall ≤ full / ${GOAL_SPEED_UP}); both cold (indicators computed in the run); results identical; load ${load}`,
    },
  ];
  return {
    headlines,
    details: { before, after, units, fullMs, incrementalMs, speedup, identical, checkpointBytes, indicatorsMs, lastRunMs: last.ms, load },
  };
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, runIncrementalRerun));
