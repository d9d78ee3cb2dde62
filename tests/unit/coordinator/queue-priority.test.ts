import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { queuePriority } from '../../../coordinator/jobs/job-store.js';

test('a higher quantgrid priority gets a lower BullMQ priority, always within BullMQ\'s 1 … 2^21 − 1', () => {
  assert.equal(queuePriority(0), 2 ** 20);
  assert.equal(queuePriority(1), 2 ** 20 - 1);
  assert.equal(queuePriority(-1), 2 ** 20 + 1);
  assert.equal(queuePriority(2 ** 31 - 1), 1);
  assert.equal(queuePriority(-(2 ** 31)), 2 ** 21 - 1);
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (a, b) => {
      const [pa, pb] = [queuePriority(a), queuePriority(b)];
      assert.ok(Number.isInteger(pa) && pa >= 1 && pa <= 2 ** 21 - 1);
      if (a > b) assert.ok(pa <= pb, `${a} > ${b} but ${pa} > ${pb}`);
      // Distinct within the range where the order does not saturate.
      if (a !== b && Math.abs(a) < 2 ** 20 && Math.abs(b) < 2 ** 20) assert.notEqual(pa, pb);
    }),
  );
});
