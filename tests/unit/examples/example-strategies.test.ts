/**
 * The strategies of examples/strategies/, each through the path a push takes (bundled by esbuild,
 * checked in a sandbox, run in a sandbox) against a bar-by-bar reference written here with naive
 * indicators: the targets must agree at every bar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import type { Ohlcv } from '../../../shared/quant/ohlcv.js';
import { IndicatorCache } from '../../../shared/quant/strategies/indicator-cache.js';
import { SignalBuffer, type StrategyInputs } from '../../../shared/quant/strategies/types.js';
import { SandboxedStrategy } from '../../../shared/sandbox/sandboxed-strategy.js';
import { bundleStrategy } from '../../../shared/sandbox/strategy-bundle.js';
import { checkStrategy } from '../../../shared/sandbox/strategy-check.js';
import { naiveRsi, naiveSma, referenceTargets, type Decide } from '../../helpers/reference-backtest.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/strategies/', import.meta.url));

function naiveAtr(s: Ohlcv, t: number, p: number): number {
  if (t < p - 1) return NaN;
  const tr = (i: number) => (i === 0 ? s.high[0] - s.low[0] : Math.max(s.high[i] - s.low[i], Math.abs(s.high[i] - s.close[i - 1]), Math.abs(s.low[i] - s.close[i - 1])));
  let a = 0;
  for (let i = 0; i < p; i++) a += tr(i);
  a /= p;
  for (let i = p; i <= t; i++) a = (a * (p - 1) + tr(i)) / p;
  return a;
}

/** Reference decisions: null before the first bar where every indicator is defined. */
const REFERENCES: Record<string, (s: Ohlcv, p: Record<string, number>, short: boolean) => Decide> = {
  'triple-ma': (s, p, short) => (t) => {
    if (t < Math.max(p.slow, p.trend) - 1) return null;
    const f = naiveSma(s.close, t, p.fast);
    const sl = naiveSma(s.close, t, p.slow);
    const tr = naiveSma(s.close, t, p.trend);
    if (f > sl && s.close[t] > tr) return 1;
    if (f < sl && s.close[t] < tr) return short ? -1 : 0;
    return 0;
  },
  'rsi-trend': (s, p, short) => {
    const r = naiveRsi(s.close, p.period);
    return (t, state) => {
      if (t < Math.max(p.period, p.trend - 1)) return null;
      const tr = naiveSma(s.close, t, p.trend);
      let next = state;
      if (state === 1 && r[t] > p.exit) next = 0;
      if (state === -1 && r[t] < 100 - p.exit) next = 0;
      if (next === 0) {
        if (r[t] < p.entry && s.close[t] > tr) next = 1;
        else if (short && r[t] > 100 - p.entry && s.close[t] < tr) next = -1;
      }
      return next;
    };
  },
  'atr-breakout': (s, p, short) => (t, state) => {
    if (t < Math.max(p.lookback, p.atr) - 1) return null;
    const mid = naiveSma(s.close, t, p.lookback);
    const band = naiveAtr(s, t, p.atr);
    const c = s.close[t];
    let next = state;
    if (state === 1 && c < mid - p.stop * band) next = 0;
    if (state === -1 && c > mid + p.stop * band) next = 0;
    if (next === 0) {
      if (c > mid + p.mult * band) next = 1;
      else if (short && c < mid - p.mult * band) next = -1;
    }
    return next;
  },
};

const CASES: Record<string, Array<Record<string, number>>> = {
  'triple-ma': [{ fast: 5, slow: 30, trend: 100 }, { fast: 10, slow: 50, trend: 200 }, { fast: 2, slow: 3, trend: 20 }],
  'rsi-trend': [{ period: 14, entry: 30, exit: 55, trend: 100 }, { period: 5, entry: 40, exit: 50.5, trend: 50 }, { period: 2, entry: 20, exit: 80, trend: 200 }],
  'atr-breakout': [{ lookback: 20, atr: 14, mult: 1, stop: 0.5 }, { lookback: 10, atr: 5, mult: 0.5, stop: 0 }, { lookback: 40, atr: 20, mult: 2, stop: 1 }],
};

for (const name of Object.keys(REFERENCES)) {
  test(`example ${name}: bundled, checked and sandboxed, it decides as the bar-by-bar reference`, async () => {
    const code = await bundleStrategy(`${EXAMPLES}${name}.ts`);
    const manifest = checkStrategy(code, `${name}@test`);
    assert.equal(manifest.name, name);
    const sandbox = new SandboxedStrategy(`${name}@test`, code);
    sandbox.start();
    let changes = 0;
    for (const seed of [1, 2]) {
      const s = generateSyntheticSeries({ seed, symbol: `S${seed}`, timeframe: '1h', bars: 1_500 });
      const inputs: StrategyInputs = { open: s.open, high: s.high, low: s.low, close: s.close, indicators: new IndicatorCache(s) };
      for (const p of CASES[name]) {
        for (const short of [false, true]) {
          const values = Float64Array.from([...manifest.params.map((schema) => p[schema.name]), short ? 1 : 0]);
          const out = new SignalBuffer(s.close.length).reset(s.close.length);
          sandbox.signals(inputs, values, short, out);
          const got = new Array<number>(s.close.length).fill(0);
          for (let i = 0; i < out.count; i++) got.fill(out.target[i], out.bar[i]);
          assert.deepEqual(got, referenceTargets(REFERENCES[name](s, p, short), s.close.length), `${name} ${JSON.stringify(p)} short ${short} seed ${seed}`);
          changes += out.count;
        }
      }
    }
    assert.ok(changes > 50, `the cases trade (${changes} changes)`);
    sandbox.dispose();
  });
}
