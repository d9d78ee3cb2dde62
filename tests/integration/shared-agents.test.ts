import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startLocalCluster, type ClusterCoordinator, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { connect, eventually, sleep } from '../helpers/jobs.js';
import { sampleValue, scrape } from '../helpers/metrics.js';

/** The coordinator's default --max-attempts. */
const MAX_ATTEMPTS = 3;

/** The result of a no-op job: every partition index summed once. */
function noopResult(partitions: number): { partitions: number; checksum: number } {
  return { partitions, checksum: (partitions * (partitions - 1)) / 2 };
}

/** Attempts the coordinator's agents refused for lack of a slot (its metrics). */
async function refusedAttempts(coordinator: ClusterCoordinator): Promise<number> {
  return sampleValue(await scrape(coordinator.metricsUrl), 'quantgrid_partition_attempts_total', { kind: 'noop', outcome: 'refused' }) ?? 0;
}

describe('coordinators sharing agents: the agents\' slots are the truth', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let second: ClusterCoordinator;
  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 1 }, { slots: 1 }], coordinatorArgs: ['--job-concurrency', '1'] });
    second = await cluster.addCoordinator();
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('two coordinators with one job each at a time on two one-slot agents: each partition starts at most max-attempts times, refusals back off, results are right', async (t) => {
    const a = connect(cluster.coordinator);
    const b = connect(second);
    try {
      const partitions = 12;
      const started = Date.now();
      const jobs = await Promise.all([a, b, a, b].map((connection) => connection.submitJob({ spec: { noop: { partitions, workMs: 150 } } })));
      // Every event from the first (after_event_id 0-0), wherever the job runs.
      const watched = await Promise.all(jobs.map(({ jobId }, i) => watchToEnd(i % 2 ? b : a, jobId, { timeoutMs: 120_000, afterEventId: '0-0' })));
      const seconds = (Date.now() - started) / 1000;
      for (const { job, events } of watched) {
        assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
        assert.deepEqual(JSON.parse(job.resultJson), noopResult(partitions));
        const starts = events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED').length;
        assert.ok(starts >= partitions, `${starts} starts`);
        assert.ok(starts <= partitions * MAX_ATTEMPTS, `${starts} PARTITION_STARTED events for ${partitions} partitions`);
      }
      // A refused node backs off (100 ms doubling to 2 s, per coordinator and node) and is not asked
      // while its status says it is full: far fewer refusals than partitions, not thousands.
      const refused = (await refusedAttempts(cluster.coordinator)) + (await refusedAttempts(second));
      const bound = Math.ceil(2 * 2 * (seconds / 0.1));
      t.diagnostic(`${refused} refusals over both coordinators in ${seconds.toFixed(1)} s for ${jobs.length} jobs of ${partitions} partitions`);
      assert.ok(refused <= Math.min(bound, 4 * partitions), `${refused} refusals in ${seconds.toFixed(1)} s`);
    } finally {
      a.close();
      b.close();
    }
  });
});

/** Short BullMQ locks so a paused coordinator's job is taken over within a few seconds. */
const FAST_TAKEOVER = ['--job-lock', '2s', '--stalled-interval', '1s'];

/** The JSON lines of a coordinator's log (pino), once it has written them. */
async function logLines(coordinator: ClusterCoordinator): Promise<Array<{ time: number; msg: string; job?: string; level: number }>> {
  const text = await readFile(coordinator.logFile, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { time: number; msg: string; job?: string; level: number });
}

describe('fencing: a coordinator that lost a job\'s lock never runs it beside its new owner', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let coordinators: ClusterCoordinator[];
  before(async () => {
    // Debug logs: each dispatch is a line, with its time.
    cluster = await startLocalCluster({ agents: [{ slots: 2 }, { slots: 2 }], coordinatorArgs: FAST_TAKEOVER, coordinatorEnv: { QUANTGRID_LOG_LEVEL: 'debug' } });
    coordinators = [cluster.coordinator, await cluster.addCoordinator()];
  });
  after(async () => {
    await cluster?.stop();
  });

  test('paused (SIGSTOP) past its lock: the other coordinator takes the job over; resumed (SIGCONT), the first dispatches nothing more of it', async () => {
    const partitions = 60;
    const submitter = connect(coordinators[0]);
    const { jobId } = await submitter.submitJob({ spec: { noop: { partitions, workMs: 500 } } });
    await eventually(async () => ((await submitter.getJob(jobId)).progress?.partitionsDone ?? 0) >= 4 || undefined, 30_000, 'the first partitions');
    submitter.close();
    // Whichever coordinator took the job is paused; the other is to take it over.
    const runs = await Promise.all(coordinators.map(async (coordinator) => (await logLines(coordinator)).some((line) => line.job === jobId && line.msg === 'partition dispatched')));
    assert.equal(runs.filter(Boolean).length, 1, 'one coordinator runs the job');
    const paused = coordinators[runs.indexOf(true)];
    const owner = connect(coordinators[runs.indexOf(false)]);
    try {
      paused.process.kill('SIGSTOP');
      const stoppedAt = Date.now();
      assert.ok(((await owner.getJob(jobId)).progress?.partitionsDone ?? 0) < partitions / 2, 'paused mid-job');
      // Past the 2 s lock, the other coordinator's stalled check hands the job to it.
      await eventually(
        async () => {
          for await (const line of owner.jobLog(jobId)) if (line.message.startsWith('took the job over')) return true;
          return undefined;
        },
        30_000,
        'the other coordinator to take the job over',
      );
      await sleep(500);
      const resumedAt = Date.now();
      paused.process.kill('SIGCONT');
      const { job } = await watchToEnd(owner, jobId, { timeoutMs: 120_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.deepEqual(JSON.parse(job.resultJson), noopResult(partitions), 'each partition merged once');
      assert.ok(job.progress!.partitionsRecovered >= 4, `${job.progress!.partitionsRecovered} recovered`);

      // The paused coordinator fenced the job when it woke, and dispatched nothing of it after.
      await sleep(500);
      const lines = (await logLines(paused)).filter((line) => line.job === jobId);
      const dispatched = lines.filter((line) => line.msg === 'partition dispatched');
      assert.ok(dispatched.length >= 4, `${dispatched.length} dispatches before the pause`);
      const late = dispatched.filter((line) => line.time >= resumedAt);
      assert.deepEqual(late, [], 'dispatched after it woke up without the lock');
      assert.ok(dispatched.every((line) => line.time <= stoppedAt + 50));
      const fenced = lines.find((line) => line.msg.startsWith("lost the job's lock"));
      assert.ok(fenced && fenced.time >= resumedAt, 'it says it lost the lock, once awake');
      assert.ok(!lines.some((line) => line.msg === 'job completed' || line.msg === 'job failed'), 'it neither completed nor failed the job');
    } finally {
      owner.close();
    }
  });
});
