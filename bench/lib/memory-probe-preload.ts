/**
 * Diagnostic preload (node --import) for the coordinator, used by coordinator-memory.ts when
 * QUANTGRID_BENCH_MEMORY_PROBE=1: on SIGUSR2 it runs a full garbage collection and appends one JSON
 * line with process.memoryUsage() before and after to $QUANTGRID_BENCH_MEMORY_PROBE_FILE, telling
 * live data apart from garbage V8 has not collected yet. With $QUANTGRID_BENCH_MEMORY_PROBE_SNAPSHOT_DIR it
 * also writes a heap snapshot there after the collection (what holds the heap and the array buffers).
 * Off by default: it changes what it measures.
 */
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

const file = process.env.QUANTGRID_BENCH_MEMORY_PROBE_FILE;
const snapshotDir = process.env.QUANTGRID_BENCH_MEMORY_PROBE_SNAPSHOT_DIR;

if (file && isMainThread) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync' }) => void;
  process.on('SIGUSR2', () => {
    const before = process.memoryUsage();
    const t0 = performance.now();
    gc();
    const gcMs = performance.now() - t0;
    const after = process.memoryUsage();
    if (snapshotDir) writeHeapSnapshot(join(snapshotDir, `coordinator-${process.pid}-${Date.now()}.heapsnapshot`));
    // Each V8 space's committed size and what is live in it, MiB: where a heap larger than its live data is.
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, { size: space.space_size / 2 ** 20, used: space.space_used_size / 2 ** 20 }]));
    appendFileSync(file, JSON.stringify({ at: Date.now(), gcMs, before, after, spaces }) + '\n');
  });
}
