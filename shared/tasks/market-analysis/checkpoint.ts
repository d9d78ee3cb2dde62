import { createHash } from 'node:crypto';
import type { WilderAverages } from '../../quant/indicators/rsi.js';
import type { MacdState } from '../../quant/indicators/macd.js';
import type { VwapSums } from '../../quant/indicators/vwap.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import type { TickGridScan } from '../../quant/indicators/tick-grid.js';
import type { IndicatorName } from './spec.js';

/**
 * A market-analysis unit's checkpoint (asset × timeframe): the state of each requested indicator
 * that carries one from bar to bar, after bar `bars` − 1, in a fixed binary layout of
 * CHECKPOINT_BYTES (little-endian):
 *
 *   0   u8   version (CHECKPOINT_VERSION)
 *   1   u8   the states present: bit 0 RSI, 1 MACD, 2 EMA, 3 ATR, 4 OBV, 5 VWAP; bit 6: the
 *            stochastic's %K values so far are on no tick grid (so %D's SMA is the float one)
 *   2   u8   the closes' tick-grid scan over the bars (TickGridScan): 0–8 its decimals, 0x7f none
 *            (a close on no grid), 0xff not kept (no indicator needs the grid); maxUnits at 104
 *   3   u8   the arithmetic regime of the carried EMAs on the series (arithmeticRegime, continue.ts)
 *   4   u32  bars: the states are after bar bars − 1; a continuation computes from bar `bars` on
 *   8   u32  data fingerprint: of bar 0 and bar bars − 1 (time, open, high, low, close, volume)
 *   12  u32  unit fingerprint: asset, timeframe, the requested indicators and their settings
 *   16  u32  checksum (of every other byte)
 *   20  u32  0
 *   24  f64  × 10: RSI average gain, average loss; MACD fast EMA, slow EMA, signal EMA; EMA; ATR;
 *                  OBV; VWAP Σ typical·volume, Σ volume (0 where absent)
 *   104 f64  the grid scan's largest |units| (NaN: its second pass failed; 0 when not kept)
 *
 * A state is present exactly when its indicator is requested and past its warm-up at bar bars − 1
 * (statesExpected); the others are seeded from the bars at the re-run. The windowed indicators
 * (SMA, WMA, Bollinger) carry nothing: they are computed at the new bars from the bars themselves;
 * the stochastic oscillator carries one bit, that %D's arithmetic is the float one (then it is
 * computed at the new bars; else over the whole series).
 * A checkpoint is used only when all of it matches (version, checksum, unit fingerprint, states
 * present, a series longer than `bars` whose bar 0 and bar bars − 1 have the data fingerprint);
 * anything else rejects it and the unit is computed in full. That the bars between are the same is
 * the caller's to know (a dataset version whose first bars are its parent's, the lineage); the
 * fingerprint catches a wrong pairing. Valid only for the same kind version (the cluster pairs
 * checkpoints within one; a change to the arithmetic or this layout bumps marketAnalysisKind.version).
 */
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_BYTES = 112;

const FLOAT_OFFSET = 24;
const CHECKSUM_OFFSET = 16;

/** The carried state of each indicator that has one (absent: not requested, or still warming up). */
export interface IndicatorStates {
  rsi?: WilderAverages;
  macd?: MacdState;
  ema?: number;
  atr?: number;
  obv?: number;
  vwap?: VwapSums;
  /** The stochastic's %K over bars [its first, bars) is on no tick grid: so is every longer series' (tickGrid fails at the same value). */
  stochasticOffGrid?: true;
}

export interface MarketAnalysisCheckpoint {
  /** The states are after bar bars − 1. */
  bars: number;
  states: IndicatorStates;
  /** The carried EMAs' arithmetic on the series (arithmeticRegime): the states are valid only on a series of the same. */
  regime: number;
  /** The closes' tick-grid scan over bars [0, bars), when the unit's indicators need the grid. */
  gridScan?: TickGridScan;
}

const NO_GRID = 0x7f;
const GRID_NOT_KEPT = 0xff;

const STATE_BITS = { rsi: 1, macd: 2, ema: 4, atr: 8, obv: 16, vwap: 32 } as const;
const STOCHASTIC_OFF_GRID = 64;
type CarriedIndicator = keyof typeof STATE_BITS | 'stochastic';

/** The bars before each carried indicator's state exists: its first value is at bar `warmUp[name]`. */
export type WarmUps = Readonly<Record<CarriedIndicator, number>>;

/** Which states a checkpoint after bar bars − 1 holds for these indicators (a bit mask as in the layout). */
export function statesExpected(indicators: readonly IndicatorName[], bars: number, warmUps: WarmUps): number {
  let mask = 0;
  for (const name of Object.keys(STATE_BITS) as (keyof typeof STATE_BITS)[]) {
    if (indicators.includes(name) && bars - 1 >= warmUps[name]) mask |= STATE_BITS[name];
  }
  return mask;
}

/** Whether a checkpoint after bar bars − 1 may hold the stochastic's off-grid bit (it is data's to say whether it does). */
function mayBeOffGrid(indicators: readonly IndicatorName[], bars: number, warmUps: WarmUps): boolean {
  return indicators.includes('stochastic') && bars - 1 >= warmUps.stochastic;
}

function maskOf(states: IndicatorStates): number {
  let mask = 0;
  for (const name of Object.keys(STATE_BITS) as (keyof typeof STATE_BITS)[]) if (states[name] !== undefined) mask |= STATE_BITS[name];
  if (states.stochasticOffGrid) mask |= STOCHASTIC_OFF_GRID;
  return mask;
}

function hash32(bytes: Uint8Array): number {
  return createHash('sha256').update(bytes).digest().readUInt32LE(0);
}

/** Hash of what a unit's states depend on besides its bars. */
export function unitFingerprint(asset: string, timeframe: string, indicators: readonly IndicatorName[], settings: unknown): number {
  return hash32(Buffer.from(JSON.stringify({ v: CHECKPOINT_VERSION, asset, timeframe, indicators, settings }), 'utf8'));
}

/** Hash of bar 0 and bar bars − 1 of a series (time, open, high, low, close, volume). */
export function dataFingerprint(series: Pick<Ohlcv, 'time' | 'open' | 'high' | 'low' | 'close' | 'volume'>, bars: number): number {
  const values = new Float64Array(12);
  let i = 0;
  for (const t of [0, bars - 1]) {
    for (const column of [series.time, series.open, series.high, series.low, series.close, series.volume]) values[i++] = column[t];
  }
  return hash32(new Uint8Array(values.buffer));
}

function checksum(bytes: Uint8Array): number {
  const copy = Uint8Array.from(bytes);
  copy.fill(0, CHECKSUM_OFFSET, CHECKSUM_OFFSET + 4);
  return hash32(copy);
}

/** The checkpoint's bytes. */
export function encodeCheckpoint(checkpoint: MarketAnalysisCheckpoint, unitHash: number, dataHash: number): Uint8Array {
  const { bars, states, regime, gridScan } = checkpoint;
  if (!(Number.isInteger(bars) && bars >= 1 && bars < 2 ** 32)) throw new RangeError(`checkpoint bars out of range: ${bars}`);
  if (!(Number.isInteger(regime) && regime >= 0 && regime < 256)) throw new RangeError(`checkpoint regime out of range: ${regime}`);
  const bytes = new Uint8Array(CHECKPOINT_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, CHECKPOINT_VERSION);
  view.setUint8(1, maskOf(states));
  view.setUint8(2, gridScan === undefined ? GRID_NOT_KEPT : gridScan.decimals === undefined ? NO_GRID : gridScan.decimals);
  view.setUint8(3, regime);
  view.setFloat64(104, gridScan === undefined || gridScan.decimals === undefined ? 0 : (gridScan.maxUnits ?? NaN), true);
  view.setUint32(4, bars, true);
  view.setUint32(8, dataHash, true);
  view.setUint32(12, unitHash, true);
  const floats = [
    states.rsi?.gain ?? 0,
    states.rsi?.loss ?? 0,
    states.macd?.fast ?? 0,
    states.macd?.slow ?? 0,
    states.macd?.signal ?? 0,
    states.ema ?? 0,
    states.atr ?? 0,
    states.obv ?? 0,
    states.vwap?.priceVolume ?? 0,
    states.vwap?.volume ?? 0,
  ];
  floats.forEach((value, i) => view.setFloat64(FLOAT_OFFSET + 8 * i, value, true));
  view.setUint32(CHECKSUM_OFFSET, checksum(bytes), true);
  return bytes;
}

/** What a unit expects of a checkpoint: its fingerprint, and the states it must hold after its bars. */
export interface CheckpointExpectation {
  unitHash: number;
  indicators: readonly IndicatorName[];
  warmUps: WarmUps;
}

/**
 * The checkpoint in `bytes` when it is one of this unit on a prefix of `series` that leaves at least
 * one bar to compute (bars < the series' length), else undefined (rejected: the unit is computed in full).
 */
export function decodeCheckpoint(bytes: Uint8Array, expected: CheckpointExpectation, series: Pick<Ohlcv, 'time' | 'open' | 'high' | 'low' | 'close' | 'volume'>): MarketAnalysisCheckpoint | undefined {
  if (bytes.byteLength !== CHECKPOINT_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, CHECKPOINT_BYTES);
  if (view.getUint8(0) !== CHECKPOINT_VERSION || view.getUint32(20, true) !== 0) return undefined;
  if (view.getUint32(CHECKSUM_OFFSET, true) !== checksum(bytes)) return undefined;
  if (view.getUint32(12, true) !== expected.unitHash) return undefined;
  const bars = view.getUint32(4, true);
  if (bars < 1 || bars >= series.close.length) return undefined;
  const mask = view.getUint8(1);
  const offGrid = (mask & STOCHASTIC_OFF_GRID) !== 0;
  if (offGrid && !mayBeOffGrid(expected.indicators, bars, expected.warmUps)) return undefined;
  if ((mask & ~STOCHASTIC_OFF_GRID) !== statesExpected(expected.indicators, bars, expected.warmUps)) return undefined;
  if (view.getUint32(8, true) !== dataFingerprint(series, bars)) return undefined;
  const float = (i: number): number => view.getFloat64(FLOAT_OFFSET + 8 * i, true);
  const states: IndicatorStates = {};
  if (mask & STATE_BITS.rsi) states.rsi = { gain: float(0), loss: float(1) };
  if (mask & STATE_BITS.macd) states.macd = { fast: float(2), slow: float(3), signal: float(4) };
  if (mask & STATE_BITS.ema) states.ema = float(5);
  if (mask & STATE_BITS.atr) states.atr = float(6);
  if (mask & STATE_BITS.obv) states.obv = float(7);
  if (mask & STATE_BITS.vwap) states.vwap = { priceVolume: float(8), volume: float(9) };
  if (offGrid) states.stochasticOffGrid = true;
  const code = view.getUint8(2);
  const maxUnits = view.getFloat64(104, true);
  let gridScan: TickGridScan | undefined;
  if (code === NO_GRID) gridScan = { decimals: undefined, maxUnits: undefined };
  else if (code <= 8) gridScan = { decimals: code, maxUnits: Number.isNaN(maxUnits) ? undefined : maxUnits };
  else if (code !== GRID_NOT_KEPT) return undefined;
  if (gridScan === undefined && maxUnits !== 0) return undefined;
  return { bars, states, regime: view.getUint8(3), gridScan };
}
