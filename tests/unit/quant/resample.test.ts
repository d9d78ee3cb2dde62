import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { bucketStart, resample, RESAMPLE_TARGETS, type OhlcvColumns, type ResampleTarget } from '../../../shared/quant/resample.js';

/** The obvious way: group bars by a calendar key computed with Date, then fold each group. */
function referenceResample(bars: OhlcvColumns, key: (time: number) => number): Array<[number, number, number, number, number, number]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < bars.time.length; i++) {
    const k = key(bars.time[i]);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(i);
  }
  return [...groups.entries()].map(([k, rows]) => [
    k,
    bars.open[rows[0]],
    Math.max(...rows.map((i) => bars.high[i])),
    Math.min(...rows.map((i) => bars.low[i])),
    bars.close[rows[rows.length - 1]],
    rows.reduce((sum, i) => sum + bars.volume[i], 0),
  ]);
}

function rows(bars: OhlcvColumns): Array<[number, number, number, number, number, number]> {
  return Array.from(bars.time, (t, i) => [t, bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i]]);
}

function closeTo(actual: ReturnType<typeof rows>, expected: ReturnType<typeof rows>): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, r) =>
    row.forEach((value, c) => assert.ok(Math.abs(value - expected[r][c]) <= 1e-9 * Math.max(1, Math.abs(expected[r][c])), `row ${r} col ${c}: ${value} vs ${expected[r][c]}`)),
  );
}

const calendarKey: Record<'1d' | '1w' | '1M', (t: number) => number> = {
  '1d': (t) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  },
  '1w': (t) => {
    const d = new Date(t);
    const daysSinceMonday = (d.getUTCDay() + 6) % 7;
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysSinceMonday);
  },
  '1M': (t) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  },
};

describe('resampling OHLCV', () => {
  const minutes = generateSyntheticSeries({ seed: 9, symbol: 'BTC', timeframe: '1m', bars: 20_000 });
  const hours = generateSyntheticSeries({ seed: 9, symbol: 'BTC', timeframe: '1h', bars: 24 * 400 });

  it('matches a group-by-calendar reference for days, Monday-aligned weeks and calendar months', () => {
    for (const target of ['1d', '1w', '1M'] as const) {
      closeTo(rows(resample(hours, target)), referenceResample(hours, calendarKey[target]));
    }
  });

  it('weeks start on Monday 00:00 UTC and months on the 1st', () => {
    const thursday = Date.UTC(2024, 1, 29, 13, 45); // Thu 29 Feb 2024
    assert.equal(bucketStart(thursday, '1w'), Date.UTC(2024, 1, 26));
    assert.equal(new Date(bucketStart(thursday, '1w')).getUTCDay(), 1);
    assert.equal(bucketStart(thursday, '1M'), Date.UTC(2024, 1, 1));
    assert.equal(bucketStart(thursday, '4h'), Date.UTC(2024, 1, 29, 12));
    assert.equal(bucketStart(thursday, '15m'), Date.UTC(2024, 1, 29, 13, 45));
  });

  it('in steps or at once gives the same bars, conserves volume and keeps OHLC consistent (property)', () => {
    const chains: Array<[ResampleTarget, ResampleTarget]> = [
      ['5m', '1h'],
      ['15m', '4h'],
      ['1h', '1d'],
      ['30m', '1d'],
      ['1d', '1w'],
      ['1d', '1M'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...chains), fc.integer({ min: 0, max: 15_000 }), fc.integer({ min: 1, max: 5000 }), ([middle, target], from, length) => {
        const slice: OhlcvColumns = {
          time: minutes.time.subarray(from, from + length),
          open: minutes.open.subarray(from, from + length),
          high: minutes.high.subarray(from, from + length),
          low: minutes.low.subarray(from, from + length),
          close: minutes.close.subarray(from, from + length),
          volume: minutes.volume.subarray(from, from + length),
        };
        const direct = resample(slice, target);
        closeTo(rows(resample(resample(slice, middle), target)), rows(direct));
        const total = (v: Float64Array) => v.reduce((sum, x) => sum + x, 0);
        assert.ok(Math.abs(total(direct.volume) - total(slice.volume)) <= 1e-9 * total(slice.volume));
        for (let i = 0; i < direct.time.length; i++) {
          assert.ok(direct.high[i] >= Math.max(direct.open[i], direct.close[i]));
          assert.ok(direct.low[i] <= Math.min(direct.open[i], direct.close[i]));
          if (i > 0) assert.ok(direct.time[i] > direct.time[i - 1]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('resampling to the same timeframe changes nothing; unsorted input is refused', () => {
    closeTo(rows(resample(hours, '1h')), rows(hours));
    const unsorted: OhlcvColumns = { ...hours, time: Float64Array.from(hours.time).reverse() };
    assert.throws(() => resample(unsorted, '1d'), /not sorted by time at index 1/);
    assert.deepEqual([...RESAMPLE_TARGETS], ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1M']);
  });
});
