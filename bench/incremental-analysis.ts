/**
 * The nightly market analysis, re-run on a grown version, one thread: 100,000 1h bars (whole
 * cents) analysed at 1h, 4h and 1d (3 units), then 24 bars appended and the same analysis re-run.
 *
 *   full        marketAnalysisKind.run on the new version, every indicator over every bar (the baseline)
 *   incremental the same run given the checkpoints the first run left (RunContext.continuation):
 *               RSI, MACD, EMA, ATR, OBV and VWAP go on from their states, SMA, WMA and Bollinger are
 *               computed at the last bar; stochastic and the volume profile over every bar
 *
 * Twice: with every indicator, and without the two computed in full (stochastic, volume profile).
 * Runs alternate; the resampled series are memoised in both alike (as in a worker). The rows are
 * checked equal (JSON) for every run.
 *
 * Run: node dist/bench/incremental-analysis.js   (QUANTGRID_BENCH_QUICK=1: 10,000 bars)
 */
import { loadavg } from 'node:os';
import { installDataset } from '../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../shared/quant/dataset-codec.js';
import { generateSyntheticSeries } from '../shared/quant/synthetic-ohlcv.js';
import { CollectingContinuation, type UnitCheckpoint } from '../shared/tasks/continuation.js';
import { INDICATORS, marketAnalysisKind, type IndicatorName, type MarketAnalysisSpec } from '../shared/tasks/market-analysis/index.js';
import { QUIET_RUN_CONTEXT } from '../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'incremental-analysis';
const APPENDED = 24;
const RUNS = 9;
const SYMBOL = 'BTCUSDT';

function timeIt<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export async function runIncrementalAnalysis(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const before = size(100_000);
  const after = before + APPENDED;
  const generated = generateSyntheticSeries({ seed: 7, symbol: SYMBOL, timeframe: '1h', bars: after });
  const cents = (x: Float64Array, bars: number) => Array.from(x.subarray(0, bars), (v) => Math.round(v * 100) / 100);
  const install = (id: string, bars: number) =>
    installDataset(
      id,
      decodeDataset(
        encodeDataset({
          symbol: SYMBOL,
          timeframe: '1h',
          time: Array.from(generated.time.subarray(0, bars)),
          open: cents(generated.open, bars),
          high: cents(generated.high, bars),
          low: cents(generated.low, bars),
          close: cents(generated.close, bars),
          volume: Array.from(generated.volume.subarray(0, bars)),
        }),
      ),
    );
  const lastId = '3'.repeat(64);
  const newId = '4'.repeat(64);
  install(lastId, before);
  install(newId, after);

  const sets: { label: string; indicators: IndicatorName[] }[] = [
    { label: 'every indicator', indicators: [...INDICATORS] },
    { label: 'without stochastic and volume profile', indicators: INDICATORS.filter((name) => name !== 'stochastic' && name !== 'volume-profile') },
  ];
  const rows: string[][] = [];
  const headlines: Headline[] = [];
  const details: Record<string, unknown> = { before, after };
  for (const { label, indicators } of sets) {
    const specOf = (id: string, bars: number): MarketAnalysisSpec =>
      marketAnalysisKind.validate({ assets: [SYMBOL], timeframes: ['1h', '4h', '1d'], indicators, dataset: { name: `sha256:${id}`, bars } }, DEFAULT_SPEC_LIMITS);
    const lastSpec = specOf(lastId, before);
    const spec = specOf(newId, after);
    const partition = { first: 0, count: 3 };
    const leaving = new CollectingContinuation();
    marketAnalysisKind.run(lastSpec, partition, { ...QUIET_RUN_CONTEXT, continuation: leaving });
    const checkpoints: UnitCheckpoint[] = leaving.left;
    const fullMs: number[] = [];
    const incrementalMs: number[] = [];
    let bars = 0;
    for (let i = 0; i < RUNS; i++) {
      const full = timeIt(() => marketAnalysisKind.run(spec, partition, QUIET_RUN_CONTEXT));
      const continuation = new CollectingContinuation(checkpoints);
      const incremental = timeIt(() => marketAnalysisKind.run(spec, partition, { ...QUIET_RUN_CONTEXT, continuation }));
      if (JSON.stringify(full.value) !== JSON.stringify(incremental.value)) throw new Error(`${label}: the incremental re-run differs from the full run`);
      if (continuation.work.unitsContinued !== 3) throw new Error(`${label}: expected 3 units to continue: ${JSON.stringify(continuation.work)}`);
      bars = continuation.work.barsSimulated;
      fullMs.push(full.ms);
      incrementalMs.push(incremental.ms);
    }
    const fullMedian = median(fullMs);
    const incrementalMedian = median(incrementalMs);
    const speedup = ratio(fullMedian, incrementalMedian);
    logProgress(BENCH, `${label}: full ${fmtMs(fullMedian)}, incremental ${fmtMs(incrementalMedian)} (${fmtRatio(speedup)})`);
    rows.push([label, fmtMs(fullMedian), fmtMs(incrementalMedian), fmtRatio(speedup), String(bars)]);
    headlines.push({
      name: `incremental market analysis (${label}): 1h/4h/1d over ${before} 1h bars + ${APPENDED}, vs a full run`,
      unit: 'ms',
      median: incrementalMedian,
      baseline: fullMedian,
      baselineLabel: `full run on the new version (median of ${RUNS})`,
      ratio: speedup,
      ratioNote: 'full / incremental',
      note: `median of ${RUNS}, alternated; rows identical`,
    });
    details[label] = { fullMs, incrementalMs, speedup, barsSimulated: bars };
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  details.load = load;
  process.stdout.write(`\n### incremental market analysis: ${SYMBOL} at 1h, 4h, 1d, ${fmt(before)} → ${fmt(after)} 1h bars (whole cents), one thread, load ${load}\n\n`);
  process.stdout.write(markdownTable(['indicators', 'full (median)', 'incremental (median)', 'full / incremental', 'bars computed (3 units)'], rows) + '\n');
  for (const headline of headlines) headline.note += `; load ${load}`;
  return { headlines, details };
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, runIncrementalAnalysis));
