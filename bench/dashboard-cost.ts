/**
 * What an open dashboard costs the dispatch path, with its own A/A control in the same run. Three
 * clusters of the same shape (2 agents × 8 slots, dashboard on): `open` has a page open while its
 * jobs run — subscribed to GET /api/stream, following the running job's own stream
 * (GET /api/jobs/:id/stream: every partition event) and polling the jobs list, the overview and the
 * nodes every 2 s — a synthetic load, heavier than any one page: the pages take the overview and the
 * nodes from /api/stream and reload a list only on a job's change, at most once a second —, `closed`
 * has none, and `control` is a second closed cluster.
 * Each round runs the same noop job once on each, cycling through all six orders of the three, after
 * one unmeasured warm-up job per cluster. Throughput: partitions per second, first PARTITION_STARTED
 * → COMPLETED. Reported: the median of the per-round ratios open ÷ closed, with quartiles and range,
 * next to control ÷ closed (how much a ratio varies by itself here). Goal (issue #12): ≥ 0.95.
 * The page runs in this process, as a browser would beside the cluster.
 *
 * Run: node dist/bench/run-all.js dashboard-cost   (QUANTGRID_BENCH_QUICK=1 for sizes ÷10;
 * QUANTGRID_BENCH_DASHBOARD_ROUNDS=N for N rounds instead of 12, 6 when quick)
 */
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { runNoopJob, startBenchCluster } from './lib/cluster.js';
import { openPage, POLL_MS, type PageTraffic } from './lib/dashboard-page.js';
import { cpuDelta, snapshotCpu } from './lib/proc.js';
import { isMain, isQuick, logProgress, measureBench, positiveIntegerFromEnv, runBench, size, sleep, type Headline } from './lib/harness.js';
import { allOrders, describeSpread, fmt, median, spread } from './lib/stats.js';

const BENCH = 'dashboard-cost';
const AGENTS = [{ slots: 8 }, { slots: 8 }];
const MODES = ['open', 'closed', 'control'] as const;
type Mode = (typeof MODES)[number];
const ORDERS = allOrders(MODES);
export async function runDashboardCost(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(3000);
  const rounds = positiveIntegerFromEnv('QUANTGRID_BENCH_DASHBOARD_ROUNDS') ?? (isQuick() ? 6 : 12);
  const clusters = {} as Record<Mode, LocalCluster>;
  const rates: Record<Mode, number[]> = { open: [], closed: [], control: [] };
  /** Coordinator CPU per partition (µs), from submit to the job's end. */
  const coordinatorUs: Record<Mode, number[]> = { open: [], closed: [], control: [] };
  const pages: PageTraffic[] = [];
  const run = async (mode: Mode): Promise<number> => {
    const cluster = clusters[mode];
    const page = mode === 'open' ? openPage(cluster) : undefined;
    // The page is open before the job starts, as it would be.
    await sleep(300);
    const pids = { coordinator: cluster.coordinator.process.pid };
    const cpu0 = snapshotCpu(pids);
    const { rate } = await runNoopJob(cluster, partitions, (jobId) => page?.follow(jobId));
    coordinatorUs[mode].push((cpuDelta(cpu0, snapshotCpu(pids)).coordinator * 1000) / partitions);
    if (page) pages.push(await page.close());
    return rate;
  };
  try {
    for (const mode of MODES) clusters[mode] = await startBenchCluster(AGENTS);
    if (Object.values(clusters).some((cluster) => !cluster.coordinator.httpUrl)) throw new Error('a cluster serves no dashboard');
    for (const mode of MODES) {
      logProgress(BENCH, `warm-up on the ${mode} cluster`);
      await run(mode);
    }
    pages.length = 0;
    for (const mode of MODES) coordinatorUs[mode].length = 0;
    for (let round = 0; round < rounds; round++) {
      for (const mode of ORDERS[round % ORDERS.length]) {
        const rate = await run(mode);
        rates[mode].push(rate);
        logProgress(BENCH, `round ${round + 1}/${rounds} ${mode}: ${fmt(rate)} partitions/s`);
        await sleep(300);
      }
    }
  } finally {
    await Promise.all(Object.values(clusters).map((cluster) => cluster.stop()));
  }
  const perRound = (figures: Record<Mode, number[]>, a: Mode, b: Mode): number[] => figures[a].map((value, i) => value / figures[b][i]);
  const open = spread(perRound(rates, 'open', 'closed'));
  const control = spread(perRound(rates, 'control', 'closed'));
  const cpuOpen = spread(perRound(coordinatorUs, 'open', 'closed'));
  const cpuControl = spread(perRound(coordinatorUs, 'control', 'closed'));
  const events = median(pages.map((page) => page.events));
  const headlines: Headline[] = [
    {
      name: `dispatch e2e with a dashboard page open: partitions/s (${partitions} × noop 0 ms, 2×8 slots, ${rounds} rounds)`,
      unit: '/s',
      median: median(rates.open),
      baseline: median(rates.closed),
      baselineLabel: 'the same cluster shape with no page open, in the same rounds',
      ratio: open.median,
      ratioNote: 'median of the per-round ratios open ÷ closed',
      note: `open ÷ closed ${describeSpread(open)}; A/A control ÷ closed ${describeSpread(control)}; the page got a median ${fmt(events)} events and ${fmt(median(pages.map((page) => page.streamBytes / 1024)))} KiB per job, polling every ${POLL_MS} ms; goal: ratio ≥ 0.95`,
    },
    {
      name: `coordinator CPU per partition with a dashboard page open (${partitions} × noop 0 ms, 2×8 slots, ${rounds} rounds)`,
      unit: 'µs',
      median: median(coordinatorUs.open),
      baseline: median(coordinatorUs.closed),
      baselineLabel: 'the same with no page open, in the same rounds',
      ratio: cpuOpen.median,
      ratioNote: 'median of the per-round ratios open ÷ closed',
      note: `open ÷ closed ${describeSpread(cpuOpen)}; A/A control ÷ closed ${describeSpread(cpuControl)}: what serving the page costs the coordinator, whatever else the machine does`,
    },
  ];
  return { headlines, details: { partitions, rounds, rates, coordinatorUs, ratios: { open, control, cpuOpen, cpuControl }, pages } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runDashboardCost));
}
