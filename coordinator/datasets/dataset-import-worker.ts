/**
 * One-shot worker thread for dataset-store.ts: parses a file of OHLCV bars (CSV or Parquet), encodes
 * it and hashes it, off the coordinator's main thread (a file of tens of MB takes seconds to parse;
 * the main thread must keep serving heartbeats and the API meanwhile).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../shared/errors.js';
import { parseDatasetFileAsync, type ParseDatasetInput, type ParseDatasetOutcome } from './dataset-parse.js';

if (!parentPort) throw new Error('dataset-import-worker.js runs as a worker thread of the coordinator');
const port = parentPort;
let outcome: ParseDatasetOutcome;
try {
  outcome = await parseDatasetFileAsync(workerData as ParseDatasetInput);
} catch (error) {
  outcome = { ok: false, row: -1, message: errorMessage(error) };
}
if (outcome.ok) port.postMessage(outcome, [outcome.encoded.buffer as ArrayBuffer]);
else port.postMessage(outcome);
