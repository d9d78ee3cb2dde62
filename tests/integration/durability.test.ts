import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalCluster, type ClusterCoordinator, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { JobEvent__Output } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { DEFAULT_WATCH_POLICY } from '../../shared/client/job-watcher.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { busySlots, connect, eventually, runInOneProcess, sleep, submitAndWait } from '../helpers/jobs.js';

/** Short BullMQ locks so a dead coordinator's jobs are taken over within a few seconds. */
const FAST_TAKEOVER = ['--job-lock', '2s', '--stalled-interval', '1s'];

function checksumOf(partitions: number): number {
  return (partitions * (partitions - 1)) / 2;
}

describe('durable jobs: coordinators die, jobs do not', { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  /** The coordinator the tests talk to (replaced when one is killed). */
  let live: ClusterCoordinator;
  /** A job finished before a coordinator was killed, and its result. */
  let finishedEarlier: { jobId: string; resultJson: string } | undefined;
  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 2 }, { slots: 2 }], coordinatorArgs: FAST_TAKEOVER, redis: { appendOnly: true } });
    live = cluster.coordinator;
  });
  after(async () => {
    await cluster?.stop();
  });
  const agentAddresses = () => cluster.agents.map((agent) => agent.address);

  test('SIGKILL of the coordinator mid-job: a new one finishes the job without recomputing finished partitions, and a watcher resumes where it was', async () => {
    const first = connect(live);
    const { jobId } = await first.submitJob({ spec: { noop: { partitions: 40, workMs: 250 } } });
    const seen: JobEvent__Output[] = [];
    // No re-attach: this coordinator is about to be killed, and the watch resumes on its replacement below.
    const watching = watchToEnd(first, jobId, { timeoutMs: 60_000, onEvent: (event) => seen.push(event), policy: { ...DEFAULT_WATCH_POLICY, reattachDelaysMs: [] } }).catch(() => undefined);
    const doneBefore = await eventually(async () => {
      const done = (await first.getJob(jobId)).progress?.partitionsDone ?? 0;
      return done >= 10 ? done : undefined;
    }, 30_000, '10 partitions to finish');
    const lastSeen = seen.filter((event) => event.eventId).at(-1)!;
    assert.ok(lastSeen, 'the watch had events with ids');

    live.process.kill('SIGKILL');
    await live.process.exited;
    await watching;
    first.close();

    const replacement = await cluster.addCoordinator();
    // The later tests talk to the replacement whatever this one's outcome.
    live = replacement;
    const second = connect(replacement);
    try {
      // Resume the watch on the new coordinator after the last event seen on the old one.
      const { events, job } = await watchToEnd(second, jobId, { timeoutMs: 60_000, afterEventId: lastSeen.eventId });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.deepEqual(JSON.parse(job.resultJson), { partitions: 40, checksum: checksumOf(40) });
      assert.ok(job.progress!.partitionsRecovered >= doneBefore, `${job.progress!.partitionsRecovered} recovered, ${doneBefore} were done`);
      // Every resumed event comes after the last one seen, in order, none twice.
      const ids = events.map((event) => event.eventId);
      assert.ok(ids.every(Boolean), 'resumed events carry ids');
      const order = (id: string) => id.split('-').map(Number) as [number, number];
      const after = (a: string, b: string) => order(a)[0] > order(b)[0] || (order(a)[0] === order(b)[0] && order(a)[1] > order(b)[1]);
      assert.ok(after(ids[0], lastSeen.eventId), 'the first resumed event follows the last one seen');
      for (let i = 1; i < ids.length; i++) assert.ok(after(ids[i], ids[i - 1]), 'in order, no repeats');
      assert.equal(events.at(-1)!.type, 'JOB_EVENT_TYPE_COMPLETED');
      assert.equal(events.at(-1)!.resultJson, job.resultJson);
      // The job's log outlived the killed coordinator: the first one's plan, then the takeover, read from the second.
      const messages: string[] = [];
      for await (const line of second.jobLog(jobId)) messages.push(line.message);
      assert.match(messages[0], /^planned: 40 partitions for \d+ slots$/);
      const takeover = messages.findIndex((message) => /^took the job over, keeping its plan: 40 partitions for \d+ slots \(\d+ already recorded, 0 from the partition result cache\)$/.test(message));
      assert.ok(takeover > 0, messages.join('\n'));
      assert.equal(messages.at(-1), 'completed: merged the partition results');
      finishedEarlier = { jobId, resultJson: job.resultJson };
    } finally {
      second.close();
    }
  });

  test('two coordinators on one Redis: kill one while both run jobs, the other finishes them all, each partition once', async () => {
    const other = await cluster.addCoordinator();
    const a = connect(live);
    const b = connect(other);
    try {
      const jobs = await Promise.all([a, b, a, b].map((connection) => connection.submitJob({ spec: { noop: { partitions: 16, workMs: 200 } } })));
      await eventually(async () => ((await b.getJob(jobs[0].jobId)).progress?.partitionsDone ?? 0) > 0 || undefined, 30_000, 'work to start');
      const killed = live;
      live = other;
      killed.process.kill('SIGKILL');
      await killed.process.exited;
      // Finished jobs and their results outlive the coordinators that ran them.
      assert.ok(finishedEarlier, 'the first test left a finished job');
      const kept = await b.getJob(finishedEarlier.jobId);
      assert.equal(kept.status, 'JOB_STATUS_COMPLETED');
      assert.equal(kept.resultJson, finishedEarlier.resultJson);
      for (const { jobId } of jobs) {
        const { job } = await watchToEnd(b, jobId, { timeoutMs: 90_000 });
        assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
        // The checksum sums every partition index in the result: each exactly once.
        assert.deepEqual(JSON.parse(job.resultJson), { partitions: 16, checksum: checksumOf(16) });
      }
    } finally {
      a.close();
      b.close();
    }
  });

  test('Redis killed and restarted (append-only file): the accepted job is not lost and everyone reconnects', async () => {
    const coordinator = connect(live);
    try {
      const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 12, workMs: 300 } } });
      await sleep(1200); // everysec fsync: the submission is on disk
      await cluster.redis.restart({ hard: true });
      const job = await eventually(async () => {
        const current = await coordinator.getJob(jobId).catch(() => undefined);
        return current && isTerminalStatus(current.status) ? current : undefined;
      }, 90_000, 'the job to end after the Redis restart');
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.deepEqual(JSON.parse(job.resultJson), { partitions: 12, checksum: checksumOf(12) });
      // New work flows through the reconnected coordinator and agents.
      const { job: next } = await submitAndWait(coordinator, { spec: { noop: { partitions: 4 } } }, 60_000);
      assert.equal(next.status, 'JOB_STATUS_COMPLETED', next.error);
    } finally {
      coordinator.close();
    }
  });

  test('Consul restarted: running partitions carry on and the node table recovers', async () => {
    const coordinator = connect(live);
    try {
      const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 12, workMs: 800 } } });
      await eventually(async () => ((await busySlots(agentAddresses(), await cluster.clusterSecret())) === 4 ? true : undefined), 30_000, 'all 4 slots busy');
      await cluster.consul.restart({ downMs: 1500 });
      const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.equal(job.progress!.retries, 0, 'no partition was given up on because Consul went away');
      // The agents register again with the new Consul, and the coordinator sees them ready.
      await eventually(
        async () => ((await coordinator.listNodes()).nodes.filter((node) => node.state === 'ready').length === 2 ? true : undefined),
        30_000,
        'both agents ready again',
      );
      const { events } = await submitAndWait(coordinator, { spec: { noop: { partitions: 8, workMs: 200 } } }, 60_000);
      const nodes = new Set(events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED').map((event) => event.nodeId));
      assert.equal(nodes.size, 2, 'both agents get work again');
    } finally {
      coordinator.close();
    }
  });

  test('cancel stops the computing worker threads on every agent within 2 s', async () => {
    const coordinator = connect(live);
    try {
      const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 8, workMs: 60_000 } } });
      await eventually(async () => ((await busySlots(agentAddresses(), await cluster.clusterSecret())) === 4 ? true : undefined), 30_000, 'all 4 slots busy');
      const requestedAt = Date.now();
      await coordinator.cancelJob(jobId);
      await eventually(async () => ((await busySlots(agentAddresses(), await cluster.clusterSecret())) === 0 ? true : undefined), 5_000, 'every slot free');
      const freedAfter = Date.now() - requestedAt;
      assert.ok(freedAfter <= 2000, `slots freed ${freedAfter} ms after the cancel`);
      const job = await eventually(async () => {
        const current = await coordinator.getJob(jobId);
        return current.status === 'JOB_STATUS_CANCELLED' ? current : undefined;
      }, 5_000, 'the job to be cancelled');
      assert.equal(job.status, 'JOB_STATUS_CANCELLED');
    } finally {
      coordinator.close();
    }
  });

  test('a higher-priority job goes ahead of the queued partitions of a lower-priority one', async () => {
    const coordinator = connect(live);
    try {
      const low = await coordinator.submitJob({ priority: 0, spec: { noop: { partitions: 40, workMs: 250 } } });
      await eventually(async () => ((await busySlots(agentAddresses(), await cluster.clusterSecret())) === 4 ? true : undefined), 30_000, 'the low-priority job on every slot');
      const high = await submitAndWait(coordinator, { priority: 10, spec: { noop: { partitions: 4, workMs: 100 } } }, 60_000);
      assert.equal(high.job.status, 'JOB_STATUS_COMPLETED', high.job.error);
      const lowNow = await coordinator.getJob(low.jobId);
      assert.ok(lowNow.progress!.partitionsDone < 30, `the high-priority job finished while the low one had ${lowNow.progress!.partitionsDone}/40 done`);
      const { job } = await watchToEnd(coordinator, low.jobId, { timeoutMs: 60_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    } finally {
      coordinator.close();
    }
  });

  test('a job past its deadline fails with the reason and its partitions stop', async () => {
    const coordinator = connect(live);
    try {
      const { job } = await submitAndWait(coordinator, { deadlineSeconds: 2, spec: { noop: { partitions: 4, workMs: 30_000 } } }, 30_000);
      assert.equal(job.status, 'JOB_STATUS_FAILED');
      assert.match(job.error, /^deadline exceeded: the job had to finish by /);
      await eventually(async () => ((await busySlots(agentAddresses(), await cluster.clusterSecret())) === 0 ? true : undefined), 3_000, 'the slots to be freed');
    } finally {
      coordinator.close();
    }
  });

  test('the same request id submitted twice gives the same job', async () => {
    const coordinator = connect(live);
    try {
      const request = { requestId: `nightly-${Date.now()}`, spec: { noop: { partitions: 2 } } };
      const [one, two] = await Promise.all([coordinator.submitJob(request), coordinator.submitJob(request)]);
      const three = await coordinator.submitJob(request);
      assert.equal(one.jobId, two.jobId);
      assert.equal(one.jobId, three.jobId);
      const fresh = await coordinator.submitJob({ ...request, requestId: `${request.requestId}-other` });
      assert.notEqual(fresh.jobId, one.jobId);
    } finally {
      coordinator.close();
    }
  });

  test('an identical re-run reuses every cached partition; --no-cache and changed data recompute', async () => {
    const coordinator = connect(live);
    const backtest = {
      symbols: ['BTCUSDT', 'ETHUSDT'],
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: 20_000, seed: 99 },
      params: { fast: { start: 5, stop: 40, step: 5 }, slow: { start: 20, stop: 200, step: 10 } },
      topN: 5,
    };
    try {
      const first = await submitAndWait(coordinator, { spec: { backtest, maxPartitions: 8 } });
      assert.equal(first.job.status, 'JOB_STATUS_COMPLETED', first.job.error);
      assert.equal(first.job.progress!.partitionsReused, 0);
      const total = first.job.progress!.partitionsTotal;
      assert.ok(total > 1);

      const again = await submitAndWait(coordinator, { spec: { backtest, maxPartitions: 8 } });
      assert.equal(again.job.progress!.partitionsReused, total);
      assert.equal(again.events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED').length, 0, 'nothing dispatched');
      assert.equal(again.job.resultJson, first.job.resultJson);

      const bypass = await submitAndWait(coordinator, { noCache: true, spec: { backtest, maxPartitions: 8 } });
      assert.equal(bypass.job.progress!.partitionsReused, 0);
      assert.equal(bypass.job.resultJson, first.job.resultJson);

      const changedData = { ...backtest, dataset: { ...backtest.dataset, seed: 100 } };
      const changed = await submitAndWait(coordinator, { spec: { backtest: changedData, maxPartitions: 8 } });
      assert.equal(changed.job.progress!.partitionsReused, 0);
      assert.deepEqual(JSON.parse(changed.job.resultJson), runInOneProcess(backtestKind, changed.job.spec!.backtest));
      assert.notEqual(changed.job.resultJson, first.job.resultJson);
    } finally {
      coordinator.close();
    }
  });
});
