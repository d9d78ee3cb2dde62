import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinatorMetrics } from '../../../coordinator/metrics/coordinator-metrics.js';
import type { NodeRecord, NodeState } from '../../../coordinator/nodes/node-table.js';
import { sampleValue } from '../../helpers/metrics.js';

function metricsOf(nodes: Array<{ state: NodeState; slots: number; busySlots: number }>) {
  const records = nodes.map((node, i) => ({ ...node, id: `n${i}` }) as unknown as NodeRecord & { state: NodeState });
  return new CoordinatorMetrics({
    table: { all: () => records, stateOf: (node) => (node as NodeRecord & { state: NodeState }).state },
    queuedPartitions: () => 7,
    runningPartitions: () => 2,
    jobCounts: async () => ({ waiting: 3, active: 1, completed: 10, failed: 2 }),
    redis: { ping: async () => 'PONG' },
  });
}

test('the cluster as scraped: nodes by state, slots of ready nodes, slots in use, queues and jobs', async () => {
  const metrics = metricsOf([
    { state: 'ready', slots: 2, busySlots: 1 },
    { state: 'ready', slots: 3, busySlots: 1 },
    { state: 'quarantined', slots: 4, busySlots: 0 },
  ]);
  const text = await metrics.registry.metrics();
  assert.equal(sampleValue(text, 'quantgrid_nodes', { state: 'ready' }), 2);
  assert.equal(sampleValue(text, 'quantgrid_nodes', { state: 'quarantined' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_nodes', { state: 'unverified' }), 0, 'every state exported');
  assert.equal(sampleValue(text, 'quantgrid_slots'), 5);
  assert.equal(sampleValue(text, 'quantgrid_slots_in_use'), 2);
  assert.equal(sampleValue(text, 'quantgrid_partitions_queued'), 7);
  assert.equal(sampleValue(text, 'quantgrid_partitions_running'), 2);
  assert.equal(sampleValue(text, 'quantgrid_jobs', { state: 'waiting' }), 3);
  assert.equal(sampleValue(text, 'quantgrid_jobs', { state: 'delayed' }), 0);
  assert.equal(sampleValue(text, 'quantgrid_jobs_finished_total', { status: 'cancelled' }), 0, 'outcomes exported before the first');
});

test('dispatch: attempts by kind and outcome, run times of completed attempts only, retries, failovers and quarantines', async () => {
  const metrics = metricsOf([]);
  metrics.dispatched('noop', 4);
  metrics.dispatched('noop', 6);
  metrics.attemptEnded('noop', 'completed', 1500);
  metrics.attemptEnded('noop', 'retried', 20);
  metrics.attemptEnded('backtest', 'completed', 500);
  metrics.retried('heartbeat-timeout', true);
  metrics.retried('agent-error', false);
  metrics.quarantined();
  metrics.jobFinished('completed');
  const text = await metrics.registry.metrics();
  assert.equal(sampleValue(text, 'quantgrid_partition_attempts_total', { kind: 'noop', outcome: 'completed' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_partition_attempts_total', { kind: 'noop', outcome: 'retried' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_partition_run_seconds_count', { kind: 'noop' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_partition_run_seconds_sum', { kind: 'noop' }), 1.5);
  assert.equal(sampleValue(text, 'quantgrid_partition_run_seconds_bucket', { kind: 'noop', le: '1' }), 0);
  assert.equal(sampleValue(text, 'quantgrid_partition_run_seconds_bucket', { kind: 'noop', le: '2.5' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_partition_dispatch_latency_seconds_count', { kind: 'noop' }), 2);
  assert.equal(sampleValue(text, 'quantgrid_partition_dispatch_latency_seconds_sum', { kind: 'noop' }), 0.01);
  assert.equal(sampleValue(text, 'quantgrid_partition_retries_total', { cause: 'heartbeat-timeout' }), 1);
  assert.equal(sampleValue(text, 'quantgrid_partition_failovers_total'), 1);
  assert.equal(sampleValue(text, 'quantgrid_node_quarantines_total'), 1);
  assert.equal(sampleValue(text, 'quantgrid_jobs_finished_total', { status: 'completed' }), 1);
});
