import type { Ohlcv } from '../../quant/ohlcv.js';
import { IndicatorCache, SignalBuffer, type StrategyDefinition, type StrategyInputs } from '../../quant/strategies/index.js';

/**
 * What a worker thread keeps between the units and partitions of a backtest: the indicator arrays
 * of the last series (a worker usually runs several partitions of the same job, which share the
 * series through the dataset memo) and buffers reused for every combination. Nothing here changes
 * a result; it only saves recomputation and allocation.
 */
let lastSeries: Ohlcv | null = null;
let lastInputs: StrategyInputs | null = null;
let signals = new SignalBuffer(1);
let marks = new Float64Array(1);

export function inputsFor(series: Ohlcv): StrategyInputs {
  if (lastSeries !== series || lastInputs === null) {
    lastInputs = { open: series.open, high: series.high, low: series.low, close: series.close, indicators: new IndicatorCache(series) };
    lastSeries = series;
  }
  return lastInputs;
}

// What the buffer holds: the last call's arguments (the strategy's own values and `short`).
let signalsDefinition: StrategyDefinition | null = null;
let signalsSeries: Ohlcv | null = null;
let signalsFrom = -1;
let signalsInitial = 0;
let signalsValues = new Float64Array(0);

/**
 * The target changes of one combination over the whole series, in a buffer shared by every call
 * (valid until the next call). `values` holds the swept parameters in sweep order: the strategy's
 * own, `short`, then any exit params (which the strategy does not see). With `from`, only the
 * changes at bars ≥ from, relative to `initial` (a continuation's). A call with the same strategy
 * values as the last one (consecutive combinations of an exit sweep) returns the buffer as it is.
 */
export function signalsOf(definition: StrategyDefinition, series: Ohlcv, values: Float64Array, from = 0, initial = 0): SignalBuffer {
  const own = definition.params.length + 1;
  if (definition === signalsDefinition && series === signalsSeries && from === signalsFrom && initial === signalsInitial && sameValues(values, own)) return signals;
  signalsDefinition = null; // in case the strategy throws
  signals = signals.reset(series.close.length);
  definition.signals(inputsFor(series), values, allowsShort(definition, values), signals, from, initial);
  if (signalsValues.length !== own) signalsValues = new Float64Array(own);
  for (let i = 0; i < own; i++) signalsValues[i] = values[i];
  signalsDefinition = definition;
  signalsSeries = series;
  signalsFrom = from;
  signalsInitial = initial;
  return signals;
}

/** Whether a combination may go short: its `short` value, which follows the strategy's own parameters in sweep order. */
export function allowsShort(definition: StrategyDefinition, values: Float64Array): boolean {
  return values[definition.params.length] === 1;
}

function sameValues(values: Float64Array, own: number): boolean {
  if (signalsValues.length !== own) return false;
  for (let i = 0; i < own; i++) if (!Object.is(values[i], signalsValues[i])) return false;
  return true;
}

/** A scratch array of at least n equity marks (shared; valid until the next call). */
export function marksBuffer(n: number): Float64Array {
  if (marks.length < n) marks = new Float64Array(n);
  return marks;
}
