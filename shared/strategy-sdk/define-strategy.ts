import type { IndicatorRequest } from './indicator-requests.js';
import { INDICATOR_SHAPES } from './indicator-requests.js';
import type { SignalRule } from './signal-rules.js';
import { fail, StrategyDefinitionError } from './definition-error.js';

export { StrategyDefinitionError };

/**
 * The strategy SDK: one way to write a strategy, for the built-in ones and for users' own
 * (`import { defineStrategy } from 'quantgrid/strategy'`). A strategy is a parameter schema, the
 * indicators it needs for one combination, and its decision: either a declarative `signal` (data:
 * comparisons the engine compiles into a tight loop, exact on tick-grid prices, see
 * signal-rules.ts) or a `rule` function giving the target position at each close. Fills, costs,
 * sizing and metrics are the engine's; neither ever sees money.
 *
 * Kept free of Node and of the engine's modules: a user's strategy is bundled with this file and
 * runs in a sandbox that has neither.
 */

/** One parameter. Swept over ranges (start, stop, step, inclusive); `default` is the range swept when a job gives none. */
export interface ParamSpec {
  /** 'integer' (the default) or 'real'. */
  readonly type?: 'integer' | 'real';
  /** Inclusive bounds of every swept value. */
  readonly min: number;
  readonly max: number;
  /** One value, or the range swept by default. */
  readonly default: number | { readonly start: number; readonly stop: number; readonly step: number };
  /** A lookback in bars: values must also be ≤ the series length. */
  readonly period?: boolean;
  readonly description?: string;
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** One combination's values by name; `short` is the common long/short switch every strategy gets (0 or 1). */
export type ParamValues<P extends ParamSpecs> = { readonly [K in keyof P]: number } & { readonly short: number };

export type IndicatorRequests = Readonly<Record<string, IndicatorRequest>>;

/** What the rule reads at each bar. The arrays are shared and read-only: do not write into them. */
export interface RuleContext<P extends ParamSpecs, I extends IndicatorRequests> {
  readonly p: ParamValues<P>;
  readonly ind: { readonly [K in keyof I]: Float64Array };
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Bars in the series. */
  readonly n: number;
  /** Whether short = 1 (a −1 answer is read as flat otherwise). */
  readonly allowShort: boolean;
  /** The target held before this bar's decision: 1, 0 or −1. */
  readonly position: number;
}

/** The target wanted from the next open: 1 long, 0 flat, −1 short. */
export type Target = 1 | 0 | -1;

export interface StrategySource<P extends ParamSpecs, I extends IndicatorRequests> {
  /** Lower-case letters, digits and '-', starting with a letter (at most 64). */
  readonly name: string;
  readonly description?: string;
  readonly params: P;
  /** left < right for every combination swept; the two must be adjacent in `params`, left first. At most one. */
  readonly constraint?: readonly [keyof P & string, keyof P & string];
  /** The indicator arrays one combination needs, by the names the rule reads them under. */
  readonly indicators: (p: ParamValues<P>) => I;
  /** First bar the rule decides (flat before). Default: the first bar where every requested array is a number. */
  readonly warmup?: (p: ParamValues<P>) => number;
  /**
   * The decision as data, for one combination (called once per combination, not per bar): e.g.
   * `crossover('fast', 'slow')` or `enterExit({ enterLong: lt('rsi', p.entry), exitLong: gt('rsi', p.exit) })`.
   * Compiled by the engine into a tight loop, with exact ties (the fastest way; what the built-in
   * strategies use). Give either this or `rule`.
   */
  readonly signal?: (p: ParamValues<P>) => SignalRule;
  /** The target at the close of bar t, for what a `signal` cannot say. Called for every bar from the warm-up on; keep it pure. */
  readonly rule?: (t: number, ctx: RuleContext<P, I>) => Target;
}

/** A checked strategy, as defineStrategy returns it. */
export interface Strategy<P extends ParamSpecs = ParamSpecs, I extends IndicatorRequests = IndicatorRequests> extends StrategySource<P, I> {
  readonly sdkVersion: 1;
}

/**
 * Names a strategy's own parameters may not take: the common ones (short, the settings, the exit
 * rules every strategy can use; the engine checks at load that these are all of its own).
 */
export const RESERVED_PARAM_NAMES: readonly string[] = [
  'short',
  'year_days',
  'risk_free',
  'stop_loss',
  'stop_loss_atr',
  'take_profit',
  'take_profit_atr',
  'trailing_stop',
  'trailing_stop_atr',
  'time_stop',
  'atr_period',
];
const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const PARAM_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/** Most own parameters of a strategy. */
export const MAX_STRATEGY_PARAMS = 16;

function checkParam(name: string, spec: ParamSpec): void {
  const field = `params.${name}`;
  if (!PARAM_NAME.test(name)) fail(field, 'a parameter name is lower-case letters, digits and _, starting with a letter (at most 32)');
  if (RESERVED_PARAM_NAMES.includes(name)) fail(field, `${name} is common to every strategy; choose another name`);
  if (typeof spec !== 'object' || spec === null) fail(field, 'must be an object { min, max, default }');
  const type = spec.type ?? 'integer';
  if (type !== 'integer' && type !== 'real') fail(`${field}.type`, 'must be "integer" or "real"');
  const integer = type === 'integer';
  for (const key of ['min', 'max'] as const) {
    const value = spec[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) fail(`${field}.${key}`, `must be a finite ${integer ? 'integer' : 'number'}`);
  }
  if (spec.min > spec.max) fail(`${field}.min`, `${spec.min} is above max ${spec.max}`);
  if (spec.period && (!integer || spec.min < 1)) fail(`${field}.period`, 'a period is an integer parameter with min ≥ 1');
  const range = typeof spec.default === 'number' ? { start: spec.default, stop: spec.default, step: 1 } : spec.default;
  if (typeof range !== 'object' || range === null) fail(`${field}.default`, 'must be a number or { start, stop, step }');
  for (const key of ['start', 'stop'] as const) {
    const value = range[key];
    if (typeof value !== 'number' || !(value >= spec.min && value <= spec.max) || (integer && !Number.isInteger(value))) {
      fail(`${field}.default.${key}`, `must be ${integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`);
    }
  }
  if (range.stop < range.start) fail(`${field}.default.stop`, 'is below start');
  if (range.stop > range.start && !(typeof range.step === 'number' && range.step > 0 && (!integer || Number.isInteger(range.step)))) {
    fail(`${field}.default.step`, `must be ${integer ? 'an integer ≥ 1' : 'a number > 0'}`);
  }
}

/** Checks a request returned by indicators(p) (in the sandbox too: the host trusts nothing it did not check). */
export function checkIndicatorRequest(name: string, r: IndicatorRequest): void {
  const field = `indicators.${name}`;
  const shape = typeof r === 'object' && r !== null ? INDICATOR_SHAPES[r.indicator] : undefined;
  if (!shape || !Object.prototype.hasOwnProperty.call(INDICATOR_SHAPES, r.indicator)) fail(field, 'is not an indicator request (use sma(), ema(), rsi(), atr(), … from quantgrid/strategy)');
  if (!Array.isArray(r.args) || r.args.length !== shape.args || !r.args.every((a) => typeof a === 'number' && Number.isFinite(a))) {
    fail(field, `${r.indicator} takes ${shape.args} finite number(s)`);
  }
  if (!Number.isInteger(r.output) || r.output < 0 || r.output >= shape.outputs) fail(field, `${r.indicator} has ${shape.outputs} output(s)`);
}

/**
 * Checks a strategy's definition and returns it (frozen). Throws StrategyDefinitionError naming the
 * field at fault. The parameters are swept in the order they are written.
 */
export function defineStrategy<P extends ParamSpecs, I extends IndicatorRequests>(source: StrategySource<P, I>): Strategy<P, I> {
  if (typeof source !== 'object' || source === null) fail('strategy', 'must be an object');
  if (typeof source.name !== 'string' || !NAME.test(source.name)) fail('name', 'lower-case letters, digits and -, starting with a letter (at most 64)');
  if (source.description !== undefined && typeof source.description !== 'string') fail('description', 'must be a string');
  if (typeof source.params !== 'object' || source.params === null) fail('params', 'must be an object of parameters');
  const names = Object.keys(source.params);
  if (names.length > MAX_STRATEGY_PARAMS) fail('params', `at most ${MAX_STRATEGY_PARAMS} parameters`);
  for (const name of names) checkParam(name, source.params[name]);
  if (source.constraint !== undefined) {
    const [left, right] = source.constraint;
    const i = names.indexOf(left);
    if (i < 0 || names[i + 1] !== right) fail('constraint', `${String(left)} < ${String(right)} needs two adjacent parameters, left first`);
  }
  if (typeof source.indicators !== 'function') fail('indicators', 'must be a function (p) => ({ name: sma(p.fast), … })');
  if (source.warmup !== undefined && typeof source.warmup !== 'function') fail('warmup', 'must be a function (p) => bar');
  if (source.signal !== undefined && source.rule !== undefined) fail('signal', 'give either signal or rule, not both');
  if (source.signal !== undefined) {
    if (typeof source.signal !== 'function') fail('signal', 'must be a function (p) => crossover(…) | longWhile(…) | enterExit(…)');
  } else if (typeof source.rule !== 'function') fail('rule', 'must be a function (t, ctx) => 1 | 0 | -1 (or give signal: (p) => a declarative rule)');
  return Object.freeze({ ...source, sdkVersion: 1 as const });
}
