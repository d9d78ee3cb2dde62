import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DataImportError } from '../../../shared/quant/data-import/import-error.js';
import { parseOhlcvCsv } from '../../../shared/quant/data-import/parse-ohlcv-csv.js';
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
