import { runSignalRule } from './signal-loop.js';
import type { SignalBuffer } from './types.js';

/**
 * The exact order of the two compared series at the bars where their doubles are too close to
 * trust: |above − below| ≤ margin. SMAs on a tick grid have margin 0 (rounding can make two
 * different exact means equal doubles, never swap their order, see SmaOrder); EMAs have the sum
 * of their error bounds (EmaOrder).
 */
export interface ExactOrder {
  readonly margin: number;
  /** Whether above > below exactly at bar t (false on an exact tie). */
  greater(t: number): boolean;
}

/**
 * The crossover rule on two arrays given directly (the SmaBank convenience path of
 * sma-crossover.ts; strategies say `crossover(a, b)` on the SDK, which runs the same compiled
 * loop, signal-loop.ts): from bar `start` on, at each close the target is long when
 * above[t] > below[t], else flat (allowShort = false) or short (allowShort = true); a tie is not
 * long. Where the two doubles are within exact.margin of each other, `exact` (when given) decides
 * by the exact values instead; without it the doubles decide. Nothing is decided before `start`
 * (flat). With `from`, decides the bars from `from` on only, the target at the close of bar
 * from − 1 being `initial`. `out` must be reset.
 */
export function crossoverSignals(
  above: Float64Array,
  below: Float64Array,
  start: number,
  allowShort: boolean,
  out: SignalBuffer,
  exact?: ExactOrder,
  from = 0,
  initial = 0,
): void {
  const sign = exact && { margin: exact.margin, sign: (t: number) => (exact.greater(t) ? 1 : 0) };
  runSignalRule({ kind: 'longWhile', when: { op: 'gt', left: above, right: below, exact: sign } }, Math.max(start, from, 0), above.length, allowShort, initial, out);
}
