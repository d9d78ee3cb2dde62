import { quoteInput } from '../quote-input.js';
import { ValidationError } from '../errors.js';
import { datasetSeries, type DecodedDataset } from './dataset-codec.js';
import type { Ohlcv } from './ohlcv.js';
import { ResampledSeriesMemo } from './resampled-series.js';
import { syntheticSeries } from './synthetic-ohlcv.js';
import { isResampleableTo, type Timeframe } from './timeframes.js';

/**
 * Where a job's bars come from, and the checks shared by the kinds that read bars:
 * the dataset reference and lists of symbols.
 */
export const SYNTHETIC_DATASET = 'synthetic';
export const DATASETS = [SYNTHETIC_DATASET] as const;
/** A dataset imported into the coordinator's store, by content: "sha256:<64 hex digits>". */
export type StoredDatasetName = `sha256:${string}`;
export type DatasetName = (typeof DATASETS)[number] | StoredDatasetName;
export const STORED_DATASET_PREFIX = 'sha256:';
export const STORED_DATASET_PATTERN = /^sha256:([0-9a-f]{64})$/;

/** The id of a stored dataset named "sha256:<id>", or undefined for any other name. */
export function storedDatasetId(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  return STORED_DATASET_PATTERN.exec(name)?.[1];
}

/** Fewest bars of a synthetic series (each kind has its own default count, see shared/tasks/<kind>/). */
export const MIN_BARS = 100;
export const DEFAULT_SEED = 42;
export const MAX_SEED = 0xffffffff;

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

/** A number field; absent (an unset `optional` field, or a plain object without it) means `fallback`. */
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

/**
 * Validates a DatasetRef; `field` is its proto path, e.g. "backtest.dataset". Synthetic bars unset
 * are the kind's `defaultBars` (a given 0 is refused) (at most limits.maxBars); an unset seed is DEFAULT_SEED.
 */
export function validateDataset(raw: unknown, field: string, limits: BarLimits, defaultBars: number): DatasetSpec {
  const record = asRecord(raw, field);
  const name = stringField(record, 'name', `${field}.name`) || SYNTHETIC_DATASET;
  const maxBars = Math.floor(limits.maxBars);
  const storedId = storedDatasetId(name);
  if (storedId !== undefined) {
    // The coordinator fills bars from its dataset store on submit (and checks the id exists there).
    const bars = numberField(record, 'bars', `${field}.bars`);
    if (!Number.isInteger(bars) || bars < 1 || bars > maxBars) {
      throw new ValidationError(`${field}.bars`, `must be the stored dataset's bar count, an integer from 1 to ${maxBars}`);
    }
    return { name: `${STORED_DATASET_PREFIX}${storedId}`, bars, seed: 0 };
  }
  if (name.startsWith(STORED_DATASET_PREFIX)) throw new ValidationError(`${field}.name`, `${quoteInput(name)} is not sha256: followed by 64 lower-case hex digits`);
  if (name !== SYNTHETIC_DATASET) {
    throw new ValidationError(`${field}.name`, `unknown dataset ${quoteInput(name)} (known: ${DATASETS.join(', ')}, or sha256:<id> of an imported dataset)`);
  }

  // proto: `optional uint32 bars`: unset is the kind's default; a given 0 is refused like any count out of range.
  const unsetBars = Math.min(defaultBars, maxBars);
  const bars = numberField(record, 'bars', `${field}.bars`, unsetBars);
  if (!Number.isInteger(bars) || bars < MIN_BARS || bars > maxBars) {
    throw new ValidationError(`${field}.bars`, `must be an integer from ${MIN_BARS} to ${maxBars} (leave it unset for ${unsetBars}), got ${quoteInput(String(bars))}`);
  }

  // proto: `optional uint32 seed`, so a given 0 is 0.
  const seed = numberField(record, 'seed', `${field}.seed`, DEFAULT_SEED);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new ValidationError(`${field}.seed`, `must be an integer from 0 to ${MAX_SEED}`);
  }
  return { name: SYNTHETIC_DATASET, bars, seed };
}

/**
 * Stored datasets this process (a worker thread, or a test) has been given, by id. Task code does
 * no I/O: the node agent fetches a job's stored dataset before the partition runs and installs it
 * in the worker thread (see node-agent/partition-worker.ts).
 */
const installedDatasets = new Map<string, Ohlcv>();
/** Installed datasets resampled to the coarser timeframes jobs asked for. */
const resampledDatasets = new ResampledSeriesMemo();

/** Makes a stored dataset available to loadSeries in this process (views on its buffer, no copy). */
export function installDataset(id: string, dataset: DecodedDataset): void {
  installedDatasets.set(id, datasetSeries(dataset));
}

/** Forgets every installed stored dataset (or all but the ids in `keep`). */
export function clearInstalledDatasets(keep: ReadonlySet<string> = new Set()): void {
  for (const id of [...installedDatasets.keys()]) if (!keep.has(id)) installedDatasets.delete(id);
  resampledDatasets.forget(keep);
}

/**
 * The bars of one symbol and timeframe (memoised per process for the synthetic dataset). A stored
 * dataset holds one symbol × timeframe and must have been installed in this process; a job may ask
 * for a coarser timeframe its bars resample to (the coordinator checks that on submit), and gets
 * the resampled bars, memoised per (dataset, timeframe).
 */
export function loadSeries(dataset: DatasetSpec, symbol: string, timeframe: Timeframe): Ohlcv {
  const storedId = storedDatasetId(dataset.name);
  if (storedId !== undefined) {
    const series = installedDatasets.get(storedId);
    if (!series) throw new Error(`dataset ${storedId} is not loaded in this process`);
    if (series.symbol !== symbol || !isResampleableTo(series.timeframe, timeframe)) {
      throw new ValidationError('dataset', `dataset ${storedId} holds ${series.symbol} ${series.timeframe}, not ${symbol} ${timeframe}`);
    }
    return series.timeframe === timeframe ? series : resampledDatasets.get(storedId, series, timeframe);
  }
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
    if (seen.has(value)) throw new ValidationError(`${field}[${i}]`, `duplicate ${quoteInput(value)}`);
    seen.add(value);
    symbols.push(value);
  });
  return symbols;
}
