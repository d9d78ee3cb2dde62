/**
 * Diagnostic preload (node --import) for the coordinator, used by coordinator-memory.ts when
 * QUANTGRID_BENCH_MEMORY_PROBE=1: on SIGUSR2 it runs a full garbage collection and appends one JSON
 * line with process.memoryUsage() before and after to $QUANTGRID_BENCH_MEMORY_PROBE_FILE, telling
 * live data apart from garbage V8 has not collected yet. Off by default: it changes what it measures.
 */
import { appendFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

const file = process.env.QUANTGRID_BENCH_MEMORY_PROBE_FILE;

if (file && isMainThread) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync' }) => void;
  process.on('SIGUSR2', () => {
    const before = process.memoryUsage();
    const t0 = performance.now();
    gc();
    const gcMs = performance.now() - t0;
    const after = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ at: Date.now(), gcMs, before, after }) + '\n');
  });
}
