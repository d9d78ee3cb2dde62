/** Bar timeframes the cluster understands, their length, and how many fit in a year. */

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '4h': 240 * MINUTE_MS,
  '1d': DAY_MS,
};

/**
 * Days per year used to annualise. Markets that trade around the clock use 365 (the default
 * everywhere for now); a 252 trading-day convention can be passed where supported.
 */
export type DaysPerYear = 365 | 252;
export const DEFAULT_DAYS_PER_YEAR: DaysPerYear = 365;

export function isTimeframe(value: unknown): value is Timeframe {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TIMEFRAME_MS, value);
}

/** Length of one bar in milliseconds. */
export function timeframeMs(timeframe: Timeframe): number {
  return TIMEFRAME_MS[timeframe];
}

/**
 * Bars per year for annualising returns: (days per year × 1 day) / bar length.
 * 1h → 8760 with 365 days; 1d → 365 (or 252 with daysPerYear = 252).
 */
export function periodsPerYear(timeframe: Timeframe, daysPerYear: DaysPerYear = DEFAULT_DAYS_PER_YEAR): number {
  return (daysPerYear * DAY_MS) / TIMEFRAME_MS[timeframe];
}
