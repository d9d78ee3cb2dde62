/**
 * The SDK: defineStrategy's refusals name the field at fault; an SDK strategy run in-process
 * (inProcessDefinition, as built-ins on the SDK would run) gives exactly the built-in crossover
 * kernel's target changes for any series and parameters (property-based); the agents' strategy
 * cache fetches a bundle once and refuses one that does not hash to its id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { defineStrategy, sma, StrategyDefinitionError } from '../../../shared/strategy-sdk/index.js';
import { manifestOf } from '../../../shared/strategy-sdk/manifest.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { IndicatorCache } from '../../../shared/quant/strategies/indicator-cache.js';
import { crossoverSignals } from '../../../shared/quant/strategies/rules.js';
import { inProcessDefinition } from '../../../shared/quant/strategies/sdk-strategy.js';
import { SignalBuffer } from '../../../shared/quant/strategies/types.js';
import { StrategyCache } from '../../../node-agent/strategy-cache.js';

const smaSdk = defineStrategy({
  name: 'sdk-sma',
  params: {
    fast: { min: 1, max: 10_000, period: true, default: { start: 5, stop: 50, step: 5 } },
    slow: { min: 2, max: 10_000, period: true, default: { start: 20, stop: 200, step: 10 } },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  rule: (t, { ind }) => (ind.fast[t] > ind.slow[t] ? 1 : -1),
});

test('defineStrategy refuses bad definitions, naming the field', () => {
  const base = { name: 'ok', params: { a: { min: 1, max: 10, default: 3 }, b: { min: 1, max: 10, default: 5 } }, indicators: () => ({}), rule: () => 0 as const };
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ name: 'Not OK' }, /^name:/],
    [{ params: { short: { min: 0, max: 1, default: 0 } } }, /^params\.short: short is common to every strategy/],
    [{ params: { a: { min: 5, max: 1, default: 3 } } }, /^params\.a\.min: 5 is above max 1/],
    [{ params: { a: { min: 1, max: 10, default: { start: 1, stop: 20, step: 1 } } } }, /^params\.a\.default\.stop: must be an integer from 1 to 10/],
    [{ params: { a: { min: 1, max: 10, default: { start: 1, stop: 5, step: 0 } } } }, /^params\.a\.default\.step/],
    [{ params: { a: { type: 'real', min: 0, max: 1, default: 0.5, period: true } } }, /^params\.a\.period: a period is an integer parameter/],
    [{ constraint: ['b', 'a'] }, /^constraint: b < a needs two adjacent parameters/],
    [{ rule: 'x' }, /^rule: must be a function/],
  ];
  for (const [change, pattern] of refused) {
    assert.throws(() => defineStrategy({ ...base, ...change } as never), (error: unknown) => error instanceof StrategyDefinitionError && pattern.test(error.message), JSON.stringify(change));
  }
  assert.deepEqual(manifestOf(defineStrategy(base)).params.map((p) => [p.name, p.defaultRange]), [['a', { start: 3, stop: 3, step: 1 }], ['b', { start: 5, stop: 5, step: 1 }]]);
});

test('an SDK strategy in-process decides exactly as the built-in crossover kernel, for any series and parameters', () => {
  const definition = inProcessDefinition(smaSdk);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 50, max: 1_500 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (seed, bars, fast, gap, short) => {
      const slow = Math.min(bars, fast + gap);
      fc.pre(fast < slow);
      const s = generateSyntheticSeries({ seed, symbol: 'P', timeframe: '1h', bars });
      const cache = new IndicatorCache(s);
      const inputs = { open: s.open, high: s.high, low: s.low, close: s.close, indicators: cache };
      const got = new SignalBuffer(bars).reset(bars);
      definition.signals(inputs, Float64Array.from([fast, slow, short ? 1 : 0]), short, got);
      const want = new SignalBuffer(bars).reset(bars);
      crossoverSignals(cache.sma(fast), cache.sma(slow), slow - 1, short, want);
      assert.deepEqual(Array.from(got.bar.subarray(0, got.count)), Array.from(want.bar.subarray(0, want.count)));
      assert.deepEqual(Array.from(got.target.subarray(0, got.count)), Array.from(want.target.subarray(0, want.count)));
    }),
    { numRuns: 60 },
  );
});

test('the agent strategy cache fetches a bundle once, shares a concurrent fetch, and refuses one that does not hash to its id', async () => {
  const code = 'var __strategyModule = {};';
  const id = createHash('sha256').update(code).digest('hex');
  let fetches = 0;
  const cache = new StrategyCache(async (wanted) => {
    fetches++;
    return { code: wanted === id ? code : 'tampered', manifest: { name: 'x', description: '', params: [], constraints: [] } };
  });
  const [a, b] = await Promise.all([cache.get(id, 'coordinator:7000'), cache.get(id, 'coordinator:7000')]);
  assert.equal(a.code, code);
  assert.equal(b, a);
  await cache.get(id, 'coordinator:7000');
  assert.equal(fetches, 1);
  await assert.rejects(cache.get('0'.repeat(64), 'coordinator:7000'), /hashes to/);
  await assert.rejects(new StrategyCache(async () => ({ code, manifest: {} as never })).get(id, ''), /no dataset_source/);
});
