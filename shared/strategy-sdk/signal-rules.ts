/**
 * Declarative rules: a strategy's decision written as data (comparisons of its indicator arrays,
 * prices and numbers) instead of a per-bar function. The engine compiles a rule's shape once into
 * a tight loop over the shared indicator arrays (no call per bar), and decides each comparison
 * exactly where the engine knows the exact values of both sides (SMAs, EMAs, MACD, Bollinger bands
 * on the closes' tick grid; see docs/strategies.md#ties): the same machinery runs the built-in
 * strategies and users' own, in the agent's thread for both (a user's `signal(p)` runs in its
 * sandbox, once per combination; the loop it describes runs outside it, on checked data).
 *
 * Kept free of Node and of the engine's modules, like define-strategy.ts.
 */
import { fail } from './definition-error.js';

/** The bar columns an operand may name besides the strategy's own indicators. */
export const PRICE_NAMES: readonly string[] = ['open', 'high', 'low', 'close'];

/** An indicator's name (a key of what `indicators(p)` returns), a price column ('open', 'high', 'low', 'close'), or a number. */
export type Operand = string | number;

export type ComparisonOp = 'gt' | 'ge' | 'lt' | 'le';

/** left op right at the bar decided (false while either side is NaN, in its warm-up). */
export interface Comparison {
  readonly op: ComparisonOp;
  readonly left: Operand;
  readonly right: Operand;
}

/** Long while `when` holds at the close, else short (flat without short = 1): a crossover. */
export interface LongWhileRule {
  readonly kind: 'longWhile';
  readonly when: Comparison;
}

/**
 * A state machine on the target, at each close: first the exit of the position held (exitLong when
 * long, exitShort when short: → flat), then, when flat, the entries (enterLong → long, else
 * enterShort → short, the latter only with short = 1). A condition left out never holds.
 */
export interface EnterExitRule {
  readonly kind: 'enterExit';
  readonly enterLong?: Comparison;
  readonly exitLong?: Comparison;
  readonly enterShort?: Comparison;
  readonly exitShort?: Comparison;
}

export type SignalRule = LongWhileRule | EnterExitRule;

export const gt = (left: Operand, right: Operand): Comparison => ({ op: 'gt', left, right });
export const ge = (left: Operand, right: Operand): Comparison => ({ op: 'ge', left, right });
export const lt = (left: Operand, right: Operand): Comparison => ({ op: 'lt', left, right });
export const le = (left: Operand, right: Operand): Comparison => ({ op: 'le', left, right });

export const longWhile = (when: Comparison): LongWhileRule => ({ kind: 'longWhile', when });
/** Long while left > right (exactly, where the engine can tell), else short or flat. */
export const crossover = (above: Operand, below: Operand): LongWhileRule => longWhile(gt(above, below));
export const enterExit = (conditions: Omit<EnterExitRule, 'kind'>): EnterExitRule => ({ kind: 'enterExit', ...conditions });

export const ENTER_EXIT_KEYS = ['exitLong', 'exitShort', 'enterLong', 'enterShort'] as const;
const OPS: readonly string[] = ['gt', 'ge', 'lt', 'le'];


/**
 * Checks a rule returned by signal(p) against the names `indicators(p)` returned (on the host for a
 * user's: nothing from a sandbox is trusted) and returns it; the error names the part at fault.
 */
export function checkSignalRule(rule: unknown, indicatorNames: readonly string[]): SignalRule {
  if (typeof rule !== 'object' || rule === null) fail('signal', 'must return a rule: crossover(), longWhile() or enterExit() from quantgrid/strategy');
  const r = rule as Record<string, unknown>;
  const comparison = (field: string, c: unknown): void => {
    if (typeof c !== 'object' || c === null || !OPS.includes((c as Comparison).op)) fail(field, 'must be a comparison: gt(), ge(), lt() or le()');
    for (const side of ['left', 'right'] as const) {
      const operand = (c as Comparison)[side];
      if (typeof operand === 'number') {
        if (!Number.isFinite(operand)) fail(`${field}.${side}`, 'a number operand must be finite');
      } else if (typeof operand !== 'string' || !(PRICE_NAMES.includes(operand) || indicatorNames.includes(operand))) {
        fail(`${field}.${side}`, `${JSON.stringify(operand)} is neither one of this strategy's indicators (${indicatorNames.join(', ') || 'none'}) nor open, high, low, close or a number`);
      } else if (PRICE_NAMES.includes(operand) && indicatorNames.includes(operand)) {
        fail(`${field}.${side}`, `"${operand}" names both a price column and an indicator; rename the indicator`);
      }
    }
  };
  if (r.kind === 'longWhile') comparison('signal.when', r.when);
  else if (r.kind === 'enterExit') {
    for (const key of ENTER_EXIT_KEYS) if (r[key] !== undefined) comparison(`signal.${key}`, r[key]);
    for (const key of Object.keys(r)) if (key !== 'kind' && !(ENTER_EXIT_KEYS as readonly string[]).includes(key)) fail(`signal.${key}`, `is not a condition of enterExit (${ENTER_EXIT_KEYS.join(', ')})`);
  } else fail('signal.kind', 'must be "longWhile" or "enterExit" (use crossover(), longWhile() or enterExit())');
  return rule as SignalRule;
}
