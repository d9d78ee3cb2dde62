import { parse } from 'csv-parse/sync';
import { allocateColumns as allocate, type OhlcvColumns } from '../resample.js';
import { CSV_PARSE_OPTIONS, CsvBarReader, csvSyntaxError, type CsvFormat } from './csv-bar-reader.js';
import { DATASET_COLUMNS } from '../dataset-codec.js';
import type { ImportRules } from './validate-ohlcv.js';

export type { CsvFormat } from './csv-bar-reader.js';

/**
 * Parses OHLCV bars from CSV text: either a file with a header naming a time column
 * (timestamp, date or time; ISO dates or epoch s/ms/µs) and open, high, low, close, volume in
 * any order, or a Binance kline file (no header, 12 columns, open time in ms or µs).
 * Validates every bar (see validateOhlcv: the rules' timeframe, spacing and alignment, prices > 0 unless allowed)
 * and throws DataImportError naming the file's first bad row (CsvBarReader): nothing is half-imported.
 */
export function parseOhlcvCsv(text: string, format: CsvFormat = 'auto', rules: ImportRules = {}): OhlcvColumns {
  const reader = new CsvBarReader(format, rules);
  try {
    parse(text, { ...CSV_PARSE_OPTIONS, on_record: reader.onRecord });
  } catch (error) {
    reader.throwIfFailed(); // a bad row before the syntax error is the first fault
    throw csvSyntaxError(error);
  }
  const blocks = reader.finish();
  const bars = allocate(blocks.length);
  for (const column of DATASET_COLUMNS) blocks.moveColumn(column, bars[column]);
  return bars;
}
