import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { connect, sleep, submitAndWait } from '../helpers/jobs.js';

describe('Redis down for a while', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 1 }], redis: { appendOnly: true } });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the coordinator logs the outage in its own lines, with no raw error dumps from any connection, and works once Redis is back', async () => {
    cluster.redis.process.kill('SIGKILL');
    await cluster.redis.process.exited;
    // Several reconnect attempts of every connection (main, duplicates, BullMQ's queue and worker).
    await sleep(4000);
    await cluster.redis.restart({ hard: true });
    const coordinator = connect(cluster.coordinator);
    try {
      const { job } = await submitAndWait(coordinator, { spec: { noop: { partitions: 2 } } }, 60_000);
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    } finally {
      coordinator.close();
    }
    const log = await readFile(cluster.coordinator.logFile, 'utf8');
    // The harness's own lines start with '#' and the process's stdout with '[stdout]'; stderr is the logger's JSON.
    const raw = log.split('\n').filter((line) => line !== '' && !line.startsWith('{') && !line.startsWith('#') && !line.startsWith('[stdout]'));
    assert.deepEqual(raw.slice(0, 10), [], `${raw.length} lines that are not the logger's`);
    assert.match(log, /"msg":"Redis connection lost; reconnecting"/);
  });
});
