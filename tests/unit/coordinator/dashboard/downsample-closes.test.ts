import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { downsampleMinMax } from '../../../../coordinator/dashboard/downsample-closes.js';

/** The reference, written plainly: first, then per run the indexes of its lowest and highest (first of equals), then last. */
function reference(values: number[], points: number): number[] {
  const n = values.length;
  if (n <= points) return values.map((_, i) => i);
  const runs = Math.floor((points - 2) / 2);
  const kept = [0];
  for (let run = 0; run < runs; run++) {
    const from = 1 + Math.floor((run * (n - 2)) / runs);
    const to = 1 + Math.floor(((run + 1) * (n - 2)) / runs);
    const slice = values.slice(from, to);
    if (slice.length === 0) continue;
    const low = from + slice.indexOf(Math.min(...slice));
    const high = from + slice.indexOf(Math.max(...slice));
    for (const i of [...new Set([low, high])].sort((a, b) => a - b)) kept.push(i);
  }
  kept.push(n - 1);
  return kept;
}

test('a series no longer than the points is returned whole', () => {
  assert.deepEqual(downsampleMinMax([1, 2, 3], [5, 6, 7], 3), { time: [1, 2, 3], value: [5, 6, 7] });
  assert.deepEqual(downsampleMinMax([], [], 10), { time: [], value: [] });
});

test('runs keep their lowest and highest in time order, the ends always kept', () => {
  // 12 bars, 6 points: first, last, and 2 runs of 5 inner bars each.
  const values = [10, 3, 9, 1, 7, 8, 2, 20, 4, 5, 6, 11];
  const time = values.map((_, i) => 1000 + i);
  const { time: t, value } = downsampleMinMax(time, values, 6);
  // Run 1 = bars 1..5 (3, 9, 1, 7, 8): low bar 3 (1), high bar 2 (9). Run 2 = bars 6..10 (2, 20, 4, 5, 6): low 6, high 7.
  assert.deepEqual(t, [1000, 1002, 1003, 1006, 1007, 1011]);
  assert.deepEqual(value, [10, 9, 1, 2, 20, 11]);
});

test('for any series: at most `points` points, in time order, matching the plain reference, extremes kept', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 0, maxLength: 400 }), fc.integer({ min: 2, max: 120 }), (values, points) => {
      const time = values.map((_, i) => i * 60_000);
      const got = downsampleMinMax(time, values, points);
      assert.ok(got.time.length <= points);
      const indexes = got.time.map((t) => t / 60_000);
      assert.deepEqual(indexes, reference(values, points));
      for (let i = 1; i < indexes.length; i++) assert.ok(indexes[i] > indexes[i - 1]);
      if (values.length > 0 && points >= 4) {
        assert.ok(got.value.includes(Math.max(...values)) && got.value.includes(Math.min(...values)));
      }
    }),
  );
});
