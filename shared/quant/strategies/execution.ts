import type { EquityAccumulator } from '../metrics.js';
import type { ExecutionState } from './execution-state.js';
import type { Exits } from './exits.js';
import type { SignalBuffer } from './types.js';

/**
 * The execution core shared by every strategy: one place for fills, fees, slippage, sizing,
 * marking and trade accounting. A strategy only decides target positions (SignalBuffer).
 *
 * Semantics (s = slippageBps/1e4, f = feeBps/1e4, start cash 1, N bars):
 *  - Decisions: the target decided at the close of bar t (−1 short, 0 flat, 1 long) is filled
 *    at the OPEN of bar t+1; a decision at the last close never fills. Flat before the first
 *    decision (warm-up).
 *  - Prices: a buy fills at open·(1+s), a sell at open·(1−s) (slippage always against us).
 *  - All-in sizing, fee per side:
 *      long entry   with cash C at buy price pb:  u = C·(1−f)/pb
 *      long mark    at close c:                   E = u·c            (= C·(1−f) + u·(c − pb))
 *      long exit    at sell price ps:             cash = u·ps·(1−f)  (= u·ps − f·u·ps)
 *      short entry  with cash C at sell price ps: u = C·(1−f)/ps     (u units sold; the fee is
 *                                                 f·C, as on a long entry)
 *      short mark   at close c:                   E = C·(1−f) + u·(ps − c)
 *      short exit   (buy back) at buy price pb:   cash = C·(1−f) + u·(ps − pb) − f·u·pb
 *    i.e. the entry fee is f of the cash committed and the exit fee f of the exit's notional,
 *    for both sides. A reversal (long → short or short → long) is an exit then an entry at the
 *    same open, paying both fees.
 *  - Marking: equity at every close (cash when flat); the curve has N marks, bar 0 at 1.
 *    A position open after the last bar stays open, marked at the last close.
 *  - Ruin (only a short can get there): when a close mark or the cash after an exit is ≤ 0,
 *    the account is wiped out: equity 0 from that bar on, the position counts as a closed
 *    losing trade (cash after = 0), and nothing is traded any more.
 *  - Trades: an entry counts as a trade; a closed trade wins when the cash after its exit
 *    exceeds the cash before its entry; exposure counts bars whose close mark holds a position.
 *  - Metrics as in metrics.ts; per-bar returns r = E[t]/E[t−1] − 1 (0 after a mark of 0).
 *
 * Exit rules (`exits`, exits.ts; all off by default, and then nothing below happens). A trade
 * entered at the open of bar e has the reference price P = open[e] (before slippage) and, for a
 * rule in ATR multiples, A = ATR[e − 1] (the decision bar's). Its levels are fixed at entry:
 *      long:  stop = P·(1 − sl) or P − m·A,   target = P·(1 + tp) or P + m·A
 *      short: stop = P·(1 + sl) or P + m·A,   target = P·(1 − tp) or P − m·A
 * (a distance m·A that is not > 0, e.g. A still in its warm-up, leaves that rule off for the trade).
 * Trailing stop: X = P at entry; long stop = X·(1 − tr) or X − m·A, short X·(1 + tr) or X + m·A,
 * the tighter of it and the fixed stop counting. Each bar t ≥ e in the position (from the entry
 * bar itself: the entry filled at its open), before its close is marked:
 *   1. time stop: when t − e ≥ N (N bars held: bars e … e+N−1 were marked in the position), exit
 *      at open[t];
 *   2. gap: the open at or beyond the stop (long: open ≤ stop) or the target (long: open ≥ target)
 *      exits at open[t];
 *   3. stop: the bar reaches it (long: low ≤ stop, short: high ≥ stop): exit at the stop price;
 *   4. target: the bar reaches it (long: high ≥ target, short: low ≤ target): exit at the target
 *      price — so when both lie inside one bar, the stop is assumed first;
 *   5. no exit: X takes the bar's high (long, if higher) or low (short, if lower) — the trail is
 *      checked as of the previous bar, then updated (never assuming the high came before the low).
 * The strategy's own fill at an open comes first (an exit or reversal at open[t] is the
 * strategy's; the new position's rules apply from bar t on). An exit rule's fill is a sell
 * (long) or buy-back (short) at the exit price with slippage and fee, exactly as an exit at an
 * open; the bar's close is then marked flat. After it the position stays flat until the
 * strategy's target changes: the next change of the target (to flat, or to either side) is
 * filled as usual, a change back to the same side enters again.
 *
 * Continuing (incremental re-runs): a run over bars [0, N) can leave its final state
 * (ExecutionState, `stateOut`); a later run over a series whose first N bars are the same, given
 * that state as `from` and the target changes from bar N on only (a strategy's signals from N with
 * the state's target as its initial one), simulates bars [N, n) only and ends with totals equal
 * bit for bit to a run over [0, n): the pending decision of bar N−1 fills at the open of bar N,
 * and every bar after that sees the same operations in the same order as in the whole run.
 * The state carries the open trade's exit levels and the flat-after-exit side, so this holds
 * with exit rules too (the pending decision of bar N−1 is then no change when it repeats the
 * side an exit rule closed).
 *
 * Speed: a flat stretch costs nothing per bar (its returns are exactly 0: they only add to the
 * count of returns, and τ² each to the downside sum when τ > 0); only bars in a position are
 * marked one by one. Exit rules add a check per bar only while in a position; without them the
 * loop is the same as before. No allocation.
 */
export interface TradingCosts {
  feeBps: number;
  slippageBps: number;
}

/**
 * Simulates the target changes in `signals` over the bars and stores the totals in `acc`
 * (reset first, with the per-period risk-free rate τ for Sharpe and Sortino). Returns acc.
 * With `marks` (length ≥ N), also writes the close mark of every bar: the equity curve (from bar
 * from.bars on when continuing).
 *
 * With `from` (the state a run over the first from.bars bars of the same series left, with the
 * same costs and τ), continues at bar from.bars: `signals` must then hold only the changes at
 * bars ≥ from.bars, relative to from.target. `from` is not modified.
 * With `stateOut`, stores the final state there (it may be the same object as `from`).
 * With `exits`, applies its exit rules (bars of the same length as open and close; see above).
 */
export function simulate(
  open: Float64Array,
  close: Float64Array,
  signals: SignalBuffer,
  costs: TradingCosts,
  acc: EquityAccumulator,
  riskFreePerPeriod = 0,
  marks: Float64Array | null = null,
  from: ExecutionState | null = null,
  stateOut: ExecutionState | null = null,
  exits: Exits | null = null,
): EquityAccumulator {
  const n = close.length;
  const buyFactor = 1 + costs.slippageBps / 1e4;
  const sellFactor = 1 - costs.slippageBps / 1e4;
  const fee = costs.feeBps / 1e4;
  const keep = 1 - fee;
  const tau = riskFreePerPeriod;
  const changeBar = signals.bar;
  const changeTarget = signals.target;
  const changes = signals.count;

  let position = 0;
  let cash = 1;
  let units = 0; // > 0 on either side
  let base = 0; // equity = base + signed·close: long base 0, short C·(1−f) + u·ps
  let signed = 0; // +units long, −units short
  let entryCash = 1;
  let previous = 1; // the last close mark
  let sum = 0;
  let sumSq = 0;
  let down = 0; // Σ 2·min(r − τ, 0)²
  let counted = 0; // returns added to the sums (all others are exactly 0)
  let peak = 1;
  let peakBar = 0;
  let maxDrawdown = 0;
  let drawdownBars = 0;
  let trades = 0;
  let closedTrades = 0;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let tradeReturnSum = 0;
  let exposed = 0;
  let ruined = false;
  let exitMark = false; // the first bar of the current flat stretch is an exit's fill bar

  // Exit rules (exits.ts): constant per run, then the open trade's levels (ExecutionState).
  const rules = exits === null ? null : exits.rules;
  const high = exits === null ? close : exits.high;
  const low = exits === null ? close : exits.low;
  const atr = exits === null ? null : exits.atr;
  const timeStop = rules === null ? 0 : rules.timeStop;
  const trailFraction = rules === null ? 0 : rules.trailingStop;
  const trailing = rules !== null && (rules.trailingStop > 0 || rules.trailingStopAtr > 0);
  let entryBar = 0;
  let stopPrice = 0;
  let targetPrice = 0;
  let trailExtreme = 0;
  let trailOffset = 0;
  let blocked = 0; // flat after an exit rule's fill: the side it closed, until the strategy's target changes

  let segmentStart = 1; // first bar not marked yet (bar 0 is the start mark)
  // Change k < 0 is the pending decision of a continuation (at bar from.bars − 1), read first.
  let k = 0;
  let pendingBar = -1;
  let pendingTarget = 0;
  if (from !== null) {
    if (from.bars < 1 || from.bars > n) throw new RangeError(`cannot continue at bar ${from.bars} of a series of ${n} bars`);
    position = from.position;
    cash = from.cash;
    units = from.units;
    base = from.base;
    signed = position > 0 ? units : position < 0 ? -units : 0;
    entryCash = from.entryCash;
    previous = from.previous;
    sum = from.returnSum;
    sumSq = from.returnSumSq;
    down = from.downTimesTwo;
    counted = from.counted;
    peak = from.peak;
    peakBar = from.peakBar;
    maxDrawdown = from.maxDrawdown;
    drawdownBars = from.maxDrawdownBars;
    trades = from.trades;
    closedTrades = from.closedTrades;
    wins = from.wins;
    grossProfit = from.grossProfit;
    grossLoss = from.grossLoss;
    tradeReturnSum = from.tradeReturnSum;
    exposed = from.exposedBars;
    ruined = from.ruined;
    entryBar = from.entryBar;
    stopPrice = from.stopPrice;
    targetPrice = from.targetPrice;
    trailExtreme = from.trailExtreme;
    trailOffset = from.trailOffset;
    blocked = from.blocked;
    segmentStart = from.bars;
    pendingBar = from.bars - 1;
    pendingTarget = from.target;
    k = -1;
  } else if (marks !== null && n > 0) marks[0] = 1;
  for (;;) {
    // This segment's bars [segmentStart, end) keep the current position; `end` is the next fill
    // bar: the strategy's (nextFill), or an exit rule's before it (at exitPrice).
    const nextFill = k < changes && !ruined ? Math.min((k < 0 ? pendingBar : changeBar[k]) + 1, n) : n;
    let end = nextFill;
    let exitPrice = 0;
    if (rules !== null && position !== 0) {
      // Exit rules, checked bar by bar only while in a position (before the stretch is marked).
      for (let t = segmentStart; t < nextFill; t++) {
        const o = open[t];
        if (timeStop > 0 && t - entryBar >= timeStop) {
          exitPrice = o;
          end = t;
          break;
        }
        let stop = stopPrice;
        if (position > 0) {
          if (trailing) {
            const trail = trailFraction > 0 ? trailExtreme * (1 - trailFraction) : trailExtreme - trailOffset;
            if (trail > stop) stop = trail;
          }
          if (o <= stop || o >= targetPrice) exitPrice = o;
          else if (low[t] <= stop) exitPrice = stop;
          else if (high[t] >= targetPrice) exitPrice = targetPrice;
          else {
            if (high[t] > trailExtreme) trailExtreme = high[t];
            continue;
          }
        } else {
          if (trailing) {
            const trail = trailFraction > 0 ? trailExtreme * (1 + trailFraction) : trailExtreme + trailOffset;
            if (trail < stop) stop = trail;
          }
          if (o >= stop || o <= targetPrice) exitPrice = o;
          else if (high[t] >= stop) exitPrice = stop;
          else if (low[t] <= targetPrice) exitPrice = targetPrice;
          else {
            if (low[t] < trailExtreme) trailExtreme = low[t];
            continue;
          }
        }
        end = t;
        break;
      }
    }
    if (position === 0) {
      let t = segmentStart;
      if (exitMark && t < end) {
        const r = previous > 0 ? cash / previous - 1 : 0;
        sum += r;
        sumSq += r * r;
        const x = r - tau;
        down += x * (x - Math.abs(x)); // 2·min(x, 0)², branch-free (halved at the end, exactly)
        counted++;
        previous = cash;
        if (cash >= peak) {
          peak = cash;
          peakBar = t;
        } else {
          if (cash < peak * (1 - maxDrawdown)) maxDrawdown = 1 - cash / peak;
          if (t - peakBar > drawdownBars) drawdownBars = t - peakBar;
        }
        t++;
      }
      // The rest of the flat stretch: constant equity, zero returns.
      if (marks !== null) marks.fill(previous, segmentStart, end);
      if (t < end) {
        if (previous >= peak) peakBar = end - 1; // at the peak all along
        else if (end - 1 - peakBar > drawdownBars) drawdownBars = end - 1 - peakBar;
      }
    } else {
      // The hot loop: no per-bar counters (counted and exposed add up the stretch after it) and no
      // ruin flag (a close mark ≤ 0 leaves the loop; that bar is marked below); `level` is
      // peak·(1 − maxDrawdown), recomputed only when either changes (the same double each bar).
      // The longest time under water is taken where it can end, not at every bar under water: at
      // the bar before a new peak and at the stretch's last bar (t − peakBar only grows between
      // peaks, so its maximum over the bars is the same integer).
      let t = segmentStart;
      let level = peak * (1 - maxDrawdown);
      for (; t < end; t++) {
        const equity = base + signed * close[t];
        if (!(equity > 0)) break;
        const r = previous > 0 ? equity / previous - 1 : 0;
        sum += r;
        sumSq += r * r;
        const x = r - tau;
        down += x * (x - Math.abs(x)); // a branch here would be mispredicted half the time
        previous = equity;
        if (equity >= peak) {
          if (t - 1 - peakBar > drawdownBars) drawdownBars = t - 1 - peakBar;
          peak = equity;
          peakBar = t;
          level = peak * (1 - maxDrawdown);
        } else if (equity < level) {
          maxDrawdown = 1 - equity / peak;
          level = peak * (1 - maxDrawdown);
        }
      }
      if (t - 1 - peakBar > drawdownBars) drawdownBars = t - 1 - peakBar;
      counted += t - segmentStart;
      exposed += t - segmentStart;
      if (t < end) {
        // Ruin: wiped out at the close of bar t (equity 0 from there on), the position a closed losing trade.
        ruined = true;
        const r = previous > 0 ? -1 : 0; // 0 / previous − 1
        sum += r;
        sumSq += r * r;
        const x = r - tau;
        down += x * (x - Math.abs(x));
        counted++;
        exposed++;
        previous = 0;
        if (0 >= peak) {
          peak = 0;
          peakBar = t;
        } else {
          if (0 < peak * (1 - maxDrawdown)) maxDrawdown = 1 - 0 / peak;
          if (t - peakBar > drawdownBars) drawdownBars = t - peakBar;
        }
        closedTrades++;
        grossLoss += entryCash;
        tradeReturnSum += -1;
        position = 0;
        cash = 0;
        if (n - 1 - peakBar > drawdownBars) drawdownBars = n - 1 - peakBar;
      }
      // The marks of this stretch, outside the hot loop (the same expression, so the same values):
      // writing them in it costs the sweep about 15 %, for curves only a few rows ever need.
      if (marks !== null) {
        for (let t = segmentStart; t < end; t++) {
          const equity = base + signed * close[t];
          if (!(equity > 0)) {
            marks.fill(0, t, n);
            break;
          }
          marks[t] = equity;
        }
      }
    }
    exitMark = false;
    if (ruined || end >= n) break;

    // The fill at bar `end`: an exit rule's at exitPrice, or the strategy's at the open.
    let target = 0;
    let price = exitPrice;
    if (end < nextFill) {
      blocked = position;
    } else {
      target = k < 0 ? pendingTarget : changeTarget[k];
      k++;
      price = open[end];
      if (blocked !== 0) {
        // Flat after an exit rule until the strategy's target changes (a repeat of it is no change).
        if (target === blocked) {
          segmentStart = end;
          continue;
        }
        blocked = 0;
      }
      if (target === position) {
        segmentStart = end;
        continue;
      }
    }
    if (position !== 0) {
      if (position > 0) {
        cash = units * (price * sellFactor) * keep;
      } else {
        const buyPrice = price * buyFactor;
        cash = base - units * buyPrice - fee * (units * buyPrice);
      }
      if (!(cash > 0)) {
        cash = 0;
        ruined = true;
      }
      closedTrades++;
      const profit = cash - entryCash;
      if (profit > 0) {
        wins++;
        grossProfit += profit;
      } else if (profit < 0) grossLoss -= profit;
      tradeReturnSum += entryCash > 0 ? cash / entryCash - 1 : 0;
      units = 0;
      base = 0;
      signed = 0;
      position = 0;
      exitMark = true;
    }
    if (target !== 0 && !ruined) {
      entryCash = cash;
      trades++;
      if (target > 0) {
        units = (cash * keep) / (open[end] * buyFactor);
        base = 0;
        signed = units;
      } else {
        const sellPrice = open[end] * sellFactor;
        units = (cash * keep) / sellPrice;
        base = cash * keep + units * sellPrice;
        signed = -units;
      }
      position = target;
      exitMark = false;
      if (rules !== null) {
        // The trade's exit levels, fixed now: from the entry bar's open (before slippage) and,
        // in ATR multiples, the ATR of the decision bar (a distance that is not > 0, as in the
        // ATR's warm-up, leaves that rule off for this trade).
        const ref = open[end];
        const a = atr === null ? Number.NaN : atr[end - 1];
        const stopDistance = rules.stopLossAtr * a;
        const targetDistance = rules.takeProfitAtr * a;
        const trailDistance = rules.trailingStopAtr * a;
        entryBar = end;
        trailExtreme = ref;
        trailOffset = trailFraction > 0 ? 0 : trailDistance > 0 ? trailDistance : Infinity;
        if (target > 0) {
          stopPrice = rules.stopLoss > 0 ? ref * (1 - rules.stopLoss) : stopDistance > 0 ? ref - stopDistance : -Infinity;
          targetPrice = rules.takeProfit > 0 ? ref * (1 + rules.takeProfit) : targetDistance > 0 ? ref + targetDistance : Infinity;
        } else {
          stopPrice = rules.stopLoss > 0 ? ref * (1 + rules.stopLoss) : stopDistance > 0 ? ref + stopDistance : Infinity;
          targetPrice = rules.takeProfit > 0 ? ref * (1 - rules.takeProfit) : targetDistance > 0 ? ref - targetDistance : -Infinity;
        }
      }
    }
    // After a ruinous exit the next segment is the last one (flat, from this exit's bar to the end).
    segmentStart = end;
  }
  if (ruined && previous < peak && n - 1 - peakBar > drawdownBars) drawdownBars = n - 1 - peakBar;

  acc.reset(1, tau);
  acc.bars = n;
  acc.returnSum = sum;
  acc.returnSumSq = sumSq;
  const zeroReturns = n - 1 - counted;
  acc.downsideSumSq = tau > 0 && zeroReturns > 0 ? down / 2 + zeroReturns * tau * tau : down / 2;
  acc.lastEquity = previous;
  acc.peak = peak;
  acc.peakBar = peakBar;
  acc.maxDrawdown = maxDrawdown;
  acc.maxDrawdownBars = drawdownBars;
  acc.trades = trades;
  acc.closedTrades = closedTrades;
  acc.wins = wins;
  acc.grossProfit = grossProfit;
  acc.grossLoss = grossLoss;
  acc.tradeReturnSum = tradeReturnSum;
  acc.longBars = exposed;
  if (stateOut !== null) {
    stateOut.bars = n;
    stateOut.position = position;
    // The strategy's target at the last close (also after ruin, where the loop stopped reading them).
    stateOut.target = changes > 0 ? changeTarget[changes - 1] : from !== null ? from.target : 0;
    stateOut.ruined = ruined;
    stateOut.cash = cash;
    stateOut.units = units;
    stateOut.base = base;
    stateOut.entryCash = entryCash;
    stateOut.previous = previous;
    stateOut.returnSum = sum;
    stateOut.returnSumSq = sumSq;
    stateOut.downTimesTwo = down;
    stateOut.counted = counted;
    stateOut.peak = peak;
    stateOut.peakBar = peakBar;
    stateOut.maxDrawdown = maxDrawdown;
    stateOut.maxDrawdownBars = drawdownBars;
    stateOut.trades = trades;
    stateOut.closedTrades = closedTrades;
    stateOut.wins = wins;
    stateOut.grossProfit = grossProfit;
    stateOut.grossLoss = grossLoss;
    stateOut.tradeReturnSum = tradeReturnSum;
    stateOut.exposedBars = exposed;
    stateOut.entryBar = entryBar;
    stateOut.stopPrice = stopPrice;
    stateOut.targetPrice = targetPrice;
    stateOut.trailExtreme = trailExtreme;
    stateOut.trailOffset = trailOffset;
    stateOut.blocked = blocked;
  }
  return acc;
}
