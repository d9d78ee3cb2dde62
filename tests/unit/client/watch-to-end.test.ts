import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JobWatchTimeoutError, watchToEnd } from '../../../shared/client/watch-to-end.js';
import type { JobEvent__Output } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import { fakeCoordinators, job, jobEvent, progress, sendEvents } from '../../helpers/fake-coordinator.js';

/** watchToEnd (the job watcher plus the final job, the events kept and a time limit) against a fake coordinator. */

const fakes = fakeCoordinators();
after(() => fakes.stopAll());
const setUp = async (handlers: Parameters<typeof fakes.connect>[0]) => (await fakes.connect(handlers)).connection;

const THREE_EVENTS = [
  jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(0, 2) }),
  jobEvent('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 0, progress: progress(1, 2) }),
  jobEvent('JOB_EVENT_TYPE_COMPLETED', { status: 'JOB_STATUS_COMPLETED', resultJson: '{"partitions":2,"checksum":1}' }),
];

describe('watchToEnd', () => {
  it('returns the job as GetJob has it once it ended, and every event seen, in order', async () => {
    const connection = await setUp({
      WatchJob: (call) => void sendEvents(call, THREE_EVENTS),
      GetJob: (_call, callback) => callback(null, job({ status: 'JOB_STATUS_COMPLETED', resultJson: '{"partitions":2,"checksum":1}', finishedAtMs: 1234 })),
    });
    const seen: string[] = [];
    const watched = await watchToEnd(connection, 'job-1', { timeoutMs: 5000, onEvent: (event) => seen.push(event.type) });
    assert.equal(watched.job.status, 'JOB_STATUS_COMPLETED');
    assert.equal(Number(watched.job.finishedAtMs), 1234);
    assert.deepEqual(watched.events.map((event) => event.type), THREE_EVENTS.map((event) => event.type));
    assert.deepEqual(seen, watched.events.map((event) => event.type));
    assert.equal(watched.eventCount, 3);
  });

  it('keeps only the events keep() accepts, and still counts them all', async () => {
    const connection = await setUp({
      WatchJob: (call) => void sendEvents(call, THREE_EVENTS),
      GetJob: (_call, callback) => callback(null, job({ status: 'JOB_STATUS_COMPLETED' })),
    });
    const watched = await watchToEnd(connection, 'job-1', { keep: (event: JobEvent__Output) => event.partition >= 0 });
    assert.deepEqual(watched.events.map((event) => event.type), ['JOB_EVENT_TYPE_PARTITION_FINISHED']);
    assert.equal(watched.eventCount, 3);
  });

  it('fails with a JobWatchTimeoutError when the job has not ended within timeoutMs', async () => {
    const connection = await setUp({
      WatchJob: (call) => void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 2) })], false),
    });
    const started = Date.now();
    await assert.rejects(watchToEnd(connection, 'job-1', { timeoutMs: 150 }), (error: unknown) => {
      assert.ok(error instanceof JobWatchTimeoutError);
      assert.equal(error.eventCount, 1);
      assert.equal(error.lastEvent?.type, 'JOB_EVENT_TYPE_PROGRESS');
      assert.match(error.message, /^job job-1 did not end within 150 ms \(1 events seen\); last event: /);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('rejects with the reason of the signal when the caller aborts', async () => {
    const connection = await setUp({
      WatchJob: (call) => void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 2) })], false),
    });
    const controller = new AbortController();
    const reason = new Error('no longer needed');
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(watchToEnd(connection, 'job-1', { timeoutMs: 10_000, signal: controller.signal }), (error: unknown) => error === reason);
  });
});
