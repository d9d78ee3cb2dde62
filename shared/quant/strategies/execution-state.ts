/**
 * Everything the execution core (execution.ts) knows about one unit (a combination on a series)
 * after the close of its last simulated bar: enough to go on with more bars and end with exactly
 * the totals a run over all the bars would have (the same floating-point operations in the same
 * order, so bit for bit).
 *
 * Filled by simulate(…, stateOut) at the end of a run over bars [0, bars) (or a continuation
 * up to `bars`); read by simulate(…, from) to continue at bar `bars`. Plain numbers only: the
 * binary encoding is shared/tasks/backtest/checkpoint.ts's.
 */
export class ExecutionState {
  /** Bars simulated so far: the continuation starts at this bar (the checkpoint is at bars − 1). */
  bars = 0;
  /** Position held after the last fill (−1 short, 0 flat, 1 long). */
  position = 0;
  /**
   * The strategy's target in force at the close of bar bars − 1 (−1, 0, 1): the pending decision,
   * which a continuation fills at the open of bar `bars` when it differs from `position`; also
   * the state a hysteresis rule (RSI, Bollinger, Donchian) goes on from.
   */
  target = 0;
  /** Wiped out (see execution.ts): nothing trades any more, equity stays 0. */
  ruined = false;

  // Money: cash when flat; in a position units > 0 and equity = base ± units·close.
  cash = 1;
  units = 0;
  base = 0;
  /** Cash before the open trade's entry. */
  entryCash = 1;
  /** The last close mark. */
  previous = 1;

  // The running sums behind the metrics (metrics.ts), as the core keeps them.
  /** Σ r, Σ r² over the returns added so far (all others are exactly 0). */
  returnSum = 0;
  returnSumSq = 0;
  /** Σ 2·min(r − τ, 0)² over the same returns (halved, and the zero returns' τ² added, at the end). */
  downTimesTwo = 0;
  /** Returns added to the sums (the other bars − 1 − counted were exactly 0). */
  counted = 0;
  peak = 1;
  peakBar = 0;
  maxDrawdown = 0;
  maxDrawdownBars = 0;

  // Trades.
  trades = 0;
  closedTrades = 0;
  wins = 0;
  grossProfit = 0;
  grossLoss = 0;
  tradeReturnSum = 0;
  /** Bars whose close mark held a position. */
  exposedBars = 0;

  // The open trade's exit levels (exit rules, exits.ts; unused without them). See execution.ts.
  /** Bar of the open trade's entry fill (the time stop counts from it). */
  entryBar = 0;
  /** The fixed stop (stop-loss) price; −∞ long / +∞ short when off. */
  stopPrice = 0;
  /** The take-profit price; +∞ long / −∞ short when off. */
  targetPrice = 0;
  /** Highest high (long) / lowest low (short) since the entry, up to the last bar checked; starts at the entry bar's open. */
  trailExtreme = 0;
  /** The trailing stop's distance in ATR multiples (price units; +∞ when off for the trade, 0 when the trail is a fraction). */
  trailOffset = 0;
  /** Flat after an exit rule's fill: the side it closed (1, −1), until the strategy's target changes; else 0. */
  blocked = 0;

  /** Back to the state before bar 0 (flat, cash 1). */
  reset(): this {
    Object.assign(this, new ExecutionState());
    return this;
  }

  copyFrom(other: ExecutionState): this {
    Object.assign(this, other);
    return this;
  }
}
