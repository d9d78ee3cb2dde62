import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import type { PartitionEvent__Output } from '../../../shared/generated/quantgrid/v1/PartitionEvent.js';
import { QUANTGRID_VERSION } from '../../../shared/version.js';
import { cancellableDelay, TEST_ONLY_DELAY_ENV, testOnlyPartitionDelayMs } from '../../../node-agent/test-only-delay.js';
import { parseAgentConfig } from '../../../node-agent/agent-config.js';
import { startTestAgent, type TestAgent } from '../../helpers/test-agent.js';

const DELAY_MS = 400;
let agent: TestAgent;
let pool: TestAgent['pool'];
let service: TestAgent['service'];
let client: TestAgent['client'];

before(async () => {
  agent = await startTestAgent({ nodeId: () => 'slow-node', heartbeatMs: 50, testOnlyPartitionDelayMs: DELAY_MS });
  ({ pool, service, client } = agent);
});

after(() => agent.close());

function run(): grpc.ClientReadableStream<PartitionEvent__Output> {
  return client.RunPartition({
    jobId: 'job-1',
    partition: 0,
    attempt: 1,
    kind: 'noop',
    specJson: JSON.stringify({ partitions: 1, workMs: 0, failPartition: -1 }),
    partitionJson: JSON.stringify({ first: 0, count: 1 }),
    coordinatorVersion: QUANTGRID_VERSION,
    heartbeatMs: 50,
  });
}

test('the environment variable: a whole number of ms; refused with NODE_ENV=production, and a bad value names it', () => {
  assert.equal(testOnlyPartitionDelayMs({}), 0);
  assert.equal(testOnlyPartitionDelayMs({ [TEST_ONLY_DELAY_ENV]: '250' }), 250);
  assert.throws(() => testOnlyPartitionDelayMs({ [TEST_ONLY_DELAY_ENV]: '250', NODE_ENV: 'production' }), /QUANTGRID_TEST_ONLY_PARTITION_DELAY_MS: a test-only setting, refused with NODE_ENV=production/);
  for (const bad of ['-1', '1.5', 'soon', '600001']) assert.throws(() => testOnlyPartitionDelayMs({ [TEST_ONLY_DELAY_ENV]: bad }), /QUANTGRID_TEST_ONLY_PARTITION_DELAY_MS: ".*" is not a whole number/, bad);
  assert.equal(parseAgentConfig([], { env: { [TEST_ONLY_DELAY_ENV]: '40' } }).testOnlyPartitionDelayMs, 40);
  assert.equal(parseAgentConfig([], { env: {} }).testOnlyPartitionDelayMs, 0);
});

test('a delayed partition holds its slot and heartbeats through the delay, then runs', async () => {
  const started = performance.now();
  const kinds: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const call = run();
    call.on('data', (event: PartitionEvent__Output) => kinds.push(event.event ?? ''));
    call.on('error', reject);
    call.on('end', resolve);
  });
  assert.ok(performance.now() - started >= DELAY_MS, 'not before the delay');
  assert.equal(kinds.at(-1), 'result');
  assert.ok(kinds.filter((kind) => kind === 'heartbeat').length >= 3, kinds.join(' '));
});

test('a cancel during the delay ends it at once: the slot is free again and the partition counts as cancelled', async () => {
  const cancelledBefore = service.counters.cancelled;
  const call = run();
  call.on('error', () => undefined);
  await new Promise<void>((resolve) => call.once('data', () => resolve()));
  assert.equal(pool.busySlots, 1);
  const cancelledAt = performance.now();
  call.cancel();
  while (service.counters.cancelled === cancelledBefore) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(performance.now() - cancelledAt < DELAY_MS / 2, 'ended well before the delay would have');
  assert.equal(pool.busySlots, 0);
});

test('cancellableDelay: resolves after the time; rejects CANCELLED on abort, also when already aborted', async () => {
  const controller = new AbortController();
  const waiting = cancellableDelay(10_000, controller.signal);
  controller.abort();
  await assert.rejects(waiting, { code: 'CANCELLED' });
  await assert.rejects(cancellableDelay(10, controller.signal), { code: 'CANCELLED' });
  await cancellableDelay(5, new AbortController().signal);
});
