import type { SmaOrder } from '../indicators/sma.js';
import { runSignalRule } from './signal-loop.js';
import type { SignalBuffer } from './types.js';

/**
 * The crossover rule on two arrays given directly (the SmaBank convenience path of
 * sma-crossover.ts; strategies say `crossover(a, b)` on the SDK, which runs the same compiled
 * loop, signal-loop.ts): from bar `start` on, at each close the target is long when
 * above[t] > below[t], else flat (allowShort = false) or short (allowShort = true); a tie is not
 * long. Where the two doubles are equal (SmaOrder's margin, 0: rounding can make two different
 * exact means equal doubles, never swap their order), `exact` (when given) decides by the exact
 * values instead; without it the doubles decide. Nothing is decided before `start` (flat). With `from`, decides the bars from `from` on only, the target at the close of bar
 * from − 1 being `initial`. `out` must be reset.
 */
export function crossoverSignals(
  above: Float64Array,
  below: Float64Array,
  start: number,
  allowShort: boolean,
  out: SignalBuffer,
  exact?: SmaOrder,
  from = 0,
  initial = 0,
): void {
  const sign = exact && { margin: exact.margin, sign: (t: number) => exact.compare(t) };
  runSignalRule({ kind: 'longWhile', when: { op: 'gt', left: above, right: below, exact: sign } }, Math.max(start, from, 0), above.length, allowShort, initial, out);
}
