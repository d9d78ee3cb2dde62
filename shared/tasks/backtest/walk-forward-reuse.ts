import type { BacktestPartial } from './run.js';
import type { WalkForwardSpec } from './spec.js';
import type { WalkForwardPartial, WindowEntry } from './walk-forward-run.js';

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

/**
 * The previous job's windows below `firstWindow`, as one partial the merge takes with the re-run's
 * own (whose partitions skipped those windows: partition.resume.firstWindow): mergeBacktest(spec,
 * [...rerunPartials, reusedWindows(previousPartials, firstWindow)]) equals the merge of a full run.
 * `previousPartials` are the previous job's partials, any partitioning.
 */
export function reusedWindows(previousPartials: ReadonlyArray<{ walkForward?: WalkForwardPartial }>, firstWindow: number): BacktestPartial & { walkForward: WalkForwardPartial } {
  const windows: WindowEntry[] = [];
  let evaluated = 0;
  let excluded = 0;
  for (const partial of previousPartials) {
    for (const entry of partial.walkForward?.windows ?? []) {
      if (entry.window >= firstWindow) continue;
      windows.push(entry);
      evaluated += entry.evaluated;
      excluded += entry.excluded;
    }
  }
  return { first: 0, evaluated, excluded, rows: [], walkForward: { windows } };
}
