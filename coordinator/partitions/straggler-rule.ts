/**
 * When a running partition is a straggler and gets a backup copy on another node (the rule of
 * Cubed's backup tasks, after MapReduce's): once `doneFraction` of the job's dispatched partitions
 * have finished, an attempt that has run longer than `ratio` times the median run time of those
 * finished, and at least `minRuntimeMs`, is one. Pure: the dispatcher supplies the figures.
 */
export interface StragglerRule {
  /** An attempt is slow past this multiple of the median finished run time; 0 turns backups off. */
  ratio: number;
  /** Share of the job's partitions (those this coordinator dispatched) finished before any backup, in (0, 1]. */
  doneFraction: number;
  /** An attempt younger than this is never backed up (tiny partitions are not worth a second copy). */
  minRuntimeMs: number;
}

/** On by default: > 2× the median, once ¾ are done, after at least 2 s. */
export const DEFAULT_STRAGGLER_RULE: Readonly<StragglerRule> = { ratio: 2, doneFraction: 0.75, minRuntimeMs: 2000 };

/** What the rule reads of a job. */
export interface JobRunTimes {
  /** Partitions of the job dispatched by this coordinator (finished, running or queued). */
  total: number;
  /** Run times (ms) of the job's partitions that finished, in any order; `medianMs` is theirs. */
  finished: number;
  medianMs: number;
}

/** Why a ratio is not usable (a coordinator flag names it), or undefined: 0 (no backups) or above 1. */
export function stragglerRatioRefusal(ratio: number): string | undefined {
  return Number.isFinite(ratio) && (ratio === 0 || ratio > 1) ? undefined : 'must be 0 (no backups) or a number above 1';
}

/** Why a done fraction is not usable, or undefined: above 0, at most 1. */
export function doneFractionRefusal(fraction: number): string | undefined {
  return Number.isFinite(fraction) && fraction > 0 && fraction <= 1 ? undefined : 'must be above 0 and at most 1';
}

/** Whether an attempt that has run `elapsedMs` so far deserves a backup copy. */
export function isStraggler(rule: StragglerRule, job: JobRunTimes, elapsedMs: number): boolean {
  if (rule.ratio === 0 || job.finished === 0 || job.total === 0) return false;
  if (job.finished < rule.doneFraction * job.total) return false;
  if (elapsedMs < rule.minRuntimeMs) return false;
  return elapsedMs > rule.ratio * job.medianMs;
}
