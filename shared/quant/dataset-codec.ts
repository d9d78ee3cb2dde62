import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Ohlcv } from './ohlcv.js';
import { isTimeframe, type Timeframe } from './timeframes.js';

/**
 * The binary form of a stored dataset (one symbol × timeframe of OHLCV bars). A dataset's id is
 * the SHA-256 (hex) of these bytes, so the same content always has the same id. Little-endian:
 *
 *   offset 0   4 bytes  magic "QGD1"
 *          4   u32      bars (n)
 *          8   u16      symbol length in bytes (UTF-8)
 *         10   u16      timeframe length in bytes
 *         12   …        symbol, then timeframe, then zero padding to a multiple of 8
 *   header     6 × n    Float64 columns in this order: time (ms since the epoch), open, high, low, close, volume
 *
 * Decoding copies the columns into one buffer (optionally a SharedArrayBuffer, so worker threads can
 * read the same bars without a copy) laid out as the six columns one after the other.
 */
export const DATASET_MAGIC = 'QGD1';
export const DATASET_COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;
const FIXED_HEADER = 12;
const COLUMN_COUNT = DATASET_COLUMNS.length;
const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
export const DATASET_ID_PATTERN = /^[0-9a-f]{64}$/;

/** What encode takes: the six columns (same length) plus the symbol and timeframe they belong to. */
export interface DatasetColumnsInput {
  symbol: string;
  timeframe: Timeframe;
  time: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
}

/**
 * A decoded dataset: the six columns back to back in `buffer` (bars × 8 bytes each). Cheap to post
 * to a worker thread when the buffer is a SharedArrayBuffer; turn it into views with datasetSeries().
 */
export interface DecodedDataset {
  symbol: string;
  timeframe: Timeframe;
  bars: number;
  buffer: ArrayBuffer | SharedArrayBuffer;
}

export class DatasetCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetCodecError';
  }
}

function headerLength(symbolBytes: number, timeframeBytes: number): number {
  return Math.ceil((FIXED_HEADER + symbolBytes + timeframeBytes) / 8) * 8;
}

/** The encoded dataset's header (padded: its columns start after it), for a dataset written piece by piece. */
export function encodeDatasetHeader(symbolName: string, timeframeName: Timeframe, bars: number): Uint8Array {
  if (bars > 0xffffffff) throw new DatasetCodecError(`too many bars: ${bars}`);
  const symbol = Buffer.from(symbolName, 'utf8');
  const timeframe = Buffer.from(timeframeName, 'utf8');
  if (symbol.length > 0xffff || timeframe.length > 0xffff) throw new DatasetCodecError('symbol or timeframe too long');
  const bytes = new Uint8Array(headerLength(symbol.length, timeframe.length));
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(DATASET_MAGIC, 'ascii'), 0);
  view.setUint32(4, bars, true);
  view.setUint16(8, symbol.length, true);
  view.setUint16(10, timeframe.length, true);
  bytes.set(symbol, FIXED_HEADER);
  bytes.set(timeframe, FIXED_HEADER + symbol.length);
  return bytes;
}

/** A column's values as the codec stores them (float64, little-endian), without a copy on a little-endian host. */
export function columnBytes(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return bytes;
}

export function encodeDataset(input: DatasetColumnsInput): Uint8Array {
  const n = input.time.length;
  for (const column of DATASET_COLUMNS) {
    if (input[column].length !== n) throw new DatasetCodecError(`column ${column} has ${input[column].length} values, time has ${n}`);
  }
  if (n > 0xffffffff) throw new DatasetCodecError(`too many bars: ${n}`);
  const symbol = Buffer.from(input.symbol, 'utf8');
  const timeframe = Buffer.from(input.timeframe, 'utf8');
  if (symbol.length > 0xffff || timeframe.length > 0xffff) throw new DatasetCodecError('symbol or timeframe too long');
  const header = headerLength(symbol.length, timeframe.length);
  const bytes = new Uint8Array(header + COLUMN_COUNT * n * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes.set(Buffer.from(DATASET_MAGIC, 'ascii'), 0);
  view.setUint32(4, n, true);
  view.setUint16(8, symbol.length, true);
  view.setUint16(10, timeframe.length, true);
  bytes.set(symbol, FIXED_HEADER);
  bytes.set(timeframe, FIXED_HEADER + symbol.length);
  let offset = header;
  for (const column of DATASET_COLUMNS) {
    const values = input[column];
    for (let i = 0; i < n; i++, offset += 8) view.setFloat64(offset, values[i], true);
  }
  return bytes;
}

export interface DatasetHeader {
  symbol: string;
  timeframe: Timeframe;
  bars: number;
  /** Where the columns start. */
  headerBytes: number;
}

/** The bytes the header of an encoded dataset takes, from at least its first FIXED_HEADER (12) bytes. */
export function datasetHeaderBytes(prefix: Uint8Array): number {
  if (prefix.byteLength < FIXED_HEADER) throw new DatasetCodecError(`${prefix.byteLength} bytes is too short for a dataset`);
  if (Buffer.from(prefix.buffer, prefix.byteOffset, 4).toString('latin1') !== DATASET_MAGIC) throw new DatasetCodecError('not a quantgrid dataset (bad magic)');
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  return headerLength(view.getUint16(8, true), view.getUint16(10, true));
}

/** Reads and checks the header (and that the size matches it); throws DatasetCodecError. */
export function readDatasetHeader(bytes: Uint8Array): DatasetHeader {
  return readHeader(bytes, true);
}

/**
 * The header and the time column (the first) of an encoded dataset, from bytes that hold at least
 * those: what a bar count after resampling needs, without the other five columns.
 */
export function readDatasetTimes(prefix: Uint8Array): DatasetHeader & { time: Float64Array } {
  const header = readHeader(prefix, false);
  const end = header.headerBytes + header.bars * 8;
  if (prefix.byteLength < end) throw new DatasetCodecError(`the time column of ${header.bars} bars needs ${end} bytes, got ${prefix.byteLength}`);
  const view = new DataView(prefix.buffer, prefix.byteOffset + header.headerBytes, header.bars * 8);
  const time = new Float64Array(header.bars);
  for (let i = 0; i < time.length; i++) time[i] = view.getFloat64(i * 8, true);
  return { ...header, time };
}

function readHeader(bytes: Uint8Array, whole: boolean): DatasetHeader {
  const headerBytes = datasetHeaderBytes(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bars = view.getUint32(4, true);
  const symbolLength = view.getUint16(8, true);
  const timeframeLength = view.getUint16(10, true);
  const expected = headerBytes + COLUMN_COUNT * bars * 8;
  if (whole && bytes.byteLength !== expected) throw new DatasetCodecError(`a dataset of ${bars} bars has ${expected} bytes, this one ${bytes.byteLength}`);
  if (bytes.byteLength < headerBytes) throw new DatasetCodecError(`a header of ${headerBytes} bytes, got ${bytes.byteLength}`);
  const text = (start: number, length: number) => Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('utf8');
  const symbol = text(FIXED_HEADER, symbolLength);
  const timeframe = text(FIXED_HEADER + symbolLength, timeframeLength);
  if (!isTimeframe(timeframe)) throw new DatasetCodecError(`unknown timeframe "${timeframe}"`);
  return { symbol, timeframe, bars, headerBytes };
}

/** Decodes the bytes; `shared` puts the columns in a SharedArrayBuffer. Throws DatasetCodecError. */
export function decodeDataset(bytes: Uint8Array, options: { shared?: boolean } = {}): DecodedDataset {
  const { symbol, timeframe, bars, headerBytes } = readDatasetHeader(bytes);
  const size = COLUMN_COUNT * bars * 8;
  const buffer = options.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(buffer).set(bytes.subarray(headerBytes, headerBytes + size));
  } else {
    const source = new DataView(bytes.buffer, bytes.byteOffset + headerBytes, size);
    const target = new Float64Array(buffer);
    for (let i = 0; i < target.length; i++) target[i] = source.getFloat64(i * 8, true);
  }
  return { symbol, timeframe, bars, buffer };
}

/** The decoded columns as an Ohlcv series of views (no copy). */
export function datasetSeries(dataset: DecodedDataset): Ohlcv {
  const n = dataset.bars;
  const column = (index: number) => new Float64Array(dataset.buffer, index * n * 8, n);
  return {
    symbol: dataset.symbol,
    timeframe: dataset.timeframe,
    time: column(0),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    volume: column(5),
  };
}

/** The dataset id of encoded bytes: SHA-256, lower-case hex. */
export function datasetId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
