/**
 * What the Prometheus metrics cost the dispatch path: the same no-op job on two clusters of the same
 * shape, one with every endpoint on and scraped every 250 ms (coordinator and both agents, 60 times
 * more often than Prometheus' default 15 s), one with --metrics-listen off everywhere, alternated in
 * one run (which goes first alternating) so that load drifting on the machine hits both alike.
 * End-to-end partitions per second, first PARTITION_STARTED → COMPLETED, of a noop job of 5,000
 * partitions on 2 agents × 8 slots; medians of 5 runs each after one unmeasured warm-up per cluster.
 * Also the median time of one scrape of the coordinator while the job runs. Goal: on ≥ 95 % of off.
 *
 * Run: node dist/bench/run-all.js metrics-cost   (QUANTGRID_BENCH_QUICK=1 for sizes ÷10)
 */
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { runNoopJob, startBenchCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, sleep, type Headline } from './lib/harness.js';
import { fmt, median, ratio } from './lib/stats.js';

const BENCH = 'metrics-cost';
const OFF = ['--metrics-listen', 'off'];
const SCRAPE_EVERY_MS = 250;

/** Scrapes every endpoint of the cluster every SCRAPE_EVERY_MS until stopped; the coordinator's scrape times (ms). */
function scrapeLoop(cluster: LocalCluster): { stop: () => Promise<number[]> } {
  const urls = [cluster.coordinator.metricsUrl, ...cluster.agents.map((agent) => agent.metricsUrl)];
  const times: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const bodies = await Promise.all(urls.map(async (url, i) => {
        const t0 = performance.now();
        const text = await (await fetch(url)).text();
        if (i === 0) times.push(performance.now() - t0);
        return text;
      }));
      if (!bodies[0].includes('quantgrid_partition_attempts_total')) throw new Error('the coordinator serves no dispatch metrics');
      await sleep(Math.max(0, SCRAPE_EVERY_MS - (performance.now() - started)));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return times;
    },
  };
}

/** Partitions per second of one noop job, first PARTITION_STARTED → COMPLETED. */
async function rate(cluster: LocalCluster, partitions: number): Promise<number> {
  return (await runNoopJob(cluster, partitions)).rate;
}

export async function runMetricsCost(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(5_000);
  const runs = 5;
  const clusters = {
    on: await startBenchCluster([{ slots: 8 }, { slots: 8 }]),
    off: await startBenchCluster([{ slots: 8, extraArgs: OFF }, { slots: 8, extraArgs: OFF }], {}, 'secure', OFF),
  };
  const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const scrapeMs: number[] = [];
  try {
    if (clusters.off.coordinator.metricsUrl !== '' || clusters.off.agents.some((agent) => agent.metricsUrl !== '')) throw new Error('the "off" cluster serves metrics');
    for (const mode of ['on', 'off'] as const) {
      logProgress(BENCH, `warm-up on the metrics-${mode} cluster`);
      await rate(clusters[mode], Math.min(1000, partitions));
    }
    for (let run = 1; run <= runs; run++) {
      for (const mode of run % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const scraper = mode === 'on' ? scrapeLoop(clusters.on) : undefined;
        const r = await rate(clusters[mode], partitions);
        if (scraper) scrapeMs.push(...(await scraper.stop()));
        rates[mode].push(r);
        logProgress(BENCH, `run ${run}/${runs} metrics ${mode}: ${fmt(r)} partitions/s`);
        await sleep(500);
      }
    }
  } finally {
    await Promise.all([clusters.on.stop(), clusters.off.stop()]);
  }
  const on = median(rates.on);
  const off = median(rates.off);
  const pairRatios = rates.on.map((r, i) => r / rates.off[i]);
  const headlines: Headline[] = [
    {
      name: `dispatch e2e with metrics on and scraped every ${SCRAPE_EVERY_MS} ms: partitions/s (${partitions} × noop 0 ms, 2×8 slots)`,
      unit: '/s',
      median: on,
      baseline: off,
      baselineLabel: `the same with --metrics-listen off everywhere, alternated (runs ${rates.off.map((r) => fmt(r)).join(', ')})`,
      ratio: ratio(on, off),
      note: `median of ${runs}; metrics-on runs ${rates.on.map((r) => fmt(r)).join(', ')}; run by run ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(pairRatios).toFixed(2)}); goal: ratio ≥ 0.95`,
    },
    {
      name: 'one scrape of the coordinator during the job',
      unit: 'ms',
      median: median(scrapeMs),
      note: `median of ${scrapeMs.length} scrapes`,
    },
  ];
  return { headlines, details: { partitions, runs, rates, pairRatios, scrapeMs } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runMetricsCost));
}
