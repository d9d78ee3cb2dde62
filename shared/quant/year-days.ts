import { DAY_MS, DEFAULT_DAYS_PER_YEAR, type DaysPerYear, type Timeframe } from './timeframes.js';

/** A day of the week is traded when it holds at least this share of the busiest day's bars. */
const TRADED_DAY_SHARE = 0.5;
/** Series spanning less than this cannot show their trading week: they get DEFAULT_DAYS_PER_YEAR. */
const MIN_SPAN_MS = 14 * DAY_MS;
/** 1970-01-01 was a Thursday: (days since the epoch + 4) mod 7 is the UTC day of the week, 0 = Sunday. */
const EPOCH_WEEKDAY = 4;

/**
 * The annualisation `year_days: auto` resolves to for a series of bars (their UTC open times,
 * ascending, at `timeframe`): 252 for a market that trades five days a week or fewer, else 365.
 *
 * "No weekend bars", robustly: the bars are counted by the UTC day of the week they open on, and a
 * day counts as traded when it holds at least half as many bars as the busiest day. So daily bars
 * Monday to Friday, an exchange's hourly session, FX or futures whose week opens on Sunday evening
 * UTC (a few bars against a weekday's 20-odd), a Sunday-to-Thursday exchange, or a rare Saturday
 * session give 252; crypto's seven days (a few missing weekend bars included) gives 365. Weekly and
 * monthly bars cannot show the week, nor can a series spanning less than two weeks: those get 365,
 * the default of synthetic data too (whose bars cover every day, so the rule would say 365 anyway).
 */
export function autoYearDays(time: ArrayLike<number>, timeframe: Timeframe): DaysPerYear {
  const n = time.length;
  if (timeframe === '1w' || timeframe === '1M' || n < 2 || time[n - 1] - time[0] < MIN_SPAN_MS) return DEFAULT_DAYS_PER_YEAR;
  const perWeekday = new Float64Array(7);
  for (let i = 0; i < n; i++) perWeekday[(((Math.floor(time[i] / DAY_MS) + EPOCH_WEEKDAY) % 7) + 7) % 7]++;
  const busiest = Math.max(...perWeekday);
  const traded = perWeekday.filter((count) => count >= TRADED_DAY_SHARE * busiest).length;
  return traded <= 5 ? 252 : 365;
}
