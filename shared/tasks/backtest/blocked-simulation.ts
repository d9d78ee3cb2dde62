import type { EquityAccumulator } from '../../quant/metrics.js';
import { ExecutionState, simulate, SignalBuffer, type TradingCosts } from '../../quant/strategies/index.js';
import type { Exits } from '../../quant/strategies/exits.js';
import type { SignalPass } from '../../quant/strategies/types.js';

/**
 * Long series (from MIN_SERIES_BARS bars): a group of units of one series simulated a block of bars
 * at a time, every unit of the group over one block before the next block, each unit's state carried
 * from block to block (ExecutionState: simulate's continuation, the one incremental re-runs use).
 * Over 1,000,000 bars the open and close arrays are 8 MB each and fall out of the caches between two
 * units (over 100,000 bars, 800 KB each, out of the L2); a block's (BLOCK_BARS bars: 2 × 256 KiB)
 * stays in them for the whole group.
 *
 * Bit for bit the same as one simulate() over the whole series per unit: a continuation at bar b of
 * a series whose first b bars are the same ends with the totals of the whole run (execution.ts),
 * and each block's call sees the series cut at the block's end (subarray views, no copy), which is
 * a run over the first bars of the same series.
 *
 * Tiled (a unit given as a SignalPass, types.ts: the built-in strategies): per block, each unit's
 * signal pass over the block, then its simulation over it, so the block's slices of the SMA (or
 * other indicator) arrays the group's units share stay in the caches from one unit to the next,
 * as do the block's opens and closes. Over 100,000 bars a sweep's 30–61 SMA arrays are 24–49 MB,
 * about the 32 MB L3 or more (and two agents on one machine share it); a block's slices of the arrays of one
 * value of the first parameter (the units next to each other in sweep order: one fast SMA and
 * every slow one) fit in a core's L2. The pass of block k starts from the target the unit's
 * simulation of block k − 1 ended with (ExecutionState.target: the last change's), which is the
 * target a whole pass holds there, so it writes the changes a whole pass writes in the block
 * (SignalPass.run). A pass keeps its arrays alive until its group ends: a group holds passes while
 * the distinct arrays they read fit the series' indicator-cache budget, and the pass past it starts
 * the next group. A unit of a strategy without passes (a sandboxed user strategy), or whose pass
 * alone exceeds the budget, has its changes computed over the whole series before the run, copied
 * into the group and read block by block.
 */

/** Bars per block (tiled: see above; measured 2026-12-03, docs/benchmarks.md). */
const BLOCK_BARS = 8_192;
/**
 * Series shorter than this run unit by unit over all their bars. From here on, blocking pays: at
 * 65,536 bars and more the open and close arrays (16 bytes a bar: 1 MiB and more) no longer stay in
 * a core's 1 MiB L2 next to the indicator arrays a unit's signal pass reads (the kernel bench's
 * whole-series ÷ blocked time at 100,000 bars, docs/benchmarks.md).
 */
const MIN_SERIES_BARS = 65_536;
/** The most target changes a group holds (5 bytes each: 40 MB): a group ends before it would exceed this, with at least one unit. */
const MAX_GROUP_CHANGES = 8_000_000;
/** The most units in a group. */
const MAX_GROUP_UNITS = 1024;

let blockBars = BLOCK_BARS;
let minSeriesBars = MIN_SERIES_BARS;

/**
 * Sets the block size and the shortest series that is blocked (tests and benchmarks: small blocks
 * on short series to compare with the whole-series path, Infinity to turn blocking off). Returns
 * the previous values.
 */
export function setSimulationBlocks(bars: number, minBars: number): { bars: number; minBars: number } {
  if (!(bars >= 1) || !(minBars >= 1)) throw new RangeError(`block bars and shortest blocked series must be ≥ 1, got ${bars} and ${minBars}`);
  const previous = { bars: blockBars, minBars: minSeriesBars };
  blockBars = Number.isFinite(bars) ? Math.floor(bars) : Infinity;
  minSeriesBars = minBars;
  return previous;
}

/** Whether a series of n bars is simulated in blocks. */
export function blockedSimulation(n: number): boolean {
  return n >= minSeriesBars && n > blockBars;
}

/** One group of units of one series: their changes or signal passes, their states, their exits, simulated together. */
export class SimulationGroup {
  private bars = new Int32Array(1 << 16);
  private targets = new Int8Array(1 << 16);
  private changes = 0;
  private readonly offsets: number[] = [];
  private readonly counts: number[] = [];
  private readonly starts: ExecutionState[] = [];
  private readonly continued: boolean[] = [];
  private readonly states: ExecutionState[] = [];
  private readonly exits: Array<Exits | null> = [];
  /** Per unit its signal pass (tiled), or null (its changes are in bars/targets). */
  private readonly passes: Array<SignalPass | null> = [];
  /** The arrays the group's passes read, and their bytes. */
  private readonly pinned = new Set<Float64Array>();
  private pinnedBytes = 0;
  private readonly view = new SignalBuffer(1);
  /** A block's changes of one unit (tiled), simulated right after. */
  private readonly blockSignals = new SignalBuffer(1);
  size = 0;

  reset(): void {
    this.size = 0;
    this.changes = 0;
    this.passes.length = 0;
    this.pinned.clear();
    this.pinnedBytes = 0;
  }

  /**
   * Whether the pass may join the group: the arrays it reads that the group does not hold yet keep
   * the group's pinned arrays within `budgetBytes` (the series' indicator-cache budget).
   */
  admits(pass: SignalPass, budgetBytes: number): boolean {
    if (this.size >= MAX_GROUP_UNITS) return false;
    let bytes = this.pinnedBytes;
    for (const array of pass.arrays) if (!this.pinned.has(array)) bytes += array.byteLength; // a pass's arrays are distinct
    return bytes <= budgetBytes;
  }

  /** Whether a unit with `count` more changes still fits (a group always takes its first unit). */
  fits(count: number): boolean {
    return this.size === 0 || (this.size < MAX_GROUP_UNITS && this.changes + count <= MAX_GROUP_CHANGES);
  }

  /**
   * Adds a unit: its target changes (copied) or its signal pass (kept, and with it its arrays, until
   * reset(); see admits()), the state it continues from (copied; null: from bar 0) and its exits
   * (copied: SweepExits reuses its object).
   */
  add(signals: SignalBuffer | SignalPass, from: ExecutionState | null, exits: Exits | null): void {
    const i = this.size;
    if (signals instanceof SignalBuffer) this.addChanges(i, signals);
    else {
      this.passes[i] = signals;
      this.offsets[i] = this.changes;
      this.counts[i] = 0;
      for (const array of signals.arrays) {
        if (this.pinned.has(array)) continue;
        this.pinned.add(array);
        this.pinnedBytes += array.byteLength;
      }
    }
    this.size++;
    if (this.states.length <= i) {
      this.states.push(new ExecutionState());
      this.starts.push(new ExecutionState());
    }
    this.continued[i] = from !== null;
    if (from !== null) Object.assign(this.starts[i], from);
    this.exits[i] = exits === null ? null : { ...exits, rules: { ...exits.rules } };
  }

  private addChanges(i: number, signals: SignalBuffer): void {
    this.passes[i] = null;
    const need = this.changes + signals.count;
    if (need > this.bars.length) {
      const capacity = Math.max(need, 2 * this.bars.length);
      const bars = new Int32Array(capacity);
      const targets = new Int8Array(capacity);
      bars.set(this.bars.subarray(0, this.changes));
      targets.set(this.targets.subarray(0, this.changes));
      this.bars = bars;
      this.targets = targets;
    }
    this.bars.set(signals.bar.subarray(0, signals.count), this.changes);
    this.targets.set(signals.target.subarray(0, signals.count), this.changes);
    this.offsets[i] = this.changes;
    this.counts[i] = signals.count;
    this.changes = need;
  }

  /**
   * Simulates every unit over the bars of `open` and `close`, block by block. After a unit's last
   * block, calls done(i) with its totals in `acc` and its final state in state(i), in unit order.
   * Before each block, `go(fraction done)` may stop the run by returning false.
   */
  run(
    open: Float64Array,
    close: Float64Array,
    costs: TradingCosts,
    acc: EquityAccumulator,
    tau: number,
    done: (i: number) => void,
    go: (fraction: number) => boolean,
  ): boolean {
    const n = close.length;
    const step = Number.isFinite(blockBars) ? blockBars : n;
    const blocks = Math.max(1, Math.ceil(n / step));
    const next = new Int32Array(this.size); // per unit, its first change not yet read
    const started = new Uint8Array(this.size);
    const view = this.view;
    for (let b = 0; b < blocks; b++) {
      if (!go(b / blocks)) return false;
      const end = b === blocks - 1 ? n : (b + 1) * step;
      const blockOpen = open.subarray(0, end);
      const blockClose = close.subarray(0, end);
      const last = end === n;
      for (let i = 0; i < this.size; i++) {
        const state = this.states[i];
        const fromStart = this.continued[i] ? this.starts[i] : null;
        const startBar = fromStart === null ? 0 : fromStart.bars;
        // A unit takes part from the block holding its first bar to simulate on (and in the last block in any case).
        if (end <= startBar && !last) continue;
        const from = started[i] === 1 ? state : fromStart;
        started[i] = 1;
        const pass = this.passes[i];
        if (pass !== null) {
          // Tiled: this block's changes from the bar the unit's state is at (the block's first bar, or a
          // checkpoint's inside it: a unit joins at the block holding its first bar), from the target held there.
          pass.run(this.blockSignals, from === null ? 0 : from.bars, end, from === null ? 0 : from.target);
          simulate(blockOpen, blockClose, this.blockSignals, costs, acc, tau, null, from, state, this.exits[i]);
          if (last) done(i);
          continue;
        }
        const offset = this.offsets[i];
        const count = this.counts[i];
        const k = next[i];
        let stop = k;
        while (stop < count && this.bars[offset + stop] < end) stop++;
        view.bar = this.bars.subarray(offset + k, offset + stop);
        view.target = this.targets.subarray(offset + k, offset + stop);
        view.count = stop - k;
        next[i] = stop;
        simulate(blockOpen, blockClose, view, costs, acc, tau, null, from, state, this.exits[i]);
        if (last) done(i);
      }
    }
    return true;
  }

  state(i: number): ExecutionState {
    return this.states[i];
  }
}
