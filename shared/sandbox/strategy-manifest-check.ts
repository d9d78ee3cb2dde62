import { ValidationError } from '../errors.js';
import { defineStrategy, StrategyDefinitionError, type ParamSpecs } from '../strategy-sdk/define-strategy.js';
import { manifestOf, type StrategyManifest } from '../strategy-sdk/manifest.js';

/**
 * The manifest of a strategy from what its sandbox described (untrusted JSON): re-checked here by
 * the same rules as defineStrategy, with placeholder functions. Throws ValidationError naming the
 * part at fault, under `field` (e.g. "file").
 */
export function checkedManifest(described: unknown, field: string): StrategyManifest {
  if (typeof described !== 'object' || described === null) throw new ValidationError(field, 'the module exports no strategy');
  const d = described as Record<string, unknown>;
  try {
    const strategy = defineStrategy({
      name: d.name as string,
      description: d.description as string | undefined,
      params: d.params as ParamSpecs,
      constraint: d.constraint as [string, string] | undefined,
      indicators: () => ({}),
      rule: () => 0,
    });
    return manifestOf(strategy);
  } catch (error) {
    if (error instanceof StrategyDefinitionError) throw new ValidationError(field, `strategy definition: ${error.message}`);
    throw error;
  }
}
