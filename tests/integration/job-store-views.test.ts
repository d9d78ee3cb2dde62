import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { JOB_QUEUE_NAME, JobStore } from '../../coordinator/jobs/job-store.js';
import type { QueuedJobData } from '../../coordinator/jobs/job-model.js';
import { useRealRedis } from '../helpers/real-redis.js';

const real = useRealRedis();

function data(name: string): QueuedJobData {
  return { spec: {} as QueuedJobData['spec'], kindSpec: {}, kind: 'noop', name, priority: 0, submittedAt: Date.now() };
}

test('views of a job from what submit wrote, by id (reads at once), and as ended: the same job as describe gives', async () => {
  const connection = real.redis.duplicate({ maxRetriesPerRequest: null });
  const store = new JobStore(connection, 'qviews');
  const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
  let worker: Worker<QueuedJobData> | undefined;
  try {
    const submitted = await store.submit(data('views'));
    assert.ok(submitted.queued, 'a new job comes back as queued');
    const queued = store.queuedView(submitted.queued);
    const described = await store.describe((await store.get(submitted.jobId))!);
    assert.deepEqual(queued, described, 'the queued view is what a read of the waiting job gives');
    assert.equal(queued.status, 'JOB_STATUS_QUEUED');
    assert.deepEqual(await store.describeId(submitted.jobId), described);
    assert.equal(await store.describeId('no-such-job'), undefined);

    await store.requestCancel(submitted.jobId);
    assert.equal((await store.describeId(submitted.jobId))?.status, 'JOB_STATUS_CANCELLED', 'the cancel request is read with the record');
    await store.clearCancelRequest(submitted.jobId);

    worker = new Worker<QueuedJobData>(JOB_QUEUE_NAME, async () => '{"answer":42}', { connection: workerConnection, prefix: 'qviews' });
    const deadline = Date.now() + 20_000;
    while ((await store.queue.getJobState(submitted.jobId)) !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const completed = await store.describeId(submitted.jobId);
    assert.equal(completed?.status, 'JOB_STATUS_COMPLETED');
    assert.equal(completed?.resultJson, '{"answer":42}');
    assert.deepEqual(await store.endedView(submitted.jobId, 'completed', false), completed);
    assert.equal(await store.endedView('no-such-job', 'completed', false), undefined);
  } finally {
    await worker?.close();
    await store.queue.close();
    workerConnection.disconnect();
    connection.disconnect();
  }
});

test('a duplicate request id returns the first job, with nothing queued to view', async () => {
  const connection = real.redis.duplicate({ maxRetriesPerRequest: null });
  const store = new JobStore(connection, 'qviews2');
  try {
    const first = await store.submit({ ...data('a'), requestId: 'r-1' });
    const again = await store.submit({ ...data('a'), requestId: 'r-1' });
    assert.equal(again.jobId, first.jobId);
    assert.equal(again.duplicate, true);
    assert.equal(again.queued, undefined);
  } finally {
    await store.queue.close();
    connection.disconnect();
  }
});
