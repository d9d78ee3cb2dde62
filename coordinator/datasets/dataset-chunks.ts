import { columnBytes, datasetId, type DATASET_COLUMNS } from '../../shared/quant/dataset-codec.js';

/**
 * How a stored dataset's bytes are cut for Redis: each of its six columns in chunks of CHUNK_VALUES
 * values (1 MiB), every chunk its own key named by the SHA-256 of its bytes. A chunk full in one
 * version is the same key in every version that extends it, so an append writes only the parent's
 * last, partial chunk of each column again (with the new bars after it) and the chunks after that.
 * The encoded dataset (shared/quant/dataset-codec.ts) is the header followed by each column's
 * chunks in order: its id, the SHA-256 of those bytes, is unchanged by the cutting.
 */
export const CHUNK_VALUES = 128 * 1024;

export type DatasetColumn = (typeof DATASET_COLUMNS)[number];

/** Bars to store, a column at a time (OhlcvColumnBlocks is one): each column's values in order, in blocks. */
export interface BarColumns {
  readonly length: number;
  /** Open time of the first and the last bar. */
  readonly first: number;
  readonly last: number;
  takeColumn(column: DatasetColumn): Iterable<Float64Array>;
}

/** Bars already in memory as six whole columns, as BarColumns. */
export function barColumnsOf(columns: Record<DatasetColumn, Float64Array>): BarColumns {
  const time = columns.time;
  return { length: time.length, first: time[0] ?? Number.NaN, last: time[time.length - 1] ?? Number.NaN, takeColumn: (column) => [columns[column]] };
}

/** The id of a chunk's bytes: their SHA-256, as a dataset's id is of its encoding. */
export const chunkId = datasetId;

/** What an append keeps of its parent's column of `parentBars` values: the full chunks as they are, the tail rewritten. */
export function appendPlan(parentBars: number): { keptChunks: number; tailValues: number } {
  return { keptChunks: Math.floor(parentBars / CHUNK_VALUES), tailValues: parentBars % CHUNK_VALUES };
}

/** The number of chunks a column of `bars` values takes. */
export function chunkCount(bars: number): number {
  return Math.ceil(bars / CHUNK_VALUES);
}

/**
 * Cuts a stream of values into chunks of CHUNK_VALUES (the last one shorter), calling `write` with
 * each chunk's bytes in order; the buffer is reused, so `write` must be done with it when it resolves.
 */
export class ColumnChunker {
  private readonly buffer = new Float64Array(CHUNK_VALUES);
  private filled = 0;

  constructor(private readonly write: (bytes: Uint8Array) => Promise<void>) {}

  async push(values: Float64Array): Promise<void> {
    let at = 0;
    while (at < values.length) {
      const n = Math.min(CHUNK_VALUES - this.filled, values.length - at);
      this.buffer.set(values.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === CHUNK_VALUES) await this.flush();
    }
  }

  async finish(): Promise<void> {
    if (this.filled > 0) await this.flush();
  }

  private async flush(): Promise<void> {
    await this.write(columnBytes(this.buffer.subarray(0, this.filled)));
    this.filled = 0;
  }
}
