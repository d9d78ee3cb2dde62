import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { SubmitJobRequest__Output } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { JobEvent } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import { job, jobEvent, progress, sendEvents, startFakeCoordinator, type FakeCoordinator } from '../../helpers/fake-coordinator.js';
import { runCli } from './run-cli.js';

/**
 * The CLI as a process against a scripted fake coordinator: what it prints and how it exits.
 * (End-to-end runs against the real coordinator live in the integration tests.)
 */

const servers: FakeCoordinator[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function fake(handlers: Parameters<typeof startFakeCoordinator>[0], port?: number): Promise<FakeCoordinator> {
  const server = await startFakeCoordinator(handlers, port);
  servers.push(server);
  return server;
}

const NOOP_RESULT = JSON.stringify({ partitions: 4, checksum: 6 });

/** A noop job that retries one partition and completes. */
function completingWatch(resultJson = NOOP_RESULT) {
  return (call: grpc.ServerWritableStream<unknown, JobEvent>) =>
    void sendEvents(call, [
      jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(0, 4) }),
      jobEvent('JOB_EVENT_TYPE_STARTED', { progress: progress(0, 4) }),
      jobEvent('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 0, nodeId: 'node-a', progress: progress(1, 4) }),
      jobEvent('JOB_EVENT_TYPE_PARTITION_RETRIED', { partition: 1, nodeId: 'node-b', attempt: 2, message: 'heartbeat lost', progress: progress(1, 4, { retries: 1 }) }),
      jobEvent('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 1, nodeId: 'node-a', progress: progress(4, 4, { retries: 1 }) }),
      jobEvent('JOB_EVENT_TYPE_COMPLETED', { status: 'JOB_STATUS_COMPLETED', resultJson, progress: progress(4, 4, { retries: 1 }) }),
    ]);
}

const completedJob = job({ status: 'JOB_STATUS_COMPLETED', resultJson: NOOP_RESULT, progress: progress(4, 4), finishedAtMs: Date.now() });

describe('submit', () => {
  it('sends the built request and prints the job id', async () => {
    let received: SubmitJobRequest__Output | undefined;
    const server = await fake({
      SubmitJob: (call, callback) => {
        received = call.request;
        callback(null, { jobId: 'job-1', job: job({ status: 'JOB_STATUS_QUEUED' }) });
      },
    });
    const run = await runCli(['--coordinator', server.address, 'submit', 'backtest', '--symbols', 'BTCUSDT,ETHUSDT', '--fast', '5:50:5', '--slow', '20:200:10', '--name', 'sweep', '--priority', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /submitted job job-1/);
    assert.match(run.stdout, /quantgrid --coordinator 127\.0\.0\.1:\d+ job job-1 --watch/);
    assert.ok(received);
    assert.equal(received.spec?.kind, 'backtest');
    assert.deepEqual(received.spec?.backtest?.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(received.spec?.backtest?.params.slow, { start: 20, stop: 200, step: 10 });
    assert.equal(received.name, 'sweep');
    assert.equal(received.priority, 2);
    assert.match(received.requestId, /^[0-9a-f-]{36}$/, 'a fresh idempotency key');
  });

  it('prints the coordinator\'s INVALID_ARGUMENT message as is, exit 1', async () => {
    const message = 'backtest.params.fast: must be below slow for at least one combination';
    const server = await fake({
      SubmitJob: (_call, callback) => callback({ code: grpc.status.INVALID_ARGUMENT, details: message }, null),
    });
    const run = await runCli(['--coordinator', server.address, 'submit', 'backtest', '--symbols', 'BTCUSDT', '--fast', '300', '--slow', '20']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `quantgrid: ${message}\n`);
    assert.equal(run.stdout, '');
  });

  it('--json prints the SubmitJobResponse and nothing else', async () => {
    const server = await fake({ SubmitJob: (_call, callback) => callback(null, { jobId: 'job-1', job: job({ status: 'JOB_STATUS_QUEUED' }) }) });
    const run = await runCli(['--coordinator', server.address, '--json', 'submit', 'noop', '--partitions', '4']);
    assert.equal(run.code, 0, run.stderr);
    const response = JSON.parse(run.stdout) as { jobId: string; job: { status: string } };
    assert.equal(response.jobId, 'job-1');
    assert.equal(response.job.status, 'JOB_STATUS_QUEUED');
  });
});

describe('watching', () => {
  it('--watch prints events and the result, exit 0 when the job completed', async () => {
    const server = await fake({
      SubmitJob: (_call, callback) => callback(null, { jobId: 'job-1', job: job({ status: 'JOB_STATUS_QUEUED' }) }),
      WatchJob: completingWatch(),
      GetJob: (_call, callback) => callback(null, completedJob),
    });
    const run = await runCli(['--coordinator', server.address, 'submit', 'noop', '--partitions', '4', '--watch']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /job job-1: running, progress 0\/4/);
    assert.match(run.stdout, /partition 1 failed on node-b \(attempt 2\): heartbeat lost; retrying/);
    assert.match(run.stdout, /job job-1 completed in /);
    assert.match(run.stdout, /every partition once\s*│\s*yes/);
    assert.equal(run.stderr, '');
  });

  it('--json --watch writes JSON lines only, the last one the finished job with its parsed result', async () => {
    const server = await fake({
      SubmitJob: (_call, callback) => callback(null, { jobId: 'job-1', job: job({ status: 'JOB_STATUS_QUEUED' }) }),
      WatchJob: completingWatch(),
      GetJob: (_call, callback) => callback(null, completedJob),
    });
    const run = await runCli(['--coordinator', server.address, 'submit', 'noop', '--watch', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    assert.equal(lines[0].jobId, 'job-1', 'first the SubmitJobResponse');
    assert.ok(lines.some((line) => line.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED' && line.nodeId === 'node-b'));
    const last = lines[lines.length - 1];
    assert.equal(last.status, 'JOB_STATUS_COMPLETED');
    assert.deepEqual(last.result, { partitions: 4, checksum: 6 });
  });

  for (const [type, status, expected] of [
    ['JOB_EVENT_TYPE_FAILED', 'JOB_STATUS_FAILED', /^quantgrid: job job-1 failed: partition 2 fails on purpose$/],
    ['JOB_EVENT_TYPE_CANCELLED', 'JOB_STATUS_CANCELLED', /^quantgrid: job job-1 was cancelled: cancelled by user$/],
  ] as const) {
    it(`exits 1 with the reason when the job ends ${status}`, async () => {
      const reason = type === 'JOB_EVENT_TYPE_FAILED' ? 'partition 2 fails on purpose' : 'cancelled by user';
      const server = await fake({
        GetJob: (call, callback) =>
          callback(null, call.request.jobId === 'job-1' && calls++ > 0 ? job({ status, error: reason, finishedAtMs: Date.now() }) : job()),
        WatchJob: (call) =>
          void sendEvents(call, [
            jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 4) }),
            jobEvent(type, { status, message: reason, progress: progress(1, 4) }),
          ]),
      });
      let calls = 0;
      const run = await runCli(['--coordinator', server.address, 'job', 'job-1', '--watch']);
      assert.equal(run.code, 1);
      assert.match(run.stderr.trimEnd(), expected);
      assert.match(run.stdout, /status\s*│ running/, 'the job as it was when attaching');
    });
  }

  it('re-attaches when the coordinator restarts mid-watch', async () => {
    let first: FakeCoordinator | undefined;
    first = await fake({
      GetJob: (_call, callback) => callback(null, job()),
      WatchJob: (call) => {
        void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 4) })], false);
        // The coordinator dies 200 ms into the watch and comes back 300 ms later on the same port.
        setTimeout(() => {
          const port = first!.port;
          first!.kill();
          setTimeout(() => {
            void fake(
              {
                GetJob: (_c, callback) => callback(null, completedJob),
                WatchJob: (c) =>
                  void sendEvents(c, [
                    jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(3, 4) }),
                    jobEvent('JOB_EVENT_TYPE_COMPLETED', { status: 'JOB_STATUS_COMPLETED', resultJson: NOOP_RESULT, progress: progress(4, 4) }),
                  ]),
              },
              port,
            );
          }, 300);
        }, 200);
      },
    });
    const run = await runCli(['--coordinator', first.address, 'job', 'job-1', '--watch']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /lost the event stream \(.*\); re-attaching in 0\.5s \(attempt 1\/5\)/);
    assert.match(run.stdout, /progress 3\/4/);
    assert.match(run.stdout, /every partition once\s*│\s*yes/);
  });

  it('Ctrl-C stops watching with exit 130 and says how to re-attach', async () => {
    let cancelledByClient = false;
    const server = await fake({
      GetJob: (_call, callback) => callback(null, job()),
      WatchJob: (call) => {
        call.on('cancelled', () => (cancelledByClient = true));
        void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 4) })], false);
      },
    });
    const run = await runCli(['--coordinator', server.address, 'job', 'job-1', '--watch'], {
      onSpawn: (child, output) => {
        const poll = setInterval(() => {
          if (output.stdout().includes('progress 1/4')) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 20);
      },
    });
    assert.equal(run.code, 130);
    assert.match(run.stderr, /job job-1 keeps running on the cluster/);
    assert.match(run.stderr, /quantgrid --coordinator 127\.0\.0\.1:\d+ job job-1 --watch/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(cancelledByClient, true, 'the stream was closed, the job left alone');
  });
});

describe('job, jobs, cancel, nodes', () => {
  it('job ID shows details and the result tables', async () => {
    const result = JSON.stringify({
      kind: 'backtest',
      strategy: 'sma-crossover',
      timeframe: '1h',
      bars: 20000,
      evaluated: 2,
      objective: 'sharpe',
      constraints: [],
      excludedByConstraints: 0,
      top: [{ rank: 1, symbol: 'BTCUSDT', params: { fast: 10, slow: 100 }, sharpe: 1.5, totalReturn: 0.3, cagr: 0.1, volatility: 0.2, maxDrawdown: -0.1, trades: 12, winRate: 0.5, exposure: 0.4 }],
    });
    const server = await fake({ GetJob: (_call, callback) => callback(null, job({ kind: 'backtest', status: 'JOB_STATUS_COMPLETED', resultJson: result, finishedAtMs: Date.now() })) });
    const run = await runCli(['--coordinator', server.address, 'job', 'job-1']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /status\s*│ completed/);
    assert.match(run.stdout, /BTCUSDT.*10.*100.*1\.50.*30\.00%/);
  });

  it('job ID --csv prints the backtest table as CSV; --csv with --json is a usage error', async () => {
    const result = JSON.stringify({
      kind: 'backtest',
      top: [{ rank: 1, symbol: 'BTCUSDT', params: { fast: 10, slow: 100 }, sharpe: 1.5, totalReturn: 0.3, trades: 12, winRate: null }],
    });
    const server = await fake({ GetJob: (_call, callback) => callback(null, job({ kind: 'backtest', status: 'JOB_STATUS_COMPLETED', resultJson: result, finishedAtMs: Date.now() })) });
    const run = await runCli(['--coordinator', server.address, 'job', 'job-1', '--csv']);
    assert.equal(run.code, 0, run.stderr);
    const [header, line, end] = run.stdout.split('\n');
    assert.ok(header.startsWith('rank,symbol,fast,slow,sharpe,totalReturn,cagr,'));
    assert.ok(line.startsWith('1,BTCUSDT,10,100,1.5,0.3,,'));
    assert.equal(end, '');
    const both = await runCli(['--coordinator', server.address, '--json', 'job', 'job-1', '--csv']);
    assert.equal(both.code, 2);
    assert.equal(both.stdout, '');
    assert.match(both.stderr, /^quantgrid: --csv and --json are two output formats: give one\n$/);
    const noop = await fake({ GetJob: (_call, callback) => callback(null, completedJob) });
    const notBacktest = await runCli(['--coordinator', noop.address, 'job', 'job-1', '--csv']);
    assert.equal(notBacktest.code, 1);
    assert.match(notBacktest.stderr, /only backtest results have a table/);
  });

  it('job ID --json is the Job plus its parsed result', async () => {
    const server = await fake({ GetJob: (_call, callback) => callback(null, completedJob) });
    const run = await runCli(['--coordinator', server.address, 'job', 'job-1', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(printed.status, 'JOB_STATUS_COMPLETED');
    assert.equal(printed.resultJson, NOOP_RESULT);
    assert.deepEqual(printed.result, { partitions: 4, checksum: 6 });
  });

  it('an unknown job id is `no job <id>`, exit 1', async () => {
    const server = await fake({ GetJob: (call, callback) => callback({ code: grpc.status.NOT_FOUND, details: `job ${call.request.jobId} not found` }, null) });
    const run = await runCli(['--coordinator', server.address, 'job', 'nope', '--watch']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'quantgrid: no job nope\n');
  });

  it('a coordinator that does not answer in time is reported after --timeout', async () => {
    const server = await fake({ ListJobs: () => {} });
    const run = await runCli(['--coordinator', server.address, '--timeout', '0.3', 'jobs']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^quantgrid: coordinator at 127\.0\.0\.1:\d+ did not answer within 0\.3s \(see --timeout\)\n$/);
  });

  it('jobs passes the filter and prints a table', async () => {
    let request: { status: string; limit: number; mine: boolean } | undefined;
    const server = await fake({
      ListJobs: (call, callback) => {
        request = call.request;
        callback(null, { jobs: [job(), job({ id: 'job-2', kind: 'backtest', status: 'JOB_STATUS_COMPLETED', finishedAtMs: Date.now() })] });
      },
    });
    const run = await runCli(['--coordinator', server.address, 'jobs', '--status', 'running', '--limit', '5']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(request, { status: 'JOB_STATUS_RUNNING', limit: 5, mine: false });
    assert.match(run.stdout, /job-1\s*│ noop\s*│ -\s*│ running\s*│ 1\/4 \(25%\)/);
    assert.match(run.stdout, /job-2\s*│ backtest\s*│ -\s*│ completed/);
    const mine = await runCli(['--coordinator', server.address, 'jobs', '--mine']);
    assert.equal(mine.code, 0, mine.stderr);
    assert.equal(request?.mine, true);
  });

  it('cancel prints what happened', async () => {
    const server = await fake({ CancelJob: (_call, callback) => callback(null, job({ status: 'JOB_STATUS_CANCELLED' })) });
    const run = await runCli(['--coordinator', server.address, 'cancel', 'job-1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'cancelled job job-1\n');
  });

  it('nodes prints the table, or ListNodesResponse with --json', async () => {
    const node = {
      id: 'node-a', address: '127.0.0.1:7101', state: 'ready', slots: 4, busySlots: 1, cores: 4, cpuSpeedGhz: 2.9,
      memoryTotalBytes: 8 * 1024 ** 3, memoryAvailableBytes: 6 * 1024 ** 3, cpuLoad: 0.25, rttMs: 0.4, capabilities: [],
      version: '0.1.0', score: { total: 0.7, cpu: 1, memory: 1, network: 1, loadFactor: 0.7 }, quarantinedUntilMs: 0,
    };
    const server = await fake({ ListNodes: (_call, callback) => callback(null, { nodes: [node] }) });
    const table = await runCli(['--coordinator', server.address, 'nodes']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /node-a\s*│ 127\.0\.0\.1:7101\s*│ ready\s*│\s*1\/4/);
    const json = await runCli(['--coordinator', server.address, 'nodes', '--json']);
    assert.equal((JSON.parse(json.stdout) as { nodes: Array<{ id: string }> }).nodes[0].id, 'node-a');
  });
});
