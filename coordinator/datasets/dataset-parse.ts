import { DataImportError } from '../../shared/quant/data-import/import-error.js';
import { parseOhlcvCsv, type CsvFormat } from '../../shared/quant/data-import/parse-ohlcv-csv.js';
import { isParquet, parseOhlcvParquet } from '../../shared/quant/data-import/parse-ohlcv-parquet.js';
import type { OhlcvColumns } from '../../shared/quant/resample.js';
import { datasetId, encodeDataset } from '../../shared/quant/dataset-codec.js';
import type { Timeframe } from '../../shared/quant/timeframes.js';
import type { ImportRules } from '../../shared/quant/data-import/validate-ohlcv.js';

/** auto picks Parquet when the bytes start with the magic PAR1, else a CSV (headed or Binance). */
export type DatasetFormat = CsvFormat | 'parquet';

export interface ParseDatasetInput {
  symbol: string;
  timeframe: Timeframe;
  format: DatasetFormat;
  content: Uint8Array;
  /** Accept prices ≤ 0 (the request's allow_non_positive). */
  allowNonPositive?: boolean;
}

export type ParseDatasetOutcome =
  | { ok: true; id: string; encoded: Uint8Array; bars: number; firstTimeMs: number; lastTimeMs: number }
  /** row: the file's row at fault (0 = the file as a whole; -1 = not a data error); field: the request's field at fault. */
  | { ok: false; row: number; message: string; field?: DataImportError['field'] };

function wantsParquet(input: ParseDatasetInput): boolean {
  return input.format === 'parquet' || (input.format === 'auto' && isParquet(input.content));
}

function parseCsv(input: ParseDatasetInput): OhlcvColumns {
  if (isParquet(input.content)) throw new DataImportError(0, `this is a Parquet file, not a CSV: import it with format parquet or auto, not ${input.format}`);
  const text = Buffer.from(input.content.buffer, input.content.byteOffset, input.content.byteLength).toString('utf8');
  return parseOhlcvCsv(text, input.format as CsvFormat, rulesOf(input));
}

function rulesOf(input: ParseDatasetInput): ImportRules {
  return { timeframe: input.timeframe, allowNonPositive: input.allowNonPositive === true };
}

function failure(error: DataImportError): ParseDatasetOutcome {
  return { ok: false, row: error.row, message: error.message, field: error.field };
}

function outcomeOf(input: ParseDatasetInput, parse: () => OhlcvColumns): ParseDatasetOutcome {
  try {
    const columns = parse();
    if (columns.time.length === 0) return { ok: false, row: 0, message: 'the file has no bars' };
    const encoded = encodeDataset({ symbol: input.symbol, timeframe: input.timeframe, ...columns });
    const bars = columns.time.length;
    return { ok: true, id: datasetId(encoded), encoded, bars, firstTimeMs: columns.time[0], lastTimeMs: columns.time[bars - 1] };
  } catch (error) {
    if (error instanceof DataImportError) return failure(error);
    throw error;
  }
}

/**
 * Parses, validates, encodes and hashes one file, synchronously: CSV only (the Parquet reader is
 * asynchronous; the import worker uses parseDatasetFileAsync, which reads both).
 */
export function parseDatasetFile(input: ParseDatasetInput): ParseDatasetOutcome {
  if (wantsParquet(input)) return { ok: false, row: -1, message: 'Parquet files are parsed by the import worker thread only (parseDatasetFileAsync)' };
  return outcomeOf(input, () => parseCsv(input));
}

/** Parses, validates, encodes and hashes one file, CSV or Parquet. Pure CPU work (run in a worker thread). */
export async function parseDatasetFileAsync(input: ParseDatasetInput): Promise<ParseDatasetOutcome> {
  if (!wantsParquet(input)) return parseDatasetFile(input);
  let columns: OhlcvColumns;
  try {
    columns = await parseOhlcvParquet(input.content, rulesOf(input));
  } catch (error) {
    if (error instanceof DataImportError) return failure(error);
    throw error;
  }
  return outcomeOf(input, () => columns);
}
