import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import type { DatasetInfo } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import { Internal, NotFound, ResourceExhausted, Unavailable, ValidationError } from '../../shared/errors.js';
import { barSpacingProblem } from '../../shared/quant/data-import/bar-spacing.js';
import { DATASET_COLUMNS, DATASET_ID_PATTERN, datasetHeaderBytes, datasetSeries, decodeDataset, encodeDatasetHeader, readDatasetTimes } from '../../shared/quant/dataset-codec.js';
import { STORED_DATASET_PREFIX, SYMBOL_PATTERN } from '../../shared/quant/dataset.js';
import { DATASET_STORE } from '../redis/store-names.js';
import { appendPlan, barColumnsOf, chunkId, ColumnChunker, type BarColumns } from './dataset-chunks.js';
import { COMMIT_VERSION, REMOVE_VERSION } from './dataset-index-scripts.js';
import { parentsOf } from './dataset-lineage.js';
import { DatasetTags, type StoredTag } from './dataset-tags.js';
import { isTimeframe, TIMEFRAMES, type DaysPerYear, type Timeframe } from '../../shared/quant/timeframes.js';
import { parseDatasetFileAsync, type DatasetFormat, type ParseDatasetInput, type ParseDatasetOutcome } from './dataset-parse.js';
import { DatasetTimeFacts } from './dataset-time-facts.js';

const FORMATS: readonly DatasetFormat[] = ['auto', 'header', 'binance', 'parquet'];
const WORKER_SCRIPT = new URL('./dataset-import-worker.js', import.meta.url);

/** One stored dataset (a version) as the index records it. */
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
  /** The content id of the version this one extends (`data append`); absent for an import. */
  parentId?: string;
  /** How many leading bars are exactly the parent's (its bar count); absent for an import. */
  parentBars?: number;
  /** How many bars the append added after the parent's; absent for an import. */
  appendedBars?: number;
  /** The ids of each column's chunks (DATASET_COLUMNS order, dataset-chunks.ts); absent: stored whole under one key (before chunks). */
  chunks?: string[][];
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

/** Longest lineage walked back looking for a version a fetcher holds. */
const MAX_LINEAGE_STEPS = 1000;

/** A chunk written but not yet indexed waits this long at most (its coordinator died meanwhile). */
const PENDING_CHUNK_TTL_SECONDS = 3600;

/** A chunk's values (copied out of Redis's reply, which need not be 8-byte aligned). */
function valuesOf(bytes: Buffer): Float64Array {
  const values = new Float64Array(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
  return values;
}

function iso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

/** The bytes of chunks `bars` bars take (what the budget counts: the columns, not the header). */
function columnBytesOf(bars: number): number {
  return DATASET_COLUMNS.length * bars * 8;
}

export interface DatasetStoreOptions {
  parseInWorker?: boolean;
  /** Most bytes of chunks the store may hold (0: no limit); past it an import or append is RESOURCE_EXHAUSTED. */
  budgetBytes?: number;
}

/**
 * Content-addressed datasets in Redis, under the queue prefix: an index hash
 * `<prefix>:datasets:index` (id → JSON StoredDatasetInfo), each version's bytes as chunks
 * `<prefix>:datasets:chunk:<sha256>` (dataset-chunks.ts) shared between versions and counted in
 * `<prefix>:datasets:chunk-refs`, the bytes they take in `<prefix>:datasets:bytes` (what the budget
 * limits), and tags (dataset-tags.ts). A version is immutable:
 * importing the same content again changes nothing; `append` makes a new version that records its
 * parent. Datasets stored before chunks (`<prefix>:datasets:data:<id>`, whole) stay readable and are
 * cut into chunks by migrate().
 */
export class DatasetStore {
  private readonly indexKey: string;
  private readonly dataPrefix: string;
  private readonly chunkPrefix: string;
  private readonly refsKey: string;
  private readonly usedKey: string;
  /** The tags: names pointing at versions. */
  readonly tags: DatasetTags;
  private readonly timeFacts = new DatasetTimeFacts((id) => this.times(id));

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: DatasetStoreOptions = {},
  ) {
    this.indexKey = `${prefix}:datasets:index`;
    this.dataPrefix = `${prefix}:datasets:data:`;
    this.chunkPrefix = `${prefix}:datasets:chunk:`;
    this.refsKey = `${prefix}:datasets:chunk-refs`;
    this.usedKey = `${prefix}:datasets:bytes`;
    this.tags = new DatasetTags(redis, prefix);
  }

  /** The header of an import checked (symbol, timeframe, format; each failure names its field). */
  checkHeader(request: Omit<ImportRequest, 'content'>): ImportHeader {
    if (!SYMBOL_PATTERN.test(request.symbol)) throw new DatasetImportError('symbol', 'must be 1 to 32 characters of A-Z a-z 0-9 . _ -');
    if (!isTimeframe(request.timeframe)) throw new DatasetImportError('timeframe', `must be one of ${TIMEFRAMES.join(', ')}`);
    if (request.allowNonPositive !== undefined && typeof request.allowNonPositive !== 'boolean') throw new DatasetImportError('allow_non_positive', 'must be a boolean');
    return { symbol: request.symbol, timeframe: request.timeframe, format: this.checkFormat(request.format), allowNonPositive: request.allowNonPositive === true };
  }

  checkFormat(text: string): DatasetFormat {
    const format = (text || 'auto') as DatasetFormat;
    if (!FORMATS.includes(format)) throw new DatasetImportError('format', `must be one of ${FORMATS.join(', ')}`);
    return format;
  }

  /** Parses a whole file (in a worker thread unless told otherwise); DatasetImportError for bad content. */
  async parse(input: ParseDatasetInput): Promise<ParsedDataset> {
    if (input.content.byteLength === 0) throw new DatasetImportError('content', 'the file is empty');
    const outcome = this.options.parseInWorker === false ? await parseDatasetFileAsync(input) : await parseInWorker(input);
    if (!outcome.ok) {
      if (outcome.row < 0) throw new Internal(`dataset import failed: ${outcome.message}`);
      throw new DatasetImportError(outcome.field ?? 'content', outcome.message);
    }
    return outcome;
  }

  /** Validates, parses, encodes and stores a file; throws DatasetImportError for bad input (nothing stored then). */
  async import(request: ImportRequest): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    const header = this.checkHeader(request);
    const parsed = await this.parse({ ...header, content: request.content });
    return this.put({ ...header, owner: request.owner }, parsed);
  }

  /** Stores a parsed dataset (the same content twice: the first is kept, alreadyPresent). */
  async put(header: Pick<ImportHeader, 'symbol' | 'timeframe'> & { owner?: string }, parsed: ParsedDataset): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    return this.putColumns(header, barColumnsOf(datasetSeries(decodeDataset(parsed.encoded))));
  }

  /**
   * Stores bars (a streamed import's, a column a block at a time, each block let go once written) as
   * chunks, then indexes them in one script: the index never names missing bytes, and content
   * already stored stays as it is (alreadyPresent).
   */
  async putColumns(header: Pick<ImportHeader, 'symbol' | 'timeframe'> & { owner?: string }, bars: BarColumns): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    // Read before the columns are taken (a streamed import's blocks are let go as they are written).
    const [count, firstTimeMs, lastTimeMs] = [bars.length, bars.first, bars.last];
    await this.checkRoom(columnBytesOf(count));
    const written = await this.writeVersion(header.symbol, header.timeframe, undefined, bars);
    const info: StoredDatasetInfo = {
      id: written.id,
      symbol: header.symbol,
      timeframe: header.timeframe,
      bars: count,
      firstTimeMs,
      lastTimeMs,
      bytes: written.bytes,
      importedAtMs: Date.now(),
      owner: header.owner ?? '',
      chunks: written.chunks,
    };
    return this.commit(info);
  }

  /**
   * A new version: the parent's bars followed by `bars`, which must start at least one timeframe
   * after the parent's last bar (the file's own rows were checked by the parser: spacing, grid).
   * Writes only the parent's last partial chunk of each column again and the chunks after it; the
   * parent's bytes are read (from Redis) to hash the new version. Records parentId, parentBars and
   * appendedBars. DatasetImportError('content') for bars that do not follow the parent's.
   */
  async append(parentId: string, bars: BarColumns, owner = ''): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    let parent = await this.info(parentId);
    if (!parent) throw new NotFound('dataset', parentId);
    if (bars.length === 0) throw new DatasetImportError('content', 'the file has no bars');
    const problem = followProblem(parent, bars.first);
    if (problem) throw new DatasetImportError('content', problem);
    if (!parent.chunks) parent = await this.migrateOne(parent);
    const [appended, lastTimeMs] = [bars.length, bars.last];
    const total = parent.bars + appended;
    await this.checkRoom(columnBytesOf(appended));
    const written = await this.writeVersion(parent.symbol, parent.timeframe, parent, bars);
    const info: StoredDatasetInfo = {
      id: written.id,
      symbol: parent.symbol,
      timeframe: parent.timeframe,
      bars: total,
      firstTimeMs: parent.firstTimeMs,
      lastTimeMs,
      bytes: written.bytes,
      importedAtMs: Date.now(),
      owner,
      parentId: parent.id,
      parentBars: parent.bars,
      appendedBars: appended,
      chunks: written.chunks,
    };
    return this.commit(info);
  }

  /**
   * Writes a version's chunks (each SET NX with an expiry, made permanent by commit) and hashes the
   * encoded dataset as it goes: the header, then each column — the parent's kept chunks as read, then
   * the parent's tail and the new values, cut into chunks.
   */
  private async writeVersion(symbol: string, timeframe: Timeframe, parent: StoredDatasetInfo | undefined, bars: BarColumns): Promise<{ id: string; bytes: number; chunks: string[][] }> {
    const parentBars = parent?.bars ?? 0;
    const total = parentBars + bars.length;
    const hash = createHash('sha256');
    const header = encodeDatasetHeader(symbol, timeframe, total);
    hash.update(header);
    let bytes = header.byteLength;
    const { keptChunks, tailValues } = appendPlan(parentBars);
    const chunks: string[][] = [];
    for (const [c, column] of DATASET_COLUMNS.entries()) {
      const ids: string[] = [];
      const chunker = new ColumnChunker(async (piece) => {
        const id = chunkId(piece);
        hash.update(piece);
        bytes += piece.byteLength;
        await this.redis.set(this.chunkPrefix + id, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength), 'EX', PENDING_CHUNK_TTL_SECONDS, 'NX');
        ids.push(id);
      });
      const parentChunks = parent?.chunks?.[c] ?? [];
      for (const id of parentChunks.slice(0, keptChunks)) {
        const piece = await this.chunk(id);
        hash.update(piece);
        bytes += piece.byteLength;
        ids.push(id);
      }
      if (tailValues > 0) await chunker.push(valuesOf(await this.chunk(parentChunks[keptChunks])));
      for (const values of bars.takeColumn(column)) await chunker.push(values);
      await chunker.finish();
      chunks.push(ids);
    }
    return { id: hash.digest('hex'), bytes, chunks };
  }

  private async chunk(id: string): Promise<Buffer> {
    const piece = await this.redis.getBuffer(this.chunkPrefix + id);
    if (!piece) throw new Unavailable(DATASET_STORE, `chunk ${id} of a stored dataset is missing (removed meanwhile?): try again`);
    return piece;
  }

  /** Indexes a written version; alreadyPresent when that content was indexed before (the first is kept). */
  private async commit(info: StoredDatasetInfo): Promise<StoredDatasetInfo & { alreadyPresent: boolean }> {
    const existing = await this.info(info.id);
    if (existing?.chunks) return { ...existing, alreadyPresent: true };
    // Content stored before chunks keeps its first import's owner and time (migrated now).
    const record: StoredDatasetInfo = existing ? { ...existing, chunks: info.chunks } : info;
    const chunkIds = (info.chunks ?? []).flat();
    const budget = this.options.budgetBytes ?? 0;
    const result = (await this.redis.eval(COMMIT_VERSION, 3, this.indexKey, this.refsKey, this.usedKey, info.id, JSON.stringify(record), budget, this.chunkPrefix, ...chunkIds)) as number[];
    if (result[0] === 0) return { ...((await this.info(info.id)) ?? record), alreadyPresent: true };
    if (result[0] === -1) throw new Unavailable(DATASET_STORE, 'a chunk of this dataset was removed while it was stored (a data rm ran meanwhile): try again');
    if (result[0] === -2) {
      await this.dropUnreferenced(chunkIds);
      throw budgetExceeded(budget, Number(result[1]), Number(result[2]));
    }
    if (existing) await this.redis.del(this.dataKey(info.id));
    return { ...record, alreadyPresent: Boolean(existing) };
  }

  /**
   * Refuses early (before bytes are written) when the budget cannot take `bytes` more; the commit
   * checks exactly (an append also rewrites the parent's last chunks).
   */
  private async checkRoom(bytes: number): Promise<void> {
    const budget = this.options.budgetBytes ?? 0;
    if (budget <= 0) return;
    const used = await this.usedBytes();
    if (used + bytes > budget) throw budgetExceeded(budget, used, bytes);
  }

  private async dropUnreferenced(chunkIds: string[]): Promise<void> {
    for (const id of new Set(chunkIds)) {
      if ((await this.redis.hexists(this.refsKey, id)) === 0) await this.redis.del(this.chunkPrefix + id);
    }
  }

  /** The byte budget (0: none). */
  get budgetBytes(): number {
    return this.options.budgetBytes ?? 0;
  }

  /** Bytes of chunks stored (what the budget limits). */
  async usedBytes(): Promise<number> {
    return Number((await this.redis.get(this.usedKey)) ?? 0);
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

  /**
   * The encoded dataset's bytes in pieces, in order (the header, then each chunk of each column),
   * or undefined for an unknown id. Each piece is at most a chunk (1 MiB).
   */
  async pieces(id: string): Promise<{ totalBytes: number; pieces: AsyncGenerator<Buffer> } | undefined> {
    const info = await this.info(id);
    if (!info) return undefined;
    if (!info.chunks) {
      const whole = await this.redis.getBuffer(this.dataKey(id));
      if (!whole) return undefined;
      return { totalBytes: whole.length, pieces: (async function* () { yield whole; })() };
    }
    const chunks = info.chunks;
    const header = Buffer.from(encodeDatasetHeader(info.symbol, info.timeframe, info.bars));
    const read = (chunk: string) => this.chunk(chunk);
    return {
      totalBytes: info.bytes,
      pieces: (async function* () {
        yield header;
        for (const column of chunks) for (const chunk of column) yield await read(chunk);
      })(),
    };
  }

  /**
   * The newest version among `have` that version `id` extends (through its lineage: parentId after
   * parentId), with its bar count; undefined when it extends none of them.
   */
  async baseAmong(id: string, have: readonly string[]): Promise<{ id: string; bars: number } | undefined> {
    const held = new Set(have);
    // A removed parent ends the walk: the versions before it cannot be told from here.
    for await (const parent of parentsOf(id, this, MAX_LINEAGE_STEPS)) if (held.has(parent.id)) return parent;
    return undefined;
  }

  /**
   * What follows bar `fromBar` of version `id`: each column's values from that bar on, one column
   * after the other, in pieces of at most a chunk; undefined for an unknown id or one stored whole.
   */
  async tailPieces(id: string, fromBar: number): Promise<{ totalBytes: number; pieces: AsyncGenerator<Buffer> } | undefined> {
    const info = await this.info(id);
    if (!info?.chunks || fromBar < 0 || fromBar > info.bars) return undefined;
    const chunks = info.chunks;
    const { keptChunks: first, tailValues: skip } = appendPlan(fromBar);
    const read = (chunk: string) => this.chunk(chunk);
    return {
      totalBytes: DATASET_COLUMNS.length * (info.bars - fromBar) * 8,
      pieces: (async function* () {
        for (const column of chunks) {
          for (const [i, chunk] of column.slice(first).entries()) {
            const piece = await read(chunk);
            yield i === 0 ? piece.subarray(skip * 8) : piece;
          }
        }
      })(),
    };
  }

  /** The encoded bytes, whole, or undefined for an unknown id. */
  async bytes(id: string): Promise<Buffer | undefined> {
    const found = await this.pieces(id);
    if (!found) return undefined;
    const parts: Buffer[] = [];
    for await (const piece of found.pieces) parts.push(piece);
    return Buffer.concat(parts);
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
    const info = await this.info(id);
    if (!info) return undefined;
    if (info.chunks) {
      const time = new Float64Array(info.bars);
      let at = 0;
      for (const chunk of info.chunks[0]) {
        const values = valuesOf(await this.chunk(chunk));
        time.set(values, at);
        at += values.length;
      }
      return time;
    }
    const key = this.dataKey(id);
    // The fixed 12 bytes of the header give its length and the bar count; then header + time column.
    const start = await this.redis.getrangeBuffer(key, 0, 11);
    if (start.byteLength === 0) return undefined;
    const end = datasetHeaderBytes(start) + start.readUInt32LE(4) * 8;
    return readDatasetTimes(await this.redis.getrangeBuffer(key, 0, end - 1)).time;
  }

  /**
   * Removes a version: its index entry and the chunks no other version shares; its tags are the
   * caller's to remove first (DatasetRemoval checks what uses it). Returns the bytes freed; NotFound.
   */
  async remove(id: string): Promise<number> {
    const freed = Number(await this.redis.eval(REMOVE_VERSION, 3, this.indexKey, this.refsKey, this.usedKey, id, this.chunkPrefix, this.dataKey(id)));
    if (freed < 0) throw new NotFound('dataset', id);
    return freed;
  }

  /** Cuts every dataset stored before chunks into chunks (once; each is readable meanwhile). Returns how many. */
  async migrate(): Promise<number> {
    let count = 0;
    for (const info of await this.list()) {
      if (info.chunks) continue;
      await this.migrateOne(info);
      count++;
    }
    return count;
  }

  private async migrateOne(info: StoredDatasetInfo): Promise<StoredDatasetInfo> {
    const whole = await this.redis.getBuffer(this.dataKey(info.id));
    if (!whole) {
      const now = await this.info(info.id);
      if (now?.chunks) return now; // migrated meanwhile
      throw new Internal(`dataset ${info.id} has no bytes`);
    }
    const decoded = decodeDataset(whole);
    const written = await this.writeVersion(decoded.symbol, decoded.timeframe, undefined, barColumnsOf(datasetSeries(decoded)));
    if (written.id !== info.id) throw new Internal(`dataset ${info.id} re-encodes to ${written.id}: left as it is`);
    const { alreadyPresent: _, ...migrated } = await this.commit({ ...info, chunks: written.chunks });
    return migrated;
  }

  /** The version a tag points at, or undefined. */
  async resolveTag(name: string): Promise<string | undefined> {
    return (await this.tags.get(name))?.id;
  }

  /** A dataset named by its id (with or without "sha256:") or a tag: the version and the tag, if one named it. */
  async resolve(ref: string): Promise<{ info: StoredDatasetInfo; tag?: StoredTag } | undefined> {
    const id = ref.startsWith(STORED_DATASET_PREFIX) ? ref.slice(STORED_DATASET_PREFIX.length) : ref;
    if (DATASET_ID_PATTERN.test(id)) {
      const info = await this.info(id);
      return info && { info };
    }
    const tag = await this.tags.get(ref);
    if (!tag) return undefined;
    const info = await this.info(tag.id);
    return info && { info, tag };
  }

  private dataKey(id: string): string {
    return `${this.dataPrefix}${id}`;
  }
}

/** Why bars starting at `first` cannot follow the parent's, or undefined. */
export function followProblem(parent: Pick<StoredDatasetInfo, 'lastTimeMs' | 'timeframe'>, first: number): string | undefined {
  if (first <= parent.lastTimeMs) return `the first new bar (${iso(first)}) is not after the dataset's last bar (${iso(parent.lastTimeMs)}): append only bars newer than those stored`;
  const spacing = barSpacingProblem(parent.lastTimeMs, first, parent.timeframe, 0);
  if (spacing) return `the first new bar (${iso(first)}) does not follow the dataset's last bar (${iso(parent.lastTimeMs)}) on the ${parent.timeframe} grid: ${parent.timeframe} bars are at least one ${parent.timeframe} apart and open on its grid`;
  return undefined;
}

function budgetExceeded(budget: number, used: number, more: number): ResourceExhausted {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return new ResourceExhausted(
    `the dataset store's budget is full: it holds ${mib(used)} of ${mib(budget)} (the coordinator's --dataset-budget) and this needs ${mib(more)} more; remove datasets (quantgrid data rm) or raise the budget`,
  );
}

/** The API's view: the index entry without its chunk list. */
export function toDatasetInfo(info: StoredDatasetInfo, alreadyPresent = false, tags: string[] = []): DatasetInfo {
  const { chunks: _, ...rest } = info;
  return { ...rest, owner: info.owner ?? '', parentId: info.parentId ?? '', parentBars: info.parentBars ?? 0, appendedBars: info.appendedBars ?? 0, tags, alreadyPresent };
}
