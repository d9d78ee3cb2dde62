import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PartitionQueue } from '../../../coordinator/partitions/partition-queue.js';

test('higher priority first, first-in first-out within a priority, unshift goes to the front of its priority', () => {
  const queue = new PartitionQueue<string>();
  queue.push('low-1', 0);
  queue.push('high-1', 5);
  queue.push('low-2', 0);
  queue.push('high-2', 5);
  queue.unshift('low-retry', 0);
  const order: string[] = [];
  while (queue.size > 0) order.push(queue.shift()!.item);
  assert.deepEqual(order, ['high-1', 'high-2', 'low-retry', 'low-1', 'low-2']);
  assert.equal(queue.shift(), undefined);
});

test('matches a stable sort by priority (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 200 }), (priorities) => {
      const queue = new PartitionQueue<number>();
      priorities.forEach((priority, index) => queue.push(index, priority));
      const expected = priorities.map((priority, index) => ({ priority, index })).sort((a, b) => b.priority - a.priority || a.index - b.index);
      const actual: number[] = [];
      while (queue.size > 0) actual.push(queue.shift()!.item);
      assert.deepEqual(actual, expected.map((entry) => entry.index));
    }),
  );
});
