import { checkIndicatorRequest, type IndicatorRequests, type ParamSpecs, type Strategy } from '../../strategy-sdk/define-strategy.js';
import type { IndicatorRequest } from '../../strategy-sdk/indicator-requests.js';
import { manifestOf, type StrategyManifest } from '../../strategy-sdk/manifest.js';
import { specialiseRuleLoop } from '../../strategy-sdk/rule-loop.js';
import { checkSignalRule, type Comparison, type Operand, type SignalRule } from '../../strategy-sdk/signal-rules.js';
import { exactSignOf, type OperandSource } from './exact-comparisons.js';
import { indicatorArray, indicatorOutputs, sameIndicator } from './indicator-request-arrays.js';
import { CompiledSignalRule, runSignalRule, type ResolvedComparison, type ResolvedRule } from './signal-loop.js';
import type { SignalBuffer, SignalPass, StrategyDefinition, StrategyInputs } from './types.js';

/**
 * The engine's StrategyDefinition of a strategy known by its manifest, whose targets come from
 * `signals` (a sandbox's, for a user strategy).
 */
export function definitionOfManifest(
  manifest: StrategyManifest,
  signals: StrategyDefinition['signals'],
  name = manifest.name,
  prepareSignals?: StrategyDefinition['prepareSignals'],
): StrategyDefinition {
  const definition: StrategyDefinition = {
    name,
    description: manifest.description,
    params: manifest.params.map((p) => ({ ...p, defaultRange: { ...p.defaultRange } })),
    constraints: manifest.constraints.map((c) => ({ ...c })),
    signals,
  };
  if (prepareSignals !== undefined) definition.prepareSignals = prepareSignals;
  return definition;
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

/** One combination's indicators, by position in the names its indicators(p) returned. */
interface Resolved {
  readonly inputs: StrategyInputs;
  readonly names: readonly string[];
  readonly requests: IndicatorRequest[];
  readonly outputs: Float64Array[][];
}

function sideOf(r: Resolved, operand: Operand): OperandSource {
  if (typeof operand === 'number') return operand;
  const i = r.names.indexOf(operand);
  return i < 0 ? { price: operand as 'close' } : { request: r.requests[i], outputs: r.outputs[i] };
}

function valueOf(r: Resolved, operand: Operand): Float64Array | number {
  if (typeof operand === 'number') return operand;
  const i = r.names.indexOf(operand);
  return i < 0 ? r.inputs[operand as 'close'] : r.outputs[i][r.requests[i].output];
}

function resolveComparison(r: Resolved, c: Comparison | undefined): ResolvedComparison | undefined {
  if (c === undefined) return undefined;
  return { op: c.op, left: valueOf(r, c.left), right: valueOf(r, c.right), exact: exactSignOf(r.inputs.indicators, sideOf(r, c.left), sideOf(r, c.right)) };
}


/** A declarative combination resolved: its rule over its arrays, and the first bar it decides (≥ from; the series' length: never). */
interface DeclarativePass {
  readonly rule: ResolvedRule;
  readonly start: number;
}

/**
 * One combination of a strategy with a declarative rule (signal-rules.ts), resolved on the host:
 * `requests` and `rule` are what its indicators(p) and signal(p) returned (checked here: for a user
 * strategy they come out of its sandbox), `warmup` what its warmup(p) did (undefined: the first bar
 * where every requested array is a number). The arrays come from the series' IndicatorCache (an
 * SMA from bar `from` only when continuing), the exact comparisons from exactSignOf.
 */
function resolveDeclarative(inputs: StrategyInputs, requests: Readonly<Record<string, IndicatorRequest>>, rule: unknown, warmup: number | undefined, from: number): DeclarativePass {
  const names = Object.keys(requests);
  const r: Resolved = { inputs, names, requests: [], outputs: [] };
  let firstDefined = from;
  for (let i = 0; i < names.length; i++) {
    const request = requests[names[i]];
    checkIndicatorRequest(names[i], request);
    // Each indicator and parameters looked up once (a band's three arrays are one entry: looking it
    // up thrice would look like a finished entry to the cache's eviction, see IndicatorCache).
    let j = 0;
    while (j < i && !sameIndicator(r.requests[j], request)) j++;
    const all = j < i ? r.outputs[j] : indicatorOutputs(inputs.indicators, request, from);
    r.requests.push(request);
    r.outputs.push(all);
    if (warmup === undefined) {
      const t = firstNumber(all[request.output], from);
      if (t > firstDefined) firstDefined = t;
    }
  }
  const checked: SignalRule = checkSignalRule(rule, names);
  const resolved: ResolvedRule =
    checked.kind === 'longWhile'
      ? { kind: 'longWhile', when: resolveComparison(r, checked.when)! }
      : {
          kind: 'enterExit',
          exitLong: resolveComparison(r, checked.exitLong),
          exitShort: resolveComparison(r, checked.exitShort),
          enterLong: resolveComparison(r, checked.enterLong),
          enterShort: resolveComparison(r, checked.enterShort),
        };
  let start = warmup === undefined ? firstDefined : Math.ceil(warmup);
  if (!(start >= from)) start = start === start ? from : inputs.close.length; // NaN: never decides
  return { rule: resolved, start };
}

/**
 * One combination of a strategy with a declarative rule, end to end (resolveDeclarative), run in
 * the compiled loop of the rule's shape (signal-loop.ts) over the whole series. Writes the changes
 * into `out`.
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
  const pass = resolveDeclarative(inputs, requests, rule, warmup, from);
  runSignalRule(pass.rule, pass.start, inputs.close.length, allowShort, initial, out);
}

/**
 * The same combination as a SignalPass (types.ts): resolved and compiled once, then run over any
 * range of bars from `from` on — each range's loop starts at the later of the range's first bar
 * and the combination's first deciding bar, and ends at the range's end.
 */
export function prepareDeclarative(
  inputs: StrategyInputs,
  requests: Readonly<Record<string, IndicatorRequest>>,
  rule: unknown,
  warmup: number | undefined,
  allowShort: boolean,
  from = 0,
): SignalPass {
  const { rule: resolved, start } = resolveDeclarative(inputs, requests, rule, warmup, from);
  const compiled = new CompiledSignalRule(resolved);
  return {
    arrays: compiled.operands,
    run: (out, rangeFrom, to, initial) => compiled.run(rangeFrom > start ? rangeFrom : start, to, allowShort, initial, out),
  };
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
    return definitionOfManifest(
      manifest,
      (inputs, values, allowShort, out, from = 0, initial = 0) => {
        const p = paramValuesOf(names, values, allowShort) as never;
        runDeclarative(inputs, strategy.indicators(p), signal(p), strategy.warmup?.(p), allowShort, out, from, initial);
      },
      manifest.name,
      (inputs, values, allowShort, from = 0) => {
        const p = paramValuesOf(names, values, allowShort) as never;
        return prepareDeclarative(inputs, strategy.indicators(p), signal(p), strategy.warmup?.(p), allowShort, from);
      },
    );
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
