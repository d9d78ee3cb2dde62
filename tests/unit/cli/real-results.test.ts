import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import type { SubmitJobRequest } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { selectTaskKind } from '../../../shared/tasks/registry.js';
import { DEFAULT_SPEC_LIMITS, type RunContext } from '../../../shared/tasks/task-kind.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { renderResult } from '../../../cli/render/result-tables.js';
import { backtestCsv } from '../../../cli/kinds/backtest-result.js';
import { buildBacktestRequest } from '../../../cli/kinds/backtest.js';
import { buildMarketAnalysisRequest } from '../../../cli/kinds/market-analysis.js';
import { buildNoopRequest } from '../../../cli/kinds/noop.js';

/**
 * From CLI flags to a rendered table through the real pieces: the spec builders, the proto wire
 * format, and the task kinds' validate → plan → run → merge (in-process, no cluster).
 */

const context: RunContext = { reportProgress: () => {}, isCancelled: () => false };

function runLocally(request: SubmitJobRequest): unknown {
  const method = (loadQuantgridProto().definition['quantgrid.v1.Coordinator'] as Record<string, {
    requestSerialize(value: unknown): Buffer;
    requestDeserialize(bytes: Buffer): { spec: { kind?: string } & Record<string, unknown> };
  }>).SubmitJob;
  const decoded = method.requestDeserialize(method.requestSerialize(request));
  const { kind, raw } = selectTaskKind(decoded.spec);
  const spec = kind.validate(raw, DEFAULT_SPEC_LIMITS);
  const partials = kind.plan(spec, { partitions: 3 }).map((partition) => kind.run(spec, partition, context));
  return JSON.parse(JSON.stringify(kind.merge(spec, partials))) as unknown;
}

describe('real results rendered', () => {
  it('backtest', () => {
    const result = runLocally(
      buildBacktestRequest({ symbols: 'BTCUSDT,ETHUSDT', bars: '2000', fast: '5:15:5', slow: '20:40:10', top: '5' }),
    ) as { top: Array<{ symbol: string; params: { fast: number; slow: number } }> };
    const text = renderResult(result, 'backtest');
    assert.match(text, /backtest sma-crossover on 1h bars \(2000 bars per symbol, annualised with 365 days a year\): 18 combinations evaluated, top 5/);
    const best = result.top[0];
    const bestLine = text.split('\n').find((line) => /│\s+1 │/.test(line));
    assert.ok(bestLine, text);
    assert.match(bestLine, new RegExp(`${best.symbol}\\s+│\\s+${best.params.fast} │\\s+${best.params.slow} │`));
    assert.match(bestLine, /-?\d+\.\d\d%/);
  });

  it('backtest with an objective, constraints and the full table: sections, heatmap and CSV that parses back', () => {
    const result = runLocally(
      buildBacktestRequest({
        symbols: 'BTCUSDT,ETHUSDT',
        bars: '1500',
        fast: '5:15:5',
        slow: '20:40:10',
        top: '4',
        objective: 'calmar',
        constraint: ['max_drawdown<0.5', 'trades>=1'],
        fullTable: true,
      }),
    ) as Record<string, unknown> & {
      objective: string;
      constraints: unknown[];
      table: Array<Record<string, unknown> & { params: Record<string, number> }>;
      top: Array<Record<string, unknown> & { params: Record<string, number> }>;
    };
    // The proto carried every new field.
    assert.equal(result.objective, 'calmar');
    assert.deepEqual(result.constraints, [
      { metric: 'max_drawdown', op: '<', value: 0.5 },
      { metric: 'trades', op: '>=', value: 1 },
    ]);
    assert.equal(result.table.length, 18);
    const text = renderResult(result, 'backtest');
    assert.match(text, /top \d by Calmar ratio/);
    assert.match(text, /constraints: max_drawdown < 0\.5, trades >= 1 \(\d+ rows excluded from the rankings\)/);
    assert.match(text, /^BTCUSDT: /m);
    assert.match(text, /^ETHUSDT: /m);
    assert.match(text, /aggregate over symbols: 9 combinations ranked by mean Calmar ratio/);
    assert.match(text, /heatmap of calmar \(mean over symbols\): rows slow, columns fast/);
    assert.match(text, /^slow\\fast +5 +10 +15$/m);

    // The full table as CSV, parsed back: same rows, same values (numbers round-trip exactly).
    const csv = backtestCsv(result as never);
    const records = parseCsv(csv, { columns: true }) as Array<Record<string, string>>;
    assert.equal(records.length, 18);
    const header = csv.split('\n')[0].split(',');
    assert.deepEqual(header.slice(0, 4), ['symbol', 'fast', 'slow', 'short']);
    assert.equal(header[header.length - 1], 'meetsConstraints');
    const back = (cell: string): number | null => (cell === '' ? null : Number(cell));
    result.table.forEach((row, i) => {
      const record = records[i];
      assert.equal(record.symbol, row.symbol);
      for (const name of ['fast', 'slow', 'short']) assert.equal(Number(record[name]), row.params[name]);
      for (const key of ['sharpe', 'totalReturn', 'cagr', 'volatility', 'maxDrawdown', 'trades', 'winRate', 'exposure', 'sortino', 'calmar', 'maxDrawdownDuration', 'profitFactor', 'avgTradeReturn']) {
        assert.equal(back(record[key]), row[key], `${i} ${key}`);
      }
      assert.equal(record.meetsConstraints, String(row.meetsConstraints));
    });

    // Without the full table, the CSV is the top rows with their rank.
    const { table: _table, ...withoutTable } = result;
    const top = parseCsv(backtestCsv(withoutTable as never), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(top.map((record) => [Number(record.rank), record.symbol, Number(record.fast), back(record.calmar)]), result.top.map((row) => [row.rank, row.symbol, row.params.fast, row.calmar]));
  });

  it('market analysis', () => {
    const result = runLocally(buildMarketAnalysisRequest({ assets: 'BTCUSDT,ETHUSDT', timeframes: '1h,4h', bars: '500' }));
    const text = renderResult(result, 'market-analysis');
    const rows = text.split('\n').filter((line) => /(BTCUSDT|ETHUSDT)\s+│ (1h|4h)/.test(line));
    assert.equal(rows.length, 4, text);
    for (const row of rows) {
      const cells = row.split('│').map((cell) => cell.trim()).filter(Boolean);
      // asset, timeframe, close, RSI, MACD hist, %B, signals, POC: all filled on 500 bars.
      assert.equal(cells.length, 8, row);
      for (const cell of cells) assert.notEqual(cell, '-', row);
      assert.match(cells[6], /rsi (overbought|oversold|neutral)/);
      assert.match(cells[6], /macd (bullish|bearish|neutral)/);
    }
  });

  it('noop', () => {
    const text = renderResult(runLocally(buildNoopRequest({ partitions: '5' })), 'noop');
    assert.match(text, /every partition once\s*│ yes/);
  });
});
