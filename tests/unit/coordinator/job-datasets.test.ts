import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveStoredDatasets } from '../../../coordinator/job-datasets.js';
import type { StoredDatasetInfo } from '../../../coordinator/dataset-store.js';
import { storedDatasetIds } from '../../../node-agent/agent-service.js';

const ID = 'c0'.repeat(32);
const INFO: StoredDatasetInfo = { id: ID, symbol: 'BTCUSDT', timeframe: '4h', bars: 1234, firstTimeMs: 0, lastTimeMs: 1, bytes: 100, importedAtMs: 5 };
const index = { info: async (id: string) => (id === ID ? INFO : undefined) };

test('a stored dataset fills bars, symbol and timeframe; a synthetic spec is left alone', async () => {
  const spec = { backtest: { symbols: [], timeframe: '', dataset: { name: `sha256:${ID}`, bars: 0, seed: 0 } }, marketAnalysis: null };
  await resolveStoredDatasets(spec, index);
  assert.deepEqual(spec.backtest, { symbols: ['BTCUSDT'], timeframe: '4h', dataset: { name: `sha256:${ID}`, bars: 1234, seed: 0 } });

  const analysis = { marketAnalysis: { assets: ['BTCUSDT'], timeframes: [], dataset: { name: `sha256:${ID}` } } };
  await resolveStoredDatasets(analysis, index);
  assert.deepEqual(analysis.marketAnalysis.timeframes, ['4h']);

  const synthetic = { backtest: { symbols: ['X'], timeframe: '1h', dataset: { name: 'synthetic', bars: 10, seed: 1 } } };
  const before = JSON.stringify(synthetic);
  await resolveStoredDatasets(synthetic, index);
  assert.equal(JSON.stringify(synthetic), before);
});

test('unknown ids and mismatched symbols, timeframes or bar counts are refused naming the field', async () => {
  const missing = 'd1'.repeat(32);
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: `sha256:${missing}` } } }, index), { message: `backtest.dataset.name: no dataset ${missing}` });
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: 'sha256:nope' } } }, index), /backtest\.dataset\.name: /);
  await assert.rejects(resolveStoredDatasets({ backtest: { symbols: ['BTCUSDT', 'ETHUSDT'], dataset: { name: `sha256:${ID}` } } }, index), /^ValidationError|backtest\.symbols\[1\]: dataset .* holds BTCUSDT only/);
  await assert.rejects(resolveStoredDatasets({ backtest: { timeframe: '1h', dataset: { name: `sha256:${ID}` } } }, index), /backtest\.timeframe: .*holds 4h bars/);
  await assert.rejects(resolveStoredDatasets({ backtest: { dataset: { name: `sha256:${ID}`, bars: 99 } } }, index), /backtest\.dataset\.bars: .*1234 bars/);
  await assert.rejects(resolveStoredDatasets({ marketAnalysis: { timeframes: ['4h', '1d'], dataset: { name: `sha256:${ID}` } } }, index), /market_analysis\.timeframes\[1\]/);
});

test('the agent finds the stored dataset a spec names', () => {
  assert.deepEqual(storedDatasetIds(JSON.stringify({ dataset: { name: `sha256:${ID}`, bars: 3, seed: 0 } })), [ID]);
  assert.deepEqual(storedDatasetIds(JSON.stringify({ dataset: { name: 'synthetic', bars: 3, seed: 1 } })), []);
  assert.deepEqual(storedDatasetIds('{not json'), []);
  assert.deepEqual(storedDatasetIds('null'), []);
});
