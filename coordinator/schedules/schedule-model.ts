import { quoteInput } from '../../shared/quote-input.js';
import { getNextMillis } from 'bullmq';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { JobStatusName } from '../jobs/job-model.js';
import {
  DEFAULT_GRACE_SECONDS,
  DEFAULT_MISSED_POLICY,
  DEFAULT_TIME_ZONE,
  isMissedPolicy,
  MAX_GRACE_SECONDS,
  MISSED_POLICIES,
  SCHEDULE_NAME_PATTERN,
  SCHEDULE_NAME_RULE,
  type MissedPolicy,
} from '../../shared/schedules/schedule-rules.js';

/**
 * What a schedule is, apart from where it is kept: its definition, the record of its latest run,
 * and the checks of what AddSchedule is given (each failure names the field). The rules and
 * defaults themselves are shared with the CLI: shared/schedules/schedule-rules.ts.
 */

export type { MissedPolicy } from '../../shared/schedules/schedule-rules.js';

export interface ScheduleDefinition {
  name: string;
  cron: string;
  tz: string;
  missed: MissedPolicy;
  graceSeconds: number;
  paused: boolean;
  createdAt: number;
  /** The validated request each occurrence submits (stored datasets resolved, no request id). */
  template: SubmitJobRequest__Output;
  /** The user who added it: its jobs run as this user ('' for schedules added before users existed). */
  owner: string;
}

/** The latest occurrence (or run-now) of a schedule. */
export interface ScheduleRunRecord {
  /** Empty when the occurrence was skipped (its BullMQ job is removed). */
  jobId: string;
  scheduledAt: number;
  /** The job's status as last recorded ('' when skipped). */
  status: JobStatusName | '';
  skipped: boolean;
  reason: string;
  manual: boolean;
}

export interface StoredSchedule {
  definition: ScheduleDefinition;
  lastRun: ScheduleRunRecord | undefined;
}

export function checkScheduleName(name: string): string {
  if (!SCHEDULE_NAME_PATTERN.test(name)) {
    throw new ValidationError('name', `must be ${SCHEDULE_NAME_RULE}`);
  }
  return name;
}

export function checkTimeZone(tz: string): string {
  const zone = tz.trim() || DEFAULT_TIME_ZONE;
  try {
    // Throws RangeError for a zone the runtime's time zone database does not know; gives its canonical spelling.
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError('tz', `unknown time zone ${quoteInput(tz)} (an IANA name such as Europe/London, America/New_York or UTC)`);
  }
}

/** The first occurrence of cron in tz after `after` (epoch ms); throws for a pattern BullMQ cannot use. */
export function nextOccurrence(cron: string, tz: string, after: number): number {
  let next: number | undefined;
  try {
    next = getNextMillis(after, { pattern: cron, tz });
  } catch (error) {
    throw new ValidationError('cron', `${quoteInput(cron)} is not a cron pattern: ${errorMessage(error)}`);
  }
  if (next === undefined || !Number.isFinite(next)) throw new ValidationError('cron', `${quoteInput(cron)} never fires`);
  return next;
}

/** Shortest time allowed between two occurrences of a schedule unless the coordinator says otherwise (--min-schedule-interval). */
export const DEFAULT_MIN_SCHEDULE_INTERVAL_MS = 60_000;
/** How many occurrences from now on checkCron looks at for the shortest gap between two of them. */
export const INTERVAL_CHECK_OCCURRENCES = 16;

function shownDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * The normalised cron pattern. ValidationError('cron') when it is no pattern, never fires, or fires
 * two occurrences closer than `minIntervalMs` among its next INTERVAL_CHECK_OCCURRENCES (a pattern
 * like "* * * * * *" would submit a job every second).
 */
export function checkCron(cron: string, tz: string, minIntervalMs = DEFAULT_MIN_SCHEDULE_INTERVAL_MS, now = Date.now()): string {
  const pattern = cron.trim().replace(/\s+/g, ' ');
  if (!pattern) throw new ValidationError('cron', 'is required, e.g. "0 2 * * *" (every day at 02:00)');
  const fields = pattern.split(' ').length;
  if (fields !== 5 && fields !== 6) {
    throw new ValidationError('cron', `${quoteInput(cron)} has ${fields} fields: give 5 (minute hour day month weekday) or 6 (a second first)`);
  }
  let previous = nextOccurrence(pattern, tz, now);
  for (let i = 1; i < INTERVAL_CHECK_OCCURRENCES; i++) {
    let next: number;
    try {
      next = nextOccurrence(pattern, tz, previous);
    } catch {
      break; // fires only so many times more: no gap left to check
    }
    if (next - previous < minIntervalMs) {
      throw new ValidationError(
        'cron',
        `${quoteInput(cron)} fires ${shownDuration(next - previous)} apart; occurrences must be at least ${shownDuration(minIntervalMs)} apart (the coordinator's --min-schedule-interval)`,
      );
    }
    previous = next;
  }
  return pattern;
}

export function checkMissedPolicy(text: string): MissedPolicy {
  const policy = text.trim() || DEFAULT_MISSED_POLICY;
  if (!isMissedPolicy(policy)) throw new ValidationError('missed', `must be one of ${MISSED_POLICIES.join(', ')}`);
  return policy;
}

export function checkGraceSeconds(seconds: number): number {
  if (seconds === 0) return DEFAULT_GRACE_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_GRACE_SECONDS) {
    throw new ValidationError('grace_seconds', `must be an integer from 1 to ${MAX_GRACE_SECONDS} (0: the default, ${DEFAULT_GRACE_SECONDS})`);
  }
  return seconds;
}

/** Under `skip`, an occurrence that starts more than the grace period after its time does not run. */
export function shouldSkip(definition: Pick<ScheduleDefinition, 'missed' | 'graceSeconds'>, scheduledAt: number, now: number): boolean {
  return definition.missed === 'skip' && now - scheduledAt > definition.graceSeconds * 1000;
}
