import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ancestorsOf, MAX_LINEAGE_DEPTH, type DatasetLineage } from '../../../coordinator/jobs/previous-run.js';

/** A lineage from a map of id → parent id. */
function lineage(parents: Record<string, string | undefined>): DatasetLineage & { lookups: number } {
  const source = {
    lookups: 0,
    info: async (id: string) => {
      source.lookups++;
      return id in parents ? { id, parentId: parents[id], bars: 100 } : undefined;
    },
  };
  return source;
}

test('the ancestors of a version, nearest first, up to the first import', async () => {
  const chain = lineage({ d3: 'd2', d2: 'd1', d1: 'd0', d0: undefined });
  assert.deepEqual(await ancestorsOf('d3', chain), ['d2', 'd1', 'd0']);
  assert.deepEqual(await ancestorsOf('d0', chain), [], 'an import has none');
  assert.deepEqual(await ancestorsOf('gone', chain), [], 'an unknown dataset has none');
  assert.deepEqual(await ancestorsOf('d3', lineage({ d3: 'd2', d2: 'expired' })), ['d2', 'expired'], 'a parent that no longer exists is still named (its checkpoints may outlive it)');
});

test('the walk is bounded: a long lineage stops at the depth, and inconsistent records (a cycle) stop it', async () => {
  const parents: Record<string, string> = {};
  for (let i = 1; i <= 500; i++) parents[`v${i}`] = `v${i - 1}`;
  const long = lineage(parents);
  const found = await ancestorsOf('v500', long);
  assert.equal(found.length, MAX_LINEAGE_DEPTH);
  assert.equal(found[0], 'v499');
  assert.ok(long.lookups <= MAX_LINEAGE_DEPTH, `${long.lookups} lookups`);
  assert.deepEqual(await ancestorsOf('a', lineage({ a: 'b', b: 'c', c: 'a' })), ['b', 'c']);
  assert.deepEqual(await ancestorsOf('a', lineage({ a: 'a' })), []);
  assert.deepEqual(await ancestorsOf('v500', long, 2), ['v499', 'v498']);
});
