import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredDatasetInfo } from '../../../coordinator/datasets/dataset-store.js';
import { allTaskKinds } from '../../../shared/tasks/registry.js';
import type { DatasetIndex } from '../../../shared/tasks/stored-datasets.js';
import { DatasetTimeFacts } from '../../../coordinator/datasets/dataset-time-facts.js';
import { resample } from '../../../shared/quant/resample.js';
import type { Timeframe } from '../../../shared/quant/timeframes.js';
import { taskKindByName } from '../../../shared/tasks/registry.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

/** What submission does with a JobSpec's member: the kind that owns it resolves its stored datasets. */
async function resolveStoredDatasets(jobSpec: Record<string, unknown>, index: DatasetIndex): Promise<void> {
  for (const kind of allTaskKinds()) if (jobSpec[kind.specMember]) await kind.resolveDatasets?.(jobSpec[kind.specMember], index);
}

const ID = 'c0'.repeat(32);
const INFO: StoredDatasetInfo = { id: ID, symbol: 'BTCUSDT', timeframe: '4h', bars: 1234, firstTimeMs: 0, lastTimeMs: 1, bytes: 100, importedAtMs: 5 };
const index = {
  info: async (id: string) => (id === ID ? INFO : undefined),
  resampledBars: async (): Promise<number> => assert.fail('a 4h job on a 4h dataset needs no resampled count'),
  yearDays: async (id: string) => (id === ID ? (252 as const) : assert.fail(`year days of ${id}`)),
  resolveTag: async (name: string) => (name === 'BTCUSDT-4h' ? ID : undefined),
};

test('a stored dataset fills bars, symbol and timeframe; a synthetic spec is left alone', async () => {
  const spec = { backtest: { symbols: [], timeframe: '', dataset: { name: `sha256:${ID}`, bars: 0, seed: 0 } }, marketAnalysis: null };
  await resolveStoredDatasets(spec, index);
  // year_days left out (auto) becomes the dataset's number, in the spec as given
  assert.deepEqual(spec.backtest, { symbols: ['BTCUSDT'], timeframe: '4h', dataset: { name: `sha256:${ID}`, bars: 1234, seed: 0 }, params: { year_days: { start: 252, stop: 252, step: 0 } } });
  const given = { backtest: { dataset: { name: `sha256:${ID}` }, params: { fast: { start: 5, stop: 5, step: 0 }, year_days: { start: 365, stop: 365, step: 0 } } } };
  await resolveStoredDatasets(given, index);
  assert.deepEqual(given.backtest.params, { fast: { start: 5, stop: 5, step: 0 }, year_days: { start: 365, stop: 365, step: 0 } });

  const analysis = { marketAnalysis: { assets: ['BTCUSDT'], timeframes: [], dataset: { name: `sha256:${ID}` } } };
  await resolveStoredDatasets(analysis, index);
  assert.deepEqual(analysis.marketAnalysis.timeframes, ['4h']);

  const synthetic = { backtest: { symbols: ['X'], timeframe: '1h', dataset: { name: 'synthetic', bars: 10, seed: 1 } } };
  const before = JSON.stringify(synthetic);
  await resolveStoredDatasets(synthetic, index);
  assert.equal(JSON.stringify(synthetic), before);
});

test('a tag is replaced by the id of the version it points at; an unknown tag is refused naming the field', async () => {
  const spec = { backtest: { symbols: [], timeframe: '', dataset: { name: 'BTCUSDT-4h', bars: 0, seed: 0 } } };
  await resolveStoredDatasets(spec, index);
  assert.deepEqual(spec.backtest.dataset, { name: `sha256:${ID}`, bars: 1234, seed: 0 });
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: 'ETHUSDT-4h' } } }, index), { message: 'backtest.dataset.name: no dataset tag "ETHUSDT-4h" (quantgrid data ls lists them)' });
  // "synthetic" is the built-in generator, never a tag.
  const synthetic = { backtest: { dataset: { name: 'synthetic' } } };
  await resolveStoredDatasets(synthetic, { ...index, resolveTag: async () => assert.fail('synthetic is not looked up as a tag') });
  assert.equal(synthetic.backtest.dataset.name, 'synthetic');
});

test('unknown ids and mismatched symbols, timeframes or bar counts are refused naming the field', async () => {
  const missing = 'd1'.repeat(32);
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: `sha256:${missing}` } } }, index), { message: `backtest.dataset.name: no dataset ${missing}` });
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: 'sha256:nope' } } }, index), /backtest\.dataset\.name: /);
  await assert.rejects(resolveStoredDatasets({ backtest: { symbols: ['BTCUSDT', 'ETHUSDT'], dataset: { name: `sha256:${ID}` } } }, index), /^ValidationError|backtest\.symbols\[1\]: dataset .* holds BTCUSDT only/);
  await assert.rejects(resolveStoredDatasets({ backtest: { timeframe: '1h', dataset: { name: `sha256:${ID}` } } }, index), /backtest\.timeframe: .*holds 4h bars/);
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: `sha256:${ID}`, bars: 99 } } }, index), /backtest\.dataset\.bars: .*1234 bars/);
  await assert.rejects(resolveStoredDatasets({ marketAnalysis: { timeframes: ['4h', '1h'], dataset: { name: `sha256:${ID}` } } }, index), /market_analysis\.timeframes\[1\]: .*holds 4h bars, which resample to 4h 1d 1w 1M, not 1h/);
});

test('each kind names the stored datasets its validated spec reads (sent to agents as dataset_ids)', () => {
  const backtest = taskKindByName('backtest')!;
  const stored = backtest.validate({ symbols: ['BTCUSDT'], timeframe: '4h', dataset: { name: `sha256:${ID}`, bars: 1234 } }, DEFAULT_SPEC_LIMITS);
  assert.deepEqual(backtest.datasets(stored), [ID]);
  assert.deepEqual(backtest.datasets(backtest.validate({ symbols: ['BTCUSDT'] }, DEFAULT_SPEC_LIMITS)), [], 'synthetic bars');
  const analysis = taskKindByName('market-analysis')!;
  assert.deepEqual(analysis.datasets(analysis.validate({ assets: ['BTCUSDT'], timeframes: ['4h'], dataset: { name: `sha256:${ID}`, bars: 1234 } }, DEFAULT_SPEC_LIMITS)), [ID]);
  const noop = taskKindByName('noop')!;
  assert.deepEqual(noop.datasets(noop.validate({ partitions: 1 }, DEFAULT_SPEC_LIMITS)), [], 'a noop reads no bars');
});

describe('jobs at a coarser timeframe than the stored dataset', () => {
  const MINUTE = 60_000;
  const MONDAY = Date.UTC(2024, 0, 1);
  // 1m bars: Monday 00:00–02:59, then Tuesday 10:00–10:29 and Monday a week later 00:00–00:04 (gaps are fine).
  const times = Float64Array.from([
    ...Array.from({ length: 180 }, (_, i) => MONDAY + i * MINUTE),
    ...Array.from({ length: 30 }, (_, i) => MONDAY + 34 * 60 * MINUTE + i * MINUTE),
    ...Array.from({ length: 5 }, (_, i) => MONDAY + 7 * 1440 * MINUTE + i * MINUTE),
  ]);
  const MID = 'e5'.repeat(32);
  const minuteInfo: StoredDatasetInfo = { id: MID, symbol: 'ETHUSDT', timeframe: '1m', bars: times.length, firstTimeMs: times[0], lastTimeMs: times[times.length - 1], bytes: 1, importedAtMs: 1 };

  function minuteIndex() {
    const loads: string[] = [];
    const counts = new DatasetTimeFacts(async (id) => {
      loads.push(id);
      return id === MID ? times : undefined;
    });
    return { loads, counts, index: { info: async (id: string) => (id === MID ? minuteInfo : undefined), resampledBars: (id: string, tf: Timeframe) => counts.resampledBars(id, tf), yearDays: (id: string) => counts.yearDays(id, '1m'), resolveTag: async () => undefined } };
  }

  it('fills a backtest with the bar count at its timeframe, counted from the stored timestamps', async () => {
    const { index } = minuteIndex();
    const expected: Array<[string, number]> = [['1m', 215], ['5m', 36 + 6 + 1], ['15m', 12 + 2 + 1], ['1h', 3 + 1 + 1], ['4h', 1 + 1 + 1], ['1d', 3], ['1w', 2], ['1M', 1]];
    for (const [timeframe, bars] of expected) {
      const spec = { backtest: { symbols: ['ETHUSDT'], timeframe, dataset: { name: `sha256:${MID}`, bars: 0 } } };
      await resolveStoredDatasets(spec, index);
      assert.equal(spec.backtest.dataset.bars, bars, timeframe);
      assert.equal(spec.backtest.timeframe, timeframe);
    }
    // The count matches what resampling gives, and a given bar count must be that one.
    for (const timeframe of ['5m', '1h', '1d', '1w', '1M'] as const) {
      const n = times.length;
      const columns = { time: times, open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
      assert.equal(await index.resampledBars(MID, timeframe), resample(columns, timeframe).time.length, timeframe);
    }
    await resolveStoredDatasets({ backtest: { timeframe: '1h', dataset: { name: `sha256:${MID}`, bars: 5 } } }, index);
    await assert.rejects(
      resolveStoredDatasets({ backtest: { timeframe: '1h', dataset: { name: `sha256:${MID}`, bars: 215 } } }, index),
      { message: `backtest.dataset.bars: dataset ${MID} has 5 bars at 1h (leave bars 0 for all of them)` },
    );
  });

  it('gives a market analysis the stored count, whatever its timeframes', async () => {
    const { index, loads } = minuteIndex();
    const spec = { marketAnalysis: { assets: [], timeframes: ['5m', '1h', '1d', '1M'], dataset: { name: `sha256:${MID}` } } };
    await resolveStoredDatasets(spec, index);
    assert.deepEqual(spec.marketAnalysis, { assets: ['ETHUSDT'], timeframes: ['5m', '1h', '1d', '1M'], dataset: { name: `sha256:${MID}`, bars: 215 } });
    assert.deepEqual(loads, [], 'no resampled count needed');
  });

  it('refuses a finer or non-dividing timeframe naming the field', async () => {
    const { index } = minuteIndex();
    const hourly = { ...minuteInfo, id: ID, timeframe: '1h' as const };
    const hourIndex = { ...index, info: async () => hourly };
    await assert.rejects(resolveStoredDatasets({ backtest: { timeframe: '15m', dataset: { name: `sha256:${ID}` } } }, hourIndex), {
      message: `backtest.timeframe: dataset ${ID} holds 1h bars, which resample to 1h 4h 1d 1w 1M, not 15m`,
    });
    await assert.rejects(resolveStoredDatasets({ marketAnalysis: { timeframes: ['1h', '4h', '1m'], dataset: { name: `sha256:${ID}` } } }, hourIndex), /^ValidationError|market_analysis\.timeframes\[2\]: .*not 1m/);
    await assert.rejects(resolveStoredDatasets({ backtest: { timeframe: '2h', dataset: { name: `sha256:${MID}` } } }, index), /backtest\.timeframe: unsupported "2h" \(one of 1m 5m 15m 30m 1h 4h 1d 1w 1M\)/);
    const weekly = { ...minuteInfo, timeframe: '1w' as const };
    await assert.rejects(resolveStoredDatasets({ backtest: { timeframe: '1M', dataset: { name: `sha256:${MID}` } } }, { ...index, info: async () => weekly }), /holds 1w bars, which resample to 1w, not 1M/);
  });

  it('caches counts per (id, timeframe), least recently used dropped, one load for concurrent requests', async () => {
    const loads: string[] = [];
    const counts = new DatasetTimeFacts(async (id) => {
      loads.push(id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return id === MID ? times : undefined;
    }, 2);
    assert.deepEqual(await Promise.all([counts.resampledBars(MID, '1h'), counts.resampledBars(MID, '1h'), counts.resampledBars(MID, '1h')]), [5, 5, 5]);
    assert.equal(loads.length, 1);
    await counts.resampledBars(MID, '1d');
    await counts.resampledBars(MID, '1h'); // hit: 1h becomes the most recent
    await counts.resampledBars(MID, '1w'); // evicts 1d
    assert.equal(counts.size, 2);
    assert.equal(loads.length, 3);
    await counts.resampledBars(MID, '1h');
    assert.equal(loads.length, 3);
    await counts.resampledBars(MID, '1d');
    assert.equal(loads.length, 4);
    await assert.rejects(counts.resampledBars(ID, '1h'), /no dataset/);
  });

  it('keeps the year days of a dataset beside its counts, from its own bars: a backtest that leaves year_days out gets them', async () => {
    const D = 1440 * MINUTE;
    const weekdays = Float64Array.from({ length: 40 }, (_, i) => MONDAY + Math.floor(i / 5) * 7 * D + (i % 5) * D); // 8 weeks, Monday to Friday
    const loads: string[] = [];
    const facts = new DatasetTimeFacts(async (id) => {
      loads.push(id);
      return id === MID ? weekdays : id === ID ? times : undefined;
    });
    assert.deepEqual(await Promise.all([facts.yearDays(MID, '1d'), facts.yearDays(MID, '1d')]), [252, 252]);
    assert.equal(await facts.yearDays(MID, '1d'), 252);
    assert.equal(loads.length, 1, 'one load, then cached');
    assert.equal(await facts.resampledBars(MID, '1w'), 8, 'a count of the same dataset is its own entry');
    assert.equal(loads.length, 2);
    assert.equal(await facts.yearDays(ID, '1m'), 365, 'the minute bars above span 8 days: too short to tell');
    await assert.rejects(facts.yearDays('ab'.repeat(32), '1d'), /no dataset/);

    const daily = { ...minuteInfo, id: MID, timeframe: '1d' as const, bars: weekdays.length };
    const index = { info: async () => daily, resampledBars: (id: string, tf: Timeframe) => facts.resampledBars(id, tf), yearDays: (id: string) => facts.yearDays(id, '1d'), resolveTag: async () => undefined };
    const spec = { backtest: { symbols: [], dataset: { name: `sha256:${MID}` } } };
    await resolveStoredDatasets(spec, index);
    const validated = taskKindByName('backtest')!.validate(spec.backtest, DEFAULT_SPEC_LIMITS) as { yearDays: number };
    assert.equal(validated.yearDays, 252);
    const synthetic = taskKindByName('backtest')!.validate({ symbols: ['X'], dataset: { name: 'synthetic', bars: 500 } }, DEFAULT_SPEC_LIMITS) as { yearDays: number };
    assert.equal(synthetic.yearDays, 365, 'synthetic data: 365');
  });
});
