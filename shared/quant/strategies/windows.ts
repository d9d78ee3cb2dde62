import type { SignalBuffer } from './types.js';

/**
 * The target changes of a whole-series signal buffer as seen by a backtest of the window of bars
 * [from, to) only (a walk-forward window). Indicators and rules ran on the whole series, so the
 * window's decisions use the bars before it as warm-up, never the bars after it.
 *
 * Bar numbers become relative to `from`. The target in force at the close of bar `from` is the
 * window's first change, so the window starts flat and, if that target is a position, enters at
 * the open of its second bar, as a whole-series backtest would after its first decision.
 * With `closeAtEnd`, the target becomes flat at the close of the window's second-to-last bar: the
 * position is sold at the open of the last bar and the window ends in cash, so consecutive windows
 * can be chained without carrying a position across.
 */
export function windowSignals(full: SignalBuffer, from: number, to: number, closeAtEnd: boolean, out: SignalBuffer): SignalBuffer {
  const length = to - from;
  out.reset(length);
  const lastDecision = closeAtEnd ? length - 2 : length;
  // First change after bar `from` (changes are in bar order).
  let lo = 0;
  let hi = full.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (full.bar[mid] <= from) lo = mid + 1;
    else hi = mid;
  }
  let current = 0;
  const initial = lo > 0 ? full.target[lo - 1] : 0;
  if (initial !== 0 && 0 < lastDecision) {
    out.push(0, initial);
    current = initial;
  }
  for (let i = lo; i < full.count; i++) {
    const local = full.bar[i] - from;
    if (local >= lastDecision || local >= length) break;
    out.push(local, full.target[i]);
    current = full.target[i];
  }
  if (closeAtEnd && current !== 0 && lastDecision >= 0) out.push(lastDecision, 0);
  return out;
}
