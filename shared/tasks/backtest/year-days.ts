import { storedDatasetId } from '../../quant/dataset.js';
import { SETTING_PARAMS } from '../../quant/strategies/index.js';
import { asObject, type DatasetIndex } from '../stored-datasets.js';

const YEAR_DAYS = SETTING_PARAMS[0].name;

/**
 * `year_days: auto` (the param left out) for a backtest on a stored dataset, at submit, after
 * resolveStoredDataset: fills the param with the days per year the dataset's bars give
 * (DatasetIndex.yearDays: 252 without weekend trading, else 365), so the stored spec holds the number
 * and agents and merges never look at the data for it. A given year_days is kept; synthetic data is
 * left to the spec's default (365: its bars cover every day). Mutates the raw spec in place.
 */
export async function resolveYearDays(raw: unknown, index: DatasetIndex): Promise<void> {
  const message = asObject(raw);
  const name = asObject(message?.dataset)?.name;
  const id = typeof name === 'string' ? storedDatasetId(name) : undefined;
  if (!message || id === undefined) return;
  const params = asObject(message.params) ?? {};
  if (params[YEAR_DAYS] !== undefined && params[YEAR_DAYS] !== null) return;
  const days = await index.yearDays(id);
  message.params = { ...params, [YEAR_DAYS]: { start: days, stop: days, step: 0 } };
}
