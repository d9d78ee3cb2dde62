import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../../../coordinator/redis/group-commit.js';

/** A write that takes what was buffered and finishes when the test says so. */
function harness() {
  let buffered: number[] = [];
  const writes: number[][] = [];
  const finishers: Array<(error?: Error) => void> = [];
  const commit = new GroupCommit(
    () =>
      new Promise<void>((resolve, reject) => {
        writes.push(buffered);
        buffered = [];
        finishers.push((error) => (error ? reject(error) : resolve()));
      }),
  );
  const add = (value: number) => {
    buffered.push(value);
    return commit.request();
  };
  return { add, writes, finish: (error?: Error) => finishers.shift()!(error) };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('requests of one tick share one write; requests during a write share the next; each resolves with its own write', async () => {
  const { add, writes, finish } = harness();
  const settled: number[] = [];
  const first = [1, 2, 3].map((v) => add(v).then(() => settled.push(v)));
  assert.equal(writes.length, 0, 'nothing is written within the tick');
  await turn();
  assert.deepEqual(writes, [[1, 2, 3]]);
  const second = [4, 5].map((v) => add(v).then(() => settled.push(v)));
  await turn();
  assert.equal(writes.length, 1, 'at most one write in flight');
  finish();
  await Promise.all(first);
  assert.deepEqual(settled, [1, 2, 3]);
  await turn();
  assert.deepEqual(writes, [[1, 2, 3], [4, 5]]);
  finish();
  await Promise.all(second);
  assert.deepEqual(settled, [1, 2, 3, 4, 5]);
});

test('a failed write rejects its own requests only; the next write still happens', async () => {
  const { add, writes, finish } = harness();
  const failing = add(1);
  await turn();
  const following = add(2);
  finish(new Error('redis down'));
  await assert.rejects(failing, /redis down/);
  await turn();
  assert.deepEqual(writes, [[1], [2]]);
  finish();
  await following;
});
