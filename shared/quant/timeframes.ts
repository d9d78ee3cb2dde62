/** Bar timeframes the cluster understands, their length, and how many fit in a year. */

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1M'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
/** Every timeframe but the calendar month, whose length varies (28 to 31 days). */
export type FixedLengthTimeframe = Exclude<Timeframe, '1M'>;

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** The mean Gregorian month (365.2425 / 12 days): the nominal length of a 1M bar. */
export const AVERAGE_MONTH_MS = (365.2425 / 12) * DAY_MS;

const TIMEFRAME_MS: Readonly<Record<FixedLengthTimeframe, number>> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '4h': 240 * MINUTE_MS,
  '1d': DAY_MS,
  '1w': WEEK_MS,
};

/**
 * Days per year used to annualise. Markets that trade around the clock use 365 (the default
 * everywhere for now); a 252 trading-day convention can be passed where supported.
 */
export type DaysPerYear = 365 | 252;
export const DEFAULT_DAYS_PER_YEAR: DaysPerYear = 365;

export function isTimeframe(value: unknown): value is Timeframe {
  return typeof value === 'string' && (TIMEFRAMES as readonly string[]).includes(value);
}

export function hasFixedLength(timeframe: Timeframe): timeframe is FixedLengthTimeframe {
  return timeframe !== '1M';
}

/** Length of one bar in milliseconds (1M has none: see hasFixedLength and nominalTimeframeMs). */
export function timeframeMs(timeframe: FixedLengthTimeframe): number {
  return TIMEFRAME_MS[timeframe];
}

/** Length of one bar, or of an average one for 1M: for scaling, never for placing bars on a grid. */
export function nominalTimeframeMs(timeframe: Timeframe): number {
  return hasFixedLength(timeframe) ? TIMEFRAME_MS[timeframe] : AVERAGE_MONTH_MS;
}

/**
 * Start (UTC, ms) of the calendar month `index` months after January 1970 (negative: before), on
 * the proleptic Gregorian calendar; unlike Date.UTC it works far outside Date's ±275,000 years.
 */
export function monthStartMs(index: number): number {
  let year = 1970 + Math.floor(index / 12);
  const month = index - (year - 1970) * 12; // 0 = January
  // Days from 1970-01-01 to the 1st of the month, counting years from March so leap days come last.
  if (month < 2) year -= 1;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 10) % 12) + 2) / 5);
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return (era * 146_097 + dayOfEra - 719_468) * DAY_MS;
}

/**
 * Bars per year for annualising returns: days per year / days per bar.
 * 1h → 8760 with 365 days; 1d → 365 (or 252 with daysPerYear = 252); 1w → 365/7 (with 252
 * trading days a week holds 5 of them: 252/5); 1M → 12 whatever the convention.
 */
export function periodsPerYear(timeframe: Timeframe, daysPerYear: DaysPerYear = DEFAULT_DAYS_PER_YEAR): number {
  if (timeframe === '1M') return 12;
  if (timeframe === '1w') return daysPerYear === 252 ? 252 / 5 : daysPerYear / 7;
  return (daysPerYear * DAY_MS) / TIMEFRAME_MS[timeframe];
}

/**
 * Whether bars of `from` can be resampled to `to`: the same timeframe, a whole multiple of it
 * (4h from 1h, 1d from 5m), or a calendar week or month from bars of at most a day (which divide
 * both). Weeks do not nest in months, nor months in weeks; nothing is finer.
 */
export function isResampleableTo(from: Timeframe, to: Timeframe): boolean {
  if (from === to) return true;
  if (!hasFixedLength(from) || from === '1w') return false;
  if (to === '1M' || to === '1w') return DAY_MS % TIMEFRAME_MS[from] === 0;
  const target = TIMEFRAME_MS[to];
  return target > TIMEFRAME_MS[from] && target % TIMEFRAME_MS[from] === 0;
}
