import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
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
  assert.deepEqual(cache.stats(), {
    hits: 1,
    diskHits: 0,
    misses: 2,
    bytesFetched: a.bytes.length + b.bytes.length,
    memoryBytes: 9600,
    entries: 2,
    diskBytes: 0,
    diskEntries: 0,
    diskEvictions: 0,
  });
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

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qg-dataset-disk-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const files = async (dir: string) => (await readdir(dir)).sort();

test('the disk cache stays within its byte budget, evicting the least recently used file (a hit counts as a use)', () =>
  withDir(async (dir) => {
    const [a, b, c] = [dataset(40, 'A'), dataset(40, 'B'), dataset(40, 'C')];
    const size = a.bytes.length;
    const remote = fakeRemote([a, b, c]);
    // No memory cache: every get after the first goes to the disk.
    const cache = new DatasetCache({ memoryBytes: 0, dir, diskBytes: 2 * size, fetch: remote.fetch });
    await cache.get(a.id, 'coord:1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await cache.get(b.id, 'coord:1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await cache.get(a.id, 'coord:1'); // a disk hit: a is now more recent than b
    assert.equal(cache.stats().diskHits, 1);
    await cache.get(c.id, 'coord:1'); // over budget: b goes
    assert.deepEqual(await files(dir), [`${a.id}.qgd`, `${c.id}.qgd`].sort());
    assert.deepEqual({ diskBytes: cache.stats().diskBytes, diskEntries: cache.stats().diskEntries, diskEvictions: cache.stats().diskEvictions }, { diskBytes: 2 * size, diskEntries: 2, diskEvictions: 1 });
    await cache.get(b.id, 'coord:1');
    assert.deepEqual(remote.calls, [a.id, b.id, c.id, b.id]);

    assert.deepEqual(await files(dir), [`${b.id}.qgd`, `${c.id}.qgd`].sort(), 'a, the least recently used, went');

    // Memory hits count as uses too.
    const remembering = new DatasetCache({ memoryBytes: 1 << 20, dir, diskBytes: 2 * size, fetch: remote.fetch });
    await remembering.get(c.id, 'coord:1'); // from the disk
    await new Promise((resolve) => setTimeout(resolve, 5));
    await remembering.get(b.id, 'coord:1'); // from the disk
    await new Promise((resolve) => setTimeout(resolve, 5));
    await remembering.get(c.id, 'coord:1'); // from memory: c is now more recent than b
    await remembering.get(a.id, 'coord:1');
    assert.deepEqual(await files(dir), [`${a.id}.qgd`, `${c.id}.qgd`].sort());
  }));

test('a restarted agent lists the folder and evicts by the files\' last use (modification time); stale temporary files go', () =>
  withDir(async (dir) => {
    const [a, b, c] = [dataset(30, 'A'), dataset(30, 'B'), dataset(30, 'C')];
    const size = a.bytes.length;
    const remote = fakeRemote([a, b, c]);
    const first = new DatasetCache({ memoryBytes: 1 << 20, dir, fetch: remote.fetch });
    await first.get(a.id, 'x');
    await first.get(b.id, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    const dayAgo = new Date(Date.now() - 86_400_000);
    await utimes(path.join(dir, `${b.id}.qgd`), dayAgo, dayAgo); // b last used long ago
    await utimes(path.join(dir, `${a.id}.qgd`), hourAgo, hourAgo);
    const stale = path.join(dir, `${c.id}.qgd.1.2.tmp`);
    const fresh = path.join(dir, `${c.id}.qgd.3.4.tmp`);
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'partial');
    await utimes(stale, dayAgo, dayAgo);

    const second = new DatasetCache({ memoryBytes: 1 << 20, dir, diskBytes: 2 * size, fetch: remote.fetch });
    await second.get(c.id, 'x');
    assert.deepEqual(await files(dir), [`${a.id}.qgd`, `${c.id}.qgd`, path.basename(fresh)].sort());
    assert.equal(second.stats().diskEvictions, 1);
    assert.equal(second.stats().diskBytes, 2 * size);

    // A disk hit refreshes the file's modification time (at most once a minute), so the order survives restarts.
    const third = new DatasetCache({ memoryBytes: 1 << 20, dir, diskBytes: 2 * size, fetch: remote.fetch });
    await third.get(a.id, 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok((await stat(path.join(dir, `${a.id}.qgd`))).mtimeMs > Date.now() - 60_000, 'touched');
  }));

test('files of datasets in use (pinned by a partition, or being loaded) are never evicted; the budget is met once they are released', () =>
  withDir(async (dir) => {
    const [a, b, c] = [dataset(30, 'A'), dataset(30, 'B'), dataset(30, 'C')];
    const size = a.bytes.length;
    const remote = fakeRemote([a, b, c]);
    const cache = new DatasetCache({ memoryBytes: 1 << 20, dir, diskBytes: size, fetch: remote.fetch });
    const unpinA = cache.pin(a.id);
    const unpinAgain = cache.pin(a.id);
    await cache.get(a.id, 'x');
    await cache.get(b.id, 'x'); // a pinned, b being written: both stay, over budget for now
    assert.deepEqual(await files(dir), [`${a.id}.qgd`, `${b.id}.qgd`].sort());
    assert.equal(cache.stats().diskBytes, 2 * size);
    assert.equal(cache.stats().diskEvictions, 0);
    unpinA();
    unpinA(); // idempotent
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(cache.stats().diskEvictions, 0, 'still pinned once');
    unpinAgain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // a is older than b, so a goes now.
    assert.deepEqual(await files(dir), [`${b.id}.qgd`]);
    assert.deepEqual([cache.stats().diskBytes, cache.stats().diskEvictions], [size, 1]);

    const unpinB = cache.pin(b.id);
    await cache.get(c.id, 'x');
    assert.deepEqual(await files(dir), [`${b.id}.qgd`, `${c.id}.qgd`].sort(), 'pinned b stays; c was being written');
    unpinB();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await files(dir), [`${c.id}.qgd`]);
  }));

test('a dataset larger than the whole disk budget is used but not written; a budget of 0 writes nothing', () =>
  withDir(async (dir) => {
    const [small, big] = [dataset(10, 'S'), dataset(500, 'BIG')];
    const remote = fakeRemote([small, big]);
    const cache = new DatasetCache({ memoryBytes: 1 << 20, dir, diskBytes: small.bytes.length, fetch: remote.fetch });
    assert.equal((await cache.get(big.id, 'x')).bars, 500);
    await cache.get(small.id, 'x');
    assert.deepEqual(await files(dir), [`${small.id}.qgd`]);
    assert.equal(cache.stats().diskEvictions, 0);
    const none = new DatasetCache({ memoryBytes: 1 << 20, dir: path.join(dir, 'none'), diskBytes: 0, fetch: remote.fetch });
    await none.get(small.id, 'x');
    await assert.rejects(readdir(path.join(dir, 'none')), /ENOENT/);
  }));

test('a version that extends one held here is fetched as its new bars only, and checked against its id; without the base, whole', async () => {
  const parent = dataset(100, 'BTCUSDT');
  const child = dataset(130, 'BTCUSDT'); // the same first 100 bars (times and prices follow the index), then 30 more
  // The delta as the coordinator sends it: each column's values after bar 100, one column after the other.
  const decodedChild = new Float64Array(child.bytes.slice(child.bytes.byteLength - 6 * 130 * 8).buffer);
  const delta = new Uint8Array(6 * 30 * 8);
  for (let c = 0; c < 6; c++) delta.set(new Uint8Array(decodedChild.buffer, (c * 130 + 100) * 8, 30 * 8), c * 30 * 8);
  const asked: Array<readonly string[]> = [];
  const remote = fakeRemote([parent, child]);
  const fetchSince = async (id: string, _source: string, have: readonly string[]) => {
    asked.push(have);
    if (id === child.id && have.includes(parent.id)) return { bytes: delta, base: { id: parent.id, bars: 100 } };
    return { bytes: await remote.fetch(id) };
  };
  const cache = new DatasetCache({ memoryBytes: 1 << 20, fetch: remote.fetch, fetchSince });
  await cache.get(parent.id, 'coord:1');
  const got = await cache.get(child.id, 'coord:1');
  assert.equal(got.bars, 130);
  assert.deepEqual(asked, [[parent.id]], 'the parent was fetched by the plain fetch (nothing held); the child named it as held');
  assert.equal(cache.stats().bytesFetched, parent.bytes.byteLength + delta.byteLength, 'the child cost its new bars only');
  assert.deepEqual(remote.calls, [parent.id]);

  // A delta that does not rebuild the version is refused as corrupt.
  const wrong = new DatasetCache({ memoryBytes: 1 << 20, fetch: remote.fetch, fetchSince: async (id, _s, have) => (have.length > 0 ? { bytes: new Uint8Array(delta.length), base: { id: parent.id, bars: 100 } } : { bytes: await remote.fetch(id) }) });
  await wrong.get(parent.id, 'coord:1');
  await assert.rejects(wrong.get(child.id, 'coord:1'), DatasetIntegrityError);

  // A base no longer held (or of another length): fetched whole instead.
  const forgetful = new DatasetCache({ memoryBytes: 1 << 20, fetch: remote.fetch, fetchSince: async (id, _s, have) => (have.length > 0 ? { bytes: delta, base: { id: parent.id, bars: 99 } } : { bytes: await remote.fetch(id) }) });
  await forgetful.get(parent.id, 'coord:1');
  assert.equal((await forgetful.get(child.id, 'coord:1')).bars, 130);
  assert.equal(forgetful.stats().bytesFetched, parent.bytes.byteLength + delta.byteLength + child.bytes.byteLength);
});
