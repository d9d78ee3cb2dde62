import { ValidationError } from '../errors.js';
import type { StrategyManifest } from '../strategy-sdk/manifest.js';
import { generateSyntheticSeries } from '../quant/synthetic-ohlcv.js';
import { IndicatorCache } from '../quant/strategies/indicator-cache.js';
import { SignalBuffer, type StrategyInputs } from '../quant/strategies/types.js';
import { SandboxedStrategy } from './sandboxed-strategy.js';
import { checkedManifest } from './strategy-manifest-check.js';
import type { SandboxLimits } from './sandbox-limits.js';

/** Limits of the check at push (smaller than a partition's: it runs on the coordinator). */
export const CHECK_LIMITS: Readonly<SandboxLimits> = Object.freeze({ memoryMib: 64, timeoutMs: 10_000 });
/** Bars of the synthetic series the check runs on (more when a default period needs them). */
export const CHECK_BARS = 2_000;
/** Most combinations the check runs (each twice). */
export const CHECK_COMBINATIONS = 48;

/** A few combinations from the default ranges (ends and middle of each), satisfying the constraint. */
function checkCombinations(manifest: StrategyManifest): Float64Array[] {
  const valuesOf = manifest.params.map((p) => {
    const { start, stop, step } = p.defaultRange;
    const steps = Math.floor((stop - start) / step + 1e-9);
    const middle = start + Math.floor(steps / 2) * step;
    return [...new Set([start, middle, start + steps * step])];
  });
  const combos: Float64Array[] = [];
  const constraint = manifest.constraints[0];
  const left = constraint ? manifest.params.findIndex((p) => p.name === constraint.left) : -1;
  const walk = (i: number, current: number[]): void => {
    if (combos.length >= CHECK_COMBINATIONS) return;
    if (i === valuesOf.length) {
      if (left >= 0 && !(current[left] < current[left + 1])) return;
      for (const short of [0, 1]) combos.push(Float64Array.from([...current, short]));
      return;
    }
    for (const v of valuesOf[i]) walk(i + 1, [...current, v]);
  };
  walk(0, []);
  return combos;
}

function runAll(strategy: SandboxedStrategy, inputs: StrategyInputs, combos: readonly Float64Array[], order: readonly number[]): string[] {
  const out = new SignalBuffer(inputs.close.length);
  const answers: string[] = new Array(combos.length);
  strategy.start();
  try {
    for (const i of order) {
      out.reset(inputs.close.length);
      strategy.signals(inputs, combos[i], combos[i][combos[i].length - 1] === 1, out);
      answers[i] = `${Array.from(out.bar.subarray(0, out.count)).join(',')}|${Array.from(out.target.subarray(0, out.count)).join(',')}`;
    }
  } finally {
    strategy.dispose();
  }
  return answers;
}

/**
 * Checks a bundled strategy before it is stored: it loads, its definition is valid, and a short
 * run on synthetic bars gives the same targets twice — the second time in a fresh isolate with the
 * combinations in reverse order, so state kept between combinations shows too. Returns its
 * manifest; throws ValidationError('file', …) naming what failed.
 */
export function checkStrategy(code: string, label: string): StrategyManifest {
  const sandbox = new SandboxedStrategy(label, code, CHECK_LIMITS);
  let manifest: StrategyManifest;
  try {
    sandbox.start();
    manifest = checkedManifest(sandbox.describe(), 'file');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError('file', (error as Error).message);
  } finally {
    sandbox.dispose();
  }
  const longest = Math.max(0, ...manifest.params.filter((p) => p.period).map((p) => p.defaultRange.stop));
  const bars = Math.max(CHECK_BARS, longest + 100);
  const series = generateSyntheticSeries({ seed: 7, symbol: 'CHECK', timeframe: '1h', bars });
  const inputs: StrategyInputs = { open: series.open, high: series.high, low: series.low, close: series.close, indicators: new IndicatorCache(series) };
  const combos = checkCombinations(manifest);
  const forward = combos.map((_, i) => i);
  let first: string[];
  let second: string[];
  try {
    first = runAll(sandbox, inputs, combos, forward);
    second = runAll(sandbox, inputs, combos, [...forward].reverse());
  } catch (error) {
    throw new ValidationError('file', `the check run on synthetic bars failed: ${(error as Error).message}`);
  }
  const differs = first.findIndex((answer, i) => answer !== second[i]);
  if (differs >= 0) {
    const values = manifest.params.map((p, k) => `${p.name}=${combos[differs][k]}`).join(' ');
    throw new ValidationError('file', `not deterministic: ${values} short=${combos[differs][manifest.params.length]} gave other targets on a second run (state kept between combinations, or randomness)`);
  }
  return manifest;
}
