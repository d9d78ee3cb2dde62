import type { Schedule__Output } from '../../shared/generated/quantgrid/v1/Schedule.js';
import type { ScheduleRun__Output } from '../../shared/generated/quantgrid/v1/ScheduleRun.js';
import { describeSpec, kindOfSpec } from './job-tables.js';
import { formatDuration, NONE, statusName } from './format.js';
import { renderKeyValueTable, renderTable } from './table.js';

/** A time as the wall clock of a time zone shows it: '2026-01-31 02:00:00'. */
export function formatInZone(ms: number, tz: string): string {
  if (!Number.isFinite(ms) || ms <= 0) return NONE;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz || 'UTC',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
  } catch {
    return new Date(ms).toISOString();
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/** 'in 3h 2m' / '5m ago'. */
export function formatRelative(ms: number, nowMs: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  return ms >= nowMs ? `in ${formatDuration(ms - nowMs)}` : `${formatDuration(nowMs - ms)} ago`;
}

/** What became of a schedule's latest run: 'completed', 'running', 'skipped', …; run-now marked. */
export function runOutcome(run: ScheduleRun__Output | null | undefined): string {
  if (!run) return NONE;
  const outcome = run.skipped ? 'skipped' : run.status === 'JOB_STATUS_UNSPECIFIED' ? 'unknown' : statusName(run.status);
  return run.manual ? `${outcome} (run-now)` : outcome;
}

/** The `quantgrid schedule ls` table. */
export function renderSchedulesTable(schedules: readonly Schedule__Output[], nowMs: number): string {
  if (schedules.length === 0) return 'no schedules (add one: quantgrid schedule add NAME --cron "0 2 * * *" -- backtest --symbols BTCUSDT)';
  return renderTable(
    ['name', 'cron', 'tz', 'next run', 'last run', 'outcome', 'job', 'missed', 'state'],
    schedules.map((s) => [
      s.name,
      s.cron,
      s.tz,
      s.paused ? NONE : `${formatInZone(s.nextRunMs, s.tz)} (${formatRelative(s.nextRunMs, nowMs)})`,
      s.lastRun ? formatInZone(s.lastRun.scheduledAtMs, s.tz) : NONE,
      runOutcome(s.lastRun),
      s.lastRun?.jobId || NONE,
      s.missed,
      s.paused ? 'paused' : 'active',
    ]),
  );
}

/** One schedule in full (after add, pause, resume). */
export function renderScheduleDetails(s: Schedule__Output, nowMs: number): string {
  const rows: Array<[string, string]> = [
    ['name', s.name],
    ['cron', `${s.cron} (${s.tz})`],
    ['missed runs', s.missed === 'skip' ? `skip (when more than ${s.graceSeconds} s late)` : 'run-once (one catch-up run)'],
    ['state', s.paused ? 'paused' : 'active'],
    ['next run', s.paused ? NONE : `${formatInZone(s.nextRunMs, s.tz)} ${s.tz} (${formatRelative(s.nextRunMs, nowMs)})`],
    ['job', `${kindOfSpec(s.template?.spec)}: ${describeSpec(s.template?.spec)}`],
  ];
  if (s.template?.name) rows.push(['job name', s.template.name]);
  if (s.lastRun) {
    rows.push(['last run', `${formatInZone(s.lastRun.scheduledAtMs, s.tz)}: ${runOutcome(s.lastRun)}${s.lastRun.jobId ? `, job ${s.lastRun.jobId}` : ''}`]);
    if (s.lastRun.reason) rows.push(['reason', s.lastRun.reason]);
  }
  return renderKeyValueTable(rows);
}
