import { atr } from '../../shared/quant/indicators/atr.js';
import { noExitRules, type ExitRules } from '../../shared/quant/strategies/exits.js';

/**
 * A bar-by-bar reference for the exit rules, written plainly and independently of execution.ts:
 * a loop over the bars holding cash, units and the open trade's levels, doing at each bar what
 * the documented semantics say, in that order: the strategy's fill at the open (when its target
 * changed), the time stop, a gap through the stop or target, the stop, the target, the trail's
 * update, the close mark. The ATR is the indicator library's (tested on its own).
 */

export interface Bars {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
}

/** Bars from [open, high, low, close] rows. */
export function barsOf(rows: ReadonlyArray<readonly [number, number, number, number]>): Bars {
  const column = (i: number) => Float64Array.from(rows.map((row) => row[i]));
  return { time: Float64Array.from(rows.map((_, t) => t * 3_600_000)), open: column(0), high: column(1), low: column(2), close: column(3) };
}

export interface Options extends ExitRules {
  atrPeriod: number;
}

export function optionsOf(given: Partial<Options>): Options {
  return { ...noExitRules(), atrPeriod: 14, ...given };
}

export interface ExitLog {
  bar: number;
  price: number;
  reason: 'time' | 'stop-gap' | 'target-gap' | 'stop' | 'target';
}

export interface ReferenceRun {
  equity: number[];
  trades: number;
  closed: number[][];
  inMarket: number;
  exits: ExitLog[];
}

/**
 * The reference. targets[t]: the strategy's target in force at the close of bar t (filled at
 * the open of t + 1 when it changed).
 */
export function referenceWithExits(bars: Bars, targets: readonly number[], o: Options, feeBps: number, slippageBps: number): ReferenceRun {
  const n = bars.close.length;
  const fee = feeBps / 1e4;
  const slip = slippageBps / 1e4;
  const a = atr(bars.high, bars.low, bars.close, o.atrPeriod);
  let cash = 1;
  let pos = 0;
  let units = 0;
  let fillPrice = 0; // with slippage
  let collateral = 0;
  let entryCash = 1;
  let entryBar = 0;
  let stop = null as number | null;
  let target = null as number | null;
  let trailDistance = null as number | null; // ATR trail, per trade
  let extreme = 0;
  let lastTarget = 0; // the strategy's target as last acted on
  let ruined = false;
  let trades = 0;
  const closed: number[][] = [];
  let inMarket = 0;
  const equity: number[] = [];
  const log: ExitLog[] = [];

  const sell = (price: number) => {
    if (pos === 1) cash = units * price * (1 - slip) * (1 - fee);
    else {
      const buy = price * (1 + slip);
      cash = collateral + units * (fillPrice - buy) - fee * units * buy;
    }
    if (!(cash > 0)) {
      cash = 0;
      ruined = true;
    }
    closed.push([entryCash, cash]);
    pos = 0;
  };
  const enter = (side: number, t: number) => {
    entryCash = cash;
    trades++;
    fillPrice = side === 1 ? bars.open[t] * (1 + slip) : bars.open[t] * (1 - slip);
    units = (cash * (1 - fee)) / fillPrice;
    collateral = cash * (1 - fee);
    pos = side;
    entryBar = t;
    const ref = bars.open[t];
    const atrOf = (m: number) => (m > 0 && m * a[t - 1] > 0 ? m * a[t - 1] : null);
    const sl = atrOf(o.stopLossAtr);
    const tp = atrOf(o.takeProfitAtr);
    if (side === 1) {
      stop = o.stopLoss > 0 ? ref * (1 - o.stopLoss) : sl !== null ? ref - sl : null;
      target = o.takeProfit > 0 ? ref * (1 + o.takeProfit) : tp !== null ? ref + tp : null;
    } else {
      stop = o.stopLoss > 0 ? ref * (1 + o.stopLoss) : sl !== null ? ref + sl : null;
      target = o.takeProfit > 0 ? ref * (1 - o.takeProfit) : tp !== null ? ref - tp : null;
    }
    trailDistance = atrOf(o.trailingStopAtr);
    extreme = ref;
  };

  for (let t = 0; t < n; t++) {
    // 1. The strategy's fill at the open: its target at the previous close, when it changed.
    if (t > 0 && !ruined && targets[t - 1] !== lastTarget) {
      lastTarget = targets[t - 1];
      if (lastTarget !== pos) {
        if (pos !== 0) sell(bars.open[t]);
        if (lastTarget !== 0 && !ruined) enter(lastTarget, t);
      }
    }
    // 2. The exit rules, while in the position (from the entry bar on).
    if (pos !== 0 && !ruined) {
      const op = bars.open[t];
      let trail: number | null = null;
      if (o.trailingStop > 0) trail = pos === 1 ? extreme * (1 - o.trailingStop) : extreme * (1 + o.trailingStop);
      else if (trailDistance !== null) trail = pos === 1 ? extreme - trailDistance : extreme + trailDistance;
      const levels = [stop, trail].filter((x): x is number => x !== null);
      const effective = levels.length === 0 ? null : pos === 1 ? Math.max(...levels) : Math.min(...levels);
      const beyond = (price: number, level: number | null, down: boolean) => level !== null && (down ? price <= level : price >= level);
      let exit: ExitLog | null = null;
      if (o.timeStop > 0 && t - entryBar >= o.timeStop) exit = { bar: t, price: op, reason: 'time' };
      else if (beyond(op, effective, pos === 1)) exit = { bar: t, price: op, reason: 'stop-gap' };
      else if (beyond(op, target, pos !== 1)) exit = { bar: t, price: op, reason: 'target-gap' };
      else if (beyond(pos === 1 ? bars.low[t] : bars.high[t], effective, pos === 1)) exit = { bar: t, price: effective as number, reason: 'stop' };
      else if (beyond(pos === 1 ? bars.high[t] : bars.low[t], target, pos !== 1)) exit = { bar: t, price: target as number, reason: 'target' };
      if (exit !== null) {
        log.push(exit);
        sell(exit.price);
      } else {
        extreme = pos === 1 ? Math.max(extreme, bars.high[t]) : Math.min(extreme, bars.low[t]);
      }
    }
    // 3. The close mark.
    let e = pos === 1 ? units * bars.close[t] : pos === -1 ? collateral + units * (fillPrice - bars.close[t]) : cash;
    if (pos !== 0) inMarket++;
    if (pos !== 0 && !(e > 0)) {
      e = 0;
      cash = 0;
      closed.push([entryCash, 0]);
      pos = 0;
      ruined = true;
    }
    equity.push(ruined ? 0 : e);
  }
  return { equity, trades, closed, inMarket, exits: log };
}

