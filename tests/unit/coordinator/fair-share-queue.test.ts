import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FairShareQueue } from '../../../coordinator/partitions/fair-share-queue.js';
import { PartitionQueue } from '../../../coordinator/partitions/partition-queue.js';

test('users take turns, one partition each, whatever each has queued', () => {
  const queue = new FairShareQueue<string>();
  for (let i = 0; i < 1000; i++) queue.push(`a${i}`, 0, 'alice');
  queue.push('b0', 0, 'bob');
  queue.push('b1', 0, 'bob');
  const order = Array.from({ length: 6 }, () => queue.shift()!.item);
  assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2', 'a3']);
  assert.equal(queue.size, 996);
  assert.equal(queue.users, 1);
});

test('within one user: priority order, first in first out, items put back go first', () => {
  const queue = new FairShareQueue<string>();
  queue.push('low', 0, 'u');
  queue.push('high', 5, 'u');
  queue.push('high2', 5, 'u');
  const first = queue.shift()!;
  assert.deepEqual(first, { item: 'high', priority: 5, user: 'u' });
  queue.unshift(first.item, first.priority, first.user);
  assert.deepEqual([queue.shift()!.item, queue.shift()!.item, queue.shift()!.item], ['high', 'high2', 'low']);
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.size, 0);
});

test('for any pushes: each user sees its own queue order, and no user waits more than one turn of the others', () => {
  const op = fc.record({ user: fc.constantFrom('a', 'b', 'c', 'd'), priority: fc.integer({ min: -2, max: 2 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const fair = new FairShareQueue<number>();
      const reference = new Map<string, PartitionQueue<number>>();
      ops.forEach(({ user, priority }, i) => {
        fair.push(i, priority, user);
        if (!reference.has(user)) reference.set(user, new PartitionQueue<number>());
        reference.get(user)!.push(i, priority);
      });
      const waiting = new Map([...reference].map(([user, q]) => [user, q.size]));
      const sinceServed = new Map([...reference.keys()].map((user) => [user, 0]));
      for (let n = 0; n < ops.length; n++) {
        const { item, user } = fair.shift()!;
        assert.equal(item, reference.get(user)!.shift()!.item, 'a user\'s partitions come in its own priority order');
        waiting.set(user, waiting.get(user)! - 1);
        for (const other of sinceServed.keys()) {
          if (other === user) sinceServed.set(other, 0);
          else if (waiting.get(other)! > 0) {
            sinceServed.set(other, sinceServed.get(other)! + 1);
            assert.ok(sinceServed.get(other)! < reference.size, `${other} waited ${sinceServed.get(other)} shifts with work queued`);
          }
        }
      }
      assert.equal(fair.shift(), undefined);
    }),
    { numRuns: 300 },
  );
});
