import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventLog } from '../../coordinator/jobs/job-event-log.js';
import { toJobProgress } from '../../coordinator/jobs/job-model.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import { createLogger } from '../../shared/logging.js';
import { useRealRedis } from '../helpers/real-redis.js';

describe('job event entries in Redis (real Redis)', () => {
  const real = useRealRedis();

  test('a running job\'s events are stored without their progress defaults and read back whole; entries of older coordinators read as before', async () => {
    const { redis } = real;
    const log = new JobEventLog(redis, 'entries', 600, createLogger('test', 'silent'));
    const progress = toJobProgress({ phase: 'running', startedAt: 1, total: 20, done: 3, running: 2, retries: 0, runningNodes: ['agent-a', 'agent-b'], etaSeconds: 0.25 });
    const started: JobEvent = { jobId: 'job-e', type: 'JOB_EVENT_TYPE_PARTITION_STARTED', timeMs: 1_000, partition: 4, progress, status: 'JOB_STATUS_RUNNING', nodeId: 'agent-a', attempt: 1 };
    const completed: JobEvent = { jobId: 'job-e', type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: 2_000, partition: -1, status: 'JOB_STATUS_COMPLETED' };
    log.publish(started);
    log.publish(completed, true);
    await log.flush();
    // An entry as a coordinator from before compact entries wrote it.
    await redis.xadd('entries:job:job-e:events', '*', 'e', JSON.stringify({ ...started, partition: 5 }));

    const raw = await redis.xrange('entries:job:job-e:events', '-', '+');
    assert.deepEqual(raw.map(([, fields]) => fields[0]), ['c', 'e', 'e']);
    assert.ok(raw[0][1][1].length < JSON.stringify(started).length - 100, `${raw[0][1][1].length} bytes stored against ${JSON.stringify(started).length}`);
    const events = (await log.read('job-e', '0')).map(({ event }) => event);
    assert.deepEqual(events, [started, completed, { ...started, partition: 5 }]);
  });

  test('the latest event id of one job (one command) and of several (one pipeline) agree with the log; "0" for a job with none', async () => {
    const { redis } = real;
    const log = new JobEventLog(redis, 'last-ids', 600, createLogger('test', 'silent'));
    for (const jobId of ['job-a', 'job-b', 'job-a']) log.publish({ jobId, type: 'JOB_EVENT_TYPE_PROGRESS', timeMs: 1_000, partition: -1, status: 'JOB_STATUS_RUNNING' });
    await log.flush();
    const newest = async (jobId: string) => (await redis.xrevrange(`last-ids:job:${jobId}:events`, '+', '-', 'COUNT', 1))[0][0];
    const [a, b] = [await newest('job-a'), await newest('job-b')];
    assert.notEqual(a, b);
    assert.equal(await log.lastId('job-a'), a);
    assert.equal(await log.lastId('job-none'), '0');
    assert.deepEqual(await log.lastIds(['job-a']), [a]);
    assert.deepEqual(await log.lastIds(['job-b', 'job-none', 'job-a']), [b, '0', a]);
    assert.deepEqual(await log.lastIds([]), []);
  });
});
