import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import { syntheticSeries } from '../../shared/quant/synthetic-ohlcv.js';
import { Redis } from 'ioredis';
import { checkpointRunKey } from '../../coordinator/partitions/checkpoint-store.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../shared/tasks/task-kind.js';
import { connect, eventually, JOB_TIMEOUT_MS } from '../helpers/jobs.js';
import { runCli } from '../helpers/cli-process.js';

/**
 * Incremental re-runs on a real cluster (Redis, Consul, a coordinator and two agents, over gRPC with
 * authentication): import, a sweep, `data append`, the same sweep again continuing from the first
 * one's checkpoints (in another partitioning), equal to a `--full` run on the new version; and a
 * nightly-style schedule on a tag that becomes incremental after an append between two firings.
 * A market analysis (1h bars analysed at 1h, 4h and 1w: the weekly bucket the first job ended in is
 * still filling) continues alike.
 */

const SYMBOL = 'BTCUSDT';
const FIRST = 3000;
const APPENDED = 24;
const series = syntheticSeries({ seed: 23, symbol: SYMBOL, timeframe: '1h', bars: FIRST + 3 * APPENDED });
/** fast 5:50:5 × slow 60:200:20 (every pair has fast < slow): 10 × 8 combinations, one symbol. */
const RANGES = ['--symbols', SYMBOL, '--fast', '5:50:5', '--slow', '60:200:20', '--top', '5'];
const SWEEP = [...RANGES, '--full-table'];
const UNITS = 80;
/** Walk-forward windows of 1000 in-sample and 24 out-of-sample bars: each append of 24 bars adds one. */
const WALK_FORWARD = ['--walk-forward', '1000:24'];

/** Bars [from, to) of the series as a headed CSV (numbers printed so they parse back exactly). */
function csvOf(from: number, to: number): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = from; i < to; i++) lines.push(`${series.time[i]},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]}`);
  return `${lines.join('\n')}\n`;
}

describe('incremental re-runs: a sweep on a dataset that grew continues from the last one', { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;
  let dir: string;
  const cli = (...args: string[]) => {
    const run = runCli(cluster.coordinator, args);
    assert.equal(run.status, 0, `quantgrid ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };
  const json = (...args: string[]) => JSON.parse(cli(...args, '--json'));
  /** `submit backtest` on the tag with the sweep (or the walk-forward) and `extra`; the job once ended. */
  const sweep = (...extra: string[]) => backtest(...SWEEP, ...extra);
  const walkForward = (...extra: string[]) => backtest(...RANGES, ...WALK_FORWARD, ...extra);
  const backtest = async (...flags: string[]): Promise<Job__Output> => {
    const { jobId } = json('submit', 'backtest', '--dataset', 'btc-1h', ...flags);
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: JOB_TIMEOUT_MS });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    return job;
  };
  /** `submit market-analysis` on the tag at 1h, 4h and 1w, with `extra`; the job once ended. */
  const analysis = async (...extra: string[]): Promise<Job__Output> => {
    const { jobId } = json('submit', 'market-analysis', '--dataset', 'btc-1h', '--assets', SYMBOL, '--timeframes', '1h,4h,1w', ...extra);
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: JOB_TIMEOUT_MS });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    return job;
  };
  const append = async (from: number): Promise<{ id: string; parentId: string; appendedBars: number }> => {
    const file = path.join(dir, `bars-${from}.csv`);
    await writeFile(file, csvOf(from, from + APPENDED));
    return json('data', 'append', 'btc-1h', file);
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qg-incremental-test-'));
    cluster = await startLocalCluster({ agents: [{ slots: 2 }, { slots: 2 }], coordinatorArgs: ['--min-schedule-interval', '2s'] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
    const file = path.join(dir, 'btc-1h.csv');
    await writeFile(file, csvOf(0, FIRST));
    const imported = json('data', 'import', file, '--symbol', SYMBOL, '--timeframe', '1h');
    cli('data', 'tag', 'btc-1h', imported.id);
  });

  after(async () => {
    coordinator?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let parentId = '';
  /** The job on the newest version before the schedule's appends, whose checkpoints the last test tampers with. */
  let rerunOnFirstAppend: Job__Output | undefined;

  test('a first sweep runs every unit from its first bar and leaves checkpoints', async () => {
    const job = await sweep('--max-partitions', '1');
    const progress = job.progress!;
    assert.equal(progress.partitionsTotal, 1);
    assert.deepEqual([progress.unitsContinued, progress.unitsFull, progress.barsSimulated, progress.continuedFrom], [0, UNITS, UNITS * FIRST, '']);
    parentId = (job.spec!.backtest!.dataset!.name ?? '').replace('sha256:', '');
    const windows = await walkForward();
    assert.equal(JSON.parse(windows.resultJson).walkForward.windows, Math.floor((FIRST - 1000) / 24));
    const analysed = await analysis();
    assert.deepEqual([analysed.progress!.unitsContinued, analysed.progress!.unitsFull], [0, 3]);
  });

  test('after data append, the same sweep continues every unit (in other partitions) and equals a --full run on the new version', async () => {
    const appended = await append(FIRST);
    assert.equal(appended.parentId, parentId);
    assert.equal(appended.appendedBars, APPENDED);

    const rerun = await sweep();
    rerunOnFirstAppend = rerun;
    const progress = rerun.progress!;
    assert.ok(progress.partitionsTotal > 1, `${progress.partitionsTotal} partitions: another partitioning than the first job's`);
    assert.equal(progress.partitionsReused, 0);
    assert.equal(rerun.spec!.backtest!.dataset!.name, `sha256:${appended.id}`, 'the tag resolved to the new version');
    assert.deepEqual([progress.unitsContinued, progress.unitsRejected, progress.unitsFull], [UNITS, 0, 0]);
    assert.equal(progress.barsSimulated, UNITS * APPENDED, 'each unit simulated the appended bars only');
    assert.equal(progress.continuedFrom, parentId);

    const full = await sweep('--full');
    assert.deepEqual([full.progress!.unitsContinued, full.progress!.unitsFull, full.progress!.partitionsReused], [0, UNITS, 0], '--full: no checkpoints, no cached partitions');
    assert.equal(full.progress!.barsSimulated, UNITS * (FIRST + APPENDED));
    const continued = JSON.parse(rerun.resultJson);
    assert.equal(continued.bars, FIRST + APPENDED);
    assert.equal(continued.table.length, UNITS);
    assert.deepEqual(continued, JSON.parse(full.resultJson), 'the continued result is the full run\'s');

    // Walk-forward: the windows of the first job are taken over, the new one computed; the result is the full run's.
    const windows = await walkForward();
    assert.equal(windows.progress!.continuedFrom, parentId);
    const windowsFull = await walkForward('--full');
    assert.equal(windowsFull.progress!.continuedFrom, '');
    const taken = JSON.parse(windows.resultJson);
    assert.equal(taken.walkForward.windows, Math.floor((FIRST + APPENDED - 1000) / 24));
    assert.deepEqual(taken, JSON.parse(windowsFull.resultJson));

    // Market analysis: every unit goes on from its indicators' states; only its last bar before and the new ones are computed.
    const analysed = await analysis();
    const analysedFull = await analysis('--full');
    assert.equal(analysed.progress!.continuedFrom, parentId);
    assert.deepEqual([analysed.progress!.unitsContinued, analysed.progress!.unitsRejected, analysed.progress!.unitsFull], [3, 0, 0]);
    assert.deepEqual([analysedFull.progress!.unitsContinued, analysedFull.progress!.unitsFull], [0, 3]);
    const rows = JSON.parse(analysed.resultJson).rows as { timeframe: string; bars: number }[];
    assert.deepEqual(rows.map((row) => row.timeframe), ['1h', '4h', '1w']);
    assert.ok(analysed.progress!.barsSimulated <= APPENDED + 1 + APPENDED / 4 + 1 + 2, `${analysed.progress!.barsSimulated} bars computed`);
    assert.deepEqual(JSON.parse(analysed.resultJson), JSON.parse(analysedFull.resultJson), 'the continued analysis is the full one');

    // The job view says so.
    const view = cli('job', rerun.id);
    assert.match(view, new RegExp(`${UNITS} units continued from checkpoints, 0 from their first bar, ${UNITS * APPENDED} bars simulated \\(${APPENDED} per unit\\)`));
    assert.match(view, new RegExp(`from an identical earlier job on dataset ${parentId}`));
  });

  test('a schedule on the tag: after an append between two firings, the second continues from the first and equals a full run', async () => {
    // Other costs than the sweeps above: the first firing has no earlier identical job to continue from or reuse.
    const costs = ['--fee-bps', '3'];
    cli('schedule', 'add', 'nightly', '--cron', '*/6 * * * * *', '--', 'backtest', '--dataset', 'btc-1h', ...SWEEP, ...costs);
    const firing = async (after: number): Promise<Job__Output> => {
      const found = await eventually(async () => {
        const jobs = (await coordinator.listJobs({ limit: 100 })).jobs;
        return jobs.find((job) => job.schedule === 'nightly' && job.createdAtMs > after);
      }, 30_000, 'a firing of the schedule');
      const { job } = await watchToEnd(coordinator, found.id, { timeoutMs: JOB_TIMEOUT_MS });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      return job;
    };
    const first = await firing(0);
    assert.deepEqual([first.progress!.unitsContinued, first.progress!.unitsFull], [0, UNITS]);

    const appended = await append(FIRST + APPENDED);
    const second = await firing(Date.now());
    cli('schedule', 'pause', 'nightly');
    assert.equal(second.spec!.backtest!.dataset!.name, `sha256:${appended.id}`, 'the firing resolved the tag to the new version');
    const progress = second.progress!;
    assert.deepEqual([progress.unitsContinued, progress.unitsFull, progress.barsSimulated], [UNITS, 0, UNITS * APPENDED]);
    assert.equal(progress.continuedFrom, appended.parentId);

    const full = await sweep(...costs, '--full');
    assert.deepEqual(JSON.parse(second.resultJson), JSON.parse(full.resultJson));
  });

  test('checkpoints that do not match (damaged, or another unit\'s) are rejected: those units run in full, the result is still the full run\'s', async () => {
    // The sweep's checkpoints on the version of the first append, as the coordinator keeps them.
    const job = rerunOnFirstAppend!;
    const spec = backtestKind.validate(job.spec!.backtest, DEFAULT_SPEC_LIMITS);
    const runKey = checkpointRunKey(backtestKind.name, backtestKind.version, backtestKind.continuation!.lineageKey(spec));
    const key = `quantgrid:checkpoints:${runKey}:${backtestKind.continuation!.dataset(spec)}`;
    const redis = new Redis(cluster.redis.url);
    try {
      assert.equal(await redis.hlen(key), UNITS, 'a checkpoint per unit');
      const [zero, one] = await redis.hmgetBuffer(key, '0', '1');
      const damaged = Buffer.from(zero!);
      damaged[60] ^= 0xff; // a bit of the cash: the checksum no longer matches
      // Unit 0 damaged; units 1 and 2 given each other's (valid, but another unit's); unit 3 a record of another size.
      await redis.hset(key, '0', damaged, '1', (await redis.hgetBuffer(key, '2'))!, '2', one!, '3', Buffer.alloc(40, 1));
    } finally {
      redis.disconnect();
    }
    // The schedule's appends moved the tag on; this sweep on the newest version continues from the
    // nearest version with the sweep's checkpoints: the tampered ones.
    const tampered = await sweep();
    const progress = tampered.progress!;
    assert.equal(progress.continuedFrom, backtestKind.continuation!.dataset(spec));
    assert.deepEqual([progress.unitsContinued, progress.unitsRejected, progress.unitsFull], [UNITS - 4, 4, 4]);
    assert.equal(progress.barsSimulated, (UNITS - 4) * APPENDED + 4 * (FIRST + 2 * APPENDED), "the others simulated the bars after their checkpoint only");
    const full = await sweep('--full');
    assert.deepEqual(JSON.parse(tampered.resultJson), JSON.parse(full.resultJson));
  });
});
