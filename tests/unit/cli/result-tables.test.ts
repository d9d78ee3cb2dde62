import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job__Output } from '../../../shared/generated/quantgrid/v1/Job.js';
import type { NodeInfo__Output } from '../../../shared/generated/quantgrid/v1/NodeInfo.js';
import { renderJobDetails } from '../../../cli/render/job-tables.js';
import { renderJobsTable } from '../../../cli/render/jobs-table.js';
import { renderNodesTable } from '../../../cli/render/node-table.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseResultJson, renderResult } from '../../../cli/render/result-tables.js';
import { backtestCsv, renderHeatmap } from '../../../cli/kinds/backtest-result.js';
import { formatBytes, formatDuration, formatProgress, statusName } from '../../../cli/render/format.js';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { runPartitioned } from '../../helpers/task-kinds.js';

/** The table's lines that contain all the given texts. */
function linesWith(text: string, ...parts: string[]): string[] {
  return text.split('\n').filter((line) => parts.every((part) => line.includes(part)));
}

const BACKTEST_RESULT = {
  kind: 'backtest',
  strategy: 'sma-crossover',
  timeframe: '1h',
  bars: 20000,
  evaluated: 340,
  objective: 'sharpe',
  constraints: [],
  excludedByConstraints: 0,
  top: [
    {
      rank: 1,
      symbol: 'ETHUSDT',
      params: { fast: 10, slow: 120 },
      sharpe: 1.8734,
      totalReturn: 0.4521,
      cagr: 0.2107,
      volatility: 0.3312,
      maxDrawdown: 0.1843,
      trades: 37,
      winRate: 0.5412,
      exposure: 0.612,
    },
    {
      rank: 2,
      symbol: 'BTCUSDT',
      params: { fast: 15, slow: 150 },
      sharpe: 1.2,
      totalReturn: 0.25,
      cagr: null,
      volatility: 0.28,
      maxDrawdown: 0.22,
      trades: 0,
      winRate: null,
      exposure: 0.5,
    },
  ],
};

const ANALYSIS_RESULT = {
  kind: 'market-analysis',
  rows: [
    {
      asset: 'BTCUSDT',
      timeframe: '1h',
      close: 43127.55,
      indicators: {
        rsi: { period: 14, value: 71.234 },
        macd: { fast: 12, slow: 26, signalPeriod: 9, macd: 120.5, signal: 98.1, histogram: 22.4 },
        bollinger: { period: 20, stdDev: 2, upper: 43500, middle: 42500, lower: 41500 },
      },
      signals: { rsi: 'overbought', macd: 'bullish', bollinger: 'inside' },
      volumeProfile: { bins: [], poc: 42880.1, valueAreaHigh: 43300, valueAreaLow: 42100, totalVolume: 1 },
    },
    {
      asset: 'ETHUSDT',
      timeframe: '4h',
      close: 2291.4,
      indicators: { rsi: { period: 14, value: 28.6 } },
      signals: { rsi: 'oversold' },
      volumeProfile: { bins: [], poc: null, valueAreaHigh: null, valueAreaLow: null, totalVolume: 0 },
    },
  ],
};

describe('result tables', () => {
  it('renders a backtest ranking with parameters and metrics', () => {
    const text = renderResult(BACKTEST_RESULT, 'backtest');
    assert.match(text, /sma-crossover on 1h bars \(20000 bars per symbol\): 340 combinations evaluated, top 2/, 'a result from before year_days was reported');
    assert.match(renderResult({ ...BACKTEST_RESULT, yearDays: 252 }, 'backtest'), /sma-crossover on 1h bars \(20000 bars per symbol, annualised with 252 days a year\): 340 combinations/);
    for (const header of ['symbol', 'fast', 'slow', 'sharpe', 'return', 'CAGR', 'max DD', 'trades', 'win rate', 'exposure']) {
      assert.ok(text.includes(header), `header ${header}`);
    }
    assert.equal(linesWith(text, 'ETHUSDT', ' 10 ', ' 120 ', '1.87', '45.21%', '21.07%', '18.43%', ' 37 ', '54.1%', '61.2%').length, 1);
    // Nulls show as '-', zero stays zero.
    const btc = linesWith(text, 'BTCUSDT', ' 15 ', ' 150 ')[0];
    assert.ok(btc);
    assert.match(btc, /│ +- +│/);
    assert.match(btc, /│ +0 +│/);
    assert.ok(text.indexOf('ETHUSDT') < text.indexOf('BTCUSDT'), 'rank order kept');
  });

  it('says so when a backtest ranked nothing', () => {
    assert.match(renderResult({ ...BACKTEST_RESULT, top: [] }, 'backtest'), /no results/);
  });

  it('renders market analysis as one row per asset × timeframe', () => {
    const text = renderResult(ANALYSIS_RESULT, 'market-analysis');
    for (const header of ['asset', 'timeframe', 'close', 'RSI', 'MACD hist', 'Bollinger %B', 'signals', 'POC']) {
      assert.ok(text.includes(header), `header ${header}`);
    }
    // %B = (43127.55 - 41500) / (43500 - 41500) = 0.81
    assert.equal(linesWith(text, 'BTCUSDT', '1h', '43127.55', '71.2', '22.4000', '0.81', 'rsi overbought', 'macd bullish', '42880.10').length, 1);
    assert.equal(linesWith(text, 'ETHUSDT', '4h', '2291.40', '28.6', 'rsi oversold').length, 1);
  });

  it('renders a noop result and checks its checksum', () => {
    const good = renderResult({ partitions: 4, checksum: 6 }, 'noop');
    assert.equal(linesWith(good, 'partitions', '4').length, 1);
    assert.equal(linesWith(good, 'checksum', '6').length, 1);
    assert.equal(linesWith(good, 'every partition once', 'yes').length, 1);
    assert.match(renderResult({ partitions: 4, checksum: 5 }, 'noop'), /expected checksum 6/);
  });

  it('falls back to JSON for unknown shapes and copes with empty results', () => {
    assert.match(renderResult({ kind: 'future-kind', value: 3 }, 'future-kind'), /"value": 3/);
    assert.equal(renderResult(parseResultJson(''), 'noop'), '(no result)');
    assert.equal(parseResultJson('not json'), 'not json');
  });

  it('renders per-symbol rankings, a skipped aggregate and the objective column', () => {
    const row = (BACKTEST_RESULT.top as Array<Record<string, unknown>>)[0];
    const text = renderResult({
      ...BACKTEST_RESULT,
      objective: 'profit_factor',
      constraints: [{ metric: 'trades', op: '>=', value: 10 }],
      excludedByConstraints: 7,
      top: [{ ...row, profitFactor: 1.75 }],
      perSymbol: { ETHUSDT: [{ ...row, profitFactor: 1.75 }], BTCUSDT: [] },
      aggregate: { status: 'skipped', reason: "30000 combinations exceed the aggregate's cap of 20000" },
    }, 'backtest');
    assert.match(text, /top 1 by profit factor/);
    assert.match(text, /constraints: trades >= 10 \(7 rows excluded from the rankings\)/);
    assert.ok(text.includes('profit factor'));
    assert.equal(linesWith(text, 'ETHUSDT', '1.75').length, 2);
    assert.match(text, /^ETHUSDT: top 1$/m);
    assert.match(text, /^BTCUSDT: \(no rows met the constraints\)$/m);
    assert.match(text, /aggregate over symbols: skipped \(30000 combinations exceed the aggregate's cap of 20000\)/);
  });

  it('renders a computed aggregate and heatmaps: numbers when narrow, shades when wide', () => {
    const text = renderResult({
      ...BACKTEST_RESULT,
      aggregate: {
        status: 'computed',
        combinations: 4,
        excludedByConstraints: 1,
        top: [{ rank: 1, params: { fast: 5, slow: 20 }, mean: 1.23456, values: { BTCUSDT: 1.5, ETHUSDT: 0.96912 } }],
      },
      heatmap: { source: 'aggregate', objective: 'sharpe', x: 'fast', y: 'slow', xs: [5, 10], ys: [20, 30], values: [[1.5, null], [-0.25, 2]] },
    }, 'backtest');
    assert.match(text, /aggregate over symbols: 4 combinations ranked by mean Sharpe ratio, 1 excluded/);
    assert.equal(linesWith(text, ' 5 ', ' 20 ', '1.235', '1.500', '0.969').length, 1);
    assert.match(text, /^slow\\fast +5 +10$/m);
    assert.match(text, /^ +20 +1\.50 +-$/m);
    assert.match(text, /^ +30 +-0\.25 +2\.00$/m);
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    const wide = renderHeatmap({ source: 'symbol', symbol: 'AAA', objective: 'cagr', x: 'fast', y: 'slow', xs, ys: [30], values: [xs.map((x) => (x === 3 ? null : x))] });
    assert.match(wide, /heatmap of cagr \(AAA\)/);
    const line = wide.split('\n')[1];
    assert.ok(/^ +30 {3}·░/.test(line), line);
    assert.ok(line.endsWith('█'), line);
    assert.equal(line.split('·').length, 2, line);
  });

  it('renders equity curves as sparklines, and a walk-forward result window by window', () => {
    const spec = backtestKind.validate(
      { symbols: ['AAA', 'BBB'], dataset: { bars: 600, seed: 5 }, params: { fast: { start: 2, stop: 12, step: 2 }, slow: { start: 10, stop: 40, step: 6 } }, topN: 5, equityCurves: 2 },
      DEFAULT_SPEC_LIMITS,
    );
    const sweep = renderResult(runPartitioned(backtestKind, spec, 2).result, 'backtest');
    assert.match(sweep, /equity curves of the best 2 \(500 points each; --json for the values\)/);
    assert.match(sweep, /#1 (AAA|BBB) fast=\d+ slow=\d+ short=0\n  [▁▂▃▄▅▆▇█]{60} \d+\.\d{3}/);

    const walkForward = backtestKind.validate(
      { ...spec, symbols: ['AAA', 'BBB'], dataset: { bars: 600, seed: 5 }, params: spec.params, walkForward: { inSampleBars: 200, outOfSampleBars: 90 }, constraints: [{ metric: 'trades', op: '>=', value: 14 }], search: null },
      DEFAULT_SPEC_LIMITS,
    );
    const text = renderResult(runPartitioned(backtestKind, walkForward, 3).result, 'backtest');
    assert.match(text, /walk-forward: 4 windows of 200 in-sample \+ 90 out-of-sample bars \(rolling\); best in sample by sharpe, traded out of sample on bars 200–559/);
    assert.match(text, /AAA out of sample \(stitched\): return -?\d+\.\d\d ?%, Sharpe /);
    assert.match(text, /\(none met the constraints\)/);
    assert.equal(linesWith(text, 'window', 'fast', 'slow', 'OOS return').length, 2);
    assert.ok(linesWith(text, '2023-', '%').some((line) => !line.includes('none met')), 'some windows have a choice');
    assert.match(text, /mean out-of-sample sharpe over symbols: /);
  });

  it('writes CSV that quotes what needs quoting and parses back', () => {
    const rows = [
      { rank: 1, symbol: 'A,"B"', params: { k: 0.1 }, sharpe: 1.0000000000000002, trades: 3, winRate: null },
      { rank: 2, symbol: 'C', params: { k: 2 }, sharpe: -3e-12, trades: 0, winRate: 0.5 },
    ];
    const csv = backtestCsv({ kind: 'backtest', top: rows } as never);
    const records = parseCsv(csv, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(
      records.map((r) => [Number(r.rank), r.symbol, Number(r.k), Number(r.sharpe), Number(r.trades), r.winRate === '' ? null : Number(r.winRate)]),
      rows.map((r) => [r.rank, r.symbol, r.params.k, r.sharpe, r.trades, r.winRate]),
    );
    assert.equal(csv.split('\n')[0], 'rank,symbol,k,sharpe,totalReturn,cagr,volatility,maxDrawdown,trades,winRate,exposure,sortino,calmar,maxDrawdownDuration,profitFactor,avgTradeReturn');
  });

});

const NO_UNIT_COUNTS = { unitsContinued: 0, unitsRejected: 0, unitsFull: 0, barsSimulated: 0, continuedFrom: '', backups: 0, backupsWon: 0 };

function job(overrides: Partial<Job__Output>): Job__Output {
  return {
    id: 'job-1',
    kind: 'backtest',
    status: 'JOB_STATUS_RUNNING',
    spec: null,
    progress: { partitionsTotal: 40, partitionsDone: 12, partitionsRunning: 4, retries: 1, runningNodes: ['node-a', 'node-b'], etaSeconds: 30, partitionsReused: 0, partitionsRecovered: 0, ...NO_UNIT_COUNTS },
    createdAtMs: 1_000_000,
    startedAtMs: 1_002_000,
    finishedAtMs: 0,
    resultJson: '',
    error: '',
    name: '',
    schedule: '',
    owner: '',
    resultBytes: 0,
    resultTruncated: false,
    ...overrides,
  };
}

describe('job tables', () => {
  const now = 1_000_000 + 125_000;

  it('lists jobs with kind, status, progress, age and duration', () => {
    const text = renderJobsTable(
      [
        job({ owner: 'alice' }),
        job({ id: 'job-2', kind: 'noop', status: 'JOB_STATUS_COMPLETED', finishedAtMs: 1_012_500, progress: { partitionsTotal: 4, partitionsDone: 4, partitionsRunning: 0, retries: 0, runningNodes: [], etaSeconds: 0, partitionsReused: 0, partitionsRecovered: 0, ...NO_UNIT_COUNTS } }),
        job({ id: 'job-3', status: 'JOB_STATUS_WAITING_FOR_NODES', startedAtMs: 0, progress: null }),
      ],
      now,
    );
    for (const header of ['id', 'kind', 'owner', 'status', 'progress', 'age', 'duration']) assert.ok(text.includes(header));
    assert.equal(linesWith(text, 'job-1', 'backtest', 'alice', 'running', '12/40 (30%)', '2m 05s', '2m 03s').length, 1);
    assert.equal(linesWith(text, 'job-2', 'noop', 'completed', '4/4 (100%)', '10.5s').length, 1);
    assert.equal(linesWith(text, 'job-3', 'waiting for nodes').length, 1);
    assert.ok(!text.includes('name'), 'no name column when no job has a name');
    assert.ok(renderJobsTable([job({ name: 'nightly' })], now).includes('nightly'));
    assert.equal(renderJobsTable([], now), 'no jobs');
  });

  it('shows one job with its spec, progress and error', () => {
    const text = renderJobDetails(
      job({
        status: 'JOB_STATUS_FAILED',
        finishedAtMs: 1_010_000,
        error: 'partition 3 failed 3 times: worker crashed',
        spec: {
          backtest: {
            symbols: ['BTCUSDT', 'ETHUSDT'],
            timeframe: '1h',
            dataset: { name: 'synthetic', bars: 20000, seed: 42 },
            strategy: 'sma-crossover',
            params: { fast: { start: 5, stop: 50, step: 5 }, slow: { start: 100, stop: 100, step: 0 } },
            feeBps: 5,
            slippageBps: 1,
            topN: 20,
            objective: '',
            constraints: [],
            fullTable: false,
            search: null,
            walkForward: null,
            equityCurves: 0,
            equityPoints: 0,
          },
          requiredCapabilities: [],
          maxPartitions: 0,
          kind: 'backtest',
        },
      }),
      now,
    );
    assert.equal(linesWith(text, 'status', 'failed').length, 1);
    assert.equal(linesWith(text, 'error', 'partition 3 failed 3 times: worker crashed').length, 1);
    assert.equal(linesWith(text, 'spec', 'sma-crossover on BTCUSDT,ETHUSDT 1h', 'fast=5:50:5 slow=100').length, 1);
    assert.equal(linesWith(text, 'duration', '8.0s').length, 1);
    assert.equal(linesWith(text, 'retries', '1').length, 1);
  });
});

describe('nodes table', () => {
  it('shows capacity, measurements and the score with its parts', () => {
    const node: NodeInfo__Output = {
      id: 'node-a',
      address: '10.0.0.7:7100',
      state: 'ready',
      slots: 8,
      busySlots: 3,
      cores: 8,
      cpuSpeedGhz: 3.2,
      memoryTotalBytes: 32 * 1024 ** 3,
      memoryAvailableBytes: 20.5 * 1024 ** 3,
      cpuLoad: 0.375,
      rttMs: 0.84,
      capabilities: ['backtest'],
      specialties: ['backtest', 'market-analysis'],
      version: '0.1.0',
      score: { total: 0.6123, cpu: 1, memory: 0.9, network: 0.75, loadFactor: 0.625 },
      quarantinedUntilMs: 0,
      stateReason: '',
    };
    const quarantined = { ...node, id: 'node-b', state: 'quarantined', quarantinedUntilMs: 1_030_000, specialties: [] };
    const rogue = { ...node, id: 'node-c', state: 'unverified', stateReason: 'answered the cluster-secret challenge wrongly' };
    const text = renderNodesTable([node, quarantined, rogue], 1_000_000);
    assert.equal(linesWith(text, 'node-c is unverified: answered the cluster-secret challenge wrongly').length, 1);
    for (const header of ['id', 'address', 'state', 'slots busy/total', 'cores', 'CPU GHz', 'memory avail/total', 'CPU load', 'RTT ms', 'score', 'load factor', 'specialties', 'version']) {
      assert.ok(text.includes(header), `header ${header}`);
    }
    assert.equal(
      linesWith(text, 'node-a', '10.0.0.7:7100', 'ready', '3/8', '3.20', '20.5 GiB / 32.0 GiB', '38%', '0.8', '0.612', '0.90', '0.75', '0.63', 'backtest,market-analysis', '0.1.0').length,
      1,
    );
    assert.equal(linesWith(text, 'node-b', 'quarantined (30.0s left)').length, 1);
    assert.ok(!linesWith(text, 'node-b')[0].includes('backtest,'), 'node-b has no specialties');
    assert.match(renderNodesTable([], 0), /no nodes/);
  });
});

describe('formatting', () => {
  it('formats durations, sizes, progress and statuses', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(12_340), '12.3s');
    assert.equal(formatDuration(245_000), '4m 05s');
    assert.equal(formatDuration(7_380_000), '2h 03m');
    assert.equal(formatDuration(Number.NaN), '-');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatProgress(null), '-');
    assert.equal(statusName('JOB_STATUS_WAITING_FOR_NODES'), 'waiting for nodes');
  });
});
