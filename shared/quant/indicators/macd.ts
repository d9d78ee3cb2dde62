import { checkPeriod } from './common.js';
import { ema, emaAlpha, emaErrorBound, emaSeed, emaStep, UNIT_ROUNDOFF } from './ema.js';
import { add, dyadic, negate, times, type Fraction } from './exact-fraction.js';
import { exactWindowMeans, type TickGrid } from './tick-grid.js';

export interface MacdSeries {
  /** EMA(fast) − EMA(slow); NaN until both exist (index slow−1 when fast ≤ slow). */
  macd: Float64Array;
  /** EMA(signal) of the MACD line, seeded with the mean of its first `signal` values. */
  signal: Float64Array;
  /** macd − signal. */
  histogram: Float64Array;
}

/**
 * Moving average convergence/divergence (default 12/26/9). Each EMA runs on its own input
 * and is seeded with the simple mean of its first n values (see ema()). O(n).
 */
export function macd(values: ArrayLike<number>, fast = 12, slow = 26, signal = 9): MacdSeries {
  checkPeriod(fast, 'fast');
  checkPeriod(slow, 'slow');
  checkPeriod(signal, 'signal');
  const n = values.length;
  const line = ema(values, fast);
  const slowEma = ema(values, slow);
  for (let t = 0; t < n; t++) line[t] -= slowEma[t]; // NaN stays NaN
  const signalLine = ema(line, signal);
  const histogram = slowEma; // reuse the buffer
  for (let t = 0; t < n; t++) histogram[t] = line[t] - signalLine[t];
  return { macd: line, signal: signalLine, histogram };
}

/** What MACD carries from bar to bar: the fast and slow EMAs of the values and the signal EMA of the line. */
export interface MacdState {
  fast: number;
  slow: number;
  signal: number;
}

/** The bar of the first signal value (and so of the first histogram value): max(fast, slow) − 1 + signal − 1. */
export function macdSeedBar(fast: number, slow: number, signal: number): number {
  return Math.max(fast, slow) - 1 + signal - 1;
}

/**
 * The state at macdSeedBar (values must be longer), as macd() computes it: both EMAs seeded (on
 * the values' tick grid `grid`, exactly: ema()) and stepped, the signal seeded with the float mean of
 * the first `signal` line values, in order (the line, NaN before it starts, is on no grid).
 */
export function macdSeed(values: ArrayLike<number>, fast: number, slow: number, signal: number, grid: TickGrid | null): MacdState {
  const lineStart = Math.max(fast, slow) - 1;
  const seedBar = macdSeedBar(fast, slow, signal);
  const fastAlpha = emaAlpha(fast);
  const slowAlpha = emaAlpha(slow);
  let f = emaSeed(values, fast, 0, grid);
  let s = emaSeed(values, slow, 0, grid);
  for (let t = fast; t <= lineStart; t++) f = emaStep(f, fastAlpha, values[t]);
  for (let t = slow; t <= lineStart; t++) s = emaStep(s, slowAlpha, values[t]);
  let sum = 0;
  sum += f - s;
  for (let t = lineStart + 1; t <= seedBar; t++) {
    f = emaStep(f, fastAlpha, values[t]);
    s = emaStep(s, slowAlpha, values[t]);
    sum += f - s;
  }
  return { fast: f, slow: s, signal: sum / signal };
}

/** Takes bar t (after macdSeedBar) into the state, in place, as macd() does. */
export function macdStep(values: ArrayLike<number>, fast: number, slow: number, signal: number, state: MacdState, t: number): void {
  state.fast = emaStep(state.fast, emaAlpha(fast), values[t]);
  state.slow = emaStep(state.slow, emaAlpha(slow), values[t]);
  state.signal = emaStep(state.signal, emaAlpha(signal), state.fast - state.slow);
}

/** The float MACD of one series (the strategies' indicator cache's arrays) and their error bounds. */
export interface MacdArrays {
  fast: number;
  slow: number;
  signal: number;
  fastEma: Float64Array;
  slowEma: Float64Array;
  line: Float64Array;
  signalLine: Float64Array;
  /** emaErrorBound of fastEma and slowEma. */
  fastBound: number;
  slowBound: number;
}

/**
 * The error bound of a float signal line ema(line, signal) against the exact signal of the exact
 * line, and of the line itself: each line value is within fastBound + slowBound + 2^-52·|line| of
 * the exact one (the subtraction rounds once); the signal's seed is a float sum of `signal` line
 * values divided once; then the EMA steps as in emaErrorBound with that input error.
 */
export function macdBounds(a: MacdArrays): { line: number; signal: number } {
  const { slow, signal, line, signalLine } = a;
  const u = UNIT_ROUNDOFF;
  let largest = 0;
  for (let t = slow - 1; t < line.length; t++) {
    const size = Math.abs(line[t]);
    if (size > largest) largest = size;
  }
  const lineBound = (a.fastBound + a.slowBound + 2 * u * largest) * (1 + 1e-6);
  const seedBar = slow + signal - 2;
  if (seedBar >= line.length) return { line: lineBound, signal: 0 };
  const seedError = lineBound + 2 * u * (signal * largest + Math.abs(signalLine[seedBar]));
  return { line: lineBound, signal: emaErrorBound(line, signal, signalLine, lineBound, seedError) };
}

/** One step of an EMA written as N/D over a basis: N ← (p−1)·N + 2·x·D, D ← (p+1)·D. */
function stepEma(n: bigint[], d: bigint, p: bigint, x: bigint): bigint[] {
  const out = n.map((v) => (p - 1n) * v);
  out[0] += 2n * x * d;
  return out;
}

/**
 * The exact order of the MACD line and its signal line of one series on its tick grid, for the
 * bars where their doubles are within the error bounds of each other. Over the last k bars,
 * line − signal at bar t is an exact affine form of the EMAs and the signal k bars back
 * (the basis [1, fast EMA, slow EMA, signal]); those are the float values within their bounds,
 * shrunk by the form's coefficients, and k doubles until the sign is certain. When the window
 * reaches the signal's seed, the values there are computed exactly from the seeds (BigInt).
 */
export class MacdOrder {
  readonly margin: number;
  private readonly boundF: Fraction;
  private readonly boundS: Fraction;
  private readonly boundG: Fraction;
  private readonly scale: Fraction;

  private constructor(
    private readonly units: Float64Array,
    decimals: number,
    private readonly a: MacdArrays,
    bounds: { line: number; signal: number },
  ) {
    this.scale = { n: 10n ** BigInt(decimals), d: 1n };
    this.margin = (bounds.line + bounds.signal) * (1 + 1e-6);
    this.boundF = times(dyadic(a.fastBound), this.scale);
    this.boundS = times(dyadic(a.slowBound), this.scale);
    this.boundG = times(dyadic(bounds.signal), this.scale);
  }

  /** `bounds`: macdBounds(a) (cached by the caller: it costs a pass over the series). */
  static of(grid: TickGrid | undefined, a: MacdArrays, bounds: { line: number; signal: number }): MacdOrder | undefined {
    if (grid === undefined || a.fast >= a.slow || !exactWindowMeans(grid, a.fast) || !exactWindowMeans(grid, a.slow)) return undefined;
    return new MacdOrder(grid.units, grid.decimals, a, bounds);
  }

  /**
   * line − signal at bar t over the bars from..t as Z·[1, F, S, G](at `from`) / den, with the EMAs
   * and the signal at bar `from` as the basis.
   */
  private form(from: number, t: number): { z: bigint[]; den: bigint } {
    const pf = BigInt(this.a.fast);
    const ps = BigInt(this.a.slow);
    const pg = BigInt(this.a.signal);
    let nF = [0n, 1n, 0n, 0n];
    let nS = [0n, 0n, 1n, 0n];
    let nG = [0n, 0n, 0n, 1n];
    let nL = [0n, 1n, -1n, 0n];
    let dF = 1n; // (pf+1)^j
    let dS = 1n; // (ps+1)^j
    let dG = 1n; // (pg+1)^j; the signal is nG / (dG·dF·dS), the line nL / (dF·dS)
    for (let i = from + 1; i <= t; i++) {
      const x = BigInt(this.units[i]);
      nF = stepEma(nF, dF, pf, x);
      dF *= pf + 1n;
      nS = stepEma(nS, dS, ps, x);
      dS *= ps + 1n;
      nL = nF.map((v, c) => v * dS - nS[c] * dF);
      nG = nG.map((v, c) => (pg - 1n) * v * (pf + 1n) * (ps + 1n) + 2n * nL[c] * dG);
      dG *= pg + 1n;
    }
    return { z: nL.map((v, c) => v * dG - nG[c]), den: dG * dF * dS };
  }

  /** The exact fast EMA, slow EMA and signal at the signal's seed bar, in units. */
  private exactAtSeed(): Fraction[] {
    const { fast, slow, signal } = this.a;
    const seedBar = slow + signal - 2;
    const ema = (p: number): Fraction[] => {
      const values: Fraction[] = [];
      let n = 0n;
      for (let i = 0; i < p; i++) n += BigInt(this.units[i]);
      let d = BigInt(p);
      values[p - 1] = { n, d };
      for (let i = p; i <= seedBar; i++) {
        n = (BigInt(p) - 1n) * n + 2n * BigInt(this.units[i]) * d;
        d *= BigInt(p) + 1n;
        values[i] = { n, d };
      }
      return values;
    };
    const f = ema(fast);
    const s = ema(slow);
    // The seed: the mean of the line over slow−1 .. seedBar; each earlier denominator divides the last.
    const last = { f: f[seedBar].d, s: s[seedBar].d };
    let sumF = 0n;
    let sumS = 0n;
    for (let i = slow - 1; i <= seedBar; i++) {
      sumF += f[i].n * (last.f / f[i].d);
      sumS += s[i].n * (last.s / s[i].d);
    }
    const lineSum = add({ n: sumF, d: last.f }, negate({ n: sumS, d: last.s }));
    return [f[seedBar], s[seedBar], { n: lineSum.n, d: lineSum.d * BigInt(signal) }];
  }

  /** sign(line − signal) exactly at bar t (t ≥ the signal's seed bar). */
  compare(t: number): number {
    const seedBar = this.a.slow + this.a.signal - 2;
    for (let k = 16; t - k > seedBar; k *= 2) {
      const from = t - k;
      const { z, den } = this.form(from, t);
      const basis = [this.a.fastEma[from], this.a.slowEma[from], this.a.signalLine[from]].map((v) => times(dyadic(v), this.scale));
      let value: Fraction = { n: z[0], d: den };
      for (let c = 0; c < 3; c++) value = add(value, times({ n: z[c + 1], d: den }, basis[c]));
      const abs = (v: bigint): bigint => (v < 0n ? -v : v);
      let uncertainty: Fraction = { n: 0n, d: 1n };
      [this.boundF, this.boundS, this.boundG].forEach((bound, c) => (uncertainty = add(uncertainty, times({ n: abs(z[c + 1]), d: den }, bound))));
      const sign = value.n > 0n ? 1 : value.n < 0n ? -1 : 0;
      if (abs(value.n) * uncertainty.d > uncertainty.n * value.d) return sign;
    }
    const { z, den } = this.form(seedBar, t);
    const basis = this.exactAtSeed();
    let value: Fraction = { n: z[0], d: den };
    for (let c = 0; c < 3; c++) value = add(value, times({ n: z[c + 1], d: den }, basis[c]));
    return value.n > 0n ? 1 : value.n < 0n ? -1 : 0;
  }

  greater(t: number): boolean {
    return this.compare(t) > 0;
  }
}
