import { ValidationError } from '../errors.js';
import type { Ohlcv } from './ohlcv.js';
import { syntheticSeries } from './synthetic-ohlcv.js';
import type { Timeframe } from './timeframes.js';

/**
 * Where a job's bars come from, and the checks shared by the kinds that read bars:
 * the dataset reference and lists of symbols.
 */
export const SYNTHETIC_DATASET = 'synthetic';
export const DATASETS = [SYNTHETIC_DATASET] as const;
export type DatasetName = (typeof DATASETS)[number];

export const DEFAULT_BARS = 5000;
export const MIN_BARS = 100;
export const DEFAULT_SEED = 42;

export interface DatasetSpec {
  name: DatasetName;
  bars: number;
  seed: number;
}

export interface BarLimits {
  maxBars: number;
}

/** The raw value as an object, or {} when absent (a missing proto message decodes to null). */
export function asRecord(raw: unknown, field: string): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError(field, 'must be a message (object)');
  return raw as Record<string, unknown>;
}

/** A number field; absent means `fallback` (proto3 scalars default to 0). */
export function numberField(record: Record<string, unknown>, key: string, field: string, fallback = 0): number {
  const value = record[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number') throw new ValidationError(field, 'must be a number');
  return value;
}

export function stringField(record: Record<string, unknown>, key: string, field: string): string {
  const value = record[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  return value;
}

/** Validates a DatasetRef; `field` is its proto path, e.g. "backtest.dataset". */
export function validateDataset(raw: unknown, field: string, limits: BarLimits): DatasetSpec {
  const record = asRecord(raw, field);
  const name = stringField(record, 'name', `${field}.name`) || SYNTHETIC_DATASET;
  if (name !== SYNTHETIC_DATASET) throw new ValidationError(`${field}.name`, `unknown dataset "${name}" (known: ${DATASETS.join(', ')})`);

  const maxBars = Math.floor(limits.maxBars);
  let bars = numberField(record, 'bars', `${field}.bars`);
  if (bars === 0) bars = Math.min(DEFAULT_BARS, maxBars);
  if (!Number.isInteger(bars) || bars < MIN_BARS || bars > maxBars) {
    throw new ValidationError(`${field}.bars`, `must be an integer from ${MIN_BARS} to ${maxBars}`);
  }

  let seed = numberField(record, 'seed', `${field}.seed`);
  if (seed === 0) seed = DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ValidationError(`${field}.seed`, 'must be an integer from 0 to 4294967295');
  }
  return { name: SYNTHETIC_DATASET, bars, seed };
}

/** The bars of one symbol and timeframe (memoised per process for the synthetic dataset). */
export function loadSeries(dataset: DatasetSpec, symbol: string, timeframe: Timeframe): Ohlcv {
  return syntheticSeries({ seed: dataset.seed, symbol, timeframe, bars: dataset.bars });
}

export const SYMBOL_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
export const MAX_SYMBOLS = 10_000;

/**
 * A non-empty list of unique symbols matching SYMBOL_PATTERN, at most `most` long.
 * `field` is the list's proto path; a bad entry is named with its index, e.g. "backtest.symbols[2]".
 */
export function validateSymbols(raw: unknown, field: string, most: number): string[] {
  if (raw === undefined || raw === null) raw = [];
  if (!Array.isArray(raw)) throw new ValidationError(field, 'must be a list of strings');
  if (raw.length === 0) throw new ValidationError(field, 'at least one is required');
  const cap = Math.max(1, Math.floor(Math.min(most, MAX_SYMBOLS)));
  if (raw.length > cap) throw new ValidationError(field, `${raw.length} given, at most ${cap} allowed`);
  const seen = new Set<string>();
  const symbols: string[] = [];
  raw.forEach((value: unknown, i: number) => {
    if (typeof value !== 'string' || !SYMBOL_PATTERN.test(value)) {
      throw new ValidationError(`${field}[${i}]`, 'must be 1 to 32 characters of A-Z a-z 0-9 . _ -');
    }
    if (seen.has(value)) throw new ValidationError(`${field}[${i}]`, `duplicate "${value}"`);
    seen.add(value);
    symbols.push(value);
  });
  return symbols;
}
