/**
 * Exit rules the execution core (execution.ts) applies on top of any strategy's targets:
 * stop-loss, take-profit and trailing stop, each as a fraction of the entry price or in ATR
 * multiples, and a time stop in bars held. 0 turns a rule off. The semantics are execution.ts's
 * (its header); the option names, limits and validation are the backtest kind's
 * (shared/tasks/backtest/exit-params.ts).
 */
export interface ExitRules {
  /** Long: stop at entry·(1 − stopLoss); short: entry·(1 + stopLoss). */
  stopLoss: number;
  /** Stop at entry ∓ stopLossAtr·ATR(decision bar). */
  stopLossAtr: number;
  /** Long: target at entry·(1 + takeProfit); short: entry·(1 − takeProfit). */
  takeProfit: number;
  /** Target at entry ± takeProfitAtr·ATR(decision bar). */
  takeProfitAtr: number;
  /** Long: stop at extreme·(1 − trailingStop); short: extreme·(1 + trailingStop). */
  trailingStop: number;
  /** Stop at extreme ∓ trailingStopAtr·ATR(decision bar). */
  trailingStopAtr: number;
  /** Exit at the open of the bar after this many bars held. */
  timeStop: number;
}

/** What simulate() needs to apply exit rules: the rules and the bars they are checked against. */
export interface Exits {
  readonly rules: ExitRules;
  readonly high: Float64Array;
  readonly low: Float64Array;
  /** ATR of the same bars (shared/quant/indicators/atr.ts); read only when a rule is in ATR multiples. */
  readonly atr: Float64Array | null;
}

/** Every rule off. */
export function noExitRules(): ExitRules {
  return { stopLoss: 0, stopLossAtr: 0, takeProfit: 0, takeProfitAtr: 0, trailingStop: 0, trailingStopAtr: 0, timeStop: 0 };
}

/** Whether any rule is on. */
export function anyExitRule(rules: ExitRules): boolean {
  return rules.stopLoss > 0 || rules.stopLossAtr > 0 || rules.takeProfit > 0 || rules.takeProfitAtr > 0 || rules.trailingStop > 0 || rules.trailingStopAtr > 0 || rules.timeStop > 0;
}

/** Whether a rule is in ATR multiples (the ATR array is then needed). */
export function usesAtr(rules: ExitRules): boolean {
  return rules.stopLossAtr > 0 || rules.takeProfitAtr > 0 || rules.trailingStopAtr > 0;
}

/** The exits of the window of bars [from, to) (a walk-forward window; the ATR is the whole series'). */
export function exitsWindow(exits: Exits | null, from: number, to: number): Exits | null {
  if (exits === null) return null;
  return { rules: exits.rules, high: exits.high.subarray(from, to), low: exits.low.subarray(from, to), atr: exits.atr === null ? null : exits.atr.subarray(from, to) };
}
