/** Exit codes of the quantgrid CLI. */
export const EXIT = {
  /** The command did what was asked (a watched job COMPLETED). */
  OK: 0,
  /** Server-side failure: the coordinator refused or is unreachable, or the watched job FAILED or was CANCELLED. */
  FAILURE: 1,
  /** Bad flags or arguments; nothing was sent. */
  USAGE: 2,
  /** Ctrl-C while watching (the job keeps running on the cluster). */
  INTERRUPTED: 130,
} as const;
