import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AVERAGE_MONTH_MS,
  hasFixedLength,
  isResampleableTo,
  isTimeframe,
  monthStartMs,
  nominalTimeframeMs,
  periodsPerYear,
  TIMEFRAMES,
  timeframeMs,
} from '../../../shared/quant/timeframes.js';

describe('timeframes', () => {
  it('lists the supported timeframes with their length; 1M has none', () => {
    assert.deepEqual([...TIMEFRAMES], ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1M']);
    assert.deepEqual(
      TIMEFRAMES.filter(hasFixedLength).map((tf) => timeframeMs(tf) / 60_000),
      [1, 5, 15, 30, 60, 240, 1440, 10_080],
    );
    assert.equal(hasFixedLength('1M'), false);
    assert.equal(nominalTimeframeMs('1M'), AVERAGE_MONTH_MS);
    assert.equal(nominalTimeframeMs('1w'), 7 * 86_400_000);
    assert.ok(isTimeframe('4h'));
    assert.ok(isTimeframe('1w'));
    assert.ok(isTimeframe('1M'));
    assert.ok(!isTimeframe('2h'));
    assert.ok(!isTimeframe('1W'));
    assert.ok(!isTimeframe('toString'));
    assert.ok(!isTimeframe(60));
  });

  it('counts periods per year on a 365-day year by default, 252 on request', () => {
    assert.equal(periodsPerYear('1d'), 365);
    assert.equal(periodsPerYear('1h'), 365 * 24);
    assert.equal(periodsPerYear('1m'), 365 * 24 * 60);
    assert.equal(periodsPerYear('4h'), 365 * 6);
    assert.equal(periodsPerYear('1d', 252), 252);
    assert.equal(periodsPerYear('1h', 252), 252 * 24);
  });

  it('counts weeks as 7 calendar days (5 trading days with 252) and months as 12 a year', () => {
    assert.equal(periodsPerYear('1w'), 365 / 7);
    assert.equal(periodsPerYear('1w', 252), 252 / 5);
    assert.equal(periodsPerYear('1M'), 12);
    assert.equal(periodsPerYear('1M', 252), 12);
  });

  it('gives the start of any calendar month, also far outside what Date can represent', () => {
    for (let index = -30_000; index <= 30_000; index += 7) {
      assert.equal(monthStartMs(index), Date.UTC(1970, index, 1), `month ${index}`);
    }
    for (const index of [0, 1, 2, 11, 12, 25, -1, -2, -12, -13, 361]) assert.equal(monthStartMs(index), Date.UTC(1970, index, 1), `month ${index}`);
    const far = monthStartMs(-5_000_000);
    assert.ok(Number.isFinite(far) && far < monthStartMs(-4_999_999));
    const yearDays = (monthStartMs(-4_999_988) - far) / 86_400_000;
    assert.ok(yearDays === 365 || yearDays === 366, `a year is ${yearDays} days`);
    // The Gregorian cycle: 400 years are 146,097 days anywhere.
    assert.equal(monthStartMs(-5_000_000 + 4800) - far, 146_097 * 86_400_000);
  });

  it('resamples only to the same timeframe, a whole multiple, or a week or month from at most a day', () => {
    const yes: Array<[string, string]> = [
      ['1m', '1m'], ['1m', '5m'], ['1m', '1h'], ['1m', '1d'], ['5m', '15m'], ['15m', '1h'], ['30m', '4h'], ['1h', '4h'], ['4h', '1d'],
      ['1m', '1w'], ['4h', '1w'], ['1d', '1w'], ['1m', '1M'], ['1d', '1M'], ['1w', '1w'], ['1M', '1M'],
    ];
    const no: Array<[string, string]> = [['5m', '1m'], ['1h', '5m'], ['1d', '4h'], ['1w', '1d'], ['1w', '1M'], ['1M', '1w'], ['1M', '1d']];
    for (const [from, to] of yes) assert.ok(isResampleableTo(from as never, to as never), `${from} → ${to}`);
    for (const [from, to] of no) assert.ok(!isResampleableTo(from as never, to as never), `${from} → ${to}`);
  });
});
