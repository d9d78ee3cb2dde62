/**
 * Issue #3: market analysis of 10 assets × 3 timeframes (1m, 5m, 1h) × every indicator over one
 * year of synthetic bars per timeframe (525,600 1m bars, 105,120 5m bars, 8,760 1h bars). A
 * market-analysis job has one bar count for all its timeframes, so the analysis is three jobs
 * (one per timeframe, 10 assets each), submitted together to the local cluster (two agents × 2
 * slots) and watched over gRPC: wall time = first submit → last job completed, median of RUNS.
 *
 * Baseline, measured in the same run: the same three analyses in this one process (validate,
 * one partition, kind.run, merge — no cluster, no worker threads), median of RUNS. Run r uses
 * seed r on both sides (the synthetic series is generated inside both timings), and each cluster
 * result must equal the one-process result of the same seed. Both sides first run seed 0 unmeasured:
 * a fresh process (and each of the agents' worker threads) compiles the indicator code on its first
 * job, which would otherwise land on the first measured run.
 *
 * Run: node dist/bench/market-analysis.js   (QUANTGRID_BENCH_QUICK=1: bars ÷10)
 */
import { isDeepStrictEqual } from 'node:util';
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { marketAnalysisKind } from '../shared/tasks/market-analysis/index.js';
import { QUIET_RUN_CONTEXT } from '../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { withCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, type BenchResult, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'analysis';
const RUNS = 5;
const ASSETS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'AVAXUSDT', 'DOTUSDT', 'LINKUSDT'];
/** One year of bars per timeframe. */
const TIMEFRAMES: Array<{ timeframe: '1m' | '5m' | '1h'; bars: number }> = [
  { timeframe: '1m', bars: size(525_600) },
  { timeframe: '5m', bars: size(105_120) },
  { timeframe: '1h', bars: size(8_760) },
];
const AGENTS = [{ slots: 2 }, { slots: 2 }];

function marketAnalysisSpec(timeframe: string, bars: number, seed: number): Record<string, unknown> {
  // No `indicators`: every indicator.
  return { assets: ASSETS, timeframes: [timeframe], dataset: { name: 'synthetic', bars, seed } };
}

/** The three analyses in this process: one partition each, kind.run, merge; results JSON round-tripped. */
function runInProcess(seed: number): { wallMs: number; results: unknown[] } {
  const t0 = performance.now();
  const results = TIMEFRAMES.map(({ timeframe, bars }) => {
    const spec = marketAnalysisKind.validate(marketAnalysisSpec(timeframe, bars, seed), DEFAULT_SPEC_LIMITS);
    const plan = marketAnalysisKind.plan(spec, { partitions: 1 });
    const partials = plan.map((partition) => marketAnalysisKind.run(spec, partition, QUIET_RUN_CONTEXT));
    return marketAnalysisKind.merge(spec, partials);
  });
  const wallMs = performance.now() - t0;
  return { wallMs, results: results.map((r) => JSON.parse(JSON.stringify(r)) as unknown) };
}

async function runOnCluster(cluster: LocalCluster, seed: number): Promise<{ wallMs: number; results: unknown[]; partitions: number; nodes: string[] }> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
  try {
    const nodes = new Set<string>();
    const t0 = performance.now();
    const outcomes = await Promise.all(
      TIMEFRAMES.map(async ({ timeframe, bars }) => {
        const { jobId } = await connection.submitJob({ name: `bench-analysis-${timeframe}-${seed}`, spec: { marketAnalysis: marketAnalysisSpec(timeframe, bars, seed) }, noCache: true });
        return watchToEnd(connection, jobId, {
          timeoutMs: 10 * 60_000,
          keep: () => false,
          onEvent: (event) => {
            if (event.nodeId) nodes.add(event.nodeId);
          },
        });
      }),
    );
    const wallMs = performance.now() - t0;
    for (const { job } of outcomes) if (job.status !== 'JOB_STATUS_COMPLETED') throw new Error(`job ${job.id} ended ${job.status}: ${job.error}`);
    return {
      wallMs,
      results: outcomes.map(({ job }) => JSON.parse(job.resultJson) as unknown),
      partitions: outcomes.reduce((n, { job }) => n + (job.progress?.partitionsTotal ?? 0), 0),
      nodes: [...nodes].sort(),
    };
  } finally {
    connection.close();
  }
}

interface Run {
  seed: number;
  clusterMs: number;
  inProcessMs: number;
  partitions: number;
  nodes: string[];
  identical: boolean;
}

async function main(): Promise<Pick<BenchResult, 'headlines' | 'details'>> {
  const runs: Run[] = [];
  // Baseline first (no cluster running), then the cluster runs on a quiet machine.
  const baseline: Array<{ wallMs: number; results: unknown[] }> = [];
  runInProcess(0);
  for (let seed = 1; seed <= RUNS; seed++) {
    const outcome = runInProcess(seed);
    baseline.push(outcome);
    logProgress(BENCH, `in one process, seed ${seed}: ${fmtMs(outcome.wallMs)}`);
  }
  await withCluster(AGENTS, async (cluster) => {
    const warmUp = await runOnCluster(cluster, 0);
    logProgress(BENCH, `cluster, warm-up (not counted): ${fmtMs(warmUp.wallMs)}`);
    for (let seed = 1; seed <= RUNS; seed++) {
      const outcome = await runOnCluster(cluster, seed);
      const expected = baseline[seed - 1];
      const identical = isDeepStrictEqual(outcome.results, expected.results);
      if (!identical) throw new Error(`seed ${seed}: the cluster's results differ from the one-process results`);
      runs.push({ seed, clusterMs: outcome.wallMs, inProcessMs: expected.wallMs, partitions: outcome.partitions, nodes: outcome.nodes, identical });
      logProgress(BENCH, `cluster, seed ${seed}: ${fmtMs(outcome.wallMs)} (${outcome.partitions} partitions on ${outcome.nodes.join(', ')})`);
    }
  });

  const clusterMedian = median(runs.map((r) => r.clusterMs));
  const inProcessMedian = median(runs.map((r) => r.inProcessMs));
  const bars = TIMEFRAMES.map((t) => `${fmt(t.bars)} ${t.timeframe}`).join(' + ');
  process.stdout.write(
    `\n### market analysis: ${ASSETS.length} assets × ${TIMEFRAMES.length} timeframes × every indicator (${bars} bars per asset), ${RUNS} runs\n\n` +
      markdownTable(
        ['seed', 'cluster (2 agents × 2 slots)', 'partitions', 'nodes', 'one process', 'speed-up', 'results equal'],
        runs.map((r) => [String(r.seed), fmtMs(r.clusterMs), String(r.partitions), r.nodes.join(' '), fmtMs(r.inProcessMs), fmtRatio(ratio(r.inProcessMs, r.clusterMs)), r.identical ? 'yes' : 'no']),
      ) +
      `\n\nmedian: cluster ${fmtMs(clusterMedian)}, one process ${fmtMs(inProcessMedian)}, speed-up ${fmtRatio(ratio(inProcessMedian, clusterMedian))}\n`,
  );

  const headlines: Headline[] = [
    {
      name: `market analysis wall time, ${ASSETS.length} assets × 1m/5m/1h × all indicators, one year of bars (${bars}), 2 agents × 2 slots`,
      unit: 'ms',
      median: clusterMedian,
      baseline: inProcessMedian,
      baselineLabel: 'the same analysis in one process (kind.run, one partition)',
      ratio: ratio(inProcessMedian, clusterMedian),
      ratioNote: 'speed-up: baseline / median',
      note: `median of ${RUNS}; ratio = speed-up over one process; cluster results equal the one-process results`,
    },
  ];
  return { headlines, details: { assets: ASSETS, timeframes: TIMEFRAMES, runs, clusterMedianMs: clusterMedian, inProcessMedianMs: inProcessMedian } };
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, main));
