/**
 * quantgrid against Dask on the same sweep (issue 13: "≥ 10× a fairly configured Dask on the same
 * sweep at 100k and 1M bars"). The grid: SMA crossover, fast 5..50 × slow 60..250 step 10 (920
 * combinations, every pair fast < slow), one symbol, at 100,000 and 1,000,000 bars.
 *  - quantgrid: a local secure cluster of 2 agents × 1 slot, the sweep submitted and watched over
 *    gRPC (no_cache: every partition computed), as in bench/sweep-scaling.ts;
 *  - Dask: bench/dask/sma_sweep.py, numpy vectorised over the bars, a dask.distributed LocalCluster
 *    of 2 worker processes × 1 thread (the nanny's MALLOC_TRIM_THRESHOLD_ removed), the closes
 *    scattered to both workers before any timed run; Debian's python3-distributed (the bench set-up
 *    installs it, scripts/setup.sh --bench).
 * Both clusters are up together and their runs alternate (quantgrid, Dask, quantgrid, …) after one
 * unmeasured warm-up each, so load drifting on the machine hits both alike; medians of RUNS.
 * Ratio = Dask's median ÷ quantgrid's. Both compute the signal, the simulation with costs and the same
 * thirteen metrics per combination and keep the best 20 by Sharpe; the Dask side's fills and data
 * differ (its own random walk, fills at the close), so the two rankings are not compared.
 *
 * Run: node dist/bench/run-all.js dask   (QUANTGRID_BENCH_QUICK=1: 10,000 and 100,000 bars, 3 runs)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { validateBacktestSpec } from '../shared/tasks/backtest/spec.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { withCluster } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';
import { runSweep } from './sweep-scaling.js';

const BENCH = 'dask';
const RUNS = isQuick() ? 3 : 5;
const SIZES = isQuick() ? [10_000, 100_000] : [100_000, 1_000_000];
const FAST = { start: 5, stop: 50, step: 1 };
const SLOW = { start: 60, stop: 250, step: 10 };
const GOAL_RATIO = 10;
/** Debian's interpreter, where python3-distributed installs (not a python3 found first on PATH). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'dask', 'sma_sweep.py');

function spec(bars: number): { backtest: Record<string, unknown> } {
  return {
    backtest: {
      symbols: ['BTCUSDT'],
      timeframe: '1m',
      dataset: { name: 'synthetic', bars, seed: 42 },
      strategy: 'sma-crossover',
      params: { fast: FAST, slow: SLOW },
      feeBps: 5,
      slippageBps: 1,
      topN: 20,
    },
  };
}

/** The Dask side: a LocalCluster kept up, one sweep per run() (the script's stdin protocol). */
class DaskSweep {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  /** Rejects when the script exits before the end of input: a failed run must not leave the bench waiting. */
  private readonly exited: Promise<never>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise<never>((_resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`the Dask sweep exited (${signal ?? `code ${String(code)}`}); its stderr: ${this.stderr}`)));
    });
    this.exited.catch(() => undefined);
  }

  static async start(bars: number): Promise<{ sweep: DaskSweep; ready: Record<string, unknown> }> {
    const args = [SCRIPT, String(bars), `${FAST.start}:${FAST.stop}:${FAST.step}`, `${SLOW.start}:${SLOW.stop}:${SLOW.step}`, '2', '8'];
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const sweep = new DaskSweep(child);
    return { sweep, ready: await sweep.next() };
  }

  async run(): Promise<number> {
    this.child.stdin.write('run\n');
    const answer = await this.next();
    return Number(answer.wallMs);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    this.child.stdin.end();
    await this.exited.catch(() => undefined);
    clearTimeout(timer);
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await Promise.race([this.lines.next(), this.exited]);
    if (done) throw new Error(`the Dask sweep closed its output; its stderr: ${this.stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  }
}

interface SizeResult {
  bars: number;
  quantgridMs: number[];
  daskMs: number[];
  dask: Record<string, unknown>;
}

/** The grid's size as quantgrid counts it (the strategy's fast < slow constraint applied). */
const COMBINATIONS = validateBacktestSpec(spec(SIZES[0]).backtest, DEFAULT_SPEC_LIMITS).combinations;

async function main(): Promise<Pick<import('./lib/harness.js').BenchResult, 'headlines' | 'details'>> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: run bash scripts/setup.sh --bench`);
  const results: SizeResult[] = [];
  for (const bars of SIZES) {
    await withCluster([{ slots: 1 }, { slots: 1 }], async (cluster) => {
      const { sweep, ready } = await DaskSweep.start(bars);
      try {
        if (ready.combinations !== COMBINATIONS) throw new Error(`the Dask sweep has ${String(ready.combinations)} combinations, quantgrid's ${COMBINATIONS}`);
        const warm = await runSweep(cluster, spec(bars), 'bench-dask-warm-up');
        const daskWarm = await sweep.run();
        logProgress(BENCH, `${fmt(bars)} bars, warm-up (not counted): quantgrid ${fmtMs(warm.wallMs)}, Dask ${fmtMs(daskWarm)}`);
        const result: SizeResult = { bars, quantgridMs: [], daskMs: [], dask: ready };
        for (let run = 1; run <= RUNS; run++) {
          const ours = await runSweep(cluster, spec(bars), `bench-dask-${run}`);
          const theirs = await sweep.run();
          result.quantgridMs.push(ours.wallMs);
          result.daskMs.push(theirs);
          logProgress(BENCH, `${fmt(bars)} bars, run ${run}: quantgrid ${fmtMs(ours.wallMs)} (${ours.partitions} partitions), Dask ${fmtMs(theirs)}`);
        }
        results.push(result);
      } finally {
        await sweep.stop();
      }
    });
  }

  process.stdout.write(
    `\n### quantgrid (2 agents × 1 slot) against Dask (2 workers × 1 thread), ${COMBINATIONS} SMA-crossover combinations, ${RUNS} alternated runs\n\n` +
      markdownTable(
        ['bars', 'quantgrid median (range)', 'Dask median (range)', 'Dask ÷ quantgrid'],
        results.map((r) => [
          fmt(r.bars),
          `${fmtMs(median(r.quantgridMs))} (${fmtMs(Math.min(...r.quantgridMs))}–${fmtMs(Math.max(...r.quantgridMs))})`,
          `${fmtMs(median(r.daskMs))} (${fmtMs(Math.min(...r.daskMs))}–${fmtMs(Math.max(...r.daskMs))})`,
          fmtRatio(ratio(median(r.daskMs), median(r.quantgridMs))),
        ]),
      ) +
      '\n',
  );
  const headlines: Headline[] = results.map((r) => ({
    name: `SMA sweep, ${COMBINATIONS} combinations × ${fmt(r.bars)} bars: quantgrid 2 agents × 1 slot, submit → completed`,
    unit: 'ms',
    median: median(r.quantgridMs),
    baseline: median(r.daskMs),
    baselineLabel: 'Dask distributed + numpy, 2 workers × 1 thread, same run',
    ratio: ratio(median(r.daskMs), median(r.quantgridMs)),
    ratioNote: 'Dask ÷ quantgrid',
    goal: { op: '<=' as const, value: median(r.daskMs) / GOAL_RATIO },
    note: `median of ${RUNS} alternated runs; goal ≥ ${GOAL_RATIO}× Dask's speed (wall ≤ Dask's / ${GOAL_RATIO}); Dask ${String(r.dask.dask)}, numpy ${String(r.dask.numpy)}`,
  }));
  return { headlines, details: { combinations: COMBINATIONS, runs: RUNS, results } };
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, main));
