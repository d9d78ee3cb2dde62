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
 * Crossover rule shared by the crossover kinds: from bar `start` on, at each close the target
 * is long when above[t] > below[t], else flat (allowShort = false) or short (allowShort = true);
 * a tie is not long. Where the two doubles are within exact.margin of each other (equal, for
 * margin 0), `exact` (when given) decides by the exact values instead; without it the doubles
 * decide and an equal pair is a tie. Nothing is decided before `start` (flat). Writes only the
 * changes. With `from`, decides the bars from `from` on only, the target at the close of bar
 * from − 1 being `initial`.
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
  const first = Math.max(start, from, 0);
  // Two loops, so the float-only one stays as tight as it always was.
  if (exact === undefined) floatCrossover(above, below, first, allowShort ? -1 : 0, out, initial);
  else exactCrossover(above, below, first, allowShort ? -1 : 0, out, exact, initial);
}

function floatCrossover(above: Float64Array, below: Float64Array, start: number, notLong: number, out: SignalBuffer, initial: number): void {
  const n = above.length;
  let current = initial;
  for (let t = start; t < n; t++) {
    const want = above[t] > below[t] ? 1 : notLong;
    if (want !== current) {
      out.push(t, want);
      current = want;
    }
  }
}

function exactCrossover(above: Float64Array, below: Float64Array, start: number, notLong: number, out: SignalBuffer, exact: ExactOrder, initial: number): void {
  const n = above.length;
  const margin = exact.margin;
  let current = initial;
  for (let t = start; t < n; t++) {
    // fl(a − b) has the sign of a − b (0 only when a = b); NaN (warm-up) is never long.
    const d = above[t] - below[t];
    const want = d > margin || (d >= -margin && exact.greater(t)) ? 1 : notLong;
    if (want !== current) {
      out.push(t, want);
      current = want;
    }
  }
}
