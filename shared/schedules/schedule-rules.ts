/**
 * What a schedule may be, as both sides check it: the coordinator (coordinator/schedules/
 * schedule-model.ts) on AddSchedule, applying the defaults to fields left empty, and the CLI
 * (cli/schedule-flags.ts) for its flags, their defaults and its help.
 */

/** What happens to an occurrence the cluster was down for. */
export const MISSED_POLICIES = ['run-once', 'skip'] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];
export const DEFAULT_MISSED_POLICY: MissedPolicy = 'run-once';

/** The time zone a cron pattern is read in when none is given. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** Under `skip`, an occurrence that starts later than this after its time was missed. */
export const DEFAULT_GRACE_SECONDS = 60;
/** A week: the longest grace period. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** Also the BullMQ job scheduler id, so no ":" (BullMQ builds job ids as repeat:<id>:<ms>). */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SCHEDULE_NAME_RULE = '1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit';

export function isMissedPolicy(text: string): text is MissedPolicy {
  return (MISSED_POLICIES as readonly string[]).includes(text);
}
