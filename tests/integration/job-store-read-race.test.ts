import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_QUEUE_NAME, JobStore } from '../../coordinator/jobs/job-store.js';
import type { QueuedJobData } from '../../coordinator/jobs/job-model.js';
import { startRedisServer, type RedisServer } from '../../scripts/local-cluster/index.js';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server?.stop();
});

test('a job record read just before the job completed is described with its result, not as completed without one', async () => {
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const store = new JobStore(connection, 'qrace');
  const { jobId } = await store.submit({ spec: {} as QueuedJobData['spec'], kindSpec: {}, kind: 'noop', name: 'race', priority: 0, submittedAt: Date.now() });
  // The record as GetJob reads it first, while the job still waits.
  const stale = (await store.get(jobId))!;
  assert.equal(stale.returnvalue ?? null, null);
  const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<QueuedJobData>(JOB_QUEUE_NAME, async () => '{"answer":42}', { connection: workerConnection, prefix: 'qrace' });
  try {
    const deadline = Date.now() + 20_000;
    while ((await store.queue.getJobState(jobId)) !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // Its state read after it completed: the view must carry the result written with that state.
    const view = await store.describe(stale);
    assert.equal(view.status, 'JOB_STATUS_COMPLETED');
    assert.equal(view.resultJson, '{"answer":42}');
  } finally {
    await worker.close();
    await store.queue.close();
    workerConnection.disconnect();
    connection.disconnect();
  }
});
