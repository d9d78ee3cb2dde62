import { Worker } from 'node:worker_threads';
import { Internal, ResourceExhausted, ValidationError } from '../../shared/errors.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';

export type StrategyCheckOutcome = { ok: true; manifest: StrategyManifest } | { ok: false; field: string; reason: string };

const WORKER_SCRIPT = new URL('./strategy-check-worker.js', import.meta.url);
/** Checks run at once on this coordinator (each a thread with sandboxes of CHECK_LIMITS); more wait, up to MAX_WAITING. */
export const MAX_CONCURRENT_CHECKS = 2;
export const MAX_WAITING_CHECKS = 8;
let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_CONCURRENT_CHECKS) {
    if (waiting.length >= MAX_WAITING_CHECKS) throw new ResourceExhausted(`${running + waiting.length} strategy pushes are being checked; try again shortly`);
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/**
 * Checks a pushed bundle (shared/sandbox/strategy-check.ts) in a worker thread, so the sandboxed
 * runs never hold up the coordinator's event loop. Returns the manifest; throws ValidationError
 * naming `code` (the request's field) for a bundle that fails. At most MAX_CONCURRENT_CHECKS run at
 * once; ResourceExhausted when MAX_WAITING_CHECKS more already wait.
 */
export async function checkPushedStrategy(code: string, label: string): Promise<StrategyManifest> {
  const release = await slot();
  try {
    return await checkInWorker(code, label);
  } finally {
    release();
  }
}

function checkInWorker(code: string, label: string): Promise<StrategyManifest> {
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
