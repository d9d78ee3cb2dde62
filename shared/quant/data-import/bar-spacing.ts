import { bucketStart } from '../resample.js';
import { hasFixedLength, timeframeMs, type Timeframe } from '../timeframes.js';

/** Where bars of each timeframe open (all UTC), for messages. */
const GRID: Readonly<Record<Timeframe, string>> = {
  '1m': 'on a whole minute',
  '5m': 'on a multiple of 5 minutes',
  '15m': 'on a multiple of 15 minutes',
  '30m': 'on the hour or half hour',
  '1h': 'on the hour',
  '4h': 'at 00:00, 04:00, 08:00, 12:00, 16:00 or 20:00 UTC',
  '1d': 'at 00:00 UTC',
  '1w': 'on a Monday at 00:00 UTC',
  '1M': 'on the first day of a month at 00:00 UTC',
};

function iso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

function duration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * What is wrong with a bar opening at `time` in a file of `timeframe` bars whose previous bar opened
 * at `previous` (NaN for the first), or undefined. Bars must be at least one timeframe apart (a 1M
 * bar: in a later month) and open on the timeframe's UTC grid; gaps are fine. Expects time > previous.
 */
export function barSpacingProblem(previous: number, time: number, timeframe: Timeframe, previousRow: number): string | undefined {
  if (!Number.isNaN(previous)) {
    if (hasFixedLength(timeframe)) {
      const step = timeframeMs(timeframe);
      if (time - previous < step) {
        return `timestamp ${iso(time)} is ${duration(time - previous)} after row ${previousRow}'s; ${timeframe} bars are at least ${timeframe} apart (is the timeframe right?)`;
      }
    } else if (bucketStart(time, timeframe) === bucketStart(previous, timeframe)) {
      return `timestamp ${iso(time)} is in the same month as row ${previousRow}'s; 1M bars are one a month (is the timeframe right?)`;
    }
  }
  if (bucketStart(time, timeframe) !== time) return `timestamp ${iso(time)} is not on the ${timeframe} grid: ${timeframe} bars open ${GRID[timeframe]}`;
  return undefined;
}
