import type { SignalBuffer } from './types.js';

/**
 * Crossover rule shared by the crossover kinds: from bar `start` on, at each close the target
 * is long when above[t] > below[t], else flat (allowShort = false) or short (allowShort = true).
 * Nothing is decided before `start` (flat). Writes only the changes. With `from`, decides the
 * bars from `from` on only, the target at the close of bar from − 1 being `initial`.
 */
export function crossoverSignals(above: Float64Array, below: Float64Array, start: number, allowShort: boolean, out: SignalBuffer, from = 0, initial = 0): void {
  const n = above.length;
  const notLong = allowShort ? -1 : 0;
  let current = initial;
  const first = start > from ? start : from;
  for (let t = first < 0 ? 0 : first; t < n; t++) {
    const want = above[t] > below[t] ? 1 : notLong;
    if (want !== current) {
      out.push(t, want);
      current = want;
    }
  }
}
