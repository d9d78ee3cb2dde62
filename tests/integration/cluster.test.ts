import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { STRATEGY_NAMES } from '../../shared/quant/strategies/index.js';
import { marketAnalysisKind } from '../../shared/tasks/market-analysis/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { agentStatus, connect, eventually, runInOneProcess, submitAndWait } from '../helpers/jobs.js';
import { healthCheck, reflectedServices } from '../helpers/standard-grpc.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

async function passingAgentIds(consulAddress: string): Promise<string[]> {
  const response = await fetch(`${consulAddress}/v1/health/service/quantgrid-agent?passing=true`);
  const entries = (await response.json()) as Array<{ Service: { ID: string } }>;
  return entries.map((entry) => entry.Service.ID).sort();
}

describe('a local cluster of three agents (1, 2 and 3 slots)', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 1 }, { slots: 2 }, { slots: 3 }] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    coordinator?.close();
    await cluster?.stop();
  });

  test('nodes are listed with their slots and a score', async () => {
    const { nodes } = await coordinator.listNodes();
    assert.deepEqual(nodes.map((node) => [node.id, node.slots]).sort(), [['agent-a', 1], ['agent-b', 2], ['agent-c', 3]]);
    for (const node of nodes) {
      assert.equal(node.state, 'ready');
      // The load factor depends on what else this machine runs, so check the score's make-up, not its size.
      const { total, cpu, memory, network, loadFactor } = node.score!;
      for (const part of [cpu, memory, network, loadFactor]) assert.ok(part >= 0 && part <= 1, `${node.id}: ${JSON.stringify(node.score)}`);
      assert.ok(Math.abs(total - (0.4 * cpu + 0.3 * memory + 0.3 * network) * loadFactor) < 1e-9, `${node.id}: ${JSON.stringify(node.score)}`);
      assert.ok(node.cores >= 1);
      assert.ok(node.memoryTotalBytes > 0);
    }
  });

  test('coordinator and agents serve gRPC health and reflection for clients without our code', async () => {
    for (const address of [cluster.coordinator.address, cluster.agents[0].address]) {
      assert.equal(await healthCheck(address), 'SERVING');
    }
    assert.equal(await healthCheck(cluster.coordinator.address, 'quantgrid.v1.Coordinator'), 'SERVING');
    const services = await reflectedServices(cluster.coordinator.address);
    assert.ok(services.includes('quantgrid.v1.Coordinator'), services.join(' '));
  });

  test('a malformed message gets an error and the coordinator keeps serving', async () => {
    const client = new grpc.Client(cluster.coordinator.address, grpc.credentials.createInsecure());
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest('/quantgrid.v1.Coordinator/SubmitJob', (b: Buffer) => b, (b: Buffer) => b, garbage, (e) => resolve(e)),
    );
    client.close();
    assert.ok(error, 'the call failed');
    assert.notEqual(error.code, grpc.status.OK);
    assert.equal((await coordinator.listNodes()).nodes.length, 3, 'still serving');
    assert.ok(cluster.coordinator.process.running);
  });

  test('a backtest sweep run on the cluster equals the same sweep run in one process', async () => {
    const { events, job } = await submitAndWait(coordinator, {
      spec: {
        backtest: {
          symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
          timeframe: '1h',
          dataset: { name: 'synthetic', bars: 3000, seed: 7 },
          params: { fast: { start: 5, stop: 30, step: 5 }, slow: { start: 20, stop: 100, step: 10 } },
          feeBps: 5,
          slippageBps: 1,
          topN: 15,
        },
        maxPartitions: 12,
      },
    });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const finished = events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED');
    assert.equal(finished.length, job.progress!.partitionsTotal);
    assert.ok(job.progress!.partitionsTotal > 1, 'the job was split');
    assert.ok(new Set(finished.map((event) => event.nodeId)).size >= 2, 'more than one node worked');
    const expected = runInOneProcess(backtestKind, job.spec!.backtest);
    assert.deepEqual(JSON.parse(job.resultJson), expected);
  });

  test('fields a gRPC client leaves out take the kind\'s defaults on the coordinator, an explicit 0 stays 0, and GetJob shows the spec as it ran', async () => {
    const base = { symbols: ['BTCUSDT'], dataset: { bars: 1000 }, params: { fast: { start: 5, stop: 10, step: 5 }, slow: { start: 20, stop: 30, step: 10 } } };
    const defaults = await submitAndWait(coordinator, { spec: { backtest: base } });
    assert.equal(defaults.job.status, 'JOB_STATUS_COMPLETED', defaults.job.error);
    const ran = defaults.job.spec!.backtest!;
    assert.deepEqual([ran.feeBps, ran.slippageBps, ran.topN, ran.timeframe, ran.strategy, ran.dataset?.seed], [5, 1, 20, '1h', 'sma-crossover', 42]);
    assert.deepEqual(JSON.parse(defaults.job.resultJson), runInOneProcess(backtestKind, ran));

    const free = await submitAndWait(coordinator, { spec: { backtest: { ...base, feeBps: 0, slippageBps: 0 } } });
    assert.equal(free.job.status, 'JOB_STATUS_COMPLETED', free.job.error);
    assert.deepEqual([free.job.spec!.backtest!.feeBps, free.job.spec!.backtest!.slippageBps], [0, 0]);
    assert.notDeepEqual(JSON.parse(free.job.resultJson), JSON.parse(defaults.job.resultJson), 'costs change the result');
    assert.deepEqual(JSON.parse(free.job.resultJson), runInOneProcess(backtestKind, free.job.spec!.backtest));
  });

  test('every strategy, long-only and long/short, gives on the cluster exactly its one-process result', async () => {
    for (const strategy of STRATEGY_NAMES) {
      const { job } = await submitAndWait(coordinator, {
        spec: {
          backtest: {
            symbols: ['BTCUSDT', 'ETHUSDT'],
            timeframe: '4h',
            dataset: { name: 'synthetic', bars: 1500, seed: 21 },
            strategy,
            params: { short: { start: 0, stop: 1, step: 1 } },
            feeBps: 4,
            slippageBps: 2,
            topN: 10,
          },
          maxPartitions: 6,
        },
      });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', `${strategy}: ${job.error}`);
      assert.ok(job.progress!.partitionsTotal > 1, `${strategy} was split`);
      assert.deepEqual(JSON.parse(job.resultJson), runInOneProcess(backtestKind, job.spec!.backtest), strategy);
    }
  });

  test('a walk-forward optimisation and a seeded random search give on the cluster exactly their one-process results', async () => {
    const common = {
      symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: 20_000, seed: 11 },
      feeBps: 5,
      slippageBps: 1,
      topN: 10,
    };
    const walkForward = await submitAndWait(coordinator, {
      spec: {
        backtest: {
          ...common,
          params: { fast: { start: 5, stop: 30, step: 5 }, slow: { start: 20, stop: 100, step: 10 } },
          walkForward: { inSampleBars: 4000, outOfSampleBars: 2000, anchored: false },
          constraints: [{ metric: 'trades', op: '>=', value: 5 }],
        },
        maxPartitions: 12,
      },
    });
    assert.equal(walkForward.job.status, 'JOB_STATUS_COMPLETED', walkForward.job.error);
    assert.ok(walkForward.job.progress!.partitionsTotal > 1, 'the window sweeps were split');
    const result = JSON.parse(walkForward.job.resultJson);
    assert.equal(result.walkForward.windows, 8);
    assert.deepEqual(result, runInOneProcess(backtestKind, walkForward.job.spec!.backtest));

    const random = await submitAndWait(coordinator, {
      spec: {
        backtest: {
          ...common,
          params: { fast: { start: 2, stop: 60, step: 1 }, slow: { start: 10, stop: 400, step: 2 } },
          search: { method: 'random', samples: 200, seed: 5 },
        },
        maxPartitions: 12,
      },
    });
    assert.equal(random.job.status, 'JOB_STATUS_COMPLETED', random.job.error);
    assert.ok(random.job.progress!.partitionsTotal > 1, 'the sample was split');
    const sampled = JSON.parse(random.job.resultJson);
    assert.equal(sampled.evaluated, 600);
    assert.equal(sampled.equityCurves.length, 3);
    assert.deepEqual(sampled, runInOneProcess(backtestKind, random.job.spec!.backtest));
  });

  test('a market analysis run on the cluster equals the same analysis run in one process', async () => {
    const { job } = await submitAndWait(coordinator, {
      spec: {
        marketAnalysis: {
          assets: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'],
          timeframes: ['1h', '4h', '1d'],
          dataset: { name: 'synthetic', bars: 2000, seed: 3 },
        },
      },
    });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const expected = runInOneProcess(marketAnalysisKind, job.spec!.marketAnalysis);
    assert.deepEqual(JSON.parse(job.resultJson), expected);
    assert.equal((expected as { rows: unknown[] }).rows.length, 12);
  });

  test('invalid jobs are refused with INVALID_ARGUMENT naming the field', async () => {
    const cases: Array<[string, object]> = [
      ['spec.kind', {}],
      ['backtest.symbols', { backtest: { symbols: [], params: { fast: { start: 5, stop: 5 }, slow: { start: 20, stop: 20 } } } }],
      ['backtest.params.fast', { backtest: { symbols: ['A'], params: { fast: { start: 50, stop: 50 }, slow: { start: 20, stop: 20 } } } }],
      ['backtest.dataset.name', { backtest: { symbols: ['A'], dataset: { name: 'nasdaq-tapes' }, params: { fast: { start: 5, stop: 5 }, slow: { start: 20, stop: 20 } } } }],
      ['backtest.timeframe', { backtest: { symbols: ['A'], timeframe: '7m', params: { fast: { start: 5, stop: 5 }, slow: { start: 20, stop: 20 } } } }],
      ['backtest.params.fast', { backtest: { symbols: ['A'], params: { fast: { start: Number.NaN, stop: 5 }, slow: { start: 20, stop: 20 } } } }],
      ['backtest.params', { backtest: { symbols: ['A'], dataset: { bars: 20000 }, params: { fast: { start: 1, stop: 5000, step: 1 }, slow: { start: 5001, stop: 9000, step: 1 } } } }],
      ['market_analysis.timeframes[0]', { marketAnalysis: { assets: ['A'], timeframes: ['2h'] } }],
    ];
    for (const [field, spec] of cases) {
      await assert.rejects(coordinator.submitJob({ spec }), (error: Error & { code?: number }) => {
        assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${field}: ${error.message}`);
        assert.ok(error.message.startsWith(field), `expected the message to name ${field}: ${error.message}`);
        return true;
      });
    }
  });

  test('a partition that fails deterministically fails the job, naming the partition and the cause', async () => {
    const { job, events } = await submitAndWait(coordinator, { spec: { noop: { partitions: 6, failPartition: '3' } } });
    assert.equal(job.status, 'JOB_STATUS_FAILED');
    assert.match(job.error, /partition 3/);
    assert.match(job.error, /fails on purpose/);
    assert.equal(events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED').length, 0, 'not retried');
  });

  test('the CLI submits, watches and prints a result; bad input exits non-zero with one line', () => {
    const ok = spawnSync(process.execPath, [CLI, '--coordinator', cluster.coordinator.address, '--token-file', cluster.coordinator.adminTokenFile, 'submit', 'noop', '--partitions', '12', '--watch'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /completed/i);
    const bad = spawnSync(
      process.execPath,
      [CLI, '--coordinator', cluster.coordinator.address, '--token-file', cluster.coordinator.adminTokenFile, 'submit', 'backtest', '--symbols', 'BTCUSDT', '--fast', '50', '--slow', '20'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^quantgrid: backtest\.params\.fast: /);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  test('cancelling a running job stops its partitions on the agents and frees their slots', async () => {
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 6, workMs: 20_000 } } });
    await eventually(async () => ((await coordinator.getJob(jobId)).progress!.partitionsRunning > 0 ? true : undefined), 10_000, 'partitions running');
    const cancelledAt = Date.now();
    const cancelled = await coordinator.cancelJob(jobId);
    assert.equal(cancelled.status, 'JOB_STATUS_CANCELLED');
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: 10_000 });
    assert.equal(job.status, 'JOB_STATUS_CANCELLED');
    // The agents' own view: every slot free again, well before the 20 s partitions would have ended.
    await eventually(
      async () => {
        const secret = await cluster.clusterSecret();
        const statuses = await Promise.all(cluster.agents.map((agent) => agentStatus(agent.address, secret)));
        return statuses.every((status) => status.busySlots === 0) ? true : undefined;
      },
      3000,
      'every agent slot to be free',
    );
    assert.ok(Date.now() - cancelledAt < 3000);
  });

  test('an agent killed with SIGKILL mid-job: its partitions rerun elsewhere and the result is exact', async () => {
    const raw = {
      symbols: ['BTCUSDT', 'ETHUSDT'],
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: 20000, seed: 11 },
      params: { fast: { start: 2, stop: 40, step: 1 }, slow: { start: 50, stop: 150, step: 2 } },
      topN: 25,
    };
    const { jobId } = await coordinator.submitJob({ spec: { backtest: raw, maxPartitions: 30 } });
    const victim = 'agent-c';
    let killedAt = 0;
    let killing: Promise<void> | undefined;
    const { events, job } = await watchToEnd(coordinator, jobId, {
      timeoutMs: 180_000,
      onEvent: (event) => {
        // Kill once the victim has partitions running (it has three slots).
        if (!killing && event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && event.nodeId === victim) {
          killedAt = Date.now();
          killing = cluster.killAgent(victim, 'SIGKILL');
        }
      },
    });
    await killing;
    assert.ok(killedAt > 0, 'the victim got work');
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const retried = events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED');
    assert.ok(retried.length >= 1, 'partitions of the killed agent were retried');
    for (const event of retried) assert.equal(event.nodeId, victim);
    const lateFinishes = events.filter((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED' && e.timeMs > killedAt + 50 && e.nodeId === victim);
    assert.deepEqual(lateFinishes, [], 'nothing finished on the dead node after the kill');
    // Each retried partition started again on a survivor within 2 s of the failure being noticed.
    for (const retry of retried) {
      const restart = events.find((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && e.partition === retry.partition && e.timeMs >= retry.timeMs);
      assert.ok(restart, `partition ${retry.partition} restarted`);
      assert.notEqual(restart.nodeId, victim);
      assert.ok(restart.timeMs - killedAt <= 2000, `partition ${retry.partition} restarted ${restart.timeMs - killedAt} ms after the kill`);
    }
    assert.deepEqual(JSON.parse(job.resultJson), runInOneProcess(backtestKind, job.spec!.backtest));
  });

  test('an agent stopped gracefully drains, exits 0 and leaves Consul', async () => {
    assert.ok((await passingAgentIds(cluster.consul.httpAddress)).includes('agent-b'));
    const exit = await cluster.stopAgent('agent-b');
    assert.equal(exit.code, 0);
    const response = await fetch(`${cluster.consul.httpAddress}/v1/agent/services`);
    assert.ok(!Object.keys((await response.json()) as object).includes('agent-b'), 'deregistered');
    await eventually(
      async () => ((await coordinator.listNodes()).nodes.some((node) => node.id === 'agent-b' && node.state === 'ready') ? undefined : true),
      5000,
      'the coordinator to stop offering agent-b',
    );
  });
});
