import { quoteInput } from '../../quote-input.js';
import { BarSpacingTally } from './bar-spacing.js';
import { DataImportError } from './import-error.js';
import { OhlcvColumnBlocks } from './ohlcv-column-blocks.js';
import { epochToMs, parseTimestamp } from './timestamps.js';
import { checkBar, checkSpacing, type ImportRules } from './validate-ohlcv.js';

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

/** csv-parse options of every CSV import (whole text or streamed). */
export const CSV_PARSE_OPTIONS = { skip_empty_lines: true, trim: true, relax_column_count: false, bom: true } as const;

/** A csv-parse failure as the DataImportError of the line it names. */
export function csvSyntaxError(error: unknown): DataImportError {
  const line = (error as { lines?: number }).lines ?? 0;
  return new DataImportError(line, `not valid CSV: ${(error as Error).message}`);
}

/** Where a file's values are: Binance columns (no header), or the columns its header names. */
export type CsvLayout = { binance: true } | { binance: false; timeIndex: number; indexes: number[] };

/** The layout the file's first record gives (a Binance row, or the header); DataImportError on row 1 when the header lacks a column. */
export function csvLayout(first: readonly string[], format: CsvFormat): CsvLayout {
  if (format === 'binance' || (format === 'auto' && looksLikeBinance(first))) return { binance: true };
  const header = first.map((name) => name.trim().toLowerCase());
  const timeIndex = header.findIndex((name) => TIME_COLUMNS.includes(name));
  if (timeIndex < 0) throw new DataImportError(1, `no time column in the header (one of ${TIME_COLUMNS.join(', ')})`);
  const indexes = PRICE_COLUMNS.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) throw new DataImportError(1, `no ${quoteInput(name)} column in the header`);
    return index;
  });
  return { binance: false, timeIndex, indexes };
}

/** One data record's bar into `out` (time ms, open, high, low, close, volume); DataImportError naming `row`. Not yet checked against its neighbours (checkBar). */
export function readCsvBar(layout: CsvLayout, fields: readonly string[], row: number, out: Float64Array): void {
  if (layout.binance) {
    if (fields.length !== BINANCE_COLUMNS) throw new DataImportError(row, `a Binance kline row has ${BINANCE_COLUMNS} columns, this one ${fields.length}`);
    out[0] = epochToMs(number(fields[0], row, 'open time'), row);
    for (let c = 0; c < 5; c++) out[c + 1] = number(fields[c + 1], row, PRICE_COLUMNS[c]);
    return;
  }
  out[0] = parseTimestamp(fields[layout.timeIndex] ?? '', row);
  for (let c = 0; c < 5; c++) out[c + 1] = number(fields[layout.indexes[c]], row, PRICE_COLUMNS[c]);
}

/**
 * The bars of a CSV file, taken a csv-parse record at a time (its on_record): the first record gives
 * the layout, each data record is read and checked against the one before (checkBar) as it comes, so
 * the error is always that of the file's first bad row, whether the text is parsed whole
 * (parseOhlcvCsv) or streamed in chunks (OhlcvCsvStream). After a bad row the rest is ignored.
 */
export class CsvBarReader {
  readonly bars = new OhlcvColumnBlocks();
  private readonly bar = new Float64Array(6);
  private readonly spacing = new BarSpacingTally();
  private layout: CsvLayout | undefined;
  private records = 0;
  /** The first bad row's error, once there is one. */
  failure: DataImportError | undefined;

  constructor(
    private readonly format: CsvFormat,
    private readonly rules: ImportRules,
  ) {}

  /** csv-parse's on_record: takes the record, keeps nothing in the parser (null). */
  readonly onRecord = (record: string[]): null => {
    if (this.failure === undefined) {
      try {
        this.take(record);
      } catch (error) {
        if (!(error instanceof DataImportError)) throw error;
        this.failure = error;
      }
    }
    return null;
  };

  private take(fields: string[]): void {
    const row = ++this.records;
    if (this.layout === undefined) {
      this.layout = csvLayout(fields, this.format);
      if (!this.layout.binance) return; // the header
    }
    readCsvBar(this.layout, fields, row, this.bar);
    const [time, open, high, low, close, volume] = this.bar;
    const previous = this.bars.last;
    checkBar(time, open, high, low, close, volume, previous, row, this.rules);
    this.spacing.add(time, previous);
    this.bars.push(time, open, high, low, close, volume);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** The file ended: its bars, or the DataImportError of its first bad row (or of the file as a whole). */
  finish(): OhlcvColumnBlocks {
    this.throwIfFailed();
    if (this.records === 0) throw new DataImportError(0, 'the file has no rows');
    if (this.bars.length === 0) throw new DataImportError(0, 'the file has a header but no bars');
    checkSpacing(this.spacing, this.rules);
    return this.bars;
  }
}
