/**
 * Coordinator RSS during one noop job of 100,000 partitions (workMs 0; two agents, 8 slots each).
 * /proc/<pid>/status VmRSS is sampled every 200 ms: idle before the job (baseline), peak during,
 * and after (5 s after the job ended); VmHWM (the kernel's own peak) is reported as well.
 *
 * Two variants, each on a fresh cluster: the job watched over WatchJob to its end (as
 * `quantgrid submit --watch` does: every partition event is streamed), and the job only polled
 * with GetJob once a second (no event stream).
 *
 * QUANTGRID_BENCH_MEMORY_PROBE=1 (diagnostic, off by default): the coordinator gets a preload
 * (lib/memory-probe-preload.ts); at 90% of the job and 5 s after it, a full GC is forced and the
 * V8 heap in use before and after it is reported, to tell live data from uncollected garbage.
 *
 * Run: node dist/bench/coordinator-memory.js   (QUANTGRID_BENCH_QUICK=1: 10,000 partitions)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { isTerminalStatus } from '../shared/job-status.js';
import { checkNoopResult, withCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, sleep, type Headline } from './lib/harness.js';
import { readProcMemory } from './lib/proc.js';
import { fmt, fmtBytes, fmtMs, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'coordinator-memory';
const MB = 1024 * 1024;
const SAMPLE_MS = 200;
const AGENTS = [{ slots: 8 }, { slots: 8 }];

type Variant = 'watched' | 'polled';

interface Sample {
  /** ms since the job was submitted (negative: idle before). */
  t: number;
  rss: number;
}

interface MemoryRun {
  variant: Variant;
  partitions: number;
  idleRssBytes: number;
  peakRssBytes: number;
  peakAtMs: number;
  /** VmHWM at the end: the true peak since the coordinator started (sampling can miss spikes). */
  hwmBytes: number;
  afterRssBytes: number;
  jobMs: number;
  perSecond: number;
  events: number;
  samples: Sample[];
  /** With QUANTGRID_BENCH_MEMORY_PROBE=1: forced full GCs (at 90% of the job, and 5 s after it). */
  forcedGc?: ForcedGc[];
}

interface ForcedGc {
  when: string;
  gcMs: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
}

const PROBE = (process.env.QUANTGRID_BENCH_MEMORY_PROBE ?? '') === '1';

/** Samples RSS of pid every SAMPLE_MS; times are Date.now() until relativeTo() is called. */
class RssSampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  sample(): void {
    const memory = readProcMemory(this.pid);
    if (memory) this.samples.push({ t: Date.now(), rss: memory.rssBytes });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  between(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.t >= from && s.t <= to);
  }

  /** Makes every time relative to origin. */
  relativeTo(origin: number): void {
    for (const s of this.samples) s.t -= origin;
  }
}

async function pollToEnd(cluster: LocalCluster, jobId: string, timeoutMs: number, onDone: (done: number) => void): Promise<void> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await connection.getJob(jobId);
      onDone(job.progress?.partitionsDone ?? 0);
      if (isTerminalStatus(job.status)) return;
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not end within ${timeoutMs} ms`);
      await sleep(1000);
    }
  } finally {
    connection.close();
  }
}

async function memoryRun(variant: Variant, partitions: number): Promise<MemoryRun> {
  const probeDir = PROBE ? mkdtempSync(join(tmpdir(), 'quantgrid-memory-probe-')) : '';
  const probeFile = join(probeDir, 'probe.jsonl');
  const coordinatorEnv: NodeJS.ProcessEnv = PROBE
    ? { NODE_OPTIONS: `--import=${new URL('./lib/memory-probe-preload.js', import.meta.url).href}`, QUANTGRID_BENCH_MEMORY_PROBE_FILE: probeFile }
    : {};
  try {
    return await memoryRunIn(variant, partitions, coordinatorEnv, probeFile);
  } finally {
    if (probeDir) rmSync(probeDir, { recursive: true, force: true });
  }
}

async function memoryRunIn(variant: Variant, partitions: number, coordinatorEnv: NodeJS.ProcessEnv, probeFile: string): Promise<MemoryRun> {
  return withCluster(
    AGENTS,
    async (cluster) => {
      const pid = cluster.coordinator.process.pid;
      const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
      const sampler = new RssSampler(pid);
      try {
        // Let start-up settle, then 2 s of idle samples.
        await sleep(1000);
        sampler.start();
        await sleep(2000);
        logProgress(BENCH, `${variant}: idle RSS ${fmtBytes(median(sampler.samples.map((s) => s.rss)))}; submitting ${partitions} partitions`);

        const submitAt = Date.now();
        const { jobId } = await connection.submitJob({ name: `bench-memory-${variant}`, spec: { noop: { partitions, workMs: 0 } } });
        let events = 0;
        const forced: string[] = [];
        const forceGc = (when: string): void => {
          forced.push(when);
          process.kill(pid, 'SIGUSR2');
        };
        let nearEnd = false;
        const onDone = (done: number): void => {
          if (PROBE && !nearEnd && done >= 0.9 * partitions) {
            nearEnd = true;
            forceGc(`at ${done} of ${partitions} partitions`);
          }
        };
        if (variant === 'watched') {
          let finished = 0;
          const onEvent = (e: { type: string }) => e.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED' && onDone(++finished);
          events = (await watchToEnd(connection, jobId, { timeoutMs: 60 * 60_000, onEvent, keep: () => false })).eventCount;
        } else {
          await pollToEnd(cluster, jobId, 60 * 60_000, onDone);
        }
        const job = await connection.getJob(jobId);
        checkNoopResult(job, partitions);
        const endedAt = Date.now();
        const jobMs = endedAt - submitAt;
        await sleep(5000);
        sampler.sample();
        sampler.stop();
        const hwm = readProcMemory(pid)?.peakRssBytes ?? Number.NaN;
        let forcedGc: ForcedGc[] | undefined;
        if (PROBE) {
          forceGc('5 s after the job');
          await sleep(3000);
          const lines = readFileSync(probeFile, 'utf8').trim().split('\n').filter(Boolean);
          forcedGc = lines.map((line, i) => ({ when: forced[i] ?? '?', ...(JSON.parse(line) as Omit<ForcedGc, 'when'>) }));
          for (const g of forcedGc) {
            logProgress(
            BENCH,
            `${variant}: forced GC ${g.when}: heap used ${fmtBytes(g.before.heapUsed)} → ${fmtBytes(g.after.heapUsed)}, ` +
              `heap total ${fmtBytes(g.before.heapTotal)} → ${fmtBytes(g.after.heapTotal)}, external ${fmtBytes(g.after.external)}, ` +
              `RSS ${fmtBytes(g.before.rss)} → ${fmtBytes(g.after.rss)}, RSS outside the V8 heap ${fmtBytes(g.after.rss - g.after.heapTotal)} (${fmtMs(g.gcMs)})`,
          );
          }
        }

        sampler.relativeTo(submitAt);
        const idle = sampler.between(-Infinity, 0);
        const during = sampler.between(0, jobMs);
        const peak = during.reduce((best, s) => (s.rss > best.rss ? s : best), { t: 0, rss: 0 });
        const after = sampler.samples[sampler.samples.length - 1];
        return {
          variant,
          partitions,
          idleRssBytes: median(idle.map((s) => s.rss)),
          peakRssBytes: peak.rss,
          peakAtMs: peak.t,
          hwmBytes: hwm,
          afterRssBytes: after.rss,
          jobMs,
          perSecond: partitions / (jobMs / 1000),
          events,
          samples: sampler.samples,
          forcedGc,
        };
      } finally {
        sampler.stop();
        connection.close();
      }
    },
    coordinatorEnv,
  );
}

export async function runCoordinatorMemory(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(100_000);
  const runs: MemoryRun[] = [];
  for (const variant of ['watched', 'polled'] as const) {
    logProgress(BENCH, `${variant}: starting a cluster`);
    const r = await memoryRun(variant, partitions);
    logProgress(BENCH, `${variant}: idle ${fmtBytes(r.idleRssBytes)}, peak ${fmtBytes(r.peakRssBytes)} at ${fmtMs(r.peakAtMs)}, VmHWM ${fmtBytes(r.hwmBytes)}, after ${fmtBytes(r.afterRssBytes)}; job ${fmtMs(r.jobMs)}`);
    runs.push(r);
  }

  process.stdout.write(`\n### coordinator memory: one noop job of ${partitions} partitions, 2 agents × 8 slots (RSS sampled every ${SAMPLE_MS} ms)\n\n`);
  process.stdout.write(
    markdownTable(
      ['variant', 'idle before', 'peak during', 'VmHWM', 'after (+5 s)', 'job time', 'partitions/s', 'events streamed'],
      runs.map((r) => [
        r.variant === 'watched' ? 'watched (WatchJob to the end)' : 'polled (GetJob every 1 s)',
        fmtBytes(r.idleRssBytes),
        fmtBytes(r.peakRssBytes),
        fmtBytes(r.hwmBytes),
        fmtBytes(r.afterRssBytes),
        fmtMs(r.jobMs),
        `${fmt(r.perSecond)}/s`,
        r.events ? fmt(r.events) : '–',
      ]),
    ) + '\n',
  );

  const headlines: Headline[] = runs.map((r) => ({
    name: `coordinator RSS peak, ${partitions}-partition noop job, ${r.variant === 'watched' ? 'watched over WatchJob' : 'polled with GetJob'}`,
    unit: 'MB',
    median: r.peakRssBytes / MB,
    baseline: r.idleRssBytes / MB,
    baselineLabel: 'idle RSS before the job',
    ratio: ratio(r.peakRssBytes, r.idleRssBytes),
    goal: { op: '<=', value: 300 },
    note: `VmHWM ${fmtBytes(r.hwmBytes)}, after ${fmtBytes(r.afterRssBytes)}; 1 run`,
  }));
  // Samples every 200 ms make latest.json big; keep one in five.
  const details = {
    partitions,
    sampleMs: SAMPLE_MS,
    runs: runs.map((r) => ({ ...r, samples: r.samples.filter((_, i) => i % 5 === 0) })),
  };
  return { headlines, details };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runCoordinatorMemory));
}
