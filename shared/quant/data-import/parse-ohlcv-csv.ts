import { quoteInput } from '../../quote-input.js';
import { parse } from 'csv-parse/sync';
import { allocateColumns as allocate, type OhlcvColumns } from '../resample.js';
import type { Timeframe } from '../timeframes.js';
import { DataImportError } from './import-error.js';
import { epochToMs, parseTimestamp } from './timestamps.js';
import { validateOhlcv } from './validate-ohlcv.js';

export type CsvFormat = 'auto' | 'header' | 'binance';

const TIME_COLUMNS = ['timestamp', 'date', 'time', 'datetime', 'open_time'];
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
/** Binance kline files: open time, open, high, low, close, volume, close time, quote volume, trades, taker base, taker quote, ignore. */
const BINANCE_COLUMNS = 12;

function number(text: string | undefined, row: number, column: string): number {
  if (text === undefined || text.trim() === '') throw new DataImportError(row, `missing ${column}`);
  const value = Number(text);
  if (!Number.isFinite(value)) throw new DataImportError(row, `${column} ${quoteInput(text)} is not a number`);
  return value;
}

function looksLikeBinance(first: readonly string[]): boolean {
  return first.length === BINANCE_COLUMNS && first.every((field) => /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(field.trim()));
}

/**
 * Parses OHLCV bars from CSV text: either a file with a header naming a time column
 * (timestamp, date or time; ISO dates or epoch s/ms/µs) and open, high, low, close, volume in
 * any order, or a Binance kline file (no header, 12 columns, open time in ms or µs).
 * Validates every bar (see validateOhlcv; with `timeframe`, also the bars' spacing and alignment)
 * and throws DataImportError naming the file's row: nothing is half-imported.
 */
export function parseOhlcvCsv(text: string, format: CsvFormat = 'auto', timeframe?: Timeframe): OhlcvColumns {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false, bom: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    throw new DataImportError(line, `not valid CSV: ${(error as Error).message}`);
  }
  if (records.length === 0) throw new DataImportError(0, 'the file has no rows');
  const binance = format === 'binance' || (format === 'auto' && looksLikeBinance(records[0]));
  return binance ? fromBinance(records, timeframe) : fromHeader(records, timeframe);
}

function fromBinance(records: string[][], timeframe: Timeframe | undefined): OhlcvColumns {
  const bars = allocate(records.length);
  records.forEach((fields, i) => {
    const row = i + 1;
    if (fields.length !== BINANCE_COLUMNS) throw new DataImportError(row, `a Binance kline row has ${BINANCE_COLUMNS} columns, this one ${fields.length}`);
    bars.time[i] = epochToMs(number(fields[0], row, 'open time'), row);
    bars.open[i] = number(fields[1], row, 'open');
    bars.high[i] = number(fields[2], row, 'high');
    bars.low[i] = number(fields[3], row, 'low');
    bars.close[i] = number(fields[4], row, 'close');
    bars.volume[i] = number(fields[5], row, 'volume');
  });
  validateOhlcv(bars, 1, timeframe);
  return bars;
}

function fromHeader(records: string[][], timeframe: Timeframe | undefined): OhlcvColumns {
  const header = records[0].map((name) => name.trim().toLowerCase());
  const timeIndex = header.findIndex((name) => TIME_COLUMNS.includes(name));
  if (timeIndex < 0) throw new DataImportError(1, `no time column in the header (one of ${TIME_COLUMNS.join(', ')})`);
  const indexes = PRICE_COLUMNS.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) throw new DataImportError(1, `no ${quoteInput(name)} column in the header`);
    return index;
  });
  const bars = allocate(records.length - 1);
  for (let i = 1; i < records.length; i++) {
    const fields = records[i];
    const row = i + 1;
    const bar = i - 1;
    bars.time[bar] = parseTimestamp(fields[timeIndex] ?? '', row);
    bars.open[bar] = number(fields[indexes[0]], row, 'open');
    bars.high[bar] = number(fields[indexes[1]], row, 'high');
    bars.low[bar] = number(fields[indexes[2]], row, 'low');
    bars.close[bar] = number(fields[indexes[3]], row, 'close');
    bars.volume[bar] = number(fields[indexes[4]], row, 'volume');
  }
  if (bars.time.length === 0) throw new DataImportError(0, 'the file has a header but no bars');
  validateOhlcv(bars, 2, timeframe);
  return bars;
}
