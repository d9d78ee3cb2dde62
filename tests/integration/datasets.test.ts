import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
import { CHUNK_VALUES } from '../../coordinator/datasets/dataset-chunks.js';
import { eventually } from '../helpers/jobs.js';
import { runCli } from '../helpers/cli-process.js';
import { csvOf } from '../helpers/bars-csv.js';

const BARS = 20_000;
/** The coordinator's --dataset-budget here: room for every test's datasets, and a file past it. */
const BUDGET_BYTES = 16 * 1024 * 1024;

type Columns = Record<'time' | 'open' | 'high' | 'low' | 'close' | 'volume', Float64Array>;

/** Headed CSV rows of the given columns (epoch ms; numbers printed so they parse back exactly). */
function csvOfColumns(c: Columns): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < c.time.length; i++) lines.push(`${c.time[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`);
  return `${lines.join('\n')}\n`;
}

/** `bars` new bars after `lastTimeMs`, `stepMs` apart (valid OHLC from another synthetic series). */
function barsAfter(lastTimeMs: number, bars: number, stepMs: number, seed: number): Columns {
  const s = syntheticSeries({ seed, symbol: 'X', timeframe: '1m', bars });
  return { time: Float64Array.from({ length: bars }, (_, i) => lastTimeMs + (i + 1) * stepMs), open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
}

function concatColumns(a: Columns, b: Columns): Columns {
  const join = (x: Float64Array, y: Float64Array) => Float64Array.from([...x, ...y]);
  return { time: join(a.time, b.time), open: join(a.open, b.open), high: join(a.high, b.high), low: join(a.low, b.low), close: join(a.close, b.close), volume: join(a.volume, b.volume) };
}


describe('stored datasets: import, list, and jobs that fetch them once per node', { timeout: 240_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;
  let dir: string;
  const cli = (...args: string[]) => runCli(cluster.coordinator, args);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qg-datasets-test-'));
    cluster = await startLocalCluster({
      coordinatorArgs: ['--dataset-budget', `${BUDGET_BYTES}`, '--min-schedule-interval', '1s'],
      agents: [
        { slots: 2, extraArgs: ['--dataset-cache-dir', path.join(dir, 'cache-a')] },
        // A specialty in market analysis only: the backtests below still spread over both agents.
        { slots: 2, extraArgs: ['--dataset-cache-dir', path.join(dir, 'cache-b'), '--specialties', 'market-analysis'] },
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
    assert.match(malformed.stderr.trim(), /^quantgrid: --dataset: ".*" is neither a dataset id/);
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
  test('non-positive prices and a timeframe much finer than the bars are refused on every import path, naming the row, column or field; nothing is stored', async () => {
    const before = (await coordinator.listDatasets()).datasets.map((d) => d.id).sort();
    const hour = 3_600_000;
    const t0 = Date.UTC(2024, 0, 1);
    const rows = (n: number, step: number, bad?: { at: number; bar: string }) =>
      ['timestamp,open,high,low,close,volume', ...Array.from({ length: n }, (_, i) => `${new Date(t0 + i * step).toISOString()},${i === bad?.at ? bad.bar : '10,11,9,10.5'},100`)].join('\n') + '\n';
    const zero = rows(48, hour, { at: 2, bar: '1,2,0,1' }); // row 4: low 0
    const file = path.join(dir, 'zero-low.csv');
    await writeFile(file, zero);

    // The CLI (streamed import): one line, the row and the column, the flag to use.
    const refused = cli('data', 'import', file, '--symbol', 'SPREAD', '--timeframe', '1h');
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr.trim(), 'quantgrid: content: row 4: low 0 is not positive (for an instrument whose prices can be 0 or negative, import with allow_non_positive (--allow-non-positive))');
    // One message and Parquet, by the API: INVALID_ARGUMENT on content (Parquet rows are data rows: 3).
    const invalid = (pattern: RegExp) => (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && pattern.test(error.message);
    await assert.rejects(coordinator.importDataset({ symbol: 'SPREAD', timeframe: '1h', content: Buffer.from(zero) }), invalid(/content: row 4: low 0 is not positive/));
    const times = Array.from({ length: 48 }, (_, i) => new Date(t0 + i * hour));
    const price = (value: number) => times.map((_, i) => (i === 2 ? value : 10));
    const parquet = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'timestamp', data: times, type: 'TIMESTAMP' },
          { name: 'open', data: price(-1), type: 'DOUBLE' },
          { name: 'high', data: price(-0.5).map((v) => v + 1), type: 'DOUBLE' },
          { name: 'low', data: price(-2), type: 'DOUBLE' },
          { name: 'close', data: price(-1), type: 'DOUBLE' },
          { name: 'volume', data: price(5).map(() => 5), type: 'DOUBLE' },
        ],
      }),
    );
    await assert.rejects(coordinator.importDataset({ symbol: 'SPREAD', timeframe: '1h', content: parquet }), invalid(/content: Parquet row 3: open -1 is not positive/));
    assert.deepEqual((await coordinator.listDatasets()).datasets.map((d) => d.id).sort(), before, 'nothing stored');

    // The flag, on the CLI and on the API: imported as they are.
    const allowed = cli('data', 'import', file, '--symbol', 'SPREAD', '--timeframe', '1h', '--allow-non-positive', '--json');
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.equal(JSON.parse(allowed.stdout).bars, 48);
    const negative = await coordinator.importDataset({ symbol: 'SPREAD', timeframe: '1h', content: parquet, allowNonPositive: true });
    assert.equal(negative.bars, 48);
    assert.equal(negative.alreadyPresent, false);

    // 1h bars declared 5m: refused on the timeframe, with the timeframe they look like; gaps are fine.
    const hourly = path.join(dir, 'hourly.csv');
    await writeFile(hourly, rows(48, hour));
    const fine = cli('data', 'import', hourly, '--symbol', 'SOLUSDT', '--timeframe', '5m');
    assert.equal(fine.status, 1);
    assert.equal(fine.stderr.trim(), 'quantgrid: timeframe: bars are 1h apart, not 5m: use --timeframe 1h');
    await assert.rejects(coordinator.importDataset({ symbol: 'SOLUSDT', timeframe: '15m', content: Buffer.from(rows(48, hour)) }), invalid(/^.*timeframe: bars are 1h apart, not 15m: use --timeframe 1h/));
    const gappy = rows(48, hour).split('\n').filter((_, i) => i % 7 !== 3).join('\n'); // every 7th bar missing
    const gaps = await coordinator.importDataset({ symbol: 'SOLUSDT', timeframe: '1h', content: Buffer.from(gappy) });
    assert.ok(gaps.bars > 40 && gaps.bars < 48);
  });

  test('year_days auto: a weekday-only daily dataset is annualised with 252 days, shown in the spec, the result and the CLI; Sharpe and CAGR scale as 252 against 365 days', async () => {
    const s = syntheticSeries({ seed: 11, symbol: 'SPY', timeframe: '1d', bars: 900 });
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < s.time.length; i++) {
      const day = new Date(s.time[i]).getUTCDay();
      if (day !== 0 && day !== 6) lines.push(`${new Date(s.time[i]).toISOString()},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]}`);
    }
    const weekdays = await coordinator.importDataset({ symbol: 'SPY', timeframe: '1d', content: Buffer.from(`${lines.join('\n')}\n`) });
    const spec = (params: Record<string, unknown>) => ({
      spec: { backtest: { symbols: ['SPY'], dataset: { name: `sha256:${weekdays.id}` }, params: { fast: { start: 2, stop: 10, step: 2 }, slow: { start: 20, stop: 60, step: 10 }, ...params }, topN: 25 } },
    });
    const auto = (await submitAndWait(coordinator, spec({}))).job;
    assert.equal(auto.status, 'JOB_STATUS_COMPLETED', auto.error);
    assert.deepEqual(auto.spec!.backtest!.params.year_days, { start: 252, stop: 252, step: 0 }, 'the stored spec holds the resolved number');
    const autoResult = JSON.parse(auto.resultJson);
    assert.equal(autoResult.yearDays, 252);
    const printed = cli('job', auto.id);
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /backtest sma-crossover on 1d bars \(\d[\d,]* bars per symbol, annualised with 252 days a year\)/);

    const calendar = (await submitAndWait(coordinator, spec({ year_days: { start: 365, stop: 365, step: 0 } }))).job;
    const calendarResult = JSON.parse(calendar.resultJson);
    assert.equal(calendarResult.yearDays, 365, 'a given year_days is kept');
    // Daily bars: P = year_days, Sharpe ∝ √P and 1 + CAGR = growth^(P/returns), the same rows either way.
    const byParams = new Map(calendarResult.top.map((row: { params: unknown }) => [JSON.stringify(row.params), row]));
    let compared = 0;
    for (const row of autoResult.top as Array<{ params: unknown; sharpe: number | null; cagr: number | null; totalReturn: number }>) {
      const other = byParams.get(JSON.stringify(row.params)) as typeof row | undefined;
      // (a CAGR near 0 loses its digits to the − 1: those rows are compared by Sharpe only)
      if (!other || row.sharpe === null || other.sharpe === null) continue;
      assert.equal(row.totalReturn, other.totalReturn);
      assert.ok(Math.abs(row.sharpe / other.sharpe - Math.sqrt(252 / 365)) < 1e-12, `${row.sharpe} vs ${other.sharpe}`);
      if (row.cagr !== null && other.cagr !== null && Math.abs(other.cagr) > 1e-4) {
        assert.ok(Math.abs(Math.log1p(row.cagr) / Math.log1p(other.cagr) - 252 / 365) < 1e-9, `${row.cagr} vs ${other.cagr}`);
      }
      compared++;
    }
    assert.ok(compared >= 10, `${compared} rows compared`);
    // Every day traded (the 1h dataset of the first test): 365.
    const everyDay = (await submitAndWait(coordinator, { spec: { backtest: { symbols: ['BTCUSDT'], dataset: { name: `sha256:${id}` }, params: { fast: { start: 5, stop: 5, step: 0 }, slow: { start: 50, stop: 50, step: 0 } } } } })).job;
    assert.equal(JSON.parse(everyDay.resultJson).yearDays, 365);
  });

  test('agents advertise their specialties: ListNodes and quantgrid nodes show them', async () => {
    const { nodes } = await coordinator.listNodes();
    const specialist = cluster.agents[1].nodeId;
    assert.deepEqual(
      nodes.map((node) => [node.id, node.specialties]).sort(),
      [[cluster.agents[0].nodeId, []], [specialist, ['market-analysis']]].sort(),
    );
    const table = cli('nodes');
    assert.equal(table.status, 0, table.stderr);
    assert.equal(table.stdout.split('\n').filter((line) => line.includes(specialist) && line.includes('market-analysis')).length, 1, table.stdout);
    assert.ok(table.stdout.includes('specialties'), table.stdout);
  });

  const fetchSeries = async (datasetIdToFetch: string) => {
    const bytes = await grpcDatasetFetcher({ clusterSecret: await cluster.clusterSecret() })(datasetIdToFetch, cluster.coordinator.address);
    assert.equal(datasetId(bytes), datasetIdToFetch, 'the bytes served hash to the id');
    return datasetSeries(decodeDataset(bytes));
  };
  const columnsOf = (series: Columns): Columns => ({ time: series.time, open: series.open, high: series.high, low: series.low, close: series.close, volume: series.volume });
  let tagged = '';

  test('data append: a new version whose first N bars are exactly the parent\'s, its id the hash of the whole series encoded; lineage and tags in data ls', async () => {
    const parent = columnsOf(await fetchSeries(id));
    const added = barsAfter(parent.time[BARS - 1], 24, 3_600_000, 11);
    const file = path.join(dir, 'btc-1h-new.csv');
    await writeFile(file, csvOfColumns(added));
    const tagRun = cli('data', 'tag', 'BTCUSDT-1h', id);
    assert.equal(tagRun.status, 0, tagRun.stderr);
    assert.match(tagRun.stdout, new RegExp(`tag BTCUSDT-1h → sha256:${id}`));

    // On the tag: the tag moves to the new version.
    const appended = cli('data', 'append', 'BTCUSDT-1h', file, '--json');
    assert.equal(appended.status, 0, appended.stderr);
    const info = JSON.parse(appended.stdout);
    assert.equal(info.parentId, id);
    assert.equal(info.parentBars, BARS);
    assert.equal(info.appendedBars, 24);
    assert.equal(info.bars, BARS + 24);
    assert.deepEqual(info.tags, ['BTCUSDT-1h']);
    const whole = concatColumns(parent, added);
    assert.equal(info.id, datasetId(encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', ...whole })), 'the id is of the whole series, encoded independently');
    const child = await fetchSeries(info.id);
    for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
      assert.deepEqual(child[column].subarray(0, BARS), parent[column], `the first ${BARS} ${column} values are the parent's`);
      assert.deepEqual(child[column].subarray(BARS), added[column], `then the new ${column} values`);
    }
    tagged = info.id;

    const { datasets, tags } = await coordinator.listDatasets();
    assert.deepEqual(tags.map((t) => [t.name, t.id]), [['BTCUSDT-1h', tagged]]);
    assert.deepEqual(datasets.find((d) => d.id === id)?.tags, [], 'the parent keeps its bars, the tag has moved');
    const table = cli('data', 'ls');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`sha256:${tagged.slice(0, 12)}[\\s│]+BTCUSDT-1h[\\s│]+BTCUSDT.*\\+24 on sha256:${id.slice(0, 12)}`));
    assert.match(table.stdout, new RegExp(`sha256:${id.slice(0, 12)}[\\s│]+-[\\s│]+BTCUSDT.*import`));
  });

  test('an append that does not follow the last bar, or names another symbol or timeframe, is refused saying which, and stores nothing', async () => {
    const before = (await coordinator.listDatasets()).datasets.length;
    const last = (await coordinator.listDatasets()).datasets.find((d) => d.id === tagged)!.lastTimeMs;
    const overlapping = path.join(dir, 'overlap.csv');
    await writeFile(overlapping, csvOfColumns(barsAfter(last - 2 * 3_600_000, 3, 3_600_000, 12)));
    const overlap = cli('data', 'append', tagged, overlapping);
    assert.equal(overlap.status, 1);
    assert.match(overlap.stderr.trim(), /^quantgrid: content: the first new bar \(\S+\) is not after the dataset's last bar \(\S+\)/);
    const offGrid = path.join(dir, 'off-grid.csv');
    await writeFile(offGrid, csvOfColumns(barsAfter(last + 60_000, 3, 3_600_000, 12)));
    const off = cli('data', 'append', 'BTCUSDT-1h', offGrid);
    assert.equal(off.status, 1);
    assert.match(off.stderr.trim(), /^quantgrid: content: row 2: timestamp \S+ is not on the 1h grid/);
    const content = Buffer.from(csvOfColumns(barsAfter(last, 2, 3_600_000, 12)));
    await assert.rejects(
      coordinator.appendDatasetStream({ dataset: tagged, symbol: 'ETHUSDT', timeframe: '', format: '', totalBytes: content.length }, Readable.from([content])),
      (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && /header\.symbol: dataset \S+ holds BTCUSDT, not ETHUSDT/.test(error.message),
    );
    await assert.rejects(
      coordinator.appendDatasetStream({ dataset: tagged, symbol: '', timeframe: '4h', format: '', totalBytes: content.length }, Readable.from([content])),
      (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && /header\.timeframe: .*holds 1h bars, not 4h/.test(error.message),
    );
    await assert.rejects(
      coordinator.appendDatasetStream({ dataset: 'NOPE-1h', symbol: '', timeframe: '', format: '', totalBytes: content.length }, Readable.from([content])),
      (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && /header\.dataset: no dataset or tag "NOPE-1h"/.test(error.message),
    );
    assert.equal((await coordinator.listDatasets()).datasets.length, before);
  });

  test('a job naming a tag runs on the version it points at and records that id (quantgrid job shows it); agents that hold the parent fetch only the new bars', async () => {
    const fetchedBefore = await Promise.all(cluster.agents.map(async (agent) => (await agentStatus(agent.address, await cluster.clusterSecret())).datasetBytesFetched));
    const submitted = cli('--json', 'submit', 'backtest', '--symbols', 'BTCUSDT', '--dataset', 'BTCUSDT-1h', '--fast', '2:10:2', '--slow', '20:60:10', '--top', '3', '--max-partitions', '2');
    assert.equal(submitted.status, 0, submitted.stderr);
    const jobId = JSON.parse(submitted.stdout).jobId;
    const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: JOB_TIMEOUT_MS });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.equal(job.spec!.backtest!.dataset!.name, `sha256:${tagged}`);
    assert.equal(job.spec!.backtest!.dataset!.bars, BARS + 24);
    // Both agents cached the parent (an earlier job): the new version reaches them as its 24 bars × 6 columns.
    const fetchedNow = await Promise.all(cluster.agents.map(async (agent) => (await agentStatus(agent.address, await cluster.clusterSecret())).datasetBytesFetched));
    const grown = fetchedNow.map((bytes, i) => Number(bytes) - Number(fetchedBefore[i]));
    assert.ok(grown.every((bytes) => bytes === 0 || bytes === 24 * 6 * 8), `bytes fetched by each agent: ${grown.join(', ')}`);
    assert.ok(grown.some((bytes) => bytes > 0), 'some agent ran the job');
    const shown = cli('job', jobId);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`dataset ${tagged.slice(0, 12)}`));
    await assert.rejects(
      coordinator.submitJob({ spec: { backtest: { symbols: ['BTCUSDT'], dataset: { name: 'NOPE-1h' } } } }),
      (error: Error & { code?: number }) => error.code === grpc.status.INVALID_ARGUMENT && error.message.includes('backtest.dataset.name: no dataset tag "NOPE-1h"'),
    );
  });

  test('an append to a version longer than a chunk writes only its last chunk again, and the bars still equal the whole series', async () => {
    const bars = CHUNK_VALUES + 5_000;
    const start = Date.UTC(2020, 0, 1);
    const first = barsAfter(start - 60_000, bars, 60_000, 21);
    const file = path.join(dir, 'sol-1m.csv');
    await writeFile(file, csvOfColumns(first));
    const imported = cli('data', 'import', file, '--symbol', 'SOLUSDT', '--timeframe', '1m', '--json');
    assert.equal(imported.status, 0, imported.stderr);
    const parentInfo = JSON.parse(imported.stdout);
    const usedBefore = Number((await coordinator.listDatasets()).usedBytes);
    const added = barsAfter(first.time[bars - 1], 1_440, 60_000, 22);
    const addFile = path.join(dir, 'sol-1m-day.csv');
    await writeFile(addFile, csvOfColumns(added));
    const appended = cli('data', 'append', parentInfo.id, addFile, '--json');
    assert.equal(appended.status, 0, appended.stderr);
    const info = JSON.parse(appended.stdout);
    assert.equal(info.id, datasetId(encodeDataset({ symbol: 'SOLUSDT', timeframe: '1m', ...concatColumns(first, added) })));
    const child = await fetchSeries(info.id);
    assert.deepEqual(child.close.subarray(0, bars), first.close);
    assert.deepEqual(child.close.subarray(bars), added.close);
    // The full first chunk of each column is shared: the append stored only each column's last chunk.
    const grown = Number((await coordinator.listDatasets()).usedBytes) - usedBefore;
    assert.equal(grown, 6 * (bars + 1_440 - CHUNK_VALUES) * 8, `bytes stored by the append: ${grown}`);
  });

  test('data rm: refused while a queued or running job, a schedule or a tag uses the version, and to others than its owner; --force; a tag name removes the tag only', async () => {
    // A submitter who does not own the dataset.
    const { token } = await coordinator.createToken({ user: 'bob', role: 'submitter' });
    const bob = connect(cluster.coordinator, token);
    try {
      await assert.rejects(bob.removeDataset({ name: id, force: true }), (error: Error & { code?: number }) => error.code === grpc.status.PERMISSION_DENIED);
      await assert.rejects(bob.removeDataset({ name: 'BTCUSDT-1h', force: true }), (error: Error & { code?: number }) => error.code === grpc.status.PERMISSION_DENIED);
    } finally {
      bob.close();
    }

    // A big sweep on the tagged version: queued or running while rm is asked.
    const { jobId } = await coordinator.submitJob({
      spec: { backtest: { symbols: ['BTCUSDT'], dataset: { name: 'BTCUSDT-1h' }, strategy: 'sma-crossover', params: { fast: { start: 2, stop: 200, step: 1 }, slow: { start: 20, stop: 2000, step: 1 } } } },
    });
    const inUse = cli('data', 'rm', tagged);
    assert.equal(inUse.status, 1);
    assert.match(inUse.stderr.trim(), new RegExp(`^quantgrid: .*dataset ${tagged} is in use: job ${jobId}, tag BTCUSDT-1h; remove those first, or force`));
    await coordinator.cancelJob(jobId);

    await coordinator.addSchedule({ name: 'on-tag', cron: '0 3 * * *', template: { spec: { backtest: { symbols: ['BTCUSDT'], dataset: { name: 'BTCUSDT-1h' } } } } });
    const tagInUse = cli('data', 'rm', 'BTCUSDT-1h');
    assert.equal(tagInUse.status, 1);
    assert.match(tagInUse.stderr.trim(), /^quantgrid: .*tag BTCUSDT-1h is in use: schedule on-tag names it/);
    await eventually(async () => {
      const job = await coordinator.getJob(jobId);
      return ['JOB_STATUS_CANCELLED', 'JOB_STATUS_FAILED', 'JOB_STATUS_COMPLETED'].includes(job.status) ? job : undefined;
    }, JOB_TIMEOUT_MS, 'the sweep cancelled');
    const stillInUse = cli('data', 'rm', `sha256:${tagged}`);
    assert.equal(stillInUse.status, 1);
    assert.match(stillInUse.stderr.trim(), /is in use: schedule on-tag, tag BTCUSDT-1h/);
    await coordinator.changeSchedule('remove', 'on-tag');

    // A tag name removes the tag only; the version stays.
    const extra = cli('data', 'tag', 'btc-old', id);
    assert.equal(extra.status, 0, extra.stderr);
    const untag = cli('data', 'rm', 'btc-old');
    assert.equal(untag.status, 0, untag.stderr);
    assert.match(untag.stdout, /removed tag btc-old \(the version it pointed at is kept\)/);
    const { datasets, tags } = await coordinator.listDatasets();
    assert.ok(datasets.some((d) => d.id === id));
    assert.deepEqual(tags.map((t) => t.name), ['BTCUSDT-1h']);

    // The parent is used by nothing now (its jobs are finished): removed, and its child keeps its bars.
    const removed = cli('data', 'rm', id);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`removed dataset sha256:${id}`));
    const child = await fetchSeries(tagged);
    assert.equal(child.time.length, BARS + 24);
    // --force removes a version in use, and the tags pointing at it.
    const forced = cli('--json', 'data', 'rm', tagged, '--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout).removedTags, ['BTCUSDT-1h']);
    assert.deepEqual((await coordinator.listDatasets()).tags, []);
    const audit = (await coordinator.listAudit({ limit: 50 })).entries.map((entry) => entry.action);
    for (const action of ['dataset.append', 'dataset.tag', 'dataset.untag', 'dataset.remove']) assert.ok(audit.includes(action), `${action} in the audit trail`);
  });

  test('a schedule on a tag runs, at each firing, on the version the tag points at then', async () => {
    const base = barsAfter(Date.UTC(2021, 0, 1) - 3_600_000, 500, 3_600_000, 31);
    const file = path.join(dir, 'ada-1h.csv');
    await writeFile(file, csvOfColumns(base));
    const v1 = JSON.parse(cli('data', 'import', file, '--symbol', 'ADAUSDT', '--timeframe', '1h', '--json').stdout).id as string;
    assert.equal(cli('data', 'tag', 'ADAUSDT-1h', v1).status, 0);
    const template = { spec: { backtest: { symbols: ['ADAUSDT'], dataset: { name: 'ADAUSDT-1h' }, params: { fast: { start: 2, stop: 6, step: 2 }, slow: { start: 10, stop: 30, step: 10 } } } } };
    const added = await coordinator.addSchedule({ name: 'ada-nightly', cron: '* * * * * *', template });
    assert.equal(added.template?.spec?.backtest?.dataset?.name, 'ADAUSDT-1h', 'the schedule keeps the tag');
    const datasetOfRun = async (after: number) =>
      eventually(async () => {
        const jobs = (await coordinator.listJobs({ limit: 1000 })).jobs.filter((job) => job.schedule === 'ada-nightly' && job.startedAtMs > after);
        const ran = jobs.find((job) => job.status === 'JOB_STATUS_COMPLETED');
        return ran ? (await coordinator.getJob(ran.id)).spec!.backtest!.dataset!.name : undefined;
      }, 30_000, 'a run of the schedule');
    assert.equal(await datasetOfRun(0), `sha256:${v1}`);

    const more = path.join(dir, 'ada-1h-more.csv');
    await writeFile(more, csvOfColumns(barsAfter(base.time[499], 24, 3_600_000, 32)));
    const appended = cli('data', 'append', 'ADAUSDT-1h', more, '--json');
    assert.equal(appended.status, 0, appended.stderr);
    const v2 = JSON.parse(appended.stdout).id as string;
    // An occurrence that started after the tag moved resolved it then (one started before keeps its version).
    assert.equal(await datasetOfRun(Date.now()), `sha256:${v2}`);

    // The tag removed (forced: the schedule names it): the next occurrences are skipped, saying why.
    const untagged = cli('data', 'rm', 'ADAUSDT-1h', '--force');
    assert.equal(untagged.status, 0, untagged.stderr);
    const skipped = await eventually(async () => {
      const schedule = (await coordinator.listSchedules()).schedules.find((s) => s.name === 'ada-nightly');
      return schedule?.lastRun?.skipped ? schedule.lastRun : undefined;
    }, 30_000, 'a skipped occurrence');
    assert.match(skipped.reason, /^the template no longer validates: template\.backtest\.dataset\.name: no dataset tag "ADAUSDT-1h"/);
    await coordinator.changeSchedule('remove', 'ada-nightly');
  });

  test('past the byte budget an import is RESOURCE_EXHAUSTED, saying so, and stores nothing', async () => {
    const { usedBytes, budgetBytes, datasets } = await coordinator.listDatasets();
    assert.equal(Number(budgetBytes), BUDGET_BYTES);
    const bars = Math.ceil((BUDGET_BYTES - Number(usedBytes)) / 48) + 1_000;
    const file = path.join(dir, 'too-much.csv');
    await writeFile(file, csvOfColumns(barsAfter(Date.UTC(2022, 0, 1), bars, 60_000, 41)));
    const refused = cli('data', 'import', file, '--symbol', 'XRPUSDT', '--timeframe', '1m');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr.trim(), /^quantgrid: .*the dataset store's budget is full: it holds \S+ MiB of 16\.0 MiB \(the coordinator's --dataset-budget\)/);
    // The same through the API: the status is RESOURCE_EXHAUSTED.
    const content = Buffer.from(csvOfColumns(barsAfter(Date.UTC(2023, 0, 1), bars, 60_000, 42)));
    await assert.rejects(
      coordinator.importDatasetStream({ symbol: 'XRPUSDT', timeframe: '1m', format: '', totalBytes: content.length, dataset: '' }, Readable.from([content])),
      (error: Error & { code?: number }) => error.code === grpc.status.RESOURCE_EXHAUSTED && /--dataset-budget/.test(error.message),
    );
    const after = await coordinator.listDatasets();
    assert.equal(after.datasets.length, datasets.length);
    assert.equal(Number(after.usedBytes), Number(usedBytes));
  });
});
