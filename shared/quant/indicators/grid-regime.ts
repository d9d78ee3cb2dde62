import { exactBands } from './bollinger.js';
import { exactWindowMeans, type TickGrid } from './tick-grid.js';

/**
 * Which arithmetic the indicators use for a combination's periods on a series: the closes' tick
 * grid (none, or its decimals) and, for each period, whether the exact window means and the
 * exact bands apply (they depend on the series' largest price, which an appended bar can raise).
 * Two series with the same values over bars [0, N) give the same indicator values and exact
 * decisions over those bars when their regimes for the combination's periods are equal; a
 * continuation from a checkpoint (shared/tasks/backtest/checkpoint.ts) is only valid then.
 *
 * Must cover every branch on the grid in sma.ts, bollinger.ts and the exact orders (SmaOrder,
 * BandOrder; EmaOrder and MacdOrder depend on the grid's presence and decimals only): a new one
 * belongs here too. An integer < 2^31 (for a fingerprint).
 */
export function gridRegime(grid: TickGrid | undefined, periods: ArrayLike<number>): number {
  if (grid === undefined) return 0;
  let regime = 1 + grid.decimals * 2; // odd: on a grid; the decimals
  regime = regime * 4 + (exactWindowMeans(grid, 1) ? 2 : 0) + (exactBands(grid, 1) ? 1 : 0);
  for (let i = 0; i < periods.length; i++) {
    const period = periods[i];
    regime = ((regime * 4 + (exactWindowMeans(grid, period) ? 2 : 0) + (exactBands(grid, period) ? 1 : 0)) >>> 0) % 0x7fffffff;
  }
  return regime;
}
