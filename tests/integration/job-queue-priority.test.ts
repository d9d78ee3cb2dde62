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

test('jobs waiting for a busy coordinator are taken by priority (higher first), equal priorities in submission order', async () => {
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const store = new JobStore(connection, 'qprio');
  const submitted: Array<[string, number]> = [['a', 0], ['b', 5], ['c', -3], ['d', 5], ['e', 100], ['f', 0]];
  for (const [name, priority] of submitted) {
    await store.submit({ spec: {} as QueuedJobData['spec'], kindSpec: {}, kind: 'noop', name, priority, submittedAt: Date.now() });
  }
  const taken: string[] = [];
  const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<QueuedJobData>(JOB_QUEUE_NAME, async (job) => void taken.push(job.data.name), {
    connection: workerConnection,
    prefix: 'qprio',
    concurrency: 1,
  });
  try {
    const deadline = Date.now() + 20_000;
    while (taken.length < submitted.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(taken, ['e', 'b', 'd', 'a', 'f', 'c']);
  } finally {
    await worker.close();
    await store.queue.close();
    // BullMQ leaves connections it was given open.
    workerConnection.disconnect();
    connection.disconnect();
  }
});
