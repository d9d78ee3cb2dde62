import { ValidationError } from '../shared/errors.js';
import { storedDatasetId, STORED_DATASET_PREFIX } from '../shared/quant/dataset.js';
import type { StoredDatasetInfo } from './dataset-store.js';

/** The dataset lookups a submission needs. */
export interface DatasetIndex {
  info(id: string): Promise<StoredDatasetInfo | undefined>;
}

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
}

/**
 * For a spec whose dataset names a stored dataset ("sha256:<id>"): checks the id exists, fills the
 * dataset's bar count (which the task kinds' validation and planning need), and checks the job asks
 * for the one symbol and timeframe the dataset holds (filling them when left empty). Mutates the raw
 * spec in place; throws ValidationError naming the field. Other specs are left alone.
 */
export async function resolveStoredDatasets(spec: unknown, index: DatasetIndex): Promise<void> {
  const root = asObject(spec);
  if (!root) return;
  const targets: Array<{ field: string; message: Loose | undefined; symbols: string; timeframes: string; single: boolean }> = [
    { field: 'backtest', message: asObject(root.backtest), symbols: 'symbols', timeframes: 'timeframe', single: true },
    { field: 'market_analysis', message: asObject(root.marketAnalysis), symbols: 'assets', timeframes: 'timeframes', single: false },
  ];
  for (const { field, message, symbols, timeframes, single } of targets) {
    const dataset = asObject(message?.dataset);
    if (!message || !dataset || typeof dataset.name !== 'string' || !dataset.name.startsWith(STORED_DATASET_PREFIX)) continue;
    const id = storedDatasetId(dataset.name);
    if (id === undefined) throw new ValidationError(`${field}.dataset.name`, `"${dataset.name}" is not sha256: followed by 64 lower-case hex digits`);
    const info = await index.info(id);
    if (!info) throw new ValidationError(`${field}.dataset.name`, `no dataset ${id}`);
    const bars = dataset.bars;
    if (bars !== undefined && bars !== null && bars !== 0 && bars !== info.bars) {
      throw new ValidationError(`${field}.dataset.bars`, `dataset ${id} has ${info.bars} bars (leave bars 0 for all of them)`);
    }
    dataset.bars = info.bars;

    const symbolList = Array.isArray(message[symbols]) ? (message[symbols] as unknown[]) : [];
    if (symbolList.length === 0) message[symbols] = [info.symbol];
    else {
      symbolList.forEach((symbol, i) => {
        if (symbol !== info.symbol) throw new ValidationError(`${field}.${symbols}[${i}]`, `dataset ${id} holds ${info.symbol} only, not ${String(symbol)}`);
      });
    }
    if (single) {
      const timeframe = message[timeframes];
      if (timeframe === undefined || timeframe === null || timeframe === '') message[timeframes] = info.timeframe;
      else if (timeframe !== info.timeframe) throw new ValidationError(`${field}.${timeframes}`, `dataset ${id} holds ${info.timeframe} bars, not ${String(timeframe)}`);
    } else {
      const list = Array.isArray(message[timeframes]) ? (message[timeframes] as unknown[]) : [];
      if (list.length === 0) message[timeframes] = [info.timeframe];
      else {
        list.forEach((timeframe, i) => {
          if (timeframe !== info.timeframe) throw new ValidationError(`${field}.${timeframes}[${i}]`, `dataset ${id} holds ${info.timeframe} bars, not ${String(timeframe)}`);
        });
      }
    }
  }
}
