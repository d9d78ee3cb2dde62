/**
 * The sandbox runner against hostile and broken strategies: each fails with a StrategyError naming
 * the strategy (and the limit it hit), within its limits, and the thread goes on running other
 * strategies. Strategies here are hand-written bundles (what strategy-bundle.ts produces: a script
 * assigning __strategyModule), so the isolate itself is tested, not esbuild's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrategyError } from '../../../shared/errors.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { IndicatorCache } from '../../../shared/quant/strategies/indicator-cache.js';
import { SignalBuffer, type StrategyInputs } from '../../../shared/quant/strategies/types.js';
import { crossoverSignals } from '../../../shared/quant/strategies/rules.js';
import { SandboxedStrategy } from '../../../shared/sandbox/sandboxed-strategy.js';

const series = generateSyntheticSeries({ seed: 3, symbol: 'T', timeframe: '1h', bars: 3_000 });
const inputs: StrategyInputs = { open: series.open, high: series.high, low: series.low, close: series.close, indicators: new IndicatorCache(series) };

/** A bundle whose strategy has the SMA-crossover schema and the given rule/indicators/top-level code. */
function bundle(opts: { rule?: string; indicators?: string; prelude?: string; name?: string } = {}): string {
  return `${opts.prelude ?? ''}
var __strategyModule = { default: {
  sdkVersion: 1, name: ${JSON.stringify(opts.name ?? 'probe')}, description: '',
  params: { fast: { min: 1, max: 1000, period: true, default: { start: 5, stop: 20, step: 5 } }, slow: { min: 2, max: 1000, period: true, default: { start: 30, stop: 60, step: 10 } } },
  constraint: ['fast', 'slow'],
  indicators: ${opts.indicators ?? "(p) => ({ fast: { indicator: 'sma', args: [p.fast], output: 0 }, slow: { indicator: 'sma', args: [p.slow], output: 0 } })"},
  warmup: (p) => p.slow - 1,
  rule: ${opts.rule ?? '(t, s) => (s.ind.fast[t] > s.ind.slow[t] ? 1 : -1)'},
} };`;
}

function run(strategy: SandboxedStrategy, fast = 10, slow = 40, short = 0): SignalBuffer {
  const out = new SignalBuffer(inputs.close.length).reset(inputs.close.length);
  strategy.signals(inputs, Float64Array.from([fast, slow, short]), short === 1, out);
  return out;
}

function changes(out: SignalBuffer): Array<[number, number]> {
  return Array.from(out.bar.subarray(0, out.count), (bar, i) => [bar, out.target[i]]);
}

function assertFails(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof StrategyError, `a StrategyError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a well-behaved strategy gives the targets of the built-in crossover rule, long-only and long/short', () => {
  const strategy = new SandboxedStrategy('probe@1', bundle());
  strategy.start();
  for (const short of [0, 1]) {
    for (const [fast, slow] of [[5, 30], [10, 40], [20, 60]]) {
      const expected = new SignalBuffer(inputs.close.length).reset(inputs.close.length);
      crossoverSignals(inputs.indicators.sma(fast), inputs.indicators.sma(slow), slow - 1, short === 1, expected);
      assert.ok(expected.count > 10, 'the reference trades');
      assert.deepEqual(changes(run(strategy, fast, slow, short)), changes(expected), `fast ${fast} slow ${slow} short ${short}`);
    }
  }
  strategy.dispose();
});

test('an endless loop fails at the time limit, naming the strategy and the limit', () => {
  const strategy = new SandboxedStrategy('spin@1', bundle({ rule: '(t) => { for (;;) {} }' }), { timeoutMs: 200 });
  strategy.start();
  const started = Date.now();
  assertFails(() => run(strategy), /strategy spin@1 exceeded its time limit of 200 ms/);
  assert.ok(Date.now() - started < 5_000, 'stopped near its limit');
});

test('an endless loop at load time fails at the time limit too', () => {
  const strategy = new SandboxedStrategy('spin-load@1', bundle({ prelude: 'for (;;) {}' }), { timeoutMs: 200 });
  assertFails(() => strategy.start(), /spin-load@1 exceeded its time limit of 200 ms/);
});

test('a memory bomb fails at the memory limit, and the thread goes on running other strategies', () => {
  const bomb = new SandboxedStrategy('bomb@1', bundle({ rule: '(t) => { const a = []; for (;;) a.push(new Array(100000).fill(t)); }' }), { memoryMib: 32, timeoutMs: 30_000 });
  bomb.start();
  assertFails(() => run(bomb), /strategy bomb@1 exceeded its memory limit of 32 MiB/);
  const good = new SandboxedStrategy('good@1', bundle());
  good.start();
  assert.ok(run(good).count > 0);
  good.dispose();
  // The failed one starts again afresh (a new isolate) and fails the same way.
  bomb.start();
  assertFails(() => run(bomb), /exceeded its memory limit/);
});

test('Node and host APIs are absent: require, process, fetch, import(), and no way out through globals', () => {
  const probes: Array<[string, string]> = [
    ["require('fs')", 'require'],
    ['process.env.HOME', 'process'],
    ["fetch('http://127.0.0.1/')", 'fetch'],
    ['Buffer.from([1])', 'Buffer'],
    ["globalThis.constructor.constructor('return process')().env", 'process'],
  ];
  for (const [expression, missing] of probes) {
    const strategy = new SandboxedStrategy('nosy@1', bundle({ rule: `(t) => { ${expression}; return 0; }` }));
    strategy.start();
    assertFails(() => run(strategy), new RegExp(`nosy@1 failed in run: .*${missing} is not defined`));
  }
  // A dynamic import has no loader in an isolate: the promise rejects and no module is loaded.
  const loaded = new SandboxedStrategy('importer2@1', bundle({ prelude: "var loaded = 'no'; import('node:child_process').then(() => { loaded = 'yes'; }, () => { loaded = 'refused'; });", rule: "(t) => { if (loaded === 'yes') throw new Error('child_process loaded'); return 0; }" }));
  loaded.start();
  assert.equal(run(loaded).count, 0);
  loaded.dispose();
});

test('nondeterminism sources are removed: Math.random, Date, Intl and GC-timing objects', () => {
  for (const expression of ['Math.random()', 'Date.now()', 'new Date()', 'new Intl.DateTimeFormat().format()', 'new WeakRef({})', 'new FinalizationRegistry(() => 0)', 'new SharedArrayBuffer(8)']) {
    const strategy = new SandboxedStrategy('dice@1', bundle({ rule: `(t) => (${expression} ? 0 : 0)` }));
    strategy.start();
    assertFails(() => run(strategy), /dice@1 failed in run: .*(not available|not a function|is not defined)/);
  }
});

test('a thrown error fails with its message; garbage answers fail naming what came back', () => {
  const thrower = new SandboxedStrategy('oops@1', bundle({ rule: "(t) => { if (t > 100) throw new Error('bad bar'); return 0; }" }));
  thrower.start();
  assertFails(() => run(thrower), /oops@1 failed in run: .*bad bar/);
  for (const [answer, pattern] of [["'long'", /returned string at bar/], ['2', /returned 2 at bar/], ['NaN', /returned NaN at bar/], ['true', /returned boolean at bar/], ['undefined', /returned undefined/]] as const) {
    const strategy = new SandboxedStrategy('garbage@1', bundle({ rule: `(t) => ${answer}` }));
    strategy.start();
    assertFails(() => run(strategy), pattern);
  }
  const badRequest = new SandboxedStrategy('badreq@1', bundle({ indicators: "(p) => ({ x: { indicator: 'readFile', args: ['/etc/passwd'], output: 0 } })" }));
  badRequest.start();
  assertFails(() => run(badRequest), /badreq@1: indicators\.x: is not an indicator request/);
  const notAStrategy = new SandboxedStrategy('empty@1', 'var __strategyModule = { default: 42 };');
  assertFails(() => notAStrategy.start(), /empty@1 failed in loading: .*defineStrategy/);
});

test('a tampered rule loop cannot smuggle bad changes out: the host checks every answer', () => {
  // The strategy replaces Int32Array in its isolate so the protocol packs forged changes.
  // Every Int32Array it makes has two extra entries at the end: a change back at bar 5, long.
  const forger = new SandboxedStrategy('forger@1', bundle({ prelude: 'const Real = Int32Array; globalThis.Int32Array = function (n) { const a = new Real(n + 2); a[n] = 5; a[n + 1] = 1; return a; };' }));
  forger.start();
  assertFails(() => run(forger), /forger@1 returned (bar|target|a malformed)/);
});

test('the time limit spans the whole partition: many quick calls add up to it', () => {
  const slow = new SandboxedStrategy('slowpoke@1', bundle({ rule: '(t, s) => { let x = 0; for (let i = 0; i < 2000; i++) x += i; return x > 0 ? 0 : 1; }' }), { timeoutMs: 300 });
  slow.start();
  const started = Date.now();
  assertFails(() => {
    for (;;) run(slow);
  }, /slowpoke@1 exceeded its time limit of 300 ms/);
  assert.ok(Date.now() - started < 5_000);
});

test('continuing from a bar with the target held there gives the tail of the whole run (incremental re-runs)', () => {
  const strategy = new SandboxedStrategy('probe@2', bundle());
  strategy.start();
  for (const short of [0, 1]) {
    const whole = changes(run(strategy, 10, 40, short));
    for (const from of [0, 39, 40, 777, 2_999]) {
      const before = whole.filter(([bar]) => bar < from);
      const initial = before.length ? before[before.length - 1][1] : 0;
      const out = new SignalBuffer(inputs.close.length).reset(inputs.close.length);
      strategy.signals(inputs, Float64Array.from([10, 40, short]), short === 1, out, from, initial);
      assert.deepEqual(changes(out), whole.filter(([bar]) => bar >= from), `short ${short} from ${from}`);
    }
  }
  strategy.dispose();
});
