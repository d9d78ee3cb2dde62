import { bucketStart } from '../resample.js';
import { hasFixedLength, timeframeMs, TIMEFRAMES, type Timeframe } from '../timeframes.js';

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

/** Most distinct spacings BarSpacingTally counts (more are counted as gaps, not by value): bounds its memory. */
const MAX_DISTINCT_SPACINGS = 4096;
/** The most common spacing must be at least this share of all gaps for the file to "look like" a timeframe. */
const MODAL_SHARE = 0.5;
const MONTH_SPACINGS = [28, 29, 30, 31].map((days) => days * 86_400_000);

/**
 * The spacing of a file's consecutive bars, tallied as they come (a bar at a time, so a streamed file
 * needs no array of them), to catch a declared timeframe much finer than the data: 1h bars declared
 * as 5m have every gap 12 timeframes long, which the per-bar rules (barSpacingProblem) accept since
 * gaps are fine. The statistic is the most common spacing, which weekends, halts and missing bars do
 * not move; it decides only when at least half the gaps have it, so irregular (sparse) series pass.
 */
export class BarSpacingTally {
  private readonly counts = new Map<number, number>();
  private gaps = 0;
  private firstTime = Number.NaN;

  /** The next bar's open time (ascending, already checked by barSpacingProblem). */
  add(time: number, previous: number): void {
    if (Number.isNaN(previous)) {
      this.firstTime = time;
      return;
    }
    this.gaps++;
    const spacing = time - previous;
    const count = this.counts.get(spacing);
    if (count !== undefined) this.counts.set(spacing, count + 1);
    else if (this.counts.size < MAX_DISTINCT_SPACINGS) this.counts.set(spacing, 1);
  }

  /** The most common spacing (the shortest of equally common ones) when at least half the gaps have it, else undefined. */
  modalSpacing(): number | undefined {
    let best: number | undefined;
    let bestCount = 0;
    for (const [spacing, count] of this.counts) {
      if (count > bestCount || (count === bestCount && best !== undefined && spacing < best)) [best, bestCount] = [spacing, count];
    }
    return best !== undefined && bestCount >= MODAL_SHARE * this.gaps ? best : undefined;
  }

  /**
   * The coarser timeframe the bars look like when `declared` is much finer than them, or undefined:
   * the coarsest timeframe longer than `declared` that divides the most common spacing and whose grid
   * the first bar is on (1M: a spacing of 28 to 31 days, the first bar on a month's first day).
   */
  lookalike(declared: Timeframe): Timeframe | undefined {
    if (!hasFixedLength(declared)) return undefined;
    const spacing = this.modalSpacing();
    if (spacing === undefined || spacing < 2 * timeframeMs(declared)) return undefined;
    if (MONTH_SPACINGS.includes(spacing) && bucketStart(this.firstTime, '1M') === this.firstTime) return '1M';
    for (const candidate of [...TIMEFRAMES].reverse()) {
      if (!hasFixedLength(candidate) || timeframeMs(candidate) <= timeframeMs(declared)) continue;
      if (spacing % timeframeMs(candidate) === 0 && bucketStart(this.firstTime, candidate) === this.firstTime) return candidate;
    }
    return undefined;
  }

  /** Why the bars are not `declared` bars (a hint naming the timeframe they look like), or undefined. */
  problem(declared: Timeframe): string | undefined {
    const lookalike = this.lookalike(declared);
    if (lookalike === undefined) return undefined;
    return `bars are ${duration(this.modalSpacing() as number)} apart, not ${declared}: use --timeframe ${lookalike}`;
  }
}
