import type { StrategyManifest } from '../strategy-sdk/manifest.js';
import { definitionOfManifest } from '../quant/strategies/sdk-strategy.js';
import { installUserStrategy, uninstallUserStrategy } from '../quant/strategies/user-strategies.js';
import { SandboxedStrategy } from './sandboxed-strategy.js';
import type { SandboxLimits } from './sandbox-limits.js';

/**
 * The sandboxed user strategies of this thread (an agent's worker), by reference NAME@ID. The
 * worker installs the strategies a partition names before running it and calls newPartition(refs)
 * first, which disposes every isolate: each partition starts with fresh isolates and a fresh time budget.
 */
const sandboxes = new Map<string, SandboxedStrategy>();
let limits: Partial<SandboxLimits> = {};

/** Limits of the sandboxes created from now on (the agent's --strategy-memory-mb, --strategy-timeout-ms). */
export function setSandboxLimits(next: Partial<SandboxLimits>): void {
  limits = { ...next };
}

/** Makes `ref` runnable by the engine here (strategyDefinition(ref)), its code in a sandbox. */
export function installSandboxedStrategy(ref: string, code: string, manifest: StrategyManifest): void {
  let sandbox = sandboxes.get(ref);
  if (!sandbox) {
    sandbox = new SandboxedStrategy(ref, code, limits);
    sandboxes.set(ref, sandbox);
  }
  const runner = sandbox;
  installUserStrategy(ref, definitionOfManifest(manifest, (inputs, values, allowShort, out, from, initial) => runner.signals(inputs, values, allowShort, out, from, initial), ref));
}

/**
 * Before a partition: disposes every isolate (they start again, afresh, when next used), and forgets
 * every sandboxed strategy but those of `refs` (the partition's): its code and its definition here. A
 * worker thread keeps only what its partition runs; the agent's StrategyCache keeps bundles across
 * partitions, within its limits.
 */
export function newPartition(refs: Iterable<string>): void {
  const keep = new Set(refs);
  for (const [ref, sandbox] of sandboxes) {
    sandbox.dispose();
    if (keep.has(ref)) continue;
    sandboxes.delete(ref);
    uninstallUserStrategy(ref);
  }
}

/** The sandboxed strategies this thread holds (tests). */
export function sandboxedStrategyCount(): number {
  return sandboxes.size;
}
