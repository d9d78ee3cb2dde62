import type { IndicatorRequest } from '../../strategy-sdk/indicator-requests.js';
import { BAND_ERROR, BandOrder } from '../indicators/bollinger.js';
import { EmaOrder } from '../indicators/ema.js';
import { MacdOrder } from '../indicators/macd.js';
import { SmaOrder } from '../indicators/sma.js';
import type { IndicatorCache } from './indicator-cache.js';
import type { ExactSign } from './signal-loop.js';
import { sameIndicator } from './indicator-request-arrays.js';

/**
 * One side of a comparison, as the engine knows it: an indicator request with every array of its
 * indicator (indicatorOutputs: read here instead of a second cache lookup), a price column, or a number.
 */
export type OperandSource =
  | { readonly request: IndicatorRequest; readonly outputs: readonly Float64Array[] }
  | { readonly price: 'open' | 'high' | 'low' | 'close' }
  | number;

/**
 * How to decide left − right exactly where the doubles may hide its sign, for the pairs whose exact
 * values the engine knows on the closes' decimal tick grid (docs/task-kinds.md#ties-and-exact-decisions):
 *  - two SMAs, or an SMA and the close (an SMA of 1), or the Bollinger middle band (an SMA): SmaOrder;
 *  - two EMAs: EmaOrder (within the sum of their error bounds);
 *  - a MACD line and its own signal line: MacdOrder;
 *  - the close and a Bollinger upper or lower band: BandOrder (within BAND_ERROR·(|middle| + k·σ)).
 * Undefined otherwise (off the grid, or any other pair: prices against each other or against prior
 * highs and lows are exact doubles already; numbers and the other indicators compare as doubles).
 */
export function exactSignOf(cache: IndicatorCache, left: OperandSource, right: OperandSource): ExactSign | undefined {
  if (typeof left === 'number' || typeof right === 'number') return undefined;
  const grid = cache.closeGrid();
  if (grid === undefined) return undefined;
  const a = smaPeriod(left);
  const b = smaPeriod(right);
  if (a !== undefined && b !== undefined) {
    const order = SmaOrder.of(grid, a, b);
    return order && { margin: order.margin, sign: (t) => order.compare(t) };
  }
  const l = 'request' in left ? left.request : undefined;
  const r = 'request' in right ? right.request : undefined;
  if (l?.indicator === 'ema' && r?.indicator === 'ema' && 'outputs' in left && 'outputs' in right) {
    const side = (period: number, values: Float64Array) => ({ period, values, bound: cache.emaBound(period) });
    const order = EmaOrder.of(grid, side(l.args[0], left.outputs[0]), side(r.args[0], right.outputs[0]));
    return order && { margin: order.margin, sign: (t) => order.compare(t) };
  }
  if (l?.indicator === 'macd' && r?.indicator === 'macd' && l.output !== r.output && sameIndicator(l, r)) {
    const [fast, slow, signal] = l.args;
    if (!(fast < slow)) return undefined;
    const { arrays, bounds } = cache.macdExact(fast, slow, signal);
    const order = MacdOrder.of(grid, arrays, bounds);
    // compare(t) is sign(line − signal); output 0 is the line.
    const flip = l.output === 0 ? 1 : -1;
    return order && { margin: order.margin, sign: (t) => flip * order.compare(t) };
  }
  const band = (side: OperandSource, other: OperandSource) =>
    isClose(other) && typeof side !== 'number' && 'request' in side && side.request.indicator === 'bollinger' && side.request.output > 0 ? side : undefined;
  const bandRight = band(right, left);
  const bandLeft = bandRight === undefined ? band(left, right) : undefined;
  const bands = bandRight ?? bandLeft;
  if (bands !== undefined) {
    const request = bands.request;
    const [period, k] = request.args;
    const order = BandOrder.of(grid, period, k);
    if (order === undefined) return undefined;
    const [mid, upper] = bands.outputs;
    // vsUpper / vsLower are sign(close − band).
    const vs = request.output === 1 ? (t: number) => order.vsUpper(t) : (t: number) => order.vsLower(t);
    const flip = bandRight !== undefined ? 1 : -1;
    return { margin: 0, bandNear: { mid, upper, factor: BAND_ERROR }, sign: (t) => flip * vs(t) };
  }
  return undefined;
}

function isClose(side: OperandSource): boolean {
  return typeof side !== 'number' && 'price' in side && side.price === 'close';
}

/** The period of an operand that is an SMA of the closes on the grid (the close: 1; the Bollinger middle band), else undefined. */
function smaPeriod(side: OperandSource): number | undefined {
  if (typeof side === 'number') return undefined;
  if ('price' in side) return side.price === 'close' ? 1 : undefined;
  const r = side.request;
  if (r.indicator === 'sma' || (r.indicator === 'bollinger' && r.output === 0)) return r.args[0];
  return undefined;
}
