/**
 * Worker-thread entry of a push check (strategy-checker.ts): runs checkStrategy off the
 * coordinator's event loop. workerData: { code, label }; one message back, then exit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import { checkStrategy } from '../../shared/sandbox/strategy-check.js';
import type { StrategyCheckOutcome } from './strategy-checker.js';

const { code, label } = workerData as { code: string; label: string };
let outcome: StrategyCheckOutcome;
try {
  outcome = { ok: true, manifest: checkStrategy(code, label) };
} catch (error) {
  outcome = error instanceof ValidationError ? { ok: false, field: error.field, reason: error.reason } : { ok: false, field: 'code', reason: errorMessage(error) };
}
parentPort?.postMessage(outcome);
