import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { JobEventLog } from '../../coordinator/jobs/job-event-log.js';
import { PartitionLedger } from '../../coordinator/partitions/partition-ledger.js';
import { startRedisServer, type RedisServer } from '../../scripts/local-cluster/index.js';
import { createLogger } from '../../shared/logging.js';

/** Calls of one Redis command so far (INFO commandstats). */
async function calls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('group commit of partition results and job events (real Redis)', () => {
  let server: RedisServer;
  let redis: Redis;
  let probe: Redis;
  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    probe = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    probe?.disconnect();
    await server?.stop();
  });

  test('results recorded together go in one write; each promise resolves once Redis has its result', async () => {
    const ledger = new PartitionLedger(redis, 'gc1', 600, 600);
    const before = await calls(probe, 'hset');
    // A burst in one tick, then another while the first write is in flight.
    const first = Array.from({ length: 500 }, (_, i) => ledger.record('job-a', i, JSON.stringify({ i })));
    await new Promise((resolve) => setImmediate(resolve));
    const second = Array.from({ length: 500 }, (_, i) => ledger.record('job-a', 500 + i, JSON.stringify({ i: 500 + i })));
    await Promise.all(first);
    const afterFirst = await ledger.recorded('job-a');
    for (let i = 0; i < 500; i++) assert.equal(afterFirst.get(i), JSON.stringify({ i }), `result ${i} is in Redis when its promise resolves`);
    await Promise.all(second);
    const all = await ledger.recorded('job-a');
    assert.equal(all.size, 1000);
    for (let i = 0; i < 1000; i++) assert.equal(all.get(i), JSON.stringify({ i }));
    const writes = (await calls(probe, 'hset')) - before;
    assert.ok(writes >= 1 && writes <= 2, `1,000 results in ${writes} writes`);
  });

  test('a quiet job records at once: one result, one write', async () => {
    const ledger = new PartitionLedger(redis, 'gc2', 600, 600);
    const before = await calls(probe, 'hset');
    await ledger.record('job-b', 7, '"seven"');
    assert.equal((await ledger.recorded('job-b')).get(7), '"seven"');
    assert.equal((await calls(probe, 'hset')) - before, 1);
  });

  test('a watcher is woken by a local write, not by the poll; writes before its mark wake it at once', async () => {
    const log = new JobEventLog(redis, 'gc3', 600, createLogger('test', 'silent'));
    const event = (type: 'JOB_EVENT_TYPE_STARTED' | 'JOB_EVENT_TYPE_PROGRESS') => ({ jobId: 'job-c', type, timeMs: Date.now(), partition: -1 });
    const mark = log.writeMark();
    const longPoll = 30_000;
    const started = performance.now();
    const woken = log.waitForEvents('job-c', mark, longPoll);
    log.publish(event('JOB_EVENT_TYPE_STARTED'));
    await woken;
    assert.ok(performance.now() - started < longPoll / 2, 'woken by the write');
    assert.equal((await log.read('job-c', '0')).length, 1);

    // An event written after the mark but before the wait starts: no wait at all.
    const staleMark = log.writeMark();
    log.publish(event('JOB_EVENT_TYPE_PROGRESS'));
    await log.flush();
    const again = performance.now();
    await log.waitForEvents('job-c', staleMark, longPoll);
    assert.ok(performance.now() - again < longPoll / 2, 'resolved at once');

    // Nothing written for the job: the wait ends with its timeout.
    const quiet = performance.now();
    await log.waitForEvents('job-c', log.writeMark(), 200);
    assert.ok(performance.now() - quiet >= 190, 'waited for the timeout');
  });

  test('a write tells the job\'s waiting watchers what it logged and after which entry, as a read would give it', async () => {
    const log = new JobEventLog(redis, 'gc5', 600, createLogger('test', 'silent'));
    const other = new JobEventLog(probe, 'gc5', 600, createLogger('test', 'silent'));
    const event = (type: 'JOB_EVENT_TYPE_STARTED' | 'JOB_EVENT_TYPE_PROGRESS' | 'JOB_EVENT_TYPE_COMPLETED', status?: 'JOB_STATUS_COMPLETED') =>
      ({ jobId: 'job-e', type, timeMs: Date.now(), partition: -1, ...(status ? { status } : {}) });
    const unwatch = log.watching('job-e');
    // The job's first write, with no entry before it.
    let woken = log.waitForEvents('job-e', log.writeMark(), 30_000);
    log.publish(event('JOB_EVENT_TYPE_STARTED'));
    log.publish(event('JOB_EVENT_TYPE_PROGRESS'));
    const first = await woken;
    assert.ok(first, 'the write says what it logged');
    assert.equal(first.after, '0');
    assert.deepEqual(first.events, await log.read('job-e', '0'));
    assert.equal(first.mark, log.writeMark());

    // Another coordinator's entry comes first: the next write of this one says it follows that entry.
    other.publish(event('JOB_EVENT_TYPE_PROGRESS'));
    await other.flush();
    const between = await log.lastId('job-e');
    woken = log.waitForEvents('job-e', log.writeMark(), 30_000);
    log.publish(event('JOB_EVENT_TYPE_COMPLETED', 'JOB_STATUS_COMPLETED'), true);
    const second = await woken;
    assert.ok(second);
    assert.equal(second.after, between);
    assert.notEqual(second.after, first.events.at(-1)?.id, 'a watcher at this coordinator\'s last event reads the log');
    assert.deepEqual(second.events, await log.read('job-e', between));

    // A watcher that was not waiting when the write came (it was sending the last events) gets it when it next waits.
    const mark = log.writeMark();
    log.publish(event('JOB_EVENT_TYPE_PROGRESS'));
    await log.flush();
    const late = await log.waitForEvents('job-e', mark, 30_000);
    assert.ok(late);
    assert.equal(late.after, second.events.at(-1)?.id);
    assert.deepEqual(late.events, await log.read('job-e', late.after));

    // The watch ended: nothing asked beyond the events, and a wait is woken with nothing to take.
    unwatch();
    const before = await calls(probe, 'xrevrange');
    const unwatched = log.waitForEvents('job-e', log.writeMark(), 30_000);
    log.publish(event('JOB_EVENT_TYPE_PROGRESS'));
    assert.equal(await unwatched, undefined);
    assert.equal((await calls(probe, 'xrevrange')) - before, 0);
  });

  test('events published during a write keep their order and go in the next write', async () => {
    const log = new JobEventLog(redis, 'gc4', 600, createLogger('test', 'silent'));
    const before = await calls(probe, 'xadd');
    for (let i = 0; i < 300; i++) {
      log.publish({ jobId: 'job-d', type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', timeMs: Date.now(), partition: i });
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    const events = await log.read('job-d', '0', 1000);
    assert.deepEqual(events.map(({ event }) => event.partition), Array.from({ length: 300 }, (_, i) => i));
    assert.equal((await calls(probe, 'xadd')) - before, 300);
  });
});
