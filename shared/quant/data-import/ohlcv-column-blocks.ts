import { DATASET_COLUMNS } from '../dataset-codec.js';

/** Bars per block: 64 Ki bars × 6 columns × 8 bytes = 3 MiB a block. */
const BLOCK_BARS = 64 * 1024;

type Column = (typeof DATASET_COLUMNS)[number];

/**
 * OHLCV columns that grow a bar at a time without reallocating: fixed-size blocks, so holding n bars
 * costs n × 48 bytes (plus at most one partly filled block), never the 2× of a doubling array. The
 * streamed import (ohlcv-csv-stream.ts) fills them; copyColumn writes a column into the encoded dataset.
 */
export class OhlcvColumnBlocks {
  private readonly blocks: Float64Array[] = [];
  private filled = BLOCK_BARS;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (this.filled === BLOCK_BARS) {
      this.blocks.push(new Float64Array(BLOCK_BARS * DATASET_COLUMNS.length));
      this.filled = 0;
    }
    const block = this.blocks[this.blocks.length - 1];
    const i = this.filled++;
    block[i] = time;
    block[BLOCK_BARS + i] = open;
    block[2 * BLOCK_BARS + i] = high;
    block[3 * BLOCK_BARS + i] = low;
    block[4 * BLOCK_BARS + i] = close;
    block[5 * BLOCK_BARS + i] = volume;
    this.count++;
  }

  /** The open time of bar i. */
  time(i: number): number {
    return this.blocks[Math.floor(i / BLOCK_BARS)][i % BLOCK_BARS];
  }

  /** Writes every value of `column` into target (length ≥ this.length), in order. */
  copyColumn(column: Column, target: Float64Array): void {
    const c = DATASET_COLUMNS.indexOf(column);
    let at = 0;
    for (const block of this.blocks) {
      const n = Math.min(BLOCK_BARS, this.count - at);
      target.set(block.subarray(c * BLOCK_BARS, c * BLOCK_BARS + n), at);
      at += n;
    }
  }
}
