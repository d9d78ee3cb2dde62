import { CommandLineExit } from '../shared/config/command-line.js';
import { PartitionFailure } from './worker-pool.js';

/**
 * TEST ONLY: makes this agent a straggler. Each partition it accepts waits this many milliseconds
 * (holding its slot, heartbeats going on) before it runs; a cancel ends the wait at once. The
 * straggler tests (tests/integration/stragglers.test.ts) slow one agent of a cluster with it. An
 * environment variable only, never a flag, left out of --help; refused under NODE_ENV=production.
 */
export const TEST_ONLY_DELAY_ENV = 'QUANTGRID_TEST_ONLY_PARTITION_DELAY_MS';

const MAX_DELAY_MS = 600_000;

/** The delay the environment asks for (0: none); an exit (code 2, one line) for a bad or refused one. */
export function testOnlyPartitionDelayMs(env: NodeJS.ProcessEnv): number {
  const text = env[TEST_ONLY_DELAY_ENV];
  if (text === undefined || text === '') return 0;
  if (env.NODE_ENV === 'production') throw new CommandLineExit(2, `${TEST_ONLY_DELAY_ENV}: a test-only setting, refused with NODE_ENV=production`);
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) throw new CommandLineExit(2, `${TEST_ONLY_DELAY_ENV}: "${text}" is not a whole number of milliseconds from 0 to ${MAX_DELAY_MS}`);
  return ms;
}

/** Waits ms; rejects with a CANCELLED failure as soon as the signal aborts. */
export function cancellableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancelled = (): void => {
      clearTimeout(timer);
      reject(new PartitionFailure('CANCELLED', 'cancelled during the test-only delay'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', cancelled);
      resolve();
    }, ms);
    if (signal.aborted) cancelled();
    else signal.addEventListener('abort', cancelled, { once: true });
  });
}
