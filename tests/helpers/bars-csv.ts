import { syntheticSeries } from '../../shared/quant/synthetic-ohlcv.js';
import type { Timeframe } from '../../shared/quant/timeframes.js';

/** A headed CSV of synthetic bars, as `quantgrid data import` reads it (epoch ms; numbers printed so they parse back exactly). */
export function csvOf(bars: number, timeframe: Timeframe = '1h', symbol = 'BTCUSDT'): string {
  const s = syntheticSeries({ seed: 7, symbol, timeframe, bars });
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < bars; i++) lines.push(`${s.time[i]},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]}`);
  return `${lines.join('\n')}\n`;
}
