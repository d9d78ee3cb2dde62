import { loadSeries } from '../../quant/dataset.js';
import { EquityAccumulator, riskFreePerPeriod, type ExtendedMetrics } from '../../quant/metrics.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { SignalBuffer, simulate, strategyDefinition, type StrategyDefinition } from '../../quant/strategies/index.js';
import { exitsWindow, type Exits } from '../../quant/strategies/exits.js';
import { windowSignals } from '../../quant/strategies/windows.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import type { RunContext } from '../task-kind.js';
import { marksBuffer, signalsOf } from './evaluation.js';
import { SweepExits } from './exit-params.js';
import type { BacktestPartition } from './plan.js';
import { meetsConstraints, objectiveKey } from './objective.js';
import { compareParams, compareScores } from './ranking.js';
import { sweepOf, type BacktestSpec, type WalkForwardSpec } from './spec.js';

/**
 * Walk-forward units are numbered symbol-major, then combination, then window:
 * unit = (symbol·C + combination)·W + window. Consecutive units share a combination, so its
 * signals over the whole series are computed once for all its windows.
 */
export interface WindowBounds {
  inSampleFrom: number;
  /** = outOfSampleFrom */
  inSampleTo: number;
  outOfSampleFrom: number;
  outOfSampleTo: number;
}

export function windowBounds(walkForward: WalkForwardSpec, window: number): WindowBounds {
  const outOfSampleFrom = walkForward.inSampleBars + window * walkForward.outOfSampleBars;
  return {
    inSampleFrom: walkForward.anchored ? 0 : window * walkForward.outOfSampleBars,
    inSampleTo: outOfSampleFrom,
    outOfSampleFrom,
    outOfSampleTo: outOfSampleFrom + walkForward.outOfSampleBars,
  };
}

/** A combination traded over one out-of-sample window, starting with 1 in cash and ending in cash. */
export interface OutOfSampleRun {
  metrics: ExtendedMetrics;
  /** The close mark of every bar of the window. */
  equity: number[];
  /** What the stitched curve's metrics need besides the marks (cash amounts relative to the window's start). */
  exposedBars: number;
  trades: number;
  closedTrades: number;
  wins: number;
  grossProfit: number;
  grossLoss: number;
  tradeReturnSum: number;
}

/** The best combination in sample of one (symbol, window) among those a partition evaluated. */
export interface WindowCandidate {
  params: Record<string, number>;
  inSample: ExtendedMetrics;
  outOfSample: OutOfSampleRun;
}

/** What a partition saw of one (symbol, window). */
export interface WindowEntry {
  symbol: string;
  window: number;
  /** Combinations evaluated in sample, and those of them that missed a constraint. */
  evaluated: number;
  excluded: number;
  /** Open times (ms) of the in-sample window's first bar, the out-of-sample window's first and last bar. */
  times: [number, number, number];
  best: WindowCandidate | null;
}

export interface WalkForwardPartial {
  windows: WindowEntry[];
}

/** The in-sample order: the objective descending (null last), then the parameters ascending in sweep order. */
export function compareCandidates(a: { score: number | null; params: Record<string, number> }, b: { score: number | null; params: Record<string, number> }, names: readonly string[]): number {
  return compareScores(a.score, b.score) || compareParams(a.params, b.params, names);
}

let windowBuffer = new SignalBuffer(1);

/** Trades `values` over one out-of-sample window (positions sold at the open of its last bar). */
function outOfSampleRun(
  definition: StrategyDefinition,
  series: Ohlcv,
  values: Float64Array,
  bounds: WindowBounds,
  spec: BacktestSpec,
  tau: number,
  annualPeriods: number,
  exits: SweepExits,
): OutOfSampleRun {
  const { outOfSampleFrom: from, outOfSampleTo: to } = bounds;
  const n = to - from;
  windowBuffer = windowSignals(signalsOf(definition, series, values), from, to, true, windowBuffer);
  const marks = marksBuffer(n);
  const acc = simulate(series.open.subarray(from, to), series.close.subarray(from, to), windowBuffer, spec, new EquityAccumulator(), tau, marks, null, null, exitsWindow(exits.exitsOf(values, series), from, to));
  return {
    metrics: acc.extendedMetrics(annualPeriods),
    equity: Array.from(marks.subarray(0, n)),
    exposedBars: acc.longBars,
    trades: acc.trades,
    closedTrades: acc.closedTrades,
    wins: acc.wins,
    grossProfit: acc.grossProfit,
    grossLoss: acc.grossLoss,
    tradeReturnSum: acc.tradeReturnSum,
  };
}

interface Leader {
  score: number | null;
  params: Record<string, number>;
  values: Float64Array;
  inSample: ExtendedMetrics;
}

export function runWalkForwardPartition(spec: BacktestSpec, partition: BacktestPartition, context: RunContext): { first: number; evaluated: number; excluded: number; rows: []; walkForward: WalkForwardPartial } {
  const walkForward = spec.walkForward as WalkForwardSpec;
  const definition = strategyDefinition(spec.strategy) as StrategyDefinition;
  const sweep = sweepOf(spec);
  const names = sweep.names;
  const windows = walkForward.windows;
  const combinations = spec.combinations;
  const annualPeriods = periodsPerYear(spec.timeframe, spec.yearDays);
  const tau = riskFreePerPeriod(spec.riskFree, annualPeriods);
  const key = objectiveKey(spec.objective);
  const acc = new EquityAccumulator();
  const values = new Float64Array(names.length);
  const exits = new SweepExits(names);
  const bounds = Array.from({ length: windows }, (_, w) => windowBounds(walkForward, w));

  // Per (symbol, window) touched, in unit order of first touch: counts and the leader so far.
  const entries = new Map<number, { symbolIndex: number; window: number; evaluated: number; excluded: number; leader: Leader | null }>();
  let evaluated = 0;
  let excluded = 0;
  let signalsKey = -1; // symbol·C + combination whose whole-series signals are in `full`
  let full: SignalBuffer | null = null;
  let series: Ohlcv | null = null;
  let runExits: Exits | null = null; // the exits of that combination on that series
  const end = partition.first + partition.count;
  // An incremental re-run: the windows below firstWindow are the previous job's (walk-forward-reuse.ts).
  const firstWindow = partition.resume?.firstWindow ?? 0;

  for (let unit = partition.first; unit < end; unit++) {
    const window = unit % windows;
    if (window < firstWindow) continue;
    const run = (unit - window) / windows;
    const symbolIndex = Math.floor(run / combinations);
    if (run !== signalsKey) {
      series = loadSeries(spec.dataset, spec.symbols[symbolIndex], spec.timeframe);
      sweep.decode(run - symbolIndex * combinations, values);
      full = signalsOf(definition, series, values);
      runExits = exits.exitsOf(values, series);
      signalsKey = run;
    }
    const s = series as Ohlcv;
    const { inSampleFrom: from, inSampleTo: to } = bounds[window];
    windowBuffer = windowSignals(full as SignalBuffer, from, to, false, windowBuffer);
    simulate(s.open.subarray(from, to), s.close.subarray(from, to), windowBuffer, spec, acc, tau, null, null, null, exitsWindow(runExits, from, to));
    const metrics = acc.extendedMetrics(annualPeriods);

    const entryKey = symbolIndex * windows + window;
    let entry = entries.get(entryKey);
    if (!entry) entries.set(entryKey, (entry = { symbolIndex, window, evaluated: 0, excluded: 0, leader: null }));
    entry.evaluated++;
    evaluated++;
    if (!meetsConstraints(metrics, spec.constraints)) {
      entry.excluded++;
      excluded++;
    } else {
      const params: Record<string, number> = {};
      names.forEach((name, i) => (params[name] = values[i]));
      const candidate = { score: metrics[key], params };
      if (entry.leader === null || compareCandidates(candidate, entry.leader, names) < 0) {
        entry.leader = { score: metrics[key], params, values: values.slice(), inSample: metrics };
      }
    }
    if (evaluated % 8 === 0) {
      context.reportProgress(evaluated / partition.count);
      if (context.isCancelled()) break;
    }
  }

  // The leaders trade their out-of-sample windows.
  const out: WindowEntry[] = [];
  for (const entry of entries.values()) {
    const symbol = spec.symbols[entry.symbolIndex];
    const s = loadSeries(spec.dataset, symbol, spec.timeframe);
    const b = bounds[entry.window];
    const leader = entry.leader;
    out.push({
      symbol,
      window: entry.window,
      evaluated: entry.evaluated,
      excluded: entry.excluded,
      times: [s.time[b.inSampleFrom], s.time[b.outOfSampleFrom], s.time[b.outOfSampleTo - 1]],
      best:
        leader === null || context.isCancelled()
          ? null
          : { params: leader.params, inSample: leader.inSample, outOfSample: outOfSampleRun(definition, s, leader.values, b, spec, tau, annualPeriods, exits) },
    });
  }
  context.reportProgress(1);
  return { first: partition.first, evaluated, excluded, rows: [], walkForward: { windows: out } };
}
