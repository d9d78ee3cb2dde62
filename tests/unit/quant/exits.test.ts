import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { atr } from '../../../shared/quant/indicators/atr.js';
import { EquityAccumulator } from '../../../shared/quant/metrics.js';
import { ExecutionState } from '../../../shared/quant/strategies/execution-state.js';
import type { Exits } from '../../../shared/quant/strategies/exits.js';
import { SignalBuffer, simulate } from '../../../shared/quant/strategies/index.js';
import { CHECKPOINT_BYTES, decodeCheckpoint, encodeCheckpoint, seriesFingerprint } from '../../../shared/tasks/backtest/checkpoint.js';
import { assertExtended, curveMetrics, near } from '../../helpers/reference-backtest.js';
import { barsOf, optionsOf, referenceWithExits, type Bars, type ExitLog, type Options, type ReferenceRun } from '../../helpers/reference-exits.js';

/**
 * Exit rules (stop-loss, take-profit, trailing stop as a fraction or in ATR multiples, time stop)
 * checked against the bar-by-bar reference of tests/helpers/reference-exits.ts, written
 * independently of execution.ts: a loop over the bars holding cash, units and the open trade's
 * levels, doing at each bar what the documented semantics say in that order (strategy fill at the
 * open, time stop, gap, stop, target, trail update, close mark). Hand-made bars pin each rule (the reference's log of exits
 * says the case is the one named); fast-check compares engine and reference on random bars,
 * targets, rules and costs, and a continued run with the whole run bit for bit.
 */

const P = 8760;

/** The target changes of a per-bar target array (from bar `from` on, relative to targets[from − 1]). */
function changesOf(targets: readonly number[], from = 0): SignalBuffer {
  const out = new SignalBuffer(targets.length).reset(targets.length);
  let current = from > 0 ? targets[from - 1] : 0;
  for (let t = from; t < targets.length; t++) {
    if (targets[t] !== current) {
      out.push(t, targets[t]);
      current = targets[t];
    }
  }
  return out;
}

function exitsOf(bars: Bars, o: Options): Exits {
  const { atrPeriod, ...rules } = o;
  return { rules, high: bars.high, low: bars.low, atr: atr(bars.high, bars.low, bars.close, atrPeriod) };
}

interface EngineRun {
  acc: EquityAccumulator;
  marks: Float64Array;
  state: ExecutionState;
}

function engine(bars: Bars, targets: readonly number[], o: Options, feeBps: number, slippageBps: number): EngineRun {
  const n = bars.close.length;
  const marks = new Float64Array(n);
  const state = new ExecutionState();
  const acc = simulate(bars.open, bars.close, changesOf(targets), { feeBps, slippageBps }, new EquityAccumulator(), 0, marks, null, state, exitsOf(bars, o));
  return { acc, marks, state };
}

function assertMatches(bars: Bars, targets: readonly number[], o: Options, feeBps: number, slippageBps: number, where: string): ReferenceRun {
  const ref = referenceWithExits(bars, targets, o, feeBps, slippageBps);
  const { acc, marks } = engine(bars, targets, o, feeBps, slippageBps);
  ref.equity.forEach((e, t) => near(marks[t], e, `${where} mark ${t}`));
  assert.equal(acc.trades, ref.trades, `${where} trades`);
  assert.equal(acc.closedTrades, ref.closed.length, `${where} closed trades`);
  assert.equal(acc.longBars, ref.inMarket, `${where} bars in a position`);
  assertExtended(acc.extendedMetrics(P), curveMetrics(ref.equity, ref.trades, ref.closed, ref.inMarket, P, 0), where, ref.equity);
  return ref;
}

/** The reference's exits are these (prices within rounding: 100·(1 + 0.05) is not exactly 105). */
function assertExits(actual: readonly ExitLog[], expected: readonly ExitLog[], where: string): void {
  assert.deepEqual(actual.map(({ bar, reason }) => ({ bar, reason })), expected.map(({ bar, reason }) => ({ bar, reason })), where);
  actual.forEach((exit, i) => near(exit.price, expected[i].price, `${where} exit ${i} price`));
}

describe('exit rules against the bar-by-bar reference (hand-made bars)', () => {
  // A long from the open of bar 1 (decided at the close of bar 0) unless a case says otherwise.
  const long = (n: number) => Array.from({ length: n }, () => 1);

  it('a gap through the stop fills at the open, not at the stop', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 102, 98, 101], // entry at 100, stop 95
      [90, 92, 88, 91], // opens below the stop
      [91, 93, 90, 92],
    ]);
    const ref = assertMatches(bars, long(4), optionsOf({ stopLoss: 0.05 }), 0, 0, 'gap');
    assertExits(ref.exits, [{ bar: 2, price: 90, reason: 'stop-gap' }], 'exits');
    near(ref.equity[3], 0.9, 'flat at the gap fill');
    // A touch is enough: the low exactly at the stop (100·(1 − 0.05) is exactly 95).
    const touch = barsOf([
      [100, 101, 99, 100],
      [100, 102, 98, 101],
      [99, 100, 95, 97],
      [97, 98, 96, 97],
    ]);
    assertExits(assertMatches(touch, long(4), optionsOf({ stopLoss: 0.05 }), 0, 0, 'touch').exits, [{ bar: 2, price: 95, reason: 'stop' }], 'touch');
  });

  it('stop and target inside one bar: the stop is assumed first; a gap through the target fills at the open', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [100, 106, 94, 100], // both 95 and 105 inside
    ]);
    const ref = assertMatches(bars, long(3), optionsOf({ stopLoss: 0.05, takeProfit: 0.05 }), 0, 0, 'both');
    assertExits(ref.exits, [{ bar: 2, price: 95, reason: 'stop' }], 'exits');
    const gapUp = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [110, 111, 90, 100], // opens above the target, then falls through the stop
    ]);
    assertExits(assertMatches(gapUp, long(3), optionsOf({ stopLoss: 0.05, takeProfit: 0.05 }), 0, 0, 'target gap').exits, [{ bar: 2, price: 110, reason: 'target-gap' }], 'exits');
    const target = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [100, 106, 96, 100],
    ]);
    assertExits(assertMatches(target, long(3), optionsOf({ stopLoss: 0.05, takeProfit: 0.05 }), 0, 0, 'target').exits, [{ bar: 2, price: 105, reason: 'target' }], 'exits');
  });

  it('the entry bar is checked too (the entry filled at its open)', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 94, 96],
      [96, 97, 95, 96],
    ]);
    assertExits(assertMatches(bars, long(3), optionsOf({ stopLoss: 0.05 }), 0, 0, 'entry bar').exits, [{ bar: 1, price: 95, reason: 'stop' }], 'exits');
  });

  it('the trailing stop is checked with the trail as of the previous bar, then takes the bar’s high', () => {
    const bars = barsOf([
      [100, 100, 100, 100],
      [100, 110, 99, 108], // trail 90 (from the entry's open), then the high 110: trail 99
      [108, 120, 100, 118], // checked at 99 (not at 108 from this bar's own high): holds; trail → 108
      [118, 119, 107, 110], // low 107 ≤ 108: out at 108
      [110, 111, 109, 110],
    ]);
    const ref = assertMatches(bars, long(5), optionsOf({ trailingStop: 0.1 }), 0, 0, 'trail');
    assert.equal(ref.exits.length, 1);
    assert.equal(ref.exits[0].bar, 3);
    near(ref.exits[0].price, 108, 'trail price');
  });

  it('the time stop exits at the open after N bars held', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100], // entry: held bar 1
      [101, 102, 100, 101], // held bar 2
      [102, 103, 101, 102], // out at its open
      [103, 104, 102, 103],
    ]);
    const ref = assertMatches(bars, long(5), optionsOf({ timeStop: 2 }), 0, 0, 'time');
    assertExits(ref.exits, [{ bar: 3, price: 102, reason: 'time' }], 'exits');
    assert.equal(ref.inMarket, 2);
  });

  it('shorts: the stop above, the target below, the trail from the lowest low', () => {
    const short = (n: number) => Array.from({ length: n }, () => -1);
    const up = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [100, 106, 99, 104], // stop 105
    ]);
    assertExits(assertMatches(up, short(3), optionsOf({ stopLoss: 0.05, takeProfit: 0.1 }), 0, 0, 'short stop').exits, [{ bar: 2, price: 105, reason: 'stop' }], 'exits');
    const down = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [95, 96, 89, 90], // target 90
    ]);
    assertExits(assertMatches(down, short(3), optionsOf({ stopLoss: 0.05, takeProfit: 0.1 }), 0, 0, 'short target').exits, [{ bar: 2, price: 90, reason: 'target' }], 'exits');
    const trail = barsOf([
      [100, 100, 100, 100],
      [100, 101, 90, 92], // trail 110, then the low 90: 99
      [92, 100, 91, 99], // high 100 ≥ 99
    ]);
    const ref = assertMatches(trail, short(3), optionsOf({ trailingStop: 0.1 }), 0, 0, 'short trail');
    assert.equal(ref.exits[0].bar, 2);
    near(ref.exits[0].price, 99, 'short trail price');
  });

  it('ATR multiples: the distance fixed at entry from the decision bar’s ATR; off while the ATR warms up', () => {
    // Every true range is 2, so ATR(3) is 2 from bar 2 on.
    const rows: Array<[number, number, number, number]> = [];
    for (let t = 0; t < 8; t++) rows.push([100, 101, 99, 100]);
    rows[5] = [100, 101, 96.5, 97]; // low 96.5 < 100 − 1.5·2 = 97: stopped at 97
    const bars = barsOf(rows);
    const a = atr(bars.high, bars.low, bars.close, 3);
    assert.equal(a[3], 2, 'the hand-computed ATR');
    const targets = [0, 0, 0, 1, 1, 1, 1, 1]; // decided at bar 3, entered at bar 4
    const ref = assertMatches(bars, targets, optionsOf({ stopLossAtr: 1.5, atrPeriod: 3 }), 0, 0, 'atr');
    assertExits(ref.exits, [{ bar: 5, price: 97, reason: 'stop' }], 'exits');
    // Decided at bar 0 (ATR(3) undefined there): no stop for that trade.
    assertExits(assertMatches(bars, long(8), optionsOf({ stopLossAtr: 1.5, atrPeriod: 3 }), 0, 0, 'atr warm-up').exits, [], 'exits');
  });

  it('fees and slippage apply to an exit rule’s fill as to any fill', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [100, 101, 94, 95],
    ]);
    const fee = 10;
    const slip = 5;
    const ref = assertMatches(bars, long(3), optionsOf({ stopLoss: 0.05 }), fee, slip, 'costs');
    assertExits(ref.exits, [{ bar: 2, price: 95, reason: 'stop' }], 'exits');
    // From the documented formulas: u = (1 − f)/(100·(1 + s)), cash = u·95·(1 − s)·(1 − f).
    const f = fee / 1e4;
    const s = slip / 1e4;
    near(ref.equity[2], ((1 - f) / (100 * (1 + s))) * 95 * (1 - s) * (1 - f), 'cash after the stop');
  });

  it('after an exit rule the position stays flat until the strategy’s target changes', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 94, 95], // stopped at 95
      [95, 96, 94, 95],
      [95, 96, 94, 95], // target still long: no re-entry
      [95, 96, 94, 95], // target 0 at the close of bar 3, 1 again at bar 4
      [96, 97, 95, 96], // re-entered at the open of bar 5
      [96, 97, 95, 97],
    ]);
    const targets = [1, 1, 1, 0, 1, 1, 1];
    const ref = assertMatches(bars, targets, optionsOf({ stopLoss: 0.05 }), 0, 0, 'flat after');
    assert.deepEqual(ref.exits.map((e) => e.bar), [1]);
    assert.equal(ref.trades, 2);
    assert.equal(ref.inMarket, 2, 'bars 5 and 6 (bar 1 closed flat, stopped)');
  });

  it('the strategy’s own fill at the open comes first', () => {
    const bars = barsOf([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [90, 91, 89, 90], // the strategy reverses at this open (gap below the long's stop too)
      [90, 91, 89, 90],
    ]);
    const ref = assertMatches(bars, [1, -1, -1, -1], optionsOf({ stopLoss: 0.05 }), 0, 0, 'strategy first');
    assertExits(ref.exits, [], 'exits');
    assert.equal(ref.trades, 2);
  });
});

// ---------------------------------------------------------------- random bars, targets, rules, costs

const barsArbitrary = fc
  .array(fc.tuple(fc.integer({ min: -60, max: 60 }), fc.integer({ min: -40, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), { minLength: 3, maxLength: 160 })
  .map((steps) => {
    const rows: Array<[number, number, number, number]> = [];
    let previous = 100;
    for (const [gap, move, up, down] of steps) {
      const open = previous * (1 + gap / 1000);
      const close = open * (1 + move / 1000);
      rows.push([open, Math.max(open, close) * (1 + up / 1000), Math.min(open, close) * (1 - down / 1000), close]);
      previous = close;
    }
    return barsOf(rows);
  });

const fraction = (max: number) => fc.oneof(fc.constant(0), fc.integer({ min: 1, max: Math.round(max * 1000) }).map((x) => x / 1000));
const multiple = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }).map((x) => x / 10));
const optionsArbitrary = fc
  .record({
    stop: fc.constantFrom('none', 'fraction', 'atr'),
    target: fc.constantFrom('none', 'fraction', 'atr'),
    trail: fc.constantFrom('none', 'fraction', 'atr'),
    stopLoss: fraction(0.1),
    takeProfit: fraction(0.2),
    trailingStop: fraction(0.1),
    stopLossAtr: multiple,
    takeProfitAtr: multiple,
    trailingStopAtr: multiple,
    timeStop: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
    atrPeriod: fc.integer({ min: 1, max: 10 }),
  })
  .map((r) =>
    optionsOf({
      stopLoss: r.stop === 'fraction' ? r.stopLoss : 0,
      stopLossAtr: r.stop === 'atr' ? r.stopLossAtr : 0,
      takeProfit: r.target === 'fraction' ? r.takeProfit : 0,
      takeProfitAtr: r.target === 'atr' ? r.takeProfitAtr : 0,
      trailingStop: r.trail === 'fraction' ? r.trailingStop : 0,
      trailingStopAtr: r.trail === 'atr' ? r.trailingStopAtr : 0,
      timeStop: r.timeStop,
      atrPeriod: r.atrPeriod,
    }),
  );

/** Targets with runs (a strategy holds a target for a while), long-only or long/short. */
function targetsArbitrary(n: number): fc.Arbitrary<number[]> {
  return fc.tuple(fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 12 })), { minLength: 1, maxLength: n })).map(([short, runs]) => {
    const out: number[] = [];
    for (const [side, length] of runs) for (let i = 0; i < length && out.length < n; i++) out.push(side === 2 ? (short ? -1 : 0) : side);
    while (out.length < n) out.push(0);
    return out;
  });
}

const costsArbitrary = fc.record({ feeBps: fc.constantFrom(0, 5, 20), slippageBps: fc.constantFrom(0, 2, 10) });

const caseArbitrary = barsArbitrary.chain((bars) => fc.record({ bars: fc.constant(bars), targets: targetsArbitrary(bars.close.length), options: optionsArbitrary, costs: costsArbitrary }));

function assertSameBits(actual: object, expected: object, where: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(Object.is((actual as Record<string, unknown>)[key], value), `${where} ${key}: ${String((actual as Record<string, unknown>)[key])} vs ${String(value)}`);
  }
}

function prefix(bars: Bars, n: number): Bars {
  return { time: bars.time.subarray(0, n), open: bars.open.subarray(0, n), high: bars.high.subarray(0, n), low: bars.low.subarray(0, n), close: bars.close.subarray(0, n) };
}

describe('exit rules on random bars (fast-check)', () => {
  it('the engine equals the bar-by-bar reference for any bars, targets, rules and costs', () => {
    let exited = 0;
    fc.assert(
      fc.property(caseArbitrary, ({ bars, targets, options, costs }) => {
        const ref = assertMatches(bars, targets, options, costs.feeBps, costs.slippageBps, JSON.stringify(options));
        if (ref.exits.length > 0) exited++;
      }),
      { numRuns: 400 },
    );
    // A check on the generator (not on the engine): most cases must exercise an exit, or the property says little.
    assert.ok(exited >= 60, `exit rules fired in ${exited} of 400 cases`);
  });

  it('with every rule off, exits change nothing (bit for bit)', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ bars, targets, costs }) => {
        const off = engine(bars, targets, optionsOf({}), costs.feeBps, costs.slippageBps);
        const marks = new Float64Array(bars.close.length);
        const acc = simulate(bars.open, bars.close, changesOf(targets), costs, new EquityAccumulator(), 0, marks);
        assertSameBits(off.acc, acc, 'off');
        assert.deepEqual(Array.from(off.marks), Array.from(marks));
      }),
      { numRuns: 100 },
    );
  });

  it('a run continued at any bar (through its checkpoint) equals the whole run, bit for bit', () => {
    const seen = { inPosition: 0, waiting: 0 };
    fc.assert(
      fc.property(
        caseArbitrary.chain((c) => fc.record({ c: fc.constant(c), split: fc.integer({ min: 1, max: c.bars.close.length }) })),
        ({ c: { bars, targets, options, costs }, split }) => {
          const n = bars.close.length;
          const whole = engine(bars, targets, options, costs.feeBps, costs.slippageBps);
          // The run over the first `split` bars (its own ATR: the same values, it is causal).
          const before = prefix(bars, split);
          const last = new ExecutionState();
          simulate(before.open, before.close, changesOf(targets.slice(0, split)), costs, new EquityAccumulator(), 0, null, null, last, exitsOf(before, options));
          if (last.position !== 0) seen.inPosition++;
          if (last.blocked !== 0) seen.waiting++;
          const record = new Uint8Array(CHECKPOINT_BYTES);
          encodeCheckpoint(last, 7, seriesFingerprint(before, split), record, 0);
          const from = new ExecutionState();
          assert.equal(decodeCheckpoint(record, 0, 7, bars, from), 'continued');
          assertSameBits(from, last, 'decoded');
          const marks = new Float64Array(n);
          const state = new ExecutionState();
          const acc = simulate(bars.open, bars.close, changesOf(targets, split), costs, new EquityAccumulator(), 0, marks, from, state, exitsOf(bars, options));
          assertSameBits(acc, whole.acc, 'continued');
          assertSameBits(state, whole.state, 'state');
          for (let t = split; t < n; t++) assert.ok(Object.is(marks[t], whole.marks[t]), `mark ${t}`);
        },
      ),
      { numRuns: 400 },
    );
    assert.ok(seen.inPosition > 20 && seen.waiting > 20, `splits in a position / flat after an exit: ${JSON.stringify(seen)}`);
  });
});
