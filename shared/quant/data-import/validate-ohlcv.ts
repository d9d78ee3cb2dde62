import type { OhlcvColumns } from '../resample.js';
import type { Timeframe } from '../timeframes.js';
import { barSpacingProblem } from './bar-spacing.js';
import { DataImportError } from './import-error.js';

/**
 * Checks every bar; throws DataImportError at the first bad one, naming its row
 * (bar index + firstRow). Rules: timestamps strictly increasing (no duplicates, sorted), all
 * values finite, high ≥ max(open, close), low ≤ min(open, close), volume ≥ 0; with a timeframe,
 * also bars at least a timeframe apart and on its UTC grid (barSpacingProblem; gaps are fine).
 */
export function validateOhlcv(bars: OhlcvColumns, firstRow: number, timeframe?: Timeframe): void {
  const n = bars.time.length;
  for (let i = 0; i < n; i++) {
    const row = i + firstRow;
    const { open, high, low, close, volume } = { open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i], volume: bars.volume[i] };
    for (const [name, value] of [['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume]] as const) {
      if (!Number.isFinite(value)) throw new DataImportError(row, `${name} is not a finite number`);
    }
    if (i > 0) {
      if (bars.time[i] === bars.time[i - 1]) throw new DataImportError(row, `duplicate timestamp ${new Date(bars.time[i]).toISOString()} (also on row ${row - 1})`);
      if (bars.time[i] < bars.time[i - 1]) throw new DataImportError(row, `timestamp ${new Date(bars.time[i]).toISOString()} is before the previous row's: rows must be sorted by time`);
    }
    if (timeframe !== undefined) {
      const problem = barSpacingProblem(i > 0 ? bars.time[i - 1] : Number.NaN, bars.time[i], timeframe, row - 1);
      if (problem) throw new DataImportError(row, problem);
    }
    if (high < Math.max(open, close)) throw new DataImportError(row, `high ${high} is below max(open, close) = ${Math.max(open, close)}`);
    if (low > Math.min(open, close)) throw new DataImportError(row, `low ${low} is above min(open, close) = ${Math.min(open, close)}`);
    if (volume < 0) throw new DataImportError(row, `negative volume ${volume}`);
  }
}
