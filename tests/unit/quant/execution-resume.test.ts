import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EquityAccumulator, riskFreePerPeriod } from '../../../shared/quant/metrics.js';
import type { Ohlcv } from '../../../shared/quant/ohlcv.js';
import { ExecutionState } from '../../../shared/quant/strategies/execution-state.js';
import { IndicatorCache, SignalBuffer, simulate, STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { sma } from '../../../shared/quant/indicators/sma.js';
import { tickGrid } from '../../../shared/quant/indicators/tick-grid.js';
import { CHECKPOINT_BYTES, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, seriesFingerprint } from '../../../shared/tasks/backtest/checkpoint.js';
import { assertExtended, referenceBacktest, referenceRule } from '../../helpers/reference-backtest.js';

/**
 * A run over the first N bars leaves its state; the continuation over the whole series from that
 * state (signals decided from bar N on) must end exactly where a run over the whole series ends:
 * the same target changes after N, the same marks, every total and metric bit for bit.
 */

const BARS = 360;
const P = 8760;

/**
 * Synthetic bars, optionally in whole cents (on a tick grid: exact SMA and Bollinger decisions),
 * with a flat stretch (every price constant) and a jump ×4 that ruins an open short.
 */
function seriesOf(seed: number, inCents: boolean, flat: [number, number] | null, jump: number | null): Ohlcv {
  const s = generateSyntheticSeries({ seed, symbol: 'R', timeframe: '1h', bars: BARS });
  const copy = (x: Float64Array) => (inCents ? x.map((v) => Math.round(v * 100) / 100) : Float64Array.from(x));
  const out: Ohlcv = { ...s, open: copy(s.open), high: copy(s.high), low: copy(s.low), close: copy(s.close) };
  if (jump !== null) {
    for (const column of [out.open, out.high, out.low, out.close]) for (let t = jump; t < BARS; t++) column[t] *= 4;
  }
  if (flat !== null) {
    const [from, length] = flat;
    const level = out.close[from];
    for (const column of [out.open, out.high, out.low, out.close]) column.fill(level, from, Math.min(BARS, from + length));
  }
  return out;
}

function prefixOf(s: Ohlcv, bars: number): Ohlcv {
  const cut = (x: Float64Array) => x.subarray(0, bars);
  return { ...s, time: cut(s.time), open: cut(s.open), high: cut(s.high), low: cut(s.low), close: cut(s.close), volume: cut(s.volume) };
}

const paramsArbitrary: Record<string, fc.Arbitrary<Record<string, number>>> = {
  'sma-crossover': fc.integer({ min: 1, max: 20 }).chain((fast) => fc.record({ fast: fc.constant(fast), slow: fc.integer({ min: fast + 1, max: 60 }) })),
  'ema-crossover': fc.integer({ min: 1, max: 20 }).chain((fast) => fc.record({ fast: fc.constant(fast), slow: fc.integer({ min: fast + 1, max: 60 }) })),
  'macd-cross': fc.integer({ min: 1, max: 10 }).chain((fast) => fc.record({ fast: fc.constant(fast), slow: fc.integer({ min: fast + 1, max: 30 }), signal: fc.integer({ min: 1, max: 10 }) })),
  'rsi-reversion': fc.integer({ min: 5, max: 45 }).chain((entry) => fc.record({ period: fc.integer({ min: 1, max: 20 }), entry: fc.constant(entry), exit: fc.integer({ min: entry + 1, max: 95 }) })),
  // Not k = 1: with period 2 every close is exactly one σ from the middle, a tie with the band
  // that float data decides by rounding (the reference and the kernel round differently).
  'bollinger-reversion': fc.record({ period: fc.integer({ min: 2, max: 30 }), k: fc.constantFrom(0.25, 0.5, 1.5, 2, 3) }),
  'donchian-breakout': fc.record({ entry: fc.integer({ min: 1, max: 30 }), exit: fc.integer({ min: 1, max: 30 }) }),
};

/** The first bar a strategy decides at (its own rule; the bars before are its warm-up). */
function firstDecisionBar(name: string, p: Record<string, number>): number {
  switch (name) {
    case 'sma-crossover':
    case 'ema-crossover':
      return p.slow - 1;
    case 'macd-cross':
      return p.slow + p.signal - 2;
    case 'rsi-reversion':
      return p.period;
    case 'bollinger-reversion':
      return p.period - 1;
    default:
      return Math.max(p.entry, p.exit);
  }
}

function signalsOver(name: string, s: Ohlcv, values: Float64Array, short: boolean, from = 0, initial = 0): SignalBuffer {
  const out = new SignalBuffer(s.close.length);
  STRATEGIES.get(name)!.signals({ open: s.open, high: s.high, low: s.low, close: s.close, indicators: new IndicatorCache(s) }, values, short, out, from, initial);
  return out;
}

function changesFrom(buffer: SignalBuffer, from: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < buffer.count; i++) if (buffer.bar[i] >= from) out.push([buffer.bar[i], buffer.target[i]]);
  return out;
}

/** Every field bit for bit (Object.is: 0 and −0 differ, NaN equals NaN). */
function assertSameBits(actual: object, expected: object, where: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(Object.is((actual as Record<string, unknown>)[key], value), `${where} ${key}: ${String((actual as Record<string, unknown>)[key])} vs ${String(value)}`);
  }
}

describe('continuing a unit from its state at a bar (incremental re-runs)', () => {
  const seen = { inPosition: 0, pending: 0, ruined: 0, warmUp: 0, flatStretch: 0, short: 0, atEnd: 0 };

  for (const name of STRATEGY_NAMES) {
    it(`${name}: a run over N bars continued over the rest equals the whole run, bit for bit, and the bar-by-bar reference`, () => {
      const definition = STRATEGIES.get(name)!;
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 400 }),
          fc.boolean(),
          paramsArbitrary[name],
          fc.boolean(),
          fc.option(fc.tuple(fc.integer({ min: 0, max: BARS - 1 }), fc.integer({ min: 5, max: 80 })), { nil: null }),
          fc.option(fc.integer({ min: 100, max: BARS - 1 }), { nil: null, freq: 3 }),
          fc.integer({ min: 1, max: BARS }),
          fc.constantFrom(0, 5, 30),
          fc.constantFrom(0, 3, 20),
          fc.constantFrom(0, 0.04),
          (seed, inCents, p, short, flat, jump, split, feeBps, slippageBps, riskFree) => {
            const s = seriesOf(seed, inCents, flat, jump);
            const values = Float64Array.from(definition.params.map((schema) => p[schema.name]));
            const costs = { feeBps, slippageBps };
            const tau = riskFreePerPeriod(riskFree, P);
            const where = `${name} ${JSON.stringify(p)} short ${short} seed ${seed} cents ${inCents} flat ${String(flat)} jump ${String(jump)} split ${split}`;

            // The whole run.
            const whole = signalsOver(name, s, values, short);
            const wholeMarks = new Float64Array(BARS);
            const wholeState = new ExecutionState();
            const wholeAcc = simulate(s.open, s.close, whole, costs, new EquityAccumulator(), tau, wholeMarks, null, wholeState);

            // Last night: the first `split` bars only (their own indicators), leaving a checkpoint.
            const before = prefixOf(s, split);
            const last = new ExecutionState();
            simulate(before.open, before.close, signalsOver(name, before, values, short), costs, new EquityAccumulator(), tau, null, null, last);
            const record = new Uint8Array(CHECKPOINT_BYTES);
            encodeCheckpoint(last, 7, seriesFingerprint(before, split), record, 0);

            // Tonight: the whole series from the checkpoint.
            const from = new ExecutionState();
            assert.equal(decodeCheckpoint(record, 0, 7, s, from), 'continued', where);
            assertSameBits(from, last, `${where} decoded`);
            const tail = signalsOver(name, s, values, short, from.bars, from.target);
            assert.deepEqual(changesFrom(tail, 0), changesFrom(whole, split), `${where}: the same decisions after the split`);
            const marks = new Float64Array(BARS).fill(NaN);
            const state = new ExecutionState();
            const acc = simulate(s.open, s.close, tail, costs, new EquityAccumulator(), tau, marks, from, state);
            assertSameBits(acc, wholeAcc, where);
            assertSameBits(state, wholeState, `${where} state`);
            assert.deepEqual(acc.extendedMetrics(P), wholeAcc.extendedMetrics(P), where);
            for (let t = split; t < BARS; t++) assert.ok(Object.is(marks[t], wholeMarks[t]), `${where} mark ${t}`);

            // Independent: the bar-by-bar reference over the whole series. Not across a flat stretch
            // nor in whole cents: there the computed series tie exactly at some bars, which the
            // kernel decides exactly (the tie rule) and the float reference by its rounding
            // (exact-ties.test.ts checks those against an exact-arithmetic reference).
            if (flat === null && !inCents) {
              const ref = referenceBacktest(s, referenceRule(name, s, p, short), feeBps, slippageBps, P, riskFree);
              assertExtended(acc.extendedMetrics(P), ref.metrics, `${where} vs reference`, ref.equity);
            }

            // Where the split fell.
            if (last.ruined) seen.ruined++;
            else {
              if (last.position !== 0) seen.inPosition++;
              if (last.target !== last.position) seen.pending++;
              if (last.position < 0) seen.short++;
            }
            if (split - 1 < firstDecisionBar(name, p)) seen.warmUp++;
            if (flat !== null && split > flat[0] && split < flat[0] + flat[1] && last.position === 0) seen.flatStretch++;
            if (split === BARS) seen.atEnd++;
          },
        ),
        { numRuns: 250 },
      );
    });
  }

  it('the splits covered every case: inside a position (long and short), at a pending order, after ruin, in warm-up, across a flat stretch', () => {
    for (const [what, count] of Object.entries(seen)) if (what !== 'atEnd') assert.ok(count > 0, `no split ${what}: ${JSON.stringify(seen)}`);
  });
});

describe('unit checkpoints', () => {
  const s = generateSyntheticSeries({ seed: 3, symbol: 'C', timeframe: '1h', bars: 300 });
  const before = prefixOf(s, 200);
  const state = new ExecutionState();
  simulate(before.open, before.close, signalsOver('sma-crossover', before, Float64Array.of(3, 12), true), { feeBps: 5, slippageBps: 2 }, new EquityAccumulator(), 0, null, null, state);
  const record = new Uint8Array(CHECKPOINT_BYTES);
  encodeCheckpoint(state, 42, seriesFingerprint(before, 200), record, 0);

  it('take at most 256 bytes and round-trip every field exactly', () => {
    assert.ok(CHECKPOINT_BYTES <= 256);
    assert.ok(state.trades > 0, 'the unit traded');
    const back = new ExecutionState();
    assert.equal(decodeCheckpoint(record, 0, 42, s, back), 'continued');
    assertSameBits(back, state, 'round trip');
  });

  it('are never used for another unit, another series, a shorter series, a corrupted or foreign record', () => {
    const into = new ExecutionState();
    assert.equal(decodeCheckpoint(record, 0, 43, s, into), 'rejected', 'another unit');
    const other = generateSyntheticSeries({ seed: 4, symbol: 'C', timeframe: '1h', bars: 300 });
    assert.equal(decodeCheckpoint(record, 0, 42, other, into), 'rejected', 'another series');
    const edited = { ...s, close: Float64Array.from(s.close) };
    edited.close[199] += 0.01;
    assert.equal(decodeCheckpoint(record, 0, 42, edited, into), 'rejected', 'the checkpoint bar changed');
    assert.equal(decodeCheckpoint(record, 0, 42, prefixOf(s, 150), into), 'rejected', 'a shorter series');
    for (const at of [1, 5, 20, 60, 151, 156, 170, CHECKPOINT_BYTES - 1]) {
      const corrupt = Uint8Array.from(record);
      corrupt[at] ^= 0x10;
      assert.equal(decodeCheckpoint(corrupt, 0, 42, s, into), 'rejected', `byte ${at} flipped`);
    }
    const future = Uint8Array.from(record);
    future[0] = CHECKPOINT_VERSION + 1;
    assert.equal(decodeCheckpoint(future, 0, 42, s, into), 'rejected', 'another version');
    assert.equal(decodeCheckpoint(record.subarray(0, 100), 0, 42, s, into), 'rejected', 'truncated');
    assert.equal(decodeCheckpoint(new Uint8Array(CHECKPOINT_BYTES), 0, 42, s, into), 'none', 'no checkpoint');
    const almostZero = new Uint8Array(CHECKPOINT_BYTES);
    almostZero[100] = 1;
    assert.equal(decodeCheckpoint(almostZero, 0, 42, s, into), 'rejected', 'version 0 with data');
  });

  it('simulate refuses a state beyond the series', () => {
    const far = new ExecutionState().copyFrom(state);
    far.bars = 400;
    assert.throws(() => simulate(s.open, s.close, new SignalBuffer(1), { feeBps: 0, slippageBps: 0 }, new EquityAccumulator(), 0, null, far), /cannot continue at bar 400/);
  });
});

describe('indicators from a bar (the re-run computes only the new bars)', () => {
  const long = generateSyntheticSeries({ seed: 9, symbol: 'L', timeframe: '1h', bars: 6000 });
  const inCents = long.close.map((v) => Math.round(v * 100) / 100);

  it('SMA from bar `from` equals the whole SMA there, bit for bit, on float prices (past re-summing points) and on a tick grid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 6000 }), fc.boolean(), (period, from, onGrid) => {
        const values = onGrid ? inCents : long.close;
        const grid = tickGrid(values) ?? null;
        assert.equal(grid !== null, onGrid);
        const whole = sma(values, period, undefined, grid);
        const tail = sma(values, period, undefined, grid, from);
        for (let t = from; t < values.length; t++) assert.ok(Object.is(tail[t], whole[t]), `period ${period} from ${from} grid ${onGrid}: bar ${t} ${tail[t]} vs ${whole[t]}`);
      }),
      { numRuns: 200 },
    );
  });

  it('the indicator cache serves the tail, or the whole array when it has it', () => {
    const cache = new IndicatorCache({ ...long, close: inCents });
    const tail = cache.sma(50, 5000);
    assert.equal(tail[4999], 0, 'not computed');
    const whole = cache.sma(50);
    assert.ok(Object.is(whole[5000], tail[5000]) && !Number.isNaN(whole[4999]) && whole[4999] !== 0);
    assert.equal(cache.sma(50, 5500), whole, 'the whole array serves any bar');
  });
});
