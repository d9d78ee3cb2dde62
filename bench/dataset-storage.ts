/**
 * Issue #7 (datasets that grow): how much Redis memory stored datasets take, and what an append
 * costs next to an import. A real redis-server (a fresh one, no other data) and the coordinator's
 * DatasetStore, in this process: N symbols × one year of 1-minute bars (525,600 bars each, on the
 * 1m grid) are stored as the streamed import stores them (1 MiB column chunks), then Redis's
 * used_memory (INFO memory) and the sum of MEMORY USAGE over the dataset keys are read against the
 * encoded bytes. Then a day of bars (1,440) is appended to each symbol, several times: the bytes the
 * append adds (only each column's last chunk again) and its time, against a whole import of the
 * same grown series measured in the same run (medians).
 *
 * Run: node dist/bench/dataset-storage.js   (QUANTGRID_BENCH_QUICK=1: 2 symbols)
 */
import { Redis } from 'ioredis';
import { barColumnsOf, type DatasetColumn } from '../coordinator/datasets/dataset-chunks.js';
import { DatasetStore } from '../coordinator/datasets/dataset-store.js';
import { startRedisServer } from '../scripts/local-cluster/redis-server.js';
import { syntheticSeries } from '../shared/quant/synthetic-ohlcv.js';
import { isMain, isQuick, logProgress, measureBench, runBench, type Headline } from './lib/harness.js';
import { fmt, fmtBytes, fmtMs, markdownTable, median } from './lib/stats.js';

const BENCH = 'dataset-storage';
const YEAR_OF_MINUTES = 525_600;
const DAY_OF_MINUTES = 1_440;
const SYMBOLS = isQuick() ? 2 : 8;
const APPENDS = 5;
const START = Date.UTC(2024, 0, 1);

type Columns = Record<DatasetColumn, Float64Array>;

function minuteBars(from: number, bars: number, seed: number): Columns {
  const s = syntheticSeries({ seed, symbol: 'X', timeframe: '1m', bars });
  return { time: Float64Array.from({ length: bars }, (_, i) => from + i * 60_000), open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
}

function concat(a: Columns, b: Columns): Columns {
  const join = (x: Float64Array, y: Float64Array) => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return Object.fromEntries((Object.keys(a) as DatasetColumn[]).map((c) => [c, join(a[c], b[c])])) as Columns;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/** MEMORY USAGE summed over every key of the dataset store. */
async function datasetKeyBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:datasets:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      keys++;
      bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

async function main(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const prefix = 'bench';
  const store = new DatasetStore(redis, prefix, { parseInWorker: false });
  try {
    const idle = await usedMemory(redis);
    const ids: string[] = [];
    let first: Columns | undefined;
    let encoded = 0;
    const importMs: number[] = [];
    for (let s = 0; s < SYMBOLS; s++) {
      const year = minuteBars(START, YEAR_OF_MINUTES, 100 + s);
      const t0 = performance.now();
      const info = await store.putColumns({ symbol: `SYM${s}`, timeframe: '1m' }, barColumnsOf(year));
      importMs.push(performance.now() - t0);
      ids.push(info.id);
      first ??= year;
      encoded += info.bytes;
    }
    const stored = await usedMemory(redis);
    const keys = await datasetKeyBytes(redis, prefix);
    logProgress(BENCH, `${SYMBOLS} × ${fmt(YEAR_OF_MINUTES)} 1m bars: ${fmtBytes(encoded)} encoded, used_memory +${fmtBytes(stored - idle)}, ${keys.keys} keys ${fmtBytes(keys.bytes)}`);

    // Appends: a day at a time on symbol 0; each against a whole import of the grown series.
    const appendMs: number[] = [];
    const appendBytes: number[] = [];
    const wholeMs: number[] = [];
    let parent = ids[0];
    let grown = first!;
    for (let a = 0; a < APPENDS; a++) {
      const day = minuteBars(grown.time[grown.time.length - 1] + 60_000, DAY_OF_MINUTES, 900 + a);
      const before = await store.usedBytes();
      const t0 = performance.now();
      const info = await store.append(parent, barColumnsOf(day));
      appendMs.push(performance.now() - t0);
      appendBytes.push((await store.usedBytes()) - before);
      grown = concat(grown, day);
      parent = info.id;
      // The same grown series imported whole (a symbol name of its own: new content).
      const t1 = performance.now();
      const whole = await store.putColumns({ symbol: `WHOLE${a}`, timeframe: '1m' }, barColumnsOf(grown));
      wholeMs.push(performance.now() - t1);
      await store.remove(whole.id);
    }
    const perSymbol = (stored - idle) / SYMBOLS;
    const overhead = (stored - idle) / encoded;
    process.stdout.write(
      `\n### dataset storage in Redis: ${SYMBOLS} symbols × 1 year of 1m bars (${fmt(YEAR_OF_MINUTES)} bars each), 1 MiB column chunks\n\n` +
        markdownTable(
          ['measure', 'value'],
          [
            ['encoded bytes (48 per bar + header)', fmtBytes(encoded)],
            ['Redis used_memory growth', `${fmtBytes(stored - idle)} (${overhead.toFixed(3)}× encoded)`],
            ['per symbol-year of 1m bars', fmtBytes(perSymbol)],
            ['dataset keys, MEMORY USAGE summed', `${keys.keys} keys, ${fmtBytes(keys.bytes)}`],
            ['append of 1 day (1,440 bars): bytes added', `${fmtBytes(median(appendBytes))} (median of ${APPENDS})`],
            ['append of 1 day: time', `${fmtMs(median(appendMs))} (median of ${APPENDS})`],
            ['whole import of the grown year: time', `${fmtMs(median(wholeMs))} (median of ${APPENDS})`],
            ['import of a year: time', `${fmtMs(median(importMs))} (median of ${SYMBOLS})`],
          ],
        ) +
        '\n',
    );
    return {
      headlines: [
        { name: 'Redis memory per symbol-year of 1m bars (525,600 bars)', unit: 'MB', median: perSymbol / 1e6, baseline: encoded / SYMBOLS / 1e6, baselineLabel: 'encoded bytes', ratio: overhead, note: `used_memory growth over ${SYMBOLS} symbols` },
        { name: 'append of 1 day of 1m bars to a year: time', unit: 'ms', median: median(appendMs), baseline: median(wholeMs), baselineLabel: 'whole import of the grown year', ratio: median(appendMs) / median(wholeMs), note: `${APPENDS} runs; bytes added ${fmtBytes(median(appendBytes))}` },
      ],
      details: { symbols: SYMBOLS, barsPerSymbol: YEAR_OF_MINUTES, encodedBytes: encoded, usedMemoryIdle: idle, usedMemoryStored: stored, keys, importMs, appendMs, appendBytes, wholeMs },
    };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (isMain(import.meta.url)) runBench(BENCH, () => measureBench(BENCH, main));
