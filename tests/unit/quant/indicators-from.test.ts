import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bollinger } from '../../../shared/quant/indicators/bollinger.js';
import { extendTickGridScan, scanTickGrid, tickGrid, tickGridOfScan } from '../../../shared/quant/indicators/tick-grid.js';
import { wma } from '../../../shared/quant/indicators/wma.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';

/**
 * bollinger() and wma() from a bar (an incremental re-run's first new bar) give, at every bar from
 * there on, the whole-series values bit for bit (Object.is), on float data and on whole cents (exact
 * bands, and exact means without exact bands), past their absolute re-summing points; NaN for the
 * warm-up bars at or after `from`.
 */

const BARS = 3500;
const base = generateSyntheticSeries({ seed: 3, symbol: 'F', timeframe: '1h', bars: BARS }).close;
const float = Float64Array.from(base);
const cents = base.map((v) => Math.round(v * 100) / 100);
// Whole cents with one large price: exact window means but not exact bands.
const large = Float64Array.from(cents);
large[BARS - 400] = 3e9;

function sameFrom(actual: Float64Array, expected: Float64Array, from: number, what: string): void {
  for (let t = from; t < expected.length; t++) assert.ok(Object.is(actual[t], expected[t]), `${what} at ${t}: ${actual[t]} ≠ ${expected[t]}`);
}

describe('windowed indicators from a bar', () => {
  it('bollinger(…, from) equals the whole run at every bar ≥ from', () => {
    fc.assert(
      fc.property(fc.constantFrom(float, cents, large), fc.integer({ min: 1, max: BARS - 1 }), fc.constantFrom(2, 20, 50, 1100), (values, from, period) => {
        const grid = tickGrid(values) ?? null;
        const whole = bollinger(values, period, 2, grid);
        const part = bollinger(values, period, 2, grid, from);
        sameFrom(part.middle, whole.middle, from, 'middle');
        sameFrom(part.upper, whole.upper, from, 'upper');
        sameFrom(part.lower, whole.lower, from, 'lower');
      }),
      { numRuns: 60 },
    );
  });

  it('wma(…, from) equals the whole run at every bar ≥ from', () => {
    fc.assert(
      fc.property(fc.constantFrom(float, cents), fc.integer({ min: 1, max: BARS - 1 }), fc.constantFrom(1, 20, 300, 1100), (values, from, period) => {
        sameFrom(wma(values, period, undefined, from), wma(values, period), from, 'wma');
      }),
      { numRuns: 60 },
    );
  });
});

describe('the tick grid scanned in parts (an incremental re-run scans only its new values)', () => {
  const finer = Float64Array.from(cents);
  finer[2000] = Math.round((finer[2000] + 0.001) * 1000) / 1000; // 3 decimals from bar 2000
  const off = Float64Array.from(cents);
  off[2500] = off[2500] + Math.PI * 1e-6; // on no grid from bar 2500
  const series = [float, cents, large, finer, off];

  it('extending a scan of a prefix gives the scan of the longer prefix, or says to scan again when the decimals grow', () => {
    fc.assert(
      fc.property(fc.constantFrom(...series), fc.integer({ min: 0, max: BARS }), fc.integer({ min: 0, max: BARS }), (values, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const extended = extendTickGridScan(values, scanTickGrid(values, from), from, to);
        const direct = scanTickGrid(values, to);
        if (extended === undefined) assert.notEqual(scanTickGrid(values, from).decimals, direct.decimals, 'only when the decimals grow');
        else assert.deepStrictEqual(extended, direct);
      }),
      { numRuns: 200 },
    );
  });

  it('the grid of a scan is tickGrid\'s where its units are written', () => {
    for (const values of series) {
      const whole = tickGrid(values);
      const ofScan = tickGridOfScan(values, scanTickGrid(values, values.length), 64, values.length - 1100);
      assert.equal(ofScan === undefined, whole === undefined);
      if (!whole || !ofScan) continue;
      assert.deepStrictEqual([ofScan.decimals, ofScan.scale, ofScan.maxUnits], [whole.decimals, whole.scale, whole.maxUnits]);
      assert.deepStrictEqual(ofScan.units.subarray(0, 64), whole.units.subarray(0, 64));
      assert.deepStrictEqual(ofScan.units.subarray(values.length - 1100), whole.units.subarray(values.length - 1100));
    }
  });
});
