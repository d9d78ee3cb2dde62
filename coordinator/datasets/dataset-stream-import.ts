import { quoteInput } from '../../shared/quote-input.js';
import { FailedPrecondition, ValidationError } from '../../shared/errors.js';
import type { ImportDatasetChunk__Output } from '../../shared/generated/quantgrid/v1/ImportDatasetChunk.js';
import { CHUNK_BYTES, MAX_IMPORT_BYTES, MAX_PARQUET_IMPORT_BYTES } from '../../shared/grpc/message-limits.js';
import { DataImportError } from '../../shared/quant/data-import/import-error.js';
import { OhlcvCsvStream } from '../../shared/quant/data-import/ohlcv-csv-stream.js';
import { isParquet } from '../../shared/quant/data-import/parse-ohlcv-parquet.js';
import { datasetSeries, decodeDataset } from '../../shared/quant/dataset-codec.js';
import { barColumnsOf, type BarColumns } from './dataset-chunks.js';
import { DatasetImportError, type DatasetStore, type ImportHeader, type StoredDatasetInfo } from './dataset-store.js';
import type { StoredTag } from './dataset-tags.js';

const MIB = 1024 * 1024;

/** Bytes a size check needs before it can tell Parquet (magic PAR1) from CSV. */
const MAGIC_BYTES = 4;

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`;
}

/** Where the file's bytes go once its kind is known: parsed as they come (CSV), or gathered (Parquet). */
type Sink = { kind: 'csv'; stream: OhlcvCsvStream } | { kind: 'parquet'; chunks: Buffer[] };

/** AppendDatasetStream instead of an import: the header names the version to extend. */
export interface AppendMode {
  /** Called with the tag the header named (before any content is read): throws if the caller may not move it. */
  checkTag?: (tag: StoredTag) => void;
}

export type StreamedDataset = StoredDatasetInfo & { alreadyPresent: boolean; /** The tag the append named (to move). */ baseTag?: StoredTag };

/**
 * The header of an append: the version to extend (header.dataset, an id or a tag) and its symbol and
 * timeframe, which the header may repeat but not change (a dataset holds one symbol × timeframe).
 */
async function appendHeader(store: DatasetStore, raw: { symbol: string; timeframe: string; format: string; dataset: string; allowNonPositive?: boolean }, mode: AppendMode): Promise<{ header: ImportHeader; parentId: string; tag?: StoredTag }> {
  if (!raw.dataset) throw new ValidationError('header.dataset', 'is required: the id or tag of the dataset to append to');
  const found = await store.resolve(raw.dataset);
  if (!found) throw new ValidationError('header.dataset', `no dataset or tag ${quoteInput(raw.dataset)} (see quantgrid data ls)`);
  const { info, tag } = found;
  if (raw.symbol && raw.symbol !== info.symbol) {
    throw new ValidationError('header.symbol', `dataset ${info.id} holds ${info.symbol}, not ${raw.symbol}: a dataset holds one symbol (import ${raw.symbol} as a dataset of its own)`);
  }
  if (raw.timeframe && raw.timeframe !== info.timeframe) throw new ValidationError('header.timeframe', `dataset ${info.id} holds ${info.timeframe} bars, not ${raw.timeframe}: appended bars are on its grid`);
  if (tag) mode.checkTag?.(tag);
  return { header: { symbol: info.symbol, timeframe: info.timeframe, format: store.checkFormat(raw.format), allowNonPositive: raw.allowNonPositive === true }, parentId: info.id, tag };
}

/**
 * ImportDatasetStream: the header message, then the file in content chunks. A CSV is parsed chunk by
 * chunk (OhlcvCsvStream), so memory is its bars (48 bytes each: about the encoded dataset's size),
 * never the file, and they are written to Redis a block at a time (DatasetStore.putColumns); a Parquet file is gathered (at most MAX_PARQUET_IMPORT_BYTES) and
 * parsed as ImportDataset does. Throws DatasetImportError/ValidationError naming the field or row;
 * nothing is stored unless the whole file arrived and parsed, and `cancelled()` is false at the end.
 */
export async function importDatasetStream(
  store: DatasetStore,
  messages: AsyncIterable<ImportDatasetChunk__Output>,
  cancelled: () => boolean,
  /** The importing user, recorded as the dataset's owner when its content is new. */
  owner = '',
  /** AppendDatasetStream: the bars are appended to the version header.dataset names. */
  append?: AppendMode,
): Promise<StreamedDataset> {
  const source = messages[Symbol.asyncIterator]();
  // The call's stream fails only when the call is over: cancelled, past its deadline, or a message
  // grpc-js could not decode (it has sent the status itself). Nothing is stored then.
  const iterator = {
    next: () =>
      source.next().catch(() => {
        throw new FailedPrecondition('the import\'s stream broke off before its end (cancelled, deadline, or a message that is not an ImportDatasetChunk): nothing stored');
      }),
  };
  const first = await iterator.next();
  if (first.done || first.value.part !== 'header' || !first.value.header) {
    throw new ValidationError('header', 'the first message must be the header (symbol, timeframe, format), the file\'s content after it');
  }
  const base = append ? await appendHeader(store, first.value.header, append) : undefined;
  const header: ImportHeader = base ? base.header : store.checkHeader(first.value.header);
  /** Stores the bars: a new dataset, or a new version of the base. */
  const keep = async (bars: BarColumns): Promise<StreamedDataset> =>
    base ? { ...(await store.append(base.parentId, bars, owner)), baseTag: base.tag } : store.putColumns({ ...header, owner }, bars);
  const declared = Number(first.value.header.totalBytes ?? 0);
  if (!Number.isSafeInteger(declared) || declared < 0 || declared > MAX_IMPORT_BYTES) {
    throw new ValidationError('header.total_bytes', `must be the file's size, at most ${mib(MAX_IMPORT_BYTES)} (0: not said)`);
  }

  let received = 0;
  let ended = false;
  let pending: Buffer[] = []; // the first bytes, until there are enough to tell Parquet from CSV
  let sink: Sink | undefined;
  const open = (start: Buffer): Sink => {
    if ((header.format === 'header' || header.format === 'binance') && isParquet(start)) {
      throw new DatasetImportError('content', `this is a Parquet file, not a CSV: import it with format parquet or auto, not ${header.format}`);
    }
    const parquet = header.format === 'parquet' || (header.format === 'auto' && isParquet(start));
    return parquet ? { kind: 'parquet', chunks: [] } : { kind: 'csv', stream: new OhlcvCsvStream(header.format === 'parquet' ? 'auto' : header.format, { timeframe: header.timeframe, allowNonPositive: header.allowNonPositive }) };
  };
  const feed = async (chunk: Buffer): Promise<void> => {
    if (sink!.kind === 'csv') await sink!.stream.write(chunk).catch(rowError);
    else sink!.chunks.push(chunk);
  };

  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const message = next.value;
      if (ended) throw new ValidationError('end', 'must be the last message');
      if (message.part === 'end') {
        if (message.end !== true) throw new ValidationError('end', 'must be true (the whole file was sent)');
        ended = true;
        continue;
      }
      if (message.part !== 'content') throw new ValidationError('header', 'only the first message may be a header');
      const chunk = message.content ?? Buffer.alloc(0);
      if (chunk.length > CHUNK_BYTES) throw new ValidationError('content', `a chunk of ${chunk.length} bytes: at most ${CHUNK_BYTES} (1 MiB) each`);
      received += chunk.length;
      if (received > MAX_IMPORT_BYTES) throw new ValidationError('content', `the file is larger than ${mib(MAX_IMPORT_BYTES)}`);
      if (declared > 0 && received > declared) throw new ValidationError('content', `more bytes than header.total_bytes (${declared})`);
      if (sink?.kind === 'parquet' && received > MAX_PARQUET_IMPORT_BYTES) {
        throw new ValidationError('content', `a Parquet file larger than ${mib(MAX_PARQUET_IMPORT_BYTES)}: export it as CSV (any size), or split it`);
      }
      if (sink) {
        await feed(chunk);
        continue;
      }
      pending.push(chunk);
      if (received < MAGIC_BYTES) continue;
      sink = open(Buffer.concat(pending));
      for (const piece of pending) await feed(piece);
      pending = [];
    }
    if (cancelled()) throw new FailedPrecondition('the import was cancelled before its end: nothing stored');
    if (declared > 0 && received !== declared) throw new ValidationError('content', `${received} bytes arrived, header.total_bytes says ${declared}: nothing stored`);
    // A cancelled call can look like a stream that ended (grpc-js reports the half-close first): only
    // an end message, or the declared size, says the file is whole.
    if (!ended && declared === 0) throw new ValidationError('end', `the stream stopped after ${received} bytes without an end message (or header.total_bytes): nothing stored`);
    if (received === 0) throw new DatasetImportError('content', 'the file is empty');
    if (!sink) {
      sink = open(Buffer.concat(pending));
      for (const piece of pending) await feed(piece);
    }
    if (sink.kind === 'parquet') {
      const parsed = await store.parse({ ...header, content: Buffer.concat(sink.chunks, received) });
      return await keep(barColumnsOf(datasetSeries(decodeDataset(parsed.encoded))));
    }

    const bars = await sink.stream.end().catch(rowError);
    if (cancelled()) throw new FailedPrecondition('the import was cancelled before its end: nothing stored');
    return await keep(bars);
  } finally {
    if (sink?.kind === 'csv') sink.stream.destroy();
  }
}

/** A row's fault as ImportDataset reports it: INVALID_ARGUMENT content (or timeframe), the message naming the row. */
function rowError(error: unknown): never {
  if (error instanceof DataImportError) throw new DatasetImportError(error.field, error.message);
  throw error;
}
