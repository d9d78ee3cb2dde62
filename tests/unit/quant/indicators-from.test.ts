import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bollinger } from '../../../shared/quant/indicators/bollinger.js';
import { tickGrid } from '../../../shared/quant/indicators/tick-grid.js';
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
