import { createHash, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import type { DatasetInfo } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import { Internal, ValidationError } from '../../shared/errors.js';
import { columnBytes, DATASET_COLUMNS, DATASET_ID_PATTERN, datasetHeaderBytes, encodeDatasetHeader, readDatasetTimes } from '../../shared/quant/dataset-codec.js';
import type { OhlcvColumnBlocks } from '../../shared/quant/data-import/ohlcv-column-blocks.js';
import { SYMBOL_PATTERN } from '../../shared/quant/dataset.js';
import { isTimeframe, TIMEFRAMES, type DaysPerYear, type Timeframe } from '../../shared/quant/timeframes.js';
import { parseDatasetFileAsync, type DatasetFormat, type ParseDatasetInput, type ParseDatasetOutcome } from './dataset-parse.js';
import { DatasetTimeFacts } from './dataset-time-facts.js';

const FORMATS: readonly DatasetFormat[] = ['auto', 'header', 'binance', 'parquet'];
const WORKER_SCRIPT = new URL('./dataset-import-worker.js', import.meta.url);
/** A streamed import's bytes wait under a temporary key this long at most (its coordinator died meanwhile). */
const INCOMING_TTL_SECONDS = 3600;

/** One stored dataset as the index records it. */
export interface StoredDatasetInfo {
  id: string;
  symbol: string;
  timeframe: Timeframe;
  bars: number;
  firstTimeMs: number;
  lastTimeMs: number;
  bytes: number;
  importedAtMs: number;
  /** The user who first imported it ('' for datasets imported before users existed). */
  owner?: string;
}

export interface ImportRequest {
  symbol: string;
  timeframe: string;
  format: string;
  content: Uint8Array;
  /** The importing user, recorded as the owner when the content is new. */
  owner?: string;
  /** Accept prices ≤ 0 (proto allow_non_positive); refused by default. */
  allowNonPositive?: boolean;
}

/** An import's checked header. */
export interface ImportHeader {
  symbol: string;
  timeframe: Timeframe;
  format: DatasetFormat;
  allowNonPositive: boolean;
}

/** A file parsed, encoded and hashed (dataset-parse.ts, dataset-stream-import.ts). */
export type ParsedDataset = Extract<ParseDatasetOutcome, { ok: true }>;

/** A file that cannot be imported (the message names the field, or the row of the file at fault). */
export class DatasetImportError extends ValidationError {}

function parseInWorker(input: ParseDatasetInput): Promise<ParseDatasetOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: input, name: 'quantgrid-dataset-import' });
    let settled = false;
    worker.once('message', (outcome: ParseDatasetOutcome) => {
      settled = true;
      resolve(outcome);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Internal(`dataset import worker exited with code ${code}`));
    });
  });
}

/**
 * Content-addressed datasets in Redis, under the queue prefix: the encoded bytes at
 * `<prefix>:datasets:data:<id>` and an index hash `<prefix>:datasets:index` (id → JSON info).
 * Datasets are immutable: importing the same content again changes nothing.
 */
export class DatasetStore {
  private readonly indexKey: string;
  private readonly dataPrefix: string;
  private readonly timeFacts = new DatasetTimeFacts((id) => this.times(id));

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: { parseInWorker?: boolean } = {},
  ) {
    this.indexKey = `${prefix}:datasets:index`;
    this.dataPrefix = `${prefix}:datasets:data:`;
  }

  /** The header of an import checked (symbol, timeframe, format; each failure names its field). */
  checkHeader(request: Omit<ImportRequest, 'content'>): ImportHeader {
    if (!SYMBOL_PATTERN.test(request.symbol)) throw new DatasetImportError('symbol', 'must be 1 to 32 characters of A-Z a-z 0-9 . _ -');
    if (!isTimeframe(request.timeframe)) throw new DatasetImportError('timeframe', `must be one of ${TIMEFRAMES.join(', ')}`);
    const format = (request.format || 'auto') as DatasetFormat;
    if (!FORMATS.includes(format)) throw new DatasetImportError('format', `must be one of ${FORMATS.join(', ')}`);
    if (request.allowNonPositive !== undefined && typeof request.allowNonPositive !== 'boolean') throw new DatasetImportError('allow_non_positive', 'must be a boolean');
    return { symbol: request.symbol, timeframe: request.timeframe, format, allowNonPositive: request.allowNonPositive === true };
  }

  /** Validates, parses, encodes and stores a file; throws DatasetImportError for bad input (nothing stored then). */
  async import(request: ImportRequest): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    const header = this.checkHeader(request);
    if (request.content.byteLength === 0) throw new DatasetImportError('content', 'the file is empty');

    const input: ParseDatasetInput = { ...header, content: request.content };
    const outcome = this.options.parseInWorker === false ? await parseDatasetFileAsync(input) : await parseInWorker(input);
    if (!outcome.ok) {
      if (outcome.row < 0) throw new Internal(`dataset import failed: ${outcome.message}`);
      throw new DatasetImportError(outcome.field ?? 'content', outcome.message);
    }
    return this.put({ ...header, owner: request.owner }, outcome);
  }

  /** Stores a parsed dataset (the same content twice: the first is kept, alreadyPresent). */
  async put(header: Pick<ImportHeader, 'symbol' | 'timeframe'> & { owner?: string }, parsed: ParsedDataset): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    const info: StoredDatasetInfo = {
      id: parsed.id,
      symbol: header.symbol,
      timeframe: header.timeframe,
      bars: parsed.bars,
      firstTimeMs: parsed.firstTimeMs,
      lastTimeMs: parsed.lastTimeMs,
      bytes: parsed.encoded.byteLength,
      importedAtMs: Date.now(),
      owner: header.owner ?? '',
    };
    const encoded = Buffer.from(parsed.encoded.buffer, parsed.encoded.byteOffset, parsed.encoded.byteLength);
    // Bytes first, index entry second, in one transaction: the index never names missing bytes.
    const results = await this.redis.multi().set(this.dataKey(info.id), encoded, 'NX').hsetnx(this.indexKey, info.id, JSON.stringify(info)).exec();
    const created = results?.[1]?.[1] === 1;
    if (created) return { ...info, alreadyPresent: false };
    const existing = await this.info(info.id);
    return { ...(existing ?? info), alreadyPresent: true };
  }

  /**
   * Stores bars read by a streamed import without building the encoded dataset in memory: the header
   * and each column, a block at a time, are hashed and appended to a temporary key (expiring, should
   * this coordinator die meanwhile), which then becomes the dataset's key in the index's transaction.
   * Each block is let go once written, so this needs no memory beyond the bars themselves.
   */
  async putColumns(header: Pick<ImportHeader, 'symbol' | 'timeframe'> & { owner?: string }, bars: OhlcvColumnBlocks): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    const [count, firstTimeMs, lastTimeMs] = [bars.length, bars.first, bars.last];
    const hash = createHash('sha256');
    const start = Buffer.from(encodeDatasetHeader(header.symbol, header.timeframe, count));
    const temporary = `${this.dataPrefix}incoming:${randomUUID()}`;
    let bytes = start.length;
    hash.update(start);
    try {
      await this.redis.set(temporary, start, 'EX', INCOMING_TTL_SECONDS);
      for (const column of DATASET_COLUMNS) {
        for (const values of bars.takeColumn(column)) {
          const piece = columnBytes(values);
          hash.update(piece);
          await this.redis.append(temporary, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
          bytes += piece.byteLength;
        }
      }
      const info: StoredDatasetInfo = { id: hash.digest('hex'), symbol: header.symbol, timeframe: header.timeframe, bars: count, firstTimeMs, lastTimeMs, bytes, importedAtMs: Date.now(), owner: header.owner ?? '' };
      const key = this.dataKey(info.id);
      // As put(): the bytes and the index entry in one transaction; content already stored stays as it is.
      const results = await this.redis.multi().renamenx(temporary, key).persist(key).hsetnx(this.indexKey, info.id, JSON.stringify(info)).exec();
      const created = results?.[2]?.[1] === 1;
      if (created) return { ...info, alreadyPresent: false };
      const existing = await this.info(info.id);
      return { ...(existing ?? info), alreadyPresent: true };
    } finally {
      await this.redis.del(temporary).catch(() => undefined);
    }
  }

  async info(id: string): Promise<StoredDatasetInfo | undefined> {
    if (!DATASET_ID_PATTERN.test(id)) return undefined;
    const json = await this.redis.hget(this.indexKey, id);
    return json ? (JSON.parse(json) as StoredDatasetInfo) : undefined;
  }

  /** Every dataset, newest import first. */
  async list(): Promise<StoredDatasetInfo[]> {
    const all = await this.redis.hvals(this.indexKey);
    return all.map((json) => JSON.parse(json) as StoredDatasetInfo).sort((a, b) => b.importedAtMs - a.importedAtMs || a.id.localeCompare(b.id));
  }

  /** The encoded bytes, or undefined for an unknown id. */
  async bytes(id: string): Promise<Buffer | undefined> {
    if (!DATASET_ID_PATTERN.test(id)) return undefined;
    return (await this.redis.getBuffer(this.dataKey(id))) ?? undefined;
  }

  /** Bars of dataset `id` resampled to `timeframe` (one it can be resampled to); cached per (id, timeframe). */
  resampledBars(id: string, timeframe: Timeframe): Promise<number> {
    return this.timeFacts.resampledBars(id, timeframe);
  }

  /** The days per year `year_days: auto` gives dataset `id` (autoYearDays of its bars); cached per id. */
  async yearDays(id: string): Promise<DaysPerYear> {
    const info = await this.info(id);
    if (!info) throw new Error(`no dataset ${id}`);
    return this.timeFacts.yearDays(id, info.timeframe);
  }

  /** The open times of the dataset's bars, read without its other columns; undefined for an unknown id. */
  async times(id: string): Promise<Float64Array | undefined> {
    if (!DATASET_ID_PATTERN.test(id)) return undefined;
    const key = this.dataKey(id);
    // The fixed 12 bytes of the header give its length and the bar count; then header + time column.
    const start = await this.redis.getrangeBuffer(key, 0, 11);
    if (start.byteLength === 0) return undefined;
    const end = datasetHeaderBytes(start) + start.readUInt32LE(4) * 8;
    return readDatasetTimes(await this.redis.getrangeBuffer(key, 0, end - 1)).time;
  }

  private dataKey(id: string): string {
    return `${this.dataPrefix}${id}`;
  }
}

export function toDatasetInfo(info: StoredDatasetInfo, alreadyPresent = false): DatasetInfo {
  return { ...info, owner: info.owner ?? '', alreadyPresent };
}
