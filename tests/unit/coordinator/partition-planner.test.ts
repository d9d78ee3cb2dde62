import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { choosePartitionCount, MIN_COST_PER_PARTITION } from '../../../coordinator/partitions/partition-planner.js';

test('a large job gets several partitions per slot to balance uneven nodes', () => {
  const count = choosePartitionCount({
    work: { units: 10_000, costPerUnit: 1e6 },
    totalSlots: 6,
    partitionsPerSlot: 4,
    maxPartitions: 0,
  });
  assert.equal(count, 24);
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
        assert.ok(count <= Math.max(1, totalSlots) * partitionsPerSlot || count <= Math.min(units, totalSlots));
      },
    ),
  );
});

test('a job that needs more partitions (its checkpoints must fit in a message) gets them, within its units and its cap', () => {
  const input = { work: { units: 200_000, costPerUnit: 10 }, totalSlots: 2, partitionsPerSlot: 4, maxPartitions: 0 };
  assert.equal(choosePartitionCount(input), 2);
  assert.equal(choosePartitionCount({ ...input, minPartitions: 4 }), 4);
  assert.equal(choosePartitionCount({ ...input, minPartitions: 4, maxPartitions: 3 }), 3, "the job's cap wins");
  assert.equal(choosePartitionCount({ ...input, work: { units: 3, costPerUnit: 10 }, minPartitions: 4 }), 3, 'never more than the units');
});
