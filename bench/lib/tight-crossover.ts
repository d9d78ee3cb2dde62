/**
 * The tight scalar reference loop of issue 13's kernel goal: an SMA-crossover long/flat simulation
 * that computes only the final equity and the trade count, nothing else (no per-bar returns, no
 * drawdown, no exposure, no exact ties: the doubles decide). The kernel's goal is to reach its speed
 * while computing every metric, so the kernel bench measures it in the same run, over the same series,
 * the same combinations and the very SMA arrays the kernel's indicator cache computed.
 *
 * Same trading rules as the execution core (shared/quant/strategies/execution.ts): the decision at the
 * close of bar t (long when fast[t] > slow[t], from bar `start` = slow − 1 on) fills at the open of
 * bar t + 1, a decision at the last close never fills; a buy at open·(1 + s) with the fee f of the
 * cash, a sell at open·(1 − s) less the fee f; an open position is marked at the last close. The fills
 * are written with the core's operations in the core's order, so off exact ties the final equity is the
 * same double as the kernel's.
 */
export interface TightResult {
  equity: number;
  trades: number;
}

export function tightCrossover(
  open: Float64Array,
  close: Float64Array,
  fast: Float64Array,
  slow: Float64Array,
  start: number,
  buyFactor: number,
  sellFactor: number,
  keep: number,
  out: TightResult,
): TightResult {
  const last = close.length - 1;
  let cash = 1;
  let units = 0;
  let long = false;
  let trades = 0;
  for (let t = start < 0 ? 0 : start; t < last; t++) {
    const want = fast[t] > slow[t];
    if (want !== long) {
      const o = open[t + 1];
      if (want) {
        units = (cash * keep) / (o * buyFactor);
        trades++;
      } else {
        cash = units * (o * sellFactor) * keep;
        units = 0;
      }
      long = want;
    }
  }
  out.equity = long ? units * close[last] : cash;
  out.trades = trades;
  return out;
}
