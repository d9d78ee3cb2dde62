/**
 * What a strategy asks of quantgrid's indicator library. A request is plain data: the arrays are
 * computed outside the strategy's code (outside its sandbox, for a user strategy), once per series
 * and parameter values, and shared read-only by every combination that asks for the same thing.
 */

/** The indicators a strategy may request, each over the series' bars. */
export type IndicatorName = 'sma' | 'ema' | 'rsi' | 'atr' | 'bollinger' | 'macd' | 'priorHigh' | 'priorLow';

export interface IndicatorRequest {
  readonly indicator: IndicatorName;
  /** Its parameters, numbers only (periods, multipliers). */
  readonly args: readonly number[];
  /** Which of its arrays, for indicators with several (bollinger: 0 middle, 1 upper, 2 lower; macd: 0 line, 1 signal). */
  readonly output: number;
}

/** How many numbers each indicator takes and how many arrays it gives. */
export const INDICATOR_SHAPES: Readonly<Record<IndicatorName, { args: number; outputs: number }>> = {
  sma: { args: 1, outputs: 1 },
  ema: { args: 1, outputs: 1 },
  rsi: { args: 1, outputs: 1 },
  atr: { args: 1, outputs: 1 },
  bollinger: { args: 2, outputs: 3 },
  macd: { args: 3, outputs: 2 },
  priorHigh: { args: 1, outputs: 1 },
  priorLow: { args: 1, outputs: 1 },
};

function request(indicator: IndicatorName, args: number[], output = 0): IndicatorRequest {
  return { indicator, args, output };
}

/** Simple moving average of the closes (NaN for the first period − 1 bars). */
export const sma = (period: number): IndicatorRequest => request('sma', [period]);
/** Exponential moving average of the closes, seeded with the mean of the first `period` closes. */
export const ema = (period: number): IndicatorRequest => request('ema', [period]);
/** Wilder's RSI of the closes (0..100; NaN before bar `period`). */
export const rsi = (period: number): IndicatorRequest => request('rsi', [period]);
/** Wilder's average true range (NaN for the first period − 1 bars). */
export const atr = (period: number): IndicatorRequest => request('atr', [period]);
/** Bollinger bands of the closes: SMA(period) and SMA ± k standard deviations. */
export const bollingerMiddle = (period: number, k: number): IndicatorRequest => request('bollinger', [period, k], 0);
export const bollingerUpper = (period: number, k: number): IndicatorRequest => request('bollinger', [period, k], 1);
export const bollingerLower = (period: number, k: number): IndicatorRequest => request('bollinger', [period, k], 2);
/** MACD line EMA(fast) − EMA(slow), and its signal line EMA(signal) of the line. */
export const macdLine = (fast: number, slow: number, signal: number): IndicatorRequest => request('macd', [fast, slow, signal], 0);
export const macdSignal = (fast: number, slow: number, signal: number): IndicatorRequest => request('macd', [fast, slow, signal], 1);
/** Highest high of the `period` bars before each bar (NaN for t < period). */
export const priorHigh = (period: number): IndicatorRequest => request('priorHigh', [period]);
/** Lowest low of the `period` bars before each bar (NaN for t < period). */
export const priorLow = (period: number): IndicatorRequest => request('priorLow', [period]);

/** The one text naming a request (cache key on both sides of a sandbox). */
export function requestKey(r: IndicatorRequest): string {
  return `${r.indicator}(${r.args.join(',')})#${r.output}`;
}
