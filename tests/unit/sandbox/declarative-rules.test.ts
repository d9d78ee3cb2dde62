/**
 * Declarative rules (shared/strategy-sdk/signal-rules.ts): the compiled loop (signal-loop.ts)
 * against a plain interpreter of the same rule written here, for random arrays, comparisons and
 * continuations (property-based); every built-in strategy is written on the SDK with one; a user's
 * declarative strategy, bundled as a push bundles it and run in the sandbox, decides exactly as
 * the built-in it copies, exact ties on whole-cent prices included, and continues like it; and a
 * rule naming what is not there is refused, naming the part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { StrategyError } from '../../../shared/errors.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { BUILT_IN_SOURCES, STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { IndicatorCache } from '../../../shared/quant/strategies/indicator-cache.js';
import { runDeclarative } from '../../../shared/quant/strategies/sdk-strategy.js';
import { runSignalRule, type ResolvedComparison, type ResolvedRule } from '../../../shared/quant/strategies/signal-loop.js';
import { SignalBuffer, type StrategyInputs } from '../../../shared/quant/strategies/types.js';
import { SandboxedStrategy } from '../../../shared/sandbox/sandboxed-strategy.js';
import { bundleStrategy } from '../../../shared/sandbox/strategy-bundle.js';
import { defineStrategy, sma, StrategyDefinitionError } from '../../../shared/strategy-sdk/index.js';

const HERE = fileURLToPath(new URL('../../../../tests/unit/sandbox/strategies/', import.meta.url));

function changes(out: SignalBuffer): Array<[number, number]> {
  return Array.from(out.bar.subarray(0, out.count), (bar, i) => [bar, out.target[i]]);
}

// ---------------------------------------------------------------- the loop against a plain interpreter

type Side = { array: number } | { value: number };
interface PlainComparison {
  op: 'gt' | 'ge' | 'lt' | 'le';
  left: Side;
  right: Side;
}

function holds(c: PlainComparison | undefined, arrays: Float64Array[], t: number): boolean {
  if (c === undefined) return false;
  const value = (s: Side) => ('array' in s ? arrays[s.array][t] : s.value);
  const l = value(c.left);
  const r = value(c.right);
  if (c.op === 'gt') return l > r;
  if (c.op === 'ge') return l >= r;
  if (c.op === 'lt') return l < r;
  return l <= r;
}

/** The targets at every close, bar by bar, as docs/strategies.md states the two rule kinds. */
function plainTargets(kind: 'longWhile' | 'enterExit', cs: Array<PlainComparison | undefined>, arrays: Float64Array[], start: number, n: number, short: boolean): number[] {
  const targets: number[] = [];
  let s = 0;
  for (let t = 0; t < n; t++) {
    if (t >= start) {
      if (kind === 'longWhile') s = holds(cs[0], arrays, t) ? 1 : short ? -1 : 0;
      else {
        let next = s;
        if (s === 1 && holds(cs[0], arrays, t)) next = 0;
        if (s === -1 && holds(cs[1], arrays, t)) next = 0;
        if (next === 0) {
          if (holds(cs[2], arrays, t)) next = 1;
          else if (short && holds(cs[3], arrays, t)) next = -1;
        }
        s = next;
      }
    }
    targets.push(s);
  }
  return targets;
}

function targetsOf(out: SignalBuffer, n: number, initial = 0, from = 0): number[] {
  const targets: number[] = [];
  let k = 0;
  let s = initial;
  for (let t = from; t < n; t++) {
    if (k < out.count && out.bar[k] === t) s = out.target[k++];
    targets.push(s);
  }
  assert.equal(k, out.count, 'every change is at a bar of the run');
  return targets;
}

const side = (arrays: number) => fc.oneof(fc.record({ array: fc.integer({ min: 0, max: arrays - 1 }) }), fc.record({ value: fc.integer({ min: -3, max: 3 }) }));
const comparison = (arrays: number) => fc.record({ op: fc.constantFrom('gt' as const, 'ge' as const, 'lt' as const, 'le' as const), left: side(arrays), right: side(arrays) });

test('the compiled loop decides as a plain interpreter of the rule, and continues from any bar as the whole run', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(Number.NaN)), { minLength: 40, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('longWhile' as const, 'enterExit' as const),
      fc.array(fc.option(comparison(4), { nil: undefined }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: -2, max: 45 }),
      fc.integer({ min: 1, max: 39 }),
      fc.boolean(),
      (columns, kind, picked, start, from, short) => {
        const arrays = columns.map((c) => Float64Array.from(c));
        const cs = picked.map((c) => c && { ...c, left: 'array' in c.left ? { array: c.left.array % arrays.length } : c.left, right: 'array' in c.right ? { array: c.right.array % arrays.length } : c.right });
        if (kind === 'longWhile' && cs[0] === undefined) cs[0] = { op: 'gt', left: { array: 0 }, right: { value: 0 } };
        const resolve = (c: PlainComparison | undefined): ResolvedComparison | undefined =>
          c && { op: c.op, left: 'array' in c.left ? arrays[c.left.array] : c.left.value, right: 'array' in c.right ? arrays[c.right.array] : c.right.value };
        const rule: ResolvedRule =
          kind === 'longWhile'
            ? { kind, when: resolve(cs[0])! }
            : { kind, exitLong: resolve(cs[0]), exitShort: resolve(cs[1]), enterLong: resolve(cs[2]), enterShort: resolve(cs[3]) };
        const n = 40;
        const want = plainTargets(kind, cs, arrays, start, n, short);
        const whole = new SignalBuffer(n).reset(n);
        runSignalRule(rule, start, n, short, 0, whole);
        assert.deepEqual(targetsOf(whole, n), want);
        // Continuing at bar `from` with the target held at its close − 1.
        const initial = from > 0 ? want[from - 1] : 0;
        const rest = new SignalBuffer(n).reset(n);
        runSignalRule(rule, Math.max(start, from), n, short, initial, rest);
        assert.deepEqual(targetsOf(rest, n, initial, from), want.slice(from));
      },
    ),
    { numRuns: 400 },
  );
});

test('every built-in strategy is written on the SDK (defineStrategy) with a declarative rule', () => {
  assert.deepEqual(
    BUILT_IN_SOURCES.map((s) => s.name),
    STRATEGY_NAMES,
  );
  for (const source of BUILT_IN_SOURCES) {
    assert.equal(source.sdkVersion, 1);
    assert.equal(typeof source.signal, 'function', `${source.name} has a signal`);
    assert.equal(source.rule, undefined, `${source.name} has no per-bar rule function`);
  }
});

// ---------------------------------------------------------------- users' declarative strategies in the sandbox

function inputsOf(seed: number, bars: number, cents: boolean): StrategyInputs {
  const s = generateSyntheticSeries({ seed, symbol: 'D', timeframe: '1h', bars });
  const round = (v: Float64Array) => (cents ? Float64Array.from(v, (x) => Math.round(x * 100) / 100) : v);
  const series = { open: round(s.open), high: round(s.high), low: round(s.low), close: round(s.close) };
  return { ...series, indicators: new IndicatorCache(series) };
}

test("a user's declarative strategy in the sandbox decides exactly as the built-in it copies (exact ties on cents too), and continues like it", async () => {
  const cases = [
    { file: 'user-bollinger.ts', builtIn: 'bollinger-reversion', params: [[10, 1.5], [20, 2], [7, 0.5], [30, 2.5]] },
    { file: 'user-macd.ts', builtIn: 'macd-cross', params: [[12, 26, 9], [5, 13, 4], [3, 30, 12]] },
  ];
  for (const { file, builtIn, params } of cases) {
    const sandbox = new SandboxedStrategy(`${file}@test`, await bundleStrategy(`${HERE}${file}`));
    const definition = STRATEGIES.get(builtIn)!;
    try {
      for (const cents of [false, true]) {
        for (const seed of [1, 2]) {
          const inputs = inputsOf(seed, 2_500, cents);
          const n = inputs.close.length;
          for (const values of params) {
            for (const short of [0, 1]) {
              const v = Float64Array.from([...values, short]);
              const want = new SignalBuffer(n).reset(n);
              definition.signals(inputs, v, short === 1, want);
              assert.ok(want.count > 5, 'the built-in trades');
              const got = new SignalBuffer(n).reset(n);
              sandbox.signals(inputs, v, short === 1, got);
              const label = `${builtIn} ${values} short ${short} cents ${cents}`;
              assert.deepEqual(changes(got), changes(want), label);
              // Continued from bar 1,700 with the target held there.
              const from = 1_700;
              const k = changes(want).filter(([bar]) => bar < from);
              const initial = k.length > 0 ? k[k.length - 1][1] : 0;
              const rest = new SignalBuffer(n).reset(n);
              sandbox.signals(inputs, v, short === 1, rest, from, initial);
              assert.deepEqual(changes(rest), changes(want).filter(([bar]) => bar >= from), `${label}, continued`);
            }
          }
        }
      }
    } finally {
      sandbox.dispose();
    }
  }
});

test('a declarative rule naming what is not there is refused, naming the part', () => {
  const base = {
    name: 'probe',
    params: { fast: { min: 1, max: 100, period: true, default: 5 }, slow: { min: 2, max: 100, period: true, default: 20 } },
    indicators: (p: { fast: number; slow: number }) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  };
  assert.throws(() => defineStrategy({ ...base, signal: () => ({ kind: 'longWhile', when: { op: 'gt', left: 'fast', right: 'slow' } }), rule: () => 0 } as never), /^StrategyDefinitionError: signal: give either signal or rule/);
  const inputs = inputsOf(4, 300, false);
  // The engine checks what signal(p) returns (a user's comes out of its sandbox).
  const run = (signal: unknown) => () => runDeclarative(inputs, { fast: sma(5), slow: sma(20) }, signal, undefined, false, new SignalBuffer(300).reset(300));
  for (const [signal, pattern] of [
    [{ kind: 'longWhile', when: { op: 'gt', left: 'fast', right: 'medium' } }, /^signal\.when\.right: "medium" is neither/],
    [{ kind: 'longWhile', when: { op: 'gte', left: 'fast', right: 'slow' } }, /^signal\.when: must be a comparison/],
    [{ kind: 'enterExit', enterLong: { op: 'gt', left: 'close', right: Infinity } }, /^signal\.enterLong\.right: a number operand must be finite/],
    [{ kind: 'enterExit', buy: { op: 'gt', left: 'close', right: 1 } }, /^signal\.buy: is not a condition/],
    ['long', /^signal: must return a rule/],
  ] as Array<[unknown, RegExp]>) {
    assert.throws(run(signal), (e: unknown) => e instanceof StrategyDefinitionError && pattern.test(e.message), JSON.stringify(signal));
  }
});

test('a sandboxed declarative strategy whose rule is bad fails its partition naming the strategy and the part', () => {
  const code = `var __strategyModule = { default: {
    sdkVersion: 1, name: 'probe', params: { fast: { min: 1, max: 100, period: true, default: 5 }, slow: { min: 2, max: 100, period: true, default: 20 } },
    indicators: (p) => ({ fast: { indicator: 'sma', args: [p.fast], output: 0 }, slow: { indicator: 'sma', args: [p.slow], output: 0 } }),
    signal: () => ({ kind: 'longWhile', when: { op: 'gt', left: 'fast', right: 'process' } }),
  } };`;
  const sandbox = new SandboxedStrategy('probe@bad', code);
  const inputs = inputsOf(5, 300, false);
  assert.throws(
    () => sandbox.signals(inputs, Float64Array.from([5, 20, 0]), false, new SignalBuffer(300).reset(300)),
    (e: unknown) => e instanceof StrategyError && /^strategy probe@bad: signal\.when\.right: "process" is neither/.test(e.message),
  );
  sandbox.dispose();
});
