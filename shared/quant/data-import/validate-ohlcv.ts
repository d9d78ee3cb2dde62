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
    checkBar(bars.time[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i], i > 0 ? bars.time[i - 1] : Number.NaN, i + firstRow, timeframe);
  }
}

/**
 * One bar of validateOhlcv's rules, for files read a row at a time (ohlcv-csv-stream.ts): `previousTime`
 * is the bar before's open time (NaN for the first bar), `row` the file's row named in the DataImportError.
 */
export function checkBar(time: number, open: number, high: number, low: number, close: number, volume: number, previousTime: number, row: number, timeframe?: Timeframe): void {
  if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close) && Number.isFinite(volume))) {
    for (const [name, value] of [['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume]] as const) {
      if (!Number.isFinite(value)) throw new DataImportError(row, `${name} is not a finite number`);
    }
  }
  if (!Number.isNaN(previousTime)) {
    if (time === previousTime) throw new DataImportError(row, `duplicate timestamp ${new Date(time).toISOString()} (also on row ${row - 1})`);
    if (time < previousTime) throw new DataImportError(row, `timestamp ${new Date(time).toISOString()} is before the previous row's: rows must be sorted by time`);
  }
  if (timeframe !== undefined) {
    const problem = barSpacingProblem(previousTime, time, timeframe, row - 1);
    if (problem) throw new DataImportError(row, problem);
  }
  if (high < Math.max(open, close)) throw new DataImportError(row, `high ${high} is below max(open, close) = ${Math.max(open, close)}`);
  if (low > Math.min(open, close)) throw new DataImportError(row, `low ${low} is above min(open, close) = ${Math.min(open, close)}`);
  if (volume < 0) throw new DataImportError(row, `negative volume ${volume}`);
}
