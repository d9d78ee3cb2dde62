/**
 * Issue #3: agent RSS during sma-crossover sweeps of 1,000, 10,000 and 50,000 combinations over
 * 100,000 synthetic bars (one symbol; fast 2..F+1 × 100 slow periods above it), one agent with
 * 2 slots, a fresh cluster per size (so no size inherits another's heap). /proc/<agent pid>/status VmRSS
 * (the whole process, worker threads included) is sampled every 200 ms: idle before the first
 * sweep, then the peak during it. Peak RSS should stay flat as the combinations grow (goal: peak ≤ idle +
 * series size + 256 MB, the series being 100,000 bars × 6 columns × 8 bytes). VmHWM (the kernel's
 * own peak since the agent started) is reported after each sweep.
 *
 * Run: node dist/bench/agent-memory.js   (QUANTGRID_BENCH_QUICK=1: 10,000 bars, 100 / 1,000 / 5,000 combinations)
 */
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { withCluster } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, size, sleep, type BenchResult, type Headline } from './lib/harness.js';
import { readProcMemory } from './lib/proc.js';
import { fmt, fmtBytes, fmtMs, markdownTable, median } from './lib/stats.js';
import { sweepSpec } from './sweep-scaling.js';

const BENCH = 'agent-memory';
const MB = 1024 * 1024;
const SAMPLE_MS = 200;
const BARS = size(100_000);
const SLOW = 100;
/** Combinations per sweep: fast values × 100 slow values. */
const SIZES = [1_000, 10_000, 50_000].map((n) => (isQuick() ? n / 10 : n));
const SERIES_BYTES = BARS * 6 * 8;
const HEADROOM = 256 * MB;

interface SizeRun {
  combinations: number;
  evaluated: number;
  wallMs: number;
  partitions: number;
  idleRssBytes: number;
  peakRssBytes: number;
  medianRssBytes: number;
  /** VmHWM after the sweep: the kernel's peak since the agent started (sampling can miss spikes). */
  hwmBytes: number;
  samples: number;
}

/** One sweep of `combinations` on a fresh one-agent cluster: idle RSS for 2 s, then the sweep. */
function sizeRun(combinations: number): Promise<SizeRun> {
  return withCluster([{ slots: 2 }], async (cluster) => {
    const pid = cluster.agents[0].process.pid;
    const samples: Array<{ t: number; rss: number }> = [];
    const sample = (): void => {
      const memory = readProcMemory(pid);
      if (memory) samples.push({ t: Date.now(), rss: memory.rssBytes });
    };
    const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
    await sleep(1000);
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    try {
      await sleep(2000);
      const idleRss = median(samples.map((s) => s.rss));
      const from = Date.now();
      const t0 = performance.now();
      const { jobId } = await connection.submitJob({ name: `bench-agent-memory-${combinations}`, spec: sweepSpec(BARS, combinations / SLOW, SLOW), noCache: true });
      const { job } = await watchToEnd(connection, jobId, { timeoutMs: 10 * 60_000, keep: () => false });
      const wallMs = performance.now() - t0;
      sample();
      if (job.status !== 'JOB_STATUS_COMPLETED') throw new Error(`job ${jobId} ended ${job.status}: ${job.error}`);
      const evaluated = (JSON.parse(job.resultJson) as { evaluated: number }).evaluated;
      if (evaluated !== combinations) throw new Error(`job ${jobId} evaluated ${evaluated} combinations, not ${combinations}`);
      const during = samples.filter((s) => s.t >= from).map((s) => s.rss);
      return {
        combinations,
        evaluated,
        wallMs,
        partitions: job.progress?.partitionsTotal ?? 0,
        idleRssBytes: idleRss,
        peakRssBytes: Math.max(...during),
        medianRssBytes: median(during),
        hwmBytes: readProcMemory(pid)?.peakRssBytes ?? Number.NaN,
        samples: during.length,
      };
    } finally {
      clearInterval(timer);
      connection.close();
    }
  });
}

async function main(): Promise<Pick<BenchResult, 'headlines' | 'details'>> {
  const runs: SizeRun[] = [];
  for (const combinations of SIZES) {
    const run = await sizeRun(combinations);
    runs.push(run);
    logProgress(BENCH, `${fmt(combinations)} combinations: ${fmtMs(run.wallMs)}, idle RSS ${fmtBytes(run.idleRssBytes)}, peak RSS ${fmtBytes(run.peakRssBytes)} (${run.samples} samples), VmHWM ${fmtBytes(run.hwmBytes)}`);
  }
  const limitOf = (r: SizeRun): number => r.idleRssBytes + SERIES_BYTES + HEADROOM;

  process.stdout.write(
    `\n### agent memory: sma-crossover sweeps over ${fmt(BARS)} bars, 1 agent × 2 slots (a fresh cluster per size), RSS sampled every ${SAMPLE_MS} ms\n\n` +
      `series ${fmt(SERIES_BYTES)} bytes (${fmt(BARS)} bars × 6 columns × 8 bytes = ${fmtBytes(SERIES_BYTES)}); goal: peak ≤ idle + series + 256 MB\n\n` +
      markdownTable(
        ['combinations', 'wall', 'partitions', 'idle RSS', 'peak RSS', 'peak − idle', 'median RSS during', 'VmHWM', 'samples', 'goal'],
        runs.map((r) => [
          fmt(r.combinations),
          fmtMs(r.wallMs),
          String(r.partitions),
          fmtBytes(r.idleRssBytes),
          fmtBytes(r.peakRssBytes),
          fmtBytes(r.peakRssBytes - r.idleRssBytes),
          fmtBytes(r.medianRssBytes),
          fmtBytes(r.hwmBytes),
          String(r.samples),
          `≤ ${fmtBytes(limitOf(r))}: ${r.peakRssBytes <= limitOf(r) ? 'met' : 'missed'}`,
        ]),
      ) +
      '\n',
  );

  const headlines: Headline[] = runs.map((r) => ({
    name: `agent peak RSS, sweep of ${fmt(r.combinations)} combinations × ${fmt(BARS)} bars (1 agent × 2 slots, fresh cluster)`,
    unit: 'MB',
    median: r.peakRssBytes / MB,
    baseline: r.idleRssBytes / MB,
    baselineLabel: 'idle agent',
    goal: { op: '<=', value: limitOf(r) / MB },
    note: `single run, sampled every ${SAMPLE_MS} ms; goal = idle + series (${fmt(SERIES_BYTES)} bytes) + 256 MB; VmHWM ${fmtBytes(r.hwmBytes)}`,
  }));
  return { headlines, details: { bars: BARS, seriesBytes: SERIES_BYTES, headroomBytes: HEADROOM, runs } };
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, main));
