/**
 * quantgrid/strategy — the strategy SDK (see docs/strategies.md). Everything a strategy file imports.
 */
export {
  defineStrategy,
  StrategyDefinitionError,
  type ParamSpec,
  type ParamSpecs,
  type ParamValues,
  type IndicatorRequests,
  type RuleContext,
  type Strategy,
  type StrategySource,
  type Target,
} from './define-strategy.js';
export {
  atr,
  bollingerLower,
  bollingerMiddle,
  bollingerUpper,
  ema,
  macdLine,
  macdSignal,
  priorHigh,
  priorLow,
  rsi,
  sma,
  type IndicatorName,
  type IndicatorRequest,
} from './indicator-requests.js';
export {
  crossover,
  enterExit,
  ge,
  gt,
  le,
  longWhile,
  lt,
  type Comparison,
  type ComparisonOp,
  type EnterExitRule,
  type LongWhileRule,
  type Operand,
  type SignalRule,
} from './signal-rules.js';
