import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseRedisAddress } from '../../coordinator/redis/redis-address.js';
import { connectRedis, RedisAuthenticationError } from '../../coordinator/redis/redis-connection.js';
import {
  liveManagedProcesses,
  startLocalCluster,
  startRedisSentinel,
  startRedisServer,
  type LocalCluster,
  type RedisSentinel,
  type RedisServer,
} from '../../scripts/local-cluster/index.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { connect, eventually, runInOneProcess, submitAndWait } from '../helpers/jobs.js';

const MASTER = 'quantgrid';
const REDIS_PASSWORD = 'master and replica password';
/** The sentinels' own password: not the master's, so each flag is shown to reach its own servers. */
const SENTINEL_PASSWORD = 'sentinel-only password';

/** A sweep long enough to be mid-run when the master dies, split so that some partitions finish before and some after. */
const BACKTEST = {
  symbols: Array.from({ length: 12 }, (_, i) => `SYM${i + 1}`),
  timeframe: '1h',
  dataset: { name: 'synthetic', bars: 80_000, seed: 11 },
  params: { fast: { start: 5, stop: 80, step: 5 }, slow: { start: 20, stop: 300, step: 10 } },
  topN: 10,
};
const SPEC = { backtest: BACKTEST, maxPartitions: 24 };

/** A connection to one sentinel (with its password), for the test's own questions. */
function sentinelClient(sentinel: RedisSentinel): Redis {
  return new Redis({ port: sentinel.port, host: '127.0.0.1', password: SENTINEL_PASSWORD, maxRetriesPerRequest: 1, lazyConnect: true });
}

async function masterPortSeenBy(sentinel: RedisSentinel): Promise<number | undefined> {
  const client = sentinelClient(sentinel);
  try {
    const address = (await client.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as [string, string] | null;
    return address ? Number(address[1]) : undefined;
  } finally {
    client.disconnect();
  }
}

/** What one sentinel knows of the master: its replicas and the other sentinels. */
async function sentinelView(sentinel: RedisSentinel): Promise<{ replicas: number; otherSentinels: number }> {
  const client = sentinelClient(sentinel);
  try {
    const flat = (await client.call('SENTINEL', 'master', MASTER)) as string[];
    const field = (name: string) => Number(flat[flat.indexOf(name) + 1]);
    return { replicas: field('num-slaves'), otherSentinels: field('num-other-sentinels') };
  } finally {
    client.disconnect();
  }
}

describe('Redis Sentinel: the master is killed mid-job, a replica is promoted, the job completes with the same result', { timeout: 300_000 }, () => {
  let dir: string;
  let master: RedisServer;
  let replica: RedisServer;
  const sentinels: RedisSentinel[] = [];
  let cluster: LocalCluster;
  let address: string;
  let redisPasswordFile: string;
  let sentinelPasswordFile: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'quantgrid-sentinel-test-'));
    redisPasswordFile = path.join(dir, 'redis.password');
    sentinelPasswordFile = path.join(dir, 'sentinel.password');
    await writeFile(redisPasswordFile, `${REDIS_PASSWORD}\n`, { mode: 0o600 });
    await writeFile(sentinelPasswordFile, `${SENTINEL_PASSWORD}\n`, { mode: 0o600 });
    // masterauth on both: either may be the replica of the other after a failover.
    const auth = ['--masterauth', REDIS_PASSWORD];
    master = await startRedisServer({ password: REDIS_PASSWORD, extraArgs: auth });
    replica = await startRedisServer({ password: REDIS_PASSWORD, extraArgs: [...auth, '--replicaof', '127.0.0.1', String(master.port)] });
    for (let i = 0; i < 3; i++) {
      sentinels.push(
        await startRedisSentinel({ masterName: MASTER, masterPort: master.port, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 3000, masterPassword: REDIS_PASSWORD, password: SENTINEL_PASSWORD }),
      );
    }
    // Every sentinel must know the replica and both peers before the master may die.
    await eventually(
      async () => {
        const views = await Promise.all(sentinels.map((sentinel) => sentinelView(sentinel).catch(() => undefined)));
        return views.every((view) => view && view.replicas === 1 && view.otherSentinels === 2) ? true : undefined;
      },
      60_000,
      'the sentinels to know the replica and each other',
    );
    address = `sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${MASTER}`;
    cluster = await startLocalCluster({
      agents: [{ slots: 1 }, { slots: 1 }],
      // The last --redis wins over the cluster's own server, which stays unused.
      coordinatorArgs: ['--redis', address, '--redis-password-file', redisPasswordFile, '--redis-sentinel-password-file', sentinelPasswordFile],
    });
  });
  after(async () => {
    await cluster?.stop();
    await Promise.all([...sentinels.map((sentinel) => sentinel.stop()), replica?.stop(), master?.stop()]);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(
      liveManagedProcesses().map((child) => child.name),
      [],
      'no process is left running',
    );
  });

  test('SIGKILL of the master mid-job: the sentinels promote the replica, the coordinator follows, and the result equals an undisturbed run\'s', async () => {
    const coordinator = connect(cluster.coordinator);
    try {
      const undisturbed = await submitAndWait(coordinator, { spec: SPEC });
      assert.equal(undisturbed.job.status, 'JOB_STATUS_COMPLETED', undisturbed.job.error);
      assert.deepEqual(JSON.parse(undisturbed.job.resultJson), runInOneProcess(backtestKind, undisturbed.job.spec!.backtest));

      // The same job again, computed afresh (no partition reused), and the master killed while it runs.
      const { jobId } = await coordinator.submitJob({ noCache: true, spec: SPEC });
      const before = await eventually(
        async () => {
          const progress = (await coordinator.getJob(jobId)).progress;
          return progress && progress.partitionsDone >= 1 ? progress : undefined;
        },
        120_000,
        'a partition to finish',
      );
      assert.ok(before.partitionsDone <= before.partitionsTotal / 2, `mid-job: ${before.partitionsDone}/${before.partitionsTotal} done`);
      master.process.kill('SIGKILL');
      await master.process.exited;

      await eventually(
        async () => {
          const ports = await Promise.all(sentinels.map((sentinel) => masterPortSeenBy(sentinel).catch(() => undefined)));
          return ports.every((port) => port === replica.port) ? true : undefined;
        },
        60_000,
        'the sentinels to promote the replica',
      );
      const job = await eventually(
        async () => {
          const current = await coordinator.getJob(jobId).catch(() => undefined);
          return current && isTerminalStatus(current.status) ? current : undefined;
        },
        120_000,
        'the job to end after the failover',
      );
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.equal(job.progress!.partitionsReused, 0, 'computed afresh, not taken from the partition cache');
      assert.equal(job.resultJson, undisturbed.job.resultJson, 'the same result, byte for byte');

      // The job's record lives on the promoted replica, now the master.
      const promoted = new Redis({ port: replica.port, host: '127.0.0.1', password: REDIS_PASSWORD, maxRetriesPerRequest: 1 });
      try {
        assert.match(await promoted.info('replication'), /^role:master\r?$/m);
      } finally {
        promoted.disconnect();
      }

      // New work flows through the coordinator on the new master.
      const next = await submitAndWait(coordinator, { spec: { noop: { partitions: 4 } } }, 60_000);
      assert.equal(next.job.status, 'JOB_STATUS_COMPLETED', next.job.error);
    } finally {
      coordinator.close();
    }
    const log = await readFile(cluster.coordinator.logFile, 'utf8');
    // The harness's lines start with '#', the process's stdout with '[stdout]'; stderr is the logger's JSON only.
    const raw = log.split('\n').filter((line) => line !== '' && !line.startsWith('{') && !line.startsWith('#') && !line.startsWith('[stdout]'));
    assert.deepEqual(raw.slice(0, 10), [], `${raw.length} lines that are not the logger's`);
    assert.match(log, /"msg":"Redis reconnected"/);
  });

  test('a refused password stops at once, naming the flag: the sentinels\' and the master\'s each', async () => {
    const log = pino({ level: 'silent' });
    const wrong = path.join(dir, 'wrong.password');
    await writeFile(wrong, 'not it\n', { mode: 0o600 });
    const cases = [
      { access: { passwordFile: redisPasswordFile, sentinelPasswordFile: wrong }, message: /^Redis Sentinel authentication failed at sentinel:\/\/.* \(check the password in --redis-sentinel-password-file\)$/ },
      { access: { passwordFile: redisPasswordFile }, message: /^Redis Sentinel authentication failed at sentinel:\/\// },
      { access: { passwordFile: wrong, sentinelPasswordFile }, message: /^Redis authentication failed at sentinel:\/\/.*--redis-password-file/ },
    ];
    for (const { access, message } of cases) {
      const started = Date.now();
      await assert.rejects(connectRedis({ address: parseRedisAddress(address), ...access }, log, new AbortController().signal), (error: Error) => {
        assert.ok(error instanceof RedisAuthenticationError, String(error));
        assert.match(error.message, message);
        assert.ok(!error.message.includes(SENTINEL_PASSWORD) && !error.message.includes(REDIS_PASSWORD), 'no password in the message');
        return true;
      });
      assert.ok(Date.now() - started < 3000, 'not retried as if Redis were unreachable');
    }
    // The right ones reach the promoted master.
    const redis = await connectRedis({ address: parseRedisAddress(address), passwordFile: redisPasswordFile, sentinelPasswordFile }, log, new AbortController().signal);
    try {
      assert.match(await redis.info('server'), new RegExp(`^tcp_port:${replica.port}\\r?$`, 'm'));
    } finally {
      redis.disconnect();
    }
  });
});
