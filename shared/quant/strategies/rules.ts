import type { SignalBuffer } from './types.js';

/**
 * The exact order of the two compared series at the bars where their doubles are equal: rounding
 * can make two different exact values equal doubles, never swap their order (see SmaOrder).
 */
export interface ExactOrder {
  /** Whether above > below exactly at bar t (false on an exact tie). */
  greater(t: number): boolean;
}

/**
 * Crossover rule shared by the crossover kinds: from bar `start` on, at each close the target
 * is long when above[t] > below[t], else flat (allowShort = false) or short (allowShort = true);
 * a tie is not long. Where the two doubles are equal, `exact` (when given) decides by the exact
 * values instead; without it an equal pair is a tie. Nothing is decided before `start` (flat).
 * Writes only the changes. With `from`, decides the bars from `from` on only, the target at the
 * close of bar from − 1 being `initial`.
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
  const n = above.length;
  const notLong = allowShort ? -1 : 0;
  let current = initial;
  const first = start > from ? start : from;
  for (let t = first < 0 ? 0 : first; t < n; t++) {
    const a = above[t];
    const b = below[t];
    const want = a > b || (a === b && exact !== undefined && exact.greater(t)) ? 1 : notLong;
    if (want !== current) {
      out.push(t, want);
      current = want;
    }
  }
}
