import type { AddScheduleRequest } from '../shared/generated/quantgrid/v1/AddScheduleRequest.js';
import { UsageError } from './cli-error.js';
import { flagValue, parseIntegerIn } from './flag-parsers.js';
import { parseJobTemplate } from './schedule-template.js';
import {
  DEFAULT_GRACE_SECONDS,
  DEFAULT_MISSED_POLICY,
  DEFAULT_TIME_ZONE,
  isMissedPolicy,
  MAX_GRACE_SECONDS,
  MISSED_POLICIES,
  SCHEDULE_NAME_PATTERN,
  SCHEDULE_NAME_RULE,
} from '../shared/schedules/schedule-rules.js';

/**
 * The flags of `quantgrid schedule add`, checked before anything is sent. The cron pattern is only
 * checked for shape here (5 or 6 fields of cron characters); the coordinator checks its values.
 */

/** The flags' defaults, as commander takes them (text): the coordinator's (shared/schedules/schedule-rules.ts). */
export const SCHEDULE_DEFAULTS = {
  tz: DEFAULT_TIME_ZONE,
  missed: DEFAULT_MISSED_POLICY,
  graceSeconds: String(DEFAULT_GRACE_SECONDS),
} as const;

const CRON_FIELD = /^[A-Za-z0-9*?/,#LW-]+$/;

export interface ScheduleAddFlags {
  cron?: string;
  tz?: string;
  missed?: string;
  grace?: string;
}

export function parseScheduleName(text: string): string {
  if (!SCHEDULE_NAME_PATTERN.test(text)) throw new Error(`"${text}" is not ${SCHEDULE_NAME_RULE}`);
  return text;
}

export function parseCron(text: string): string {
  const fields = text.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(`"${text}" has ${fields.length} fields: give 5 (minute hour day-of-month month day-of-week, e.g. "0 2 * * *") or 6 (a second first, e.g. "*/30 * * * * *")`);
  }
  const bad = fields.find((field) => !CRON_FIELD.test(field));
  if (bad !== undefined) throw new Error(`"${bad}" is not a cron field (digits, names, * , - / ? L W #)`);
  return fields.join(' ');
}

export function parseTimeZone(text: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`unknown time zone "${text}" (an IANA name such as Europe/London, America/New_York or UTC)`);
  }
}

export function parseMissedPolicy(text: string): string {
  const policy = text.trim();
  if (!isMissedPolicy(policy)) throw new Error(`"${text}" is not one of ${MISSED_POLICIES.join(', ')}`);
  return policy;
}

/** The AddSchedule request of `schedule add NAME [flags] -- <kind> [submit flags]`. */
export function buildAddScheduleRequest(name: string, flags: ScheduleAddFlags, jobWords: readonly string[]): AddScheduleRequest {
  if (flags.cron === undefined) throw new UsageError('--cron is required (e.g. --cron "0 2 * * *": every day at 02:00)');
  return {
    name: flagValue('NAME', name, parseScheduleName),
    cron: flagValue('--cron', flags.cron, parseCron),
    tz: flagValue('--tz', flags.tz ?? SCHEDULE_DEFAULTS.tz, parseTimeZone),
    missed: flagValue('--missed', flags.missed ?? SCHEDULE_DEFAULTS.missed, parseMissedPolicy),
    graceSeconds: flagValue('--grace', flags.grace ?? SCHEDULE_DEFAULTS.graceSeconds, parseIntegerIn(1, MAX_GRACE_SECONDS)),
    template: parseJobTemplate(jobWords),
  };
}
