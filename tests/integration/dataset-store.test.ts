/**
 * The dataset store against a real redis-server (no cluster): chunks shared between versions and
 * freed only when no version refers to them, the bytes counted exactly, datasets stored whole before
 * chunks migrated with their ids, and the retention sweep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AuditLog } from '../../coordinator/audit/audit-log.js';
import { barColumnsOf, CHUNK_VALUES, type DatasetColumn } from '../../coordinator/datasets/dataset-chunks.js';
import { DatasetRetention } from '../../coordinator/datasets/dataset-retention.js';
import { DatasetStore } from '../../coordinator/datasets/dataset-store.js';
import { DatasetReferences } from '../../coordinator/datasets/dataset-usage.js';
import { startRedisServer, type RedisServer } from '../../scripts/local-cluster/index.js';
import { datasetId, encodeDataset } from '../../shared/quant/dataset-codec.js';
import { createLogger } from '../../shared/logging.js';
import { syntheticSeries } from '../../shared/quant/synthetic-ohlcv.js';

type Columns = Record<DatasetColumn, Float64Array>;
const HOUR = 3_600_000;

function hourBars(from: number, bars: number, seed: number): Columns {
  const s = syntheticSeries({ seed, symbol: 'X', timeframe: '1h', bars });
  return { time: Float64Array.from({ length: bars }, (_, i) => from + i * HOUR), open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
}

function concat(a: Columns, b: Columns): Columns {
  return Object.fromEntries((Object.keys(a) as DatasetColumn[]).map((c) => [c, Float64Array.from([...a[c], ...b[c]])])) as Columns;
}

describe('dataset store (real Redis)', { timeout: 120_000 }, () => {
  let server: RedisServer;
  let redis: Redis;
  const prefix = 'qg';
  const log = createLogger('test', 'silent');
  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const chunkKeys = async () => (await redis.keys(`${prefix}:datasets:chunk:*`)).length;

  test('versions share full chunks; removing the parent frees only what the child does not use; the bytes are counted exactly', async () => {
    const store = new DatasetStore(redis, prefix, { parseInWorker: false });
    const start = Date.UTC(2020, 0, 1);
    const parentBars = hourBars(start, CHUNK_VALUES + 100, 1);
    const parent = await store.putColumns({ symbol: 'BTCUSDT', timeframe: '1h' }, barColumnsOf(parentBars));
    assert.equal(parent.id, datasetId(encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', ...parentBars })));
    assert.equal(await chunkKeys(), 12, 'six columns of a full chunk and a partial one');
    assert.equal(await store.usedBytes(), 6 * (CHUNK_VALUES + 100) * 8);

    const added = hourBars(parentBars.time[parentBars.time.length - 1] + HOUR, 50, 2);
    const child = await store.append(parent.id, barColumnsOf(added), 'alice');
    assert.equal(child.parentId, parent.id);
    assert.equal(child.parentBars, CHUNK_VALUES + 100);
    assert.equal(child.appendedBars, 50);
    assert.equal(child.owner, 'alice');
    assert.equal(await chunkKeys(), 18, 'the child wrote only a new last chunk per column');
    assert.equal(await store.usedBytes(), 6 * (CHUNK_VALUES + 100) * 8 + 6 * 150 * 8);
    assert.deepEqual(child.chunks!.map((column) => column[0]), parent.chunks!.map((column) => column[0]), 'the full chunks are the parent\'s');
    const whole = concat(parentBars, added);
    assert.deepEqual(await store.bytes(child.id), Buffer.from(encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', ...whole })));
    assert.deepEqual(await store.times(child.id), whole.time);

    // The same bars appended again: the same version, nothing more stored.
    const again = await store.append(parent.id, barColumnsOf(added));
    assert.equal(again.id, child.id);
    assert.equal(again.alreadyPresent, true);
    assert.equal(await chunkKeys(), 18);

    const freed = await store.remove(parent.id);
    assert.equal(freed, 6 * 100 * 8, 'only the parent\'s own last chunks');
    assert.equal(await chunkKeys(), 12);
    assert.deepEqual(await store.bytes(child.id), Buffer.from(encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', ...whole })));
    assert.equal(await store.remove(child.id), 6 * (CHUNK_VALUES + 150) * 8);
    assert.equal(await chunkKeys(), 0);
    assert.equal(await store.usedBytes(), 0);
    assert.equal(await redis.hlen(`${prefix}:datasets:chunk-refs`), 0);
  });

  test('a dataset stored whole before chunks is readable, keeps its id, owner and import time when cut into chunks, and counts then', async () => {
    const store = new DatasetStore(redis, prefix, { parseInWorker: false });
    const bars = hourBars(Date.UTC(2021, 0, 1), 500, 3);
    const bytes = encodeDataset({ symbol: 'ETHUSDT', timeframe: '1h', ...bars });
    const id = datasetId(bytes);
    const legacy = { id, symbol: 'ETHUSDT', timeframe: '1h', bars: 500, firstTimeMs: bars.time[0], lastTimeMs: bars.time[499], bytes: bytes.byteLength, importedAtMs: 1234, owner: 'old' };
    await redis.set(`${prefix}:datasets:data:${id}`, Buffer.from(bytes));
    await redis.hset(`${prefix}:datasets:index`, id, JSON.stringify(legacy));
    assert.deepEqual(await store.bytes(id), Buffer.from(bytes), 'readable as it is');
    assert.deepEqual(await store.times(id), bars.time);
    assert.equal(await store.migrate(), 1);
    assert.equal(await store.migrate(), 0, 'once');
    const info = await store.info(id);
    assert.equal(info?.chunks?.length, 6);
    assert.equal(info?.owner, 'old');
    assert.equal(info?.importedAtMs, 1234);
    assert.equal(await redis.exists(`${prefix}:datasets:data:${id}`), 0);
    assert.deepEqual(await store.bytes(id), Buffer.from(bytes));
    assert.equal(await store.usedBytes(), 500 * 48);
    await store.remove(id);
    assert.equal(await store.usedBytes(), 0);
  });

  test('the budget: an import past it is refused and leaves nothing behind', async () => {
    const store = new DatasetStore(redis, prefix, { parseInWorker: false, budgetBytes: 1000 * 48 });
    const kept = await store.putColumns({ symbol: 'A', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2022, 0, 1), 900, 4)));
    await assert.rejects(store.putColumns({ symbol: 'B', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2022, 0, 1), 200, 5))), (error: Error & { kind?: string }) => error.kind === 'resource-exhausted');
    await assert.rejects(store.append(kept.id, barColumnsOf(hourBars(Date.UTC(2022, 0, 1) + 900 * HOUR, 200, 6))), (error: Error & { kind?: string }) => error.kind === 'resource-exhausted');
    assert.equal(await store.usedBytes(), 900 * 48);
    assert.equal(await chunkKeys(), 6);
    assert.equal((await store.list()).length, 1);
    await store.remove(kept.id);
  });

  test('the retention sweep removes versions nothing refers to once older than the retention, and audits it', async () => {
    const store = new DatasetStore(redis, prefix, { parseInWorker: false });
    const audit = new AuditLog(redis, 3_600_000, `${prefix}:audit`);
    const a = await store.putColumns({ symbol: 'A', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2023, 0, 1), 10, 7)));
    const b = await store.putColumns({ symbol: 'B', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2023, 0, 1), 10, 8)));
    const c = await store.putColumns({ symbol: 'C', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2023, 0, 1), 10, 9)));
    const d = await store.putColumns({ symbol: 'D', timeframe: '1h' }, barColumnsOf(hourBars(Date.UTC(2023, 0, 1), 10, 10)));
    await store.tags.set('keep-b', b.id, 'alice');
    const references = new DatasetReferences({
      store,
      unfinishedJobs: async () => [],
      keptJobs: async () => [{ id: 'j1', data: { kind: 'backtest', kindSpec: { dataset: { name: `sha256:${c.id}`, bars: 10, seed: 0 } } } as never }],
      schedules: async () => [{ name: 'nightly', template: { spec: { kind: 'backtest', backtest: { dataset: { name: 'tag-of-d' } } } } as never }],
    });
    await store.tags.set('tag-of-d', d.id, 'alice');
    const retention = new DatasetRetention(store, references, 7 * 86_400_000, audit, log);
    assert.deepEqual(await retention.sweep(Date.now()), [], 'nothing older than the retention');
    assert.deepEqual(await retention.sweep(Date.now() + 8 * 86_400_000), [a.id], 'a: no job, tag or schedule refers to it');
    assert.deepEqual((await store.list()).map((info) => info.id).sort(), [b.id, c.id, d.id].sort());
    const entries = await audit.list();
    assert.equal(entries[0].action, 'dataset.expire');
    assert.equal(entries[0].target, `sha256:${a.id}`);
  });
});
