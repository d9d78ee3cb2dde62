import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_AGENT_MESSAGE_BYTES, MAX_PARTITION_CHECKPOINT_BYTES } from '../../../shared/grpc/message-limits.js';
import { backtestKind, type BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import { backtestLineageKey } from '../../../shared/tasks/backtest/continuation.js';
import { CHECKPOINT_BYTES } from '../../../shared/tasks/backtest/checkpoint.js';
import {
  CHECKPOINT_FRAMING_BYTES,
  checkpointBytes,
  checkpointsWithinBudget,
  CollectingContinuation,
  continuedWork,
  CONTINUED_UNIT_COST,
  MAX_CHECKPOINT_UNITS_PER_PARTITION,
  MAX_UNIT_CHECKPOINT_BYTES,
  minPartitionsForCheckpoints,
  type UnitCheckpoint,
} from '../../../shared/tasks/continuation.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

const STORED = (byte: string) => `sha256:${byte.repeat(64)}`;

function spec(overrides: Record<string, unknown> = {}, dataset: Record<string, unknown> = { name: STORED('a'), bars: 5000 }): BacktestSpec {
  return backtestKind.validate(
    {
      symbols: ['BTCUSDT'],
      dataset,
      params: { fast: { start: 5, stop: 20, step: 5 }, slow: { start: 30, stop: 60, step: 10 } },
      ...overrides,
    },
    DEFAULT_SPEC_LIMITS,
  );
}

describe('what "identical except the dataset" means (backtest lineage key)', () => {
  it('ignores the dataset (its id and bar count), and nothing else', () => {
    const base = backtestLineageKey(spec());
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(backtestLineageKey(spec({}, { name: STORED('b'), bars: 5024 })), base, 'another version of the data');
    const walkForward = { walkForward: { inSampleBars: 1000, outOfSampleBars: 500 } };
    assert.equal(backtestLineageKey(spec(walkForward, { name: STORED('b'), bars: 6000 })), backtestLineageKey(spec(walkForward)), 'more walk-forward windows on more bars');
    assert.notEqual(backtestLineageKey(spec({ walkForward: { inSampleBars: 1000, outOfSampleBars: 400 } })), backtestLineageKey(spec(walkForward)), 'other windows');
    assert.notEqual(backtestLineageKey(spec({ walkForward: { inSampleBars: 1000, outOfSampleBars: 500, anchored: true } })), backtestLineageKey(spec(walkForward)), 'anchored');
    assert.notEqual(backtestLineageKey(spec(walkForward)), base, 'walk-forward or not');
    const changed: Array<[string, Record<string, unknown>]> = [
      ['fee', { feeBps: 2 }],
      ['slippage', { slippageBps: 0 }],
      ['a range', { params: { fast: { start: 5, stop: 25, step: 5 }, slow: { start: 30, stop: 60, step: 10 } } }],
      ['a setting', { params: { fast: { start: 5, stop: 20, step: 5 }, slow: { start: 30, stop: 60, step: 10 }, risk_free: { start: 0.02, stop: 0.02, step: 0 } } }],
      ['the strategy', { strategy: 'ema-crossover', params: {} }],
      ['the objective', { objective: 'sortino' }],
      ['a constraint', { constraints: [{ metric: 'trades', op: '>=', value: 1 }] }],
      ['top N', { topN: 5 }],
      ['the timeframe', { timeframe: '4h' }],
      ['the search', { search: { method: 'random', samples: 3, seed: 9 } }],
      ['the outputs', { fullTable: true }],
    ];
    for (const [what, overrides] of changed) assert.notEqual(backtestLineageKey(spec(overrides)), base, what);
  });

  it('does not depend on the order the spec\'s fields were built in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(spec()), { minLength: Object.keys(spec()).length }), (order) => {
        const original = spec();
        const shuffled = Object.fromEntries(order.map((key) => [key, original[key as keyof BacktestSpec]])) as unknown as BacktestSpec;
        return backtestLineageKey(shuffled) === backtestLineageKey(original);
      }),
    );
  });

  it('continues jobs on stored data (sweeps and walk-forward), not on synthetic data', () => {
    const continuation = backtestKind.continuation!;
    assert.equal(continuation.dataset(spec()), 'a'.repeat(64));
    assert.equal(continuation.dataset(spec({ walkForward: { inSampleBars: 1000, outOfSampleBars: 500 } })), 'a'.repeat(64));
    assert.equal(continuation.dataset(spec({}, { bars: 5000, seed: 1 })), undefined, 'synthetic');
    assert.deepEqual(continuation.units({ first: 7, count: 3 }), { first: 7, count: 3 });
    assert.equal(continuation.carry!.keep(spec(), []), undefined, 'a sweep carries nothing over: its units have checkpoints');
  });
});

describe('checkpoints in messages', () => {
  it('a partition of the most units a continuing job gets carries its checkpoints within the budget, inside the agent message limit', () => {
    assert.ok(CHECKPOINT_BYTES <= MAX_UNIT_CHECKPOINT_BYTES, "the engine's records fit the cluster's bound");
    assert.ok(MAX_CHECKPOINT_UNITS_PER_PARTITION * (MAX_UNIT_CHECKPOINT_BYTES + CHECKPOINT_FRAMING_BYTES) <= MAX_PARTITION_CHECKPOINT_BYTES);
    assert.ok(MAX_PARTITION_CHECKPOINT_BYTES * 2 < MAX_AGENT_MESSAGE_BYTES, 'room for the spec or the result beside them');
    const full: UnitCheckpoint[] = Array.from({ length: MAX_CHECKPOINT_UNITS_PER_PARTITION }, (_, unit) => ({ unit, data: new Uint8Array(MAX_UNIT_CHECKPOINT_BYTES) }));
    assert.equal(checkpointsWithinBudget(full).kept.length, full.length);
  });

  it('fewest partitions: every partition of an even split has at most the units whose checkpoints fit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), (units) => {
        const partitions = minPartitionsForCheckpoints(units);
        const largest = Math.ceil(units / partitions);
        return largest <= MAX_CHECKPOINT_UNITS_PER_PARTITION && (partitions === 1 || Math.ceil(units / (partitions - 1)) > MAX_CHECKPOINT_UNITS_PER_PARTITION);
      }),
    );
  });

  it('within a budget: a prefix in the order given, never over it, leaving out records of a size no kind leaves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_UNIT_CHECKPOINT_BYTES + 40 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 6000 }),
        (sizes, budget) => {
          const given = sizes.map((size, unit) => ({ unit, data: new Uint8Array(size) }));
          const { kept, dropped } = checkpointsWithinBudget(given, budget);
          assert.ok(checkpointBytes(kept) <= budget);
          assert.equal(kept.length + dropped, given.length);
          const valid = given.filter((c) => c.data.byteLength > 0 && c.data.byteLength <= MAX_UNIT_CHECKPOINT_BYTES);
          // The valid ones, in order, up to the first that does not fit.
          assert.deepEqual(kept, valid.slice(0, kept.length));
          if (kept.length < valid.length) assert.ok(checkpointBytes(valid.slice(0, kept.length + 1)) > budget, 'stops only when the next does not fit');
        },
      ),
    );
  });

  it('the worker side hands out the given checkpoints by unit, collects what run() leaves and sums its counts', () => {
    const continuation = new CollectingContinuation([{ unit: 4, data: new Uint8Array([1, 2]) }]);
    assert.deepEqual(continuation.checkpoint(4), new Uint8Array([1, 2]));
    assert.equal(continuation.checkpoint(5), undefined);
    continuation.leave(9, new Uint8Array(3));
    assert.throws(() => continuation.leave(10, new Uint8Array(MAX_UNIT_CHECKPOINT_BYTES + 1)), /over 256/);
    continuation.count({ unitsContinued: 2, unitsRejected: 1, unitsFull: 3, barsSimulated: 100 });
    continuation.count({ unitsContinued: 1, unitsRejected: 0, unitsFull: 0, barsSimulated: 24 });
    assert.deepEqual(continuation.left, [{ unit: 9, data: new Uint8Array(3) }]);
    assert.deepEqual(continuation.work, { unitsContinued: 3, unitsRejected: 1, unitsFull: 3, barsSimulated: 124 });
  });
});

describe('planning a continued job', () => {
  it('costs the new share of the bars plus a fixed cost per unit, never more than a full run', () => {
    const full = { units: 10_000, costPerUnit: 100_024 };
    const continued = continuedWork(full, 100_000, 100_024);
    assert.equal(continued.units, full.units);
    assert.ok(Math.abs(continued.costPerUnit - (24 + CONTINUED_UNIT_COST)) < 1e-6, String(continued.costPerUnit));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), (cost, previous, bars) => {
        const { costPerUnit } = continuedWork({ units: 5, costPerUnit: cost }, previous, bars);
        return costPerUnit > 0 && costPerUnit <= cost;
      }),
    );
  });
});
