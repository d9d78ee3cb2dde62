import type { Ohlcv } from '../../quant/ohlcv.js';
import { ExecutionState } from '../../quant/strategies/execution-state.js';

/**
 * A unit's checkpoint: the execution core's state after the last bar of a run (ExecutionState)
 * plus what tells whether a later run may continue from it, in a fixed binary layout of
 * CHECKPOINT_BYTES (little-endian):
 *
 *   0   u8   version (CHECKPOINT_VERSION; 0 = no checkpoint: an all-zero record)
 *   1   u8   flags (bit 0: ruined)
 *   2   i8   position after the last fill
 *   3   i8   target at the last close (the pending decision)
 *   4   u32  bars: the run covered bars [0, bars); a continuation starts at bar `bars`
 *   8   u32  data fingerprint: of bar 0 and bar bars − 1 (time, open, high, low, close)
 *   12  u32  unit fingerprint: strategy, symbol, parameter values, fee, slippage, τ, the
 *            indicators' arithmetic on the series for its periods (gridRegime)
 *   16  u32  × 7: counted returns, peak bar, longest drawdown (bars), trades, closed trades, wins, exposed bars
 *   44  u32  checksum (FNV-1a of the other 188 bytes)
 *   48  f64  × 13: cash, units, base, entry cash, last mark, Σr, Σr², Σ2·min(r−τ,0)², peak,
 *                  max drawdown, gross profit, gross loss, Σ trade returns
 *   152 u32  the open trade's entry bar (exit rules' time stop)
 *   156 i8   flat after an exit rule: the side it closed (0 none)
 *   157 u8×3 zero
 *   160 f64  × 4: the open trade's stop price, target price, trail extreme, trail offset (exit
 *                  rules; ±∞ where a rule is off)
 *
 * A checkpoint is used only when all of it matches: version, checksum, unit fingerprint (so also
 * the tick-grid regime of the new series for the unit's periods), a series at least `bars` long
 * whose bar 0 and bar bars − 1 have the fingerprint. Anything else
 * rejects it and the unit runs from bar 0 (counted as rejected: never used silently). That the
 * bars between are the same is the caller's to know (a dataset version whose first N bars are its
 * parent's, shared/… lineage); the fingerprint catches a wrong pairing, not an edited middle.
 *
 * Checkpoints are valid only for the same backtest kind version (backtestKind.version): a change
 * to the engine's arithmetic must bump it, and the cluster must not pair checkpoints across it.
 */
export const CHECKPOINT_VERSION = 2;
export const CHECKPOINT_BYTES = 192;

const FLOAT_OFFSET = 48;
const CHECKSUM_OFFSET = 44;

// FNV-1a, 32 bits, over the bytes of numbers (float64, little-endian) and strings (UTF-16 code units).
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const scratch = new DataView(new ArrayBuffer(8));

function hashByte(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
}

function hashNumber(hash: number, value: number): number {
  scratch.setFloat64(0, value, true);
  for (let i = 0; i < 8; i++) hash = hashByte(hash, scratch.getUint8(i));
  return hash;
}

function hashString(hash: number, value: string): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    hash = hashByte(hashByte(hash, code & 0xff), code >>> 8);
  }
  return hashByte(hash, 0);
}

function hashBytes(hash: number, bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) hash = hashByte(hash, bytes[i]);
  return hash;
}

/** What identifies a unit's computation besides its bars (the fingerprint's inputs). */
export interface UnitIdentity {
  strategy: string;
  symbol: string;
  /** The swept parameter values in sweep order (`short` last). */
  values: ArrayLike<number>;
  /**
   * The indicators' arithmetic for the unit's periods on its series (gridRegime): a series that
   * grew can leave the exact path for a period (a new highest price), and a checkpoint from the
   * other path must not be used.
   */
  regime: number;
  feeBps: number;
  slippageBps: number;
  /** The per-period risk-free rate τ (it enters the downside sum). */
  riskFreePerPeriod: number;
}

/** Hash of what a unit's run depends on besides its bars: strategy and symbol first, so their part can be computed once. */
export function unitFingerprint(identity: UnitIdentity, prefix = unitPrefix(identity.strategy, identity.symbol, identity)): number {
  let hash = hashNumber(prefix, identity.regime);
  for (let i = 0; i < identity.values.length; i++) hash = hashNumber(hash, identity.values[i]);
  return hash;
}

/** The fingerprint's part common to every unit of a symbol (strategy, symbol, costs, τ). */
export function unitPrefix(strategy: string, symbol: string, costs: { feeBps: number; slippageBps: number; riskFreePerPeriod: number }): number {
  let hash = hashString(hashString(FNV_OFFSET, strategy), symbol);
  hash = hashNumber(hash, costs.feeBps);
  hash = hashNumber(hash, costs.slippageBps);
  return hashNumber(hash, costs.riskFreePerPeriod);
}

/** Hash of bar 0 and bar bars − 1 of a series (time, open, high, low, close). */
export function seriesFingerprint(series: Pick<Ohlcv, 'time' | 'open' | 'high' | 'low' | 'close'>, bars: number): number {
  let hash = FNV_OFFSET;
  for (const t of [0, bars - 1]) {
    hash = hashNumber(hash, series.time[t]);
    hash = hashNumber(hash, series.open[t]);
    hash = hashNumber(hash, series.high[t]);
    hash = hashNumber(hash, series.low[t]);
    hash = hashNumber(hash, series.close[t]);
  }
  return hash;
}

const U32_LIMIT = 2 ** 32;

function count(value: number): number {
  if (!(Number.isInteger(value) && value >= 0 && value < U32_LIMIT)) throw new RangeError(`checkpoint count out of range: ${value}`);
  return value;
}

/** Writes `state` as the record at byte `offset` of `bytes` (no allocation but the view: it runs once per unit). */
export function encodeCheckpoint(state: ExecutionState, unitHash: number, dataHash: number, bytes: Uint8Array, offset: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, CHECKPOINT_BYTES);
  view.setUint8(0, CHECKPOINT_VERSION);
  view.setUint8(1, state.ruined ? 1 : 0);
  view.setInt8(2, state.position);
  view.setInt8(3, state.target);
  view.setUint32(4, count(state.bars), true);
  view.setUint32(8, dataHash, true);
  view.setUint32(12, unitHash, true);
  view.setUint32(16, count(state.counted), true);
  view.setUint32(20, count(state.peakBar), true);
  view.setUint32(24, count(state.maxDrawdownBars), true);
  view.setUint32(28, count(state.trades), true);
  view.setUint32(32, count(state.closedTrades), true);
  view.setUint32(36, count(state.wins), true);
  view.setUint32(40, count(state.exposedBars), true);
  view.setFloat64(48, state.cash, true);
  view.setFloat64(56, state.units, true);
  view.setFloat64(64, state.base, true);
  view.setFloat64(72, state.entryCash, true);
  view.setFloat64(80, state.previous, true);
  view.setFloat64(88, state.returnSum, true);
  view.setFloat64(96, state.returnSumSq, true);
  view.setFloat64(104, state.downTimesTwo, true);
  view.setFloat64(112, state.peak, true);
  view.setFloat64(120, state.maxDrawdown, true);
  view.setFloat64(128, state.grossProfit, true);
  view.setFloat64(136, state.grossLoss, true);
  view.setFloat64(144, state.tradeReturnSum, true);
  view.setUint32(152, count(state.entryBar), true);
  view.setInt8(156, state.blocked);
  view.setUint8(157, 0);
  view.setUint16(158, 0, true);
  view.setFloat64(160, state.stopPrice, true);
  view.setFloat64(168, state.targetPrice, true);
  view.setFloat64(176, state.trailExtreme, true);
  view.setFloat64(184, state.trailOffset, true);
  view.setUint32(CHECKSUM_OFFSET, recordChecksum(bytes, offset), true);
}

function recordChecksum(bytes: Uint8Array, offset: number): number {
  const hash = hashBytes(FNV_OFFSET, bytes, offset, offset + CHECKSUM_OFFSET);
  return hashBytes(hash, bytes, offset + FLOAT_OFFSET, offset + CHECKPOINT_BYTES);
}

/** Why a record was not used: absent (all zero), or present but not for this unit and series. */
export type CheckpointOutcome = 'continued' | 'none' | 'rejected';

/**
 * Reads the record at byte `offset` into `state` when it is a checkpoint of this unit
 * (`unitHash`) on a prefix of `series`: 'continued'. 'none' for an absent record (version 0,
 * all zero), 'rejected' for any other mismatch; `state` is then unspecified.
 */
export function decodeCheckpoint(bytes: Uint8Array, offset: number, unitHash: number, series: Pick<Ohlcv, 'time' | 'open' | 'high' | 'low' | 'close'>, state: ExecutionState): CheckpointOutcome {
  if (offset + CHECKPOINT_BYTES > bytes.length) return 'rejected';
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, CHECKPOINT_BYTES);
  const version = view.getUint8(0);
  if (version === 0) {
    for (let i = 0; i < CHECKPOINT_BYTES; i++) if (bytes[offset + i] !== 0) return 'rejected';
    return 'none';
  }
  if (version !== CHECKPOINT_VERSION) return 'rejected';
  if (view.getUint32(CHECKSUM_OFFSET, true) !== recordChecksum(bytes, offset)) return 'rejected';
  if (view.getUint32(12, true) !== unitHash) return 'rejected';
  const flags = view.getUint8(1);
  const position = view.getInt8(2);
  const target = view.getInt8(3);
  const bars = view.getUint32(4, true);
  const blocked = view.getInt8(156);
  if (flags > 1 || position < -1 || position > 1 || target < -1 || target > 1 || blocked < -1 || blocked > 1) return 'rejected';
  if (bars < 1 || bars > series.close.length) return 'rejected';
  if (view.getUint32(8, true) !== seriesFingerprint(series, bars)) return 'rejected';
  state.bars = bars;
  state.ruined = flags === 1;
  state.position = position;
  state.target = target;
  state.counted = view.getUint32(16, true);
  state.peakBar = view.getUint32(20, true);
  state.maxDrawdownBars = view.getUint32(24, true);
  state.trades = view.getUint32(28, true);
  state.closedTrades = view.getUint32(32, true);
  state.wins = view.getUint32(36, true);
  state.exposedBars = view.getUint32(40, true);
  state.cash = view.getFloat64(48, true);
  state.units = view.getFloat64(56, true);
  state.base = view.getFloat64(64, true);
  state.entryCash = view.getFloat64(72, true);
  state.previous = view.getFloat64(80, true);
  state.returnSum = view.getFloat64(88, true);
  state.returnSumSq = view.getFloat64(96, true);
  state.downTimesTwo = view.getFloat64(104, true);
  state.peak = view.getFloat64(112, true);
  state.maxDrawdown = view.getFloat64(120, true);
  state.grossProfit = view.getFloat64(128, true);
  state.grossLoss = view.getFloat64(136, true);
  state.tradeReturnSum = view.getFloat64(144, true);
  state.entryBar = view.getUint32(152, true);
  state.blocked = blocked;
  state.stopPrice = view.getFloat64(160, true);
  state.targetPrice = view.getFloat64(168, true);
  state.trailExtreme = view.getFloat64(176, true);
  state.trailOffset = view.getFloat64(184, true);
  return 'continued';
}

/** Where a partition's checkpoints come from: a previous job's partials (any partitioning of the same units). */
export interface CheckpointSource {
  /** First unit of the records. */
  first: number;
  /** base64 of consecutive CHECKPOINT_BYTES records, for units first, first + 1, … */
  checkpoints?: string;
}

/**
 * The records of units [first, first + count) gathered from a previous job's partials (in any
 * order, any partitioning), as the base64 a partition's `resume.checkpoints` takes; units no
 * source covers get an all-zero record (no checkpoint: they run from bar 0).
 */
export function checkpointsFor(sources: readonly CheckpointSource[], first: number, count: number): string {
  const out = new Uint8Array(count * CHECKPOINT_BYTES);
  for (const source of sources) {
    if (!source.checkpoints) continue;
    const bytes = Buffer.from(source.checkpoints, 'base64');
    const units = Math.floor(bytes.length / CHECKPOINT_BYTES);
    const from = Math.max(first, source.first);
    const to = Math.min(first + count, source.first + units);
    if (from >= to) continue;
    out.set(bytes.subarray((from - source.first) * CHECKPOINT_BYTES, (to - source.first) * CHECKPOINT_BYTES), (from - first) * CHECKPOINT_BYTES);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64');
}
