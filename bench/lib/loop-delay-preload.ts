/**
 * Diagnostic preload (node --import) for the scale bench's coordinator and simulator hosts, when
 * QUANTGRID_BENCH_LOOP_DELAY_DIR is set: the process's event-loop delay (perf_hooks'
 * monitorEventLoopDelay, 10 ms resolution), one JSON line per second appended to
 * <dir>/<role>-<pid>.jsonl — { at (epoch ms), maxMs, p99Ms, meanMs } of that second, the histogram
 * then reset. A stall shows as a line whose maxMs is the stall (written late, once the loop runs again).
 * Read back by loop-delay.ts.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.QUANTGRID_BENCH_LOOP_DELAY_DIR;

if (dir && isMainThread) {
  const role = process.argv.some((a) => a.endsWith('coordinator/main.js')) ? 'coordinator' : process.argv.some((a) => a.endsWith('sim-node-host.js')) ? 'host' : 'other';
  const file = join(dir, `${role}-${process.pid}.jsonl`);
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const timer = setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    appendFileSync(file, JSON.stringify({ at: Date.now(), maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean) }) + '\n');
    histogram.reset();
  }, 1000);
  timer.unref();
}
