import { DATASET_COLUMNS } from '../dataset-codec.js';

/**
 * Values per block: 1 Mi values (8 MiB) per column. Large blocks are their own allocations (mmap), so
 * a block's untouched tail costs no memory and a dropped block goes back to the system.
 */
const BLOCK_VALUES = 1024 * 1024;

type Column = (typeof DATASET_COLUMNS)[number];

/**
 * OHLCV columns that grow a bar at a time without reallocating: each column a list of fixed-size
 * blocks, so holding n bars costs n × 48 bytes, never the 2× of a doubling array. The streamed import
 * (ohlcv-csv-stream.ts) fills them; moveColumn writes a column into the encoded dataset and lets its
 * blocks go, so encoding needs little more than the encoded dataset itself.
 */
export class OhlcvColumnBlocks {
  private readonly columns: Float64Array[][] = DATASET_COLUMNS.map(() => []);
  private count = 0;
  private lastTime = Number.NaN;

  get length(): number {
    return this.count;
  }

  /** The open time of the last bar pushed (NaN before the first). */
  get last(): number {
    return this.lastTime;
  }

  /** The open time of the first bar (NaN when there is none, or its column was moved). */
  get first(): number {
    return this.columns[0][0]?.[0] ?? Number.NaN;
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number): void {
    const at = this.count % BLOCK_VALUES;
    if (at === 0) for (const blocks of this.columns) blocks.push(new Float64Array(BLOCK_VALUES));
    const block = this.count >> 20; // BLOCK_VALUES = 2^20
    const c = this.columns;
    c[0][block][at] = time;
    c[1][block][at] = open;
    c[2][block][at] = high;
    c[3][block][at] = low;
    c[4][block][at] = close;
    c[5][block][at] = volume;
    this.count++;
    this.lastTime = time;
  }

  /**
   * The values of `column` in order, a block at a time (the last one trimmed), each dropped once the
   * next is asked for: a column written out this way is let go as it is written.
   */
  *takeColumn(column: Column): Generator<Float64Array> {
    const blocks = this.columns[DATASET_COLUMNS.indexOf(column)];
    let at = 0;
    while (blocks.length > 0) {
      const block = blocks.shift()!;
      const n = Math.min(BLOCK_VALUES, this.count - at);
      at += n;
      yield block.subarray(0, n);
    }
  }

  /** Writes every value of `column` into target (length ≥ this.length), in order, and drops the column's blocks. */
  moveColumn(column: Column, target: Float64Array): void {
    const blocks = this.columns[DATASET_COLUMNS.indexOf(column)];
    let at = 0;
    while (blocks.length > 0) {
      const block = blocks.shift()!;
      const n = Math.min(BLOCK_VALUES, this.count - at);
      target.set(block.subarray(0, n), at);
      at += n;
    }
  }
}
