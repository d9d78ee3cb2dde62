import type { StrategyDefinition } from './types.js';

/**
 * User strategies this process knows, by reference "NAME@ID" (ID: the SHA-256 of the bundle).
 * The coordinator installs a stored strategy's manifest when a job names it (to validate and plan);
 * an agent's worker thread installs its sandboxed definition before running a partition. Built-in
 * names never contain '@'.
 */
const installed = new Map<string, StrategyDefinition>();
/** Most user strategies kept installed in one process (the least recently installed go first). */
const MAX_INSTALLED = 64;

export const USER_STRATEGY_SEPARATOR = '@';

export function isUserStrategyRef(name: string): boolean {
  return name.includes(USER_STRATEGY_SEPARATOR);
}

export function installUserStrategy(ref: string, definition: StrategyDefinition): void {
  installed.delete(ref);
  installed.set(ref, definition);
  while (installed.size > MAX_INSTALLED) installed.delete(installed.keys().next().value as string);
}

export function installedUserStrategy(ref: string): StrategyDefinition | undefined {
  return installed.get(ref);
}
