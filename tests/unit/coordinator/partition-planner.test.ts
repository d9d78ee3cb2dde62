import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { choosePartitionCount, MIN_COST_PER_PARTITION, PARTITION_OVERHEAD_COST, tailBalancedCount } from '../../../coordinator/partition-planner.js';

test('a job gets several partitions per slot to balance uneven nodes', () => {
  const count = choosePartitionCount({
    work: { units: 10_000, costPerUnit: 1e4 },
    totalSlots: 6,
    partitionsPerSlot: 4,
    maxPartitions: 0,
  });
  assert.equal(count, 24);
});

test('a long job gets more, smaller partitions, balancing the end-of-job tail against per-partition overhead', () => {
  // 10,000 combinations × 100,000 bars on 2 slots: √(1 · 1e9 / 2e6) = 22 partitions instead of 8.
  const sweep = { units: 10_000, costPerUnit: 100_000 };
  assert.equal(choosePartitionCount({ work: sweep, totalSlots: 2, partitionsPerSlot: 4, maxPartitions: 0 }), 22);
  assert.equal(choosePartitionCount({ work: sweep, totalSlots: 4, partitionsPerSlot: 4, maxPartitions: 0 }), 38);
  // One slot has no tail to shorten: partitions per slot alone decide.
  assert.equal(choosePartitionCount({ work: sweep, totalSlots: 1, partitionsPerSlot: 4, maxPartitions: 0 }), 4);
  // The job's cap still wins.
  assert.equal(choosePartitionCount({ work: sweep, totalSlots: 4, partitionsPerSlot: 4, maxPartitions: 10 }), 10);
});

test('the tail-balanced count minimises per-partition overhead plus the expected tail', () => {
  const loss = (n: number, work: number, slots: number) => (n * PARTITION_OVERHEAD_COST) / slots + ((slots - 1) / slots) * (work / (2 * n));
  fc.assert(
    fc.property(fc.double({ min: 1e7, max: 1e13, noNaN: true }), fc.integer({ min: 2, max: 256 }), (work, slots) => {
      const n = tailBalancedCount(work, slots);
      assert.ok(n >= 1);
      // n is the floor of the real optimum: the best whole count is n or n + 1.
      const best = Math.min(loss(n, work, slots), loss(n + 1, work, slots));
      for (const other of [Math.max(1, Math.floor(n / 2)), Math.max(1, n - 1), n + 2, n * 2]) assert.ok(best <= loss(other, work, slots) * (1 + 1e-9));
    }),
  );
  assert.equal(tailBalancedCount(1e12, 1), 0);
  assert.equal(tailBalancedCount(0, 8), 0);
});

test('partitions are not made smaller than the minimum worth sending, but every slot gets one', () => {
  const tiny = choosePartitionCount({ work: { units: 1000, costPerUnit: 10 }, totalSlots: 6, partitionsPerSlot: 4, maxPartitions: 0 });
  assert.equal(tiny, 6);
  const medium = choosePartitionCount({
    work: { units: 1000, costPerUnit: (MIN_COST_PER_PARTITION * 10) / 1000 },
    totalSlots: 6,
    partitionsPerSlot: 4,
    maxPartitions: 0,
  });
  assert.equal(medium, 10);
});

test('never more partitions than units, the job\'s cap respected, at least one', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.double({ min: 0, max: 1e9, noNaN: true }),
      fc.integer({ min: 0, max: 512 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 0, max: 1000 }),
      (units, costPerUnit, totalSlots, partitionsPerSlot, maxPartitions) => {
        const count = choosePartitionCount({ work: { units, costPerUnit }, totalSlots, partitionsPerSlot, maxPartitions });
        assert.ok(Number.isInteger(count));
        assert.ok(count >= 1);
        assert.ok(count <= units);
        if (maxPartitions > 0) assert.ok(count <= maxPartitions);
        const forBalance = Math.max(Math.max(1, totalSlots) * partitionsPerSlot, tailBalancedCount(units * costPerUnit, Math.max(1, totalSlots)));
        assert.ok(count <= forBalance || count <= Math.min(units, totalSlots));
      },
    ),
  );
});
