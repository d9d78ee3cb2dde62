import type { StrategyDefinition } from './types.js';

/**
 * User strategies this process knows, by reference "NAME@ID" (ID: the SHA-256 of the bundle).
 * The coordinator installs a stored strategy's manifest when a job names it (to validate and plan);
 * an agent's worker thread installs its sandboxed definition before running a partition. Built-in
 * names never contain '@'.
 */
const installed = new Map<string, StrategyDefinition>();
/**
 * Most user strategies kept installed in one process, the least recently used first out. On the
 * coordinator an entry is a manifest (at most 16 parameters: a few KB), installed when a job is
 * submitted or taken over and read again to plan and merge it: 1,024 of them cost a few MB and
 * are far more distinct strategies than a cluster's jobs in flight run at once (an entry evicted
 * under a running job would fail its merge). A worker thread holds only its partition's
 * (sandbox-registry.ts newPartition).
 */
export const MAX_INSTALLED = 1024;

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
  const definition = installed.get(ref);
  if (definition !== undefined) {
    installed.delete(ref);
    installed.set(ref, definition);
  }
  return definition;
}

export function uninstallUserStrategy(ref: string): void {
  installed.delete(ref);
}
