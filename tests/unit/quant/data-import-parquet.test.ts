import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { DataImportError } from '../../../shared/quant/data-import/import-error.js';
import { isParquet, parseOhlcvParquet } from '../../../shared/quant/data-import/parse-ohlcv-parquet.js';
import type { OhlcvColumns } from '../../../shared/quant/resample.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { parseDatasetFileAsync, parseDatasetFile } from '../../../coordinator/datasets/dataset-parse.js';

const series = generateSyntheticSeries({ seed: 4, symbol: 'BTCUSDT', timeframe: '1h', bars: 2500 });
const N = series.time.length;
const PRICES = ['open', 'high', 'low', 'close', 'volume'] as const;

type Column = { name: string; data: unknown[]; element: Omit<SchemaElement, 'name'> };

const DOUBLE = { type: 'DOUBLE', repetition_type: 'REQUIRED' } as const;
const priceColumns = (): Column[] => PRICES.map((name) => ({ name, data: Array.from(series[name]), element: DOUBLE }));

/** A Parquet file of these columns, in this order, in row groups of `rowGroupSize` rows. */
function parquetOf(columns: Column[], rowGroupSize = 1000): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map(({ name, data }) => ({ name, data: data as never })),
    schema: [{ name: 'root', num_children: columns.length }, ...columns.map(({ name, element }) => ({ name, ...element }) as SchemaElement)],
    rowGroupSize,
  });
  return new Uint8Array(buffer);
}

function withTime(name: string, data: unknown[], element: Omit<SchemaElement, 'name'>): Column[] {
  return [{ name, data, element }, ...priceColumns()];
}

function assertSameBars(bars: OhlcvColumns, expected: OhlcvColumns = series): void {
  assert.deepEqual(bars.time, expected.time);
  assert.deepEqual(bars.open, expected.open);
  assert.deepEqual(bars.high, expected.high);
  assert.deepEqual(bars.low, expected.low);
  assert.deepEqual(bars.close, expected.close);
  assert.deepEqual(bars.volume, expected.volume);
}

async function importError(bytes: Uint8Array): Promise<DataImportError> {
  try {
    await parseOhlcvParquet(bytes);
  } catch (error) {
    assert.ok(error instanceof DataImportError, `expected a DataImportError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a DataImportError');
}

const ms = Array.from(series.time);

describe('importing OHLCV from Parquet', () => {
  it('reads the time column as integer epoch s/ms/µs/ns, TIMESTAMP types or ISO text', async () => {
    const INT64 = { type: 'INT64', repetition_type: 'REQUIRED' } as const;
    const cases: Array<[string, Column[]]> = [
      ['INT64 ms', withTime('timestamp', ms.map((t) => BigInt(t)), INT64)],
      ['INT64 s', withTime('timestamp', ms.map((t) => BigInt(t / 1000)), INT64)],
      ['INT64 µs', withTime('open_time', ms.map((t) => BigInt(t) * 1000n), INT64)],
      ['INT64 ns', withTime('time', ms.map((t) => BigInt(t) * 1_000_000n), INT64)],
      ['INT32 s', withTime('time', ms.map((t) => t / 1000), { type: 'INT32', repetition_type: 'REQUIRED' })],
      ['DOUBLE ms, nullable', withTime('timestamp', ms, { type: 'DOUBLE', repetition_type: 'OPTIONAL' })],
      ['TIMESTAMP_MILLIS', withTime('datetime', ms.map((t) => new Date(t)), { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' })],
      ['TIMESTAMP_MICROS', withTime('datetime', ms.map((t) => new Date(t)), { type: 'INT64', converted_type: 'TIMESTAMP_MICROS' })],
      ['TIMESTAMP(NANOS)', withTime('date', ms.map((t) => new Date(t)), { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } })],
      ['ISO strings', withTime('Date', ms.map((t) => new Date(t).toISOString()), { type: 'BYTE_ARRAY', converted_type: 'UTF8' })],
      ['ISO without zone', withTime('DATETIME', ms.map((t) => new Date(t).toISOString().replace('T', ' ').replace('.000Z', '')), { type: 'BYTE_ARRAY', converted_type: 'UTF8' })],
    ];
    for (const [what, columns] of cases) {
      const bytes = parquetOf(columns);
      assert.ok(isParquet(bytes), what);
      assertSameBars(await parseOhlcvParquet(bytes));
    }
  });

  it('finds the columns by name in any order, in any case, and ignores other columns', async () => {
    const prices = priceColumns();
    const columns: Column[] = [
      { name: 'symbol', data: ms.map(() => 'BTCUSDT'), element: { type: 'BYTE_ARRAY', converted_type: 'UTF8' } },
      { ...prices[4], name: 'Volume' },
      prices[3],
      { name: 'trades', data: ms.map((_, i) => i), element: { type: 'INT32' } },
      { ...prices[2], name: 'LOW' },
      prices[1],
      { name: 'Timestamp', data: ms.map((t) => new Date(t)), element: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' } },
      prices[0],
    ];
    assertSameBars(await parseOhlcvParquet(parquetOf(columns, 333)));
    // One row group, and a Buffer that is a view into a larger pool.
    const bytes = parquetOf(columns, 100_000);
    const pooled = Buffer.concat([Buffer.from('xxxx'), bytes]).subarray(4);
    assertSameBars(await parseOhlcvParquet(pooled));
  });

  it('reads DECIMAL and integer price columns as numbers, exactly', async () => {
    const cents = (values: Float64Array) => values.map((v) => Math.round(v * 100));
    const expected: OhlcvColumns = {
      time: series.time,
      open: cents(series.open).map((c) => c / 100),
      high: cents(series.high).map((c) => c / 100),
      low: cents(series.low).map((c) => c / 100),
      close: cents(series.close).map((c) => c / 100),
      volume: series.volume.map((v) => Math.round(v)),
    };
    const columns: Column[] = [
      { name: 'timestamp', data: ms.map((t) => BigInt(t)), element: { type: 'INT64' } },
      { name: 'open', data: Array.from(cents(series.open), (c) => BigInt(c)), element: { type: 'INT64', converted_type: 'DECIMAL', scale: 2, precision: 18 } },
      { name: 'high', data: Array.from(expected.high), element: { type: 'INT32', converted_type: 'DECIMAL', scale: 2, precision: 9 } },
      { name: 'low', data: Array.from(cents(series.low), (c) => BigInt(c)), element: { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 8, converted_type: 'DECIMAL', scale: 2, precision: 18 } },
      { name: 'close', data: Array.from(cents(series.close), (c) => BigInt(c)), element: { type: 'BYTE_ARRAY', converted_type: 'DECIMAL', scale: 2, precision: 18 } },
      { name: 'volume', data: Array.from(expected.volume, (v) => BigInt(v)), element: { type: 'INT64' } },
    ];
    const bars = await parseOhlcvParquet(parquetOf(columns));
    assertSameBars(bars, expected);
    assert.equal(bars.open[0], 329.4);
  });

  it('names the Parquet row (1-based data row) of a corrupted bar', async () => {
    for (const row of [1, 2, 999, 1000, 1001, 1777, N]) {
      const i = row - 1;
      const faults: Array<[string, (columns: Column[]) => void, RegExp]> = [
        ['high below the body', (c) => (c[2].data[i] = Math.min(series.open[i], series.close[i]) - 1), /high .* is below max\(open, close\)/],
        ['negative volume', (c) => (c[5].data[i] = -5), /negative volume -5/],
        ['NaN close', (c) => (c[4].data[i] = NaN), /close is not a finite number/],
        ['missing open', (c) => (c[1].data[i] = null), /missing open/],
        ['missing time', (c) => (c[0].data[i] = null), /missing timestamp/],
        ['unsorted', (c) => (c[0].data[i] = row === 1 ? ms[1] + 1 : ms[i - 1] - 1), /sorted/],
      ];
      for (const [what, corrupt, reason] of faults) {
        const columns = withTime('timestamp', [...ms], { type: 'DOUBLE' }).map((c) => ({ ...c, data: [...c.data], element: { type: 'DOUBLE' as const } }));
        corrupt(columns);
        const error = await importError(parquetOf(columns));
        const expectedRow = what === 'unsorted' && row === 1 ? 2 : row;
        assert.equal(error.row, expectedRow, `${what} at row ${row}: ${error.message}`);
        assert.match(error.message, new RegExp(`^Parquet row ${expectedRow}: `), what);
        assert.match(error.message, reason, what);
      }
    }
    const badIso = withTime('date', ms.map((t) => new Date(t).toISOString()), { type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    badIso[0].data[41] = 'yesterday';
    assert.match((await importError(parquetOf(badIso))).message, /^Parquet row 42: "yesterday" is neither an epoch number nor an ISO 8601 date/);
  });

  it('refuses files that are not Parquet, are damaged, or lack a column, with a clear message', async () => {
    const csv = new TextEncoder().encode('timestamp,open,high,low,close,volume\n0,1,1,1,1,1\n');
    let error = await importError(csv);
    assert.equal(error.row, 0);
    assert.match(error.message, /^not a Parquet file \(it does not start with the magic bytes PAR1\)$/);
    assert.match((await importError(new Uint8Array(0))).message, /not a Parquet file/);

    const good = parquetOf(withTime('timestamp', ms, DOUBLE));
    error = await importError(good.subarray(0, good.length - 100));
    assert.equal(error.row, 0);
    assert.match(error.message, /^not a readable Parquet file: /);

    const noVolume = withTime('timestamp', ms, DOUBLE).slice(0, 5);
    assert.match((await importError(parquetOf(noVolume))).message, /^no "volume" column in the Parquet schema$/);
    const noTime = withTime('when', ms, DOUBLE);
    assert.match((await importError(parquetOf(noTime))).message, /^no time column in the Parquet schema/);
    const empty = withTime('timestamp', [], DOUBLE).map((c) => ({ ...c, data: [] }));
    assert.match((await importError(parquetOf(empty))).message, /no rows/);
  });

  it('the coordinator parses Parquet and CSV of the same bars to the same dataset id', async () => {
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < N; i++) lines.push([ms[i], series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]].join(','));
    const csv = new TextEncoder().encode(lines.join('\n'));
    const parquet = parquetOf(withTime('timestamp', ms.map((t) => new Date(t)), { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }));
    const base = { symbol: 'BTCUSDT', timeframe: '1h' as const };
    const fromCsv = await parseDatasetFileAsync({ ...base, format: 'auto', content: csv });
    const fromParquet = await parseDatasetFileAsync({ ...base, format: 'auto', content: parquet });
    const explicit = await parseDatasetFileAsync({ ...base, format: 'parquet', content: parquet });
    assert.ok(fromCsv.ok && fromParquet.ok && explicit.ok);
    assert.equal(fromParquet.id, fromCsv.id);
    assert.equal(explicit.id, fromCsv.id);
    assert.equal(fromParquet.bars, N);

    const notParquet = await parseDatasetFileAsync({ ...base, format: 'parquet', content: csv });
    assert.deepEqual(notParquet, { ok: false, row: 0, message: 'not a Parquet file (it does not start with the magic bytes PAR1)', field: 'content' });
    const asCsv = await parseDatasetFileAsync({ ...base, format: 'header', content: parquet });
    assert.ok(!asCsv.ok && asCsv.row === 0 && /this is a Parquet file/.test(asCsv.message));
    const sync = parseDatasetFile({ ...base, format: 'auto', content: parquet });
    assert.ok(!sync.ok && sync.row === -1);
  });

  it('checks the bars against the declared timeframe, naming the data row (CSV and Parquet alike)', async () => {
    const INT64 = { type: 'INT64', repetition_type: 'REQUIRED' } as const;
    const parquet = parquetOf(withTime('timestamp', ms.map((t) => BigInt(t)), INT64));
    assertSameBars(await parseOhlcvParquet(parquet, { timeframe: '1h' }));
    const four = await parseDatasetFileAsync({ symbol: 'BTCUSDT', timeframe: '4h', format: 'auto', content: parquet });
    assert.deepEqual(four.ok ? undefined : [four.row, four.message], [2, `Parquet row 2: timestamp ${new Date(ms[1]).toISOString()} is 1h after row 1's; 4h bars are at least 4h apart (is the timeframe right?)`]);
    const shifted = ms.map((t, i) => BigInt(i === 1233 ? t + 60_000 : t));
    const off = await parseDatasetFileAsync({ symbol: 'BTCUSDT', timeframe: '1h', format: 'parquet', content: parquetOf(withTime('timestamp', shifted, INT64)) });
    assert.ok(!off.ok && off.row === 1234 && /^Parquet row 1234: timestamp .* is not on the 1h grid/.test(off.message), JSON.stringify(off));
    const csv = new TextEncoder().encode(['timestamp,open,high,low,close,volume', ...ms.slice(0, 3).map((t, i) => [t + (i === 2 ? 1 : 0), 10, 11, 9, 10, 1].join(','))].join('\n'));
    const csvOff = await parseDatasetFileAsync({ symbol: 'BTCUSDT', timeframe: '1h', format: 'auto', content: csv });
    assert.ok(!csvOff.ok && csvOff.row === 4 && /^row 4: .*not on the 1h grid/.test(csvOff.message), JSON.stringify(csvOff));
  });
});
