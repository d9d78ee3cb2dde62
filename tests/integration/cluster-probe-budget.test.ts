import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { connect, eventually } from '../helpers/jobs.js';

/**
 * With the status probes' budget at its least (--status-max-rate 1: one probe per second for all
 * settled nodes), the guarantees that do not rest on those probes: a node that joins is proved and
 * used at once, and an idle node that dies is no longer counted ready long before its Consul TTL
 * check (3 s) expires — its broken connection says so.
 */
describe('status probes within a budget of 1 per second', { timeout: 180_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 1 }, { slots: 1 }], coordinatorArgs: ['--status-max-rate', '1'] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    coordinator?.close();
    await cluster?.stop();
  });

  // That a never-probed node is asked at once whatever the budget is probe-schedule.test.ts's to show (with two
  // settled nodes the budget alone would reach it within about 3 s too); here, that it is proved and used end to end.
  test('a node that joins is verified and given work', async () => {
    const joined = await cluster.addAgent({ slots: 1, nodeId: 'agent-new' });
    const since = Date.now();
    await eventually(async () => ((await coordinator.listNodes()).nodes.find((n) => n.id === joined.nodeId)?.state === 'ready' ? true : undefined), 10_000, 'the new node ready');
    const readyMs = Date.now() - since;
    // Under 2 s on a quiet machine (Consul's watch and one probe); the bound leaves room for a loaded one.
    assert.ok(readyMs < 5000, `new node ready after ${readyMs} ms`);
    // Three one-slot nodes, three partitions of 3 s: each node runs one, the new one included.
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 3, workMs: 3000 } }, noCache: true });
    await eventually(async () => (((await coordinator.listNodes()).nodes.find((n) => n.id === joined.nodeId)?.busySlots ?? 0) > 0 ? true : undefined), 10_000, 'a partition on the new node');
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
  });

  test('an idle node killed is no longer counted ready within 2 s, before its TTL check expires', async () => {
    const victim = cluster.agents[0].nodeId;
    await cluster.killAgent(victim, 'SIGKILL');
    const killedAt = Date.now();
    const state = await eventually(
      async () => {
        const node = (await coordinator.listNodes()).nodes.find((n) => n.id === victim);
        return node === undefined || node.state !== 'ready' ? (node?.state ?? 'gone') : undefined;
      },
      10_000,
      'the killed node not ready',
    );
    const noticedMs = Date.now() - killedAt;
    assert.ok(noticedMs < 2000, `killed node still ready ${noticedMs} ms after the kill (state now ${state})`);
    // Its TTL check (3 s) had not expired: the coordinator knew from the broken connection.
    assert.equal(state, 'unreachable');
  });
});
