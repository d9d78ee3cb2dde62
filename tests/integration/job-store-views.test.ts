import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
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

test("the worker's copy of a job as it ended gives the same view as a read of its record (completed, failed)", async () => {
  const connection = real.redis.duplicate({ maxRetriesPerRequest: null });
  const store = new JobStore(connection, 'qended');
  const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
  const ended = new Map<string, { job: BullJob<QueuedJobData, string>; state: 'completed' | 'failed' }>();
  const worker = new Worker<QueuedJobData, string>(
    JOB_QUEUE_NAME,
    async (job) => {
      await job.updateProgress({ phase: 'merging', startedAt: Date.now(), total: 3, done: 3, running: 0, retries: 1, runningNodes: [], etaSeconds: -1, reused: 0, recovered: 1, work: { units: 3, bars: 30 } });
      if (job.data.name === 'fails') throw new UnrecoverableError('partition 2 failed for good');
      return '{"answer":42}';
    },
    { connection: workerConnection, prefix: 'qended' },
  );
  worker.on('completed', (job) => ended.set(job.id!, { job, state: 'completed' }));
  worker.on('failed', (job) => job && ended.set(job.id!, { job, state: 'failed' }));
  try {
    const ids = [(await store.submit(data('completes'))).jobId, (await store.submit(data('fails'))).jobId];
    const deadline = Date.now() + 20_000;
    while (ids.some((id) => !ended.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const id of ids) {
      const { job, state } = ended.get(id)!;
      const fromRecord = await store.endedView(id, state, false);
      assert.ok(fromRecord, id);
      assert.deepEqual(store.endedViewOf(job, state, false), fromRecord, `${state}: the worker's copy`);
    }
    assert.equal(store.endedViewOf(ended.get(ids[0])!.job, 'completed', false).resultJson, '{"answer":42}');
    assert.equal(store.endedViewOf(ended.get(ids[1])!.job, 'failed', false).status, 'JOB_STATUS_FAILED');
    assert.equal(store.endedViewOf(ended.get(ids[1])!.job, 'failed', false).error, 'partition 2 failed for good');
  } finally {
    await worker.close();
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
