import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { datasetId, datasetSeries, decodeDataset, DatasetCodecError, encodeDataset, readDatasetHeader } from '../../../shared/quant/dataset-codec.js';
import { clearInstalledDatasets, installDataset, loadSeries, validateDataset } from '../../../shared/quant/dataset.js';
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
  assert.deepEqual(validateDataset({ name: `sha256:${id}`, bars: 3 }, 'backtest.dataset', limits), { name: `sha256:${id}`, bars: 3, seed: 0 });
  assert.throws(() => validateDataset({ name: `sha256:${id}` }, 'backtest.dataset', limits), /backtest\.dataset\.bars/);
  assert.throws(() => validateDataset({ name: 'sha256:XYZ' }, 'backtest.dataset', limits), /backtest\.dataset\.name: .*64 lower-case hex/);
  assert.throws(() => validateDataset({ name: 'csv' }, 'backtest.dataset', limits), /unknown dataset "csv"/);
  // synthetic unchanged
  assert.deepEqual(validateDataset({}, 'backtest.dataset', limits), { name: 'synthetic', bars: 1000, seed: 42 });

  const spec = { name: `sha256:${id}` as const, bars: 3, seed: 0 };
  assert.throws(() => loadSeries(spec, 'BTCUSDT', '1h'), /not loaded/);
  const bytes = encodeDataset({ symbol: 'BTCUSDT', timeframe: '1h', time: [0, 1, 2], open: [1, 2, 3], high: [1, 2, 3], low: [1, 2, 3], close: [1, 2, 3], volume: [0, 0, 0] });
  installDataset(id, decodeDataset(bytes, { shared: true }));
  assert.deepEqual(Array.from(loadSeries(spec, 'BTCUSDT', '1h').close), [1, 2, 3]);
  assert.throws(() => loadSeries(spec, 'ETHUSDT', '1h'), /holds BTCUSDT 1h/);
  clearInstalledDatasets();
  assert.throws(() => loadSeries(spec, 'BTCUSDT', '1h'), /not loaded/);
});
