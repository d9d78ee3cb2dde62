import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { TIMEFRAMES, type Timeframe } from '../../../shared/quant/timeframes.js';
import { autoYearDays } from '../../../shared/quant/year-days.js';

const H = 3_600_000;
const D = 24 * H;
const MONDAY = Date.UTC(2024, 0, 1);

/** Open times over `days` days from Monday 2024-01-01, every `step` ms, kept where `keep` says (UTC). */
function bars(days: number, step: number, keep: (date: Date) => boolean = () => true): number[] {
  const out: number[] = [];
  for (let t = MONDAY; t < MONDAY + days * D; t += step) if (keep(new Date(t))) out.push(t);
  return out;
}
const weekday = (date: Date) => date.getUTCDay() >= 1 && date.getUTCDay() <= 5;

describe('year_days auto: 252 without weekend trading, else 365', () => {
  it('daily bars: Monday to Friday 252, every day 365, a few weekend bars missing still 365', () => {
    assert.equal(autoYearDays(bars(400, D, weekday), '1d'), 252);
    assert.equal(autoYearDays(bars(400, D), '1d'), 365);
    const holey = bars(400, D).filter((t, i) => !(new Date(t).getUTCDay() === 6 && i % 3 === 0));
    assert.equal(autoYearDays(holey, '1d'), 365);
  });

  it('intraday: an exchange session, FX/futures opening Sunday evening UTC, a Sunday-to-Thursday exchange, a Saturday make-up session: 252', () => {
    const session = bars(120, H, (d) => weekday(d) && d.getUTCHours() >= 14 && d.getUTCHours() <= 20);
    assert.equal(autoYearDays(session, '1h'), 252);
    // FX: Sunday 22:00 UTC to Friday 22:00 UTC
    const fx = bars(120, H, (d) => (d.getUTCDay() === 0 && d.getUTCHours() >= 22) || (weekday(d) && !(d.getUTCDay() === 5 && d.getUTCHours() >= 22)));
    assert.equal(autoYearDays(fx, '1h'), 252);
    const sundayToThursday = bars(120, H, (d) => d.getUTCDay() <= 4 && d.getUTCHours() >= 7 && d.getUTCHours() < 12);
    assert.equal(autoYearDays(sundayToThursday, '1h'), 252);
    const makeUp = [...bars(400, D, weekday), MONDAY + 5 * D].sort((a, b) => a - b); // one Saturday
    assert.equal(autoYearDays(makeUp, '1d'), 252);
    assert.equal(autoYearDays(bars(60, 5 * 60_000), '5m'), 365);
  });

  it('weekly and monthly bars, and series of less than two weeks, cannot tell: 365', () => {
    assert.equal(autoYearDays(bars(700, 7 * D), '1w'), 365);
    assert.equal(autoYearDays(Array.from({ length: 24 }, (_, i) => Date.UTC(2024, i, 1)), '1M'), 365);
    assert.equal(autoYearDays(bars(13, D, weekday), '1d'), 365);
    assert.equal(autoYearDays(bars(15, D, weekday), '1d'), 252);
    assert.equal(autoYearDays([], '1h'), 365);
    assert.equal(autoYearDays([MONDAY], '1h'), 365);
  });

  it('times before 1970 count their weekday right', () => {
    const sixties = Date.UTC(1965, 0, 4); // a Monday
    const times = Array.from({ length: 300 }, (_, i) => sixties + i * D).filter((t) => weekday(new Date(t)));
    assert.equal(autoYearDays(times, '1d'), 252);
  });

  it('synthetic series (every day covered) give 365 at every timeframe below a week (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...TIMEFRAMES.filter((t): t is Timeframe => t !== '1w' && t !== '1M')), (seed, timeframe) => {
        const series = generateSyntheticSeries({ seed, symbol: 'X', timeframe, bars: 5000 });
        if (series.time[series.time.length - 1] - series.time[0] < 14 * D) return; // too short to tell
        assert.equal(autoYearDays(series.time, timeframe), 365);
      }),
      { numRuns: 30 },
    );
  });
});
