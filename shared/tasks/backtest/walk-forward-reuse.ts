import type { WalkForwardSpec } from './spec.js';

/**
 * Walk-forward windows a re-run can take from a previous job. Window w is determined by its bar
 * ranges (walk-forward-run.ts windowBounds: in-sample [isStart(w), oosStart(w)), out-of-sample
 * [oosStart(w), oosStart(w) + outOfSampleBars)), by the bars in them and, through the strategy's
 * warm-up, by the bars before them; never by a bar after oosStart(w) + outOfSampleBars. So on a
 * dataset whose first `previousBars` bars are the previous job's dataset, with the same strategy,
 * ranges, costs, objective, constraints and walk-forward settings, every window the previous job
 * had (w < ⌊(previousBars − inSampleBars) / outOfSampleBars⌋, all ending ≤ previousBars) is the
 * same computation with the same answer; only the windows after it are new.
 *
 * Returns the first new window (= the previous job's window count, at most the current one).
 */
export function firstNewWindow(walkForward: WalkForwardSpec, previousBars: number): number {
  if (!Number.isInteger(previousBars) || previousBars < 0) throw new RangeError(`previous bar count must be an integer ≥ 0, got ${previousBars}`);
  const previous = previousBars < walkForward.inSampleBars ? 0 : Math.floor((previousBars - walkForward.inSampleBars) / walkForward.outOfSampleBars);
  return Math.min(previous, walkForward.windows);
}
