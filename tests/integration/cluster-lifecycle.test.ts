import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNewClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import {
  DEFAULT_COORDINATOR_ENTRY,
  freePort,
  spawnManaged,
  startLocalCluster,
  startRedisServer,
  type LocalCluster,
  type ManagedProcess,
  type RedisServer,
} from '../../scripts/local-cluster/index.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { connect, eventually } from '../helpers/jobs.js';

describe('cluster lifecycle', { timeout: 180_000 }, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('a job on an empty cluster waits for nodes, and a node that joins is used within 2 s', async () => {
    const cluster: LocalCluster = await startLocalCluster({ agents: [] });
    cleanups.push(() => cluster.stop());
    const coordinator = connect(cluster.coordinator);
    cleanups.push(async () => coordinator.close());

    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 8 } } });
    await eventually(
      async () => ((await coordinator.getJob(jobId)).status === 'JOB_STATUS_WAITING_FOR_NODES' ? true : undefined),
      10_000,
      'the job to wait for nodes',
    );
    const watching = watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await coordinator.getJob(jobId)).status, 'JOB_STATUS_WAITING_FOR_NODES', 'still waiting, not failed');

    await cluster.addAgent({ slots: 2, nodeId: 'late-agent' });
    const joinedAt = Date.now();
    const { events, job } = await watching;
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.deepEqual(JSON.parse(job.resultJson), { partitions: 8, checksum: 28 });
    const firstStart = events.find((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED');
    assert.ok(firstStart, 'a partition started');
    assert.ok(firstStart.timeMs - joinedAt <= 2000, `first partition started ${firstStart.timeMs - joinedAt} ms after the node joined`);
  });

  test('a node of another quantgrid version is listed as incompatible and gets no work', async () => {
    const cluster = await startLocalCluster({ agents: [{ slots: 2 }] });
    cleanups.push(() => cluster.stop());
    const coordinator = connect(cluster.coordinator);
    cleanups.push(async () => coordinator.close());
    const real = cluster.agents[0];
    const [host, port] = real.address.split(':');
    // An old agent, as Consul would list it: same service, another version.
    const response = await fetch(`${cluster.consul.httpAddress}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({
        ID: 'old-agent',
        Name: 'quantgrid-agent',
        Address: host,
        Port: Number(port),
        Meta: { version: '0.0.1', slots: '4', cores: '4', capabilities: 'noop,backtest,market-analysis' },
        Check: { TTL: '60s', Status: 'passing' },
      }),
    });
    assert.equal(response.status, 200);
    await eventually(
      async () => ((await coordinator.listNodes()).nodes.find((node) => node.id === 'old-agent')?.state === 'incompatible' ? true : undefined),
      5000,
      'old-agent to be listed as incompatible',
    );
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 20 } } });
    const { events, job } = await watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const used = new Set(events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED').map((event) => event.nodeId));
    assert.deepEqual([...used], [real.nodeId]);
  });

  test('an agent that hangs (SIGSTOP: no reset, no answer) has its partitions retried elsewhere', async () => {
    const cluster = await startLocalCluster({ agents: [{ slots: 4 }, { slots: 4 }] });
    cleanups.push(() => cluster.stop());
    const coordinator = connect(cluster.coordinator);
    cleanups.push(async () => coordinator.close());
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });

    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 4, workMs: 1500 } } });
    const watching = watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
    // The partitions may all start before the watch attaches, so find a busy node from the node list.
    const victim = await eventually(
      async () => (await coordinator.listNodes()).nodes.find((node) => node.busySlots > 0)?.id,
      10_000,
      'a node running partitions',
    );
    const stoppedAt = Date.now();
    await cluster.killAgent(victim, 'SIGSTOP');
    const { events, job } = await watching;
    await cluster.killAgent(victim, 'SIGCONT');
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.deepEqual(JSON.parse(job.resultJson), { partitions: 4, checksum: 6 });
    const retried = events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED');
    assert.ok(retried.length >= 1);
    for (const retry of retried) {
      assert.equal(retry.nodeId, victim);
      const restart = events.find((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && e.partition === retry.partition && e.timeMs >= retry.timeMs);
      assert.ok(restart && restart.nodeId !== victim, `partition ${retry.partition} restarted on another node`);
      // Detection takes the heartbeat timeout (1.5 s); the re-dispatch itself is immediate.
      assert.ok(restart.timeMs - stoppedAt <= 3500, `restarted ${restart.timeMs - stoppedAt} ms after the hang`);
    }
  });

  test('a coordinator started before Redis and Consul waits for them instead of crashing', async () => {
    const redisPort = await freePort();
    const consulPort = await freePort();
    const secrets = await mkdtemp(join(tmpdir(), 'quantgrid-early-'));
    cleanups.push(() => rm(secrets, { recursive: true, force: true }));
    await writeNewClusterSecretFile(join(secrets, 'cluster.secret'));
    const coordinator: ManagedProcess = spawnManaged('coordinator-early', process.execPath, [
      DEFAULT_COORDINATOR_ENTRY,
      '--cluster-secret-file',
      join(secrets, 'cluster.secret'),
      '--admin-token-file',
      join(secrets, 'admin.token'),
      '--listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      '--redis',
      `redis://127.0.0.1:${redisPort}`,
      '--consul',
      `http://127.0.0.1:${consulPort}`,
    ]);
    cleanups.push(() => coordinator.stop());
    await eventually(() => (/Redis unreachable; retrying/.test(coordinator.stderrTail(50)) ? true : undefined), 10_000, 'a clear log line');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(coordinator.running, 'still running while Redis is down');

    const redis: RedisServer = await startRedisServer({ port: redisPort });
    cleanups.push(() => redis.stop());
    const [, address] = await coordinator.waitForLine(/quantgrid-coordinator ready address=(\S+)/, 15_000);
    const client = connect({ address, adminToken: (await readFile(join(secrets, 'admin.token'), 'utf8')).trim() });
    cleanups.push(async () => client.close());
    const { jobId } = await client.submitJob({ spec: { noop: { partitions: 2 } } });
    assert.ok(jobId);
    assert.deepEqual((await client.listNodes()).nodes, []);
    assert.match(coordinator.stderrTail(200), /Consul unreachable/);
    const exit = await coordinator.stop();
    assert.equal(exit.code, 0);
  });
});
