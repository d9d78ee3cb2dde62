/** A market analysis's rows: each asset and timeframe's latest close, indicators and signals. */
import type { JSX } from 'preact';
import type { MarketAnalysisResult } from '../../shared/tasks/market-analysis/merge.js';
import type { MarketAnalysisRow } from '../../shared/tasks/market-analysis/analyse.js';
import { formatNumber, formatTime } from '../format.js';

const BULLISH = new Set(['oversold', 'bullish-cross', 'bullish', 'below-lower', 'above']);
const BEARISH = new Set(['overbought', 'bearish-cross', 'bearish', 'above-upper', 'below']);

function signalTone(signal: string): string {
  if (BULLISH.has(signal)) return 'signal-bullish';
  if (BEARISH.has(signal)) return 'signal-bearish';
  return 'signal-neutral';
}

function indicatorText(row: MarketAnalysisRow): string[] {
  const i = row.indicators;
  const n = (value: number | null | undefined): string => formatNumber(value, 4);
  const parts: string[] = [];
  if (i.rsi) parts.push(`RSI(${i.rsi.period}) ${n(i.rsi.value)}`);
  if (i.macd) parts.push(`MACD(${i.macd.fast},${i.macd.slow},${i.macd.signalPeriod}) ${n(i.macd.macd)} / ${n(i.macd.signal)} / ${n(i.macd.histogram)}`);
  if (i.bollinger) parts.push(`BB(${i.bollinger.period},${i.bollinger.stdDev}) ${n(i.bollinger.lower)} – ${n(i.bollinger.upper)}`);
  if (i.sma) parts.push(`SMA(${i.sma.period}) ${n(i.sma.value)}`);
  if (i.ema) parts.push(`EMA(${i.ema.period}) ${n(i.ema.value)}`);
  if (i.wma) parts.push(`WMA(${i.wma.period}) ${n(i.wma.value)}`);
  if (i.atr) parts.push(`ATR(${i.atr.period}) ${n(i.atr.value)}`);
  if (i.stochastic) parts.push(`Stoch(${i.stochastic.period},${i.stochastic.signalPeriod}) ${n(i.stochastic.k)} / ${n(i.stochastic.d)}`);
  if (i.obv) parts.push(`OBV ${n(i.obv.value)}`);
  if (i.vwap) parts.push(`VWAP ${n(i.vwap.value)}`);
  if (row.volumeProfile) parts.push(`POC ${n(row.volumeProfile.poc)} (value area ${n(row.volumeProfile.valueAreaLow)} – ${n(row.volumeProfile.valueAreaHigh)})`);
  return parts;
}

export function MarketAnalysisResultView(props: { result: MarketAnalysisResult }): JSX.Element {
  const rows = props.result.rows;
  if (rows.length === 0) return <p class="muted">No rows.</p>;
  return (
    <div class="result market-analysis table-scroll">
      <table class="data" data-table="market-analysis">
        <thead>
          <tr>
            <th>asset</th>
            <th>timeframe</th>
            <th class="num">bars</th>
            <th>latest bar</th>
            <th class="num">close</th>
            <th>indicators</th>
            <th>signals</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.asset}.${row.timeframe}`} data-asset={row.asset} data-timeframe={row.timeframe}>
              <td>{row.asset}</td>
              <td>{row.timeframe}</td>
              <td class="num">{formatNumber(row.bars, 0)}</td>
              <td>{formatTime(row.time)}</td>
              <td class="num">{formatNumber(row.close, 6)}</td>
              <td class="small">
                {indicatorText(row).map((text) => (
                  <div key={text}>{text}</div>
                ))}
              </td>
              <td>
                {Object.entries(row.signals)
                  .filter(([, signal]) => signal)
                  .map(([name, signal]) => (
                    <span key={name} class={`signal ${signalTone(signal!)}`} data-signal={name}>
                      {name}: {signal}
                    </span>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
