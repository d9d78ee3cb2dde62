import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_STRAGGLER_RULE, doneFractionRefusal, isStraggler, stragglerRatioRefusal, type StragglerRule } from '../../../coordinator/partitions/straggler-rule.js';
import { medianOfSorted, RunTimes } from '../../../coordinator/partitions/run-times.js';

const RULE: StragglerRule = { ratio: 2, doneFraction: 0.75, minRuntimeMs: 500 };

function timesOf(total: number, finished: readonly number[]): RunTimes {
  const times = new RunTimes();
  times.total = total;
  for (const ms of finished) times.record(ms);
  return times;
}

test('defaults: past 2× the median, once ¾ are done, after 2 s', () => {
  assert.deepEqual({ ...DEFAULT_STRAGGLER_RULE }, { ratio: 2, doneFraction: 0.75, minRuntimeMs: 2000 });
});

test('the rule at its edges: ¾ done, twice the median, the minimum runtime', () => {
  // 8 partitions; finished ones took 900, 1000 (×4), 1100 ms: median 1000.
  const six = timesOf(8, [1000, 900, 1100, 1000, 1000, 1000]);
  assert.equal(isStraggler(RULE, six, 2001), true);
  assert.equal(isStraggler(RULE, six, 2000), false, 'not past twice the median');
  const five = timesOf(8, [1000, 900, 1100, 1000, 1000]);
  assert.equal(isStraggler(RULE, five, 60_000), false, '5/8 done is under ¾');
  const quick = timesOf(8, [100, 100, 100, 100, 100, 100]);
  assert.equal(isStraggler(RULE, quick, 499), false, 'younger than the minimum runtime');
  assert.equal(isStraggler(RULE, quick, 500), true);
  assert.equal(isStraggler({ ...RULE, ratio: 0 }, six, 1e9), false, 'ratio 0: no backups');
  assert.equal(isStraggler(RULE, timesOf(0, []), 1e9), false, 'nothing dispatched');
});

test('property: a straggler stays one as it runs on, and never is one before the job is far enough along or young', () => {
  fc.assert(
    fc.property(
      fc.record({ ratio: fc.double({ min: 1.01, max: 10, noNaN: true }), doneFraction: fc.double({ min: 0.01, max: 1, noNaN: true }), minRuntimeMs: fc.integer({ min: 0, max: 10_000 }) }),
      fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (rule, finished, unfinished, elapsed, more) => {
        const times = timesOf(finished.length + unfinished, finished);
        const now = isStraggler(rule, times, elapsed);
        if (now) assert.equal(isStraggler(rule, times, elapsed + more), true);
        if (finished.length < rule.doneFraction * times.total) assert.equal(now, false);
        if (elapsed < rule.minRuntimeMs) assert.equal(now, false);
        // Never one at or under the ratio times the slowest finished partition's median bound.
        const sorted = [...finished].sort((a, b) => a - b);
        if (elapsed <= rule.ratio * sorted[0]) assert.equal(now, false, 'faster than ratio × the quickest finished one');
        if (elapsed > rule.ratio * sorted[sorted.length - 1] && elapsed >= rule.minRuntimeMs && finished.length >= rule.doneFraction * times.total) {
          assert.equal(now, true, 'slower than ratio × the slowest finished one');
        }
      },
    ),
  );
});

test('property: RunTimes keeps the median of what was recorded, asked between records or not', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.boolean()), { maxLength: 200 }), (steps) => {
      const times = new RunTimes();
      const seen: number[] = [];
      for (const [ms, ask] of steps) {
        times.record(ms);
        seen.push(ms);
        if (!ask) continue;
        // Reference: the value with as many at or below it as at or above it (the mean of two for an even count).
        const n = seen.length;
        const isMiddle = (x: number): boolean => seen.filter((y) => y < x).length <= (n - 1) / 2 && seen.filter((y) => y > x).length <= (n - 1) / 2;
        const lower = Math.min(...seen.filter((x) => seen.filter((y) => y <= x).length >= n / 2));
        const upper = Math.max(...seen.filter((x) => seen.filter((y) => y >= x).length >= n / 2));
        if (n % 2 === 1) assert.ok(isMiddle(times.medianMs), `${times.medianMs} is the middle of ${seen}`);
        assert.equal(times.medianMs, (lower + upper) / 2);
        assert.equal(times.finished, n);
      }
    }),
  );
  assert.equal(medianOfSorted([]), 0);
  assert.equal(medianOfSorted([3]), 3);
  assert.equal(medianOfSorted([1, 2, 10, 11]), 6);
});

test('refusals: ratio 0 or above 1; done fraction in (0, 1]', () => {
  for (const ok of [0, 1.5, 2, 10]) assert.equal(stragglerRatioRefusal(ok), undefined, String(ok));
  for (const bad of [1, 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.ok(stragglerRatioRefusal(bad), String(bad));
  for (const ok of [0.01, 0.75, 1]) assert.equal(doneFractionRefusal(ok), undefined, String(ok));
  for (const bad of [0, -0.5, 1.01, Number.NaN]) assert.ok(doneFractionRefusal(bad), String(bad));
});
