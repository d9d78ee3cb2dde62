import { DataImportError } from '../shared/quant/data-import/import-error.js';
import { parseOhlcvCsv, type CsvFormat } from '../shared/quant/data-import/parse-ohlcv-csv.js';
import { datasetId, encodeDataset } from '../shared/quant/dataset-codec.js';
import type { Timeframe } from '../shared/quant/timeframes.js';

export interface ParseDatasetInput {
  symbol: string;
  timeframe: Timeframe;
  format: CsvFormat;
  content: Uint8Array;
}

export type ParseDatasetOutcome =
  | { ok: true; id: string; encoded: Uint8Array; bars: number; firstTimeMs: number; lastTimeMs: number }
  /** row: the file's row at fault (0 = the file as a whole; -1 = not a data error). */
  | { ok: false; row: number; message: string };

/** Parses, validates, encodes and hashes one file. Pure CPU work (run in a worker thread). */
export function parseDatasetFile(input: ParseDatasetInput): ParseDatasetOutcome {
  const text = Buffer.from(input.content.buffer, input.content.byteOffset, input.content.byteLength).toString('utf8');
  try {
    const columns = parseOhlcvCsv(text, input.format);
    if (columns.time.length === 0) return { ok: false, row: 0, message: 'the file has no bars' };
    const encoded = encodeDataset({ symbol: input.symbol, timeframe: input.timeframe, ...columns });
    const bars = columns.time.length;
    return { ok: true, id: datasetId(encoded), encoded, bars, firstTimeMs: columns.time[0], lastTimeMs: columns.time[bars - 1] };
  } catch (error) {
    if (error instanceof DataImportError) return { ok: false, row: error.row, message: error.message };
    throw error;
  }
}
