import { atrSeed, atrStep } from '../../quant/indicators/atr.js';
import { bollinger } from '../../quant/indicators/bollinger.js';
import { emaAlpha, emaSeed, emaStep, exactEmaSeed } from '../../quant/indicators/ema.js';
import { macd, macdSeed, macdSeedBar, macdStep, type MacdState } from '../../quant/indicators/macd.js';
import { obvStep } from '../../quant/indicators/obv.js';
import { rsiSeed, rsiStep, rsiValue, type WilderAverages } from '../../quant/indicators/rsi.js';
import { sma } from '../../quant/indicators/sma.js';
import { rawStochasticAt, stochastic } from '../../quant/indicators/stochastic.js';
import { resyncInterval } from '../../quant/indicators/common.js';
import { extendTickGridScan, scanTickGrid, tickGrid, tickGridOfScan, type TickGrid, type TickGridScan } from '../../quant/indicators/tick-grid.js';
import { vwapStep, type VwapSums } from '../../quant/indicators/vwap.js';
import { wma } from '../../quant/indicators/wma.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { rowOf, SETTINGS, type LatestValues, type MarketAnalysisRow } from './analyse.js';
import { dataFingerprint, decodeCheckpoint, encodeCheckpoint, unitFingerprint, type IndicatorStates, type MarketAnalysisCheckpoint, type WarmUps } from './checkpoint.js';
import type { IndicatorName } from './spec.js';

/** The bar of each carried indicator's first value (its state exists from there on), for SETTINGS. */
export const WARM_UPS: WarmUps = {
  rsi: SETTINGS.rsi.period,
  macd: macdSeedBar(SETTINGS.macd.fast, SETTINGS.macd.slow, SETTINGS.macd.signal),
  ema: SETTINGS.ema.period - 1,
  atr: SETTINGS.atr.period - 1,
  obv: 0,
  vwap: 0,
  stochastic: SETTINGS.stochastic.period + SETTINGS.stochastic.smoothing - 2,
};

/** Whether the unit's indicators need the closes' tick grid (exact window means, exact EMA seeds). */
export function needsGrid(indicators: readonly IndicatorName[]): boolean {
  return indicators.includes('sma') || indicators.includes('bollinger') || indicators.includes('ema') || indicators.includes('macd');
}

/**
 * The arithmetic regime of the carried states on a series: whether each EMA (EMA's, MACD's fast and
 * slow) is seeded with the exact mean (exactEmaSeed: on the closes' tick grid, for its period). Every
 * later value goes on from the seed, so a checkpoint is valid only on a series of the same regime
 * (a grown series can leave it: a close on no grid, a price too large for exact sums); it is part
 * of the unit fingerprint. The windowed indicators carry nothing, so their regime does not enter.
 */
export function arithmeticRegime(grid: TickGrid | null, indicators: readonly IndicatorName[]): number {
  const { ema, macd } = SETTINGS;
  let regime = 0;
  if (indicators.includes('ema') && exactEmaSeed(grid, ema.period, 0)) regime |= 1;
  if (indicators.includes('macd') && exactEmaSeed(grid, macd.fast, 0)) regime |= 2;
  if (indicators.includes('macd') && exactEmaSeed(grid, macd.slow, 0)) regime |= 4;
  return regime;
}

/** Units a continuing unit's indicators read at the start of the series (the EMAs' exact seeds) and before its last bar (the windows, and the re-summing replay: ≤ max(1024, period) + period). */
const GRID_HEAD = 64;
const GRID_TAIL = 1100;

/**
 * The closes' tick grid over the whole series (as tickGrid(close) ?? null) and the grid scan over
 * bars [0, leave) for the checkpoint, from the scan over [0, from) a checkpoint kept: O(new bars)
 * while the new closes need no more decimals (the grid's units then written only where the
 * indicators read them: GRID_HEAD, GRID_TAIL), else both scanned from bar 0. Null and undefined
 * when the indicators need no grid.
 */
export function closesGrid(close: ArrayLike<number>, indicators: readonly IndicatorName[], kept: TickGridScan | undefined, from: number, leave: number): { grid: TickGrid | null; scan: TickGridScan | undefined } {
  if (!needsGrid(indicators)) return { grid: null, scan: undefined };
  const n = close.length;
  if (kept) {
    const atLeave = extendTickGridScan(close, kept, from, leave);
    const whole = atLeave && extendTickGridScan(close, atLeave, leave, n);
    if (atLeave && whole) return { grid: tickGridOfScan(close, whole, GRID_HEAD, n - GRID_TAIL) ?? null, scan: atLeave };
  }
  return { grid: tickGrid(close) ?? null, scan: scanTickGrid(close, leave) };
}

/**
 * Walks a carried state from bar `start` (the state is after bar start − 1) to the last bar:
 * `step(t)` takes bar t in; `capture()` is called once the state is after bar leave − 1 (when that
 * bar is at or after start − 1), for the checkpoint the unit leaves.
 */
function walk(start: number, n: number, leave: number, step: (t: number) => void, capture: () => void): void {
  if (start - 1 === leave - 1) capture();
  for (let t = start; t < n; t++) {
    step(t);
    if (t === leave - 1) capture();
  }
}

/**
 * A unit's row computed from a checkpoint (or from bar 0 without one), the same row as
 * analyseSeries' (without full series: a spec with include_series is always computed in full),
 * and the checkpoint it leaves after bar leave − 1 (leave ≥ the given checkpoint's bars, < n).
 * `grid`: the closes' tick grid over the whole series (closesGrid) when needsGrid, the checkpoint
 * one of the same arithmeticRegime (the caller checks).
 *
 *  - RSI, EMA, MACD, ATR, OBV and VWAP go on from their states (each step the same floating-point
 *    operations as the whole-series functions, so bit for bit): O(new bars).
 *  - SMA, WMA and Bollinger are computed at the last bar only, from the bars (sma/wma/bollinger with
 *    `from`: exact window sums on the closes' tick grid, else the running sums replayed from their
 *    absolute re-summing points, ≤ max(1024, period) bars back): bit for bit, and right whatever the
 *    grown series' arithmetic regime (its tick grid is the whole series', closesGrid; nothing of
 *    the old regime is carried, so nothing depends on it).
 *  - The stochastic oscillator: %D is an SMA of %K, exact on %K's tick grid when every %K value is
 *    on one. Once the %K values a checkpoint covers are on none (the checkpoint's bit; the usual
 *    case), no longer series' are, and %K and %D are computed at the last bar (%K from its window,
 *    %D's float running sum replayed from its re-summing point: ≤ 1024 + 3 %K values). Otherwise
 *    it is computed over the whole series.
 *  - The volume profile is computed over the whole series: its bins span the whole price range,
 *    which new bars can widen.
 */
export function analyseContinuing(
  series: Ohlcv,
  indicators: readonly IndicatorName[],
  given: Pick<MarketAnalysisCheckpoint, 'bars' | 'states'> | undefined,
  leave: number,
  grid: TickGrid | null = needsGrid(indicators) ? (tickGrid(series.close) ?? null) : null,
): { row: MarketAnalysisRow; left: Pick<MarketAnalysisCheckpoint, 'bars' | 'states'> } {
  const { high, low, close, volume } = series;
  const n = close.length;
  const last = n - 1;
  const from = given?.bars ?? 0;
  if (!(leave >= from && leave < n)) throw new RangeError(`checkpoint after ${leave} bars of ${n} (continuing from ${from})`);
  const carried: IndicatorStates = given?.states ?? {};
  const latest: LatestValues = {};
  const states: IndicatorStates = {};

  for (const name of indicators) {
    switch (name) {
      case 'rsi': {
        const period = SETTINGS.rsi.period;
        if (n <= period) break; // latest.rsi stays unset: NaN
        let averages: WilderAverages;
        let start: number;
        if (carried.rsi) [averages, start] = [{ ...carried.rsi }, from];
        else [averages, start] = [rsiSeed(close, period), period + 1];
        walk(start, n, leave, (t) => rsiStep(close, period, averages, t), () => (states.rsi = { ...averages }));
        latest.rsi = rsiValue(averages.gain, averages.loss);
        break;
      }
      case 'macd': {
        const { fast, slow, signal } = SETTINGS.macd;
        const seedBar = WARM_UPS.macd;
        if (last < seedBar) {
          // The line exists before the signal does: too short to carry a state, computed in full.
          const result = macd(close, fast, slow, signal);
          latest.macd = { macd: result.macd[last], signal: result.signal[last], histogram: result.histogram[last], previousHistogram: last > 0 ? result.histogram[last - 1] : NaN };
          break;
        }
        let state: MacdState;
        let start: number;
        if (carried.macd) [state, start] = [{ ...carried.macd }, from];
        else [state, start] = [macdSeed(close, fast, slow, signal, grid), seedBar + 1];
        const histogram = (): number => state.fast - state.slow - state.signal;
        let current = histogram(); // at bar start − 1
        // At bar start − 2: read only when no bar is walked (start − 1 = seedBar = the last bar), where there is none yet.
        let previous = NaN;
        walk(
          start,
          n,
          leave,
          (t) => {
            macdStep(close, fast, slow, signal, state, t);
            previous = current;
            current = histogram();
          },
          () => (states.macd = { ...state }),
        );
        latest.macd = { macd: state.fast - state.slow, signal: state.signal, histogram: current, previousHistogram: previous };
        break;
      }
      case 'bollinger': {
        const { period, stdDev } = SETTINGS.bollinger;
        const bands = bollinger(close, period, stdDev, grid, last);
        latest.bollinger = { middle: bands.middle[last], upper: bands.upper[last], lower: bands.lower[last] };
        break;
      }
      case 'volume-profile':
        break; // rowOf's, over the whole series
      case 'sma':
        latest.sma = sma(close, SETTINGS.sma.period, undefined, grid, last)[last];
        break;
      case 'ema': {
        const period = SETTINGS.ema.period;
        if (n < period) break;
        let value: number;
        let start: number;
        if (carried.ema !== undefined) [value, start] = [carried.ema, from];
        else [value, start] = [emaSeed(close, period, 0, grid), period];
        const alpha = emaAlpha(period);
        walk(start, n, leave, (t) => (value = emaStep(value, alpha, close[t])), () => (states.ema = value));
        latest.ema = value;
        break;
      }
      case 'wma':
        latest.wma = wma(close, SETTINGS.wma.period, undefined, last)[last];
        break;
      case 'atr': {
        const period = SETTINGS.atr.period;
        if (n < period) break;
        let average: number;
        let start: number;
        if (carried.atr !== undefined) [average, start] = [carried.atr, from];
        else [average, start] = [atrSeed(high, low, close, period), period];
        walk(start, n, leave, (t) => (average = atrStep(high, low, close, period, average, t)), () => (states.atr = average));
        latest.atr = average;
        break;
      }
      case 'stochastic': {
        const { period, signal, smoothing } = SETTINGS.stochastic;
        const firstK = WARM_UPS.stochastic;
        if (carried.stochasticOffGrid && smoothing === 1 && last >= firstK + signal - 1) {
          // %K is on no tick grid (nor is any longer series'), so %D is sma()'s float running sum over
          // %K from bar firstK, re-summed at firstK + signal − 1 + j·resync: %K from such a point on suffices.
          const resync = resyncInterval(signal);
          const begin = firstK + Math.floor((last - firstK - (signal - 1)) / resync) * resync;
          const k = new Float64Array(n - begin);
          for (let t = begin; t < n; t++) k[t - begin] = rawStochasticAt(high, low, close, period, t);
          latest.stochastic = { k: k[last - begin], d: sma(k, signal, undefined, null, last - begin)[last - begin] };
          states.stochasticOffGrid = true;
          break;
        }
        const { k, d } = stochastic(high, low, close, period, signal, smoothing);
        latest.stochastic = { k: k[last], d: d[last] };
        // Whether %K is already on no grid over the bars the checkpoint covers (tickGrid scans in order and fails at the same value in any longer series).
        if (leave - 1 >= firstK && tickGrid(k.subarray(firstK, leave)) === undefined) states.stochasticOffGrid = true;
        break;
      }
      case 'obv': {
        let total: number;
        let start: number;
        if (carried.obv !== undefined) [total, start] = [carried.obv, from];
        else [total, start] = [0, 1];
        walk(start, n, leave, (t) => (total = obvStep(close, volume, total, t)), () => (states.obv = total));
        latest.obv = total;
        break;
      }
      case 'vwap': {
        const sums: VwapSums = carried.vwap ? { ...carried.vwap } : { priceVolume: 0, volume: 0 };
        const start = carried.vwap ? from : 0;
        walk(start, n, leave, (t) => vwapStep(high, low, close, volume, sums, t), () => (states.vwap = { ...sums }));
        latest.vwap = sums.volume !== 0 ? sums.priceVolume / sums.volume : NaN;
        break;
      }
    }
  }
  return { row: rowOf(series, indicators, latest), left: { bars: leave, states } };
}

/**
 * A unit's row in a job that keeps checkpoints (series of 2 bars or more), from the checkpoint bytes
 * an earlier job left (`data`) when they are this unit's on a prefix of the series with the same
 * arithmetic regime, else computed in full; and the checkpoint bytes it leaves after its
 * second-to-last bar (run.ts says why). `from`: the first bar computed from a checkpoint (0: in full).
 */
export function continueUnit(series: Ohlcv, indicators: readonly IndicatorName[], data: Uint8Array | undefined): { row: MarketAnalysisRow; left: Uint8Array; from: number } {
  const leave = series.close.length - 1;
  const unitHash = unitFingerprint(series.symbol, series.timeframe, indicators, SETTINGS);
  const decoded = data ? decodeCheckpoint(data, { unitHash, indicators, warmUps: WARM_UPS }, series) : undefined;
  // The grid scan a checkpoint kept is the data's (its fingerprints matched), whatever becomes of its states.
  const { grid, scan } = closesGrid(series.close, indicators, decoded?.gridScan, decoded?.bars ?? 0, leave);
  const regime = arithmeticRegime(grid, indicators);
  const given = decoded && decoded.regime === regime ? decoded : undefined;
  const { row, left } = analyseContinuing(series, indicators, given, leave, grid);
  return { row, left: encodeCheckpoint({ ...left, regime, gridScan: scan }, unitHash, dataFingerprint(series, left.bars)), from: given?.bars ?? 0 };
}
