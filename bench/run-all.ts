/**
 * Runs the benchmarks one after another, each in its own `node` child process (a fresh heap and
 * its own local cluster, stopped before the next starts), then prints a Markdown table of the
 * headline figures and writes bench/results/latest.json.
 *
 *   node dist/bench/run-all.js                       all of them (npm run bench)
 *   node dist/bench/run-all.js dispatch failover     a subset (names or aliases below)
 *   QUANTGRID_BENCH_QUICK=1 node dist/bench/run-all.js    sizes ÷10, a smoke run
 *
 * Figures never fail the run: the exit code is 1 only when a benchmark broke (crashed, a job
 * failed, a timeout), 2 on bad arguments, 130 when interrupted.
 *
 * Diagnostics (off by default): QUANTGRID_BENCH_CPU_PROF=<dir> writes CPU profiles of the
 * coordinator and agents (read them with node dist/bench/lib/cpu-profile.js); for
 * coordinator-memory, QUANTGRID_BENCH_MEMORY_PROBE=1 forces full GCs to report the live heap.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, BenchResultMessage, Headline } from './lib/harness.js';
import { isQuick } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, fmtUs, markdownTable } from './lib/stats.js';

interface BenchEntry {
  name: string;
  file: string;
  aliases: string[];
  /** Longest a full run may take before it is stopped (quick runs get a third). */
  timeoutMs: number;
}

const BENCHES: BenchEntry[] = [
  { name: 'dispatch', file: 'dispatch.js', aliases: [], timeoutMs: 15 * 60_000 },
  { name: 'tiny-jobs', file: 'tiny-jobs.js', aliases: ['tiny'], timeoutMs: 10 * 60_000 },
  { name: 'cli-startup', file: 'cli-startup.js', aliases: ['cli'], timeoutMs: 5 * 60_000 },
  { name: 'auth-cost', file: 'auth-cost.js', aliases: ['auth'], timeoutMs: 10 * 60_000 },
  { name: 'metrics-cost', file: 'metrics-cost.js', aliases: ['metrics'], timeoutMs: 10 * 60_000 },
  { name: 'dashboard-cost', file: 'dashboard-cost.js', aliases: ['dashboard'], timeoutMs: 15 * 60_000 },
  { name: 'failover', file: 'failover.js', aliases: [], timeoutMs: 10 * 60_000 },
  { name: 'durability', file: 'durability.js', aliases: ['takeover', 'cancel'], timeoutMs: 10 * 60_000 },
  { name: 'coordinator-memory', file: 'coordinator-memory.js', aliases: ['memory'], timeoutMs: 20 * 60_000 },
  { name: 'backtest-kernel', file: 'backtest-kernel.js', aliases: ['kernel', 'backtest'], timeoutMs: 5 * 60_000 },
  { name: 'user-strategy', file: 'user-strategy.js', aliases: ['sandbox'], timeoutMs: 10 * 60_000 },
  { name: 'sweep', file: 'sweep-scaling.js', aliases: ['sweep-scaling'], timeoutMs: 10 * 60_000 },
  { name: 'dask', file: 'dask-comparison.js', aliases: ['dask-comparison'], timeoutMs: 20 * 60_000 },
  { name: 'incremental', file: 'incremental-rerun.js', aliases: ['incremental-rerun', 'checkpoints'], timeoutMs: 15 * 60_000 },
  { name: 'incremental-cluster', file: 'incremental-cluster.js', aliases: ['nightly'], timeoutMs: 20 * 60_000 },
  { name: 'agent-memory', file: 'agent-memory.js', aliases: [], timeoutMs: 10 * 60_000 },
  { name: 'incremental-analysis', file: 'incremental-analysis.js', aliases: ['analysis-rerun'], timeoutMs: 10 * 60_000 },
  { name: 'analysis', file: 'market-analysis.js', aliases: ['market-analysis'], timeoutMs: 10 * 60_000 },
  { name: 'dataset-storage', file: 'dataset-storage.js', aliases: ['datasets'], timeoutMs: 10 * 60_000 },
  { name: 'dashboard-render', file: 'dashboard-render.js', aliases: ['render'], timeoutMs: 15 * 60_000 },
  { name: 'scale', file: 'scale-simulator.js', aliases: ['scale-simulator'], timeoutMs: 25 * 60_000 },
];

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The repository: run-all.js lives in dist/bench/. */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = process.env.QUANTGRID_BENCH_RESULTS_DIR ?? join(REPO, 'bench', 'results');

function usage(): string {
  return `usage: node dist/bench/run-all.js [${BENCHES.map((b) => [b.name, ...b.aliases].join('|')).join('] [')}]\n` + '  QUANTGRID_BENCH_QUICK=1 shrinks sizes 10× (smoke run)\n';
}

function select(args: string[]): BenchEntry[] {
  if (args.length === 0) return BENCHES;
  const wanted = new Set<BenchEntry>();
  for (const arg of args) {
    const entry = BENCHES.find((b) => b.name === arg || b.aliases.includes(arg));
    if (!entry) {
      process.stderr.write(`run-all: unknown benchmark "${arg}"\n${usage()}`);
      process.exit(2);
    }
    wanted.add(entry);
  }
  // Keep the canonical order whatever order they were named in.
  return BENCHES.filter((b) => wanted.has(b));
}

interface Outcome {
  bench: string;
  ok: boolean;
  exit: string;
  wallMs: number;
  result?: BenchResult;
}

let current: ReturnType<typeof spawn> | undefined;
let interrupted = 0;

function onSignal(signal: NodeJS.Signals): void {
  interrupted++;
  process.stderr.write(`run-all: ${signal}; stopping the running benchmark${interrupted > 1 ? ' (forcing)' : ''}\n`);
  // The child's local cluster stops everything it started on SIGTERM; a second one forces it.
  if (current?.pid) current.kill('SIGTERM');
}

function runOne(entry: BenchEntry): Promise<Outcome> {
  const timeoutMs = isQuick() ? Math.ceil(entry.timeoutMs / 3) : entry.timeoutMs;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', join(HERE, entry.file)], {
      // Own process group: a Ctrl-C reaches run-all only, which forwards one SIGTERM. The IPC channel
      // lets the child notice when run-all is gone and stop its cluster.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, QUANTGRID_BENCH_RESULT_FILE: '' },
    });
    current = child;
    let result: BenchResult | undefined;
    child.on('message', (message: BenchResultMessage) => {
      if (message?.type === 'bench-result') result = message.result;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`run-all: ${entry.name} still running after ${fmtMs(timeoutMs)}; stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 60_000).unref();
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ bench: entry.name, ok: false, exit: `could not start: ${error.message}`, wallMs: performance.now() - t0 });
    });
    // 'close' comes after the IPC channel has closed, so the result message has arrived by then.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const wallMs = performance.now() - t0;
      const ok = code === 0 && !timedOut && result !== undefined;
      const exit = timedOut ? 'timed out' : interrupted ? 'interrupted' : signal ? `killed by ${signal}` : `exit code ${code}${code === 0 && !result ? ' (no result received)' : ''}`;
      resolve({ bench: entry.name, ok, exit, wallMs, result });
    });
  });
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  switch (unit) {
    case 'ms':
      return fmtMs(value);
    case 'µs':
      return fmtUs(value);
    case '/s':
      return `${fmt(value)}/s`;
    case 'bar-evals/s':
      return `${fmt(value / 1e6)} M/s`;
    default:
      return `${fmt(value)} ${unit}`;
  }
}

function formatGoal(h: Headline): string {
  if (!h.goal) return '–';
  const met = h.goal.op === '>=' ? h.median >= h.goal.value : h.median <= h.goal.value;
  return `${h.goal.op === '>=' ? '≥' : '≤'} ${formatValue(h.goal.value, h.unit)} (${met ? 'met' : 'missed'})`;
}

function table(outcomes: Outcome[]): string {
  const rows: string[][] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok || !outcome.result) {
      rows.push([`${outcome.bench}: FAILED (${outcome.exit})`, '–', '–', '–', '–', '–', '']);
      continue;
    }
    for (const h of outcome.result.headlines) {
      rows.push([
        h.name,
        formatValue(h.median, h.unit),
        h.p99 === undefined ? '–' : formatValue(h.p99, h.unit),
        h.baseline === undefined ? '–' : `${formatValue(h.baseline, h.unit)}${h.baselineLabel ? ` (${h.baselineLabel})` : ''}`,
        h.ratio === undefined ? '–' : fmtRatio(h.ratio),
        formatGoal(h),
        h.note ?? '',
      ]);
    }
  }
  return markdownTable(['benchmark', 'median', 'p99', 'baseline (same run)', 'ratio', 'goal', 'note'], rows);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(usage());
    return;
  }
  const selected = select(args);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', () => current?.kill('SIGKILL'));

  const startedAt = new Date();
  const loadBefore = loadavg();
  const outcomes: Outcome[] = [];
  for (const entry of selected) {
    if (interrupted) break;
    process.stderr.write(`\n== ${entry.name}${isQuick() ? ' (quick)' : ''}\n`);
    const outcome = await runOne(entry);
    if (!outcome.ok) process.stderr.write(`run-all: ${entry.name} FAILED: ${outcome.exit}\n`);
    outcomes.push(outcome);
  }

  const cpu = cpus();
  const summary = {
    generatedAt: new Date().toISOString(),
    startedAt: startedAt.toISOString(),
    wallMs: Date.now() - startedAt.getTime(),
    quick: isQuick(),
    selected: selected.map((b) => b.name),
    interrupted: interrupted > 0,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? '',
      memoryBytes: totalmem(),
      node: process.version,
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
    },
    results: outcomes.map((o) => ({ bench: o.bench, ok: o.ok, exit: o.exit, wallMs: o.wallMs, ...(o.result ?? {}) })),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');

  process.stdout.write(
    `\n## quantgrid benchmarks${isQuick() ? ' (QUICK: sizes ÷10)' : ''}: ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, Node ${process.version}, ` +
      `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${fmtMs(summary.wallMs)} in all\n\n`,
  );
  process.stdout.write(table(outcomes) + '\n');
  process.stdout.write(`\nResults: ${file}\n`);
  if (interrupted) process.exitCode = 130;
  else if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`run-all: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
