import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import type { SubmitJobRequest } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { selectTaskKind } from '../../../shared/tasks/registry.js';
import { DEFAULT_SPEC_LIMITS, type RunContext } from '../../../shared/tasks/task-kind.js';
import { renderResult } from '../../../cli/render/result-tables.js';
import { buildAnalysisRequest, buildBacktestRequest, buildNoopRequest } from '../../../cli/spec-builders.js';

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
    const text = renderResult(result);
    assert.match(text, /backtest sma-crossover on 1h bars \(2000 bars per symbol\): 18 combinations evaluated, top 5/);
    const best = result.top[0];
    const bestLine = text.split('\n').find((line) => /│\s+1 │/.test(line));
    assert.ok(bestLine, text);
    assert.match(bestLine, new RegExp(`${best.symbol}\\s+│\\s+${best.params.fast} │\\s+${best.params.slow} │`));
    assert.match(bestLine, /-?\d+\.\d\d%/);
  });

  it('market analysis', () => {
    const result = runLocally(buildAnalysisRequest({ assets: 'BTCUSDT,ETHUSDT', timeframes: '1h,4h', bars: '500' }));
    const text = renderResult(result);
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
    const text = renderResult(runLocally(buildNoopRequest({ partitions: '5' })));
    assert.match(text, /every partition once\s*│ yes/);
  });
});
