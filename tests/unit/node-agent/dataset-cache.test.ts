import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatasetCache, DatasetIntegrityError } from '../../../node-agent/dataset-cache.js';
import { datasetId, encodeDataset } from '../../../shared/quant/dataset-codec.js';

/** A dataset of n bars (decoded size 48·n bytes). */
function dataset(n: number, symbol = 'BTCUSDT'): { id: string; bytes: Uint8Array } {
  const time = Array.from({ length: n }, (_, i) => i * 3_600_000);
  const price = Array.from({ length: n }, (_, i) => 100 + i);
  const bytes = encodeDataset({ symbol, timeframe: '1h', time, open: price, high: price, low: price, close: price, volume: price });
  return { id: datasetId(bytes), bytes };
}

function fakeRemote(datasets: Array<{ id: string; bytes: Uint8Array }>, delayMs = 0) {
  const calls: string[] = [];
  const fetch = async (id: string) => {
    calls.push(id);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const found = datasets.find((d) => d.id === id);
    if (!found) throw new Error(`no dataset ${id}`);
    return found.bytes;
  };
  return { calls, fetch };
}

test('the memory cache evicts the least recently used datasets once their bytes pass the budget', async () => {
  const a = dataset(100, 'A'); // 4800 bytes decoded
  const b = dataset(100, 'B');
  const c = dataset(100, 'C');
  const remote = fakeRemote([a, b, c]);
  const cache = new DatasetCache({ memoryBytes: 2 * 4800, fetch: remote.fetch });
  await cache.get(a.id, 'coord:1');
  await cache.get(b.id, 'coord:1');
  await cache.get(a.id, 'coord:1'); // a is now the most recently used
  assert.deepEqual(cache.stats(), { hits: 1, diskHits: 0, misses: 2, bytesFetched: a.bytes.length + b.bytes.length, memoryBytes: 9600, entries: 2 });
  await cache.get(c.id, 'coord:1'); // evicts b, not a
  assert.equal(cache.stats().entries, 2);
  assert.equal(cache.stats().memoryBytes, 9600);
  await cache.get(a.id, 'coord:1');
  assert.deepEqual(remote.calls, [a.id, b.id, c.id]);
  await cache.get(b.id, 'coord:1');
  assert.deepEqual(remote.calls, [a.id, b.id, c.id, b.id]);
  assert.equal(cache.stats().misses, 4);
  // A dataset larger than the whole budget is served but not kept.
  const big = dataset(300, 'BIG');
  const remote2 = fakeRemote([big]);
  const small = new DatasetCache({ memoryBytes: 4800, fetch: remote2.fetch });
  assert.equal((await small.get(big.id, 'x')).bars, 300);
  assert.equal(small.stats().entries, 0);
});

test('concurrent requests for one id share a single fetch', async () => {
  const a = dataset(50);
  const remote = fakeRemote([a], 30);
  const cache = new DatasetCache({ memoryBytes: 1 << 20, fetch: remote.fetch });
  const results = await Promise.all(Array.from({ length: 8 }, () => cache.get(a.id, 'coord:1')));
  assert.equal(remote.calls.length, 1);
  assert.ok(results.every((r) => r === results[0]), 'every caller gets the same decoded dataset');
  assert.ok(results[0].buffer instanceof SharedArrayBuffer);
  assert.equal(cache.stats().misses, 1);
  assert.equal(cache.stats().hits, 7);
});

test('data that does not hash to its id is rejected, not cached, and fetched again next time', async () => {
  const a = dataset(20);
  const corrupt = Uint8Array.from(a.bytes);
  corrupt[corrupt.length - 1] ^= 0xff;
  let served: Uint8Array = corrupt;
  const cache = new DatasetCache({ memoryBytes: 1 << 20, fetch: async () => served });
  await assert.rejects(cache.get(a.id, 'coord:1'), DatasetIntegrityError);
  assert.equal(cache.stats().entries, 0);
  served = a.bytes;
  assert.equal((await cache.get(a.id, 'coord:1')).bars, 20);
  assert.equal(cache.stats().misses, 2);
  await assert.rejects(cache.get('not-an-id', 'coord:1'), /not a dataset id/);
});

test('the disk cache serves a restarted agent without the network, and a corrupt file is fetched again', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qg-dataset-cache-'));
  try {
    const a = dataset(30);
    const remote = fakeRemote([a]);
    const first = new DatasetCache({ memoryBytes: 1 << 20, dir, fetch: remote.fetch });
    await first.get(a.id, 'coord:1');
    assert.deepEqual(await readdir(dir), [`${a.id}.qgd`]);

    const second = new DatasetCache({ memoryBytes: 1 << 20, dir, fetch: remote.fetch });
    assert.equal((await second.get(a.id, 'coord:1')).bars, 30);
    assert.equal(remote.calls.length, 1);
    assert.deepEqual({ hits: second.stats().hits, diskHits: second.stats().diskHits, misses: second.stats().misses }, { hits: 1, diskHits: 1, misses: 0 });

    await writeFile(path.join(dir, `${a.id}.qgd`), Buffer.from('garbage'));
    const third = new DatasetCache({ memoryBytes: 1 << 20, dir, fetch: remote.fetch });
    assert.equal((await third.get(a.id, 'coord:1')).bars, 30);
    assert.equal(remote.calls.length, 2);
    assert.equal(third.stats().misses, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
