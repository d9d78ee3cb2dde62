import { EquityAccumulator, riskFreePerPeriod, type ExtendedMetrics } from '../../quant/metrics.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import { sampleCurve, type SampledCurve } from './equity-curve.js';
import { objectiveKey, type Objective } from './objective.js';
import { sweepOf, type BacktestSpec, type WalkForwardSpec } from './spec.js';
import { compareCandidates, windowBounds, type OutOfSampleRun, type WalkForwardPartial, type WindowCandidate, type WindowEntry } from './walk-forward-run.js';

/** One walk-forward window of one symbol: bars are [from, to) of the whole series. */
export interface WalkForwardWindowResult {
  window: number;
  inSample: { from: number; to: number; fromTime: string };
  outOfSample: { from: number; to: number; fromTime: string; lastTime: string };
  /** Combinations evaluated in sample, and those that missed a constraint. */
  evaluated: number;
  excludedByConstraints: number;
  /** The combination chosen in sample; null when none met the constraints (the window then stays in cash). */
  params: Record<string, number> | null;
  inSampleMetrics: ExtendedMetrics | null;
  outOfSampleMetrics: ExtendedMetrics;
}

export interface WalkForwardSymbolResult {
  symbol: string;
  windows: WalkForwardWindowResult[];
  /** Metrics of the stitched out-of-sample equity curve (all windows, one account). */
  outOfSample: ExtendedMetrics;
  /** The stitched out-of-sample curve, sampled; bars of the whole series. */
  equity: SampledCurve;
}

export interface WalkForwardResult {
  inSampleBars: number;
  outOfSampleBars: number;
  anchored: boolean;
  windows: number;
  /** Bars traded out of sample: [from, to). */
  from: number;
  to: number;
  symbols: WalkForwardSymbolResult[];
  /** Jobs of 2+ symbols: the out-of-sample objective averaged over symbols (null if any is null). */
  aggregate?: { objective: Objective; mean: number | null; values: Record<string, number | null> };
}

function flatRun(bars: number, annualPeriods: number, tau: number): OutOfSampleRun {
  const acc = new EquityAccumulator().reset(1, tau);
  for (let t = 0; t < bars; t++) acc.mark(1, false);
  return { metrics: acc.extendedMetrics(annualPeriods), equity: new Array<number>(bars).fill(1), exposedBars: 0, trades: 0, closedTrades: 0, wins: 0, grossProfit: 0, grossLoss: 0, tradeReturnSum: 0 };
}

/**
 * The out-of-sample windows chained into one account: window w starts with the cash window w − 1
 * ended with (every window ends in cash), so its marks are scaled by that amount. Per-bar returns
 * are the windows' own (a window boundary adds a zero return), drawdowns run across windows, and
 * trade cash amounts are scaled like the marks.
 */
function stitch(runs: readonly OutOfSampleRun[], annualPeriods: number, tau: number): { metrics: ExtendedMetrics; marks: Float64Array } {
  const total = runs.reduce((sum, run) => sum + run.equity.length, 0);
  const marks = new Float64Array(total);
  const acc = new EquityAccumulator().reset(1, tau);
  let scale = 1;
  let at = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  for (const run of runs) {
    for (const mark of run.equity) {
      const equity = scale * mark;
      marks[at++] = equity;
      acc.mark(equity, false);
    }
    grossProfit += scale * run.grossProfit;
    grossLoss += scale * run.grossLoss;
    scale *= run.equity[run.equity.length - 1];
  }
  acc.longBars = runs.reduce((sum, run) => sum + run.exposedBars, 0);
  acc.trades = runs.reduce((sum, run) => sum + run.trades, 0);
  acc.closedTrades = runs.reduce((sum, run) => sum + run.closedTrades, 0);
  acc.wins = runs.reduce((sum, run) => sum + run.wins, 0);
  acc.tradeReturnSum = runs.reduce((sum, run) => sum + run.tradeReturnSum, 0);
  acc.grossProfit = grossProfit;
  acc.grossLoss = grossLoss;
  return { metrics: acc.extendedMetrics(annualPeriods), marks };
}

/**
 * Exact for any partitioning: a (symbol, window)'s in-sample winner is the first in a total order
 * (objective, then parameters), each partition sends the first of those it evaluated with its
 * out-of-sample run, and the merge takes the first of the partitions' candidates. The stitching
 * is then done here, once, in window order.
 */
export function mergeWalkForward(spec: BacktestSpec, partials: ReadonlyArray<{ walkForward?: WalkForwardPartial }>): WalkForwardResult {
  const walkForward = spec.walkForward as WalkForwardSpec;
  const names = sweepOf(spec).names;
  const key = objectiveKey(spec.objective);
  const annualPeriods = periodsPerYear(spec.timeframe, spec.yearDays);
  const tau = riskFreePerPeriod(spec.riskFree, annualPeriods);
  const W = walkForward.windows;

  type Merged = { evaluated: number; excluded: number; times: WindowEntry['times']; best: WindowCandidate | null };
  const merged = new Map<string, Merged[]>(spec.symbols.map((symbol) => [symbol, new Array<Merged>(W)]));
  for (const partial of partials) {
    for (const entry of partial.walkForward?.windows ?? []) {
      const slots = merged.get(entry.symbol);
      if (!slots || !(entry.window >= 0 && entry.window < W)) throw new Error(`walk-forward merge: unexpected window ${entry.symbol} #${entry.window}`);
      const slot = slots[entry.window];
      if (!slot) {
        slots[entry.window] = { evaluated: entry.evaluated, excluded: entry.excluded, times: entry.times, best: entry.best };
        continue;
      }
      slot.evaluated += entry.evaluated;
      slot.excluded += entry.excluded;
      const best = entry.best;
      if (best && (slot.best === null || compareCandidates({ score: best.inSample[key], params: best.params }, { score: slot.best.inSample[key], params: slot.best.params }, names) < 0)) {
        slot.best = best;
      }
    }
  }

  const first = windowBounds(walkForward, 0);
  const symbols = spec.symbols.map((symbol): WalkForwardSymbolResult => {
    const slots = merged.get(symbol) as Merged[];
    const runs: OutOfSampleRun[] = [];
    const windows = Array.from({ length: W }, (_, w): WalkForwardWindowResult => {
      const slot = slots[w];
      if (!slot || slot.evaluated !== spec.combinations) {
        throw new Error(`walk-forward merge: ${symbol} window ${w} has ${slot?.evaluated ?? 0} of ${spec.combinations} combinations`);
      }
      const bounds = windowBounds(walkForward, w);
      const run = slot.best?.outOfSample ?? flatRun(walkForward.outOfSampleBars, annualPeriods, tau);
      runs.push(run);
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        window: w,
        inSample: { from: bounds.inSampleFrom, to: bounds.inSampleTo, fromTime: iso(slot.times[0]) },
        outOfSample: { from: bounds.outOfSampleFrom, to: bounds.outOfSampleTo, fromTime: iso(slot.times[1]), lastTime: iso(slot.times[2]) },
        evaluated: slot.evaluated,
        excludedByConstraints: slot.excluded,
        params: slot.best ? Object.fromEntries(names.map((name) => [name, (slot.best as WindowCandidate).params[name]])) : null,
        inSampleMetrics: slot.best?.inSample ?? null,
        outOfSampleMetrics: run.metrics,
      };
    });
    const stitched = stitch(runs, annualPeriods, tau);
    return { symbol, windows, outOfSample: stitched.metrics, equity: sampleCurve(stitched.marks, stitched.marks.length, spec.equityPoints, first.outOfSampleFrom) };
  });

  const result: WalkForwardResult = {
    inSampleBars: walkForward.inSampleBars,
    outOfSampleBars: walkForward.outOfSampleBars,
    anchored: walkForward.anchored,
    windows: W,
    from: first.outOfSampleFrom,
    to: first.outOfSampleFrom + W * walkForward.outOfSampleBars,
    symbols,
  };
  if (spec.symbols.length > 1) {
    const values: Record<string, number | null> = {};
    let sum = 0;
    let anyNull = false;
    for (const own of symbols) {
      const value = own.outOfSample[key];
      values[own.symbol] = value;
      if (value === null) anyNull = true;
      else sum += value;
    }
    result.aggregate = { objective: spec.objective, mean: anyNull ? null : sum / symbols.length, values };
  }
  return result;
}
