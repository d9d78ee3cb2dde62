/**
 * A user strategy in the sandbox against the built-in kernel: the SMA crossover written on the SDK
 * with a per-bar rule function (bench/strategies/user-sma.ts, bundled as a push bundles it) runs
 * through backtestKind.run in an isolated-vm isolate, on the same grid and series as the built-in
 * sma-crossover (100,000 bars × 200 combinations, one thread). The same SDK strategy run in this
 * thread is the third row; the fourth is the SMA crossover written declaratively, as the built-in
 * is (bench/strategies/user-sma-signal.ts: `signal: () => crossover('fast', 'slow')`), in the
 * sandbox. The four alternate within each round (so load drifts hit all of them), 5 rounds after
 * a warm-up; medians. Every combination's row must be identical across the four. Goal: sandbox ≥
 * 50 % of the built-in kernel's bar evaluations/s.
 *
 * Run: node dist/bench/run-all.js user-strategy   (QUANTGRID_BENCH_QUICK=1: 10,000 bars)
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { inProcessDefinition } from '../shared/quant/strategies/sdk-strategy.js';
import { installUserStrategy } from '../shared/quant/strategies/user-strategies.js';
import { installSandboxedStrategy, newPartition } from '../shared/sandbox/sandbox-registry.js';
import { bundleStrategy } from '../shared/sandbox/strategy-bundle.js';
import { checkStrategy } from '../shared/sandbox/strategy-check.js';
import { backtestKind } from '../shared/tasks/backtest/index.js';
import { QUIET_RUN_CONTEXT } from '../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import userSma from './strategies/user-sma.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'user-strategy';
const ROUNDS = 5;
const SOURCE = fileURLToPath(new URL('../../bench/strategies/user-sma.ts', import.meta.url));
const SIGNAL_SOURCE = fileURLToPath(new URL('../../bench/strategies/user-sma-signal.ts', import.meta.url));

export async function runUserStrategy(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const bars = size(100_000);
  const code = await bundleStrategy(SOURCE);
  const id = createHash('sha256').update(code).digest('hex');
  const manifest = checkStrategy(code, `user-sma@${id.slice(0, 12)}`);
  const sandboxRef = `user-sma@${id}`;
  const inProcessRef = 'user-sma@in-process';
  installSandboxedStrategy(sandboxRef, code, manifest);
  installUserStrategy(inProcessRef, { ...inProcessDefinition(userSma), name: inProcessRef });
  const signalCode = await bundleStrategy(SIGNAL_SOURCE);
  const signalId = createHash('sha256').update(signalCode).digest('hex');
  const signalRef = `user-sma-signal@${signalId}`;
  installSandboxedStrategy(signalRef, signalCode, checkStrategy(signalCode, `user-sma-signal@${signalId.slice(0, 12)}`));

  const specOf = (strategy: string) =>
    backtestKind.validate(
      {
        symbols: ['BENCH'],
        timeframe: '1h',
        dataset: { name: 'synthetic', bars, seed: 7 },
        strategy,
        // 20 fast × 10 slow = 200 combinations (the backtest-kernel grid).
        params: { fast: { start: 5, stop: 24, step: 1 }, slow: { start: 50, stop: 140, step: 10 } },
        feeBps: 5,
        slippageBps: 2,
        topN: 20,
        fullTable: true,
      },
      DEFAULT_SPEC_LIMITS,
    );
  const variants = [
    { key: 'builtin', label: 'built-in sma-crossover kernel', spec: specOf('sma-crossover') },
    { key: 'sandbox', label: 'user SMA crossover in the sandbox (isolated-vm)', spec: specOf(sandboxRef) },
    { key: 'sdk', label: 'the same SDK strategy in this thread', spec: specOf(inProcessRef) },
    { key: 'signal', label: "user SMA crossover written declaratively (signal: crossover), in the sandbox", spec: specOf(signalRef) },
  ] as const;
  const combinations = variants[0].spec.combinations;
  const barEvaluations = combinations * bars;
  const runOnce = (spec: (typeof variants)[number]['spec']) => {
    newPartition([sandboxRef, signalRef]); // as the worker does before each partition: a fresh isolate, copies made in the run
    const [partition] = backtestKind.plan(spec, { partitions: 1 });
    const t0 = performance.now();
    const result = backtestKind.run(spec, partition, QUIET_RUN_CONTEXT);
    return { ms: performance.now() - t0, result };
  };

  logProgress(BENCH, `${bars} bars × ${combinations} combinations; warm-up`);
  const tables = variants.map((v) => runOnce(v.spec).result.table!);
  // Every variant must compute the same rows (params and metrics), combination by combination.
  const strip = (rows: typeof tables[number]) => JSON.stringify(rows.map(({ symbol: _s, ...rest }) => rest));
  const same = tables.every((t) => strip(t) === strip(tables[0]));
  if (!same) throw new Error('the sandboxed and in-process SDK strategies do not give the built-in kernel\'s rows');

  const ms: Record<string, number[]> = { builtin: [], sandbox: [], sdk: [], signal: [] };
  const load: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) ms[v.key].push(runOnce(v.spec).ms);
    load.push(loadavg()[0]);
    logProgress(BENCH, `round ${round + 1}: ${variants.map((v) => `${v.key} ${fmtMs(ms[v.key][round])}`).join(', ')}; load ${loadavg()[0].toFixed(2)}`);
  }
  const rate = (key: string) => barEvaluations / (median(ms[key]) / 1000);
  const builtin = rate('builtin');
  const sandbox = rate('sandbox');
  const sdk = rate('sdk');
  const signal = rate('signal');

  process.stdout.write(`\n### user strategy in the sandbox: ${bars} bars × ${combinations} combinations = ${fmt(barEvaluations)} bar evaluations, one thread\n\n`);
  process.stdout.write(
    markdownTable(
      ['implementation', 'runs (ms)', 'median', 'bar evaluations/s', 'vs built-in'],
      variants.map((v) => [v.label, ms[v.key].map((x) => fmt(x)).join(', '), fmtMs(median(ms[v.key])), fmt(rate(v.key)), fmtRatio(ratio(rate(v.key), builtin))]),
    ) + `\nrows identical across the four: ${same}; 1-minute load average during the rounds: ${load.map((l) => l.toFixed(2)).join(', ')}\n`,
  );
  const headlines: Headline[] = [
    {
      name: `user strategy (SMA crossover) in the sandbox: bar evaluations/s, one thread (${bars} bars × ${combinations} combinations)`,
      unit: 'bar-evals/s',
      median: sandbox,
      baseline: builtin,
      baselineLabel: 'built-in sma-crossover kernel, same run and grid',
      ratio: ratio(sandbox, builtin),
      // The goal is half the built-in kernel's rate measured in this run.
      goal: { op: '>=', value: builtin * 0.5 },
      note: `median of ${ROUNDS}, alternated; goal: ratio ≥ 0.5; load ${median(load).toFixed(2)}`,
    },
    {
      name: 'user SMA crossover written declaratively (as the built-in is), in the sandbox',
      unit: 'bar-evals/s',
      median: signal,
      baseline: builtin,
      baselineLabel: 'built-in sma-crossover kernel, same run and grid',
      ratio: ratio(signal, builtin),
      goal: { op: '>=', value: builtin * 0.5 },
      note: `median of ${ROUNDS}`,
    },
    {
      name: 'the same rule-function SDK strategy in the agent\'s thread',
      unit: 'bar-evals/s',
      median: sdk,
      baseline: builtin,
      baselineLabel: 'built-in sma-crossover kernel, same run and grid',
      ratio: ratio(sdk, builtin),
      note: `median of ${ROUNDS}`,
    },
  ];
  return { headlines, details: { bars, combinations, barEvaluations, ms, load, builtinPerSecond: builtin, sandboxPerSecond: sandbox, sdkPerSecond: sdk, signalSandboxPerSecond: signal, rowsIdentical: same } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runUserStrategy));
}
