import { ValidationError } from '../../shared/errors.js';
import { storedDatasetId, STORED_DATASET_PREFIX } from '../../shared/quant/dataset.js';
import { isResampleableTo, isTimeframe, TIMEFRAMES, type Timeframe } from '../../shared/quant/timeframes.js';
import type { StoredDatasetInfo } from './dataset-store.js';

/** The dataset lookups a submission needs. */
export interface DatasetIndex {
  info(id: string): Promise<StoredDatasetInfo | undefined>;
  /** Bars of dataset `id` once resampled to `timeframe`, a timeframe coarser than its own. */
  resampledBars(id: string, timeframe: Timeframe): Promise<number>;
}

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** The requested timeframe, checked against the dataset's: its own, or one its bars resample to. */
function checkTimeframe(value: unknown, info: StoredDatasetInfo, field: string): Timeframe {
  if (!isTimeframe(value)) throw new ValidationError(field, `unsupported "${String(value)}" (one of ${TIMEFRAMES.join(' ')})`);
  if (!isResampleableTo(info.timeframe, value)) {
    const allowed = TIMEFRAMES.filter((timeframe) => isResampleableTo(info.timeframe, timeframe)).join(' ');
    throw new ValidationError(field, `dataset ${info.id} holds ${info.timeframe} bars, which resample to ${allowed}, not ${value}`);
  }
  return value;
}

/**
 * For a spec whose dataset names a stored dataset ("sha256:<id>"): checks the id exists and the job
 * asks for the one symbol the dataset holds, at its timeframe or a coarser one its bars resample to
 * (filling symbol and timeframe when left empty), and fills the dataset's bar count, which the task
 * kinds' validation and planning need. A backtest gets the count at its timeframe (the resampled
 * count, from the stored timestamps); a market analysis, which may ask for several timeframes, gets
 * the stored count (each row reports its own). Mutates the raw spec in place; throws ValidationError
 * naming the field. Other specs are left alone.
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

    const symbolList = Array.isArray(message[symbols]) ? (message[symbols] as unknown[]) : [];
    if (symbolList.length === 0) message[symbols] = [info.symbol];
    else {
      symbolList.forEach((symbol, i) => {
        if (symbol !== info.symbol) throw new ValidationError(`${field}.${symbols}[${i}]`, `dataset ${id} holds ${info.symbol} only, not ${String(symbol)}`);
      });
    }

    let bars = info.bars;
    let barsAt = info.timeframe;
    if (single) {
      const requested = isEmpty(message[timeframes]) ? info.timeframe : checkTimeframe(message[timeframes], info, `${field}.${timeframes}`);
      message[timeframes] = requested;
      if (requested !== info.timeframe) {
        bars = await index.resampledBars(id, requested);
        barsAt = requested;
      }
    } else {
      const list = Array.isArray(message[timeframes]) ? (message[timeframes] as unknown[]) : [];
      if (list.length === 0) message[timeframes] = [info.timeframe];
      else list.forEach((timeframe, i) => checkTimeframe(timeframe, info, `${field}.${timeframes}[${i}]`));
    }

    const given = dataset.bars;
    if (given !== undefined && given !== null && given !== 0 && given !== bars) {
      throw new ValidationError(`${field}.dataset.bars`, `dataset ${id} has ${bars} bars at ${barsAt} (leave bars 0 for all of them)`);
    }
    dataset.bars = bars;
  }
}
