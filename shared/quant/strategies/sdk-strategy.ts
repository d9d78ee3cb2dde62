import { checkIndicatorRequest, type IndicatorRequests, type ParamSpecs, type Strategy } from '../../strategy-sdk/define-strategy.js';
import { manifestOf, type StrategyManifest } from '../../strategy-sdk/manifest.js';
import { specialiseRuleLoop } from '../../strategy-sdk/rule-loop.js';
import { indicatorArray } from './indicator-request-arrays.js';
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

/**
 * A strategy written on the SDK, run in this thread (trusted code: the built-in strategies). Its
 * indicator arrays come from the series' IndicatorCache; its rule runs in its own compiled copy
 * of the rule loop, as a user strategy's does in its sandbox. Its indicator arrays are whole-series
 * ones (the bars ≥ `from` of a continued run are bit-identical to them).
 */
export function inProcessDefinition<P extends ParamSpecs, I extends IndicatorRequests>(source: Strategy<P, I>): StrategyDefinition {
  const strategy = source as unknown as Strategy;
  const manifest = manifestOf(strategy);
  const names = manifest.params.map((p) => p.name);
  const loop = specialiseRuleLoop();
  const rule = strategy.rule as (t: number, ctx: { position: number }) => unknown;
  return definitionOfManifest(manifest, (inputs: StrategyInputs, values: Float64Array, allowShort: boolean, out: SignalBuffer, from = 0, initial = 0) => {
    const p: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) p[names[i]] = values[i];
    p.short = allowShort ? 1 : 0;
    const requests = strategy.indicators(p as never);
    const ind: Record<string, Float64Array> = {};
    let firstDefined = 0;
    for (const key of Object.keys(requests)) {
      checkIndicatorRequest(key, requests[key]);
      const array = indicatorArray(inputs.indicators, requests[key]);
      ind[key] = array;
      let t = 0;
      while (t < array.length && Number.isNaN(array[t])) t++;
      if (t > firstDefined) firstDefined = t;
    }
    const n = inputs.close.length;
    const warmup = strategy.warmup ? strategy.warmup(p as never) : firstDefined;
    // Continuing from bar `from` (incremental re-runs): the rule's only state is its target, `initial`.
    const ctx = { p, ind, open: inputs.open, high: inputs.high, low: inputs.low, close: inputs.close, n, allowShort, position: initial };
    out.count = loop(rule, ctx, warmup > from ? warmup : from, n, allowShort, out.bar, out.target);
  });
}
