import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DataImportError } from '../../../shared/quant/data-import/import-error.js';
import { parseOhlcvCsv } from '../../../shared/quant/data-import/parse-ohlcv-csv.js';
import type { Timeframe } from '../../../shared/quant/timeframes.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

const series = generateSyntheticSeries({ seed: 4, symbol: 'BTCUSDT', timeframe: '1h', bars: 200 });

function headerCsv(timeOf: (ms: number) => string, header = 'timestamp,open,high,low,close,volume'): string {
  const lines = [header];
  for (let i = 0; i < series.time.length; i++) {
    lines.push([timeOf(series.time[i]), series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function binanceCsv(timeOf: (ms: number) => number): string {
  const lines: string[] = [];
  for (let i = 0; i < series.time.length; i++) {
    const t = series.time[i];
    lines.push([timeOf(t), series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i], timeOf(t + 3_599_999), 123.4, 17, 1.5, 2.5, 0].join(','));
  }
  return lines.join('\n');
}

function assertSameBars(text: string): void {
  const bars = parseOhlcvCsv(text);
  assert.deepEqual(bars.time, series.time);
  assert.deepEqual(bars.open, series.open);
  assert.deepEqual(bars.high, series.high);
  assert.deepEqual(bars.low, series.low);
  assert.deepEqual(bars.close, series.close);
  assert.deepEqual(bars.volume, series.volume);
}

function rowOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DataImportError, `expected a DataImportError, got ${String(error)}`);
    return error.row;
  }
  assert.fail('expected a DataImportError');
}

describe('importing OHLCV from CSV', () => {
  it('reads headed files with epoch seconds, milliseconds, microseconds or ISO dates', () => {
    assertSameBars(headerCsv((ms) => String(ms / 1000)));
    assertSameBars(headerCsv((ms) => String(ms)));
    assertSameBars(headerCsv((ms) => String(ms * 1000)));
    assertSameBars(headerCsv((ms) => new Date(ms).toISOString()));
    assertSameBars(headerCsv((ms) => new Date(ms).toISOString().replace('T', ' ').replace('.000Z', ''), 'Date,Open,High,Low,Close,Volume'));
  });

  it('finds the columns by name in any order, and skips a byte-order mark', () => {
    const lines = ['\ufeffvolume,close,low,high,open,time'];
    for (let i = 0; i < series.time.length; i++) {
      lines.push([series.volume[i], series.close[i], series.low[i], series.high[i], series.open[i], series.time[i]].join(','));
    }
    assertSameBars(lines.join('\n'));
  });

  it('reads Binance kline files with open times in milliseconds or (from 2025 on) microseconds', () => {
    assertSameBars(binanceCsv((ms) => ms));
    assertSameBars(binanceCsv((ms) => ms * 1000));
  });

  it('names the row at fault', () => {
    const good = headerCsv((ms) => String(ms)).split('\n');
    const withLine = (line: number, text: string) => [...good.slice(0, line - 1), text, ...good.slice(line)].join('\n');
    const fields = good[10].split(',');
    const cases: Array<[string, string, number, RegExp]> = [
      ['duplicate timestamp', withLine(11, [good[9].split(',')[0], ...fields.slice(1)].join(',')), 11, /duplicate timestamp/],
      ['unsorted', withLine(11, [Number(fields[0]) - 7_200_000, ...fields.slice(1)].join(',')), 11, /sorted/],
      ['missing value', withLine(11, [fields[0], '', ...fields.slice(2)].join(',')), 11, /missing open/],
      ['not a number', withLine(11, [fields[0], fields[1], 'abc', ...fields.slice(3)].join(',')), 11, /high "abc" is not a number/],
      ['high below the body', withLine(11, [fields[0], '100', '99', '90', '100', fields[5]].join(',')), 11, /high 99 is below/],
      ['low above the body', withLine(11, [fields[0], '100', '110', '101', '105', fields[5]].join(',')), 11, /low 101 is above/],
      ['negative volume', withLine(11, [...fields.slice(0, 5), '-1'].join(',')), 11, /negative volume/],
      ['bad date', withLine(11, ['yesterday', ...fields.slice(1)].join(',')), 11, /ISO 8601/],
      ['epoch beyond any date', withLine(11, ['100000000000000000000', ...fields.slice(1)].join(',')), 11, /out of range/],
      ['no time column', ['when,open,high,low,close,volume', ...good.slice(1)].join('\n'), 1, /no time column/],
      ['no volume column', ['timestamp,open,high,low,close,vol', ...good.slice(1)].join('\n'), 1, /no "volume" column/],
    ];
    for (const [what, text, row, message] of cases) {
      assert.equal(rowOf(() => parseOhlcvCsv(text)), row, what);
      assert.throws(() => parseOhlcvCsv(text), message, what);
    }
    assert.throws(() => parseOhlcvCsv(''), /no rows/);
    assert.throws(() => parseOhlcvCsv('timestamp,open,high,low,close,volume\n'), /no bars/);
    const binance = binanceCsv((ms) => ms).split('\n');
    binance[4] = binance[4].split(',').slice(0, 11).join(',');
    assert.ok(rowOf(() => parseOhlcvCsv(binance.join('\n'), 'binance')) >= 5);
  });

  it('any epoch number on a row parses or is refused naming that row, never another error (property)', () => {
    const good = headerCsv((ms) => String(ms)).trimEnd().split('\n');
    fc.assert(
      fc.property(fc.integer({ min: 2, max: good.length }), fc.oneof(fc.double({ min: 0, max: 1e300, noNaN: true }), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(Number)), (line, epoch) => {
        const fields = good[line - 1].split(',');
        fields[0] = epoch.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 });
        const text = [...good.slice(0, line - 1), fields.join(','), ...good.slice(line)].join('\n');
        try {
          parseOhlcvCsv(text);
        } catch (error) {
          assert.ok(error instanceof DataImportError, `not a DataImportError: ${String(error)}`);
          assert.ok(error.row === line || error.row === line + 1, `row ${error.row} for a change on row ${line}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('any one corrupted bar is reported at exactly its row (property)', () => {
    const good = headerCsv((ms) => String(ms)).trimEnd().split('\n');
    fc.assert(
      fc.property(fc.integer({ min: 2, max: good.length }), fc.constantFrom('negative-volume', 'high', 'low', 'nan'), (line, fault) => {
        const fields = good[line - 1].split(',');
        if (fault === 'negative-volume') fields[5] = '-5';
        if (fault === 'high') fields[2] = String(Math.min(Number(fields[1]), Number(fields[4])) - 1);
        if (fault === 'low') fields[3] = String(Math.max(Number(fields[1]), Number(fields[4])) + 1);
        if (fault === 'nan') fields[4] = 'NaN';
        const text = [...good.slice(0, line - 1), fields.join(','), ...good.slice(line)].join('\n');
        assert.equal(rowOf(() => parseOhlcvCsv(text)), line);
      }),
      { numRuns: 50 },
    );
  });
});

describe('bar spacing against the declared timeframe', () => {
  /** A headed CSV of flat bars at these times (row 1 is the header, so bar i is on row i + 2). */
  function csvAt(times: number[]): string {
    return `timestamp,open,high,low,close,volume\n${times.map((t) => `${new Date(t).toISOString()},10,11,9,10,5`).join('\n')}\n`;
  }
  function failure(text: string, timeframe: Timeframe): DataImportError {
    try {
      parseOhlcvCsv(text, 'auto', { timeframe });
    } catch (error) {
      assert.ok(error instanceof DataImportError, String(error));
      return error;
    }
    assert.fail(`expected ${timeframe} to be refused`);
  }
  const H = 3_600_000;
  const D = 24 * H;
  const t0 = Date.UTC(2024, 0, 1); // a Monday

  it('accepts aligned bars with gaps (missing bars, weekends) on every timeframe', () => {
    const weekdays = [0, 1, 2, 3, 4, 7, 8, 9].map((d) => t0 + d * D);
    assert.equal(parseOhlcvCsv(csvAt(weekdays), 'auto', { timeframe: '1d' }).time.length, 8);
    assert.equal(parseOhlcvCsv(csvAt([t0, t0 + H, t0 + 5 * H, t0 + 6 * H]), 'auto', { timeframe: '1h' }).time.length, 4);
    assert.equal(parseOhlcvCsv(csvAt([t0, t0 + 4 * H, t0 + 20 * H]), 'auto', { timeframe: '4h' }).time.length, 3);
    assert.equal(parseOhlcvCsv(csvAt([t0, t0 + 7 * D, t0 + 21 * D]), 'auto', { timeframe: '1w' }).time.length, 3);
    assert.equal(parseOhlcvCsv(csvAt([Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 4, 1)]), 'auto', { timeframe: '1M' }).time.length, 3);
    // The synthetic series and Binance files of the tests above are aligned 1h bars.
    assert.equal(parseOhlcvCsv(headerCsv((ms) => String(ms)), 'auto', { timeframe: '1h' }).time.length, 200);
    assert.equal(parseOhlcvCsv(binanceCsv((ms) => ms), 'auto', { timeframe: '1h' }).time.length, 200);
    // Without a timeframe only the order is checked (spacing is the importer's business).
    assert.equal(parseOhlcvCsv(csvAt([t0, t0 + 60_000]), 'auto').time.length, 2);
  });

  it('refuses bars closer together than the timeframe, naming the row and the previous one', () => {
    const close = failure(csvAt([t0, t0 + H, t0 + H + 60_000 * 30]), '1h');
    assert.equal(close.row, 4);
    assert.match(close.message, /^row 4: timestamp 2024-01-01T01:30:00\.000Z is 30m after row 3's; 1h bars are at least 1h apart/);
    const minutes = failure(csvAt([t0, t0 + 60_000]), '1d');
    assert.equal(minutes.row, 3);
    assert.match(minutes.message, /is 1m after row 2's; 1d bars are at least 1d apart \(is the timeframe right\?\)/);
    const sameMonth = failure(csvAt([Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 15)]), '1M');
    assert.equal(sameMonth.row, 4);
    assert.match(sameMonth.message, /same month as row 3's; 1M bars are one a month/);
    const days = failure(csvAt([t0, t0 + D]), '1w');
    assert.equal(days.row, 3);
    assert.match(days.message, /is 1d after row 2's; 1w bars are at least 1w apart/);
  });

  it('refuses bars off the timeframe grid (UTC): minutes, hours, midnight, Monday, first of month', () => {
    const cases: Array<[number[], Timeframe, number, RegExp]> = [
      [[t0 + 30_000], '1m', 2, /not on the 1m grid: 1m bars open on a whole minute/],
      [[t0, t0 + 7 * 60_000], '5m', 3, /not on the 5m grid/],
      [[t0, t0 + H, t0 + 2 * H + 60_000 * 30], '1h', 4, /timestamp 2024-01-01T02:30:00\.000Z is not on the 1h grid: 1h bars open on the hour/],
      [[t0 + H], '4h', 2, /not on the 4h grid: 4h bars open at 00:00, 04:00/],
      [[t0, t0 + D + 5 * H], '1d', 3, /not on the 1d grid: 1d bars open at 00:00 UTC/],
      [[t0 + D], '1w', 2, /timestamp 2024-01-02T00:00:00\.000Z is not on the 1w grid: 1w bars open on a Monday at 00:00 UTC/],
      [[t0, t0 + 8 * D], '1w', 3, /not on the 1w grid/],
      [[Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 2)], '1M', 3, /2024-02-02T00:00:00\.000Z is not on the 1M grid: 1M bars open on the first day of a month/],
      [[Date.UTC(2024, 0, 1, 3)], '1M', 2, /not on the 1M grid/],
    ];
    for (const [times, timeframe, row, pattern] of cases) {
      const error = failure(csvAt(times), timeframe);
      assert.equal(error.row, row, `${timeframe}: ${error.message}`);
      assert.match(error.message, pattern);
    }
  });

  it('Binance files are numbered from row 1', () => {
    const lines = binanceCsv((ms) => ms).split('\n');
    const fields = lines[5].split(',');
    fields[0] = String(Number(fields[0]) + 60_000);
    lines[5] = fields.join(',');
    const error = failure(lines.join('\n'), '1h');
    assert.equal(error.row, 6);
    assert.match(error.message, /not on the 1h grid/);
  });
});
