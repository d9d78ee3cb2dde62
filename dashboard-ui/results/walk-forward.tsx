/** A walk-forward result: per symbol, each window's in-sample choice and out-of-sample metrics, and the stitched out-of-sample equity. */
import type { JSX } from 'preact';
import type { WalkForwardResult } from '../../shared/tasks/backtest/walk-forward-merge.js';
import { LineChart } from '../components/line-chart.js';
import { formatNumber, formatPercent } from '../format.js';
import { paramsText } from './metric-columns.js';

export function WalkForwardView(props: { walkForward: WalkForwardResult; objective: string }): JSX.Element {
  const wf = props.walkForward;
  return (
    <div class="walk-forward" data-section="walk-forward">
      <h3>Walk-forward</h3>
      <p class="summary">
        {wf.windows} window{wf.windows === 1 ? '' : 's'} · in sample {formatNumber(wf.inSampleBars, 0)} bars{wf.anchored ? ' (anchored)' : ''} · out of sample {formatNumber(wf.outOfSampleBars, 0)} bars · bars {wf.from}–{wf.to}
        {wf.aggregate ? ` · mean out-of-sample ${wf.aggregate.objective} ${formatNumber(wf.aggregate.mean, 3)}` : ''}
      </p>
      {wf.symbols.map((symbol) => (
        <div key={symbol.symbol} class="wf-symbol">
          <h4>
            {symbol.symbol}: out of sample sharpe {formatNumber(symbol.outOfSample.sharpe, 3)}, return {formatPercent(symbol.outOfSample.totalReturn)}, max DD {formatPercent(symbol.outOfSample.maxDrawdown)}
          </h4>
          <div class="table-scroll">
            <table class="data" data-table={`walk-forward-${symbol.symbol}`}>
              <thead>
                <tr>
                  <th class="num">window</th>
                  <th>in sample</th>
                  <th>out of sample</th>
                  <th>chosen in sample</th>
                  <th class="num">in-sample {props.objective}</th>
                  <th class="num">OOS sharpe</th>
                  <th class="num">OOS return</th>
                  <th class="num">OOS max DD</th>
                  <th class="num">OOS trades</th>
                </tr>
              </thead>
              <tbody>
                {symbol.windows.map((w) => (
                  <tr key={w.window}>
                    <td class="num">{w.window}</td>
                    <td>
                      {w.inSample.from}–{w.inSample.to} <span class="muted small">{w.inSample.fromTime}</span>
                    </td>
                    <td>
                      {w.outOfSample.from}–{w.outOfSample.to} <span class="muted small">{w.outOfSample.fromTime}</span>
                    </td>
                    <td>{w.params ? paramsText(w.params) : <span class="muted">none met the constraints (cash)</span>}</td>
                    <td class="num">{formatNumber((w.inSampleMetrics as Record<string, number | null> | null)?.[props.objective] ?? null, 3)}</td>
                    <td class="num">{formatNumber(w.outOfSampleMetrics.sharpe, 3)}</td>
                    <td class="num">{formatPercent(w.outOfSampleMetrics.totalReturn)}</td>
                    <td class="num">{formatPercent(w.outOfSampleMetrics.maxDrawdown)}</td>
                    <td class="num">{formatNumber(w.outOfSampleMetrics.trades, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LineChart name="walk-forward-equity" x={symbol.equity.bar} series={[{ label: `${symbol.symbol} out of sample`, values: symbol.equity.equity, color: '#2f6fb0' }]} height={200} yLabel="equity (start = 1)" />
        </div>
      ))}
    </div>
  );
}
