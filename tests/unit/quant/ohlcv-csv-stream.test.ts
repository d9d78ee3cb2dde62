import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { columnBytes, DATASET_COLUMNS, encodeDataset, encodeDatasetHeader } from '../../../shared/quant/dataset-codec.js';
import type { OhlcvColumnBlocks } from '../../../shared/quant/data-import/ohlcv-column-blocks.js';
import { DataImportError } from '../../../shared/quant/data-import/import-error.js';
import { OhlcvCsvStream } from '../../../shared/quant/data-import/ohlcv-csv-stream.js';
import { parseOhlcvCsv, type CsvFormat } from '../../../shared/quant/data-import/parse-ohlcv-csv.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import type { Timeframe } from '../../../shared/quant/timeframes.js';

const series = generateSyntheticSeries({ seed: 9, symbol: 'ETHUSDT', timeframe: '1h', bars: 300 });

function csvLines(binance: boolean): string[] {
  const lines = binance ? [] : ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < series.time.length; i++) {
    const t = series.time[i];
    const values = [t, series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]];
    lines.push((binance ? [...values, t + 3_599_999, 1, 2, 3, 4, 0] : values).join(','));
  }
  return lines;
}

/** The dataset bytes as DatasetStore.putColumns writes them: the header, then each column a block at a time. */
function piecewise(symbol: string, bars: OhlcvColumnBlocks): Uint8Array {
  const pieces: Uint8Array[] = [encodeDatasetHeader(symbol, '1h', bars.length)];
  for (const column of DATASET_COLUMNS) for (const values of bars.takeColumn(column)) pieces.push(Buffer.from(columnBytes(values)));
  return new Uint8Array(Buffer.concat(pieces));
}

type Outcome = { ok: true; encoded: Uint8Array } | { ok: false; row: number; message: string };

function wholeText(text: string, format: CsvFormat, timeframe: Timeframe | undefined): Outcome {
  try {
    const bars = parseOhlcvCsv(text, format, { timeframe });
    return { ok: true, encoded: encodeDataset({ symbol: 'X', timeframe: '1h', ...bars }) };
  } catch (error) {
    assert.ok(error instanceof DataImportError, String(error));
    return { ok: false, row: error.row, message: error.message };
  }
}

async function streamed(bytes: Buffer, cuts: number[], format: CsvFormat, timeframe: Timeframe | undefined): Promise<Outcome> {
  const stream = new OhlcvCsvStream(format, { timeframe });
  try {
    let at = 0;
    for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
      await stream.write(bytes.subarray(at, cut));
      at = cut;
    }
    const bars = await stream.end();
    return { ok: true, encoded: piecewise('X', bars) };
  } catch (error) {
    assert.ok(error instanceof DataImportError, String(error));
    return { ok: false, row: error.row, message: error.message };
  }
}

describe('a CSV import streamed in chunks', () => {
  it('written piece by piece (header, then each column a block at a time), the bytes are encodeDataset\'s', async () => {
    const text = `${csvLines(false).join('\n')}\n`;
    const stream = new OhlcvCsvStream('auto', { timeframe: '1h' });
    await stream.write(Buffer.from(text));
    assert.deepEqual(piecewise('ETHUSDT', await stream.end()), encodeDataset({ ...series, symbol: 'ETHUSDT', timeframe: '1h' }));
  });

  it('gives the same bars or the same error (row and message) as the whole text, however it is cut (property)', async () => {
    const corruption = fc.oneof(
      fc.constant(undefined),
      fc.record({ line: fc.integer({ min: 0, max: 299 }), text: fc.constantFrom('', 'x', '1,2', '100000000000000000000,1,2,0.5,1,1', ',,,,,', '"unclosed', '1e400,1,1,1,1,1') }),
      fc.record({ line: fc.integer({ min: 0, max: 299 }), swap: fc.constant(true) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        corruption,
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 12 }),
        fc.constantFrom<Timeframe | undefined>(undefined, '1h', '4h'),
        async (binance, fault, cuts, timeframe) => {
          const lines = csvLines(binance);
          if (fault && 'text' in fault) lines[fault.line] = fault.text;
          if (fault && 'swap' in fault && fault.line + 1 < lines.length) [lines[fault.line], lines[fault.line + 1]] = [lines[fault.line + 1], lines[fault.line]];
          const text = `\ufeff${lines.join('\n')}\n`;
          const format: CsvFormat = 'auto';
          const expected = wholeText(text, format, timeframe);
          const actual = await streamed(Buffer.from(text, 'utf8'), cuts, format, timeframe);
          if (expected.ok) {
            assert.ok(actual.ok, `streamed failed: ${JSON.stringify(actual)}`);
            assert.deepEqual(actual.encoded, expected.encoded);
          } else {
            assert.deepEqual(actual, expected);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('an empty file, or a header alone, is refused as the whole text is', async () => {
    assert.deepEqual(await streamed(Buffer.from(''), [], 'auto', undefined), wholeText('', 'auto', undefined));
    const header = 'timestamp,open,high,low,close,volume\n';
    assert.deepEqual(await streamed(Buffer.from(header), [5], 'auto', undefined), wholeText(header, 'auto', undefined));
  });
});
