/**
 * What every benchmark file shares: quick mode, progress logging, the result it hands to
 * run-all.ts, and a main() wrapper (exit 1 only when the run itself broke; figures never fail it).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** QUANTGRID_BENCH_QUICK=1: sizes shrunk 10× for a smoke run. */
export function isQuick(): boolean {
  const value = process.env.QUANTGRID_BENCH_QUICK ?? '';
  return value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** n in a full run, n/10 (at least `least`) in quick mode. */
export function size(n: number, least = 1): number {
  return isQuick() ? Math.max(least, Math.round(n / 10)) : n;
}

/** A positive whole number from the environment variable `name`, undefined when unset; anything else stops the run naming it. */
export function positiveIntegerFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(value)}`);
  return n;
}

/** One row of run-all's table. Values are numbers in `unit`; lower or higher is better as `better` says. */
export interface Headline {
  name: string;
  unit: string;
  median: number;
  p99?: number;
  baseline?: number;
  baselineLabel?: string;
  /** median / baseline (or as `ratioNote` explains). */
  ratio?: number;
  ratioNote?: string;
  goal?: { op: '>=' | '<='; value: number };
  /** Extra words for the table (e.g. "3 runs"). */
  note?: string;
}

export interface BenchResult {
  bench: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  headlines: Headline[];
  /** Everything measured, for latest.json. */
  details: Record<string, unknown>;
}

export function logProgress(bench: string, message: string): void {
  process.stderr.write(`[${bench}] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls check() every intervalMs until it returns true; throws after timeoutMs. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The message a benchmark started by run-all.ts sends it over IPC. */
export interface BenchResultMessage {
  type: 'bench-result';
  result: BenchResult;
}

/**
 * Runs a benchmark as a program and exits 0, or prints the error and exits 1. Started by
 * run-all.ts it sends the result over the IPC channel, and when run-all goes away it stops
 * itself with SIGTERM (the local cluster's handler then stops every process it started).
 * Started by hand, QUANTGRID_BENCH_RESULT_FILE=<file> writes the result as JSON.
 */
export function runBench(bench: string, body: () => Promise<BenchResult>): void {
  if (process.channel) {
    process.channel.unref();
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  body()
    .then((result) => {
      const file = process.env.QUANTGRID_BENCH_RESULT_FILE;
      if (file) writeFileSync(file, JSON.stringify(result, null, 2));
      if (process.send && process.connected) {
        const message: BenchResultMessage = { type: 'bench-result', result };
        process.send(message, () => process.exit(0));
        return;
      }
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`[${bench}] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}

/** Wraps a benchmark body with its timing and header fields. */
export async function measureBench(
  bench: string,
  body: () => Promise<Pick<BenchResult, 'headlines' | 'details'>>,
): Promise<BenchResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  logProgress(bench, `start${isQuick() ? ' (quick mode: sizes ÷10)' : ''}`);
  const { headlines, details } = await body();
  const durationMs = performance.now() - t0;
  logProgress(bench, `done in ${(durationMs / 1000).toFixed(1)} s`);
  return { bench, quick: isQuick(), startedAt: startedAt.toISOString(), durationMs, headlines, details };
}

/** True when the module at moduleUrl is the program node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && moduleUrl === pathToFileURL(entry).href;
}
