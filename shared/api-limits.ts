/**
 * Bounds of the coordinator's API requests beyond job specs, used by the coordinator
 * (coordinator/api/) and by the CLI for its defaults and checks.
 */

/** ListJobs: how many jobs a listing returns when the request leaves the limit at 0 (the CLI's --limit default). */
export const LIST_JOBS_DEFAULT = 50;
/** ListJobs: the most jobs one listing returns (a larger limit is cut to this; the CLI refuses it). */
export const LIST_JOBS_MAX = 1000;

/** ListAudit: how many entries a listing returns when the request leaves the limit at 0 (the CLI's --limit default). */
export const LIST_AUDIT_DEFAULT = 100;
/** ListAudit: the most entries one listing returns (a larger limit is refused). */
export const LIST_AUDIT_MAX = 10_000;
