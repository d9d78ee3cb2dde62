import type { JobProgress__Output } from '../../shared/generated/quantgrid/v1/JobProgress.js';

/** Text for a missing value in tables. */
export const NONE = '-';

/** 'JOB_STATUS_WAITING_FOR_NODES' → 'waiting for nodes'. */
export function statusName(status: string): string {
  return status.replace(/^JOB_STATUS_/, '').replace(/_/g, ' ').toLowerCase() || NONE;
}

/** 'JOB_EVENT_TYPE_PARTITION_RETRIED' → 'partition retried'. */
export function eventTypeName(type: string): string {
  return type.replace(/^JOB_EVENT_TYPE_/, '').replace(/_/g, ' ').toLowerCase();
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A number with a fixed number of decimals; null, undefined, NaN and ±Infinity show as '-'. */
export function formatNumber(value: unknown, digits = 2): string {
  return isNumber(value) ? value.toFixed(digits) : NONE;
}

/** A fraction as a percentage: 0.1234 → '12.34%'. */
export function formatPercent(fraction: unknown, digits = 2): string {
  return isNumber(fraction) ? `${(fraction * 100).toFixed(digits)}%` : NONE;
}

/** An integer count, or '-'. */
export function formatCount(value: unknown): string {
  return isNumber(value) ? String(Math.round(value)) : NONE;
}

/** A price: more decimals for small values, thousands not grouped (copy-pasteable). */
export function formatPrice(value: unknown): string {
  if (!isNumber(value)) return NONE;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 1000 ? 2 : magnitude >= 1 ? 4 : 6;
  return value.toFixed(digits);
}

/** A span of time, short: '850ms', '12.3s', '4m 05s', '2h 03m', '3d 04h'. */
export function formatDuration(ms: number): string {
  if (!isNumber(ms) || ms < 0) return NONE;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const total = Math.floor(seconds);
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  if (total < 86_400) return `${Math.floor(total / 3600)}h ${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86_400)}d ${pad(Math.floor((total % 86_400) / 3600))}h`;
}

/** Estimated seconds left (negative = unknown). */
export function formatEta(seconds: number): string {
  return isNumber(seconds) && seconds >= 0 ? formatDuration(seconds * 1000) : 'unknown';
}

/** Local time 'YYYY-MM-DD HH:MM:SS', or '-' for 0 (not yet). */
export function formatTimestamp(ms: number): string {
  if (!isNumber(ms) || ms <= 0) return NONE;
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Bytes in binary units: '15.6 GiB'. */
export function formatBytes(bytes: unknown): string {
  if (!isNumber(bytes) || bytes < 0) return NONE;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** '12/40 (30%)', or '-' before the job is planned. */
export function formatProgress(progress: JobProgress__Output | null | undefined): string {
  if (!progress || progress.partitionsTotal <= 0) return NONE;
  const percent = Math.floor((progress.partitionsDone / progress.partitionsTotal) * 100);
  return `${progress.partitionsDone}/${progress.partitionsTotal} (${percent}%)`;
}

/** How long a job ran: finished − started, or now − started while it runs; '-' before it starts. */
export function jobDurationMs(job: { startedAtMs: number; finishedAtMs: number }, nowMs: number): number {
  if (!(job.startedAtMs > 0)) return NaN;
  return (job.finishedAtMs > 0 ? job.finishedAtMs : nowMs) - job.startedAtMs;
}
