/**
 * The Node/V8 flags the coordinator runs with, in every way it is started (scripts/local-cluster,
 * scripts/container-entrypoint.sh, `npm run coordinator`, the manual and systemd commands of
 * docs/deployment.md; tests/unit/coordinator/node-flags.test.ts checks each of them against this list).
 * V8 reads them when the process starts: they cannot be set from main.ts.
 *
 * --max-semi-space-size=2 (MiB): V8's young generation grows to 2 × 16 MiB semi-spaces as soon as a
 * process allocates steadily, and V8 gives it back only when the allocation rate falls under about
 * 1 MB/s. The coordinator's steady allocations are status probes and dispatch messages, all
 * short-lived (after a full GC its young generation holds a few KiB), so the 32 MiB stayed committed
 * and resident for nothing, and old space grew with it. With 2 MiB semi-spaces (4 MiB in all) the
 * coordinator at 300 simulated nodes was 121 MiB resident idle instead of 160–169 MiB, at the same idle
 * CPU; the dispatch rate with and without it is in docs/benchmarks.md ("A thousand simulated nodes").
 */
export const COORDINATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
