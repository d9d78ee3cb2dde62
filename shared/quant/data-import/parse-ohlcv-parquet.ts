import { quoteInput } from '../../quote-input.js';
import { parquetMetadata, parquetRead, parquetSchema, type FileMetaData, type SchemaElement } from 'hyparquet';
import { allocateColumns, type OhlcvColumns } from '../resample.js';
import { DataImportError } from './import-error.js';
import { epochToMs, inDateRange, parseTimestamp } from './timestamps.js';
import { validateOhlcv, type ImportRules } from './validate-ohlcv.js';

const TIME_COLUMNS = ['timestamp', 'date', 'time', 'datetime', 'open_time'];
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
/** Plain integer epochs at or above this are nanoseconds (ns since 1973; µs would be past the year 5000). */
const NANOS_FROM = 10n ** 17n;

/** True when the bytes start with the Parquet magic "PAR1". */
export function isParquet(bytes: Uint8Array): boolean {
  return bytes.byteLength >= MAGIC.length && MAGIC.every((byte, i) => bytes[i] === byte);
}

/** A bad bar of a Parquet file: `row` is the 1-based data row, and the message says it is a Parquet row. */
export class ParquetRowError extends DataImportError {
  constructor(row: number, reason: string) {
    super(row, reason);
    this.message = `Parquet row ${row}: ${reason}`;
  }
}

interface Column {
  name: string;
  element: SchemaElement;
  /** DECIMAL columns are read unscaled (annotation stripped) and scaled here, exactly. */
  decimalScale?: number;
}

function decimalScaleOf(element: SchemaElement): number | undefined {
  if (element.converted_type === 'DECIMAL') return element.scale ?? 0;
  if (element.logical_type?.type === 'DECIMAL') return element.logical_type.scale ?? 0;
  return undefined;
}

function findColumns(metadata: FileMetaData): { time: Column; prices: Column[] } {
  const top = parquetSchema(metadata).children.map((child) => child.element);
  const byName = (names: readonly string[]) => top.find((element) => names.includes(element.name.trim().toLowerCase()));
  const column = (element: SchemaElement): Column => {
    if (!element.type || element.num_children) throw new DataImportError(0, `column ${quoteInput(element.name)} is not a plain column (a group, list or map)`);
    return { name: element.name, element, decimalScale: decimalScaleOf(element) };
  };
  const time = byName(TIME_COLUMNS);
  if (!time) throw new DataImportError(0, `no time column in the Parquet schema (one of ${TIME_COLUMNS.join(', ')})`);
  const prices = PRICE_COLUMNS.map((name) => {
    const element = byName([name]);
    if (!element) throw new DataImportError(0, `no ${quoteInput(name)} column in the Parquet schema`);
    return column(element);
  });
  return { time: column(time), prices };
}

/** Reads one top-level column whole, as hyparquet decodes it (row groups placed by their first row). */
async function readColumn(file: ArrayBuffer, metadata: FileMetaData, column: Column, rows: number): Promise<unknown[]> {
  const values = new Array<unknown>(rows);
  let decimalMetadata = metadata;
  if (column.decimalScale !== undefined) {
    // Unscaled integers: hyparquet would scale by multiplying with 10^-scale, which is not exact.
    const schema = metadata.schema.map((element) => (element === column.element ? { ...element, converted_type: undefined, logical_type: undefined } : element));
    decimalMetadata = { ...metadata, schema };
  }
  await parquetRead({
    file,
    metadata: decimalMetadata,
    columns: [column.name],
    utf8: column.decimalScale === undefined,
    onChunk: (chunk) => {
      if (chunk.columnName !== column.name) return;
      const end = Math.min(chunk.rowEnd, rows);
      for (let row = chunk.rowStart; row < end; row++) values[row] = chunk.columnData[row - chunk.rowStart];
    },
  });
  return values;
}

function unscaledDecimal(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (value instanceof Uint8Array) {
    if (value.length === 0) return 0n;
    let unsigned = 0n;
    for (const byte of value) unsigned = (unsigned << 8n) | BigInt(byte);
    const bits = BigInt(value.length * 8);
    return unsigned >= 1n << (bits - 1n) ? unsigned - (1n << bits) : unsigned;
  }
  return undefined;
}

/** unscaled × 10^-scale as the nearest double (the same double as parsing its decimal text). */
function scaleDecimal(unscaled: bigint, scale: number): number {
  const exact = Number(unscaled);
  if (scale === 0) return exact;
  // Both operands exact in a double: IEEE division rounds the true quotient once.
  if (Number.isSafeInteger(exact) && scale <= 22) return exact / 10 ** scale;
  return Number(`${unscaled}e-${scale}`);
}

function toNumber(value: unknown, row: number, column: Column): number {
  if (value === null || value === undefined) throw new DataImportError(row, `missing ${column.name}`);
  if (column.decimalScale !== undefined) {
    const unscaled = unscaledDecimal(value);
    if (unscaled === undefined) throw new DataImportError(row, `${column.name} is not a DECIMAL value`);
    return scaleDecimal(unscaled, column.decimalScale);
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const number = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(number)) throw new DataImportError(row, `${column.name} ${quoteInput(value)} is not a number`);
    return number;
  }
  throw new DataImportError(row, `${column.name} is not a number (a Parquet ${column.element.type} value)`);
}

function toTimeMs(value: unknown, row: number, column: Column): number {
  if (value === null || value === undefined) throw new DataImportError(row, 'missing timestamp');
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new DataImportError(row, 'timestamp is not a valid date');
    return ms;
  }
  if (typeof value === 'bigint') return value >= NANOS_FROM ? inDateRange(Number(value / 1_000_000n), row, String(value)) : epochToMs(Number(value), row);
  if (typeof value === 'number') return epochToMs(value, row);
  if (typeof value === 'string') return parseTimestamp(value, row);
  throw new DataImportError(row, `timestamp is neither a number, a date nor text (a Parquet ${column.element.type} value)`);
}

/**
 * Parses OHLCV bars from a Parquet file: columns found by name (case-insensitive) like a headed
 * CSV — a time column (timestamp, date, time, datetime or open_time: integer epoch s/ms/µs (ns from
 * 1e17 on), a TIMESTAMP/DATE type, or ISO text) and open, high, low, close, volume (floating point,
 * integer or DECIMAL, converted to numbers). Other columns are ignored. Validates every bar
 * (validateOhlcv with `rules`: timeframe, spacing and alignment, prices > 0 unless allowed) and throws DataImportError: ParquetRowError naming the 1-based data row, or
 * row 0 for the file as a whole. Nothing is half-imported.
 */
export async function parseOhlcvParquet(bytes: Uint8Array, rules: ImportRules = {}): Promise<OhlcvColumns> {
  if (!isParquet(bytes)) throw new DataImportError(0, 'not a Parquet file (it does not start with the magic bytes PAR1)');
  const file = new Uint8Array(bytes).buffer; // an ArrayBuffer of exactly the file
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new DataImportError(0, `not a readable Parquet file: ${(error as Error).message}`);
  }
  const rows = Number(metadata.num_rows);
  const { time, prices } = findColumns(metadata);
  if (rows === 0) throw new DataImportError(0, 'the Parquet file has no rows');

  let raw: unknown[][];
  try {
    raw = [];
    for (const column of [time, ...prices]) raw.push(await readColumn(file, metadata, column, rows));
  } catch (error) {
    throw new DataImportError(0, `not a readable Parquet file: ${(error as Error).message}`);
  }

  const bars = allocateColumns(rows);
  const targets = [bars.open, bars.high, bars.low, bars.close, bars.volume];
  try {
    for (let i = 0; i < rows; i++) {
      const row = i + 1;
      bars.time[i] = toTimeMs(raw[0][i], row, time);
      for (let c = 0; c < prices.length; c++) targets[c][i] = toNumber(raw[c + 1][i], row, prices[c]);
    }
    validateOhlcv(bars, 1, rules);
  } catch (error) {
    if (error instanceof DataImportError && error.row > 0 && !(error instanceof ParquetRowError)) throw new ParquetRowError(error.row, error.reason);
    throw error;
  }
  return bars;
}
