/**
 * What a user strategy may use while it runs one partition (node agent options --strategy-memory-mb
 * and --strategy-timeout-ms; the push check on the coordinator uses its own, smaller ones).
 */
export interface SandboxLimits {
  /** The isolate's heap, MiB (isolated-vm's memoryLimit: a guideline V8 enforces; see docs/security.md). */
  memoryMib: number;
  /** Time the strategy's code may run per partition, all its calls together, ms. */
  timeoutMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({ memoryMib: 256, timeoutMs: 10 * 60_000 });
/** isolated-vm refuses less. */
export const MIN_SANDBOX_MEMORY_MIB = 8;
/** Share of the isolate's memory its copies of indicator arrays may take before they are dropped. */
export const SANDBOX_ARRAY_SHARE = 0.25;
