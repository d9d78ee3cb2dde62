import { isDatasetTag } from '../../shared/quant/dataset-tag.js';
import type { DatasetRef__Output } from '../../shared/generated/quantgrid/v1/DatasetRef.js';
import { storedDatasetId } from '../../shared/quant/dataset.js';

/** Pieces of the one-line spec descriptions in listings (cli/kinds/*). */

export function formatRange(range: { start: number; stop: number; step: number }): string {
  return range.start === range.stop ? String(range.start) : `${range.start}:${range.stop}:${range.step}`;
}

/** The data a spec reads; unset bars and seed read as the kind's defaults. */
export function describeDataset(dataset: DatasetRef__Output | null | undefined, defaults: { bars: number; seed: number }): string {
  const stored = storedDatasetId(dataset?.name);
  if (stored !== undefined) return `dataset ${stored.slice(0, 12)} (${dataset?.bars ? `${dataset.bars} bars` : 'all bars'})`;
  if (isDatasetTag(dataset?.name)) return `dataset tag ${dataset.name} (its version when the job is submitted)`;
  return `${dataset?.bars || defaults.bars} bars (seed ${dataset?.seed ?? defaults.seed})`;
}
