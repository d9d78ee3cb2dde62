/**
 * The nightly re-run on a real cluster (coordinator, Redis, Consul, 2 agents × 1 slot, over gRPC
 * with authentication), end to end: a 10,000-combination SMA-crossover sweep over 100,000 1h bars
 * (prices in whole cents) imported as a stored dataset, then 24 bars appended (`data append`: a
 * new version) and the same sweep re-run on it.
 *
 *   full         the sweep on the new version with `full` (every unit from bar 0, no cached partitions)
 *   incremental  the sweep on the new version continuing from the checkpoints the first job left
 *                (with no_cache, so each run computes its partitions instead of reusing the previous
 *                incremental run's from the partition result cache): the coordinator reads each
 *                partition's checkpoints from Redis, sends them with it, stores the ones returned
 *
 * Wall time is submit → the WatchJob stream ends (completed). The two alternate (full, incremental,
 * full, …) so load changes hit both alike; medians and their ratio; every incremental result must
 * equal the full runs' (the bench fails otherwise), and every incremental run must have continued
 * every unit with the appended bars only.
 *
 * Run: node dist/bench/incremental-cluster.js   (QUANTGRID_BENCH_QUICK=1: 10,000 bars)
 */
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import type { Job__Output } from '../shared/generated/quantgrid/v1/Job.js';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { generateSyntheticSeries } from '../shared/quant/synthetic-ohlcv.js';
import { withCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'incremental-cluster';
const APPENDED = 24;
const RUNS = 3;
const SYMBOL = 'BTCUSDT';
const TAG = 'BTCUSDT-1h';
const JOB_TIMEOUT_MS = 10 * 60_000;
/** The goal for the re-run (≥ 50× faster than the full run). */
const GOAL = 50;

/** Bars [from, to) of the series as a headed CSV, prices in whole cents. */
function csv(series: ReturnType<typeof generateSyntheticSeries>, from: number, to: number): Uint8Array {
  const cents = (v: number) => (Math.round(v * 100) / 100).toString();
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = from; i < to; i++) lines.push(`${series.time[i]},${cents(series.open[i])},${cents(series.high[i])},${cents(series.low[i])},${cents(series.close[i])},${series.volume[i]}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function* chunks(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 256 * 1024) yield bytes.subarray(at, at + 256 * 1024);
}

async function timedJob(connection: CoordinatorConnection, request: SubmitJobRequest): Promise<{ ms: number; job: Job__Output }> {
  const t0 = performance.now();
  const { jobId } = await connection.submitJob(request);
  const { job } = await watchToEnd(connection, jobId, { timeoutMs: JOB_TIMEOUT_MS, keep: () => false });
  const ms = performance.now() - t0;
  if (job.status !== 'JOB_STATUS_COMPLETED') throw new Error(`job ${jobId} ended ${job.status}: ${job.error}`);
  return { ms, job };
}

async function main(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const before = size(100_000);
  const series = generateSyntheticSeries({ seed: 5, symbol: SYMBOL, timeframe: '1h', bars: before + APPENDED });
  const spec = {
    backtest: {
      symbols: [SYMBOL],
      dataset: { name: TAG },
      strategy: 'sma-crossover',
      // 100 fast × 100 slow = 10,000 combinations (every fast below every slow).
      params: { fast: { start: 1, stop: 100, step: 1 }, slow: { start: 110, stop: 1100, step: 10 } },
      feeBps: 5,
      slippageBps: 2,
      topN: 20,
    },
  };
  return withCluster([{ slots: 1 }, { slots: 1 }], async (cluster: LocalCluster) => {
    const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
    try {
      const first = csv(series, 0, before);
      const imported = await connection.importDatasetStream({ symbol: SYMBOL, timeframe: '1h', format: 'header', totalBytes: first.length }, chunks(first));
      await connection.tagDataset({ name: TAG, dataset: imported.id });
      logProgress(BENCH, `${fmt(before)} bars imported; last night's sweep (leaves the checkpoints)`);
      const last = await timedJob(connection, { spec, name: 'bench-incremental-last' });
      const units = last.job.progress!.unitsFull;
      const appendedFile = csv(series, before, before + APPENDED);
      const appended = await connection.appendDatasetStream({ symbol: '', timeframe: '', format: 'header', totalBytes: appendedFile.length, dataset: TAG }, chunks(appendedFile));
      logProgress(BENCH, `${APPENDED} bars appended (version ${appended.id.slice(0, 12)}); ${units} units; alternating full and incremental runs`);

      const fullMs: number[] = [];
      const incrementalMs: number[] = [];
      let reference: unknown;
      const mismatches: string[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const full = await timedJob(connection, { spec, name: `bench-full-${run}`, full: true });
        fullMs.push(full.ms);
        const fullResult = JSON.parse(full.job.resultJson);
        reference ??= fullResult;
        if (!isDeepStrictEqual(fullResult, reference)) mismatches.push(`full run ${run}`);
        const incremental = await timedJob(connection, { spec, name: `bench-incremental-${run}`, noCache: true });
        incrementalMs.push(incremental.ms);
        const progress = incremental.job.progress!;
        if (progress.unitsContinued !== units || progress.barsSimulated !== units * APPENDED) {
          throw new Error(`incremental run ${run}: ${progress.unitsContinued} of ${units} units continued, ${progress.barsSimulated} bars simulated (expected ${units * APPENDED})`);
        }
        if (!isDeepStrictEqual(JSON.parse(incremental.job.resultJson), reference)) mismatches.push(`incremental run ${run}`);
        logProgress(BENCH, `run ${run}: full ${fmtMs(full.ms)}, incremental ${fmtMs(incremental.ms)} (${progress.partitionsTotal} partitions), load ${loadavg()[0].toFixed(2)}`);
      }
      if (mismatches.length > 0) throw new Error(`results differ from the first full run: ${mismatches.join(', ')}`);

      const fullMedian = median(fullMs);
      const incrementalMedian = median(incrementalMs);
      const speedUp = ratio(fullMedian, incrementalMedian);
      const load = loadavg().map((v) => v.toFixed(2)).join(' ');
      process.stdout.write(
        `\n### incremental re-run on the cluster: ${fmt(units)} combinations × ${fmt(before)} + ${APPENDED} bars, 2 agents × 1 slot, ${RUNS} runs each (alternated)\n\n` +
          markdownTable(
            ['run', 'full', 'incremental'],
            fullMs.map((ms, i) => [String(i + 1), fmtMs(ms), fmtMs(incrementalMs[i])]),
          ) +
          `\n\nmedians: full ${fmtMs(fullMedian)}, incremental ${fmtMs(incrementalMedian)}: ${fmtRatio(speedUp)} (goal ≥ ${GOAL}×); load average ${load}; every incremental result equal to the full runs'\n`,
      );
      const headlines: Headline[] = [
        { name: `cluster: full sweep on the new version (${fmt(units)} combinations × ${fmt(before + APPENDED)} bars, submit → completed)`, unit: 'ms', median: fullMedian, note: `median of ${RUNS}; full: every unit from bar 0` },
        {
          name: `cluster: the same sweep continuing from the last night's checkpoints (${APPENDED} new bars)`,
          unit: 'ms',
          median: incrementalMedian,
          baseline: fullMedian,
          baselineLabel: 'full run',
          ratio: speedUp,
          ratioNote: 'speed-up: full median / incremental median',
          goal: { op: '<=', value: fullMedian / GOAL },
          note: `median of ${RUNS}, alternated with the full runs; load ${load}; results identical`,
        },
      ];
      return { headlines, details: { bars: before, appended: APPENDED, units, fullMs, incrementalMs, speedUp, loadavg: loadavg() } };
    } finally {
      connection.close();
    }
  });
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, main));
