/**
 * Single-thread speed of the SMA-crossover sweep: bar evaluations (combinations × bars) per second
 * of backtestKind.run on one partition holding the whole sweep (100,000 bars × 200 combinations).
 * A warm-up run first (it also builds the series and the SMA bank, which later runs reuse, as a
 * worker does across partitions of one job), then the median of 5 runs.
 *
 * Baseline in the same run: a naive sweep written here: per combination, both SMAs recomputed with
 * a per-bar window sum (O(bars × period)), then a per-bar simulation with the same trading rules
 * (signal at the close, fill at the next open, slippage, fee per side, equity marked at every
 * close). Checked against the kernel combination by combination. For context, a second naive
 * variant with running-sum SMAs (O(bars) per SMA) shows how much the window sums alone cost.
 *
 * Exact ties: the same sweep's signal pass and simulation (the sma-crossover definition's signals + simulate, as
 * backtestKind.run does per combination) on the series' closes rounded to whole cents — on the
 * decimal tick grid, so the SMAs are exact window sums and equal SMAs are decided exactly —
 * against the same loop on the unrounded closes (off the grid), in the same run.
 *
 * Every built-in strategy on the SDK: each one's signal pass + simulation (its definition's
 * signals, the compiled declarative loop, then simulate, as backtestKind.run does per combination)
 * over a grid of its own on the same series, indicator arrays warm (computed in the warm-up run and
 * kept: a cache large enough for the grid), median of 5; goal ≥ 100 M bar evaluations/s each.
 *
 * Exit rules: the same sweep with a fixed stop and an ATR trailing stop in every combination, against
 * the kernel without them in the same run.
 *
 * Scans: the kernel with the signal loop's unrolled scans (8 bars per step, the default) against the
 * plain bar-by-bar scan (setScanUnroll(1)), in one process, SCAN_PAIRS pairs interleaved (the order
 * alternating), CPU time of each run; the two answers must be identical.
 *
 * Long series: the same sweep over 1,000,000 bars (QUANTGRID_BENCH_QUICK=1: 100,000), median of
 * LONG_RUNS after a warm-up; its arrays (8 MB each) no longer fit in the caches, and 30 of them do
 * not fit in the default indicator-cache budget either (fast SMAs are recomputed in each run).
 *
 * The goal's reference, in the same run (bench/lib/tight-crossover.ts): the tight scalar loop that
 * computes only the final equity and the trade count, warm JS, over the same series, the same
 * combinations in the same order and the same SMA arrays (the kernel's own indicator cache's, taken
 * after its warm-up and held for the loop, so the loop never recomputes one), at 100,000 and at
 * 1,000,000 bars. Kernel and loop runs alternate (the order too), so a load change hits both; the
 * headline is kernel ÷ tight loop (goal ≥ 1), with the range of the per-pair ratios. Checked: the
 * loop's final equity and trades against the kernel's (signal pass + simulation), combination by
 * combination (they differ only where an exact tie of the SMAs decides otherwise than the doubles).
 *
 * Blocked simulation (shared/tasks/backtest/blocked-simulation.ts; the default from 65,536 bars: tiled,
 * each unit's signal pass then its simulation block by block) at 100,000 bars (KERNEL_RUNS pairs) and
 * at 1,000,000 bars (LONG_RUNS pairs): against one signal pass and one simulate() over the whole series
 * per unit (setSimulationBlocks(Infinity, …)), alternated; the two answers must be identical.
 *
 * Run: node dist/bench/backtest-kernel.js   (QUANTGRID_BENCH_QUICK=1: 10,000 bars)
 */
import { loadSeries } from '../shared/quant/dataset.js';
import { clearSyntheticCache } from '../shared/quant/synthetic-ohlcv.js';
import { EquityAccumulator, type PerformanceMetrics } from '../shared/quant/metrics.js';
import { backtestSmaCrossover, SmaBank, type TradingCosts } from '../shared/quant/strategies/sma-crossover.js';
import { IndicatorCache } from '../shared/quant/strategies/indicator-cache.js';
import { simulate } from '../shared/quant/strategies/execution.js';
import { SignalBuffer, type StrategyDefinition } from '../shared/quant/strategies/types.js';
import { STRATEGIES } from '../shared/quant/strategies/index.js';
import { setScanUnroll } from '../shared/quant/strategies/signal-loop.js';
import { blockedSimulation, setSimulationBlocks } from '../shared/tasks/backtest/blocked-simulation.js';
import { periodsPerYear } from '../shared/quant/timeframes.js';
import { backtestKind, type BacktestSpec } from '../shared/tasks/backtest/index.js';
import { QUIET_RUN_CONTEXT } from '../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { tightCrossover, type TightResult } from './lib/tight-crossover.js';
import { inputsFor, signalsOf } from '../shared/tasks/backtest/evaluation.js';
import type { Ohlcv } from '../shared/quant/ohlcv.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { alternatedPairs, fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'backtest-kernel';
const KERNEL_RUNS = 5;
const BASELINE_RUNS = 3;
/** Interleaved pairs of the scan A/B (unrolled scans against the plain bar-by-bar scan). */
const SCAN_PAIRS = 7;
/** Runs of the long-series kernel (after its warm-up). */
const LONG_RUNS = 3;
/**
 * The per-thread goal of issue 13, at 100,000 and at 1,000,000 bars: the tight reference loop's speed
 * (bench/lib/tight-crossover.ts) with every metric, i.e. kernel ÷ tight loop ≥ 1 in the same run
 * (215 M/s was that loop's figure on a faster machine).
 */
const KERNEL_GOAL_RATIO = 1;

// ---------------------------------------------------------------- the naive baseline

/** SMA by summing the whole window at every bar: O(n × period). NaN before period − 1. */
function windowSumSma(close: Float64Array, period: number): Float64Array {
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let t = period - 1; t < close.length; t++) {
    let sum = 0;
    for (let k = t - period + 1; k <= t; k++) sum += close[k];
    out[t] = sum / period;
  }
  return out;
}

/** SMA with a running sum: O(n). */
function runningSumSma(close: Float64Array, period: number): Float64Array {
  const out = new Float64Array(close.length).fill(Number.NaN);
  let sum = 0;
  for (let t = 0; t < close.length; t++) {
    sum += close[t];
    if (t >= period) sum -= close[t - period];
    if (t >= period - 1) out[t] = sum / period;
  }
  return out;
}

/**
 * Bar by bar: fill the order decided at the previous close at this bar's open, mark equity at the
 * close, then decide (long when fast SMA > slow SMA, from bar slow − 1 on).
 */
function simulateBarByBar(
  open: Float64Array,
  close: Float64Array,
  fastSma: Float64Array,
  slowSma: Float64Array,
  slow: number,
  costs: TradingCosts,
  annualPeriods: number,
): PerformanceMetrics {
  const buyFactor = 1 + costs.slippageBps / 1e4;
  const sellFactor = 1 - costs.slippageBps / 1e4;
  const keep = 1 - costs.feeBps / 1e4;
  const acc = new EquityAccumulator().reset(1);
  let cash = 1;
  let units = 0;
  let long = false;
  let wantLong = false;
  let entryCash = 1;
  for (let t = 0; t < close.length; t++) {
    if (wantLong !== long) {
      if (wantLong) {
        entryCash = cash;
        units = (cash * keep) / (open[t] * buyFactor);
        cash = 0;
        acc.recordEntry();
      } else {
        cash = units * open[t] * sellFactor * keep;
        units = 0;
        acc.recordExit(entryCash, cash);
      }
      long = wantLong;
    }
    acc.mark(long ? units * close[t] : cash, long);
    wantLong = t >= slow - 1 && fastSma[t] > slowSma[t];
  }
  return acc.metrics(annualPeriods);
}

interface Combination {
  fast: number;
  slow: number;
}

function naiveSweep(
  series: { open: Float64Array; close: Float64Array },
  combinations: readonly Combination[],
  costs: TradingCosts,
  annualPeriods: number,
  smaOf: (close: Float64Array, period: number) => Float64Array,
): PerformanceMetrics[] {
  return combinations.map(({ fast, slow }) =>
    simulateBarByBar(series.open, series.close, smaOf(series.close, fast), smaOf(series.close, slow), slow, costs, annualPeriods),
  );
}

// ---------------------------------------------------------------- exact ties: whole cents against floats

/** The sweep's signal pass + simulation with warm indicator arrays of `close`: ms of each run. */
function signalSweepMs(open: Float64Array, close: Float64Array, combinations: readonly Combination[], costs: TradingCosts, runs: number): { ms: number[]; trades: number } {
  const series = { open, high: close, low: close, close };
  return strategySweepMs(STRATEGIES.get('sma-crossover')!, series, combinations.map(({ fast, slow }) => [fast, slow, 0]), costs, runs);
}

/**
 * A strategy's signal pass + simulation over `grid` (each row its swept values, `short` last),
 * indicator arrays warm after the first (untimed) sweep: ms of each run, and the trades of one.
 */
function strategySweepMs(
  definition: StrategyDefinition,
  series: { open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array },
  grid: readonly number[][],
  costs: TradingCosts,
  runs: number,
): { ms: number[]; trades: number } {
  const { open, close } = series;
  const inputs = { ...series, indicators: new IndicatorCache(series, 2 ** 31) };
  const buffer = new SignalBuffer(close.length);
  const acc = new EquityAccumulator();
  const rows = grid.map((row) => Float64Array.from(row));
  let trades = 0;
  const sweep = (): void => {
    trades = 0;
    for (const values of rows) {
      definition.signals(inputs, values, values[values.length - 1] === 1, buffer.reset(close.length));
      simulate(open, close, buffer, costs, acc);
      trades += acc.trades;
    }
  };
  sweep(); // warm-up: indicator arrays, JIT
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(timeIt(sweep).ms);
  return { ms, trades };
}

// ---------------------------------------------------------------- every built-in strategy on the SDK

/** Every combination of the given value lists (the last varying fastest), `short` = 0 appended. */
function gridOf(...values: number[][]): number[][] {
  return values.reduce<number[][]>((rows, list) => rows.flatMap((row) => list.map((v) => [...row, v])), [[]]).map((row) => [...row, 0]);
}

const steps = (start: number, stop: number, step: number): number[] => Array.from({ length: Math.floor((stop - start) / step + 1e-9) + 1 }, (_, i) => Math.round((start + i * step) * 1e6) / 1e6);

/** A grid per built-in (≈ 100–200 combinations whose indicator arrays fit in memory at once). */
const BUILT_IN_GRIDS: Record<string, number[][]> = {
  'sma-crossover': gridOf(steps(5, 24, 1), steps(50, 140, 10)),
  'ema-crossover': gridOf(steps(5, 24, 1), steps(50, 140, 10)),
  'macd-cross': gridOf([8, 12, 16], steps(20, 32, 3), steps(5, 13, 1)),
  'rsi-reversion': gridOf(steps(5, 24, 1), [20, 25, 30], [50, 60, 70]),
  'bollinger-reversion': gridOf(steps(10, 40, 10), steps(1, 3.4, 0.1)),
  'donchian-breakout': gridOf(steps(10, 100, 10), steps(5, 50, 5)),
};

// ---------------------------------------------------------------- the tight reference loop

/**
 * The SMA arrays of every period of `combinations`, from the kernel's own indicator cache for
 * `series` (the same arrays it reads; any it had evicted computed again, bit-identical), held here
 * so that the tight loop never recomputes one.
 */
function pinnedSmas(series: Ohlcv, combinations: readonly Combination[]): Map<number, Float64Array> {
  const cache = inputsFor(series).indicators;
  const pinned = new Map<number, Float64Array>();
  for (const { fast, slow } of combinations) {
    for (const period of [fast, slow]) if (!pinned.has(period)) pinned.set(period, cache.sma(period));
  }
  return pinned;
}

/** The tight loop over every combination, in order; results[i] is combination i's. */
function tightSweep(series: Ohlcv, combinations: readonly Combination[], smas: Map<number, Float64Array>, costs: TradingCosts, results: TightResult[]): void {
  const buyFactor = 1 + costs.slippageBps / 1e4;
  const sellFactor = 1 - costs.slippageBps / 1e4;
  const keep = 1 - costs.feeBps / 1e4;
  for (let i = 0; i < combinations.length; i++) {
    const { fast, slow } = combinations[i];
    tightCrossover(series.open, series.close, smas.get(fast)!, smas.get(slow)!, slow - 1, buyFactor, sellFactor, keep, results[i]);
  }
}

/** Combinations where the tight loop's final equity (the same double) and trades are the kernel's. */
function tightAgreement(series: Ohlcv, combinations: readonly Combination[], costs: TradingCosts, results: readonly TightResult[]): number {
  const definition = STRATEGIES.get('sma-crossover')!;
  const acc = new EquityAccumulator();
  const values = new Float64Array(3);
  let agree = 0;
  combinations.forEach(({ fast, slow }, i) => {
    values[0] = fast;
    values[1] = slow;
    values[2] = 0;
    simulate(series.open, series.close, signalsOf(definition, series, values), costs, acc);
    if (acc.trades === results[i].trades && acc.lastEquity === results[i].equity) agree++;
  });
  return agree;
}

/**
 * Kernel and tight loop alternated (`runs` pairs, which one goes first alternating): wall ms of each,
 * the per-pair ratios (loop ms ÷ kernel ms = kernel speed ÷ loop speed) and the loop's agreement.
 */
function kernelAgainstTight(
  runKernel: () => unknown,
  series: Ohlcv,
  combinations: readonly Combination[],
  costs: TradingCosts,
  runs: number,
): { kernelMs: number[]; tightMs: number[]; ratios: number[]; agree: number } {
  const smas = pinnedSmas(series, combinations);
  const results = combinations.map((): TightResult => ({ equity: 0, trades: 0 }));
  tightSweep(series, combinations, smas, costs, results); // warm-up (JIT)
  const agree = tightAgreement(series, combinations, costs, results);
  const { a: kernelMs, b: tightMs } = alternatedPairs(
    runs,
    () => timeIt(runKernel).ms,
    () => timeIt(() => tightSweep(series, combinations, smas, costs, results)).ms,
  );
  return { kernelMs, tightMs, ratios: kernelMs.map((ms, i) => tightMs[i] / ms), agree };
}

/**
 * The blocked simulation (the default) against one simulate() over the whole series per unit
 * (setSimulationBlocks(Infinity, Infinity)), `runs` pairs alternated: wall ms of each, the per-pair
 * ratios whole-series ÷ blocked time. Throws when the two answers differ.
 */
function blockedAgainstWholeSeries(run: () => unknown, runs: number): { blockedMs: number[]; wholeSeriesMs: number[]; blockRatios: number[]; identical: boolean } {
  const wholeSeries = <T>(fn: () => T): T => {
    const previous = setSimulationBlocks(Infinity, Infinity);
    try {
      return fn();
    } finally {
      setSimulationBlocks(previous.bars, previous.minBars);
    }
  };
  const identical = JSON.stringify(run()) === JSON.stringify(wholeSeries(run));
  if (!identical) throw new Error('the blocked and the whole-series simulations gave different answers');
  const { a: blockedMs, b: wholeSeriesMs } = alternatedPairs(
    runs,
    () => timeIt(run).ms,
    () => wholeSeries(() => timeIt(run).ms),
  );
  return { blockedMs, wholeSeriesMs, blockRatios: blockedMs.map((ms, i) => wholeSeriesMs[i] / ms), identical };
}

// ---------------------------------------------------------------- the benchmark

function combinationsOf(spec: BacktestSpec): Combination[] {
  const out: Combination[] = [];
  const { fast, slow } = spec.params;
  for (let f = fast.start; f <= fast.stop; f += fast.step) {
    for (let s = slow.start; s <= slow.stop; s += slow.step) if (f < s) out.push({ fast: f, slow: s });
  }
  return out;
}

function close(a: number | null, b: number | null, tolerance: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
}

function timeIt<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export async function runBacktestKernel(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const bars = size(100_000);
  const raw = {
    symbols: ['BENCH'],
    timeframe: '1h',
    dataset: { name: 'synthetic', bars, seed: 7 },
    strategy: 'sma-crossover',
    // 20 fast × 10 slow = 200 combinations, every fast below every slow.
    params: { fast: { start: 5, stop: 24, step: 1 }, slow: { start: 50, stop: 140, step: 10 } },
    feeBps: 5,
    slippageBps: 2,
    topN: 20,
  };
  const spec = backtestKind.validate(raw, DEFAULT_SPEC_LIMITS);
  const [partition] = backtestKind.plan(spec, { partitions: 1 });
  const context = QUIET_RUN_CONTEXT;
  const combinations = combinationsOf(spec);
  if (combinations.length !== spec.combinations) throw new Error(`expected ${spec.combinations} combinations, enumerated ${combinations.length}`);
  const barEvaluations = combinations.length * bars;
  const costs = { feeBps: spec.feeBps, slippageBps: spec.slippageBps };
  const annualPeriods = periodsPerYear(spec.timeframe);

  logProgress(BENCH, `${bars} bars × ${combinations.length} combinations; kernel warm-up`);
  const warmup = timeIt(() => backtestKind.run(spec, partition, context));
  if (warmup.value.evaluated !== combinations.length) throw new Error(`kernel evaluated ${warmup.value.evaluated} of ${combinations.length}`);
  const series = loadSeries(spec.dataset, spec.symbols[0], spec.timeframe);
  const shortPairs = kernelAgainstTight(() => backtestKind.run(spec, partition, context), series, combinations, costs, KERNEL_RUNS);
  const kernelMs = shortPairs.kernelMs;
  logProgress(BENCH, `kernel: ${kernelMs.map((ms) => fmtMs(ms)).join(', ')}; tight loop: ${shortPairs.tightMs.map((ms) => fmtMs(ms)).join(', ')}`);
  // The blocked simulation at this length too (from 65,536 bars it is the default): against one simulate() per unit.
  const shortBlocks = blockedAgainstWholeSeries(() => backtestKind.run(spec, partition, context), KERNEL_RUNS);
  logProgress(BENCH, `${bars} bars: blocked ${shortBlocks.blockedMs.map((ms) => fmtMs(ms)).join(', ')}; whole series per unit ${shortBlocks.wholeSeriesMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // The same sweep with exit rules on in every combination (a fixed stop and an ATR trailing stop):
  // the per-bar check while in a position, against the kernel without them in the same run.
  const exitSpec = backtestKind.validate({ ...raw, params: { ...raw.params, stop_loss: { start: 0.02, stop: 0.02, step: 0 }, trailing_stop_atr: { start: 3, stop: 3, step: 0 } } }, DEFAULT_SPEC_LIMITS);
  const [exitPartition] = backtestKind.plan(exitSpec, { partitions: 1 });
  backtestKind.run(exitSpec, exitPartition, context); // warm-up: the ATR, JIT
  const exitMs: number[] = [];
  for (let i = 0; i < KERNEL_RUNS; i++) exitMs.push(timeIt(() => backtestKind.run(exitSpec, exitPartition, context)).ms);
  logProgress(BENCH, `kernel with exit rules: ${exitMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // Scans: unrolled (the default) against the plain bar-by-bar scan, interleaved pairs, CPU time.
  const cpuMs = (fn: () => unknown): { ms: number; value: unknown } => {
    const c0 = process.cpuUsage();
    const value = fn();
    const c = process.cpuUsage(c0);
    return { ms: (c.user + c.system) / 1000, value };
  };
  const withUnroll = <T>(bars: number, fn: () => T): T => {
    const previous = setScanUnroll(bars);
    try {
      return fn();
    } finally {
      setScanUnroll(previous);
    }
  };
  const plainAnswer = JSON.stringify(withUnroll(1, () => backtestKind.run(spec, partition, context))); // warm-up of the plain loop
  const unrolledAnswer = JSON.stringify(backtestKind.run(spec, partition, context));
  const scansIdentical = plainAnswer === unrolledAnswer;
  if (!scansIdentical) throw new Error('the unrolled and the plain scans gave different answers');
  const { a: unrolledCpuMs, b: plainCpuMs } = alternatedPairs(
    SCAN_PAIRS,
    () => cpuMs(() => backtestKind.run(spec, partition, context)).ms,
    () => withUnroll(1, () => cpuMs(() => backtestKind.run(spec, partition, context)).ms),
  );
  const scanRatios = unrolledCpuMs.map((ms, i) => plainCpuMs[i] / ms);
  logProgress(BENCH, `scans, CPU ms: unrolled ${unrolledCpuMs.map((ms) => fmtMs(ms)).join(', ')}; plain ${plainCpuMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // Long series: the same sweep over 1,000,000 bars.
  const longBars = size(1_000_000);
  const longSpec = backtestKind.validate({ ...raw, dataset: { ...raw.dataset, bars: longBars } }, DEFAULT_SPEC_LIMITS);
  const [longPartition] = backtestKind.plan(longSpec, { partitions: 1 });
  logProgress(BENCH, `${longBars} bars × ${combinations.length} combinations; warm-up`);
  backtestKind.run(longSpec, longPartition, context);
  const longSeries = loadSeries(longSpec.dataset, longSpec.symbols[0], longSpec.timeframe);
  const longPairs = kernelAgainstTight(() => backtestKind.run(longSpec, longPartition, context), longSeries, combinations, costs, LONG_RUNS);
  const longMs = longPairs.kernelMs;
  logProgress(BENCH, `kernel over ${longBars} bars: ${longMs.map((ms) => fmtMs(ms)).join(', ')}; tight loop: ${longPairs.tightMs.map((ms) => fmtMs(ms)).join(', ')}`);
  // The A/B of the blocked simulation (blocked-simulation.ts): the same long sweep with one simulate()
  // over the whole series per unit, alternated with the default (blocked) path; answers identical.
  const { blockedMs, wholeSeriesMs, blockRatios, identical: blocksIdentical } = blockedAgainstWholeSeries(() => backtestKind.run(longSpec, longPartition, context), LONG_RUNS);
  logProgress(BENCH, `blocked ${blockedMs.map((ms) => fmtMs(ms)).join(', ')}; whole series per unit ${wholeSeriesMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // Cold: a new series object each run (generated outside the timing), so run() builds its SMA bank
  // inside the timed call, as the first partition of a job on a worker does.
  const coldMs: number[] = [];
  for (let i = 0; i < KERNEL_RUNS; i++) {
    clearSyntheticCache();
    loadSeries(spec.dataset, spec.symbols[0], spec.timeframe);
    coldMs.push(timeIt(() => backtestKind.run(spec, partition, context)).ms);
  }
  logProgress(BENCH, `kernel with its SMA bank built in the run: ${coldMs.map((ms) => fmtMs(ms)).join(', ')}`);

  // What the SMA bank the timed runs reuse costs to build once (every period of the sweep).
  const bankBuild = timeIt(() => {
    const bank = new SmaBank(series.close);
    for (const { fast, slow } of combinations) {
      bank.get(fast);
      bank.get(slow);
    }
    return bank.size;
  });

  logProgress(BENCH, 'naive baseline (window-sum SMAs, bar-by-bar simulation)');
  naiveSweep(series, combinations.slice(0, 4), costs, annualPeriods, windowSumSma); // warm-up
  const naiveMs: number[] = [];
  let naiveResults: PerformanceMetrics[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) {
    const run = timeIt(() => naiveSweep(series, combinations, costs, annualPeriods, windowSumSma));
    naiveMs.push(run.ms);
    naiveResults = run.value;
  }
  logProgress(BENCH, `naive: ${naiveMs.map((ms) => fmtMs(ms)).join(', ')}`);
  naiveSweep(series, combinations.slice(0, 4), costs, annualPeriods, runningSumSma); // warm-up
  const runningMs: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) runningMs.push(timeIt(() => naiveSweep(series, combinations, costs, annualPeriods, runningSumSma)).ms);

  logProgress(BENCH, 'exact ties: the signal pass on whole-cent closes against unrounded closes');
  const cents = (values: Float64Array): Float64Array => Float64Array.from(values, (v) => Math.round(v * 100) / 100);
  const offGrid = signalSweepMs(series.open, series.close, combinations, costs, KERNEL_RUNS);
  const onGrid = signalSweepMs(cents(series.open), cents(series.close), combinations, costs, KERNEL_RUNS);
  logProgress(BENCH, `floats: ${offGrid.ms.map((ms) => fmtMs(ms)).join(', ')}; whole cents: ${onGrid.ms.map((ms) => fmtMs(ms)).join(', ')}`);

  logProgress(BENCH, 'every built-in strategy on the SDK: signal pass + simulation, warm indicator arrays');
  const builtIns = Object.entries(BUILT_IN_GRIDS).map(([name, grid]) => {
    const run = strategySweepMs(STRATEGIES.get(name)!, series, grid, costs, KERNEL_RUNS);
    const rate = (grid.length * bars) / (median(run.ms) / 1000);
    logProgress(BENCH, `${name}: ${run.ms.map((ms) => fmtMs(ms)).join(', ')} (${fmt(rate)}/s)`);
    return { name, combinations: grid.length, ms: run.ms, trades: run.trades, rate };
  });

  // The baseline must do the same job: compare every combination with the kernel.
  const bank = new SmaBank(series.close);
  let agree = 0;
  const disagreements: Array<{ fast: number; slow: number; kernel: PerformanceMetrics; naive: PerformanceMetrics }> = [];
  combinations.forEach((combination, i) => {
    const kernel = backtestSmaCrossover(series, combination, costs, annualPeriods, bank);
    const naive = naiveResults[i];
    const same =
      kernel.trades === naive.trades &&
      close(kernel.totalReturn, naive.totalReturn, 1e-9) &&
      close(kernel.sharpe, naive.sharpe, 1e-9) &&
      close(kernel.maxDrawdown, naive.maxDrawdown, 1e-9) &&
      close(kernel.exposure, naive.exposure, 1e-12);
    if (same) agree++;
    else if (disagreements.length < 5) disagreements.push({ ...combination, kernel, naive });
  });

  const perSecond = (ms: number) => barEvaluations / (ms / 1000);
  const kernelRate = perSecond(median(kernelMs));
  const coldRate = perSecond(median(coldMs));
  const exitRate = perSecond(median(exitMs));
  const unrolledRate = perSecond(median(unrolledCpuMs));
  const plainRate = perSecond(median(plainCpuMs));
  const longRate = (combinations.length * longBars) / (median(longMs) / 1000);
  const tightRate = perSecond(median(shortPairs.tightMs));
  const longTightRate = (combinations.length * longBars) / (median(longPairs.tightMs) / 1000);
  const pairRange = (ratios: number[]) => `${fmtRatio(Math.min(...ratios))}–${fmtRatio(Math.max(...ratios))}`;
  const naiveRate = perSecond(median(naiveMs));
  const runningRate = perSecond(median(runningMs));
  const offGridRate = perSecond(median(offGrid.ms));
  const onGridRate = perSecond(median(onGrid.ms));

  process.stdout.write(`\n### backtest kernel: ${bars} bars × ${combinations.length} combinations = ${fmt(barEvaluations)} bar evaluations, one thread\n\n`);
  process.stdout.write(
    markdownTable(
      ['implementation', 'runs (ms)', 'median', 'bar evaluations/s', 'vs naive'],
      [
        ['backtestKind.run (SMA bank reused, tight kernel)', kernelMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(kernelMs)), fmt(kernelRate), fmtRatio(ratio(kernelRate, naiveRate))],
        ['tight reference loop (final equity and trades only; the same SMA arrays), alternated with the row above', shortPairs.tightMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(shortPairs.tightMs)), fmt(tightRate), fmtRatio(ratio(tightRate, naiveRate))],
        [`backtestKind.run, blocked simulation, alternated with the next row`, shortBlocks.blockedMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(shortBlocks.blockedMs)), fmt(perSecond(median(shortBlocks.blockedMs))), '–'],
        [`backtestKind.run, one simulate() over the whole series per unit`, shortBlocks.wholeSeriesMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(shortBlocks.wholeSeriesMs)), fmt(perSecond(median(shortBlocks.wholeSeriesMs))), '–'],
        [`backtestKind.run over ${fmt(longBars)} bars (${fmt(combinations.length * longBars)} bar evaluations)`, longMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(longMs)), fmt(longRate), '–'],
        [`backtestKind.run over ${fmt(longBars)} bars, blocked simulation (the default), alternated with the next row`, blockedMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(blockedMs)), fmt((combinations.length * longBars) / (median(blockedMs) / 1000)), '–'],
        [`backtestKind.run over ${fmt(longBars)} bars, one simulate() over the whole series per unit`, wholeSeriesMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(wholeSeriesMs)), fmt((combinations.length * longBars) / (median(wholeSeriesMs) / 1000)), '–'],
        [`tight reference loop over ${fmt(longBars)} bars, alternated with the row above`, longPairs.tightMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(longPairs.tightMs)), fmt(longTightRate), '–'],
        ['backtestKind.run, unrolled scans (CPU time, interleaved with the next row)', unrolledCpuMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(unrolledCpuMs)), fmt(unrolledRate), fmtRatio(ratio(unrolledRate, naiveRate))],
        ['backtestKind.run, plain bar-by-bar scans (setScanUnroll(1); CPU time)', plainCpuMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(plainCpuMs)), fmt(plainRate), fmtRatio(ratio(plainRate, naiveRate))],
        ['backtestKind.run with exit rules (stop_loss 0.02, trailing_stop_atr 3)', exitMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(exitMs)), fmt(exitRate), fmtRatio(ratio(exitRate, naiveRate))],
        ['backtestKind.run, SMA bank built inside the run (cold)', coldMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(coldMs)), fmt(coldRate), fmtRatio(ratio(coldRate, naiveRate))],
        ['naive: window-sum SMAs per combination, bar-by-bar', naiveMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(naiveMs)), fmt(naiveRate), '1×'],
        ['naive with running-sum SMAs (context)', runningMs.map((ms) => fmt(ms)).join(', '), fmtMs(median(runningMs)), fmt(runningRate), fmtRatio(ratio(runningRate, naiveRate))],
        ['signal pass + simulation, unrounded closes (off the tick grid)', offGrid.ms.map((ms) => fmt(ms)).join(', '), fmtMs(median(offGrid.ms)), fmt(offGridRate), fmtRatio(ratio(offGridRate, naiveRate))],
        ['signal pass + simulation, whole-cent closes (exact ties)', onGrid.ms.map((ms) => fmt(ms)).join(', '), fmtMs(median(onGrid.ms)), fmt(onGridRate), fmtRatio(ratio(onGridRate, naiveRate))],
      ],
    ) + '\n',
  );
  process.stdout.write(
    `\nkernel warm-up run (series generation + SMA bank + JIT): ${fmtMs(warmup.ms)}; building the SMA bank alone (${bankBuild.value} periods): ${fmtMs(bankBuild.ms)}\n` +
      `naive baseline agrees with the kernel on ${agree}/${combinations.length} combinations (trades equal; return, Sharpe, drawdown within 1e-9)\n` +
      `kernel ÷ tight loop per pair: ${fmt(bars)} bars ${fmtRatio(median(shortPairs.ratios))} (${pairRange(shortPairs.ratios)}), ${fmt(longBars)} bars ${fmtRatio(median(longPairs.ratios))} (${pairRange(longPairs.ratios)}); ` +
      `whole-series ÷ blocked time per pair: ${fmt(bars)} bars ${fmtRatio(median(shortBlocks.blockRatios))} (${pairRange(shortBlocks.blockRatios)}), ${fmt(longBars)} bars ${fmtRatio(median(blockRatios))} (${pairRange(blockRatios)}); answers identical: ${blocksIdentical}\n` +
      `tight loop's final equity and trades equal to the kernel's on ${shortPairs.agree}/${combinations.length} and ${longPairs.agree}/${combinations.length} combinations\n` +
      `scans: plain ÷ unrolled CPU time per pair ${fmtRatio(median(scanRatios))} (range ${fmtRatio(Math.min(...scanRatios))}–${fmtRatio(Math.max(...scanRatios))}); answers identical: ${scansIdentical}\n`,
  );
  if (agree !== combinations.length) {
    process.stdout.write(`disagreements (first ${disagreements.length}): ${JSON.stringify(disagreements)}\n`);
  }
  process.stdout.write(`\n### every built-in strategy on the SDK: signal pass + simulation, ${bars} bars, one thread, indicator arrays warm\n\n`);
  process.stdout.write(
    markdownTable(
      ['strategy', 'combinations', 'runs (ms)', 'median', 'bar evaluations/s', 'trades'],
      builtIns.map((b) => [b.name, String(b.combinations), b.ms.map((ms) => fmt(ms)).join(', '), fmtMs(median(b.ms)), fmt(b.rate), fmt(b.trades)]),
    ) + '\n',
  );

  const headlines: Headline[] = [
    {
      name: `backtest kernel ÷ tight reference loop (final equity and trades only, same arrays), one thread (${bars} bars × ${combinations.length} combinations)`,
      unit: '×',
      median: median(shortPairs.ratios),
      ratioNote: 'median of the per-pair ratios',
      goal: { op: '>=', value: KERNEL_GOAL_RATIO },
      note: `${KERNEL_RUNS} alternated pairs, ratios ${pairRange(shortPairs.ratios)}; kernel ${fmt(kernelRate)}/s, tight loop ${fmt(tightRate)}/s (medians); loop agrees on ${shortPairs.agree}/${combinations.length}`,
    },
    {
      name: `backtest kernel ÷ tight reference loop, one thread (${longBars} bars × ${combinations.length} combinations)`,
      unit: '×',
      median: median(longPairs.ratios),
      ratioNote: 'median of the per-pair ratios',
      goal: { op: '>=', value: KERNEL_GOAL_RATIO },
      note: `${LONG_RUNS} alternated pairs, ratios ${pairRange(longPairs.ratios)}; kernel ${fmt(longRate)}/s, tight loop ${fmt(longTightRate)}/s (medians); loop agrees on ${longPairs.agree}/${combinations.length}`,
    },
    {
      name: `backtest kernel: bar evaluations/s, one thread (${bars} bars × ${combinations.length} combinations)`,
      unit: 'bar-evals/s',
      median: kernelRate,
      baseline: naiveRate,
      baselineLabel: `naive window-sum sweep (median of ${BASELINE_RUNS})`,
      ratio: ratio(kernelRate, naiveRate),
      note: `median of ${KERNEL_RUNS} after a warm-up (SMA bank cached); baseline agrees on ${agree}/${combinations.length}`,
    },
    {
      name: `backtest kernel: bar evaluations/s, one thread (${longBars} bars × ${combinations.length} combinations)`,
      unit: 'bar-evals/s',
      median: longRate,
      baseline: kernelRate,
      baselineLabel: `the same sweep over ${bars} bars`,
      ratio: ratio(longRate, kernelRate),
      note: `median of ${LONG_RUNS} after a warm-up`,
    },
    {
      name: `backtest kernel over ${longBars} bars, blocked simulation: speed-up over one simulate() per unit over the whole series`,
      unit: '×',
      median: median(blockRatios),
      ratioNote: 'median of the per-pair ratios whole-series ÷ blocked time',
      note: `${LONG_RUNS} alternated pairs, ratios ${pairRange(blockRatios)}; answers identical`,
    },
    {
      name: `backtest kernel over ${bars} bars, blocked simulation (${blockedSimulation(bars) ? 'the default' : 'not the default'}): speed-up over one simulate() per unit over the whole series`,
      unit: '×',
      median: median(shortBlocks.blockRatios),
      ratioNote: 'median of the per-pair ratios whole-series ÷ blocked time',
      note: `${KERNEL_RUNS} alternated pairs, ratios ${pairRange(shortBlocks.blockRatios)}; answers identical`,
    },
    {
      name: 'backtest kernel, unrolled signal scans: bar evaluations/s of CPU time, one thread',
      unit: 'bar-evals/s',
      median: unrolledRate,
      baseline: plainRate,
      baselineLabel: 'the plain bar-by-bar scans (setScanUnroll(1)), interleaved in the same process',
      ratio: ratio(unrolledRate, plainRate),
      note: `median of ${SCAN_PAIRS} pairs; per-pair ratio ${fmtRatio(Math.min(...scanRatios))}–${fmtRatio(Math.max(...scanRatios))}; answers identical`,
    },
    {
      name: 'backtest kernel: bar evaluations/s, SMA bank built inside the run (cold)',
      unit: 'bar-evals/s',
      median: coldRate,
      baseline: naiveRate,
      baselineLabel: `naive window-sum sweep (median of ${BASELINE_RUNS})`,
      ratio: ratio(coldRate, naiveRate),
      note: `median of ${KERNEL_RUNS}`,
    },
    {
      name: 'backtest kernel with exit rules (stop_loss 0.02, trailing_stop_atr 3): bar evaluations/s, one thread',
      unit: 'bar-evals/s',
      median: exitRate,
      baseline: kernelRate,
      baselineLabel: 'the same sweep without exit rules (SMA bank cached)',
      ratio: ratio(exitRate, kernelRate),
      note: `median of ${KERNEL_RUNS} after a warm-up; the check per bar runs only while in a position`,
    },
    {
      name: 'SMA-crossover signal pass + simulation on whole-cent closes (exact ties), one thread',
      unit: 'bar-evals/s',
      median: onGridRate,
      baseline: offGridRate,
      baselineLabel: 'the same loop on the unrounded closes (off the tick grid)',
      ratio: ratio(onGridRate, offGridRate),
      note: `median of ${KERNEL_RUNS} after a warm-up; ${onGrid.trades} trades on cents, ${offGrid.trades} on floats`,
    },
    ...builtIns.map(
      (b): Headline => ({
        name: `${b.name} on the SDK: signal pass + simulation, bar evaluations/s, one thread (${bars} bars × ${b.combinations} combinations)`,
        unit: 'bar-evals/s',
        median: b.rate,
        goal: { op: '>=', value: 100e6 },
        note: `median of ${KERNEL_RUNS}, indicator arrays warm`,
      }),
    ),
  ];
  return {
    headlines,
    details: {
      bars,
      combinations: combinations.length,
      barEvaluations,
      kernelMs,
      kernelColdMs: coldMs,
      kernelExitRulesMs: exitMs,
      kernelExitRulesPerSecond: exitRate,
      scanUnrolledCpuMs: unrolledCpuMs,
      scanPlainCpuMs: plainCpuMs,
      scanRatios,
      longBars,
      longMs,
      longPerSecond: longRate,
      tightMs: shortPairs.tightMs,
      tightPerSecond: tightRate,
      kernelOverTight: shortPairs.ratios,
      tightAgreement: shortPairs.agree,
      longBlockedMs: blockedMs,
      longWholeSeriesMs: wholeSeriesMs,
      longBlockRatios: blockRatios,
      blockedMs: shortBlocks.blockedMs,
      wholeSeriesMs: shortBlocks.wholeSeriesMs,
      blockRatios: shortBlocks.blockRatios,
      longTightMs: longPairs.tightMs,
      longTightPerSecond: longTightRate,
      longKernelOverTight: longPairs.ratios,
      longTightAgreement: longPairs.agree,
      kernelWarmupMs: warmup.ms,
      smaBankBuildMs: bankBuild.ms,
      naiveWindowSumMs: naiveMs,
      naiveRunningSumMs: runningMs,
      kernelPerSecond: kernelRate,
      kernelColdPerSecond: coldRate,
      naivePerSecond: naiveRate,
      naiveRunningSumPerSecond: runningRate,
      wholeCentsMs: onGrid.ms,
      unroundedMs: offGrid.ms,
      wholeCentsPerSecond: onGridRate,
      unroundedPerSecond: offGridRate,
      baselineAgreement: { agree, of: combinations.length, disagreements },
      builtIns,
    },
  };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runBacktestKernel));
}
