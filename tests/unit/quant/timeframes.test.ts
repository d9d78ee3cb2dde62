import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimeframe, periodsPerYear, TIMEFRAMES, timeframeMs } from '../../../shared/quant/timeframes.js';

describe('timeframes', () => {
  it('lists the supported timeframes with their length', () => {
    assert.deepEqual([...TIMEFRAMES], ['1m', '5m', '15m', '30m', '1h', '4h', '1d']);
    assert.deepEqual(
      TIMEFRAMES.map((tf) => timeframeMs(tf) / 60_000),
      [1, 5, 15, 30, 60, 240, 1440],
    );
    assert.ok(isTimeframe('4h'));
    assert.ok(!isTimeframe('2h'));
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
});
