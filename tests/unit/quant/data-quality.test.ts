import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { BarSpacingTally } from '../../../shared/quant/data-import/bar-spacing.js';
import { DataImportError } from '../../../shared/quant/data-import/import-error.js';
import { OhlcvCsvStream } from '../../../shared/quant/data-import/ohlcv-csv-stream.js';
import { parseOhlcvCsv } from '../../../shared/quant/data-import/parse-ohlcv-csv.js';
import { parseOhlcvParquet } from '../../../shared/quant/data-import/parse-ohlcv-parquet.js';
import type { ImportRules } from '../../../shared/quant/data-import/validate-ohlcv.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { TIMEFRAMES, type Timeframe } from '../../../shared/quant/timeframes.js';
import { parseDatasetFileAsync } from '../../../coordinator/datasets/dataset-parse.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const MONDAY = Date.UTC(2024, 0, 1);

type Bar = [time: number, open: number, high: number, low: number, close: number, volume: number];

function csvOf(bars: readonly Bar[]): string {
  return `timestamp,open,high,low,close,volume\n${bars.map(([time, ...values]) => [new Date(time).toISOString(), ...values].join(',')).join('\n')}\n`;
}

function flatAt(times: readonly number[], price = 10): Bar[] {
  return times.map((t) => [t, price, price + 1, price - 1, price, 5]);
}

function parquetOf(bars: readonly Bar[]): Uint8Array {
  const names = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
  const buffer = parquetWriteBuffer({
    columnData: names.map((name, c) => ({ name, data: bars.map((bar) => (c === 0 ? BigInt(bar[0]) : bar[c])) as never })),
    schema: [{ name: 'root', num_children: names.length }, ...names.map((name, c) => ({ name, type: c === 0 ? 'INT64' : 'DOUBLE', repetition_type: 'REQUIRED' }) as SchemaElement)],
  });
  return new Uint8Array(buffer);
}

/** The error of every import path (whole CSV, streamed CSV in 7-byte pieces, Parquet): each must agree. */
async function errorsOf(bars: readonly Bar[], rules: ImportRules): Promise<DataImportError[]> {
  const text = csvOf(bars);
  const errors: DataImportError[] = [];
  const take = (error: unknown) => {
    assert.ok(error instanceof DataImportError, String(error));
    errors.push(error);
  };
  try {
    parseOhlcvCsv(text, 'auto', rules);
    assert.fail('the whole CSV was accepted');
  } catch (error) {
    take(error);
  }
  const stream = new OhlcvCsvStream('auto', rules);
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += 7) await stream.write(bytes.subarray(at, at + 7));
    await stream.end();
    assert.fail('the streamed CSV was accepted');
  } catch (error) {
    take(error);
  } finally {
    stream.destroy();
  }
  await parseOhlcvParquet(parquetOf(bars), rules).then(() => assert.fail('the Parquet file was accepted'), take);
  return errors;
}

describe('non-positive prices at import', () => {
  const hours = Array.from({ length: 6 }, (_, i) => MONDAY + i * H);

  it('are refused on every path, naming the row and the column, unless allowed', async () => {
    // [open, high, low, close] of bar 3, and the column named: the first of open, high, low, close that is ≤ 0
    const cases: Array<[number[], string]> = [
      [[0, 1, 0, 0.5], 'open'],
      [[1, 0, 0.5, 1], 'high'],
      [[1, 2, 0, 1], 'low'],
      [[1, 2, -2, 0.5], 'low'],
      [[1, 2, 0.5, 0], 'close'],
      [[-1, -0.5, -2, -1], 'open'],
    ];
    for (const [prices, expected] of cases) {
      const bars = flatAt(hours);
      bars[3].splice(1, 4, ...prices);
      const errors = await errorsOf(bars, { timeframe: '1h' });
      // the header is row 1 of a CSV: bar 3 is its row 5, and Parquet's data row 4
      assert.deepEqual(errors.map((error) => [error.row, error.field]), [[5, 'content'], [5, 'content'], [4, 'content']]);
      const value = prices[['open', 'high', 'low', 'close'].indexOf(expected)];
      assert.match(errors[0].message, new RegExp(`^row 5: ${expected} ${value} is not positive \\(for an instrument whose prices can be 0 or negative, import with allow_non_positive \\(--allow-non-positive\\)\\)$`));
      assert.equal(errors[1].message, errors[0].message);
      assert.equal(errors[2].message, `Parquet row 4: ${errors[0].reason}`);
      // allowed: every path takes the bars as they are (but for the bar that is not high ≥ close ≥ low)
      if (expected === 'close' || expected === 'high') continue;
      const allowed = { timeframe: '1h' as const, allowNonPositive: true };
      assert.deepEqual(Array.from(parseOhlcvCsv(csvOf(bars), 'auto', allowed).low), bars.map((b) => b[3]));
      assert.deepEqual(Array.from((await parseOhlcvParquet(parquetOf(bars), allowed)).low), bars.map((b) => b[3]));
    }
  });

  it('the other rules still hold for instruments that can go negative', async () => {
    const bars = flatAt(hours, -5);
    bars[2][2] = -6; // high below open
    const [error] = await errorsOf(bars, { timeframe: '1h', allowNonPositive: true });
    assert.match(error.message, /^row 4: high -6 is below max\(open, close\) = -5$/);
  });

  it('the coordinator\'s parse reports them on content, and lets them through with allowNonPositive', async () => {
    const bars = flatAt(hours);
    bars[0].splice(1, 4, 1, 2, 0, 1);
    const content = new TextEncoder().encode(csvOf(bars));
    const refused = await parseDatasetFileAsync({ symbol: 'X', timeframe: '1h', format: 'auto', content });
    assert.deepEqual(refused.ok ? undefined : [refused.row, refused.field, /low 0 is not positive/.test(refused.message)], [2, 'content', true]);
    const allowed = await parseDatasetFileAsync({ symbol: 'X', timeframe: '1h', format: 'auto', content, allowNonPositive: true });
    assert.ok(allowed.ok);
  });

  it('the synthetic generator\'s series pass every import rule at their timeframe (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...TIMEFRAMES), fc.integer({ min: 2, max: 3000 }), (seed, timeframe, n) => {
        const series = generateSyntheticSeries({ seed, symbol: 'X', timeframe, bars: n });
        const rows: Bar[] = Array.from(series.time, (t, i) => [t, series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]]);
        assert.equal(parseOhlcvCsv(csvOf(rows), 'auto', { timeframe }).time.length, n);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a declared timeframe much finer than the bars', () => {
  it('1h bars declared 5m are refused on every path, on the timeframe field, with the hint', async () => {
    const errors = await errorsOf(flatAt(Array.from({ length: 48 }, (_, i) => MONDAY + i * H)), { timeframe: '5m' });
    for (const error of errors) {
      assert.equal(error.row, 0);
      assert.equal(error.field, 'timeframe');
      assert.equal(error.message, 'bars are 1h apart, not 5m: use --timeframe 1h');
    }
  });

  it('names the coarsest timeframe the bars are on: daily as 1h, weekly as 1d, monthly as 1d, 15m as 1m, 2h as 5m', () => {
    const cases: Array<[number[], Timeframe, string]> = [
      [Array.from({ length: 30 }, (_, i) => MONDAY + i * D), '1h', 'bars are 1d apart, not 1h: use --timeframe 1d'],
      [Array.from({ length: 10 }, (_, i) => MONDAY + i * 7 * D), '1d', 'bars are 7d apart, not 1d: use --timeframe 1w'],
      [Array.from({ length: 13 }, (_, i) => Date.UTC(2024, i, 1)), '1d', 'bars are 31d apart, not 1d: use --timeframe 1M'],
      [Array.from({ length: 50 }, (_, i) => MONDAY + i * 15 * M), '1m', 'bars are 15m apart, not 1m: use --timeframe 15m'],
      [Array.from({ length: 50 }, (_, i) => MONDAY + i * 2 * H), '5m', 'bars are 2h apart, not 5m: use --timeframe 1h'],
      // weekly bars on Fridays are not on the 1w grid (Mondays): 1d is what they can be imported as
      [Array.from({ length: 10 }, (_, i) => MONDAY + 4 * D + i * 7 * D), '4h', 'bars are 7d apart, not 4h: use --timeframe 1d'],
    ];
    for (const [times, declared, message] of cases) {
      assert.throws(() => parseOhlcvCsv(csvOf(flatAt(times)), 'auto', { timeframe: declared }), (error: unknown) => error instanceof DataImportError && error.message === message && error.field === 'timeframe', message);
    }
  });

  it('accepts gaps: weekday-only daily bars, an equity session\'s hourly bars, missing bars, sparse minutes, 2h bars as 1h', () => {
    const weekdays = Array.from({ length: 60 }, (_, i) => MONDAY + i * D).filter((t) => ![0, 6].includes(new Date(t).getUTCDay()));
    const session: number[] = [];
    for (let day = 0; day < 20; day++) if (![0, 6].includes(new Date(MONDAY + day * D).getUTCDay())) for (let h = 14; h <= 20; h++) session.push(MONDAY + day * D + h * H);
    const missing = Array.from({ length: 200 }, (_, i) => MONDAY + i * H).filter((_, i) => i % 5 !== 0);
    const sparse = [0, 2, 3, 7, 8, 10, 15, 16, 21, 22, 30, 31, 33].map((m) => MONDAY + m * M);
    const cases: Array<[number[], Timeframe]> = [
      [weekdays, '1d'],
      [session, '1h'],
      [missing, '1h'],
      [sparse, '1m'],
      [Array.from({ length: 50 }, (_, i) => MONDAY + i * 2 * H), '1h'],
      [[MONDAY, MONDAY + 4 * H, MONDAY + 20 * H], '4h'],
      [[MONDAY], '1m'],
    ];
    for (const [times, declared] of cases) assert.equal(parseOhlcvCsv(csvOf(flatAt(times)), 'auto', { timeframe: declared }).time.length, times.length, declared);
  });

  it('the tally: the most common spacing counts only when half the gaps have it; ties go to the shorter', () => {
    const tally = (times: number[]) => {
      const t = new BarSpacingTally();
      times.forEach((time, i) => t.add(time, i > 0 ? times[i - 1] : Number.NaN));
      return t;
    };
    assert.equal(tally([0, H, 2 * H, 14 * H]).modalSpacing(), H);
    assert.equal(tally([0, H, 3 * H]).modalSpacing(), H);
    assert.equal(tally([0, H, 3 * H, 6 * H]).modalSpacing(), undefined);
    assert.equal(tally([0]).modalSpacing(), undefined);
    // any series whose gaps are mostly one timeframe apart looks like that timeframe, whatever its gaps (property)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 100 }), { maxLength: 30 }), fc.integer({ min: 31, max: 200 }), (gaps, ones) => {
        const times = [MONDAY];
        const steps = [...Array<number>(ones).fill(1), ...gaps];
        for (const step of steps) times.push(times[times.length - 1] + step * H);
        const t = tally(times);
        assert.equal(t.modalSpacing(), H);
        assert.equal(t.lookalike('1h'), undefined);
        assert.equal(t.lookalike('5m'), '1h');
        assert.equal(t.problem('15m'), 'bars are 1h apart, not 15m: use --timeframe 1h');
      }),
      { numRuns: 100 },
    );
  });
});
