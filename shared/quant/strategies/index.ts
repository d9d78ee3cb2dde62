import type { Strategy } from '../../strategy-sdk/define-strategy.js';
import { bollingerReversionSource } from './bollinger-reversion.js';
import { donchianBreakoutSource } from './donchian-breakout.js';
import { emaCrossoverSource } from './ema-crossover.js';
import { macdCrossSource } from './macd-cross.js';
import { rsiReversionSource } from './rsi-reversion.js';
import { smaCrossoverSource } from './sma-crossover.js';
import { inProcessDefinition } from './sdk-strategy.js';
import type { ParamSchema, StrategyDefinition } from './types.js';
import { installedUserStrategy } from './user-strategies.js';

export type { LessThanConstraint, ParamSchema, StrategyDefinition, StrategyInputs } from './types.js';
export { SignalBuffer } from './types.js';
export { IndicatorCache } from './indicator-cache.js';
export { simulate, type TradingCosts } from './execution.js';
export { ExecutionState } from './execution-state.js';

/** The strategy library, as written on the SDK (defineStrategy): one way to write a strategy. Adding one = one file in this folder + one line here. */
export const BUILT_IN_SOURCES: readonly Strategy[] = [
  smaCrossoverSource,
  emaCrossoverSource,
  rsiReversionSource,
  bollingerReversionSource,
  macdCrossSource,
  donchianBreakoutSource,
] as unknown as Strategy[];

/** Each run in this thread (sdk-strategy.ts inProcessDefinition). */
const DEFINITIONS: readonly StrategyDefinition[] = BUILT_IN_SOURCES.map((source) => inProcessDefinition(source));

export const STRATEGIES: ReadonlyMap<string, StrategyDefinition> = new Map(DEFINITIONS.map((d) => [d.name, d]));
export const STRATEGY_NAMES: readonly string[] = DEFINITIONS.map((d) => d.name);
export const DEFAULT_STRATEGY = 'sma-crossover';

/** A built-in strategy by name, or an installed user strategy by reference NAME@ID (see user-strategies.ts). */
export function strategyDefinition(name: string): StrategyDefinition | undefined {
  return STRATEGIES.get(name) ?? installedUserStrategy(name);
}

/**
 * Common to every strategy and swept like the others: short = 0 long-only (the default),
 * short = 1 long/short (see each strategy's rule for when it goes short).
 */
export const SHORT_PARAM: ParamSchema = {
  name: 'short',
  type: 'integer',
  min: 0,
  max: 1,
  defaultRange: { start: 0, stop: 0, step: 1 },
  description: '0 long-only, 1 long/short',
};

/**
 * Settings given through params but not swept (a single value each): the days per year used
 * to annualise (365 or 252) and the annual risk-free rate subtracted per period (as
 * (1 + rate)^(1/P) − 1) before Sharpe and Sortino.
 */
export const SETTING_PARAMS: readonly ParamSchema[] = [
  { name: 'year_days', type: 'integer', min: 252, max: 365, defaultRange: { start: 365, stop: 365, step: 1 }, description: '365 or 252 (left out: auto, 252 for a stored dataset without weekend trading, else 365)' },
  { name: 'risk_free', type: 'real', min: 0, max: 1, defaultRange: { start: 0, stop: 0, step: 1 }, description: 'annual risk-free rate' },
];

/** The swept parameters of a strategy, in sweep order: its own, then `short`. */
export function sweptParams(definition: StrategyDefinition): ParamSchema[] {
  return [...definition.params, SHORT_PARAM];
}

// Checked once at load: a constraint must name two adjacent parameters, left first.
for (const definition of DEFINITIONS) {
  if (definition.constraints.length > 1) throw new Error(`${definition.name}: at most one constraint is supported`);
  for (const { left, right } of definition.constraints) {
    const i = definition.params.findIndex((p) => p.name === left);
    if (i < 0 || definition.params[i + 1]?.name !== right) throw new Error(`${definition.name}: constraint ${left} < ${right} needs adjacent parameters`);
  }
}
