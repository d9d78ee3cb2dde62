import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backtestKind } from '../../../shared/tasks/backtest/index.js';
import { marketAnalysisKind } from '../../../shared/tasks/market-analysis/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { runPartitioned } from '../../helpers/task-kinds.js';

/** Weekly and monthly bars as job timeframes, on the synthetic dataset. */
describe('1w and 1M jobs', () => {
  it('a backtest at 1w or 1M validates, runs and reports its timeframe; partitioning changes nothing', () => {
    for (const timeframe of ['1w', '1M']) {
      const spec = backtestKind.validate(
        { symbols: ['BTCUSDT'], timeframe, dataset: { bars: 600, seed: 3 }, params: { fast: { start: 2, stop: 6, step: 2 }, slow: { start: 10, stop: 30, step: 10 } }, topN: 3 },
        DEFAULT_SPEC_LIMITS,
      );
      const one = runPartitioned(backtestKind, spec, 1).result as { timeframe: string; bars: number; top: Array<{ cagr: number | null; sharpe: number | null }> };
      assert.equal(one.timeframe, timeframe);
      assert.equal(one.bars, 600);
      assert.equal(one.top.length, 3);
      assert.ok(one.top.every((row) => row.sharpe === null || Number.isFinite(row.sharpe)), timeframe);
      assert.deepEqual(JSON.parse(JSON.stringify(runPartitioned(backtestKind, spec, 3).result)), JSON.parse(JSON.stringify(one)));
    }
  });

  it('a market analysis over 1d, 1w and 1M gives rows whose latest bar opens at midnight, on Monday, on the 1st', () => {
    const spec = marketAnalysisKind.validate({ assets: ['ETHUSDT'], timeframes: ['1d', '1w', '1M'], dataset: { bars: 300, seed: 9 }, indicators: ['rsi', 'macd'] }, DEFAULT_SPEC_LIMITS);
    const { rows } = runPartitioned(marketAnalysisKind, spec, 2).result as { rows: Array<{ timeframe: string; bars: number; time: number }> };
    assert.deepEqual(rows.map((row) => [row.timeframe, row.bars]), [['1d', 300], ['1w', 300], ['1M', 300]]);
    assert.equal(rows[0].time, Date.UTC(2023, 11, 31));
    assert.equal(rows[1].time, Date.UTC(2023, 11, 25));
    assert.equal(new Date(rows[1].time).getUTCDay(), 1);
    assert.equal(rows[2].time, Date.UTC(2023, 11, 1));
  });

  it('an unknown timeframe is still refused, listing 1w and 1M', () => {
    assert.throws(() => backtestKind.validate({ symbols: ['A'], timeframe: '2w' }, DEFAULT_SPEC_LIMITS), /backtest\.timeframe: unsupported "2w" \(one of 1m 5m 15m 30m 1h 4h 1d 1w 1M\)/);
    assert.throws(() => marketAnalysisKind.validate({ assets: ['A'], timeframes: ['1y'] }, DEFAULT_SPEC_LIMITS), /market_analysis\.timeframes\[0\]: unsupported "1y" \(one of .* 1w 1M\)/);
  });
});
