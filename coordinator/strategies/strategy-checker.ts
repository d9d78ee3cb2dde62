import { Worker } from 'node:worker_threads';
import { Internal, ValidationError } from '../../shared/errors.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';

export type StrategyCheckOutcome = { ok: true; manifest: StrategyManifest } | { ok: false; field: string; reason: string };

const WORKER_SCRIPT = new URL('./strategy-check-worker.js', import.meta.url);

/**
 * Checks a pushed bundle (shared/sandbox/strategy-check.ts) in a worker thread, so the sandboxed
 * runs never hold up the coordinator's event loop. Returns the manifest; throws ValidationError
 * naming `code` (the request's field) for a bundle that fails.
 */
export function checkPushedStrategy(code: string, label: string): Promise<StrategyManifest> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: { code, label }, name: 'quantgrid-strategy-check' });
    let settled = false;
    worker.once('message', (outcome: StrategyCheckOutcome) => {
      settled = true;
      if (outcome.ok) resolve(outcome.manifest);
      else reject(new ValidationError('code', outcome.reason));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Internal(`strategy check failed: ${error.message}`));
    });
    worker.once('exit', (exitCode) => {
      if (!settled) reject(new Internal(`strategy check worker exited with code ${exitCode}`));
    });
  });
}
