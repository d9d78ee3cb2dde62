/**
 * A backtest's result: the ranking (sortable, with CSV download), the heatmap of a two-parameter grid,
 * the equity curves of the best rows with their drawdown, walk-forward windows, per-symbol tables and the
 * aggregate over symbols.
 */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import type { BacktestAggregateRow, BacktestResult, BacktestTopRow } from '../../shared/tasks/backtest/merge.js';
import type { EquityCurve } from '../../shared/tasks/backtest/equity-curve.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Heatmap } from '../components/heatmap.js';
import { LineChart, type ChartSeries } from '../components/line-chart.js';
import { formatNumber } from '../format.js';
import { metricColumns, paramColumns, paramNames, paramsText } from './metric-columns.js';
import { WalkForwardView } from './walk-forward.js';

const PALETTE = ['#2f6fb0', '#d1495b', '#2e8b57', '#e0a030', '#7b4fb0', '#17a2b8', '#8c564b', '#e377c2', '#555555', '#bcbd22'];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

function RankingTable(props: { rows: readonly BacktestTopRow[]; name: string; showSymbol: boolean }): JSX.Element {
  const columns = useMemo<Column<BacktestTopRow>[]>(
    () => [
      { key: 'rank', label: 'rank', numeric: true, value: (row) => row.rank },
      ...(props.showSymbol ? [{ key: 'symbol', label: 'symbol', value: (row: BacktestTopRow) => row.symbol }] : []),
      ...paramColumns<BacktestTopRow>(paramNames(props.rows)),
      ...metricColumns<BacktestTopRow>(),
    ],
    [props.rows, props.showSymbol],
  );
  return <DataTable name={props.name} columns={columns} rows={props.rows} initialSort={{ key: 'rank' }} rowKey={(row) => `${row.symbol}.${row.rank}`} />;
}

function AggregateTable(props: { rows: readonly BacktestAggregateRow[]; symbols: string[]; objective: string }): JSX.Element {
  const columns: Column<BacktestAggregateRow>[] = [
    { key: 'rank', label: 'rank', numeric: true, value: (row) => row.rank },
    ...paramColumns<BacktestAggregateRow>(paramNames(props.rows)),
    { key: 'mean', label: `mean ${props.objective}`, numeric: true, value: (row) => row.mean, render: (row) => formatNumber(row.mean, 3) },
    ...props.symbols.map((symbol) => ({ key: `symbol:${symbol}`, label: symbol, numeric: true, value: (row: BacktestAggregateRow) => row.values[symbol], render: (row: BacktestAggregateRow) => formatNumber(row.values[symbol], 3) })),
  ];
  return <DataTable name="aggregate" columns={columns} rows={props.rows} initialSort={{ key: 'rank' }} />;
}

/** Curves sampled at the same times share a chart (uPlot needs one x axis); others get their own. */
function groupByTime(curves: readonly EquityCurve[], drawdowns: readonly number[][] | undefined): Array<{ time: number[]; members: Array<{ curve: EquityCurve; drawdown?: number[]; index: number }> }> {
  const groups: Array<{ time: number[]; members: Array<{ curve: EquityCurve; drawdown?: number[]; index: number }> }> = [];
  curves.forEach((curve, index) => {
    const same = groups.find((group) => group.time.length === curve.time.length && group.time.every((t, i) => t === curve.time[i]));
    const member = { curve, drawdown: drawdowns?.[index], index };
    if (same) same.members.push(member);
    else groups.push({ time: curve.time, members: [member] });
  });
  return groups;
}

export function EquityCharts(props: { curves: readonly EquityCurve[]; drawdowns?: number[][] }): JSX.Element {
  const groups = useMemo(() => groupByTime(props.curves, props.drawdowns), [props.curves, props.drawdowns]);
  return (
    <div class="equity">
      {groups.map((group) => {
        const label = (curve: EquityCurve): string => `${curve.symbol} ${paramsText(curve.params)}`;
        const equity: ChartSeries[] = group.members.map((m) => ({ label: label(m.curve), values: m.curve.equity, color: seriesColor(m.index) }));
        const drawdown: ChartSeries[] = group.members.filter((m) => m.drawdown).map((m) => ({ label: label(m.curve), values: m.drawdown!.map((d) => d * 100), color: seriesColor(m.index), fill: `${seriesColor(m.index)}22` }));
        return (
          <div key={group.time[0]} class="chart-group">
            <LineChart name="equity" x={group.time} series={equity} time height={260} yLabel="equity (start = 1)" />
            {drawdown.length ? <LineChart name="drawdown" x={group.time} series={drawdown} time height={140} yLabel="drawdown %" /> : null}
          </div>
        );
      })}
    </div>
  );
}

export function BacktestResultView(props: { result: BacktestResult; drawdowns?: number[][] }): JSX.Element {
  const result = props.result;
  const symbols = [...new Set(result.top.map((row) => row.symbol))];
  const perSymbol = result.perSymbol ? Object.entries(result.perSymbol) : [];
  const multiSymbol = perSymbol.length > 0 || symbols.length > 1;
  return (
    <div class="result backtest">
      <p class="summary">
        <strong>{result.strategy}</strong> on {result.timeframe} · {formatNumber(result.bars, 0)} bars · {formatNumber(result.evaluated, 0)} rows evaluated · ranked by <strong>{result.objective}</strong>
        {result.constraints.length ? ` · constraints ${result.constraints.map((c) => `${c.metric} ${c.op} ${c.value}`).join(', ')} (${result.excludedByConstraints} excluded)` : ''}
      </p>
      {result.top.length ? (
        <>
          <h3>Ranking</h3>
          <RankingTable rows={result.top} name="ranking" showSymbol={multiSymbol} />
        </>
      ) : null}
      {result.heatmap ? (
        <>
          <h3>
            Heatmap: {result.heatmap.objective} over {result.heatmap.x} × {result.heatmap.y} ({result.heatmap.source === 'symbol' ? result.heatmap.symbol : 'mean over symbols'})
          </h3>
          <Heatmap xLabel={result.heatmap.x} yLabel={result.heatmap.y} xValues={result.heatmap.xs} yValues={result.heatmap.ys} values={result.heatmap.values} metric={result.heatmap.objective} />
        </>
      ) : null}
      {result.equityCurves?.length ? (
        <>
          <h3>Equity curves of the best rows, with drawdown</h3>
          <EquityCharts curves={result.equityCurves} drawdowns={props.drawdowns} />
        </>
      ) : null}
      {result.walkForward ? <WalkForwardView walkForward={result.walkForward} objective={result.objective} /> : null}
      {result.aggregate ? (
        <>
          <h3>Across symbols</h3>
          {result.aggregate.status === 'computed' ? (
            <AggregateTable rows={result.aggregate.top} symbols={perSymbol.map(([symbol]) => symbol)} objective={result.objective} />
          ) : (
            <p class="muted">Not computed: {result.aggregate.reason}</p>
          )}
        </>
      ) : null}
      {perSymbol.map(([symbol, rows]) => (
        <details key={symbol} class="per-symbol" data-symbol={symbol}>
          <summary>
            {symbol}: its own top {rows.length}
          </summary>
          <RankingTable rows={rows} name={`symbol-${symbol}`} showSymbol={false} />
        </details>
      ))}
    </div>
  );
}
