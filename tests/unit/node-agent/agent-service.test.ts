import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { PartitionEvent__Output } from '../../../shared/generated/quantgrid/v1/PartitionEvent.js';
import type { RunPartitionRequest } from '../../../shared/generated/quantgrid/v1/RunPartitionRequest.js';
import { QUANTGRID_VERSION } from '../../../shared/version.js';
import { startTestAgent, type TestAgent } from '../../helpers/test-agent.js';

let pool: TestAgent['pool'];
let service: TestAgent['service'];
let client: TestAgent['client'];
let agent: TestAgent;

before(async () => {
  agent = await startTestAgent({ load: { cpuLoad: 0.3, netRxBytesPerS: 10, netTxBytesPerS: 20 } });
  ({ pool, service, client } = agent);
});

after(() => agent.close());

function request(overrides: Partial<RunPartitionRequest> = {}, workMs = 0, first = 0): RunPartitionRequest {
  return {
    jobId: 'job-1',
    partition: first,
    attempt: 1,
    kind: 'noop',
    specJson: JSON.stringify({ partitions: 10, workMs, failPartition: 4 }),
    partitionJson: JSON.stringify({ first, count: 1 }),
    coordinatorVersion: QUANTGRID_VERSION,
    heartbeatMs: 0,
    ...overrides,
  };
}

/** Collects a stream's events with arrival times until it ends. */
function collect(call: grpc.ClientReadableStream<PartitionEvent__Output>): Promise<Array<PartitionEvent__Output & { at: number }>> {
  const started = performance.now();
  const events: Array<PartitionEvent__Output & { at: number }> = [];
  return new Promise((resolve, reject) => {
    call.on('data', (event: PartitionEvent__Output) => events.push({ ...event, at: performance.now() - started }));
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('streams heartbeats, then exactly one result, then ends', async () => {
  const events = await collect(client.RunPartition(request({ heartbeatMs: 50 }, 300, 3)));
  const kinds = events.map((event) => event.event);
  assert.equal(kinds.at(-1), 'result');
  assert.equal(kinds.filter((kind) => kind === 'result' || kind === 'error').length, 1);
  const heartbeats = events.filter((event) => event.event === 'heartbeat');
  assert.ok(heartbeats.length >= 4, `${heartbeats.length} heartbeats in 300 ms at 50 ms`);
  assert.ok(Math.abs(heartbeats[0].heartbeat!.timeMs - Date.now()) < 5_000, 'heartbeat time is wall-clock ms');
  const result = events.at(-1)!.result!;
  assert.deepEqual(JSON.parse(result.resultJson), { count: 1, sum: 3 });
  assert.ok(result.computeMs >= 299);
});

test('progress events are at least 100 ms apart', async () => {
  const events = await collect(client.RunPartition(request({}, 0, 1)));
  const progress = events.filter((event) => event.event === 'progress');
  assert.ok(progress.length <= 1);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].at - progress[i - 1].at >= 90);
});

async function errorOf(req: RunPartitionRequest): Promise<{ code: string; message: string; deterministic: boolean }> {
  const events = await collect(client.RunPartition(req));
  const last = events.at(-1);
  assert.equal(last?.event, 'error', JSON.stringify(events));
  return last!.error!;
}

test('an incompatible or missing coordinator version gets VERSION_MISMATCH (not deterministic)', async () => {
  const [major, minor] = QUANTGRID_VERSION.split('.').map(Number);
  const mismatch = await errorOf(request({ coordinatorVersion: `${major}.${minor + 1}.0` }));
  assert.equal(mismatch.code, 'VERSION_MISMATCH');
  assert.equal(mismatch.deterministic, false);
  const missing = await errorOf(request({ coordinatorVersion: '' }));
  assert.equal(missing.code, 'VERSION_MISMATCH');
  const compatible = await collect(client.RunPartition(request({ coordinatorVersion: `${major}.${minor}.99` })));
  assert.equal(compatible.at(-1)?.event, 'result');
});

test('malformed requests get deterministic INVALID_ARGUMENT', async () => {
  for (const [overrides, message] of [
    [{ jobId: '' }, /job_id/],
    [{ kind: '' }, /kind/],
    [{ kind: 'teleport' }, /unknown task kind/],
    [{ specJson: '' }, /spec_json/],
    [{ partitionJson: '{' }, /partition_json is not JSON/],
    [{ datasetIds: ['../../etc/passwd'] }, /dataset_ids\[0\]: not a dataset id/],
    [{ datasetIds: Array.from({ length: 1025 }, () => 'a'.repeat(64)) }, /dataset_ids: at most 1024/],
    [{ checkpoints: [{ unit: 3, data: Buffer.alloc(12) }, { unit: 4, data: Buffer.alloc(257) }] }, /checkpoints\[1\]: a unit index and 1 to 256 bytes/],
    [{ checkpoints: [{ unit: 0, data: Buffer.alloc(0) }] }, /checkpoints\[0\]: a unit index and 1 to 256 bytes/],
    [{ checkpoints: Array.from({ length: 61_681 }, (_, unit) => ({ unit, data: Buffer.alloc(1) })) }, /checkpoints: at most 61680/],
  ] as Array<[Partial<RunPartitionRequest>, RegExp]>) {
    const error = await errorOf(request(overrides));
    assert.equal(error.code, 'INVALID_ARGUMENT', JSON.stringify(overrides));
    assert.equal(error.deterministic, true);
    assert.match(error.message, message);
  }
});

test('a throwing partition gets deterministic TASK_ERROR', async () => {
  const before = service.counters.failed;
  const error = await errorOf(request({}, 0, 4));
  assert.equal(error.code, 'TASK_ERROR');
  assert.equal(error.deterministic, true);
  assert.match(error.message, /fails on purpose/);
  assert.equal(service.counters.failed, before + 1);
});

test('with every slot busy the agent answers NO_FREE_SLOT at once', async () => {
  const busy = client.RunPartition(request({}, 400));
  const busyDone = collect(busy);
  await waitFor(() => pool.busySlots === 1, 1_000);
  const started = performance.now();
  const refused = await errorOf(request());
  assert.ok(performance.now() - started < 200, 'refused without queueing');
  assert.equal(refused.code, 'NO_FREE_SLOT');
  assert.equal(refused.deterministic, false);
  assert.equal((await busyDone).at(-1)?.event, 'result');
});

test('cancelling the call stops the worker: busy slots drop within 300 ms', async () => {
  const call = client.RunPartition(request({}, 60_000));
  call.on('error', () => {});
  await new Promise<void>((resolve) => call.once('data', () => resolve()));
  assert.equal(pool.busySlots, 1);
  const cancelledBefore = service.counters.cancelled;
  const started = performance.now();
  call.cancel();
  await waitFor(() => pool.busySlots === 0, 300);
  assert.ok(performance.now() - started < 300);
  await waitFor(() => service.counters.cancelled === cancelledBefore + 1, 300);
});

test('GetStatus reports profile, load, slots and counters', async () => {
  const status = await new Promise<import('../../../shared/generated/quantgrid/v1/AgentStatus.js').AgentStatus__Output>((resolve, reject) =>
    client.GetStatus({}, (error, value) => (error ? reject(error) : resolve(value!))),
  );
  assert.equal(status.nodeId, 'unit-node');
  assert.equal(status.version, QUANTGRID_VERSION);
  assert.equal(status.cores, 2);
  assert.equal(status.cpuSpeedGhz, 2.5);
  assert.equal(status.memoryTotalBytes, 8e9);
  assert.equal(status.memoryAvailableBytes, 4e9);
  assert.equal(status.netSpeedMbps, 1000);
  assert.equal(status.slots, 1);
  assert.equal(status.busySlots, 0);
  assert.equal(status.cpuLoad, 0.3);
  assert.equal(status.netRxBytesPerS, 10);
  assert.equal(status.netTxBytesPerS, 20);
  assert.deepEqual(status.capabilities, ['noop']);
  assert.ok(status.uptimeS > 0);
  assert.ok(status.partitionsCompleted >= 3);
  assert.ok(status.partitionsFailed >= 1);
  assert.equal(status.draining, false);
});

// Last: draining is one-way.
test('draining: new partitions get DRAINING, running ones are abandoned with DRAINING after the timeout', async () => {
  const running = client.RunPartition(request({}, 60_000));
  const runningDone = collect(running);
  await waitFor(() => pool.busySlots === 1, 1_000);
  service.startDrain();
  const refused = await errorOf(request());
  assert.equal(refused.code, 'DRAINING');
  assert.equal(refused.deterministic, false);
  assert.equal(await service.waitUntilIdle(100), false);
  await service.abandonRunning('DRAINING', 'agent shut down');
  const last = (await runningDone).at(-1);
  assert.equal(last?.event, 'error');
  assert.equal(last?.error?.code, 'DRAINING');
  assert.equal(await service.waitUntilIdle(100), true);
  assert.equal(pool.busySlots, 0);
  assert.equal(service.status().draining, true);
});
