import { quoteInput } from '../quote-input.js';
import { ValidationError } from '../errors.js';
import { storedDatasetId, STORED_DATASET_PREFIX, type DatasetSpec } from '../quant/dataset.js';
import { isDatasetTag } from '../quant/dataset-tag.js';
import { isResampleableTo, isTimeframe, TIMEFRAMES, type DaysPerYear, type Timeframe } from '../quant/timeframes.js';

/** What a submission needs to know of an imported dataset. */
export interface StoredDatasetFacts {
  id: string;
  symbol: string;
  timeframe: Timeframe;
  bars: number;
}

/** The dataset lookups a submission needs (the coordinator's DatasetStore). */
export interface DatasetIndex {
  info(id: string): Promise<StoredDatasetFacts | undefined>;
  /** Bars of dataset `id` once resampled to `timeframe`, a timeframe coarser than its own. */
  resampledBars(id: string, timeframe: Timeframe): Promise<number>;
  /** The days per year `year_days: auto` resolves to for dataset `id` (shared/quant/year-days.ts: autoYearDays of its bars). */
  yearDays(id: string): Promise<DaysPerYear>;
  /** The version a dataset tag points at, or undefined. */
  resolveTag(name: string): Promise<string | undefined>;
}

/** Where a kind's raw spec keeps what a stored dataset decides. */
export interface DatasetFields {
  /** Proto name of the kind's JobSpec member, e.g. "backtest": errors name `${field}.dataset.name`. */
  field: string;
  /** Key of the symbol list, e.g. "symbols" or "assets". */
  symbols: string;
  /** Key of the timeframe: one ("timeframe") or a list ("timeframes"). */
  timeframes: string;
  single: boolean;
}

type Loose = Record<string, unknown>;

/** The value as a plain object (a raw spec's message), or undefined. */
export function asObject(value: unknown): Loose | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** The requested timeframe, checked against the dataset's: its own, or one its bars resample to. */
function checkTimeframe(value: unknown, info: StoredDatasetFacts, field: string): Timeframe {
  if (!isTimeframe(value)) throw new ValidationError(field, `unsupported ${quoteInput(String(value))} (one of ${TIMEFRAMES.join(' ')})`);
  if (!isResampleableTo(info.timeframe, value)) {
    const allowed = TIMEFRAMES.filter((timeframe) => isResampleableTo(info.timeframe, timeframe)).join(' ');
    throw new ValidationError(field, `dataset ${info.id} holds ${info.timeframe} bars, which resample to ${allowed}, not ${value}`);
  }
  return value;
}

/**
 * For a raw spec whose dataset names a stored dataset ("sha256:<id>", or a tag: replaced by the id
 * of the version it points at): checks the id exists and the
 * job asks for the one symbol the dataset holds, at its timeframe or a coarser one its bars resample
 * to (filling symbol and timeframe when left empty), and fills the dataset's bar count, which
 * validation and planning need. A single timeframe (backtest) gets the count at that timeframe (the
 * resampled count, from the stored timestamps); a list (market analysis) gets the stored count (each
 * row reports its own). Mutates the raw spec in place; throws ValidationError naming the field.
 * Other specs are left alone.
 */
export async function resolveStoredDataset(raw: unknown, fields: DatasetFields, index: DatasetIndex): Promise<void> {
  const { field, symbols, timeframes, single } = fields;
  const message = asObject(raw);
  const dataset = asObject(message?.dataset);
  // A tag names the version it points at now: the job records that version's id, the tag is gone.
  if (dataset && isDatasetTag(dataset.name)) {
    const tagged = await index.resolveTag(dataset.name);
    if (tagged === undefined) throw new ValidationError(`${field}.dataset.name`, `no dataset tag ${quoteInput(dataset.name)} (quantgrid data ls lists them)`);
    dataset.name = `${STORED_DATASET_PREFIX}${tagged}`;
  }
  if (!message || !dataset || typeof dataset.name !== 'string' || !dataset.name.startsWith(STORED_DATASET_PREFIX)) return;
  const id = storedDatasetId(dataset.name);
  if (id === undefined) throw new ValidationError(`${field}.dataset.name`, `${quoteInput(dataset.name)} is not sha256: followed by 64 lower-case hex digits`);
  const info = await index.info(id);
  if (!info) throw new ValidationError(`${field}.dataset.name`, `no dataset ${id}`);

  const symbolList = Array.isArray(message[symbols]) ? (message[symbols] as unknown[]) : [];
  if (symbolList.length === 0) message[symbols] = [info.symbol];
  else {
    symbolList.forEach((symbol, i) => {
      if (symbol !== info.symbol) throw new ValidationError(`${field}.${symbols}[${i}]`, `dataset ${id} holds ${info.symbol} only, not ${quoteInput(String(symbol))}`);
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

/** The stored dataset a validated dataset reference reads, as a list of ids (empty for synthetic data). */
export function storedDatasetIds(dataset: DatasetSpec): string[] {
  const id = storedDatasetId(dataset.name);
  return id === undefined ? [] : [id];
}
