import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { marketAnalysisKind } from '../../shared/tasks/market-analysis/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { syntheticSeries } from '../../shared/quant/synthetic-ohlcv.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { datasetId, decodeDataset } from '../../shared/quant/dataset-codec.js';
import { clearInstalledDatasets, installDataset } from '../../shared/quant/dataset.js';
import { grpcDatasetFetcher } from '../../node-agent/dataset-fetch.js';
import { agentStatus, connect, JOB_TIMEOUT_MS, runInOneProcess, submitAndWait } from '../helpers/jobs.js';
import { datasetSeries, encodeDataset } from '../../shared/quant/dataset-codec.js';
import { resample } from '../../shared/quant/resample.js';
import type { Timeframe } from '../../shared/quant/timeframes.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const BARS = 20_000;

/** A headed CSV of synthetic bars (epoch ms; numbers printed so they parse back exactly). */
function csvOf(bars: number, timeframe: Timeframe = '1h', symbol = 'BTCUSDT'): string {
  const s = syntheticSeries({ seed: 7, symbol, timeframe, bars });
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < bars; i++) lines.push(`${s.time[i]},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]}`);
  return `${lines.join('\n')}\n`;
}

describe('stored datasets: import, list, and jobs that fetch them once per node', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;
  let dir: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, '--coordinator', cluster.coordinator.address, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, QUANTGRID_TOKEN: cluster.coordinator.adminToken },
    });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qg-datasets-test-'));
    cluster = await startLocalCluster({
      agents: [
        { slots: 2, extraArgs: ['--dataset-cache-dir', path.join(dir, 'cache-a')] },
        { slots: 2, extraArgs: ['--dataset-cache-dir', path.join(dir, 'cache-b')] },
      ],
    });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    clearInstalledDatasets();
    coordinator?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let id = '';

  test('data import stores a CSV by content; the same file again gives the same id; data ls lists it', async () => {
    const file = path.join(dir, 'btc-1h.csv');
    await writeFile(file, csvOf(BARS));
    const first = cli('data', 'import', file, '--symbol', 'BTCUSDT', '--timeframe', '1h', '--json');
    assert.equal(first.status, 0, first.stderr);
    const info = JSON.parse(first.stdout);
    assert.match(info.id, /^[0-9a-f]{64}$/);
    assert.equal(info.bars, BARS);
    assert.equal(info.alreadyPresent, false);
    id = info.id;

    const again = cli('data', 'import', file, '--symbol', 'BTCUSDT', '--timeframe', '1h');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`already stored: sha256:${id}`));

    const listed = cli('data', 'ls', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const { datasets } = JSON.parse(listed.stdout);
    assert.equal(datasets.length, 1);
    assert.equal(datasets[0].id, id);
    assert.equal(datasets[0].symbol, 'BTCUSDT');
    assert.equal(datasets[0].timeframe, '1h');
    assert.equal(datasets[0].firstTimeMs, syntheticSeries({ seed: 7, symbol: 'BTCUSDT', timeframe: '1h', bars: BARS }).time[0]);
    const table = cli('data', 'ls');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`sha256:${id.slice(0, 12)}.*BTCUSDT.*1h.*20,?000`));
  });

  test('a bad file fails with the row at fault and stores nothing', async () => {
    const file = path.join(dir, 'bad.csv');
    await writeFile(file, 'timestamp,open,high,low,close,volume\n0,10,11,9,10.5,100\n3600000,10,9,11,10.5,100\n');
    const bad = cli('data', 'import', file, '--symbol', 'ETHUSDT', '--timeframe', '1h');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^quantgrid: content: row 3: /);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const { datasets } = await coordinator.listDatasets();
    assert.deepEqual(datasets.map((d) => d.id), [id]);
  });

  test('a job naming an unknown dataset is refused at submit', async () => {
    const missing = '0'.repeat(64);
    await assert.rejects(
      coordinator.submitJob({ spec: { backtest: { symbols: ['BTCUSDT'], timeframe: '1h', dataset: { name: `sha256:${missing}` } } } }),
      (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && error.message.includes(`backtest.dataset.name: no dataset ${missing}`),
    );
  });

  test('a backtest on the stored dataset runs on both agents, equals the one-process result, and each agent fetched it once', async () => {
    const { job } = await submitAndWait(coordinator, {
      spec: {
        backtest: {
          symbols: ['BTCUSDT'],
          timeframe: '1h',
          dataset: { name: `sha256:${id}` },
          strategy: 'sma-crossover',
          params: { fast: { start: 2, stop: 40, step: 1 }, slow: { start: 20, stop: 200, step: 4 } },
          feeBps: 5,
          slippageBps: 1,
          topN: 10,
        },
        maxPartitions: 16,
      },
    });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.ok(job.progress!.partitionsTotal >= 4, `split into ${job.progress!.partitionsTotal}`);
    assert.equal(job.spec!.backtest!.dataset!.bars, BARS, 'the coordinator filled the bar count');

    // The same bars in this process, fetched the way agents fetch them.
    const bytes = await grpcDatasetFetcher({ clusterSecret: await cluster.clusterSecret() })(id, cluster.coordinator.address);
    assert.equal(datasetId(bytes), id);
    installDataset(id, decodeDataset(bytes));
    assert.deepEqual(JSON.parse(job.resultJson), runInOneProcess(backtestKind, job.spec!.backtest));

    const analysis = await submitAndWait(coordinator, { spec: { marketAnalysis: { dataset: { name: `sha256:${id}` } } } });
    assert.equal(analysis.job.status, 'JOB_STATUS_COMPLETED', analysis.job.error);
    assert.deepEqual(JSON.parse(analysis.job.resultJson), runInOneProcess(marketAnalysisKind, analysis.job.spec!.marketAnalysis));

    let partitions = 0;
    for (const agent of cluster.agents) {
      const status = await agentStatus(agent.address, await cluster.clusterSecret());
      assert.ok(status.partitionsCompleted >= 1, `${agent.nodeId} ran partitions`);
      partitions += status.partitionsCompleted;
      assert.equal(status.datasetCacheMisses, 1, `${agent.nodeId}: ${JSON.stringify(status)}`);
      assert.equal(status.datasetBytesFetched, bytes.length, agent.nodeId);
      assert.equal(status.datasetCacheHits, status.partitionsCompleted - 1, agent.nodeId);
    }
    assert.ok(partitions > cluster.agents.length, 'some agent ran several partitions');
  });
  test('a Parquet file of the same bars imports through the CLI to the same id, and a backtest on it equals the CSV one', async () => {
    const s = syntheticSeries({ seed: 7, symbol: 'BTCUSDT', timeframe: '1h', bars: BARS });
    const file = path.join(dir, 'btc-1h.parquet');
    const columns = (['volume', 'close', 'low', 'high', 'open'] as const).map((name) => ({ name, data: Array.from(s[name]), type: 'DOUBLE' as const }));
    await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'open_time', data: Array.from(s.time, (t) => new Date(t)), type: 'TIMESTAMP' }, ...columns] })));
    for (const format of ['parquet', 'auto']) {
      const imported = cli('data', 'import', file, '--symbol', 'BTCUSDT', '--timeframe', '1h', '--format', format, '--json');
      assert.equal(imported.status, 0, imported.stderr);
      const info = JSON.parse(imported.stdout);
      assert.equal(info.id, id, `--format ${format}: the id is of the encoded bars, whatever the file's format`);
      assert.equal(info.alreadyPresent, true);
      assert.equal(info.bars, BARS);
    }
    const notParquet = cli('data', 'import', path.join(dir, 'btc-1h.csv'), '--symbol', 'BTCUSDT', '--timeframe', '1h', '--format', 'parquet');
    assert.equal(notParquet.status, 1);
    assert.match(notParquet.stderr.trim(), /^quantgrid: content: .*btc-1h\.csv is not a Parquet file/);

    const backtest = { symbols: ['BTCUSDT'], timeframe: '1h', strategy: 'sma-crossover', params: { fast: { start: 2, stop: 20, step: 2 }, slow: { start: 30, stop: 90, step: 10 } }, topN: 5 };
    const bytes = await grpcDatasetFetcher({ clusterSecret: await cluster.clusterSecret() })(id, cluster.coordinator.address);
    installDataset(id, decodeDataset(bytes));
    const { job } = await submitAndWait(coordinator, { spec: { backtest: { ...backtest, dataset: { name: `sha256:${id}` } }, maxPartitions: 4 } });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.deepEqual(JSON.parse(job.resultJson), runInOneProcess(backtestKind, job.spec!.backtest));
  });

  test('a 1m dataset backtested at 1h and analysed at 5m, 1h and 1d (CLI --dataset) equals one process on the resampled bars', async () => {
    const MINUTES = 20 * 1440;
    const file = path.join(dir, 'eth-1m.csv');
    await writeFile(file, csvOf(MINUTES, '1m', 'ETHUSDT'));
    const imported = cli('data', 'import', file, '--symbol', 'ETHUSDT', '--timeframe', '1m', '--json');
    assert.equal(imported.status, 0, imported.stderr);
    const minuteId: string = JSON.parse(imported.stdout).id;
    const bytes = await grpcDatasetFetcher({ clusterSecret: await cluster.clusterSecret() })(minuteId, cluster.coordinator.address);
    const minutes = datasetSeries(decodeDataset(bytes));
    installDataset(minuteId, decodeDataset(bytes));

    // The CLI takes the bare id as well as sha256:<id>.
    const submitted = cli('--json', 'submit', 'backtest', '--symbols', 'ETHUSDT', '--dataset', minuteId, '--timeframe', '1h', '--fast', '2:10:2', '--slow', '12:60:4', '--top', '5', '--max-partitions', '4');
    assert.equal(submitted.status, 0, submitted.stderr);
    const { job } = await watchToEnd(coordinator, JSON.parse(submitted.stdout).jobId, { timeoutMs: JOB_TIMEOUT_MS });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    const hourly = resample(minutes, '1h');
    assert.equal(hourly.time.length, MINUTES / 60);
    assert.equal(job.spec!.backtest!.dataset!.bars, hourly.time.length, 'the coordinator filled the resampled bar count');
    const result = JSON.parse(job.resultJson);
    assert.equal(result.bars, hourly.time.length);
    assert.deepEqual(result, runInOneProcess(backtestKind, job.spec!.backtest));
    // …and the same as a backtest on those hourly bars stored as a dataset of their own.
    const hourlyBytes = encodeDataset({ symbol: 'ETHUSDT', timeframe: '1h', ...hourly });
    const hourlyId = datasetId(hourlyBytes);
    installDataset(hourlyId, decodeDataset(hourlyBytes));
    assert.deepEqual(result, runInOneProcess(backtestKind, { ...job.spec!.backtest, dataset: { name: `sha256:${hourlyId}`, bars: hourly.time.length, seed: 0 } }));

    const analysed = cli('--json', 'submit', 'analysis', '--assets', 'ETHUSDT', '--dataset', `sha256:${minuteId}`, '--timeframes', '5m,1h,1d', '--max-partitions', '3');
    assert.equal(analysed.status, 0, analysed.stderr);
    const analysis = (await watchToEnd(coordinator, JSON.parse(analysed.stdout).jobId, { timeoutMs: JOB_TIMEOUT_MS })).job;
    assert.equal(analysis.status, 'JOB_STATUS_COMPLETED', analysis.error);
    assert.equal(analysis.spec!.marketAnalysis!.dataset!.bars, MINUTES, 'a market analysis carries the stored count');
    const rows = JSON.parse(analysis.resultJson).rows as Array<{ timeframe: string; bars: number; close: number }>;
    assert.deepEqual(
      rows.map((row) => [row.timeframe, row.bars]),
      (['5m', '1h', '1d'] as const).map((tf) => [tf, resample(minutes, tf).time.length]),
    );
    assert.equal(rows[2].close, minutes.close[MINUTES - 1]);
    assert.deepEqual(JSON.parse(analysis.resultJson), runInOneProcess(marketAnalysisKind, analysis.spec!.marketAnalysis));
  });

  test('a finer timeframe than the stored one is refused at submit, naming the field; the CLI rejects a malformed --dataset', async () => {
    await assert.rejects(
      coordinator.submitJob({ spec: { backtest: { symbols: ['BTCUSDT'], timeframe: '15m', dataset: { name: `sha256:${id}` } } } }),
      (error: Error & { code?: number }) =>
        error.code === grpc.status.INVALID_ARGUMENT && /backtest\.timeframe: dataset .* holds 1h bars, which resample to 1h 4h 1d 1w 1M, not 15m/.test(error.message),
    );
    const finer = cli('submit', 'analysis', '--assets', 'BTCUSDT', '--dataset', id, '--timeframes', '1h,5m');
    assert.equal(finer.status, 1);
    assert.match(finer.stderr.trim(), /^quantgrid: .*market_analysis\.timeframes\[1\]: dataset .* holds 1h bars/);
    const malformed = cli('submit', 'backtest', '--symbols', 'BTCUSDT', '--dataset', id.slice(1));
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr.trim(), /^quantgrid: --dataset: ".*" is not sha256:<id>/);
  });

  test('an import whose bars are closer together than the declared timeframe is refused with the row', async () => {
    const file = path.join(dir, 'minutes-as-hours.csv');
    await writeFile(file, csvOf(120, '1m', 'SOLUSDT')); // from 22:00, on the 1h grid
    const bad = cli('data', 'import', file, '--symbol', 'SOLUSDT', '--timeframe', '1h');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^quantgrid: content: row 3: timestamp \S+ is 1m after row 2's; 1h bars are at least 1h apart/);
    const weekly = cli('data', 'import', file, '--symbol', 'SOLUSDT', '--timeframe', '1w');
    assert.equal(weekly.status, 1);
    assert.match(weekly.stderr.trim(), /^quantgrid: content: row 2: timestamp \S+ is not on the 1w grid: 1w bars open on a Monday/);
  });
});
