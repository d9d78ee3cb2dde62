import { errorMessage } from './errors.js';
import type { Logger } from './logging.js';

/** How soon after the start the first sweep runs (at most; sooner when the interval is shorter). */
const FIRST_SWEEP_MS = 10_000;

/**
 * Runs `sweep` every `intervalMs`, and once soon after the start; a failed sweep is logged as
 * `<what> failed` and the next one runs as planned. Neither timer keeps the process alive.
 * Returns the function that stops it.
 */
export function startPeriodicSweep(sweep: () => Promise<unknown>, intervalMs: number, log: Logger, what: string): () => void {
  const run = () => sweep().catch((error) => log.warn({ err: errorMessage(error) }, `${what} failed`));
  const timer = setInterval(run, intervalMs);
  timer.unref();
  const first = setTimeout(run, Math.min(intervalMs, FIRST_SWEEP_MS));
  first.unref();
  return () => {
    clearInterval(timer);
    clearTimeout(first);
  };
}
