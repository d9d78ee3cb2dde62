import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { connect, eventually } from '../helpers/jobs.js';

describe('a job cancelled while it waits in the queue (one job at a time)', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 1 }], coordinatorArgs: ['--job-concurrency', '1'] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });
  after(async () => {
    coordinator?.close();
    await cluster?.stop();
  });

  test('ends cancelled when the coordinator takes it, without starting: no STARTED event, no partition run, nothing logged but the cancel', async () => {
    const { jobId: first } = await coordinator.submitJob({ spec: { noop: { partitions: 1, workMs: 1500 } } });
    await eventually(async () => ((await coordinator.getJob(first)).progress!.partitionsRunning > 0 ? true : undefined), 10_000, 'the first job running');
    const { jobId: queued } = await coordinator.submitJob({ spec: { noop: { partitions: 1, workMs: 0 } } });
    assert.equal((await coordinator.cancelJob(queued)).status, 'JOB_STATUS_CANCELLED');
    const { job } = await watchToEnd(coordinator, first, { timeoutMs: 30_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED');
    // Taken once the first has ended: its cancel check says cancelled.
    const ended = await watchToEnd(coordinator, queued, { timeoutMs: 30_000, afterEventId: '0-0' });
    assert.equal(ended.job.status, 'JOB_STATUS_CANCELLED');
    assert.deepEqual(ended.events.map((event) => event.type), ['JOB_EVENT_TYPE_CANCELLED']);
    assert.equal(ended.job.progress?.partitionsDone ?? 0, 0);
    const messages: string[] = [];
    for await (const line of coordinator.jobLog(queued)) messages.push(line.message);
    assert.deepEqual(messages, ['cancel requested by admin']);
  });
});
