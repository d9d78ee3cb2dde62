import type { LessThanConstraint, ParamSchema } from '../quant/strategies/types.js';
import type { IndicatorRequests, ParamSpec, ParamSpecs, Strategy } from './define-strategy.js';

/**
 * What the engine needs to know of a strategy without running its code: its name, description,
 * parameters (in the engine's ParamSchema shape, in sweep order) and constraint. Plain JSON: a
 * user strategy's manifest is read out of its sandbox at push and stored beside its code, so the
 * coordinator validates jobs against it without running user code.
 */
export interface StrategyManifest {
  name: string;
  description: string;
  params: ParamSchema[];
  constraints: LessThanConstraint[];
}

function rangeOf(spec: ParamSpec): { start: number; stop: number; step: number } {
  if (typeof spec.default === 'number') return { start: spec.default, stop: spec.default, step: 1 };
  const { start, stop, step } = spec.default;
  return { start, stop, step: stop > start ? step : 1 };
}

export function manifestOf<P extends ParamSpecs, I extends IndicatorRequests>(strategy: Strategy<P, I>): StrategyManifest {
  return {
    name: strategy.name,
    description: strategy.description ?? '',
    params: Object.entries(strategy.params as ParamSpecs).map(([name, spec]) => ({
      name,
      type: spec.type ?? 'integer',
      min: spec.min,
      max: spec.max,
      ...(spec.period ? { period: true } : {}),
      defaultRange: rangeOf(spec),
      description: spec.description ?? '',
    })),
    constraints: strategy.constraint ? [{ left: strategy.constraint[0], right: strategy.constraint[1] }] : [],
  };
}
