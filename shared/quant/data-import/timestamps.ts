import { quoteInput } from '../../quote-input.js';
import { DataImportError } from './import-error.js';

/**
 * Epoch numbers are told apart by size: seconds until about the year 5138 stay below 1e11,
 * milliseconds from 1973 on lie between 1e11 and 1e14, microseconds (Binance files from 2025 on)
 * above 1e14.
 */
export function epochToMs(value: number, row: number): number {
  if (!Number.isFinite(value) || value < 0) throw new DataImportError(row, `timestamp ${value} is not a time`);
  if (value < 1e11) return value * 1000;
  if (value < 1e14) return value;
  return inDateRange(Math.floor(value / 1000), row, String(value));
}

/**
 * The latest time a JavaScript Date holds (year 275760), in ms since the epoch. Later times have no
 * date to show in messages or to resample by: they are refused as the row's error.
 */
export const MAX_TIME_MS = 8.64e15;

/** `ms` when it is a time a Date holds, else DataImportError naming the row (`shown`: the value as the file gives it). */
export function inDateRange(ms: number, row: number, shown: string): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS) {
    throw new DataImportError(row, `timestamp ${quoteInput(shown)} is out of range (after the year 275760)`);
  }
  return ms;
}

const HAS_ZONE = /(?:Z|[+-]\d\d:?\d\d)$/i;

/** An epoch number (s, ms or µs) or an ISO 8601 date; dates without a zone are read as UTC. */
export function parseTimestamp(text: string, row: number): number {
  const trimmed = text.trim();
  if (trimmed === '') throw new DataImportError(row, 'missing timestamp');
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return epochToMs(Number(trimmed), row);
  const iso = /^\d{4}-\d\d-\d\d$/.test(trimmed) ? `${trimmed}T00:00:00Z` : HAS_ZONE.test(trimmed) ? trimmed : `${trimmed.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new DataImportError(row, `${quoteInput(trimmed)} is neither an epoch number nor an ISO 8601 date`);
  return ms;
}
