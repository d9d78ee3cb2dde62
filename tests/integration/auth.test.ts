/**
 * Users, roles and nodes that prove they belong, on a real local cluster (secure by default):
 * every Coordinator RPC with no token, a viewer, a submitter, another user's submitter and an admin;
 * revocation and expiry; fair share between users; a rogue node registered in Consul without the
 * cluster secret; the audit trail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { bearerTokenInterceptor } from '../../shared/grpc/bearer-token-interceptor.js';
import { createCoordinatorClient, type CoordinatorClient } from '../../shared/grpc/clients.js';
import { loadQuantgridProto } from '../../shared/grpc/proto-package.js';
import type { NodeAgentHandlers } from '../../shared/generated/quantgrid/v1/NodeAgent.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';
import { agentServiceMeta } from '../../node-agent/consul-registration.js';
import { RPC_ROLES } from '../../coordinator/auth/rpc-roles.js';
import { bundleStrategy } from '../../shared/sandbox/strategy-bundle.js';
import { fileURLToPath } from 'node:url';
import { eventually, runInOneProcess, sleep } from '../helpers/jobs.js';

type Who = 'nobody' | 'viewer' | 'sam' | 'sue' | 'admin';
const WHO: readonly Who[] = ['nobody', 'viewer', 'sam', 'sue', 'admin'];

/** The status code a call ends with (OK = 0), unary or streaming. */
function codeOf(client: CoordinatorClient, method: string, request: unknown): Promise<grpc.status> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method].bind(client);
  const deadline = Date.now() + 10_000;
  const definition = (client.constructor as unknown as { service: Record<string, { requestStream: boolean; responseStream: boolean }> }).service[method.replace(/^./, (c) => c.toUpperCase())];
  if (definition.requestStream) {
    // A client stream: the request is the list of its messages.
    return new Promise((resolve) => {
      const stream = fn({ deadline }, (error: grpc.ServiceError | null) => resolve(error ? error.code : grpc.status.OK)) as grpc.ClientWritableStream<unknown>;
      stream.on('error', () => undefined);
      for (const message of request as unknown[]) stream.write(message);
      stream.end();
    });
  }
  if (definition.responseStream) {
    return new Promise((resolve) => {
      const stream = fn(request, { deadline }) as grpc.ClientReadableStream<unknown>;
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      stream.on('status', (status: grpc.StatusObject) => resolve(status.code));
    });
  }
  return new Promise((resolve) => fn(request, { deadline }, (error: grpc.ServiceError | null) => resolve(error ? error.code : grpc.status.OK)));
}

const CSV = ['timestamp,open,high,low,close,volume', ...Array.from({ length: 50 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 3_600_000},10,11,9,10.5,1`)].join('\n');

describe('users, roles and proven nodes (real cluster)', { timeout: 180_000 }, () => {
  let cluster: LocalCluster;
  const tokens = {} as Record<Who, string>;
  const clients = {} as Record<Who, CoordinatorClient>;
  const connections: CoordinatorConnection[] = [];
  const connection = (who: Who, address = cluster.coordinator.address): CoordinatorConnection => {
    const made = new CoordinatorConnection({ address, token: tokens[who] || undefined });
    connections.push(made);
    return made;
  };

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 2 }], coordinatorArgs: ['--max-queued-units-per-user', '1000'] });
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
    tokens.admin = cluster.coordinator.adminToken;
    tokens.nobody = '';
    const admin = connection('admin');
    tokens.viewer = (await admin.createToken({ user: 'vera', role: 'viewer' })).token;
    tokens.sam = (await admin.createToken({ user: 'sam', role: 'submitter' })).token;
    tokens.sue = (await admin.createToken({ user: 'sue', role: 'submitter' })).token;
    for (const who of WHO) {
      clients[who] = createCoordinatorClient(cluster.coordinator.address, {}, tokens[who] ? { interceptors: [bearerTokenInterceptor(tokens[who])] } : {});
    }
  });

  after(async () => {
    for (const client of Object.values(clients)) client?.close();
    for (const made of connections) made.close();
    await cluster?.stop();
  });

  test('every RPC with no token, a viewer, a submitter, another submitter and an admin: the expected code each time', async () => {
    const { OK, UNAUTHENTICATED: UNAUTH, PERMISSION_DENIED: DENIED, NOT_FOUND } = grpc.status;
    const sam = connection('sam');
    const { jobId } = await sam.submitJob({ spec: { noop: { partitions: 1 } } });
    await watchToEnd(sam, jobId, { timeoutMs: 30_000 });
    const schedule = (name: string) => ({ name, cron: '0 3 * * *', template: { spec: { noop: { partitions: 1 } } } });
    for (const name of ['sam-a', 'sam-b', 'sam-c']) await sam.addSchedule(schedule(name));
    const code = await bundleStrategy(fileURLToPath(new URL('../../../examples/strategies/triple-ma.ts', import.meta.url)));
    for (const name of ['sam-a', 'sam-b', 'sam-c']) await sam.pushStrategy(code, name);
    // Sam's dataset and tags: others may not move or remove them.
    const parent = await sam.importDataset({ symbol: 'AUTHAPP', timeframe: '1h', content: Buffer.from(CSV) });
    for (const name of ['auth-app', 'sam-tag', 'sam-tag2']) await sam.tagDataset({ name, dataset: parent.id });
    /** One bar after the parent's 50 (and after the one before it): each append is new bars. */
    const nextBar = (k: number) => Buffer.from(`timestamp,open,high,low,close,volume\n${Date.UTC(2024, 0, 1) + (50 + k) * 3_600_000},10,11,9,10.5,1\n`);
    const appendMessages = (k: number) => [{ header: { dataset: 'auth-app', totalBytes: nextBar(k).length } }, { content: nextBar(k) }, { end: true }];

    // Per RPC: the request, then the code for viewer, sam (the owner), sue (another submitter), admin. Nobody: UNAUTHENTICATED.
    const cases: Array<[string, (who: Who) => unknown, Record<Exclude<Who, 'nobody'>, grpc.status>]> = [
      ['getJob', () => ({ jobId }), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['watchJob', () => ({ jobId }), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['getJobLog', () => ({ jobId, follow: true }), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['getJobResult', () => ({ jobId }), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['listJobs', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['listNodes', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['listDatasets', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['fetchDataset', () => ({ id: 'f'.repeat(64) }), { viewer: NOT_FOUND, sam: NOT_FOUND, sue: NOT_FOUND, admin: NOT_FOUND }],
      ['listSchedules', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['whoAmI', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['submitJob', () => ({ spec: { noop: { partitions: 1 } } }), { viewer: DENIED, sam: OK, sue: OK, admin: OK }],
      ['cancelJob', () => ({ jobId }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['importDataset', () => ({ symbol: 'AUTHUSD', timeframe: '1h', content: Buffer.from(CSV) }), { viewer: DENIED, sam: OK, sue: OK, admin: OK }],
      [
        'importDatasetStream',
        () => [{ header: { symbol: 'AUTHUSD', timeframe: '1h', totalBytes: Buffer.byteLength(CSV) } }, { content: Buffer.from(CSV) }, { end: true }],
        { viewer: DENIED, sam: OK, sue: OK, admin: OK },
      ],
      ['appendDatasetStream', (who) => appendMessages(who === 'admin' ? 1 : 0), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['tagDataset', () => ({ name: 'auth-app', dataset: parent.id }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['removeDataset', (who) => ({ name: who === 'admin' ? 'sam-tag2' : 'sam-tag' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['addSchedule', (who) => schedule(`by-${who}`), { viewer: DENIED, sam: OK, sue: OK, admin: OK }],
      ['pauseSchedule', () => ({ name: 'sam-a' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['resumeSchedule', () => ({ name: 'sam-a' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['runScheduleNow', () => ({ name: 'sam-a' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['removeSchedule', (who) => ({ name: who === 'admin' ? 'sam-c' : 'sam-b' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['pushStrategy', (who) => ({ code, name: `by-${who}` }), { viewer: DENIED, sam: OK, sue: OK, admin: OK }],
      ['listStrategies', () => ({}), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['getStrategy', () => ({ ref: 'sam-a' }), { viewer: OK, sam: OK, sue: OK, admin: OK }],
      ['removeStrategy', (who) => ({ ref: who === 'admin' ? 'sam-c' : 'sam-b' }), { viewer: DENIED, sam: OK, sue: DENIED, admin: OK }],
      ['fetchStrategy', () => ({ id: 'f'.repeat(64) }), { viewer: NOT_FOUND, sam: NOT_FOUND, sue: NOT_FOUND, admin: NOT_FOUND }],
      ['createToken', (who) => ({ user: `made-by-${who}`, role: 'viewer' }), { viewer: DENIED, sam: DENIED, sue: DENIED, admin: OK }],
      ['listTokens', () => ({}), { viewer: DENIED, sam: DENIED, sue: DENIED, admin: OK }],
      ['revokeToken', () => ({ user: 'made-by-admin' }), { viewer: DENIED, sam: DENIED, sue: DENIED, admin: OK }],
      ['listAudit', () => ({}), { viewer: DENIED, sam: DENIED, sue: DENIED, admin: OK }],
    ];
    const proto = loadQuantgridProto().proto.quantgrid.v1.Coordinator.service as unknown as Record<string, { originalName: string }>;
    const covered = new Set(cases.map(([method]) => method));
    for (const definition of Object.values(proto)) {
      assert.ok(covered.has(definition.originalName), `the matrix covers ${definition.originalName}`);
      assert.ok(RPC_ROLES[definition.originalName.replace(/^./, (c) => c.toUpperCase())], `${definition.originalName} has a role in rpc-roles.ts`);
    }
    const wrong: string[] = [];
    for (const [method, request, expected] of cases) {
      // Sue (not the owner) before Sam, whose remove changes what is left.
      for (const who of ['nobody', 'viewer', 'sue', 'sam', 'admin'] as const) {
        const want = who === 'nobody' ? UNAUTH : expected[who];
        const got = await codeOf(clients[who], method, request(who));
        if (got !== want) wrong.push(`${method} as ${who}: ${grpc.status[got]}, expected ${grpc.status[want]}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('a submitter lists its own jobs with mine, and every job shows its owner', async () => {
    const sue = connection('sue');
    const { jobId } = await sue.submitJob({ spec: { noop: { partitions: 1 } }, name: 'sues' });
    const mine = (await sue.listJobs({ mine: true, limit: 1000 })).jobs;
    assert.ok(mine.length >= 1 && mine.every((job) => job.owner === 'sue'), JSON.stringify(mine.map((job) => job.owner)));
    assert.ok(mine.some((job) => job.id === jobId));
    const all = (await connection('viewer').listJobs({ limit: 1000 })).jobs;
    assert.ok(all.some((job) => job.owner === 'sam') && all.some((job) => job.owner === 'sue'));
    assert.equal((await connection('viewer').getJob(jobId)).owner, 'sue');
  });

  test('a revoked token stops working on every coordinator within 1 s; an expired one is refused', async () => {
    const second = await cluster.addCoordinator();
    const admin = connection('admin');
    const temp = (await admin.createToken({ user: 'temp', role: 'viewer' })).token;
    const there = new CoordinatorConnection({ address: second.address, token: temp });
    connections.push(there);
    assert.equal((await there.whoAmI()).user, 'temp');
    await admin.revokeToken('temp');
    const revokedAt = Date.now();
    await eventually(async () => ((await there.whoAmI().then(() => false, (error) => error.code === grpc.status.UNAUTHENTICATED)) ? true : undefined), 3000, 'the other coordinator refusing the revoked token');
    assert.ok(Date.now() - revokedAt <= 1000, `revocation reached the other coordinator after ${Date.now() - revokedAt} ms`);

    const brief = (await admin.createToken({ user: 'brief', role: 'viewer', expiresInSeconds: 1 })).token;
    const briefly = new CoordinatorConnection({ address: cluster.coordinator.address, token: brief });
    connections.push(briefly);
    assert.equal((await briefly.whoAmI()).role, 'viewer');
    await sleep(1700);
    await assert.rejects(briefly.whoAmI(), (error: { code: number }) => error.code === grpc.status.UNAUTHENTICATED);
    await second.process.stop(10_000);
  });

  test('fair share: a small job of user B finishes while user A\'s big job submitted before it still runs', async () => {
    // Big enough (about 7 s on the 2 slots) that it still runs when the small one ends, even on a loaded machine.
    const big = await connection('sam').submitJob({ spec: { noop: { partitions: 240, workMs: 60 } } });
    await eventually(async () => ((await connection('sam').getJob(big.jobId)).progress?.partitionsDone ?? 0) >= 2 || undefined, 20_000, 'the big job running');
    const small = await connection('sue').submitJob({ spec: { noop: { partitions: 2, workMs: 60 } } });
    const { job } = await watchToEnd(connection('sue'), small.jobId, { timeoutMs: 30_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const bigNow = await connection('sam').getJob(big.jobId);
    assert.equal(bigNow.status, 'JOB_STATUS_RUNNING', 'the big job is still running when the small one is done');
    assert.ok(bigNow.progress!.partitionsDone < 240, `${bigNow.progress!.partitionsDone} of 240 done`);
    await connection('admin').cancelJob(big.jobId);
  });

  test('a rogue node registered in Consul without the cluster secret gets no partition, shows unverified, and the result is exact', async () => {
    let rogueCalls = 0;
    const server = new grpc.Server();
    const handlers = {
      // A better machine than any other, answering the challenge with bytes of its own.
      GetStatus: (_call, callback) =>
        callback(null, { nodeId: 'rogue', version: QUANTGRID_VERSION, cores: 64, slots: 16, busySlots: 0, memoryTotalBytes: 1e12, memoryAvailableBytes: 1e12, cpuLoad: 0, challengeAnswer: 'bm90IGEgcHJvb2Y' }),
      RunPartition: (call) => {
        rogueCalls++;
        call.write({ result: { resultJson: '{"sharpe":9.42}', computeMs: 1 } });
        call.end();
      },
    } as NodeAgentHandlers;
    server.addService(loadQuantgridProto().proto.quantgrid.v1.NodeAgent.service, handlers);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
    try {
      const meta = agentServiceMeta({ cores: 64, slots: 16, memoryTotalBytes: 1e12, cpuSpeedGhz: 5, capabilities: ['backtest', 'market-analysis', 'noop'], specialties: [], version: QUANTGRID_VERSION });
      const registered = await fetch(`${cluster.consul.httpAddress}/v1/agent/service/register`, {
        method: 'PUT',
        body: JSON.stringify({ ID: 'rogue', Name: 'quantgrid-agent', Address: '127.0.0.1', Port: port, Meta: meta, Check: { CheckID: 'service:rogue', TTL: '60s', Status: 'passing' } }),
      });
      assert.equal(registered.status, 200);
      const [rogue] = (await cluster.waitForNodes({ nodeIds: ['rogue'], accept: (node) => node.state === 'unverified' && node.stateReason !== 'not yet asked to prove the cluster secret' })).filter((node) => node.id === 'rogue');
      assert.match(rogue.stateReason, /cluster-secret challenge/);

      const spec = { symbols: ['BTCUSDT'], timeframe: '1h', dataset: { name: 'synthetic', bars: 3000, seed: 7 }, params: { fast: { start: 5, stop: 25, step: 5 }, slow: { start: 30, stop: 90, step: 10 } } };
      const sam = connection('sam');
      const { jobId } = await sam.submitJob({ spec: { backtest: spec, maxPartitions: 8 } });
      const { job } = await watchToEnd(sam, jobId, { timeoutMs: 60_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.equal(rogueCalls, 0, 'the rogue node was never given a partition');
      assert.deepEqual(JSON.parse(job.resultJson), runInOneProcess(backtestKind, spec));
    } finally {
      await fetch(`${cluster.consul.httpAddress}/v1/agent/service/deregister/rogue`, { method: 'PUT' }).catch(() => undefined);
      server.forceShutdown();
    }
  });

  test('a job past the user\'s quota of unfinished units is refused with RESOURCE_EXHAUSTED, and nothing is queued', async () => {
    const sue = connection('sue');
    const before = (await sue.listJobs({ mine: true, limit: 1000 })).jobs.length;
    await assert.rejects(sue.submitJob({ spec: { noop: { partitions: 1001 } } }), (error: { code: number; message: string }) => {
      assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(error.message, /user sue has \d+ units of work unfinished; this job's 1001 would pass the limit of 1000 \(--max-queued-units-per-user\)/);
      return true;
    });
    assert.equal((await sue.listJobs({ mine: true, limit: 1000 })).jobs.length, before);
  });

  test('the audit trail says who did what', async () => {
    const admin = connection('admin');
    const { entries } = await admin.listAudit({ limit: 1000 });
    const seen = new Set(entries.map((entry) => `${entry.user} ${entry.action}`));
    for (const expected of ['admin token.create', 'admin token.revoke', 'sam job.submit', 'admin job.cancel', 'sam dataset.import', 'sam schedule.add', 'sam schedule.pause', 'sam schedule.remove', 'admin schedule.remove', 'sue job.submit', 'sam strategy.push', 'sam strategy.remove', 'admin strategy.remove']) {
      assert.ok(seen.has(expected), `audit has "${expected}"`);
    }
    assert.ok(!seen.has('sue job.cancel') && !seen.has('vera job.submit') && !seen.has('vera strategy.push') && !seen.has('sue strategy.remove'), 'refused calls leave no entry');
    const sams = (await admin.listAudit({ user: 'sam', limit: 1000 })).entries;
    assert.ok(sams.length > 0 && sams.every((entry) => entry.user === 'sam'));
    assert.ok(entries.every((entry, i) => i === 0 || entries[i - 1].timeMs >= entry.timeMs), 'newest first');
  });
});
