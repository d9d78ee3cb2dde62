import type { OhlcvColumns } from '../resample.js';
import type { Timeframe } from '../timeframes.js';
import { barSpacingProblem, BarSpacingTally } from './bar-spacing.js';
import { DataImportError } from './import-error.js';

/** What an import checks beyond the rules every bar obeys (the import request's timeframe and allow_non_positive). */
export interface ImportRules {
  /** The bars' declared timeframe: bars at least one apart, on its UTC grid, and not much coarser than it (BarSpacingTally). */
  timeframe?: Timeframe;
  /** Accept open, high, low and close ≤ 0 (instruments that can go negative: spreads, some futures, rates); refused by default. */
  allowNonPositive?: boolean;
}

const PRICES = ['open', 'high', 'low', 'close'] as const;

/** The name of an import's flag that lets prices be ≤ 0, for messages (proto allow_non_positive, CLI --allow-non-positive). */
export const ALLOW_NON_POSITIVE_FLAG = 'allow_non_positive (--allow-non-positive)';

/**
 * Checks every bar; throws DataImportError at the first bad one, naming its row
 * (bar index + firstRow). Rules: timestamps strictly increasing (no duplicates, sorted), all
 * values finite, prices > 0 (unless rules.allowNonPositive), high ≥ max(open, close),
 * low ≤ min(open, close), volume ≥ 0; with a timeframe, also bars at least a timeframe apart and on
 * its UTC grid (barSpacingProblem; gaps are fine), and, for the file as a whole, not mostly spaced
 * like a coarser timeframe (BarSpacingTally).
 */
export function validateOhlcv(bars: OhlcvColumns, firstRow: number, rules: ImportRules = {}): void {
  const n = bars.time.length;
  const spacing = new BarSpacingTally();
  for (let i = 0; i < n; i++) {
    const previous = i > 0 ? bars.time[i - 1] : Number.NaN;
    checkBar(bars.time[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i], previous, i + firstRow, rules);
    spacing.add(bars.time[i], previous);
  }
  checkSpacing(spacing, rules);
}

/** The file-wide spacing rule of validateOhlcv: DataImportError on the timeframe field when the bars look like a coarser timeframe. */
export function checkSpacing(spacing: BarSpacingTally, rules: ImportRules): void {
  if (rules.timeframe === undefined) return;
  const problem = spacing.problem(rules.timeframe);
  if (problem) throw new DataImportError(0, problem, 'timeframe');
}

/**
 * One bar of validateOhlcv's rules, for files read a row at a time (ohlcv-csv-stream.ts): `previousTime`
 * is the bar before's open time (NaN for the first bar), `row` the file's row named in the DataImportError.
 */
export function checkBar(time: number, open: number, high: number, low: number, close: number, volume: number, previousTime: number, row: number, rules: ImportRules = {}): void {
  if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close) && Number.isFinite(volume))) {
    for (const [name, value] of [['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume]] as const) {
      if (!Number.isFinite(value)) throw new DataImportError(row, `${name} is not a finite number`);
    }
  }
  if (!rules.allowNonPositive && !(open > 0 && high > 0 && low > 0 && close > 0)) {
    const prices = [open, high, low, close];
    const column = PRICES.findIndex((_, c) => !(prices[c] > 0));
    throw new DataImportError(row, `${PRICES[column]} ${prices[column]} is not positive (for an instrument whose prices can be 0 or negative, import with ${ALLOW_NON_POSITIVE_FLAG})`);
  }
  if (!Number.isNaN(previousTime)) {
    if (time === previousTime) throw new DataImportError(row, `duplicate timestamp ${new Date(time).toISOString()} (also on row ${row - 1})`);
    if (time < previousTime) throw new DataImportError(row, `timestamp ${new Date(time).toISOString()} is before the previous row's: rows must be sorted by time`);
  }
  if (rules.timeframe !== undefined) {
    const problem = barSpacingProblem(previousTime, time, rules.timeframe, row - 1);
    if (problem) throw new DataImportError(row, problem);
  }
  if (high < Math.max(open, close)) throw new DataImportError(row, `high ${high} is below max(open, close) = ${Math.max(open, close)}`);
  if (low > Math.min(open, close)) throw new DataImportError(row, `low ${low} is above min(open, close) = ${Math.min(open, close)}`);
  if (volume < 0) throw new DataImportError(row, `negative volume ${volume}`);
}
