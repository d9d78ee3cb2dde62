import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { clearInstalledDatasets, installDataset } from '../../../shared/quant/dataset.js';
import { decodeDataset, encodeDataset } from '../../../shared/quant/dataset-codec.js';
import { STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { setIndicatorCacheBudget } from '../../../shared/quant/strategies/indicator-cache.js';
import { installUserStrategy, uninstallUserStrategy } from '../../../shared/quant/strategies/user-strategies.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { blockedSimulation, setSimulationBlocks } from '../../../shared/tasks/backtest/blocked-simulation.js';
import { checkpointsFor } from '../../../shared/tasks/backtest/checkpoint.js';
import { backtestKind, type BacktestPartial, type BacktestPartition, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { QUIET_RUN_CONTEXT } from '../../../shared/tasks/quiet-run-context.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { inWholeCents } from '../../helpers/whole-cents.js';

/**
 * Long series are simulated a block of bars at a time, every unit of a group over one block before
 * the next (shared/tasks/backtest/blocked-simulation.ts). Whatever the block size, the partitioning,
 * the strategy, shorts, exit rules, exact ties (whole cents) or checkpoints to continue from, every
 * partition's answer (rows, full table, scores, curves, checkpoints, incremental counts) must be
 * the one of the plain path, one simulate() over the whole series per unit. The built-ins run tiled
 * (each unit's signal pass block by block); the same strategies without signal passes (installed as
 * user strategies are) and groups that mix both (an indicator-cache budget too small for a group's
 * arrays) must answer the same.
 */

const TOTAL = 600;
const SYMBOL = 'BLOCKS';
const whole = generateSyntheticSeries({ seed: 23, symbol: SYMBOL, timeframe: '1h', bars: TOTAL });
const cents = inWholeCents(whole);

function version(bars: number, source: typeof whole): { name: `sha256:${string}`; bars: number } {
  const cut = (x: Float64Array) => Array.from(x.subarray(0, bars));
  const bytes = encodeDataset({ symbol: SYMBOL, timeframe: '1h', time: cut(source.time), open: cut(source.open), high: cut(source.high), low: cut(source.low), close: cut(source.close), volume: cut(source.volume) });
  const id = (source === whole ? 'b' : 'd') + bars.toString(16).padStart(63, '0');
  installDataset(id, decodeDataset(bytes));
  return { name: `sha256:${id}`, bars };
}

const EXITS = {
  stop_loss_atr: { start: 0, stop: 3, step: 1.5 },
  trailing_stop: { start: 0, stop: 0.02, step: 0.02 },
  time_stop: { start: 0, stop: 30, step: 30 },
};

/** Each built-in again without its signal pass (only signals(), as a sandboxed user strategy has), by reference NAME@plain. */
const WITHOUT_PASSES = STRATEGY_NAMES.map((name) => {
  const { prepareSignals: _, ...definition } = STRATEGIES.get(name)!;
  const ref = `${name}@plain`;
  installUserStrategy(ref, { ...definition, name: ref });
  return ref;
});

function specOf(strategy: string, bars: number, source: typeof whole, exits: boolean): BacktestSpec {
  const params: Record<string, { start: number; stop: number; step: number }> = {};
  for (const schema of STRATEGIES.get(strategy.split('@')[0])!.params) params[schema.name] = { ...schema.defaultRange, stop: Math.max(schema.defaultRange.start, Math.min(schema.defaultRange.stop, 40)) };
  params.short = { start: 0, stop: 1, step: 1 };
  if (exits) Object.assign(params, EXITS);
  return backtestKind.validate({ symbols: [SYMBOL], timeframe: '1h', dataset: version(bars, source), strategy, params, feeBps: 7, slippageBps: 3, topN: 5, fullTable: true, equityCurves: 2 }, DEFAULT_SPEC_LIMITS);
}

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function runAll(spec: BacktestSpec, plan: BacktestPartition[]): BacktestPartial[] {
  return plan.map((partition) => wire(backtestKind.run(spec, wire(partition), QUIET_RUN_CONTEXT)));
}

/** Runs `fn` with blocks of `bars` on every series (Infinity: the plain path). */
function withBlocks<T>(bars: number, fn: () => T): T {
  const previous = setSimulationBlocks(bars, bars === Infinity ? Infinity : 1);
  try {
    return fn();
  } finally {
    setSimulationBlocks(previous.bars, previous.minBars);
  }
}

describe('blocked simulation of long series', () => {
  after(() => {
    clearInstalledDatasets();
    for (const ref of WITHOUT_PASSES) uninstallUserStrategy(ref);
  });

  it('the defaults block series from 65,536 bars (1,000,000 and 100,000 bars too), not shorter ones', () => {
    assert.equal(blockedSimulation(1_000_000), true);
    assert.equal(blockedSimulation(100_000), true);
    assert.equal(blockedSimulation(65_536), true);
    assert.equal(blockedSimulation(65_535), false);
    assert.equal(blockedSimulation(10_000), false);
  });

  it('every partition answers as the whole-series path does, for any block size, partitioning, strategy, exits, ties and checkpoints', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STRATEGY_NAMES, ...WITHOUT_PASSES),
        fc.integer({ min: 120, max: TOTAL }),
        fc.integer({ min: 1, max: 250 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.integer({ min: 100, max: 119 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (strategy, bars, block, parts, inCents, exits, resumeFrom, cacheArrays) => {
          // A budget of a few arrays (set before the series' cache is made, by the first run below).
          setIndicatorCacheBudget(cacheArrays === undefined ? undefined : cacheArrays * bars * Float64Array.BYTES_PER_ELEMENT);
          const source = inCents ? cents : whole;
          const spec = specOf(strategy, bars, source, exits);
          let plan = backtestKind.plan(spec, { partitions: parts });
          if (resumeFrom !== undefined) {
            // Continue from the checkpoints of a job on the first bars (some units continue mid-series).
            const earlier = specOf(strategy, resumeFrom, source, exits);
            const earlierPartials = withBlocks(Infinity, () => runAll(earlier, backtestKind.plan(earlier, { partitions: 2 })));
            plan = plan.map((partition) => ({ ...partition, resume: { checkpoints: checkpointsFor(earlierPartials, partition.first, partition.count) } }));
          }
          const plain = withBlocks(Infinity, () => runAll(spec, plan));
          const blocked = withBlocks(block, () => runAll(spec, plan));
          setIndicatorCacheBudget(undefined);
          assert.deepEqual(blocked, plain);
          if (resumeFrom !== undefined) assert.ok(blocked.every((p) => p.incremental!.continued === p.evaluated));
        },
      ),
      { numRuns: 60 },
    );
  });
});
