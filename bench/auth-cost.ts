/**
 * What authentication costs the dispatch path: the same no-op job on two clusters of the same shape,
 * one secure (tokens on the API, the cluster secret's proof on every coordinator→agent call and its
 * check on the agent) and one with --no-auth everywhere, alternated in one run (secure, none, secure,
 * none, …, and which goes first alternating) so that load drifting on the machine hits both alike. End-to-end partitions per second,
 * first PARTITION_STARTED → COMPLETED, of a noop job of 10,000 partitions on 2 agents × 8 slots;
 * medians of 7 runs each after one unmeasured warm-up per cluster. Goal: secure ≥ 95 % of none.
 *
 * Run: node dist/bench/run-all.js auth   (QUANTGRID_BENCH_QUICK=1 for sizes ÷10;
 * QUANTGRID_BENCH_AUTH_AA=1 makes both clusters secure: an A/A control of how much the ratio varies by itself)
 */
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { checkNoopResult, startBenchCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, sleep, type Headline } from './lib/harness.js';
import { fmt, median, ratio } from './lib/stats.js';

const BENCH = 'auth-cost';
const AGENTS = [{ slots: 8 }, { slots: 8 }];

/** Partitions per second of one noop job, first PARTITION_STARTED → COMPLETED. */
async function rate(cluster: LocalCluster, partitions: number): Promise<number> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken || undefined });
  try {
    const { jobId } = await connection.submitJob({ spec: { noop: { partitions } }, noCache: true });
    let firstStart = 0;
    let completed = 0;
    const { job } = await watchToEnd(connection, jobId, {
      timeoutMs: 300_000,
      keep: () => false,
      onEvent: (event) => {
        if (event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && firstStart === 0) firstStart = event.timeMs;
        if (event.type === 'JOB_EVENT_TYPE_COMPLETED') completed = event.timeMs;
      },
    });
    checkNoopResult(job, partitions);
    const from = firstStart || job.startedAtMs;
    return (partitions * 1000) / Math.max(1, (completed || job.finishedAtMs) - from);
  } finally {
    connection.close();
  }
}

export async function runAuthCost(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(10_000);
  // Runs on this machine vary by ±20 % from one to the next: enough of them for the medians to settle.
  const runs = 7;
  const control = process.env.QUANTGRID_BENCH_AUTH_AA === '1';
  const clusters = { secure: await startBenchCluster(AGENTS, {}, 'secure'), none: await startBenchCluster(AGENTS, {}, control ? 'secure' : 'none') };
  const rates: Record<'secure' | 'none', number[]> = { secure: [], none: [] };
  try {
    for (const mode of ['secure', 'none'] as const) {
      logProgress(BENCH, `warm-up on the ${mode} cluster`);
      await rate(clusters[mode], Math.min(2000, partitions));
    }
    for (let run = 1; run <= runs; run++) {
      // Which goes first alternates too: the second of a pair runs on a warmer machine.
      for (const mode of run % 2 === 1 ? (['secure', 'none'] as const) : (['none', 'secure'] as const)) {
        const r = await rate(clusters[mode], partitions);
        rates[mode].push(r);
        logProgress(BENCH, `run ${run}/${runs} ${mode}: ${fmt(r)} partitions/s`);
        await sleep(500);
      }
    }
  } finally {
    await Promise.all([clusters.secure.stop(), clusters.none.stop()]);
  }
  const secure = median(rates.secure);
  const none = median(rates.none);
  const pairRatios = rates.secure.map((r, i) => r / rates.none[i]);
  const headlines: Headline[] = [
    {
      name: `dispatch e2e with authentication: partitions/s (${partitions} × noop 0 ms, 2×8 slots)`,
      unit: '/s',
      median: secure,
      baseline: none,
      baselineLabel: `the same on ${control ? 'a second secure cluster (A/A control)' : 'a --no-auth cluster'}, alternated (runs ${rates.none.map((r) => fmt(r)).join(', ')})`,
      ratio: ratio(secure, none),
      note: `median of ${runs}; secure runs ${rates.secure.map((r) => fmt(r)).join(', ')}; run by run ${pairRatios.map((r) => r.toFixed(2)).join(', ')}; goal: ratio ≥ 0.95`,
    },
  ];
  return { headlines, details: { partitions, runs, agents: AGENTS, rates, pairRatios } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runAuthCost));
}
