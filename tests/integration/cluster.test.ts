import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { STRATEGY_NAMES } from '../../shared/quant/strategies/index.js';
import { marketAnalysisKind } from '../../shared/tasks/market-analysis/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { agentStatus, connect, eventually, runInOneProcess, sleep, submitAndWait } from '../helpers/jobs.js';
import { healthCheck, reflectedServices } from '../helpers/standard-grpc.js';
import { sampleValue, scrape } from '../helpers/metrics.js';
import type { JobLogLine__Output } from '../../shared/generated/quantgrid/v1/JobLogLine.js';

async function jobLog(connection: CoordinatorConnection, jobId: string): Promise<JobLogLine__Output[]> {
  const lines: JobLogLine__Output[] = [];
  for await (const line of connection.jobLog(jobId)) lines.push(line);
  return lines;
}

const CLI = fileURLToPath(new URL('../../bin/quantgrid.js', import.meta.url));

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

  test('a sweep of exit rules (a stop parameter, an ATR trailing stop, a time stop) gives on the cluster exactly its one-process result; the stop is part of the cache key', async () => {
    const exits = {
      symbols: ['BTCUSDT', 'ETHUSDT'],
      timeframe: '1h',
      dataset: { name: 'synthetic', bars: 4000, seed: 13 },
      strategy: 'ema-crossover',
      params: {
        fast: { start: 5, stop: 15, step: 5 },
        slow: { start: 30, stop: 60, step: 30 },
        short: { start: 0, stop: 1, step: 1 },
        stop_loss: { start: 0, stop: 0.03, step: 0.01 },
        trailing_stop_atr: { start: 0, stop: 4, step: 2 },
        time_stop: { start: 0, stop: 48, step: 48 },
      },
      feeBps: 5,
      slippageBps: 1,
      topN: 10,
      fullTable: true,
    };
    const { job, events } = await submitAndWait(coordinator, { spec: { backtest: exits, maxPartitions: 12 } });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.ok(job.progress!.partitionsTotal > 1, 'the sweep was split');
    assert.ok(new Set(events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED').map((event) => event.nodeId)).size >= 2, 'more than one node worked');
    const result = JSON.parse(job.resultJson) as { table: Array<{ params: Record<string, number> }> };
    assert.deepEqual(result, runInOneProcess(backtestKind, job.spec!.backtest));
    assert.equal(result.table.length, 2 * 3 * 2 * 2 * 4 * 3 * 2, "symbols × fast × slow × short × stop_loss × trailing_stop_atr × time_stop");
    assert.deepEqual(Object.keys(result.table[0].params), ['fast', 'slow', 'short', 'stop_loss', 'trailing_stop_atr', 'time_stop', 'atr_period']);
    const stops = new Set(result.table.map((row) => row.params.stop_loss));
    assert.deepEqual([...stops].sort(), [0, 0.01, 0.02, 0.03]);

    // One stop value, then another: a different partition cache key, so a different result.
    const single = (stop: number) => ({ ...exits, fullTable: false, params: { ...exits.params, stop_loss: { start: stop, stop, step: 0 } } });
    const a = await submitAndWait(coordinator, { spec: { backtest: single(0.02) } });
    const b = await submitAndWait(coordinator, { spec: { backtest: single(0.03) } });
    assert.equal(a.job.status, 'JOB_STATUS_COMPLETED', a.job.error);
    assert.equal(b.job.status, 'JOB_STATUS_COMPLETED', b.job.error);
    assert.notDeepEqual(JSON.parse(a.job.resultJson).top, JSON.parse(b.job.resultJson).top);
    assert.deepEqual(JSON.parse(b.job.resultJson), runInOneProcess(backtestKind, b.job.spec!.backtest));

    // Bad exits are refused naming the field.
    await assert.rejects(
      coordinator.submitJob({ spec: { backtest: { ...exits, params: { ...exits.params, trailing_stop: { start: 0.01, stop: 0.01, step: 0 } } } } }),
      (error: { code?: number; details?: string; message?: string }) => error.code === grpc.status.INVALID_ARGUMENT && /backtest\.params\.trailing_stop_atr/.test(error.details ?? error.message ?? ''),
    );
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

    // Its log says what the partition reported (a warning, then the error with the worker's stack
    // trace, with node and attempt) and what the coordinator decided.
    const lines = await jobLog(coordinator, job.id);
    // (The watch may have missed partition 3's start, the job being this quick: its node comes from the log.)
    const nodeOf = lines.find((line) => line.partition === 3)?.nodeId ?? '';
    assert.ok(cluster.agents.some((agent) => agent.nodeId === nodeOf), `partition 3 ran on ${nodeOf}`);
    assert.match(lines[0].message, /^planned: 6 partitions for 6 slots$/);
    assert.deepEqual(
      lines.filter((line) => line.source === 'partition').map(({ level, message, partition, nodeId, attempt }) => ({ level, message, partition, nodeId, attempt })),
      [{ level: 'warn', message: 'noop partition 3 is about to fail on purpose', partition: 3, nodeId: nodeOf, attempt: 1 }],
    );
    const failure = lines.find((line) => line.level === 'error' && line.partition === 3)!;
    assert.equal(failure.message, 'partition 3 failed: TASK_ERROR: noop partition 3 fails on purpose');
    assert.equal(failure.nodeId, nodeOf);
    assert.match(failure.detail, /^Error: noop partition 3 fails on purpose\n\s+at /);
    assert.equal(lines.at(-1)!.message, `failed: ${job.error}`);
    // Kept with the job: it expires after the coordinator's retention (7 days by default), like the job's events.
    const redis = new Redis(cluster.redis.url);
    try {
      const [logTtl, eventsTtl] = await Promise.all([redis.ttl(`quantgrid:job:${job.id}:log`), redis.ttl(`quantgrid:job:${job.id}:events`)]);
      assert.ok(logTtl > 7 * 86_400 - 60 && logTtl <= 7 * 86_400, `log TTL ${logTtl} s`);
      assert.ok(Math.abs(logTtl - eventsTtl) < 60, `log TTL ${logTtl} s, events ${eventsTtl} s`);
    } finally {
      redis.disconnect();
    }
    // Paged: after a line, at most a limit.
    const page = [];
    for await (const line of coordinator.jobLog(job.id, { afterId: lines[0].id, limit: 2 })) page.push(line.id);
    assert.deepEqual(page, lines.slice(1, 3).map((line) => line.id));
  });

  test('the metrics of the coordinator and the agents move as a job runs', async () => {
    const agentUrls = cluster.agents.map((agent) => agent.metricsUrl);
    assert.equal(agentUrls.length, 3);
    assert.ok(cluster.coordinator.metricsUrl.startsWith('http://127.0.0.1:'));
    const completedAttempts = (text: string) => sampleValue(text, 'quantgrid_partition_attempts_total', { kind: 'noop', outcome: 'completed' }) ?? 0;
    const agentCompleted = async () => (await Promise.all(agentUrls.map((url) => scrape(url)))).reduce((sum, text) => sum + (sampleValue(text, 'quantgrid_agent_partitions_total', { outcome: 'completed' }) ?? 0), 0);
    const before = await scrape(cluster.coordinator.metricsUrl);
    const agentsBefore = await agentCompleted();
    assert.equal(sampleValue(before, 'quantgrid_nodes', { state: 'ready' }), 3);
    assert.equal(sampleValue(before, 'quantgrid_slots'), 6);
    assert.equal(sampleValue(before, 'quantgrid_slots_in_use'), 0);
    assert.ok((sampleValue(before, 'quantgrid_redis_round_trip_seconds_count') ?? 0) >= 1, 'Redis round trips measured');
    assert.ok((sampleValue(before, 'process_cpu_seconds_total') ?? 0) > 0);

    // 24 partitions of 400 ms on 6 slots: about 1.6 s, scraped while it runs.
    const partitions = 24;
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions, workMs: 400 } } });
    const during = await eventually(
      async () => {
        const text = await scrape(cluster.coordinator.metricsUrl);
        return completedAttempts(text) > completedAttempts(before) ? text : undefined;
      },
      20_000,
      'partitions completed while the job runs',
    );
    assert.ok(completedAttempts(during) < completedAttempts(before) + partitions, 'scraped before the job ended');
    assert.equal(sampleValue(during, 'quantgrid_jobs', { state: 'active' }), 1);
    assert.ok((sampleValue(during, 'quantgrid_slots_in_use') ?? 0) >= 1);
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: 60_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);

    const after = await eventually(
      async () => {
        const text = await scrape(cluster.coordinator.metricsUrl);
        return sampleValue(text, 'quantgrid_jobs', { state: 'active' }) === 0 ? text : undefined;
      },
      5_000,
      'the job to leave the active state',
    );
    assert.equal(completedAttempts(after) - completedAttempts(before), partitions);
    assert.equal(sampleValue(after, 'quantgrid_jobs_finished_total', { status: 'completed' })! - sampleValue(before, 'quantgrid_jobs_finished_total', { status: 'completed' })!, 1);
    assert.equal(sampleValue(after, 'quantgrid_jobs', { state: 'completed' })! - sampleValue(before, 'quantgrid_jobs', { state: 'completed' })!, 1);
    assert.equal((sampleValue(after, 'quantgrid_partition_dispatch_latency_seconds_count', { kind: 'noop' }) ?? 0) - (sampleValue(before, 'quantgrid_partition_dispatch_latency_seconds_count', { kind: 'noop' }) ?? 0), partitions);
    const runCount = (text: string) => sampleValue(text, 'quantgrid_partition_run_seconds_count', { kind: 'noop' }) ?? 0;
    const runSum = (text: string) => sampleValue(text, 'quantgrid_partition_run_seconds_sum', { kind: 'noop' }) ?? 0;
    assert.equal(runCount(after) - runCount(before), partitions);
    assert.ok((runSum(after) - runSum(before)) / partitions >= 0.4, 'each run took at least its 400 ms of work');
    assert.equal(sampleValue(after, 'quantgrid_slots_in_use'), 0);
    assert.equal((await agentCompleted()) - agentsBefore, partitions);
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

  test('quantgrid logs prints a job\'s log and follows a running job to its end', async () => {
    const cli = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--coordinator', cluster.coordinator.address, '--token-file', cluster.coordinator.adminTokenFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    // 12 partitions of 1.5 s on 6 slots: still running when the CLI attaches.
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 12, workMs: 1500 } } });
    const following = cli(['logs', jobId, '-f']);
    await sleep(500);
    assert.notEqual((await coordinator.getJob(jobId)).status, 'JOB_STATUS_COMPLETED', 'the CLI attached to a running job');
    const followed = await following;
    assert.equal(followed.status, 0, followed.stderr);
    const printed = followed.stdout.trim().split('\n');
    assert.match(printed[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  job  planned: 12 partitions for \d+ slots$/);
    assert.match(printed.at(-1)!, /INFO  job  completed: merged the partition results$/, 'followed to the end');
    assert.equal((await coordinator.getJob(jobId)).status, 'JOB_STATUS_COMPLETED');
    const again = await cli(['logs', jobId, '--json']);
    assert.equal(again.status, 0, again.stderr);
    const lines = again.stdout.trim().split('\n').map((line) => JSON.parse(line) as JobLogLine__Output);
    assert.deepEqual(lines.map((line) => line.message), ['planned: 12 partitions for 6 slots', 'completed: merged the partition results']);
    const unknown = await cli(['logs', 'no-such-job']);
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    assert.match(unknown.stderr, /no-such-job/);
    const badAfter = await cli(['logs', jobId, '--after', 'yesterday']);
    assert.equal(badAfter.status, 2);
    assert.match(badAfter.stderr.trim(), /^quantgrid: --after: /);
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
    const messages = (await jobLog(coordinator, jobId)).map((line) => line.message);
    assert.ok(messages.includes('cancel requested by admin'), messages.join('\n'));
    assert.equal(messages.at(-1), 'cancelled: running partitions stopped, queued ones dropped');
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
    // The log names each retry: the partition, the dead node and its attempt.
    const retryLines = (await jobLog(coordinator, jobId)).filter((line) => line.level === 'warn' && / retrying on another node: /.test(line.message));
    assert.deepEqual(
      retryLines.map((line) => [line.partition, line.nodeId, line.attempt]).sort(),
      retried.map((event) => [event.partition, event.nodeId, event.attempt]).sort(),
    );
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
