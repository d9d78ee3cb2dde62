import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress } from '../../shared/generated/quantgrid/v1/JobProgress.js';
import { toJobProgress } from './job-model.js';

/**
 * How a job event is stored in its Redis stream entry (job-event-log.ts), and read back exactly.
 *
 * Every event a running job publishes carries its whole progress (toJobProgress: fifteen fields),
 * most of them at their defaults for most jobs (no retries, no backups, no incremental work). Two
 * events per partition, so the defaults were about a third of every entry's bytes: JSON written,
 * sent to Redis, kept for days, read back and parsed by every watcher. An event whose progress has
 * every field of a full JobProgress is stored under the entry field COMPACT_FIELD with the
 * progress fields at their defaults left out; reading puts them back, in the same order. Any other
 * event is stored whole under WHOLE_FIELD, as before. Reading takes both (a stream written by an
 * older coordinator holds only whole entries; an older coordinator reading a compact entry gets the
 * progress without its default fields, which the gRPC wire form cannot tell apart).
 */
export const WHOLE_FIELD = 'e';
export const COMPACT_FIELD = 'c';

/** A full JobProgress at its defaults, in toJobProgress's field order. */
const DEFAULTS: Readonly<Record<string, unknown>> = toJobProgress(undefined) as Record<string, unknown>;
const DEFAULT_KEYS = Object.keys(DEFAULTS);

function isDefault(value: unknown, byDefault: unknown): boolean {
  if (Array.isArray(byDefault)) return Array.isArray(value) && value.length === 0 && byDefault.length === 0;
  return Object.is(value, byDefault) || (value === 0 && byDefault === 0);
}

/**
 * Whether the progress has exactly the fields of a full JobProgress, in order (what toJobProgress
 * makes), none undefined (JSON leaves such a field out, and reading would then put back its default).
 */
function isFull(progress: Record<string, unknown>): boolean {
  let i = 0;
  for (const key in progress) {
    if (key !== DEFAULT_KEYS[i++] || progress[key] === undefined) return false;
  }
  return i === DEFAULT_KEYS.length;
}

/** The entry field and value an event is stored as. */
export function encodeJobEvent(event: JobEvent): [field: string, json: string] {
  const progress = event.progress as Record<string, unknown> | null | undefined;
  if (!progress || !isFull(progress)) return [WHOLE_FIELD, JSON.stringify(event)];
  const compact: Record<string, unknown> = {};
  for (const key of DEFAULT_KEYS) {
    const value = progress[key];
    if (!isDefault(value, DEFAULTS[key])) compact[key] = value;
  }
  return [COMPACT_FIELD, JSON.stringify({ ...event, progress: compact })];
}

/** The event an entry holds, as it was published (through JSON). */
export function decodeJobEvent(field: string, json: string): JobEvent {
  const event = JSON.parse(json) as JobEvent;
  if (field !== COMPACT_FIELD || !event.progress) return event;
  const progress: Record<string, unknown> = {};
  const stored = event.progress as Record<string, unknown>;
  for (const key of DEFAULT_KEYS) {
    const value = key in stored ? stored[key] : DEFAULTS[key];
    // A fresh array each time: readers may keep or change what they read.
    progress[key] = Array.isArray(value) && !(key in stored) ? [] : value;
  }
  event.progress = progress as JobProgress;
  return event;
}
