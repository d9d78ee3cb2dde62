/**
 * Stragglers on a real cluster (auth on): one agent made a straggler by the test-only delay
 * (node-agent/test-only-delay.ts: each partition it takes waits a minute first). Its partition gets
 * a backup copy on another node, which wins; the straggler is cancelled on its agent. The job takes
 * about as long as the same job undisturbed, measured here on the same cluster, and its result is
 * byte-identical.
 *
 * The agents: a and b (3 slots each) run both jobs; c (1 slot, normal) only the undisturbed one and
 * d (1 slot, delayed) only the disturbed one, chosen by capability: both runs have the same 7 slots.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { jobTimelinePath, type TimelineResponse } from '../../shared/dashboard/api-types.js';
import { noopKind } from '../../shared/tasks/noop/index.js';
import { TEST_ONLY_DELAY_ENV } from '../../node-agent/test-only-delay.js';
import { agentStatus, connect, eventually, runInOneProcess, submitAndWait } from '../helpers/jobs.js';
import { sampleValue, scrape } from '../helpers/metrics.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
/** 36 partitions of 1.5 s: 6 rounds on 7 slots undisturbed, and 6 on the 6 fast slots with one stuck. */
const NOOP = { partitions: 36, workMs: 1500 };
const STUCK_MS = 60_000;

describe('stragglers: a backup copy on another node, the first result wins', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;

  before(async () => {
    cluster = await startLocalCluster({
      agents: [
        { nodeId: 'agent-a', slots: 3, capabilities: ['noop', 'steady', 'probe'] },
        { nodeId: 'agent-b', slots: 3, capabilities: ['noop', 'steady', 'probe'] },
        { nodeId: 'agent-c', slots: 1, capabilities: ['noop', 'steady'] },
        { nodeId: 'agent-d', slots: 1, capabilities: ['noop', 'probe'], env: { [TEST_ONLY_DELAY_ENV]: String(STUCK_MS) } },
      ],
      // The defaults but for the minimum runtime: these partitions are 1.5 s.
      coordinatorArgs: ['--straggler-ratio', '2', '--straggler-done', '0.75', '--straggler-min-runtime', '1s'],
    });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    coordinator?.close();
    await cluster?.stop();
  });

  test('one agent stuck: the job takes at most 1.3× an undisturbed run, with an identical result and the backup in its events, timeline, metrics and CLI', async () => {
    const timed = async (capability: string) => {
      const started = performance.now();
      const watched = await submitAndWait(coordinator, { spec: { noop: NOOP, requiredCapabilities: [capability] } });
      return { ...watched, ms: performance.now() - started };
    };
    const metricsBefore = await scrape(cluster.coordinator.metricsUrl);
    const steady = await timed('steady');
    const disturbed = await timed('probe');
    for (const run of [steady, disturbed]) assert.equal(run.job.status, 'JOB_STATUS_COMPLETED', run.job.error);

    // The merge stays exact: byte-identical results, equal to the job computed in one process.
    assert.equal(disturbed.job.resultJson, steady.job.resultJson);
    // (The result does not depend on the busy-work, which the reference skips.)
    assert.deepEqual(JSON.parse(disturbed.job.resultJson), runInOneProcess(noopKind, { ...NOOP, workMs: 0 }));
    assert.equal(JSON.parse(disturbed.job.resultJson).checksum, (NOOP.partitions * (NOOP.partitions - 1)) / 2, 'every partition counted once');

    const ratio = disturbed.ms / steady.ms;
    console.log(`stragglers: undisturbed ${Math.round(steady.ms)} ms, one agent stuck ${Math.round(disturbed.ms)} ms, ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio <= 1.3, `the disturbed run took ${ratio.toFixed(2)}× the undisturbed one (${Math.round(disturbed.ms)} vs ${Math.round(steady.ms)} ms)`);

    // The undisturbed run needed no backup.
    assert.equal(steady.events.filter((event) => event.backup).length, 0);
    assert.equal(steady.job.progress?.backups, 0);

    // The stuck agent's partition: a backup copy on a or b finished first; the straggler was superseded.
    const stuck = disturbed.events.find((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && event.nodeId === 'agent-d');
    assert.ok(stuck, 'agent-d took a partition');
    const partition = stuck.partition;
    const backup = disturbed.events.find((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && event.backup);
    assert.ok(backup, 'a backup copy started');
    assert.equal(backup.partition, partition);
    assert.ok(['agent-a', 'agent-b'].includes(backup.nodeId), backup.nodeId);
    assert.equal(disturbed.events.filter((event) => event.backup && event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED').length, 1, 'one backup');
    const finished = disturbed.events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED' && event.partition === partition);
    assert.deepEqual(finished.map((event) => [event.nodeId, event.attempt, event.backup]), [[backup.nodeId, backup.attempt, true]], 'finished once, by the backup');
    const stopped = disturbed.events.find((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_COPY_STOPPED');
    assert.ok(stopped, 'the straggler stopped');
    assert.deepEqual([stopped.partition, stopped.nodeId, stopped.attempt, stopped.backup], [partition, 'agent-d', stuck.attempt, false]);
    assert.match(stopped.message, /^superseded: attempt \d+ on agent-[ab] finished first$/);
    // A backup is no failure attempt: no retry, and the counts say one backup, won.
    assert.equal(disturbed.events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED').length, 0);
    assert.equal(disturbed.job.progress?.retries, 0);
    assert.deepEqual([disturbed.job.progress?.backups, disturbed.job.progress?.backupsWon], [1, 1]);

    // The loser was cancelled on its agent: its slot is free long before the delay would have ended.
    const secret = await cluster.clusterSecret();
    await eventually(async () => ((await agentStatus(cluster.agent('agent-d')!.address, secret)).busySlots === 0 ? true : undefined), 10_000, "agent-d's slot freed");

    // Metrics: one backup launched, one won; the straggler's attempt ended superseded.
    const metricsAfter = await scrape(cluster.coordinator.metricsUrl);
    const delta = (name: string, labels: Record<string, string>) => (sampleValue(metricsAfter, name, labels) ?? 0) - (sampleValue(metricsBefore, name, labels) ?? 0);
    assert.equal(delta('quantgrid_partition_backups_launched_total', { kind: 'noop' }), 1);
    assert.equal(delta('quantgrid_partition_backups_won_total', { kind: 'noop' }), 1);
    assert.equal(delta('quantgrid_partition_attempts_total', { kind: 'noop', outcome: 'superseded' }), 1);

    // The dashboard's timeline: the straggler's bar superseded, the backup's outlined and completed.
    const response = await fetch(new URL(jobTimelinePath(disturbed.job.id), cluster.coordinator.httpUrl), { headers: { authorization: `Bearer ${cluster.coordinator.adminToken}` } });
    assert.equal(response.status, 200);
    const timeline = (await response.json()) as TimelineResponse;
    const bars = timeline.attempts.filter((attempt) => attempt.partition === partition).map((attempt) => [attempt.nodeId, attempt.outcome, attempt.backup]);
    assert.deepEqual(bars, [
      ['agent-d', 'superseded', false],
      [backup.nodeId, 'completed', true],
    ]);
    assert.equal(timeline.attempts.length, NOOP.partitions + 1);

    // `quantgrid job`: the backups row.
    const shown = spawnSync(process.execPath, [CLI, '--coordinator', cluster.coordinator.address, '--token-file', cluster.coordinator.adminTokenFile, 'job', disturbed.job.id], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /backups\s*│\s*1 straggler backup copy on other nodes, 1 finished first/);
  });
});
