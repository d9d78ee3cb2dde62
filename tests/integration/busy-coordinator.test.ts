import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { connect } from '../helpers/jobs.js';

/** The coordinator stopped (SIGSTOP) this long: its event loop blocked past the heartbeat timeout (1.5 s) and the old keepalive timeout (1 s). */
const STALL_MS = 3000;

/**
 * A coordinator whose own event loop is blocked (a burst of work at 1,000 agents; here the process
 * stopped outright) must not take its own stall for its agents' silence: when it runs again, the
 * heartbeats and keepalive answers that came meanwhile are waiting unread, and a timer that fires
 * before they are read (keepalive's ping timeout in grpc-js, the dispatcher's heartbeat watchdog)
 * would drop healthy connections and retry their partitions. See shared/grpc/clients.ts
 * (CLIENT_KEEPALIVE_OPTIONS) and PartitionDispatcher's watchdog.
 */
describe('a coordinator stalled while partitions run', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 2 }] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    // Never leave it stopped (a stopped process ignores SIGTERM until continued).
    if (cluster?.coordinator.process.pid) process.kill(cluster.coordinator.process.pid, 'SIGCONT');
    coordinator?.close();
    await cluster?.stop();
  });

  test(`keeps its agents' connections and partitions through a ${STALL_MS} ms stall`, async () => {
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 2, workMs: 8000 } }, noCache: true });
    const events: string[] = [];
    let started = 0;
    let stalled: Promise<void> | undefined;
    const pid = cluster.coordinator.process.pid!;
    const { job } = await watchToEnd(coordinator, jobId, {
      timeoutMs: 60_000,
      keep: () => false,
      onEvent: (event) => {
        events.push(event.type);
        if (event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && ++started === 2) {
          // Both running, their streams open (and keepalive armed): stop the coordinator a while.
          stalled = new Promise((resolve) =>
            setTimeout(() => {
              process.kill(pid, 'SIGSTOP');
              setTimeout(() => {
                process.kill(pid, 'SIGCONT');
                resolve();
              }, STALL_MS);
            }, 1500),
          );
        }
      },
    });
    await stalled;
    assert.ok(stalled, 'the stall happened while the partitions ran');
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.deepEqual(events.filter((type) => type === 'JOB_EVENT_TYPE_PARTITION_RETRIED'), [], `events: ${events.join(', ')}`);
    const node = (await coordinator.listNodes()).nodes.find((n) => n.id === cluster.agents[0].nodeId);
    assert.equal(node?.state, 'ready');
  });
});
