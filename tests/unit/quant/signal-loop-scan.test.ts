/**
 * The compiled signal loop's per-target scans (signal-loop.ts) against a plain bar-by-bar
 * interpreter of the rule, for what declarative-rules.test.ts's property does not draw: exact
 * comparisons (an ExactSign deciding wherever |left − right| ≤ its margin, often here: small
 * integer arrays) inside the scans, and any target held at the start (−1, 0 or 1, with or without
 * short), as a continuation may hand it over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSignalRule, setScanUnroll, type ExactSign, type ResolvedComparison, type ResolvedRule } from '../../../shared/quant/strategies/signal-loop.js';
import { SignalBuffer } from '../../../shared/quant/strategies/types.js';

type Op = 'gt' | 'ge' | 'lt' | 'le';
interface Drawn {
  op: Op;
  left: number;
  right: number;
  /** Decided exactly within this margin by the drawn signs (undefined: the doubles decide). */
  margin?: number;
  /** Instead of the margin, a Bollinger-like one per bar: factor·(|mid| + (upper − mid)) (mid and upper drawn columns; negative margins too). */
  band?: { mid: number; upper: number; factor: number };
}

/** Bars of the first property's series; the second's are longer (LONG), drawn as runs. */
const N = 48;
const LONG = 160;

function compare(op: Op, l: number, r: number): boolean {
  if (op === 'gt') return l > r;
  if (op === 'ge') return l >= r;
  if (op === 'lt') return l < r;
  return l <= r;
}

/** What a comparison decides at bar t, as signal-loop.ts states it (a NaN side: false). */
function holds(c: Drawn | undefined, arrays: Float64Array[], signs: Int8Array, t: number): boolean {
  if (c === undefined) return false;
  const l = arrays[c.left][t];
  const r = arrays[c.right][t];
  const margin = marginAt(c, arrays, t);
  if (margin === undefined) return compare(c.op, l, r);
  const d = l - r;
  return d <= margin && -d <= margin ? compare(c.op, signs[t], 0) : compare(c.op, d, 0);
}

/** The margin within which the drawn signs decide at bar t (undefined: the doubles decide everywhere). */
function marginAt(c: Drawn, arrays: Float64Array[], t: number): number | undefined {
  if (c.band === undefined) return c.margin;
  const mid = arrays[c.band.mid][t];
  return c.band.factor * (Math.abs(mid) + (arrays[c.band.upper][t] - mid));
}

function plainTargets(kind: ResolvedRule['kind'], cs: Array<Drawn | undefined>, arrays: Float64Array[], signs: Int8Array, start: number, short: boolean, initial: number): number[] {
  const n = arrays[0].length;
  const targets: number[] = [];
  let s = initial;
  for (let t = start; t < n; t++) {
    if (kind === 'longWhile') s = holds(cs[0], arrays, signs, t) ? 1 : short ? -1 : 0;
    else {
      let next = s;
      if (s > 0) {
        if (holds(cs[0], arrays, signs, t)) next = 0;
      } else if (s < 0 && holds(cs[1], arrays, signs, t)) next = 0;
      if (next === 0) {
        if (holds(cs[2], arrays, signs, t)) next = 1;
        else if (short && holds(cs[3], arrays, signs, t)) next = -1;
      }
      s = next;
    }
    targets.push(s);
  }
  return targets;
}

function targetsOf(out: SignalBuffer, start: number, initial: number, n: number): number[] {
  const targets: number[] = [];
  let k = 0;
  let s = initial;
  for (let t = start; t < n; t++) {
    if (k < out.count && out.bar[k] === t) s = out.target[k++];
    targets.push(s);
  }
  assert.equal(k, out.count, 'every change is at a bar of the run');
  for (let i = 1; i < out.count; i++) assert.ok(out.bar[i] > out.bar[i - 1] && out.target[i] !== out.target[i - 1], 'only changes are written');
  return targets;
}

const drawn = (arrays: number): fc.Arbitrary<Drawn> =>
  fc.record(
    {
      op: fc.constantFrom<Op>('gt', 'ge', 'lt', 'le'),
      left: fc.integer({ min: 0, max: arrays - 1 }),
      right: fc.integer({ min: 0, max: arrays - 1 }),
      margin: fc.constantFrom(0, 0.5, 1, 2),
      band: fc.record({ mid: fc.integer({ min: 0, max: arrays - 1 }), upper: fc.integer({ min: 0, max: arrays - 1 }), factor: fc.constantFrom(0.25, 0.5, 1) }),
    },
    { requiredKeys: ['op', 'left', 'right'] },
  );

/** Runs the drawn rule through the compiled loop and the plain interpreter: the same targets at every bar. */
function checkAgainstPlain(
  columns: number[][],
  signList: number[],
  kind: ResolvedRule['kind'],
  picked: Array<Drawn | undefined>,
  start: number,
  short: boolean,
  initial: number,
): void {
  const arrays = columns.map((c) => Float64Array.from(c));
  const signs = Int8Array.from(signList);
  const cs = picked.map(
    (c) =>
      c && {
        ...c,
        left: c.left % arrays.length,
        right: c.right % arrays.length,
        // A band needs an exact comparison (a margin drawn) to stand for.
        band: c.band && c.margin !== undefined ? { ...c.band, mid: c.band.mid % arrays.length, upper: c.band.upper % arrays.length } : undefined,
      },
  );
  if (kind === 'longWhile' && cs[0] === undefined) cs[0] = { op: 'gt', left: 0, right: 1, margin: 0, band: undefined };
  const resolve = (c: Drawn | undefined): ResolvedComparison | undefined => {
    if (c === undefined) return undefined;
    const sign = (t: number): number => {
      // Asked only where the doubles are too close to tell.
      const d = arrays[c.left][t] - arrays[c.right][t];
      const margin = marginAt(c, arrays, t)!;
      assert.ok(d <= margin && -d <= margin, `sign asked at bar ${t}`);
      return signs[t];
    };
    const exact: ExactSign | undefined =
      c.margin === undefined
        ? undefined
        : c.band === undefined
          ? { margin: c.margin, sign }
          : { margin: 0, bandNear: { mid: arrays[c.band.mid], upper: arrays[c.band.upper], factor: c.band.factor }, sign };
    return { op: c.op, left: arrays[c.left], right: arrays[c.right], exact };
  };
  const rule: ResolvedRule =
    kind === 'longWhile' ? { kind, when: resolve(cs[0])! } : { kind, exitLong: resolve(cs[0]), exitShort: resolve(cs[1]), enterLong: resolve(cs[2]), enterShort: resolve(cs[3]) };
  const n = arrays[0].length;
  const out = new SignalBuffer(n).reset(n);
  runSignalRule(rule, Math.min(start, n), n, short, initial, out);
  assert.deepEqual(targetsOf(out, Math.min(start, n), initial, n), plainTargets(kind, cs, arrays, signs, Math.min(start, n), short, initial));
}

test('the per-target scans decide as a plain interpreter, with exact comparisons and any target held at the start', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant(Number.NaN)), { minLength: N, maxLength: N }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.integer({ min: -1, max: 1 }), { minLength: N, maxLength: N }),
      fc.constantFrom<ResolvedRule['kind']>('longWhile', 'enterExit'),
      fc.array(fc.option(drawn(3), { nil: undefined }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: N }),
      fc.boolean(),
      fc.integer({ min: -1, max: 1 }),
      (columns, signList, kind, picked, start, short, initial) => checkAgainstPlain(columns, signList, kind, picked, start, short, initial),
    ),
    { numRuns: 600 },
  );
});

/** A column of LONG bars drawn as runs of one value (1 to 40 bars each): comparisons that hold for long stretches. */
const runs = (): fc.Arbitrary<number[]> =>
  fc
    .array(fc.record({ value: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -2, max: 2 }) }, { weight: 1, arbitrary: fc.constant(Number.NaN) }), length: fc.integer({ min: 1, max: 40 }) }), { minLength: 1, maxLength: LONG })
    .map((segments) => {
      const column: number[] = [];
      for (let i = 0; column.length < LONG; i = (i + 1) % segments.length) for (let k = 0; k < segments[i].length && column.length < LONG; k++) column.push(segments[i].value);
      return column;
    });

test('the unrolled scans (several bars per step) decide as the plain interpreter over long stretches, at every unroll setting', () => {
  const previous = setScanUnroll(8);
  try {
    for (const unroll of [8, 1, 3]) {
      setScanUnroll(unroll);
      fc.assert(
        fc.property(
          fc.array(runs(), { minLength: 2, maxLength: 3 }),
          fc.array(fc.integer({ min: -1, max: 1 }), { minLength: LONG, maxLength: LONG }),
          fc.constantFrom<ResolvedRule['kind']>('longWhile', 'enterExit'),
          fc.array(fc.option(drawn(3), { nil: undefined }), { minLength: 4, maxLength: 4 }),
          fc.integer({ min: 0, max: LONG }),
          fc.boolean(),
          fc.integer({ min: -1, max: 1 }),
          checkAgainstPlain,
        ),
        { numRuns: unroll === 8 ? 400 : 150 },
      );
    }
  } finally {
    setScanUnroll(previous);
  }
});
