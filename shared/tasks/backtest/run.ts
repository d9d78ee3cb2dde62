import { loadSeries } from '../../quant/dataset.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { gridRegime } from '../../quant/indicators/grid-regime.js';
import { EquityAccumulator, riskFreePerPeriod } from '../../quant/metrics.js';
import { ExecutionState } from '../../quant/strategies/execution-state.js';
import { SignalBuffer, simulate, strategyDefinition, type StrategyDefinition } from '../../quant/strategies/index.js';
import type { SignalPass } from '../../quant/strategies/types.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import type { RunContext } from '../task-kind.js';
import { CHECKPOINT_BYTES, decodeCheckpoint, encodeCheckpoint, seriesFingerprint, unitFingerprint, unitPrefix, type UnitIdentity } from './checkpoint.js';
import { sampleCurve, type EquityCurve } from './equity-curve.js';
import { allowsShort, inputsFor, marksBuffer, signalsOf } from './evaluation.js';
import { SweepExits } from './exit-params.js';
import { blockedSimulation, SimulationGroup } from './blocked-simulation.js';
import type { BacktestPartition } from './plan.js';
import { meetsConstraints, objectiveKey } from './objective.js';
import { TopRows, type BacktestRow } from './ranking.js';
import { aggregateSkipReason, sweepOf, type BacktestSpec } from './spec.js';
import { runWalkForwardPartition, type WalkForwardPartial } from './walk-forward-run.js';

/** A row of the full table: every evaluated unit, with whether it met the constraints. */
export interface BacktestTableRow extends BacktestRow {
  meetsConstraints: boolean;
}

/**
 * A partition's answer (plain JSON). Rankings only ever hold rows that met every constraint.
 *   rows       its best rows over all symbols (ranked, at most topN)
 *   perSymbol  (jobs of 2+ symbols) each touched symbol's best rows (ranked, at most topN)
 *   scores     (when the job has an aggregate) every unit's objective value in unit order from
 *              `first`: a number, null when undefined, false when the row missed a constraint
 *   table      (full_table) every row in unit order from `first`
 *   curves     the equity curves of its best spec.equityCurves rows (in `rows` order)
 *   walkForward (walk-forward jobs, which have no rows) its windows' in-sample winners
 *   checkpoints (sweeps) every evaluated unit's checkpoint at its last bar, in unit order from
 *              `first`: base64 of `evaluated` CHECKPOINT_BYTES records (checkpoint.ts), for the
 *              next run on a longer version of the dataset (partition.resume.checkpoints)
 *   incremental how the units ran: continued from a checkpoint, rejected a checkpoint given for
 *              them (mismatch: ran from bar 0), and the bars the partition's units simulated
 */
export interface BacktestPartial {
  first: number;
  evaluated: number;
  /** Rows that missed a constraint. */
  excluded: number;
  rows: BacktestRow[];
  perSymbol?: Record<string, BacktestRow[]>;
  scores?: Array<number | null | false>;
  table?: BacktestTableRow[];
  curves?: EquityCurve[];
  walkForward?: WalkForwardPartial;
  checkpoints?: string;
  incremental?: IncrementalCounts;
}

/** Per partition: units that continued from a checkpoint, units whose checkpoint was rejected, bars simulated in all. */
export interface IncrementalCounts {
  continued: number;
  rejected: number;
  /** Σ over the partition's units of the bars each simulated (a continued unit: only the new ones). */
  simulatedBars: number;
}

export const PROGRESS_EVERY = 8;

/** The equity curves of rows (their whole series, sampled), recomputed from their parameters. */
function curvesOf(spec: BacktestSpec, rows: readonly BacktestRow[], names: readonly string[], tau: number): EquityCurve[] {
  const definition = strategyDefinition(spec.strategy) as StrategyDefinition;
  const costs = { feeBps: spec.feeBps, slippageBps: spec.slippageBps };
  const acc = new EquityAccumulator();
  const values = new Float64Array(names.length);
  const exits = new SweepExits(names);
  return rows.slice(0, spec.equityCurves).map((row) => {
    const series = loadSeries(spec.dataset, row.symbol, spec.timeframe);
    names.forEach((name, i) => (values[i] = row.params[name]));
    const n = series.close.length;
    const marks = marksBuffer(n);
    simulate(series.open, series.close, signalsOf(definition, series, values), costs, acc, tau, marks, null, null, exits.exitsOf(values, series));
    const sampled = sampleCurve(marks, n, spec.equityPoints);
    return { symbol: row.symbol, params: row.params, bar: sampled.bar, time: sampled.bar.map((t) => series.time[t]), equity: sampled.equity };
  });
}

export function runBacktestPartition(spec: BacktestSpec, partition: BacktestPartition, context: RunContext): BacktestPartial {
  if (spec.walkForward) return runWalkForwardPartition(spec, partition, context);
  const definition = strategyDefinition(spec.strategy) as StrategyDefinition;
  const sweep = sweepOf(spec);
  const names = sweep.names;
  const perSymbol = spec.combinations;
  const annualPeriods = periodsPerYear(spec.timeframe, spec.yearDays);
  const tau = riskFreePerPeriod(spec.riskFree, annualPeriods);
  const costs = { feeBps: spec.feeBps, slippageBps: spec.slippageBps };
  const key = objectiveKey(spec.objective);
  const constraints = spec.constraints;
  const top = new TopRows(spec.topN, names, key);
  const bySymbol = spec.symbols.length > 1 ? new Map<string, TopRows>() : null;
  const scores: Array<number | null | false> | null = aggregateSkipReason(spec) === null ? [] : null;
  const table: BacktestTableRow[] | null = spec.fullTable ? [] : null;
  const acc = new EquityAccumulator();
  const values = new Float64Array(names.length);
  const exits = new SweepExits(names);
  const end = partition.first + partition.count;
  const group = new SimulationGroup();
  const groupValues: Float64Array[] = []; // per unit of the group: its values and fingerprint
  const groupHashes: number[] = [];

  // Checkpoints: those given (one record per unit of the partition) and those left (per evaluated unit).
  const given = partition.resume?.checkpoints ? Buffer.from(partition.resume.checkpoints, 'base64') : null;
  const left = new Uint8Array(partition.count * CHECKPOINT_BYTES);
  const from = new ExecutionState();
  const state = new ExecutionState();
  const identity: UnitIdentity = { strategy: spec.strategy, symbol: '', values, regime: 0, feeBps: spec.feeBps, slippageBps: spec.slippageBps, riskFreePerPeriod: tau };
  const periodIndexes = definition.params.flatMap((schema, i) => (schema.period ? [i] : []));
  const periods = new Float64Array(periodIndexes.length);
  const incremental = { continued: 0, rejected: 0, simulatedBars: 0 };
  let prefixSymbol = -1; // the symbol whose fingerprint prefix and data hash these are
  let prefix = 0;
  let dataHash = 0;

  const paramsOf = (): Record<string, number> => {
    const params: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) params[names[i]] = values[i];
    return params;
  };
  const answer = (): BacktestPartial => {
    const partial: BacktestPartial = { first: partition.first, evaluated, excluded, rows: top.result() };
    if (spec.equityCurves > 0 && !context.isCancelled()) partial.curves = curvesOf(spec, partial.rows, names, tau);
    if (bySymbol) partial.perSymbol = Object.fromEntries([...bySymbol].map(([symbol, rows]) => [symbol, rows.result()]));
    if (scores) partial.scores = scores;
    if (table) partial.table = table;
    partial.checkpoints = Buffer.from(left.buffer, 0, evaluated * CHECKPOINT_BYTES).toString('base64');
    partial.incremental = incremental;
    return partial;
  };

  let evaluated = 0;
  let excluded = 0;
  let series!: Ohlcv;
  let symbol = '';
  let unitHash = 0;
  type Outcome = ReturnType<typeof decodeCheckpoint> | 'none';
  let outcome = 'none' as Outcome;

  /** Unit `unit`: its series, symbol and values, its fingerprint and checkpoint (into `from` when continued). */
  const prepare = (unit: number): void => {
    const symbolIndex = Math.floor(unit / perSymbol);
    symbol = spec.symbols[symbolIndex];
    series = loadSeries(spec.dataset, symbol, spec.timeframe);
    const n = series.close.length;
    if (symbolIndex !== prefixSymbol) {
      prefixSymbol = symbolIndex;
      identity.symbol = symbol;
      prefix = unitPrefix(spec.strategy, symbol, identity);
      dataHash = seriesFingerprint(series, n);
    }
    sweep.decode(unit - symbolIndex * perSymbol, values);
    for (let i = 0; i < periods.length; i++) periods[i] = values[periodIndexes[i]];
    identity.regime = gridRegime(inputsFor(series).indicators.closeGrid(), periods);
    unitHash = unitFingerprint(identity, prefix);
    outcome = given === null ? 'none' : decodeCheckpoint(given, (unit - partition.first) * CHECKPOINT_BYTES, unitHash, series, from);
  };
  /** Counts the prepared unit as simulated (once per unit). */
  const countUnit = (): void => {
    if (outcome === 'continued') incremental.continued++;
    else if (outcome === 'rejected') incremental.rejected++;
    incremental.simulatedBars += outcome === 'continued' ? series.close.length - from.bars : series.close.length;
  };
  /** The target changes of the prepared unit (from its checkpoint's bar when continued). */
  const unitSignals = () => (outcome === 'continued' ? signalsOf(definition, series, values, from.bars, from.target) : signalsOf(definition, series, values));
  /** The prepared unit simulated: its checkpoint, metrics and rows (its totals in acc, its state in `final`). */
  const finish = (final: ExecutionState): void => {
    encodeCheckpoint(final, unitHash, dataHash, left, evaluated * CHECKPOINT_BYTES);
    const metrics = acc.extendedMetrics(annualPeriods);
    const meets = meetsConstraints(metrics, constraints);
    const score = metrics[key];
    if (table) table.push({ symbol, params: paramsOf(), ...metrics, meetsConstraints: meets });
    if (scores) scores.push(meets ? score : false);
    if (!meets) {
      excluded++;
    } else {
      let row: BacktestRow | null = null;
      if (top.wouldKeep(score, symbol, values)) top.add((row = { symbol, params: paramsOf(), ...metrics }));
      if (bySymbol) {
        let own = bySymbol.get(symbol);
        if (!own) bySymbol.set(symbol, (own = new TopRows(spec.topN, names, key)));
        if (own.wouldKeep(score, symbol, values)) own.add(row ?? { symbol, params: paramsOf(), ...metrics });
      }
    }
    evaluated++;
  };

  for (let unit = partition.first; unit < end; ) {
    prepare(unit);
    if (!blockedSimulation(series.close.length)) {
      countUnit();
      const unitExits = exits.exitsOf(values, series);
      simulate(series.open, series.close, unitSignals(), costs, acc, tau, null, outcome === 'continued' ? from : null, state, unitExits);
      finish(state);
      unit++;
      if (evaluated % PROGRESS_EVERY === 0) {
        context.reportProgress(evaluated / partition.count);
        // A cancelled partition's answer is discarded; stop early (as the noop kind does).
        if (context.isCancelled()) return answer();
      }
      continue;
    }
    // A long series: the units of this symbol from here, as many as a group holds, simulated
    // block by block (blocked-simulation.ts), then finished in unit order.
    const groupSeries = series;
    const symbolEnd = Math.min(end, (Math.floor(unit / perSymbol) + 1) * perSymbol);
    group.reset();
    const inputs = inputsFor(groupSeries);
    // The prepared unit's signals in the group: its signal pass (tiled) when the strategy has them
    // and the group can hold its arrays (null when it cannot: the unit starts the next group), else
    // its changes over the whole series (also for a pass whose arrays alone exceed the budget).
    const groupSignals = (): SignalBuffer | SignalPass | null => {
      const pass = definition.prepareSignals?.(inputs, values, allowsShort(definition, values), outcome === 'continued' ? from.bars : 0);
      if (pass === undefined) return unitSignals();
      if (group.admits(pass, inputs.indicators.budgetBytes)) return pass;
      return group.size === 0 ? unitSignals() : null;
    };
    let signals = groupSignals()!; // an empty group takes any unit
    for (;;) {
      countUnit();
      const i = group.size;
      group.add(signals, outcome === 'continued' ? from : null, exits.exitsOf(values, series));
      if (groupValues.length <= i) groupValues.push(new Float64Array(values.length));
      groupValues[i].set(values);
      groupHashes[i] = unitHash;
      unit++;
      if (unit >= symbolEnd) break;
      prepare(unit);
      const next = groupSignals();
      if (next === null || (next instanceof SignalBuffer && !group.fits(next.count))) break; // this unit starts the next group
      signals = next;
    }
    const doneBefore = evaluated;
    const ran = group.run(
      groupSeries.open,
      groupSeries.close,
      costs,
      acc,
      tau,
      (i) => {
        values.set(groupValues[i]);
        unitHash = groupHashes[i];
        finish(group.state(i));
      },
      (fraction) => {
        context.reportProgress((doneBefore + fraction * group.size) / partition.count);
        return !context.isCancelled();
      },
    );
    if (!ran) return answer();
    // `unit` is the next group's first unit, prepared above (prepared again at the loop's top).
  }
  context.reportProgress(1);
  return answer();
}
