import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { datasetHeaderBytes, datasetId, datasetSeries, decodeDataset, DatasetCodecError, encodeDataset, readDatasetHeader, readDatasetTimes } from '../../../shared/quant/dataset-codec.js';
import { clearInstalledDatasets, installDataset, loadSeries, validateDataset } from '../../../shared/quant/dataset.js';
import { ResampledSeriesMemo } from '../../../shared/quant/resampled-series.js';
import { resample } from '../../../shared/quant/resample.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { TIMEFRAMES } from '../../../shared/quant/timeframes.js';

const columns = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const x = new Float64Array(a.length);
  const y = new Float64Array(b.length);
  x.set(Array.from(a));
  y.set(Array.from(b));
  return Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
}

test('encode → decode round-trips every bit (NaN, -0, infinities included), shared or not', () => {
  const double = fc.double();
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9._-]{1,32}$/),
      fc.constantFrom(...TIMEFRAMES),
      fc.integer({ min: 0, max: 40 }).chain((n) => fc.array(fc.array(double, { minLength: n, maxLength: n }), { minLength: 6, maxLength: 6 })),
      fc.boolean(),
      (symbol, timeframe, cols, shared) => {
        const input = { symbol, timeframe, time: cols[0], open: cols[1], high: cols[2], low: cols[3], close: cols[4], volume: cols[5] };
        const bytes = encodeDataset(input);
        assert.equal(bytes.byteLength % 8, 0);
        const decoded = decodeDataset(bytes, { shared });
        assert.equal(decoded.buffer instanceof SharedArrayBuffer, shared);
        assert.equal(decoded.symbol, symbol);
        assert.equal(decoded.timeframe, timeframe);
        assert.equal(decoded.bars, cols[0].length);
        const series = datasetSeries(decoded);
        for (const column of columns) assert.ok(sameBits(series[column], input[column]), column);
        // Re-encoding gives the same bytes, hence the same id.
        assert.equal(datasetId(encodeDataset({ ...series })), datasetId(bytes));
      },
    ),
    { numRuns: 200 },
  );
});

test('the id is the SHA-256 of the bytes and depends on content, symbol and timeframe', () => {
  const base = { symbol: 'BTCUSDT', timeframe: '1h' as const, time: [0, 3_600_000], open: [1, 2], high: [2, 3], low: [0.5, 1], close: [1.5, 2.5], volume: [10, 20] };
  const id = datasetId(encodeDataset(base));
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(datasetId(encodeDataset({ ...base })), id);
  assert.notEqual(datasetId(encodeDataset({ ...base, symbol: 'ETHUSDT' })), id);
  assert.notEqual(datasetId(encodeDataset({ ...base, timeframe: '4h' })), id);
  assert.notEqual(datasetId(encodeDataset({ ...base, close: [1.5, 2.4] })), id);
});

test('decode refuses truncated, padded or foreign bytes', () => {
  const bytes = encodeDataset({ symbol: 'X', timeframe: '1d', time: [1], open: [1], high: [1], low: [1], close: [1], volume: [1] });
  assert.throws(() => decodeDataset(bytes.subarray(0, bytes.length - 1)), DatasetCodecError);
  assert.throws(() => decodeDataset(new Uint8Array([...bytes, 0])), DatasetCodecError);
  const foreign = Uint8Array.from(bytes);
  foreign[0] = 0x58;
  assert.throws(() => decodeDataset(foreign), /bad magic/);
  assert.equal(readDatasetHeader(bytes).bars, 1);
  assert.throws(() => encodeDataset({ symbol: 'X', timeframe: '1d', time: [1, 2], open: [1], high: [1], low: [1], close: [1], volume: [1] }), /column open/);
});

test('validateDataset accepts sha256:<id> with the bar count the coordinator fills; loadSeries reads installed datasets', () => {
  const id = 'ab'.repeat(32);
  const limits = { maxBars: 1000 };
  assert.deepEqual(validateDataset({ name: `sha256:${id}`, bars: 3 }, 'backtest.dataset', limits, 5000), { name: `sha256:${id}`, bars: 3, seed: 0 });
  assert.throws(() => validateDataset({ name: `sha256:${id}` }, 'backtest.dataset', limits, 5000), /backtest\.dataset\.bars/);
  assert.throws(() => validateDataset({ name: 'sha256:XYZ' }, 'backtest.dataset', limits, 5000), /backtest\.dataset\.name: .*64 lower-case hex/);
  assert.throws(() => validateDataset({ name: 'csv' }, 'backtest.dataset', limits, 5000), /unknown dataset "csv"/);
  // synthetic unchanged
  assert.deepEqual(validateDataset({}, 'backtest.dataset', limits, 5000), { name: 'synthetic', bars: 1000, seed: 42 });

  const spec = { name: `sha256:${id}` as const, bars: 3, seed: 0 };
  assert.throws(() => loadSeries(spec, 'BTCUSDT', '1h'), /not loaded/);
  const bytes = encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', time: [0, 1, 2], open: [1, 2, 3], high: [1, 2, 3], low: [1, 2, 3], close: [1, 2, 3], volume: [0, 0, 0] });
  installDataset(id, decodeDataset(bytes, { shared: true }));
  assert.deepEqual(Array.from(loadSeries(spec, 'BTCUSDT', '1h').close), [1, 2, 3]);
  assert.throws(() => loadSeries(spec, 'ETHUSDT', '1h'), /holds BTCUSDT 1h/);
  clearInstalledDatasets();
  assert.throws(() => loadSeries(spec, 'BTCUSDT', '1h'), /not loaded/);
});

test('readDatasetTimes reads the time column from a prefix of the bytes', () => {
  const time = [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 5)];
  const bytes = encodeDataset({ symbol: 'BTCUSDT', timeframe: '1d', time, open: [1, 2, 3], high: [1, 2, 3], low: [1, 2, 3], close: [1, 2, 3], volume: [0, 0, 0] });
  const headerBytes = datasetHeaderBytes(bytes.subarray(0, 12));
  assert.equal(headerBytes, readDatasetHeader(bytes).headerBytes);
  const prefix = bytes.subarray(0, headerBytes + 3 * 8);
  const read = readDatasetTimes(prefix);
  assert.deepEqual(Array.from(read.time), time);
  assert.deepEqual([read.symbol, read.timeframe, read.bars], ['BTCUSDT', '1d', 3]);
  assert.deepEqual(Array.from(readDatasetTimes(bytes).time), time);
  assert.throws(() => readDatasetTimes(bytes.subarray(0, headerBytes + 8)), /time column of 3 bars/);
  assert.throws(() => datasetHeaderBytes(bytes.subarray(0, 5)), /too short/);
});

test('loadSeries resamples an installed dataset to a coarser timeframe it divides, once per (id, timeframe)', () => {
  const id = 'cd'.repeat(32);
  const minutes = generateSyntheticSeries({ seed: 5, symbol: 'BTCUSDT', timeframe: '1m', bars: 3 * 1440 + 17 });
  installDataset(id, decodeDataset(encodeDataset(minutes), { shared: true }));
  const spec = { name: `sha256:${id}` as const, bars: 1, seed: 0 };
  try {
    for (const timeframe of ['5m', '1h', '4h', '1d', '1w', '1M'] as const) {
      const series = loadSeries(spec, 'BTCUSDT', timeframe);
      const expected = resample(minutes, timeframe);
      assert.equal(series.timeframe, timeframe);
      assert.equal(series.symbol, 'BTCUSDT');
      for (const column of columns) assert.deepEqual(series[column], expected[column], `${timeframe} ${column}`);
      assert.equal(loadSeries(spec, 'BTCUSDT', timeframe), series, `${timeframe} is memoised`);
    }
    assert.equal(loadSeries(spec, 'BTCUSDT', '1d').time.length, 4);
    assert.deepEqual(loadSeries(spec, 'BTCUSDT', '1m').close, minutes.close, 'its own timeframe: the installed bars as they are');
    // Re-installing the same id (every partition does) keeps the memo; a finer or non-dividing timeframe is refused.
    const daily = loadSeries(spec, 'BTCUSDT', '1d');
    installDataset(id, decodeDataset(encodeDataset(minutes), { shared: true }));
    clearInstalledDatasets(new Set([id]));
    assert.equal(loadSeries(spec, 'BTCUSDT', '1d'), daily);
    const hours = 'ef'.repeat(32);
    installDataset(hours, decodeDataset(encodeDataset(generateSyntheticSeries({ seed: 5, symbol: 'BTCUSDT', timeframe: '1h', bars: 50 }))));
    assert.throws(() => loadSeries({ ...spec, name: `sha256:${hours}` }, 'BTCUSDT', '15m'), /holds BTCUSDT 1h, not BTCUSDT 15m/);
  } finally {
    clearInstalledDatasets();
  }
  assert.throws(() => loadSeries(spec, 'BTCUSDT', '1d'), /not loaded/);
});

test('the resampled-series memo is bounded by entries and bytes, drops the least recently used, and forgets ids', () => {
  const minutes = generateSyntheticSeries({ seed: 6, symbol: 'X', timeframe: '1m', bars: 2000 });
  const memo = new ResampledSeriesMemo({ maxEntries: 2, maxBytes: 1 << 30 });
  const fiveA = memo.get('a', minutes, '5m');
  memo.get('a', minutes, '1h');
  assert.equal(memo.get('a', minutes, '5m'), fiveA); // 5m is now the most recent
  memo.get('b', minutes, '1d'); // evicts a/1h
  assert.equal(memo.size, 2);
  assert.equal(memo.get('a', minutes, '5m'), fiveA);
  memo.forget(new Set(['b']));
  assert.equal(memo.size, 1);
  assert.notEqual(memo.get('a', minutes, '5m'), fiveA, 'recomputed after forget');
  // A byte budget below one entry keeps just the newest.
  const tight = new ResampledSeriesMemo({ maxEntries: 10, maxBytes: 1 });
  tight.get('a', minutes, '5m');
  tight.get('a', minutes, '15m');
  assert.equal(tight.size, 1);
});
