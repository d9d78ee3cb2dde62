import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionsPerSecond } from '../../../../coordinator/dashboard/cluster-samples.js';
import { startOfUtcDay } from '../../../../coordinator/dashboard/overview.js';

test('partitions per second: each coordinator over its samples in the last minute, summed', () => {
  const now = 100_000;
  const a: Array<[number, number]> = [
    [20_000, 0],
    [40_000, 500],
    [100_000, 1700],
  ];
  const b: Array<[number, number]> = [
    [90_000, 10],
    [100_000, 30],
  ];
  // a: the window keeps 40 s → 100 s (20 s too old): 1200 in 60 s = 20/s; b: 20 in 10 s = 2/s.
  assert.equal(partitionsPerSecond([a, b], now), 22);
  assert.equal(partitionsPerSecond([[[100_000, 5]]], now), 0, 'one sample: no rate');
  assert.equal(partitionsPerSecond([[[90_000, 50], [100_000, 10]]], now), 0, 'a restarted count is no rate');
});

test('start of the UTC day', () => {
  assert.equal(startOfUtcDay(Date.UTC(2026, 11, 2, 3, 15, 9)), Date.UTC(2026, 11, 2));
});
