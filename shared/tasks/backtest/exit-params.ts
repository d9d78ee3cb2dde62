import { ValidationError } from '../../errors.js';
import { RESERVED_PARAM_NAMES } from '../../strategy-sdk/define-strategy.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { anyExitRule, noExitRules, usesAtr, type ExitRules, type Exits } from '../../quant/strategies/exits.js';
import type { ParamSchema } from '../../quant/strategies/index.js';
import { inputsFor } from './evaluation.js';
import type { ParamRange } from './grid.js';

/**
 * The exit rules every strategy can use (execution.ts applies them), as backtest params: swept
 * like any parameter (grid, random search, walk-forward), after the strategy's own and `short`.
 * Each is in the sweep only when the spec gives it, so a spec without them runs, ranks and
 * caches exactly as before they existed. 0 turns a rule off.
 */
export const DEFAULT_ATR_PERIOD = 14;
/** A stop at 100 % of the entry price or more would be at or below 0 (long). */
export const MAX_STOP_FRACTION = 0.99;
export const MAX_TAKE_PROFIT_FRACTION = 100;
export const MAX_ATR_MULTIPLE = 1000;
export const MAX_TIME_STOP_BARS = 10_000_000;
export const MAX_ATR_PERIOD = 10_000;

const OFF = { start: 0, stop: 0, step: 1 };

export const EXIT_PARAMS: readonly ParamSchema[] = [
  { name: 'stop_loss', type: 'real', min: 0, max: MAX_STOP_FRACTION, defaultRange: OFF, description: 'stop-loss, a fraction of the entry price (0.02 = 2 % below a long entry, above a short one; 0 off)' },
  { name: 'stop_loss_atr', type: 'real', min: 0, max: MAX_ATR_MULTIPLE, defaultRange: OFF, description: "stop-loss in ATR multiples (the decision bar's ATR; 0 off)" },
  { name: 'take_profit', type: 'real', min: 0, max: MAX_TAKE_PROFIT_FRACTION, defaultRange: OFF, description: 'take-profit, a fraction of the entry price (0 off)' },
  { name: 'take_profit_atr', type: 'real', min: 0, max: MAX_ATR_MULTIPLE, defaultRange: OFF, description: 'take-profit in ATR multiples (0 off)' },
  { name: 'trailing_stop', type: 'real', min: 0, max: MAX_STOP_FRACTION, defaultRange: OFF, description: 'trailing stop, a fraction below the highest high (long) / above the lowest low (short) since entry (0 off)' },
  { name: 'trailing_stop_atr', type: 'real', min: 0, max: MAX_ATR_MULTIPLE, defaultRange: OFF, description: 'trailing stop in ATR multiples from that extreme (0 off)' },
  { name: 'time_stop', type: 'integer', min: 0, max: MAX_TIME_STOP_BARS, defaultRange: OFF, description: 'at the open after this many bars held (0 off)' },
  {
    name: 'atr_period',
    type: 'integer',
    min: 1,
    max: MAX_ATR_PERIOD,
    period: true,
    defaultRange: { start: DEFAULT_ATR_PERIOD, stop: DEFAULT_ATR_PERIOD, step: 1 },
    description: `the ATR's period for the *_atr exits (Wilder; default ${DEFAULT_ATR_PERIOD}; only with one of them)`,
  },
];

// Checked once at load: the SDK (which imports nothing of the engine) reserves these names.
for (const { name } of EXIT_PARAMS) if (!RESERVED_PARAM_NAMES.includes(name)) throw new Error(`exit param ${name} is not in the SDK's RESERVED_PARAM_NAMES`);
const ATR_PERIOD = 'atr_period';
/** Each rule given as a fraction or in ATR multiples, not both. */
const ALTERNATIVES: ReadonlyArray<readonly [string, string]> = [
  ['stop_loss', 'stop_loss_atr'],
  ['take_profit', 'take_profit_atr'],
  ['trailing_stop', 'trailing_stop_atr'],
];
const ATR_RULES = ALTERNATIVES.map(([, atr]) => atr);

/** The exit params a validated spec sweeps, in sweep order. */
export function exitParamsOf(params: Readonly<Record<string, ParamRange>>): ParamSchema[] {
  return EXIT_PARAMS.filter((p) => params[p.name] !== undefined);
}

/**
 * Checks what the spec's params give of the exits, once each range is valid (`ranges`, by name):
 * a rule as a fraction or in ATR multiples, not both; atr_period only with an ATR rule, and
 * defaulted with one. Returns the ranges to add to the spec's params (the ATR period's default).
 */
export function checkExitParams(ranges: Readonly<Record<string, ParamRange>>): Record<string, ParamRange> {
  for (const [fraction, atr] of ALTERNATIVES) {
    if (ranges[fraction] !== undefined && ranges[atr] !== undefined) {
      throw new ValidationError(`backtest.params.${atr}`, `give ${fraction} (a fraction of the entry price) or ${atr} (ATR multiples), not both`);
    }
  }
  const atrGiven = ATR_RULES.some((name) => ranges[name] !== undefined);
  if (ranges[ATR_PERIOD] !== undefined && !atrGiven) {
    throw new ValidationError(`backtest.params.${ATR_PERIOD}`, `only with an exit in ATR multiples (${ATR_RULES.join(', ')})`);
  }
  const atrPeriod = EXIT_PARAMS.find((p) => p.name === ATR_PERIOD) as ParamSchema;
  return atrGiven && ranges[ATR_PERIOD] === undefined ? { [ATR_PERIOD]: { ...atrPeriod.defaultRange } } : {};
}

const RULE_OF: Readonly<Record<string, keyof ExitRules>> = {
  stop_loss: 'stopLoss',
  stop_loss_atr: 'stopLossAtr',
  take_profit: 'takeProfit',
  take_profit_atr: 'takeProfitAtr',
  trailing_stop: 'trailingStop',
  trailing_stop_atr: 'trailingStopAtr',
  time_stop: 'timeStop',
};

/**
 * A sweep's exit rules per combination: reads them from the swept values (names in sweep order)
 * and binds them to a series. One per partition; no allocation per bar.
 */
export class SweepExits {
  private readonly fields: Array<{ index: number; rule: keyof ExitRules }> = [];
  private readonly atrPeriodIndex: number;
  private readonly rules = noExitRules();
  /** Whether the sweep has any exit param (else exitsOf is always null). */
  private readonly any: boolean;

  constructor(names: readonly string[]) {
    names.forEach((name, index) => {
      const rule = RULE_OF[name];
      if (rule !== undefined) this.fields.push({ index, rule });
    });
    this.atrPeriodIndex = names.indexOf(ATR_PERIOD);
    this.any = this.fields.length > 0;
  }

  /**
   * The exits of the combination `values` on `series`, or null when every rule is off (the
   * engine's path without exits). Valid until the next call.
   */
  exitsOf(values: ArrayLike<number>, series: Ohlcv): Exits | null {
    if (!this.any) return null;
    for (const { index, rule } of this.fields) this.rules[rule] = values[index];
    if (!anyExitRule(this.rules)) return null;
    const atr = usesAtr(this.rules) ? inputsFor(series).indicators.atr(values[this.atrPeriodIndex]) : null;
    return { rules: this.rules, high: series.high, low: series.low, atr };
  }
}
