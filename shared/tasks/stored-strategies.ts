import { NotFound, ValidationError } from '../errors.js';
import { quoteInput } from '../quote-input.js';
import type { StrategyManifest } from '../strategy-sdk/manifest.js';
import { definitionOfManifest } from '../quant/strategies/sdk-strategy.js';
import { STRATEGIES, STRATEGY_NAMES } from '../quant/strategies/index.js';
import { installedUserStrategy, installUserStrategy, isUserStrategyRef } from '../quant/strategies/user-strategies.js';
import { formatStrategyRef } from '../sandbox/strategy-ref.js';

/** The strategy lookups a submission and a job's runner need (the coordinator's StrategyStore). */
export interface StrategyIndex {
  /** The stored version "NAME" or "NAME@ID" means; NotFound when there is none. */
  resolve(ref: string, field: string): Promise<{ name: string; id: string; manifest: StrategyManifest }>;
}

/** On the coordinator a user strategy is only its manifest: it validates and plans; its code runs on agents. */
function installManifest(ref: string, manifest: StrategyManifest): void {
  installUserStrategy(
    ref,
    definitionOfManifest(manifest, () => {
      throw new Error(`strategy ${ref} runs only on node agents, in a sandbox`);
    }, ref),
  );
}

/**
 * For a raw spec naming a strategy that is not built in (field e.g. "backtest.strategy"): resolves it
 * to the exact stored version, writes "NAME@ID" into the spec (so the job records the id it runs) and
 * installs its manifest for validate. Throws ValidationError naming the field for an unknown one.
 */
export async function resolveUserStrategy(raw: unknown, key: string, field: string, index: StrategyIndex | undefined): Promise<void> {
  if (raw === null || typeof raw !== 'object') return;
  const spec = raw as Record<string, unknown>;
  const name = spec[key];
  if (typeof name !== 'string' || name === '' || STRATEGIES.has(name)) return;
  const unknown = () => new ValidationError(field, `unknown strategy ${quoteInput(name)} (built in: ${STRATEGY_NAMES.join(', ')}; pushed ones: quantgrid strategy ls)`);
  if (!index) throw unknown();
  try {
    const found = await index.resolve(name, field);
    const ref = formatStrategyRef(found.name, found.id);
    installManifest(ref, found.manifest);
    spec[key] = ref;
  } catch (error) {
    if (error instanceof NotFound) throw unknown();
    throw error;
  }
}

/** Installs the manifests of a stored job's user strategies (a runner taking the job over after a restart). */
export async function installStrategyManifests(refs: readonly string[], index: StrategyIndex | undefined): Promise<void> {
  for (const ref of refs) {
    if (installedUserStrategy(ref)) continue;
    if (!index) throw new Error(`strategy ${ref}: this coordinator has no strategy store`);
    const found = await index.resolve(ref, 'strategy');
    installManifest(ref, found.manifest);
  }
}

/** The user strategy references of a spec's strategy name ([] for a built-in one). */
export function userStrategyRefs(name: string): string[] {
  return isUserStrategyRef(name) ? [name] : [];
}
