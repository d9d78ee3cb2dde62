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

/**
 * The target changes of one combination over the whole series, in a buffer shared by every call
 * (valid until the next call). `values` holds the swept parameters in sweep order, `short` last.
 * With `from`, only the changes at bars ≥ from, relative to `initial` (a continuation's).
 */
export function signalsOf(definition: StrategyDefinition, series: Ohlcv, values: Float64Array, from = 0, initial = 0): SignalBuffer {
  signals = signals.reset(series.close.length);
  definition.signals(inputsFor(series), values, values[values.length - 1] === 1, signals, from, initial);
  return signals;
}

/** A scratch array of at least n equity marks (shared; valid until the next call). */
export function marksBuffer(n: number): Float64Array {
  if (marks.length < n) marks = new Float64Array(n);
  return marks;
}
