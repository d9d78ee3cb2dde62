import { checkIndicatorRequest, type IndicatorRequests, type ParamSpecs, type Strategy } from '../../strategy-sdk/define-strategy.js';
import type { IndicatorRequest } from '../../strategy-sdk/indicator-requests.js';
import { manifestOf, type StrategyManifest } from '../../strategy-sdk/manifest.js';
import { specialiseRuleLoop } from '../../strategy-sdk/rule-loop.js';
import { checkSignalRule, ENTER_EXIT_KEYS, PRICE_NAMES, type Comparison, type Operand, type SignalRule } from '../../strategy-sdk/signal-rules.js';
import { exactSignOf, type OperandSource } from './exact-comparisons.js';
import { indicatorArray, indicatorOutputs } from './indicator-request-arrays.js';
import { runSignalRule, type ResolvedComparison, type ResolvedRule } from './signal-loop.js';
import type { SignalBuffer, StrategyDefinition, StrategyInputs } from './types.js';

/**
 * The engine's StrategyDefinition of a strategy known by its manifest, whose targets come from
 * `signals` (a sandbox's, for a user strategy).
 */
export function definitionOfManifest(manifest: StrategyManifest, signals: StrategyDefinition['signals'], name = manifest.name): StrategyDefinition {
  return {
    name,
    description: manifest.description,
    params: manifest.params.map((p) => ({ ...p, defaultRange: { ...p.defaultRange } })),
    constraints: manifest.constraints.map((c) => ({ ...c })),
    signals,
  };
}

/** One combination's values by name (the swept values in sweep order), with `short`. */
export function paramValuesOf(names: readonly string[], values: ArrayLike<number>, allowShort: boolean): Record<string, number> {
  const p: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) p[names[i]] = values[i];
  p.short = allowShort ? 1 : 0;
  return p;
}

/** The first bar ≥ from where `array` is a number (its length when none). */
function firstNumber(array: Float64Array, from: number): number {
  let t = from;
  while (t < array.length && Number.isNaN(array[t])) t++;
  return t;
}

/**
 * One combination of a strategy with a declarative rule (signal-rules.ts), end to end on the host:
 * `requests` and `rule` are what its indicators(p) and signal(p) returned (checked here: for a user
 * strategy they come out of its sandbox), `warmup` what its warmup(p) did (undefined: the first bar
 * where every requested array is a number). The arrays come from the series' IndicatorCache (an
 * SMA from bar `from` only when continuing), the exact comparisons from exactSignOf, and the loop
 * is the compiled one of the rule's shape (signal-loop.ts). Writes the changes into `out`.
 */
export function runDeclarative(
  inputs: StrategyInputs,
  requests: Readonly<Record<string, IndicatorRequest>>,
  rule: unknown,
  warmup: number | undefined,
  allowShort: boolean,
  out: SignalBuffer,
  from = 0,
  initial = 0,
): void {
  const names = Object.keys(requests);
  for (const name of names) checkIndicatorRequest(name, requests[name]);
  const checked: SignalRule = checkSignalRule(rule, names);
  const n = inputs.close.length;
  // Null-prototype records: a user's names arrive as JSON and may be "__proto__".
  const arrays: Record<string, Float64Array> = Object.create(null);
  // Each indicator and parameters looked up once (a band's three arrays are one entry: looking it
  // up thrice would look like a finished entry to the cache's eviction, see IndicatorCache).
  const outputs: Record<string, Float64Array[]> = Object.create(null);
  const byIndicator = new Map<string, Float64Array[]>();
  let firstDefined = from;
  for (const name of names) {
    const request = requests[name];
    const key = `${request.indicator}(${request.args.join(',')})`;
    let all = byIndicator.get(key);
    if (all === undefined) {
      all = indicatorOutputs(inputs.indicators, request, from);
      byIndicator.set(key, all);
    }
    outputs[name] = all;
    const array = all[request.output];
    arrays[name] = array;
    if (warmup === undefined) {
      const t = firstNumber(array, from);
      if (t > firstDefined) firstDefined = t;
    }
  }
  const sourceOf = (operand: Operand): OperandSource =>
    typeof operand === 'number' ? operand : PRICE_NAMES.includes(operand) ? { price: operand as 'close' } : { request: requests[operand], outputs: outputs[operand] };
  const valueOf = (operand: Operand): Float64Array | number =>
    typeof operand === 'number' ? operand : PRICE_NAMES.includes(operand) ? inputs[operand as 'close'] : arrays[operand];
  const resolve = (c: Comparison | undefined): ResolvedComparison | undefined =>
    c === undefined ? undefined : { op: c.op, left: valueOf(c.left), right: valueOf(c.right), exact: exactSignOf(inputs.indicators, sourceOf(c.left), sourceOf(c.right)) };
  let resolved: ResolvedRule;
  if (checked.kind === 'longWhile') resolved = { kind: 'longWhile', when: resolve(checked.when)! };
  else {
    const parts: Record<string, ResolvedComparison | undefined> = {};
    for (const key of ENTER_EXIT_KEYS) parts[key] = resolve(checked[key]);
    resolved = { kind: 'enterExit', ...parts };
  }
  let start = warmup === undefined ? firstDefined : Math.ceil(warmup);
  if (!(start >= from)) start = start === start ? from : n; // NaN: never decides
  runSignalRule(resolved, start, n, allowShort, initial, out);
}

/**
 * A strategy written on the SDK, run in this thread (trusted code: the built-in strategies). Its
 * indicator arrays come from the series' IndicatorCache. A declarative `signal` runs as
 * runDeclarative (the same code a user strategy's runs on the agent); a `rule` function runs in its
 * own compiled copy of the rule loop, as a user strategy's does in its sandbox, with whole-series
 * indicator arrays (the bars ≥ `from` of a continued run are bit-identical to them).
 */
export function inProcessDefinition<P extends ParamSpecs, I extends IndicatorRequests>(source: Strategy<P, I>): StrategyDefinition {
  const strategy = source as unknown as Strategy;
  const manifest = manifestOf(strategy);
  const names = manifest.params.map((p) => p.name);
  const signal = strategy.signal;
  if (signal !== undefined) {
    return definitionOfManifest(manifest, (inputs, values, allowShort, out, from = 0, initial = 0) => {
      const p = paramValuesOf(names, values, allowShort) as never;
      runDeclarative(inputs, strategy.indicators(p), signal(p), strategy.warmup?.(p), allowShort, out, from, initial);
    });
  }
  const loop = specialiseRuleLoop();
  const rule = strategy.rule as (t: number, ctx: { position: number }) => unknown;
  return definitionOfManifest(manifest, (inputs: StrategyInputs, values: Float64Array, allowShort: boolean, out: SignalBuffer, from = 0, initial = 0) => {
    const p = paramValuesOf(names, values, allowShort);
    const requests = strategy.indicators(p as never);
    const ind: Record<string, Float64Array> = {};
    let firstDefined = 0;
    for (const key of Object.keys(requests)) {
      checkIndicatorRequest(key, requests[key]);
      const array = indicatorArray(inputs.indicators, requests[key]);
      ind[key] = array;
      const t = firstNumber(array, 0);
      if (t > firstDefined) firstDefined = t;
    }
    const n = inputs.close.length;
    const warmup = strategy.warmup ? strategy.warmup(p as never) : firstDefined;
    // Continuing from bar `from` (incremental re-runs): the rule's only state is its target, `initial`.
    const ctx = { p, ind, open: inputs.open, high: inputs.high, low: inputs.low, close: inputs.close, n, allowShort, position: initial };
    out.count = loop(rule, ctx, warmup > from ? warmup : from, n, allowShort, out.bar, out.target);
  });
}
