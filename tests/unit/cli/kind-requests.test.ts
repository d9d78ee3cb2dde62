import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../cli/cli-error.js';
import { buildBacktestRequest, buildParams, parseConstraint } from '../../../cli/kinds/backtest.js';
import { buildMarketAnalysisRequest } from '../../../cli/kinds/market-analysis.js';
import { buildNoopRequest } from '../../../cli/kinds/noop.js';
import { parseDatasetName } from '../../../cli/submit-request.js';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { marketAnalysisKind } from '../../../shared/tasks/market-analysis/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

/** The spec as the coordinator normalises it: where the defaults the CLI leaves out are applied. */
const onServer = {
  backtest: (raw: unknown) => backtestKind.validate(raw, DEFAULT_SPEC_LIMITS),
  analysis: (raw: unknown) => marketAnalysisKind.validate(raw, DEFAULT_SPEC_LIMITS),
};

function usageError(pattern: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('buildBacktestRequest', () => {
  it('turns the flags of the README example into a SubmitJobRequest', () => {
    const request = buildBacktestRequest({
      symbols: 'BTCUSDT,ETHUSDT',
      timeframe: '1h',
      bars: '20000',
      seed: '42',
      strategy: 'sma-crossover',
      fast: '5:50:5',
      slow: '20:200:10',
      feeBps: '5',
      slippageBps: '1',
      top: '20',
      name: 'sweep',
      priority: '3',
      maxPartitions: '16',
      requestId: 'req-1',
    });
    assert.deepEqual(request, {
      name: 'sweep',
      priority: 3,
      requestId: 'req-1',
      deadlineSeconds: 0,
      noCache: false,
      spec: {
        backtest: {
          symbols: ['BTCUSDT', 'ETHUSDT'],
          timeframe: '1h',
          dataset: { bars: 20000, seed: 42 },
          strategy: 'sma-crossover',
          params: { fast: { start: 5, stop: 50, step: 5 }, slow: { start: 20, stop: 200, step: 10 } },
          feeBps: 5,
          slippageBps: 1,
          topN: 20,
        },
        maxPartitions: 16,
        requiredCapabilities: [],
      },
    });
  });

  it('--objective, repeated --constraint and --full-table', () => {
    const backtest = buildBacktestRequest({
      symbols: 'BTCUSDT,ETHUSDT',
      objective: 'sortino',
      constraint: ['max_drawdown<0.25', ' trades >= 10 ', 'sharpe>-1.5', 'win_rate<=0.9'],
      fullTable: true,
    }).spec?.backtest;
    assert.ok(backtest);
    assert.equal(backtest.objective, 'sortino');
    assert.deepEqual(backtest.constraints, [
      { metric: 'max_drawdown', op: '<', value: 0.25 },
      { metric: 'trades', op: '>=', value: 10 },
      { metric: 'sharpe', op: '>', value: -1.5 },
      { metric: 'win_rate', op: '<=', value: 0.9 },
    ]);
    assert.equal(backtest.fullTable, true);
    const defaults = onServer.backtest(buildBacktestRequest({ symbols: 'BTCUSDT' }).spec?.backtest);
    assert.deepEqual([defaults.objective, defaults.constraints, defaults.fullTable], ['sharpe', [], false]);
  });

  it('rejects a bad --objective or --constraint naming the flag', () => {
    assert.throws(() => buildBacktestRequest({ symbols: 'A', objective: 'max_drawdown' }), usageError(/^--objective: unknown objective "max_drawdown"/));
    for (const text of ['max_drawdown=0.25', 'max_drawdown<', '<0.25', 'drawdown<0.25', 'trades>=ten', 'trades>=1e999', 'trades >> 1']) {
      assert.throws(() => buildBacktestRequest({ symbols: 'A', constraint: [text] }), usageError(/^--constraint: /), text);
    }
    assert.deepEqual(parseConstraint('profit_factor>1.2'), { metric: 'profit_factor', op: '>', value: 1.2 });
  });

  it('--random with --random-seed, --walk-forward with --anchored, --equity-curves and --equity-points', () => {
    const backtest = buildBacktestRequest({ symbols: 'A', random: '5000', randomSeed: '7', walkForward: '2000:500', anchored: true, equityCurves: '5', equityPoints: '200' }).spec!.backtest!;
    assert.deepEqual(backtest.search, { method: 'random', samples: 5000, seed: 7 });
    assert.deepEqual(backtest.walkForward, { inSampleBars: 2000, outOfSampleBars: 500, anchored: true });
    assert.equal(backtest.equityCurves, 5);
    assert.equal(backtest.equityPoints, 200);
    assert.deepEqual(onServer.backtest(buildBacktestRequest({ symbols: 'A', random: '10' }).spec!.backtest).search, { method: 'random', samples: 10, seed: 1 });
    assert.throws(() => buildBacktestRequest({ symbols: 'A', random: '0' }), usageError(/^--random: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'A', randomSeed: '3' }), usageError(/^--random-seed: only with --random/));
    assert.throws(() => buildBacktestRequest({ symbols: 'A', anchored: true }), usageError(/^--anchored: only with --walk-forward/));
    for (const text of ['2000', '2000:', '1:500', '2000:500:1', 'a:b', '-5:10']) {
      assert.throws(() => buildBacktestRequest({ symbols: 'A', walkForward: text }), usageError(/^--walk-forward: /), text);
    }
    assert.throws(() => buildBacktestRequest({ symbols: 'A', equityCurves: '21' }), usageError(/^--equity-curves: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'A', equityPoints: '1' }), usageError(/^--equity-points: /));
  });

  it('leaves the defaults to the coordinator, including sma-crossover sweeps for fast and slow', () => {
    const request = buildBacktestRequest({ symbols: 'SOLUSDT' });
    assert.deepEqual(request.spec?.backtest, { symbols: ['SOLUSDT'], params: {} }, 'only what was given');
    const backtest = onServer.backtest(request.spec?.backtest);
    assert.equal(backtest.timeframe, '1h');
    assert.equal(backtest.strategy, 'sma-crossover');
    assert.deepEqual(backtest.dataset, { name: 'synthetic', bars: 20000, seed: 42 });
    assert.deepEqual(backtest.params, { fast: { start: 5, stop: 50, step: 5 }, slow: { start: 20, stop: 200, step: 10 }, short: { start: 0, stop: 0, step: 1 } });
    assert.deepEqual([backtest.feeBps, backtest.slippageBps, backtest.equityCurves, backtest.equityPoints], [5, 1, 3, 500]);
    assert.equal(backtest.topN, 20);
    assert.equal(request.priority, 0);
    assert.equal(request.spec?.maxPartitions, 0);
  });

  it('--param is the general form; --fast/--slow are shorthands for it', () => {
    assert.deepEqual(buildParams({ param: ['fast=10', 'slow=50:150:25'] }), {
      fast: { start: 10, stop: 10, step: 0 },
      slow: { start: 50, stop: 150, step: 25 },
    });
    assert.deepEqual(buildParams({ param: ['lookback=10:30:10'] }), {
      lookback: { start: 10, stop: 30, step: 10 },
    });
    assert.deepEqual(buildParams({ fast: '8', param: ['slow=21'] }), {
      slow: { start: 21, stop: 21, step: 0 },
      fast: { start: 8, stop: 8, step: 0 },
    });
  });

  it('rejects a parameter given twice', () => {
    assert.throws(() => buildParams({ param: ['fast=1', 'fast=2'] }), usageError(/^--param: fast is given more than once/));
    assert.throws(() => buildParams({ fast: '3', param: ['fast=1'] }), usageError(/^--fast: .*--param/));
  });

  it('names the flag at fault', () => {
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', fast: '5:x' }), usageError(/^--fast: "5:x" is not a range/));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', slow: '200:20:10' }), usageError(/^--slow: .*below start/));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', bars: '0' }), usageError(/^--bars: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', seed: '-1' }), usageError(/^--seed: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', feeBps: '-2' }), usageError(/^--fee-bps: .*negative/));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', top: 'ten' }), usageError(/^--top: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', priority: '1.5' }), usageError(/^--priority: /));
    assert.throws(() => buildBacktestRequest({ symbols: 'BTCUSDT', maxPartitions: '-1' }), usageError(/^--max-partitions: /));
    assert.throws(() => buildBacktestRequest({ symbols: ',' }), usageError(/^--symbols: /));
    assert.throws(() => buildBacktestRequest({}), usageError(/^--symbols is required/));
  });
});

describe('buildMarketAnalysisRequest', () => {
  it('turns flags into a market-analysis request', () => {
    const request = buildMarketAnalysisRequest({
      assets: 'BTCUSDT,ETHUSDT',
      timeframes: '1h,4h',
      bars: '3000',
      seed: '7',
      indicators: 'rsi,macd',
      series: true,
    });
    assert.deepEqual(request.spec, {
      marketAnalysis: {
        assets: ['BTCUSDT', 'ETHUSDT'],
        timeframes: ['1h', '4h'],
        dataset: { bars: 3000, seed: 7 },
        indicators: ['rsi', 'macd'],
        includeSeries: true,
      },
      maxPartitions: 0,
      requiredCapabilities: [],
    });
  });

  it('asks for every indicator and no series by default', () => {
    const request = buildMarketAnalysisRequest({ assets: 'BTCUSDT' }).spec?.marketAnalysis;
    assert.deepEqual(request, { assets: ['BTCUSDT'] }, 'only what was given');
    const analysis = onServer.analysis(request);
    assert.equal(analysis.indicators.length, 11);
    assert.equal(analysis.includeSeries, false);
    assert.deepEqual(analysis.timeframes, ['1h']);
    assert.deepEqual(analysis.dataset, { name: 'synthetic', bars: 5000, seed: 42 });
  });

  it('names the flag at fault', () => {
    assert.throws(() => buildMarketAnalysisRequest({}), usageError(/^--assets is required/));
    assert.throws(() => buildMarketAnalysisRequest({ assets: 'BTCUSDT', timeframes: ' ' }), usageError(/^--timeframes: /));
    assert.throws(() => buildMarketAnalysisRequest({ assets: 'BTCUSDT', bars: '1.5' }), usageError(/^--bars: /));
  });
});

describe('--dataset', () => {
  const id = 'ab'.repeat(32);

  it('accepts sha256:<id> or the bare id (any case) as the stored dataset name', () => {
    assert.equal(parseDatasetName(`sha256:${id}`), `sha256:${id}`);
    assert.equal(parseDatasetName(id), `sha256:${id}`);
    assert.equal(parseDatasetName(` ${id.toUpperCase()} `), `sha256:${id}`);
  });

  it('sends the stored dataset without bars (the coordinator fills them); --bars and --seed do not apply', () => {
    const backtest = buildBacktestRequest({ symbols: 'BTCUSDT', timeframe: '1d', bars: '20000', seed: '42', dataset: id }).spec?.backtest;
    assert.deepEqual(backtest?.dataset, { name: `sha256:${id}` });
    assert.equal(backtest?.timeframe, '1d');
    const analysis = buildMarketAnalysisRequest({ assets: 'BTCUSDT', timeframes: '1h,1d', dataset: `sha256:${id}` }).spec?.marketAnalysis;
    assert.deepEqual(analysis?.dataset, { name: `sha256:${id}` });
    assert.deepEqual(analysis?.timeframes, ['1h', '1d']);
  });

  it('leaves the timeframe to the dataset when --timeframe/--timeframes are not given', () => {
    const id = 'ab'.repeat(32);
    assert.equal(buildBacktestRequest({ symbols: 'A', dataset: id }).spec!.backtest!.timeframe, undefined);
    assert.equal(buildBacktestRequest({ symbols: 'A', dataset: id, timeframe: '4h' }).spec!.backtest!.timeframe, '4h');
    assert.equal(onServer.backtest(buildBacktestRequest({ symbols: 'A' }).spec!.backtest).timeframe, '1h');
    assert.deepEqual(buildMarketAnalysisRequest({ assets: 'A', dataset: id }).spec!.marketAnalysis!.timeframes, undefined);
    assert.deepEqual(buildMarketAnalysisRequest({ assets: 'A', dataset: id, timeframes: '1h,1d' }).spec!.marketAnalysis!.timeframes, ['1h', '1d']);
  });

  it('passes a tag as it is (the coordinator resolves it at submit)', () => {
    assert.equal(buildBacktestRequest({ symbols: 'A', dataset: 'BTCUSDT-1h' }).spec!.backtest!.dataset!.name, 'BTCUSDT-1h');
    assert.equal(buildMarketAnalysisRequest({ assets: 'A', dataset: 'btc.daily' }).spec!.marketAnalysis!.dataset!.name, 'btc.daily');
  });

  it('rejects a malformed id or tag naming --dataset', () => {
    for (const text of ['', '1abc', 'a/b', `sha256:${id.slice(1)}`, `sha512:${id}`, `${id}0`, `sha256:${'g'.repeat(64)}`, 'synthetic', `a${'b'.repeat(64)}`]) {
      assert.throws(() => buildBacktestRequest({ symbols: 'A', dataset: text }), usageError(/^--dataset: .*is neither a dataset id \(sha256:<64 hex digits>\) nor a tag/), text);
      assert.throws(() => buildMarketAnalysisRequest({ assets: 'A', dataset: text }), usageError(/^--dataset: /), text);
    }
  });
});

describe('buildNoopRequest', () => {
  it('turns flags into a noop request', () => {
    assert.deepEqual(buildNoopRequest({ partitions: '8', workMs: '250', failPartition: '3', name: 'bench' }), {
      name: 'bench',
      priority: 0,
      requestId: '',
      deadlineSeconds: 0,
      noCache: false,
      spec: { noop: { partitions: 8, workMs: 250, failPartition: '3' }, maxPartitions: 0, requiredCapabilities: [] },
    });
    assert.equal(buildNoopRequest({}).spec?.noop?.failPartition, undefined);
  });

  it('--deadline, --no-cache, --full and --request-id go into the request envelope', () => {
    const request = buildNoopRequest({ deadline: '1h30m', cache: false, requestId: 'nightly-2026-11-27' });
    assert.equal(request.deadlineSeconds, 5400);
    assert.equal(request.noCache, true);
    assert.equal(request.requestId, 'nightly-2026-11-27');
    assert.equal(request.full, undefined, 'full only when given');
    assert.equal(buildNoopRequest({ full: true }).full, true);
    assert.equal(buildNoopRequest({ deadline: '1500ms' }).deadlineSeconds, 2);
    for (const text of ['soon', '0s', '25d', '10']) assert.throws(() => buildNoopRequest({ deadline: text }), usageError(/^--deadline: /), text);
  });

  it('names the flag at fault', () => {
    assert.throws(() => buildNoopRequest({ partitions: '0' }), usageError(/^--partitions: /));
    assert.throws(() => buildNoopRequest({ workMs: 'slow' }), usageError(/^--work-ms: /));
    assert.throws(() => buildNoopRequest({ failPartition: '-1' }), usageError(/^--fail-partition: /));
  });
});

describe('built requests on the wire', () => {
  it('survive encoding with the real proto and decode as the coordinator sees them', async () => {
    const { loadQuantgridProto } = await import('../../../shared/grpc/proto-package.js');
    const { definition } = loadQuantgridProto();
    const method = (definition['quantgrid.v1.Coordinator'] as Record<string, {
      requestSerialize(value: unknown): Buffer;
      requestDeserialize(bytes: Buffer): Record<string, any>;
    }>).SubmitJob;
    const roundTrip = (request: unknown) => method.requestDeserialize(method.requestSerialize(request));

    const backtest = roundTrip(buildBacktestRequest({ symbols: 'BTCUSDT', fast: '5:50:5', param: ['slow=100'], requestId: 'r' }));
    assert.equal(backtest.spec.kind, 'backtest');
    assert.deepEqual(backtest.spec.backtest.params.fast, { start: 5, stop: 50, step: 5 });
    assert.deepEqual(backtest.spec.backtest.params.slow, { start: 100, stop: 100, step: 0 });
    assert.equal(backtest.spec.backtest.dataset, null, 'no dataset flags: none sent');
    assert.equal(backtest.spec.backtest._feeBps, undefined, 'an unset optional field stays unset');
    assert.deepEqual(onServer.backtest(backtest.spec.backtest).dataset, { name: 'synthetic', bars: 20000, seed: 42 });
    assert.equal(backtest.requestId, 'r');
    assert.equal(backtest.spec.backtest.walkForward, null);
    const walkForward = roundTrip(buildBacktestRequest({ symbols: 'BTCUSDT', walkForward: '300:100', random: '9', requestId: 'r' }));
    assert.deepEqual(walkForward.spec.backtest.walkForward, { inSampleBars: 300, outOfSampleBars: 100, anchored: false });
    assert.deepEqual(walkForward.spec.backtest.search, { method: 'random', samples: 9 });
    assert.deepEqual(onServer.backtest(walkForward.spec.backtest).search, { method: 'random', samples: 9, seed: 1 });

    const analysis = roundTrip(buildMarketAnalysisRequest({ assets: 'ETHUSDT', timeframes: '4h', series: true }));
    assert.equal(analysis.spec.kind, 'marketAnalysis');
    assert.deepEqual(analysis.spec.marketAnalysis.timeframes, ['4h']);
    assert.equal(analysis.spec.marketAnalysis.includeSeries, true);

    const stored = roundTrip(buildMarketAnalysisRequest({ assets: 'ETHUSDT', dataset: 'cd'.repeat(32) }));
    assert.deepEqual(stored.spec.marketAnalysis.dataset, { name: `sha256:${'cd'.repeat(32)}` });

    const noop = roundTrip(buildNoopRequest({ partitions: '3', workMs: '10', maxPartitions: '2' }));
    assert.equal(noop.spec.kind, 'noop');
    assert.deepEqual(noop.spec.noop, { partitions: 3, _partitions: 'partitions', workMs: 10, failPartition: '' });
    assert.equal(noop.spec.maxPartitions, 2);
  });
});
