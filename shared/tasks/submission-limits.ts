/**
 * Limits on a job submission beyond its kind's spec, checked by the coordinator
 * (coordinator/jobs/job-submission.ts) and used by the CLI and the agent for their own checks.
 */

/**
 * A capability, as an agent advertises it and a job requires it: lower-case, so what one side
 * writes the other can match.
 */
export const CAPABILITY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CAPABILITY_RULE = 'lower-case letters, digits, ".", "_" or "-", starting with a letter or digit; at most 64';

/** 24 days: timers cannot wait longer, and no sensible job deadline is that far. */
export const MAX_DEADLINE_SECONDS = 24 * 24 * 3600;
export const MAX_REQUEST_ID_LENGTH = 200;
export const MAX_JOB_NAME_LENGTH = 200;
